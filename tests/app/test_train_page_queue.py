"""A session's fair share of the one training queue, and resuming an interrupted run, on the Train page (AppTest)."""

from dataclasses import replace

from apptest_pages import open_app_page
from tiny import RES8, TINY

from resnet_viz.training.engine import run_steps
from resnet_viz.training.store import INTERRUPTED


def test_a_launch_past_the_sessions_share_is_refused_with_a_readable_message(monkeypatch):
    from ui.run_queue import run_queue

    queue = run_queue()
    monkeypatch.setattr(queue, "runs_per_owner", 1)
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-56"})
    at.number_input(key="train_steps").set_value(5000).run()
    at.button(key="train_start").click().run()
    run_id = int(queue.store.runs().iloc[0]["id"])
    try:
        at.number_input(key="train_seed").set_value(1).run()  # another experiment: the same one would be joined
        at.button(key="train_start").click().run()
        assert not at.exception
        assert any("each session may have 1 at once" in e.value for e in at.error)
        assert int(queue.store.runs().iloc[0]["id"]) == run_id  # nothing new was queued
    finally:
        queue.stop(run_id)
        assert queue.wait(timeout=120)


def test_an_interrupted_run_is_resumed_from_the_train_page():
    from ui.run_queue import run_queue

    queue = run_queue()
    config = replace(TINY, steps=12, log_every=2)
    run_id = queue.store.create_run("killed mid-run", RES8.to_dict(), config.to_dict(), "cpu")
    steps = run_steps(RES8, config, queue.store, run_id, checkpoint_every=4)
    for _ in range(5):  # a checkpoint at step 4, then the process "dies" (no final save)
        next(steps)
    queue.store.set_status(run_id, "stopped", INTERRUPTED)
    at = open_app_page("app_pages/train.py", state={"train_current": run_id})
    at.button(key="resume_live").click().run()
    assert not at.exception
    assert queue.wait(timeout=120)
    assert queue.store.run(run_id)["status"] == "finished" and queue.store.run(run_id)["last_step"] == 12
    assert queue.store.metrics(run_id)["step"].tolist() == [2, 4, 6, 8, 10, 12]  # no step logged twice


def test_a_second_session_launching_the_same_experiment_joins_it_and_may_train_its_own_copy():
    from ui.run_queue import run_queue

    queue = run_queue()
    before = set(queue.store.runs()["id"])

    def new_runs():
        runs = queue.store.runs()
        return runs[~runs["id"].isin(before)]

    sessions = [open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-20"}) for _ in range(2)]
    for at in sessions:
        at.number_input(key="train_steps").set_value(4321).run()  # an experiment no other test runs
    sessions[0].button(key="train_start").click().run()
    sessions[1].button(key="train_start").click().run()
    try:
        new = new_runs()
        assert len(new) == 1  # the second launch joined the first: nothing trained twice
        assert any(f"#{new['id'].iloc[0]}" in i.value and "same experiment" in i.value for i in sessions[1].info)
        assert not sessions[0].info  # the first session was not told anything it did not ask for
        sessions[1].button(key="train_start_own_copy").click().run()
        assert not sessions[1].exception
        assert len(new_runs()) == 2  # its own copy, on request
    finally:
        for run_id in new_runs()["id"]:
            queue.stop(int(run_id))
        assert queue.wait(timeout=120)
