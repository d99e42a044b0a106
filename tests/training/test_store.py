"""The SQLite run store: runs, metrics, persistence, threads and processes, a killed writer, exports, checkpoints."""

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from resnet_viz.training.store import INTERRUPTED, RUN_STATUSES, RunStore, default_store_path

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, *args: str, **popen) -> subprocess.Popen:
    """Start ``python -c code args`` in the repository root (so ``import resnet_viz`` works)."""
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, text=True, **popen)


def test_default_store_path_follows_resnet_viz_home(monkeypatch, tmp_path):
    monkeypatch.setenv("RESNET_VIZ_HOME", str(tmp_path / "home"))
    assert default_store_path() == tmp_path / "home" / "runs.sqlite"
    monkeypatch.delenv("RESNET_VIZ_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_path() == tmp_path / ".local" / "share" / "resnet_viz" / "runs.sqlite"


def test_a_new_store_creates_its_folders_and_schema(tmp_path):
    path = tmp_path / "deep" / "folder" / "runs.sqlite"
    RunStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_runs_lifecycle(store):
    a = store.create_run("first", {"depth": 20}, {"steps": 10}, "cpu", group="g1")
    b = store.create_run("second", {"depth": 56}, {"steps": 10}, "cuda")
    runs = store.runs()
    assert runs["id"].tolist() == [b, a]  # newest first
    assert list(runs.columns[:10]) == ["id", "name", "group", "status", "message", "device", "created_at",
                                       "started_at", "finished_at", "last_step"]  # fmt: skip
    assert runs.loc[1, "spec"] == {"depth": 20} and runs.loc[1, "group"] == "g1" and runs.loc[1, "last_step"] == 0
    assert store.runs(group="g1")["name"].tolist() == ["first"]
    assert store.runs(group="nothing").empty

    run = store.run(a)
    assert run["status"] == "queued" and run["config"] == {"steps": 10} and run["created_at"].endswith("+00:00")
    assert run["started_at"] is None and run["finished_at"] is None

    assert store.set_status(a, "running")
    assert store.run(a)["started_at"] and not store.run(a)["finished_at"]
    store.set_status(a, "diverged", "loss became nan")
    run = store.run(a)
    assert run["status"] == "diverged" and run["message"] == "loss became nan"
    assert run["finished_at"] >= run["started_at"] >= run["created_at"]  # ISO strings in UTC sort as times
    with pytest.raises(ValueError, match="Unknown run status 'exploded'"):
        store.set_status(a, "exploded")
    assert set(RUN_STATUSES) == {"queued", "running", "finished", "stopped", "diverged", "failed"}

    store.rename(a, "renamed")
    assert store.run(a)["name"] == "renamed"
    assert store.delete(b) and not store.delete(b)
    with pytest.raises(KeyError, match=f"no run #{b}"):
        store.run(b)
    with pytest.raises(KeyError, match=f"no run #{b}"):
        store.rename(b, "ghost")
    assert store.runs()["id"].tolist() == [a]


def test_metrics_round_trip(store):
    run = store.create_run("r", {}, {}, "cpu")
    other = store.create_run("other", {}, {}, "cpu")
    assert store.latest_metrics(run) is None and store.metrics(run).empty
    store.log_metrics(other, [{"step": 1, "train_loss": 9.0}])
    store.log_metrics(
        run,
        [
            {"step": 20, "train_loss": 0.5, "lr": 0.1, "grad_norms": {"layer1": 1.5, "fc": 0.25}, "extra": {"a": 1}},
            {"step": 10, "epoch": 0.5, "train_loss": 1.0, "train_error": 0.3, "test_error": None},
            {"step": 30, "train_loss": float("nan"), "grad_norms": {"layer1": float("inf")}},
        ],
    )
    metrics = store.metrics(run)
    assert list(metrics.columns) == ["run_id", "step", "epoch", "train_loss", "train_error", "test_error", "lr",
                                     "images_per_s", "grad_norms", "extra"]  # fmt: skip
    assert metrics["step"].tolist() == [10, 20, 30] and (metrics["run_id"] == run).all()
    assert metrics.loc[1, "grad_norms"] == {"layer1": 1.5, "fc": 0.25} and metrics.loc[1, "extra"] == {"a": 1}
    assert metrics.loc[0, "grad_norms"] is None and metrics.loc[0, "extra"] is None
    assert metrics.loc[0, "train_error"] == 0.3 and metrics.loc[0, "epoch"] == 0.5
    assert metrics["test_error"].isna().all() and metrics["images_per_s"].isna().all()
    assert metrics["train_loss"].isna().tolist() == [False, False, True]  # NaN is stored as missing
    assert metrics.loc[2, "grad_norms"] == {"layer1": None}  # so is an infinite gradient norm

    latest = store.latest_metrics(run)
    assert latest["step"] == 30 and latest["train_loss"] is None and latest["grad_norms"] == {"layer1": None}
    assert store.runs().set_index("id").loc[run, "last_step"] == 30

    both = store.metrics([other, run])
    assert both["run_id"].tolist() == [run] * 3 + [other]  # sorted by run id, then step
    assert store.metrics([]).empty


def test_bad_metric_rows_raise_readable_errors_and_write_nothing(store):
    run = store.create_run("r", {}, {}, "cpu")
    with pytest.raises(ValueError, match="Unknown metric.*test_err"):
        store.log_metrics(run, [{"step": 1, "train_loss": 1.0}, {"step": 2, "test_err": 0.5}])
    with pytest.raises(ValueError, match="'step'"):
        store.log_metrics(run, [{"train_loss": 1.0}])
    assert store.metrics(run).empty  # the valid first row of the failed call was not written either


def test_writes_for_a_deleted_run_are_dropped_not_raised(store):
    """A user may delete a run while its worker still trains: the worker must not crash."""
    run = store.create_run("doomed", {}, {}, "cpu")
    store.log_metrics(run, [{"step": 1, "train_loss": 1.0}])
    store.delete(run)
    assert store.log_metrics(run, [{"step": 2, "train_loss": 1.0}]) is False
    assert store.set_status(run, "stopped", "stopped by the user") is False
    assert store.save_checkpoint(run, {"w": torch.zeros(1)}) is None
    assert not store.checkpoint_path(run).exists() and not list(store.checkpoint_path(run).parent.iterdir())
    newer = store.create_run("newer", {}, {}, "cpu")
    assert newer > run and store.metrics(newer).empty  # ids are never reused, so nothing can leak into it


def test_a_reopened_store_keeps_everything_and_marks_interrupted_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = RunStore(path)
    running = first.create_run("r", {"depth": 8}, {"steps": 5}, "cpu", group="lab")
    queued = first.create_run("q", {}, {}, "cpu", group="lab")
    done = first.create_run("done", {}, {}, "cpu")
    first.set_status(running, "running")
    first.set_status(done, "finished", "5 steps")
    first.log_metrics(running, [{"step": 1, "train_loss": 2.0, "grad_norms": {"fc": 0.5}}])
    first.close()

    again = RunStore(path)
    assert again.runs()["id"].tolist() == [done, queued, running]
    assert again.run(running)["spec"] == {"depth": 8} and again.runs(group="lab")["id"].tolist() == [queued, running]
    assert again.metrics(running)["grad_norms"].tolist() == [{"fc": 0.5}]
    assert again.mark_interrupted() == 0  # their owner (this process) is alive
    set_owner(path, [running, queued], pid=dead_pid())
    assert again.mark_interrupted() == 2
    for run_id in (running, queued):
        run = again.run(run_id)
        assert run["status"] == "stopped" and run["message"] == INTERRUPTED and run["finished_at"]
    assert again.run(done)["status"] == "finished" and again.run(done)["message"] == "5 steps"
    assert again.mark_interrupted() == 0
    again.close()


def dead_pid() -> int:
    """The pid of a process that has ended and been collected."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def set_owner(path, run_ids, **columns) -> None:
    db = sqlite3.connect(path)
    for run_id in run_ids:
        for column, value in columns.items():
            db.execute(f"UPDATE runs SET owner_{column} = ? WHERE id = ?", (value, run_id))
    db.commit()
    db.close()


def test_only_runs_whose_owner_is_gone_are_marked_interrupted(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    mine, dead, reused, remote_fresh, remote_stale = (store.create_run(n, {}, {}, "cpu") for n in "abcde")
    for run_id in (mine, dead, remote_fresh, remote_stale):
        store.set_status(run_id, "running")
    set_owner(path, [dead], pid=dead_pid())
    set_owner(path, [reused], start="1")  # this pid, but a process that started at another time
    set_owner(path, [remote_fresh, remote_stale], host="another-host")
    db = sqlite3.connect(path)
    db.execute("UPDATE runs SET heartbeat_at = heartbeat_at - 600 WHERE id = ?", (remote_stale,))
    db.commit()
    db.close()

    assert store.mark_interrupted() == 3
    status = {run_id: store.run(run_id)["status"] for run_id in (mine, dead, reused, remote_fresh, remote_stale)}
    assert status == {mine: "running", dead: "stopped", reused: "stopped", remote_fresh: "running",
                      remote_stale: "stopped"}  # fmt: skip
    assert store.run(dead)["message"].startswith("interrupted: ")
    assert store.mark_interrupted(stale_after=0.0) == 1  # remote_fresh, once its heartbeat is too old
    store.close()


def test_heartbeat_and_log_metrics_refresh_the_owners_sign_of_life(store):
    run_id = store.create_run("r", {}, {}, "cpu")

    def beat() -> float:
        return store._read("SELECT heartbeat_at FROM runs WHERE id = ?", (run_id,))[0][0]

    first = beat()
    time.sleep(0.01)
    assert store.heartbeat(run_id) and beat() > first
    second = beat()
    time.sleep(0.01)
    store.log_metrics(run_id, [{"step": 1}])
    assert beat() > second
    assert store.heartbeat(run_id + 1) is False


def test_a_version_1_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "runs.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, grp TEXT, status TEXT NOT NULL,
            message TEXT, device TEXT, spec TEXT NOT NULL, config TEXT NOT NULL, created_at TEXT NOT NULL,
            started_at TEXT, finished_at TEXT);
        CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
            epoch REAL, train_loss REAL, train_error REAL, test_error REAL, lr REAL, images_per_s REAL,
            grad_norms TEXT, extra TEXT);
        INSERT INTO runs (name, status, message, spec, config, created_at) VALUES
            ('old', 'finished', '5 steps', '{}', '{}', '2024-01-01T00:00:00+00:00'),
            ('orphan', 'running', NULL, '{}', '{}', '2024-01-01T00:00:00+00:00');
        INSERT INTO metrics (run_id, step, train_loss) VALUES (1, 5, 0.5);
        """
    )
    db.close()
    store = RunStore(path)
    assert store.run(1)["message"] == "5 steps" and store.metrics(1)["train_loss"].tolist() == [0.5]
    assert store.mark_interrupted() == 1 and store.run(2)["status"] == "stopped"  # no owner: a schema-1 leftover
    new = store.create_run("new", {}, {}, "cpu")
    assert store.mark_interrupted() == 0 and store.run(new)["status"] == "queued"
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
    db.close()
    RunStore(path).close()  # opening it again is a no-op


def test_a_store_from_a_newer_app_is_refused_readably(tmp_path):
    path = tmp_path / "runs.sqlite"
    RunStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(RuntimeError, match="newer version"):
        RunStore(path)


def test_concurrent_writers_and_readers_never_mix(store):
    runs = [store.create_run(f"r{i}", {}, {}, "cpu") for i in range(2)]
    errors: list[BaseException] = []
    start, stop = threading.Barrier(4), threading.Event()

    def write(index: int, run_id: int) -> None:
        try:
            start.wait()
            for step in range(200):
                value = 1000.0 * index + step
                row = {"step": step, "train_loss": value, "lr": float(index), "grad_norms": {f"run{index}": value}}
                assert store.log_metrics(run_id, [row])
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    def read() -> None:
        try:
            start.wait()
            while not stop.is_set():
                table = store.metrics(runs)
                for index, run_id in enumerate(runs):
                    assert (table[table["run_id"] == run_id]["lr"] == index).all()
                store.latest_metrics(runs[0])
                store.runs()
        except BaseException as err:  # pragma: no cover
            errors.append(err)

    threads = [threading.Thread(target=write, args=(i, r)) for i, r in enumerate(runs)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers + threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stop.set()
    for thread in readers:
        thread.join(timeout=60)
    assert not errors, errors
    for index, run_id in enumerate(runs):
        metrics = store.metrics(run_id)
        assert metrics["step"].tolist() == list(range(200))
        assert metrics["train_loss"].tolist() == [1000.0 * index + s for s in range(200)]
        assert metrics["grad_norms"].tolist() == [{f"run{index}": 1000.0 * index + s} for s in range(200)]
    assert store.runs().set_index("id")["last_step"].to_dict() == {runs[0]: 199, runs[1]: 199}


def test_two_processes_write_at_once(store):
    """The app and the command line may train into the same file at the same time."""
    mine, theirs = (store.create_run(name, {}, {}, "cpu") for name in ("app", "cli"))
    code = """
import sys
from resnet_viz.training.store import RunStore
store = RunStore(sys.argv[1])
print("ready", flush=True)
for step in range(200):
    store.log_metrics(int(sys.argv[2]), [{"step": step, "train_loss": 2.0}])
"""
    child = python(code, str(store.path), str(theirs), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    for step in range(200):
        store.log_metrics(mine, [{"step": step, "train_loss": 1.0}])
    assert child.wait(timeout=60) == 0, child.stderr.read()
    for run_id, value in ((mine, 1.0), (theirs, 2.0)):
        metrics = store.metrics(run_id)
        assert metrics["step"].tolist() == list(range(200)) and (metrics["train_loss"] == value).all()


def test_a_killed_writer_keeps_whole_committed_calls(tmp_path):
    path = tmp_path / "runs.sqlite"
    code = """
import os, sys, threading, time
from resnet_viz.training.store import RunStore
store = RunStore(sys.argv[1])
run = store.create_run("doomed", {}, {}, "cpu")
store.set_status(run, "running")
def log(first):
    store.log_metrics(run, [{"step": s, "train_loss": 1.0} for s in range(first, first + 5)])
for first in range(0, 50, 5):
    log(first)
print("logged 50", flush=True)
def forever():
    first = 50
    while True:
        log(first)
        first += 5
threading.Thread(target=forever, daemon=True).start()
time.sleep(0.3)
os._exit(1)  # killed mid-run, quite likely halfway through a transaction
"""
    child = python(code, str(path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 1 and out.strip() == "logged 50", err

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = RunStore(path)
    (run_id,) = store.runs()["id"].tolist()
    steps = store.metrics(run_id)["step"].tolist()
    assert len(steps) >= 50 and len(steps) % 5 == 0 and steps == list(range(len(steps)))  # whole calls only
    assert store.mark_interrupted() == 1 and store.run(run_id)["status"] == "stopped"
    assert store.log_metrics(run_id, [{"step": len(steps), "train_loss": 0.5}])  # writable again: no stale lock
    store.close()


def test_exports(store):
    a = store.create_run("alpha", {"depth": 8}, {"steps": 2}, "cpu", group="g")
    b = store.create_run("beta, with a comma", {"depth": 20}, {}, "cpu")
    store.log_metrics(a, [{"step": 5, "train_loss": 0.25, "grad_norms": {"fc": 0.1}}, {"step": 6, "train_loss": None}])
    store.log_metrics(b, [{"step": 1, "train_loss": 3.0, "extra": {"eval_seconds": 0.5}}])

    data = json.loads(store.export_json([a, b]))  # strict JSON: json.loads would accept NaN, so check the text
    assert "NaN" not in store.export_json([a, b])
    alpha, beta = data["runs"]
    assert alpha["name"] == "alpha" and alpha["spec"] == {"depth": 8} and alpha["group"] == "g"
    assert [m["step"] for m in alpha["metrics"]] == [5, 6] and alpha["metrics"][0]["grad_norms"] == {"fc": 0.1}
    assert alpha["metrics"][1]["train_loss"] is None and beta["metrics"][0]["extra"] == {"eval_seconds": 0.5}
    assert json.loads(store.export_json(a))["runs"][0]["id"] == a

    csv = store.export_csv([a, b]).splitlines()
    assert csv[0] == "run_id,run_name,step,epoch,train_loss,train_error,test_error,lr,images_per_s,grad_norms,extra"
    assert len(csv) == 4 and csv[1].startswith(f"{a},alpha,5,") and '"beta, with a comma"' in csv[3]
    with pytest.raises(KeyError):
        store.export_csv([a, 12345])


class NotPlain:
    """Something `load_checkpoint` refuses: loading it would mean running arbitrary pickled code."""


def test_checkpoints(store):
    run = store.create_run("r", {"depth": 8}, {}, "cpu")
    assert store.checkpoint_path(run) == store.path.parent / "checkpoints" / f"run_{run}.pt"
    with pytest.raises(FileNotFoundError, match="no saved weights"):
        store.load_checkpoint(run)
    state = {"spec": {"depth": 8}, "model": {"w": torch.arange(4.0), "n": torch.tensor(3)}, "classes": ["a", "b"]}
    path = store.save_checkpoint(run, state)
    assert path == store.checkpoint_path(run) and [p.name for p in path.parent.iterdir()] == [path.name]  # no tmp
    loaded = store.load_checkpoint(run)
    assert torch.equal(loaded["model"]["w"], torch.arange(4.0)) and loaded["classes"] == ["a", "b"]
    store.save_checkpoint(run, state | {"classes": ["c"]})  # replaced in place
    assert store.load_checkpoint(run)["classes"] == ["c"]

    other = store.create_run("unsafe", {}, {}, "cpu")
    store.save_checkpoint(other, {"thing": NotPlain()})
    with pytest.raises(ValueError, match="other than tensors"):
        store.load_checkpoint(other)

    assert store.delete(run)
    assert not path.exists()
    with pytest.raises(FileNotFoundError, match="no saved weights"):
        store.load_checkpoint(run)


def test_close_closes_every_threads_connection_and_the_store_reopens(store):
    run = store.create_run("r", {}, {}, "cpu")
    worker = threading.Thread(target=store.log_metrics, args=(run, [{"step": 1}]))
    worker.start()
    worker.join()
    assert len(store._connections) == 2  # this thread's and the worker's
    store.close()
    assert not store._connections
    assert store.metrics(run)["step"].tolist() == [1]  # a fresh connection
