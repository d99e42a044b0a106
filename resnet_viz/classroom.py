"""The class's answers to the Lesson's predictions: anonymous counts per (step, choice), shared by every session.

A teacher serving the app to a room sees how the room answered each step's question. Only counts are stored:
one row per (step, choice) with how many answers it got; no session id, no name, no address, no time, so
nothing identifies who answered. The file sits beside the run store (``$RESNET_VIZ_HOME/lesson_answers.sqlite``,
see `training.store.default_store_path`). Torch-free and streamlit-free.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from .training.store import default_store_path

FILE_NAME = "lesson_answers.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answer_counts (
    step TEXT NOT NULL,      -- the step's key ("degradation")
    choice TEXT NOT NULL,    -- the choice's key ("plain-56")
    count INTEGER NOT NULL,  -- how many answers it got, from anyone
    PRIMARY KEY (step, choice)
)
"""


def default_path() -> Path:
    """``lesson_answers.sqlite`` in the run store's folder."""
    return default_store_path().parent / FILE_NAME


class AnswerCounts:
    """Counts of answers per (step, choice) in one SQLite file; every call opens its own connection, so any
    thread or session may call it."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode (each statement is its own transaction), closed afterwards."""
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            yield db

    def record(self, step: str, choice: str) -> None:
        """Count one answer ``choice`` to ``step``'s question."""
        with self._db() as db:
            db.execute(
                "INSERT INTO answer_counts (step, choice, count) VALUES (?, ?, 1) "
                "ON CONFLICT (step, choice) DO UPDATE SET count = count + 1",
                (step, choice),
            )

    def counts(self, step: str) -> dict[str, int]:
        """{choice: count} of ``step``'s answers so far (choices nobody picked are absent)."""
        with self._db() as db:
            rows = db.execute("SELECT choice, count FROM answer_counts WHERE step = ?", (step,)).fetchall()
        return {choice: int(count) for choice, count in rows}

    def reset(self, step: str | None = None) -> None:
        """Forget the answers to ``step`` (None: to every step)."""
        with self._db() as db:
            if step is None:
                db.execute("DELETE FROM answer_counts")
            else:
                db.execute("DELETE FROM answer_counts WHERE step = ?", (step,))
