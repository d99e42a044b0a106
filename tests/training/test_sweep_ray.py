"""Sweeps on a real (local) Ray cluster: metrics stream back, a killed worker fails only its run, a re-submit resumes.

The cluster is started inside the test process (``ray.init(num_cpus=2)``) and shut down after; the
networks are 8-layer CIFAR nets on 8x8 digits, a dozen steps each, so the module takes well under a minute.
"""

from dataclasses import replace

import pytest

pytestmark = pytest.mark.slow  # a Ray cluster started in the test: seconds each

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-cluster.txt)")

from tiny import PLAIN8, RES8, TINY  # noqa: E402

from resnet_viz.training.sweep import run_sweep  # noqa: E402
from resnet_viz.training.sweep_plan import SweepRun  # noqa: E402

CONFIG = replace(TINY, steps=12, eval_every=6, log_every=3)
RUNS = [SweepRun("plain-8", PLAIN8), SweepRun("ResNet-8", RES8)]


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield ray
    ray.shutdown()


def by_name(result) -> dict:
    return {r["name"]: r for r in result.runs}


def test_a_sweep_streams_every_run_into_one_group(cluster, store):
    result = run_sweep(store, "fig6", CONFIG, ray="auto", runs=RUNS, checkpoint_every=6)
    runs = store.runs(group=result.group)
    assert len(runs) == 2 and set(runs["status"]) == {"finished"}
    assert set(runs["device"]) == {"ray: CPU"}
    metrics = store.metrics(runs["id"].tolist())
    for run_id in runs["id"]:
        mine = metrics[metrics["run_id"] == run_id]
        assert mine["step"].tolist() == [3, 6, 9, 12]
        assert mine["train_loss"].notna().all() and mine["test_error"].notna().sum() == 2
        assert "fc.weight" in store.load_checkpoint(int(run_id))["model"]


def test_a_killed_worker_fails_its_run_only_and_a_resubmit_resumes(cluster, store):
    clean = run_sweep(store, "fig6", CONFIG, ray="auto", runs=RUNS, checkpoint_every=3, group="clean")
    # The plain net's worker process exits abruptly after 8 steps (its last checkpoint: step 6).
    crashed = run_sweep(store, "fig6", CONFIG, ray="auto", runs=RUNS, checkpoint_every=3, group="crash",
                        crash_at={"plain-8": 8})  # fmt: skip
    first = by_name(crashed)
    assert first["ResNet-8"]["status"] == "finished"
    assert first["plain-8"]["status"] == "failed", first
    assert "Ray worker was lost" in first["plain-8"]["message"]
    assert "continue from step 6" in first["plain-8"]["message"]
    plain_id = first["plain-8"]["id"]
    assert store.metrics(plain_id)["step"].tolist() == [3, 6]  # what it logged before dying is kept

    again = by_name(run_sweep(store, "fig6", CONFIG, ray="auto", runs=RUNS, checkpoint_every=3, group="crash"))
    assert again["ResNet-8"]["action"] == "skip"  # finished runs are not rerun
    assert again["plain-8"]["action"] == "resume" and again["plain-8"]["from_step"] == 6
    assert again["plain-8"]["id"] == plain_id and again["plain-8"]["status"] == "finished"
    resumed = store.metrics(plain_id)
    assert resumed["step"].tolist() == [3, 6, 9, 12]  # no step twice
    # Continued from its checkpoint, it trains exactly as the uninterrupted run did.
    uninterrupted = store.metrics(by_name(clean)["plain-8"]["id"])
    assert resumed["train_loss"].tolist() == pytest.approx(uninterrupted["train_loss"].tolist(), rel=1e-5)
