"""The app's run queue on a local Ray cluster (RESNET_VIZ_RAY=local, 2 CPUs): runs train there as they do here,
Stop reaches the tasks (the app's own runs and a sweep's), and a killed worker leaves a run that resumes.

One cluster for the module (starting one costs 10-20 s), inside the test process; the app's queue
(`ui.run_queue.run_queue`) is made again for it and dropped after, so other modules get a local one.
The networks are 8-layer CIFAR nets on 8x8 digits.
"""

import threading
import time
from dataclasses import replace

import pytest

pytestmark = pytest.mark.slow  # a Ray cluster started in the test: seconds each

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-cluster.txt)")

from apptest_pages import open_app_page  # noqa: E402
from tiny import PLAIN8, RES8, TINY  # noqa: E402

from resnet_viz.training import ray_cluster  # noqa: E402
from resnet_viz.training.sweep import run_sweep  # noqa: E402
from resnet_viz.training.sweep_plan import SweepRun  # noqa: E402

SHORT = replace(TINY, steps=12, eval_every=6, log_every=3)
LONG = replace(TINY, steps=100_000, eval_every=300, log_every=3)  # stopped long before its end


@pytest.fixture(scope="module")
def queue():
    from ui.run_queue import run_queue

    with pytest.MonkeyPatch.context() as env:
        env.setenv(ray_cluster.RAY_ENV, "local")
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        run_queue.clear()
        q = run_queue()
        try:
            yield q
        finally:
            q.shutdown(timeout=60)
            run_queue.clear()
            ray_cluster._connected.clear()
            ray.shutdown()


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def stopped_at(run: dict) -> int:
    """The step in a stopped run's message ("stopped by the user at step N")."""
    return int(run["message"].rsplit(" ", 1)[1])


def test_two_runs_train_on_ray_one_is_stopped_from_the_app_the_other_finishes(queue):
    store = queue.store
    assert queue.cluster is not None and queue.max_active == 2  # one run per CPU of the cluster
    long_id = queue.submit(PLAIN8, LONG, name="stopped on Ray")
    short_id = queue.submit(RES8, SHORT, name="finished on Ray")
    wait_for(lambda: store.run(long_id)["last_step"] >= 6)  # its curves grow in the store, live
    at = open_app_page("app_pages/train.py")
    at.button(key=f"stop_{long_id}").click().run()
    assert not at.exception
    assert queue.wait(timeout=120)
    stopped, finished = store.run(long_id), store.run(short_id)
    assert stopped["status"] == "stopped" and stopped["message"].startswith("stopped by the user at step")
    assert stopped["device"] == finished["device"] == "ray: CPU"
    at_step = stopped_at(stopped)
    assert store.metrics(long_id)["step"].tolist()[-1] == stopped["last_step"] <= at_step < LONG.steps
    assert store.load_checkpoint(long_id)["resume"]["step"] == at_step  # its last checkpoint: where it stopped
    assert finished["status"] == "finished" and store.metrics(short_id)["step"].tolist() == [3, 6, 9, 12]


def test_a_killed_worker_fails_its_run_with_its_metrics_and_the_train_page_resumes_it(queue):
    store = queue.store
    queue.cluster.crash_at["killed worker"] = 8  # its worker process exits after 8 steps; last checkpoint: step 6
    try:
        run_id = queue.submit(PLAIN8, SHORT, name="killed worker", checkpoint_every=3)
        assert queue.wait(timeout=120)
    finally:
        queue.cluster.crash_at.clear()
    failed = store.run(run_id)
    assert failed["status"] == "failed" and "Ray worker was lost" in failed["message"]
    assert "press Resume on the Train page to continue from step 6" in failed["message"]
    assert store.metrics(run_id)["step"].tolist() == [3, 6]  # what it logged before dying is kept
    at = open_app_page("app_pages/train.py", state={"train_current": run_id})
    at.button(key="resume_live").click().run()
    assert not at.exception
    assert queue.wait(timeout=120)
    assert store.run(run_id)["status"] == "finished"
    assert store.metrics(run_id)["step"].tolist() == [3, 6, 9, 12]  # continued from step 6, no step twice


def test_memory_admission_is_checked_against_the_clusters_nodes(queue, monkeypatch):
    from resnet_viz.nets.memory import ModelTooLargeError

    before = len(queue.store.runs())
    small_node = [{"Alive": True, "Resources": {"CPU": 2.0, "memory": 2e6}}]  # a worker with 2 MB for tasks
    monkeypatch.setattr(queue.cluster.ray, "nodes", lambda: small_node)
    with pytest.raises(ModelTooLargeError):  # this server has far more, but the run would train there
        queue.submit(RES8, SHORT, name="too large for the cluster")
    assert len(queue.store.runs()) == before  # a refused run leaves nothing in the store


def test_a_sweep_run_seen_in_the_app_is_stopped_from_the_app(queue):
    store, result = queue.store, {}
    group = "a sweep seen in the app"

    def sweep() -> None:  # a sweep's driver (the command line), with the same store and cluster
        result["sweep"] = run_sweep(store, "fig6", LONG, ray="auto", runs=[SweepRun("plain-8", PLAIN8)], group=group)

    driver = threading.Thread(target=sweep)
    driver.start()
    wait_for(lambda: not store.runs(group=group).empty and store.runs(group=group).iloc[0]["last_step"] >= 6)
    run_id = int(store.runs(group=group).iloc[0]["id"])
    assert run_id not in queue.active()  # trained by the sweep's driver, not by the app's queue
    at = open_app_page("app_pages/train.py")
    at.button(key=f"stop_{run_id}").click().run()
    assert not at.exception
    driver.join(timeout=120)
    assert not driver.is_alive()
    run = store.run(run_id)
    assert run["status"] == "stopped" and run["message"].startswith("stopped by the user at step"), run
    assert store.metrics(run_id)["step"].tolist()[-1] == run["last_step"] <= stopped_at(run)
    assert store.load_checkpoint(run_id)["resume"]["step"] == stopped_at(run)
