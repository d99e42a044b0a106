"""The SQLite run store: runs, metrics, persistence, concurrency, a killed writer, exports, checkpoints."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from resnet_viz.store import RunStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path):
    s = RunStore(tmp_path / "runs.sqlite")
    yield s
    s.close()


def test_runs_lifecycle(store):
    a = store.create_run("first", {"depth": 20}, {"steps": 10}, "cpu", group="g1")
    b = store.create_run("second", {"depth": 56}, {"steps": 10}, "cpu")
    assert store.runs()["id"].tolist() == [b, a]  # newest first
    assert store.runs(group="g1")["name"].tolist() == ["first"]
    assert store.run(a)["status"] == "queued" and store.run(a)["spec"] == {"depth": 20}
    store.set_status(a, "running")
    assert store.run(a)["started_at"] and not store.run(a)["finished_at"]
    store.set_status(a, "diverged", "loss became nan")
    assert store.run(a)["finished_at"] and store.run(a)["message"] == "loss became nan"
    with pytest.raises(ValueError, match="Unknown run status"):
        store.set_status(a, "exploded")
    store.rename(a, "renamed")
    assert store.run(a)["name"] == "renamed"
    store.delete(b)
    with pytest.raises(KeyError):
        store.run(b)


def test_metrics_round_trip(store):
    run = store.create_run("r", {}, {}, "cpu")
    store.log_metrics(
        run,
        [
            {"step": 20, "train_loss": 0.5, "grad_norms": {"layer1": 1.5}, "extra": {"a": 1}},
            {"step": 10, "train_loss": 1.0, "train_error": 0.3, "test_error": None},
            {"step": 30, "train_loss": float("nan")},
        ],
    )
    metrics = store.metrics(run)
    assert metrics["step"].tolist() == [10, 20, 30]
    assert metrics.loc[1, "grad_norms"] == {"layer1": 1.5} and metrics.loc[1, "extra"] == {"a": 1}
    assert metrics.loc[0, "train_error"] == 0.3 and metrics["test_error"].isna().all()
    assert metrics["train_loss"].isna().tolist() == [False, False, True]  # NaN is stored as missing
    assert store.latest_metrics(run)["step"] == 30
    assert store.runs().loc[0, "last_step"] == 30


def test_reopened_store_keeps_everything_and_marks_interrupted_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = RunStore(path)
    run = first.create_run("r", {"depth": 8}, {}, "cpu")
    first.set_status(run, "running")
    first.log_metrics(run, [{"step": 1, "train_loss": 2.0}])
    first.close()
    again = RunStore(path)
    assert again.mark_interrupted() == 1
    assert again.run(run)["status"] == "stopped" and "interrupted" in again.run(run)["message"]
    assert again.metrics(run)["train_loss"].tolist() == [2.0]


def test_concurrent_writers_and_a_reader_never_mix(store):
    runs = [store.create_run(f"r{i}", {}, {}, "cpu") for i in range(2)]
    errors, stop = [], threading.Event()

    def write(run_id: int, value: float) -> None:
        try:
            for step in range(200):
                store.log_metrics(run_id, [{"step": step, "train_loss": value}])
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    def read() -> None:
        try:
            while not stop.is_set():
                store.metrics(runs)
                store.runs()
        except Exception as err:  # pragma: no cover
            errors.append(err)

    threads = [threading.Thread(target=write, args=(r, float(i))) for i, r in enumerate(runs)]
    reader = threading.Thread(target=read)
    reader.start()
    [t.start() for t in threads]
    [t.join() for t in threads]
    stop.set()
    reader.join()
    assert not errors
    for i, run in enumerate(runs):
        metrics = store.metrics(run)
        assert metrics["step"].tolist() == list(range(200)) and (metrics["train_loss"] == float(i)).all()


def test_a_killed_writer_loses_nothing_committed(tmp_path):
    path = tmp_path / "runs.sqlite"
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r})
from resnet_viz.store import RunStore
store = RunStore({str(path)!r})
run = store.create_run("doomed", {{}}, {{}}, "cpu")
store.set_status(run, "running")
for step in range(50):
    store.log_metrics(run, [{{"step": step, "train_loss": 1.0}}])
os._exit(1)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 1
    store = RunStore(path)
    assert store.mark_interrupted() == 1
    assert len(store.metrics(store.runs()["id"].iloc[0])) == 50


def test_exports_and_checkpoints(store):
    run = store.create_run("exported", {"depth": 8}, {}, "cpu")
    store.log_metrics(run, [{"step": 5, "train_loss": 0.25, "grad_norms": {"fc": 0.1}}])
    data = json.loads(store.export_json([run]))
    assert data["runs"][0]["name"] == "exported" and data["runs"][0]["metrics"][0]["train_loss"] == 0.25
    csv = store.export_csv([run])
    assert csv.splitlines()[0].startswith("run_id,run_name,step") and "exported" in csv
    state = {"model": {"w": torch.arange(4.0)}, "classes": ["a", "b"]}
    path = store.save_checkpoint(run, state)
    loaded = store.load_checkpoint(run)
    assert torch.equal(loaded["model"]["w"], torch.arange(4.0)) and loaded["classes"] == ["a", "b"]
    store.delete(run)
    assert not path.exists()
    with pytest.raises(FileNotFoundError, match="no saved weights"):
        store.load_checkpoint(run)
