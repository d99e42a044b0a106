"""The run store: training runs and their metrics in an embedded SQLite file that survives restarts.

Who uses it: one training worker thread per run writes (status, metric rows, a checkpoint), while
Streamlit pages read from other threads every second, and the command line may train in another
process on the same file. The design follows from that:

* **One connection per thread.** SQLite connections are cheap; a private one per thread means no
  thread ever waits for another's query. WAL journaling lets readers read while a writer writes.
  Connections of threads that have ended (Streamlit starts a thread per script run) are closed
  the next time a thread connects.
* **Writes are short ``BEGIN IMMEDIATE`` transactions,** queued on an in-process lock (so this
  process's writers never spin in SQLite's busy handler) and on ``busy_timeout`` against other
  processes. Every `RunStore.log_metrics` call is one transaction: a killed process loses at most
  the call in flight, never half of one, and committed rows survive (``synchronous=NORMAL`` in WAL
  mode is durable against a process crash; only a power cut can lose the last commits).
* **Runs never mix:** every metric row carries its run's id, and ids are never reused
  (``AUTOINCREMENT``), so late writes for a deleted run cannot land in a newer one.
* **A run deleted while it trains cannot crash its worker:** the worker's writes for it
  (`set_status`, `log_metrics`, `save_checkpoint`) are dropped and return False. Reads and user
  edits of a missing run raise a readable ``KeyError``.

* **Every queued or running run has an owner:** the process (pid, its start time, host name) that
  created or runs it, and a heartbeat that `log_metrics` and `heartbeat` refresh. `mark_interrupted`
  marks only runs whose owner is gone (on this host: the process has ended; elsewhere: no heartbeat
  for `HEARTBEAT_TIMEOUT_S`), so an app starting up never touches a command-line run that trains in
  another process, and a run whose process was killed is found on the next call (`store_owners`).

Checkpoints (final weights) live beside the database in ``checkpoints/run_<id>.pt``. How rows are turned
into SQLite values and back (JSON text, NULL for non-finite numbers) is in `store_rows`.

Schema history: 1, the first; 2 added ``owner_pid``, ``owner_start``, ``owner_host`` and ``heartbeat_at``
to ``runs``; 3 added ``renamed`` (see `same_experiment`) and ``message_values``: a message is stored as data,
its English template in ``message`` and its values as JSON (`resnet_viz.messages.Message`), so each reader
sees it in their language. An older file is migrated in place (``ALTER TABLE``) when opened; its messages,
already filled in, read as they were written.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..i18n import N_, _
from ..messages import Message
from .store_owners import HEARTBEAT_TIMEOUT_S, owner_gone, this_process
from .store_rows import (
    METRIC_COLUMNS,
    METRICS_TABLE_COLUMNS,
    RUN_COLUMNS,
    id_list,
    json_text,
    json_value,
    metric_dict,
    metric_values,
    run_dict,
)

RUN_STATUSES = ("queued", "running", "finished", "stopped", "diverged", "failed")
FINAL_STATUSES = ("finished", "stopped", "diverged", "failed")  # these set finished_at
INTERRUPTED = N_("interrupted: the process running it ended (app restarted, killed or crashed)")
SCHEMA_VERSION = 3
_OWNER_COLUMNS = (("owner_pid", "INTEGER"), ("owner_start", "TEXT"), ("owner_host", "TEXT"), ("heartbeat_at", "REAL"))
_SCHEMA_3_COLUMNS = (("message_values", "TEXT"), ("renamed", "INTEGER NOT NULL DEFAULT 0"))
BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another process's write before giving up

# "grp" because GROUP is an SQL keyword; the Python side calls it "group".
_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version SELECT {SCHEMA_VERSION} WHERE NOT EXISTS (SELECT 1 FROM schema_version);
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
    finished_at TEXT,
    owner_pid INTEGER,   -- the process that queued or runs it (schema 2)
    owner_start TEXT,    -- that process's start time, so a reused pid is not taken for it
    owner_host TEXT,
    heartbeat_at REAL,   -- Unix time of the owner's last sign of life
    message_values TEXT, -- JSON values that fill the template in ``message`` (schema 3; NULL: none)
    renamed INTEGER NOT NULL DEFAULT 0  -- 1 once a user renamed it: a launch no longer joins it (schema 3)
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    epoch REAL, train_loss REAL, train_error REAL, test_error REAL, lr REAL, images_per_s REAL,
    grad_norms TEXT,
    extra TEXT
);
CREATE INDEX IF NOT EXISTS metrics_run_step ON metrics(run_id, step);
COMMIT;
"""
_RUN_SELECT = "SELECT r.*, (SELECT MAX(step) FROM metrics m WHERE m.run_id = r.id) AS last_step FROM runs r"
_METRIC_SELECT = f"SELECT {', '.join(METRICS_TABLE_COLUMNS)} FROM metrics"


def default_store_path() -> Path:
    """``$RESNET_VIZ_HOME/runs.sqlite`` if that variable is set, else ``~/.local/share/resnet_viz/runs.sqlite``."""
    home = os.environ.get("RESNET_VIZ_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".local" / "share" / "resnet_viz"
    return base / "runs.sqlite"


class RunStore:
    """Runs, metrics and checkpoints of training runs, safe to share between threads (see the module docstring).

    Args:
        path: the SQLite file; created with its folders if missing. None = `default_store_path()`.

    Raises:
        RuntimeError: the file was written by a newer version of this app (a newer schema).
    """

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()  # one writer at a time within this process
        self.writes = 0  # transactions this object committed: a cache of what it holds is fresh while this stays
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._connections_lock = threading.Lock()
        db = self._db()
        db.execute("PRAGMA journal_mode=WAL")  # persistent: stored in the file once set
        with self._write_lock:
            db.executescript(_SCHEMA)
        version = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            self._migrate()
        elif version > SCHEMA_VERSION:
            raise RuntimeError(
                _(
                    "The run store {path} was written by a newer version of resnet_viz (schema {version}; this "
                    "version reads schema {supported}). Update the app, or set RESNET_VIZ_HOME to use another folder."
                ).format(path=self.path, version=version, supported=SCHEMA_VERSION)
            )

    def _migrate(self) -> None:
        """Bring an older file up to `SCHEMA_VERSION` in one transaction (another process may race us: re-check)."""
        with self._write() as db:  # adding only the columns that are missing is the re-check
            have = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
            for column, kind in _OWNER_COLUMNS + _SCHEMA_3_COLUMNS:  # schema 2, then 3
                if column not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
            db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # ------------------------------------------------------------------ connections
    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        thread = threading.current_thread()
        with self._connections_lock:
            db = self._connections.get(thread)
            if db is None:
                for other in [t for t in self._connections if not t.is_alive()]:
                    self._connections.pop(other).close()
                # isolation_level=None: no implicit transactions; `_write` opens them explicitly.
                # check_same_thread=False only so that `close` may close every thread's connection.
                db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                db.row_factory = sqlite3.Row
                db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                db.execute("PRAGMA foreign_keys=ON")
                db.execute("PRAGMA synchronous=NORMAL")
                self._connections[thread] = db
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it."""
        db = self._db()
        with self._write_lock:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now, not halfway through
            try:
                yield db
                db.execute("COMMIT")
                self.writes += 1
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        """One SELECT; a single statement sees one consistent snapshot, so no transaction is needed."""
        return self._db().execute(sql, args).fetchall()

    def close(self) -> None:
        """Close every thread's connection. Call it when no thread uses the store any more.

        A later call on the store opens a fresh connection, so closing is never fatal.
        """
        with self._connections_lock:
            for db in self._connections.values():
                db.close()
            self._connections.clear()

    # ------------------------------------------------------------------ runs
    def create_run(self, name: str, spec: dict, config: dict, device: str, group: str | None = None) -> int:
        """A new run with status "queued"; returns its id.

        ``group`` tags runs launched together (one comparison of a lab page) so they can be listed together.
        """
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (name, grp, status, device, spec, config, created_at, "
                "owner_pid, owner_start, owner_host, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    group,
                    "queued",
                    device,
                    json_text(spec, "spec"),
                    json_text(config, "config"),
                    _now(),
                    *this_process(),
                ),
            )
            run_id = int(cursor.lastrowid)
        # A checkpoint with this id can only be left from a database file that was deleted and recreated.
        self.checkpoint_path(run_id).unlink(missing_ok=True)
        return run_id

    def set_status(self, run_id: int, status: str, message: str | Message | None = None) -> bool:
        """Set a run's status and message; returns False if the run no longer exists.

        ``message``: a `Message` (its template and values are stored apart, so each reader sees it in their
        language) or a plain msgid (``N_``) or other text, stored as it is.

        "running" stamps started_at (and clears finished_at) and makes this process the run's owner
        (see `mark_interrupted`); the final statuses stamp finished_at.

        Raises:
            ValueError: ``status`` is not one of `RUN_STATUSES`.
        """
        if status not in RUN_STATUSES:
            raise ValueError(f"Unknown run status {status!r}; expected one of: {', '.join(RUN_STATUSES)}.")
        now = _now()
        if status == "running":
            stamps = (
                "started_at = ?, finished_at = NULL, owner_pid = ?, owner_start = ?, owner_host = ?, heartbeat_at = ?"
            )
            args = (now, *this_process())
        elif status in FINAL_STATUSES:
            stamps, args = "finished_at = ?", (now,)
        else:  # back to the queue: not started, not finished
            stamps, args = "started_at = NULL, finished_at = NULL", ()
        message = Message.of(message)
        template, values = (message.template, message.values_json()) if message is not None else (None, None)
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE runs SET status = ?, message = ?, message_values = ?, {stamps} WHERE id = ?",
                (status, template, values, *args, run_id),
            )
            return cursor.rowcount == 1

    def rename(self, run_id: int, name: str) -> None:
        """Give a run a new name.

        Raises:
            KeyError: there is no such run.
        """
        with self._write() as db:
            if db.execute("UPDATE runs SET name = ?, renamed = 1 WHERE id = ?", (name, run_id)).rowcount == 0:
                raise KeyError(_missing(run_id))

    def same_experiment(self, spec: dict, config: dict) -> list[dict[str, Any]]:
        """Runs of exactly this spec and config (dataset and seed included) that a new launch would repeat: queued,
        training or finished, never renamed by a user; newest first, as `run` dicts."""
        rows = self._read(
            f"{_RUN_SELECT} WHERE r.spec = ? AND r.config = ? AND r.renamed = 0 "
            "AND r.status IN ('queued', 'running', 'finished') ORDER BY r.id DESC",
            (json_text(spec, "spec"), json_text(config, "config")),
        )
        return [run_dict(r) for r in rows]

    def delete(self, run_id: int) -> bool:
        """Delete a run with its metrics and checkpoint; returns False if there was no such run.

        Stop the run's worker first if it is still training; its later writes are dropped anyway.
        """
        with self._write() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))  # also done by the cascade
            deleted = db.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount == 1
            # Under the write lock, so a `save_checkpoint` finishing right now cannot bring the file back.
            self.checkpoint_path(run_id).unlink(missing_ok=True)
        return deleted

    def heartbeat(self, run_id: int) -> bool:
        """Record that the run's owner is alive now (one short write); returns False if the run no longer exists.

        `log_metrics` does this too, so a training loop that logs every few steps needs no other call.
        """
        with self._write() as db:
            return db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id)).rowcount == 1

    def mark_interrupted(self, stale_after: float = HEARTBEAT_TIMEOUT_S) -> int:
        """Runs left "queued" or "running" by a process that is gone become "stopped" with message `INTERRUPTED`.

        A run's owner is gone when it ran on this host and its process has ended (or the pid now belongs
        to another process), or when it ran on another host and sent no heartbeat for ``stale_after``
        seconds; runs without an owner (written by schema 1) count as gone. Runs of live processes,
        this one included, are left alone, so this is safe to call at any time, e.g. whenever runs are
        listed: it is one read, and a write only when there is something to mark.

        Returns how many runs were marked.
        """
        owners = "SELECT id, owner_pid, owner_start, owner_host, heartbeat_at FROM runs"
        rows = self._read(f"{owners} WHERE status IN ('queued', 'running')")
        host, now = socket.gethostname(), time.time()
        gone = [row["id"] for row in rows if owner_gone(row, host, now, stale_after)]
        if not gone:
            return 0
        marks = ", ".join("?" * len(gone))
        with self._write() as db:  # the status is checked again: a run that has just finished keeps its result
            cursor = db.execute(
                f"UPDATE runs SET status = 'stopped', message = ?, message_values = NULL, finished_at = ? "
                f"WHERE status IN ('queued', 'running') AND id IN ({marks})",
                (INTERRUPTED, _now(), *gone),
            )
            return cursor.rowcount

    def runs(self, group: str | None = None) -> pd.DataFrame:
        """One row per run (of ``group`` if given), newest first; columns `RUN_COLUMNS`.

        spec and config are dicts; last_step is the last logged step (0 before the first).
        """
        where, args = (" WHERE r.grp = ?", (group,)) if group is not None else ("", ())
        rows = self._read(f"{_RUN_SELECT}{where} ORDER BY r.id DESC", args)
        table = pd.DataFrame([run_dict(r) for r in rows], columns=RUN_COLUMNS)
        return table.astype({"id": "int64", "last_step": "int64"})

    def run(self, run_id: int) -> dict[str, Any]:
        """Everything about one run, as in a `runs` row, with spec and config as dicts.

        Raises:
            KeyError: there is no such run (never created, or deleted).
        """
        rows = self._read(f"{_RUN_SELECT} WHERE r.id = ?", (run_id,))
        if not rows:
            raise KeyError(_missing(run_id))
        return run_dict(rows[0])

    # ------------------------------------------------------------------ metrics
    def log_metrics(self, run_id: int, rows: list[dict]) -> bool:
        """Append metric rows to a run, all in one transaction; returns False if the run no longer exists.

        Each row holds "step" (int) and any of "epoch", "train_loss", "train_error", "test_error", "lr",
        "images_per_s" (float or None), "grad_norms" (dict name -> float) and "extra" (a JSON-ready dict).
        Missing values, NaN and infinities are stored as NULL (read back as NaN / None). Also refreshes the
        run's heartbeat (see `heartbeat`).

        Raises:
            ValueError: a row has no step or an unknown key (a typo would otherwise lose a metric silently).
        """
        values = [metric_values(run_id, row) for row in rows]
        with self._write() as db:
            if db.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (time.time(), run_id)).rowcount == 0:
                return False  # the run was deleted
            marks = ", ".join("?" * len(METRICS_TABLE_COLUMNS))
            db.executemany(f"INSERT INTO metrics ({', '.join(METRICS_TABLE_COLUMNS)}) VALUES ({marks})", values)
        return True

    def metrics(self, run_ids: int | Iterable[int], after_step: int = -1) -> pd.DataFrame:
        """The metrics of one or more runs (their rows past ``after_step`` only), sorted by run_id then step.

        Columns: run_id, step, the float metrics (NaN where missing), grad_norms and extra (dict or None).
        """
        ids = id_list(run_ids)
        where = f"WHERE run_id IN ({', '.join('?' * len(ids))}) AND step > ? ORDER BY run_id, step"
        rows = self._read(f"{_METRIC_SELECT} {where}", (*ids, after_step)) if ids else []
        table = pd.DataFrame([metric_dict(r) for r in rows], columns=METRICS_TABLE_COLUMNS)
        return table.astype({"run_id": "int64", "step": "int64"} | {c: "float64" for c in METRIC_COLUMNS[1:]})

    def latest_metrics(self, run_id: int) -> dict[str, Any] | None:
        """The row with the highest step of a run (None before its first), read without loading the others."""
        rows = self._read(f"{_METRIC_SELECT} WHERE run_id = ? ORDER BY step DESC LIMIT 1", (run_id,))
        return metric_dict(rows[0]) if rows else None

    def truncate_metrics(self, run_id: int, after_step: int) -> int:
        """Delete a run's metric rows past ``after_step`` (before it continues from a checkpoint at that step,
        so no step is logged twice); returns how many rows went."""
        with self._write() as db:
            return db.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", (run_id, after_step)).rowcount

    # ------------------------------------------------------------------ export
    def export_json(self, run_ids: int | Iterable[int]) -> str:
        """Runs and their metrics as one JSON document: ``{"runs": [{...run..., "metrics": [{...}, ...]}]}``.

        Strict JSON: missing values are null, never NaN.

        Raises:
            KeyError: one of the runs does not exist.
        """
        ids = id_list(run_ids)
        runs = [self.run(i) for i in ids]
        metrics = self.metrics(ids)
        for run in runs:
            run.pop("message_data")  # the message is there in English
            mine = metrics[metrics["run_id"] == run["id"]].drop(columns="run_id")
            run["metrics"] = [{k: json_value(v) for k, v in row.items()} for row in mine.to_dict("records")]
        return json.dumps({"runs": runs}, indent=1, allow_nan=False)

    def export_csv(self, run_ids: int | Iterable[int]) -> str:
        """Metrics as CSV, one line per logged step, with a run_name column; grad_norms and extra as JSON text.

        Raises:
            KeyError: one of the runs does not exist.
        """
        ids = id_list(run_ids)
        names = {i: self.run(i)["name"] for i in ids}
        metrics = self.metrics(ids)
        metrics.insert(1, "run_name", metrics["run_id"].map(names))
        for column in ("grad_norms", "extra"):
            metrics[column] = metrics[column].map(lambda d: json.dumps(d) if d is not None else "")
        buffer = io.StringIO()
        metrics.to_csv(buffer, index=False)
        return buffer.getvalue()

    # ------------------------------------------------------------------ checkpoints
    def checkpoint_path(self, run_id: int) -> Path:
        """Where a run's checkpoint lives: ``<store folder>/checkpoints/run_<id>.pt`` (it may not exist)."""
        return self.path.parent / "checkpoints" / f"run_{int(run_id)}.pt"

    def save_checkpoint(self, run_id: int, state: dict) -> Path | None:
        """Save ``state`` as the run's checkpoint, atomically: readers see the old file or the new, never half.

        Keep ``state`` to tensors and plain Python (dicts, lists, str, numbers) so that `load_checkpoint`
        can load it safely (``weights_only=True``). Returns the path, or None if the run was deleted meanwhile.
        """
        import torch  # here, so that listing runs does not pay for importing torch

        path = self.checkpoint_path(run_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=".tmp", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as file:
                torch.save(state, file)
                file.flush()
                os.fsync(file.fileno())  # on disk before it takes the real name
            with self._write_lock:  # `delete` unlinks under this lock: no checkpoint outlives its run
                if not self._read("SELECT 1 FROM runs WHERE id = ?", (run_id,)):
                    return None
                os.replace(tmp, path)
            return path
        finally:
            tmp.unlink(missing_ok=True)

    def load_checkpoint(self, run_id: int) -> dict:
        """A run's saved state, loaded to the CPU with ``weights_only=True`` (no arbitrary code runs).

        Raises:
            FileNotFoundError: the run has no checkpoint (it never started, or was deleted).
            ValueError: the file holds objects other than tensors and plain Python.
        """
        import torch

        path = self.checkpoint_path(run_id)
        if not path.exists():
            raise FileNotFoundError(
                _("Run #{id} has no saved weights (it may not have started, or was deleted).").format(id=run_id)
            )
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:
            raise ValueError(
                _(
                    "The checkpoint of run #{id} holds objects other than tensors and plain Python values, so it "
                    "is not loaded ({path}): {error}"
                ).format(id=run_id, path=path, error=err)
            ) from None


# ---------------------------------------------------------------------- helpers
def _now() -> str:
    """The current time, UTC, as an ISO string (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _missing(run_id: int) -> str:
    return _("There is no run #{id} (it was never created, or has been deleted).").format(id=run_id)
