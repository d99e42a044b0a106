"""The run store: runs and their metrics in an embedded SQLite database that survives restarts.

One writer thread per run (the training worker) and any number of readers (pages polling every
second) share it. Each thread gets its own connection; WAL journaling lets readers read while a
writer writes, and every `log_metrics` call is one transaction, so a killed process loses at most
the rows of the call in flight. Final weights live beside the database in ``checkpoints/``.
"""

from __future__ import annotations

import io
import json
import numbers
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

RUN_STATUSES = ("queued", "running", "finished", "stopped", "diverged", "failed")
METRIC_COLUMNS = ["step", "epoch", "train_loss", "train_error", "test_error", "lr", "images_per_s"]
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    grp TEXT,
    status TEXT NOT NULL,
    message TEXT,
    device TEXT,
    spec TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch REAL, train_loss REAL, train_error REAL, test_error REAL, lr REAL, images_per_s REAL,
    grad_norms TEXT,
    extra TEXT
);
CREATE INDEX IF NOT EXISTS metrics_run_step ON metrics(run_id, step);
"""


def default_store_path() -> Path:
    """$RESNET_VIZ_HOME/runs.sqlite, else ~/.local/share/resnet_viz/runs.sqlite."""
    home = os.environ.get("RESNET_VIZ_HOME")
    base = Path(home) if home else Path.home() / ".local" / "share" / "resnet_viz"
    return base / "runs.sqlite"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _finite(value: Any) -> float | None:
    """SQLite stores NaN as NULL anyway; say so explicitly and keep infinities out too."""
    if value is None:
        return None
    value = float(value)
    return value if value == value and abs(value) != float("inf") else None


class RunStore:
    """Runs, metrics and checkpoints of training runs (see the module docstring)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()  # serialises writers; SQLite's busy timeout covers other processes
        self._connect()
        with self._lock:
            self._local.db.executescript(_SCHEMA)  # its own transaction
        with self._connect() as db:
            if db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))

    # ------------------------------------------------------------------ connections
    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return _Transaction(db, self._lock)

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._connect() as db:
            return db.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # ------------------------------------------------------------------ runs
    def create_run(self, name: str, spec: dict, config: dict, device: str, group: str | None = None) -> int:
        """A new run with status "queued"; returns its id."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO runs (name, grp, status, device, spec, config, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, group, "queued", device, json.dumps(spec), json.dumps(config), _now()),
            )
            return int(cursor.lastrowid)

    def set_status(self, run_id: int, status: str, message: str | None = None) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"Unknown run status {status!r}; one of {', '.join(RUN_STATUSES)}.")
        stamp = "started_at" if status == "running" else "finished_at" if status != "queued" else None
        with self._connect() as db:
            db.execute("UPDATE runs SET status = ?, message = ? WHERE id = ?", (status, message, run_id))
            if stamp:
                db.execute(f"UPDATE runs SET {stamp} = ? WHERE id = ?", (_now(), run_id))

    def rename(self, run_id: int, name: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))

    def delete(self, run_id: int) -> None:
        """Delete a run, its metrics and its checkpoint."""
        with self._connect() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self.checkpoint_path(run_id).unlink(missing_ok=True)

    def mark_interrupted(self) -> int:
        """Runs left queued or running by a process that died become "stopped". Returns how many."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE runs SET status = 'stopped', finished_at = ?, "
                "message = 'interrupted: the app stopped while this run was in progress' "
                "WHERE status IN ('queued', 'running')",
                (_now(),),
            )
            return cursor.rowcount

    def runs(self, group: str | None = None) -> pd.DataFrame:
        """One row per run, newest first; spec and config as dicts, last_step from the metrics."""
        sql = (
            "SELECT r.*, (SELECT MAX(step) FROM metrics m WHERE m.run_id = r.id) AS last_step FROM runs r"
            + (" WHERE r.grp = ?" if group is not None else "")
            + " ORDER BY r.id DESC"
        )
        rows = [self._run_dict(r) for r in self._query(sql, (group,) if group is not None else ())]
        columns = ["id", "name", "group", "status", "message", "device", "created_at", "started_at",
                   "finished_at", "last_step", "spec", "config"]  # fmt: skip
        table = pd.DataFrame(rows, columns=columns)
        table["last_step"] = table["last_step"].fillna(0).astype(int)
        return table

    def run(self, run_id: int) -> dict[str, Any]:
        rows = self._query(
            "SELECT r.*, (SELECT MAX(step) FROM metrics m WHERE m.run_id = r.id) AS last_step FROM runs r WHERE id = ?",
            (run_id,),
        )
        if not rows:
            raise KeyError(f"There is no run #{run_id}.")
        return self._run_dict(rows[0])

    @staticmethod
    def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
        data = dict(row)
        data["group"] = data.pop("grp")
        data["spec"], data["config"] = json.loads(data["spec"]), json.loads(data["config"])
        data["last_step"] = int(data["last_step"] or 0)
        return data

    # ------------------------------------------------------------------ metrics
    def log_metrics(self, run_id: int, rows: list[dict]) -> None:
        """Append metric rows (one transaction). Missing values are stored as NULL."""
        values = [
            (
                run_id,
                int(row["step"]),
                *(_finite(row.get(c)) for c in METRIC_COLUMNS[1:]),
                json.dumps(row["grad_norms"]) if row.get("grad_norms") is not None else None,
                json.dumps(row["extra"]) if row.get("extra") is not None else None,
            )
            for row in rows
        ]
        with self._connect() as db:
            db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)

    def metrics(self, run_ids: int | list[int]) -> pd.DataFrame:
        """Metrics of one or more runs, sorted by run and step; grad_norms and extra as dicts."""
        ids = [int(run_ids)] if isinstance(run_ids, numbers.Integral) else [int(i) for i in run_ids]
        columns = ["run_id", *METRIC_COLUMNS, "grad_norms", "extra"]
        if not ids:
            return pd.DataFrame(columns=columns)
        marks = ",".join("?" * len(ids))
        rows = self._query(f"SELECT * FROM metrics WHERE run_id IN ({marks}) ORDER BY run_id, step", tuple(ids))
        table = pd.DataFrame([dict(r) for r in rows], columns=columns)
        for column in METRIC_COLUMNS[1:]:
            table[column] = table[column].astype(float)
        for column in ("grad_norms", "extra"):
            table[column] = table[column].map(lambda t: json.loads(t) if isinstance(t, str) else None)
        return table

    def latest_metrics(self, run_id: int) -> dict | None:
        table = self.metrics(run_id)
        return None if table.empty else table.iloc[-1].to_dict()

    def export_json(self, run_ids: list[int]) -> str:
        """Runs and their metrics as one JSON document."""
        runs = [self.run(i) for i in run_ids]
        metrics = self.metrics(run_ids)
        for run in runs:
            mine = metrics[metrics["run_id"] == run["id"]].drop(columns="run_id")
            run["metrics"] = json.loads(mine.to_json(orient="records"))
        return json.dumps({"runs": runs}, indent=1)

    def export_csv(self, run_ids: list[int]) -> str:
        """Metrics as CSV, one row per logged step, with the run's name."""
        metrics = self.metrics(run_ids)
        names = {i: self.run(i)["name"] for i in run_ids}
        metrics.insert(1, "run_name", metrics["run_id"].map(names))
        metrics["grad_norms"] = metrics["grad_norms"].map(lambda d: json.dumps(d) if d else "")
        metrics["extra"] = metrics["extra"].map(lambda d: json.dumps(d) if d else "")
        buffer = io.StringIO()
        metrics.to_csv(buffer, index=False)
        return buffer.getvalue()

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_path(self, run_id: int) -> Path:
        return self.path.parent / "checkpoints" / f"run_{int(run_id)}.pt"

    def save_checkpoint(self, run_id: int, state: dict) -> Path:
        """Save atomically: a reader never sees half a file."""
        import torch

        path = self.checkpoint_path(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)
        return path

    def load_checkpoint(self, run_id: int) -> dict:
        """The saved state (tensors and plain Python only: loaded with weights_only=True)."""
        import torch

        path = self.checkpoint_path(run_id)
        if not path.exists():
            raise FileNotFoundError(f"Run #{run_id} has no saved weights (it may not have started).")
        return torch.load(path, map_location="cpu", weights_only=True)


class _Transaction:
    """`with` block: one write transaction on ``db``, serialised with the store's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db, self.lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False
