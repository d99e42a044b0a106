"""What one redraw of a live panel reads: the runs once per change of the store, only the new metric rows, and
figures shared by every tab for a poll's time (issue 21: watching must not starve training)."""

import pandas as pd
from tiny import RES8, TINY

from resnet_viz.training.store import RunStore


def log(store, run_id: int, steps) -> None:
    store.log_metrics(
        run_id, [{"step": s, "train_loss": 1.0 / s, "lr": 0.1, "grad_norms": {"conv1": 0.5}} for s in steps]
    )


def test_runs_are_read_once_until_the_store_changes(monkeypatch):
    import ui.run_queue
    from ui.run_queue import active_runs, all_runs, run_queue

    monkeypatch.setattr(ui.run_queue, "FRESH_S", 3600.0)  # no second passes between the calls of this test
    store = run_queue().store
    run_id = store.create_run("watched", RES8.to_dict(), TINY.to_dict(), "cpu")
    reads = []
    original = RunStore.runs
    monkeypatch.setattr(RunStore, "runs", lambda self, *a, **k: reads.append(1) or original(self, *a, **k))
    first = all_runs()
    assert run_id in set(first["id"]) and all_runs() is first and active_runs().shape[0] >= 1
    assert len(reads) <= 1  # the three calls of one redraw: one read (none if another test's read is still fresh)
    store.rename(run_id, "renamed")  # a write of this server: the next call reads again
    assert all_runs().set_index("id").loc[run_id, "name"] == "renamed"


def test_metrics_are_extended_with_new_rows_and_read_again_after_a_status_change():
    from ui.run_queue import all_runs, run_metrics, run_queue

    store = run_queue().store
    run_id = store.create_run("growing", RES8.to_dict(), TINY.to_dict(), "cpu")
    store.set_status(run_id, "running")
    log(store, run_id, range(1, 11))

    def shown():
        runs = all_runs()
        return run_metrics(runs[runs["id"] == run_id]).reset_index(drop=True)

    assert shown()["step"].tolist() == list(range(1, 11))
    log(store, run_id, range(11, 16))
    pd.testing.assert_frame_equal(shown(), store.metrics(run_id))
    store.truncate_metrics(run_id, 12)  # resumed from a checkpoint at 12: its status changes too
    store.set_status(run_id, "queued")
    log(store, run_id, [13])
    assert shown()["step"].tolist() == list(range(1, 14))


def test_live_figures_are_shared_for_a_poll_and_built_again_when_the_status_changes(monkeypatch):
    import ui.live
    from ui.run_queue import all_runs, run_queue

    store = run_queue().store
    run_id = store.create_run("drawn", RES8.to_dict(), TINY.to_dict(), "cpu")
    store.set_status(run_id, "running")
    log(store, run_id, range(1, 6))

    def row():
        runs = all_runs()
        return runs[runs["id"] == run_id].iloc[0].to_dict()

    first = ui.live.live_figures(row())
    log(store, run_id, [6])
    assert ui.live.live_figures(row()) is first  # a new step within a poll's time: the figures held
    monkeypatch.setattr(ui.live, "POLL_S", 0.0)
    rebuilt = ui.live.live_figures(row())
    assert rebuilt is not first and list(rebuilt[0].data[0].x) == [1, 2, 3, 4, 5, 6]
    monkeypatch.setattr(ui.live, "POLL_S", 3600.0)
    store.set_status(run_id, "finished")
    assert ui.live.live_figures(row()) is not rebuilt  # the status changed: drawn again at once
