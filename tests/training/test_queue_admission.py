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
from resnet_viz.training.queue import RunQueue

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
