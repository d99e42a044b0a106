"""Admission to the one training queue of a server: memory is checked and reserved in one step, and no
session can fill the queue for everyone else."""

import threading
import time
from dataclasses import replace

import pytest
from tiny import RES8, TINY

from resnet_viz.nets.memory import ModelTooLargeError
from resnet_viz.training import queue as queue_module
from resnet_viz.training.admission import check_training_fits
from resnet_viz.training.queue import FairShareError, RunQueue

LONG = replace(TINY, steps=2000)  # still queued or training when the test looks


def test_two_launches_that_fit_alone_but_not_together_are_never_both_admitted(store, monkeypatch):
    need = check_training_fits(RES8, LONG).total_bytes
    queue = RunQueue(store, memory_limit=int(1.5 * need))  # room for one run, not two
    original = queue_module.check_training_fits

    def slow_check(*args, **kwargs):  # both launches are inside the check at the same time
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(queue_module, "check_training_fits", slow_check)
    start, outcomes = threading.Barrier(2), []

    def launch(name: str) -> None:
        start.wait()
        try:
            outcomes.append(queue.submit(RES8, LONG, name=name))
        except ModelTooLargeError as err:
            outcomes.append(err)

    threads = [threading.Thread(target=launch, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.shutdown()
    admitted = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, ModelTooLargeError)]
    assert len(admitted) == 1 and len(refused) == 1
    assert "set aside for the runs already queued" in str(refused[0])
    assert len(store.runs()) == 1  # the refused launch left nothing in the store


@pytest.fixture
def queue(store):
    queue = RunQueue(store, max_active=1, runs_per_owner=2)
    yield queue
    queue.shutdown()


def test_a_session_has_a_fair_share_of_the_queue_and_others_still_get_in(queue):
    mine = [queue.submit(RES8, LONG, name=f"mine {i}", owner="session a") for i in range(2)]
    with pytest.raises(FairShareError, match="each session may have 2 at once"):
        queue.submit(RES8, LONG, name="one too many", owner="session a")
    assert len(queue.store.runs()) == 2  # the refused run left nothing in the store
    theirs = queue.submit(RES8, LONG, name="another student", owner="session b")
    assert queue.position(theirs) is not None
    queue.submit(RES8, LONG, name="the command line")  # no owner: not counted
    with pytest.raises(FairShareError, match="would give you 3 runs"):
        queue.check_share("session b", 2)  # a lab's whole comparison is checked before any of it is queued
    queue.stop(mine[1])  # one of mine ends: there is room again
    queue.submit(RES8, LONG, name="mine again", owner="session a")
