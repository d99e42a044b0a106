"""A run queued from the app checkpoints every few steps, so one whose process was killed mid-run (kill -9: no
final save) resumes from its last checkpoint and ends with exactly the rows of a run that was never stopped."""

from dataclasses import replace

import pytest
from tiny import RES8, TINY, new_run

from resnet_viz.training.engine import run_steps
from resnet_viz.training.queue import RunQueue
from resnet_viz.training.store import INTERRUPTED

CONFIG = replace(TINY, steps=20, log_every=2, eval_every=4, augment=True)
TIMING = ["run_id", "images_per_s", "extra"]  # wall-clock figures and the id: the rest must match exactly


def _rows(store, run_id):
    return store.metrics(run_id).drop(columns=TIMING)


def test_a_killed_run_resumes_from_its_last_checkpoint_and_trains_as_if_never_stopped(store, monkeypatch):
    saved, save = [], store.save_checkpoint
    monkeypatch.setattr(store, "save_checkpoint", lambda i, state: saved.append(state.get("resume")) or save(i, state))
    queue = RunQueue(store, checkpoint_every=6)  # the app's queue, a short interval
    whole = queue.submit(RES8, CONFIG, name="never stopped")  # no interval given: the queue's
    assert queue.wait(timeout=120)
    assert [state["step"] for state in saved if state] == [6, 12, 18]  # and the final save, without "resume"
    killed = new_run(store, RES8, CONFIG, name="killed")
    steps = run_steps(RES8, CONFIG, store, killed, checkpoint_every=queue.checkpoint_every)
    for _ in range(13):  # 13 steps: checkpoints at 6 and 12, rows up to step 12
        next(steps)
    store.set_status(killed, "stopped", INTERRUPTED)  # what `mark_interrupted` writes when the process is gone
    assert store.load_checkpoint(killed)["resume"]["step"] == 12 and store.run(killed)["last_step"] == 12
    assert queue.resume(killed) == killed
    assert queue.wait(timeout=120)
    assert store.run(killed)["status"] == "finished"
    assert _rows(store, killed).equals(_rows(store, whole))
    steps.close()


def test_only_a_stopped_run_with_a_checkpoint_can_be_resumed(store):
    queue = RunQueue(store)
    done = queue.submit(RES8, replace(CONFIG, steps=4), name="finished")
    assert queue.wait(timeout=120)
    with pytest.raises(ValueError, match="Only a stopped, interrupted or failed run can be resumed"):
        queue.resume(done)
    never_started = new_run(store, RES8, CONFIG)
    store.set_status(never_started, "stopped", INTERRUPTED)
    with pytest.raises(ValueError, match="saved no checkpoint"):
        queue.resume(never_started)
