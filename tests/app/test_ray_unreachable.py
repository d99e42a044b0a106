"""RESNET_VIZ_RAY naming an address where no Ray cluster answers: one line in the server's log, a banner and the
device line on every page say so, and the app trains here (whether Ray is installed or not)."""

import logging
from dataclasses import replace

import pytest
from apptest_pages import open_app_page
from tiny import RES8, TINY

from resnet_viz.training import ray_cluster
from resnet_viz.training.queue import RunQueue

NOWHERE = "127.0.0.1:9"  # the discard port: nothing listens there


@pytest.mark.slow  # imports Ray (where installed) and opens two pages
def test_an_address_that_does_not_answer_leaves_the_app_training_here(monkeypatch, caplog, store):
    monkeypatch.setenv(ray_cluster.RAY_ENV, NOWHERE)
    monkeypatch.setattr(ray_cluster, "_connected", {})
    with caplog.at_level(logging.WARNING, logger=ray_cluster.__name__):
        queue = RunQueue(store)
        RunQueue(store)  # a second queue in the same process does not try (nor log) again
    lines = [r.getMessage() for r in caplog.records if r.name == ray_cluster.__name__]
    assert lines == [f"RESNET_VIZ_RAY={NOWHERE}: {queue.cluster_error}; runs train on this server."]
    assert queue.cluster_error.startswith(f"No Ray cluster answers at '{NOWHERE}' (") or (
        queue.cluster_error == "Ray is not installed: pip install -r requirements-cluster.txt"
    )
    assert queue.cluster is None and queue.cluster_error
    run_id = queue.submit(RES8, replace(TINY, steps=4, log_every=2))
    assert (
        queue.wait(timeout=120) and store.run(run_id)["status"] == "finished" and store.run(run_id)["device"] == "cpu"
    )
    for page in ("app_pages/home.py", "app_pages/architecture.py"):
        at = open_app_page(page)
        assert any(f"RESNET_VIZ_RAY={NOWHERE} cannot train the runs" in w.value for w in at.warning), page
        device_line = [c.value for c in at.sidebar.caption if c.value.startswith("Device:")]
        assert len(device_line) == 1 and device_line[0].startswith("Device: CPU"), device_line
        assert device_line[0].endswith(f" on this server (no Ray cluster answers at {NOWHERE})"), device_line
