"""The training worker serves every user: a failure in one run (engine, data, checkpoint, store write) marks that
run failed with a readable message, and the runs queued after it still train. The same for a sweep's driver."""

from dataclasses import replace

import pytest
from tiny import PLAIN8, RES8, TINY, new_run

from resnet_viz.training import engine
from resnet_viz.training import queue as queue_module
from resnet_viz.training.queue import RunQueue
from resnet_viz.training.store import RunStore
from resnet_viz.training.sweep import run_sweep
from resnet_viz.training.sweep_plan import SweepRun

CONFIG = replace(TINY, steps=6, warmup_steps=1, eval_every=3, log_every=3, eval_samples=32)
BAD_SEED = 13  # the run that fails is told apart by its seed where its id is not at hand (loading its data)


def _only_for(run_id_of, original, message):
    """``original`` wrapped so that it raises RuntimeError(``message``) when ``run_id_of(args)`` is the bad run."""

    def wrapper(*args, **kwargs):
        if run_id_of(args, kwargs) == "bad":
            raise RuntimeError(message)
        return original(*args, **kwargs)

    return wrapper


def _inject(monkeypatch, place: str, bad: dict) -> None:
    """Make the run ``bad["id"]`` fail at ``place``; every other run works as usual."""
    is_bad = lambda run_id: "bad" if run_id == bad["id"] else None  # noqa: E731
    if place == "engine":  # an optimiser step raises
        original = engine._Loop._train_step
        monkeypatch.setattr(engine._Loop, "_train_step", _only_for(lambda a, k: is_bad(a[0].run_id), original, "boom"))
    elif place == "data":  # loading the dataset raises
        seed_bad = lambda a, k: "bad" if k.get("seed") == BAD_SEED else None  # noqa: E731
        monkeypatch.setattr(engine, "load_dataset", _only_for(seed_bad, engine.load_dataset, "boom"))
    elif place == "checkpoint":  # saving weights raises (a full disk)
        original = RunStore.save_checkpoint
        monkeypatch.setattr(RunStore, "save_checkpoint", _only_for(lambda a, k: is_bad(a[1]), original, "boom"))
    elif place == "metrics":  # a store write raises
        original = RunStore.log_metrics
        monkeypatch.setattr(RunStore, "log_metrics", _only_for(lambda a, k: is_bad(a[1]), original, "boom"))
    elif place == "status":  # the store refuses the run's "running" status write once
        original, calls = RunStore.set_status, []

        def first_status_write(a, k):
            calls.append((a[1], a[2]))
            return is_bad(a[1]) if a[2] == "running" and calls.count((bad["id"], "running")) == 1 else None

        monkeypatch.setattr(RunStore, "set_status", _only_for(first_status_write, original, "boom"))
    elif place == "outside the engine":  # something escapes `run_steps` itself

        def broken_steps(spec, config, store, run_id, *args, **kwargs):
            if run_id == bad["id"]:
                raise RuntimeError("boom")
            return (yield from engine.run_steps(spec, config, store, run_id, *args, **kwargs))

        monkeypatch.setattr(queue_module, "run_steps", broken_steps)


@pytest.mark.parametrize("place", ["engine", "data", "checkpoint", "metrics", "status", "outside the engine"])
def test_a_failing_run_is_marked_failed_and_the_next_queued_run_still_trains(store, monkeypatch, place):
    bad = {"id": None}
    _inject(monkeypatch, place, bad)
    bad["id"] = new_run(store, RES8, replace(CONFIG, seed=BAD_SEED), "bad")
    good = new_run(store, PLAIN8, CONFIG, "good")
    queue = RunQueue(store, max_active=1)
    for run_id, spec, config in [(bad["id"], RES8, replace(CONFIG, seed=BAD_SEED)), (good, PLAIN8, CONFIG)]:
        queue.submit(spec, config, run_id=run_id)
    assert queue.wait(timeout=120), "the worker is stuck"
    failed, finished = store.run(bad["id"]), store.run(good)
    assert failed["status"] == "failed" and "RuntimeError" in failed["message"] and "boom" in failed["message"]
    assert finished["status"] == "finished" and finished["last_step"] == CONFIG.steps
    assert queue._thread.is_alive()
    queue.shutdown()


def test_a_sweep_whose_submission_fails_marks_that_run_failed_and_trains_the_others(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "runs.sqlite")
    runs = [SweepRun("first", RES8), SweepRun("second", PLAIN8)]
    original = RunQueue.submit

    def submit(self, spec, config, **kwargs):
        if spec == RES8:
            raise OSError("disk I/O error")
        return original(self, spec, config, **kwargs)

    monkeypatch.setattr(RunQueue, "submit", submit)
    result = run_sweep(store, "fig6", CONFIG, runs=runs, checkpoint_every=3)
    by_name = {r["name"]: r for r in result.runs}
    assert by_name["first"]["status"] == "failed" and "disk I/O error" in by_name["first"]["message"]
    assert by_name["second"]["status"] == "finished"
    store.close()
