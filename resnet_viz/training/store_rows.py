"""How runs and metric rows cross between Python and the run store's SQLite tables.

The columns `RunStore` reads and writes, and the conversions both ways: dicts to JSON text, numbers
to REAL or NULL (missing, NaN and infinite values alike, so a diverged run's loss reads back as NaN),
and SQLite rows back to the dicts and tables `RunStore` returns.
"""

from __future__ import annotations

import json
import math
import numbers
import sqlite3
from collections.abc import Iterable
from typing import Any

from ..messages import Message

METRIC_COLUMNS = ["step", "epoch", "train_loss", "train_error", "test_error", "lr", "images_per_s"]
METRICS_TABLE_COLUMNS = ["run_id", *METRIC_COLUMNS, "grad_norms", "extra"]  # what `RunStore.metrics` returns
ROW_KEYS = frozenset([*METRIC_COLUMNS, "grad_norms", "extra"])  # what a `log_metrics` row may hold
# "message" is the run's message in English; "message_data" the same as a `Message` (None without one), which a
# page shows in its reader's language.
RUN_COLUMNS = ["id", "name", "group", "status", "message", "device", "created_at", "started_at", "finished_at",
               "last_step", "spec", "config", "message_data"]  # fmt: skip


def id_list(run_ids: int | Iterable[int]) -> list[int]:
    """One run id or several, as a list of ints."""
    return [int(run_ids)] if isinstance(run_ids, numbers.Integral) else [int(i) for i in run_ids]


def json_text(value: dict, what: str) -> str:
    """A run's ``what`` ("spec", "config") as JSON text; ValueError if it is not JSON-ready."""
    try:
        return json.dumps(value)
    except TypeError as err:
        raise ValueError(f"The run's {what} must be JSON-ready (dicts, lists, str, numbers): {err}") from None


def metric_values(run_id: int, row: dict) -> tuple:
    """One metric row as the values of an INSERT into `METRICS_TABLE_COLUMNS`, after checking its keys."""
    if not isinstance(row, dict) or "step" not in row:
        raise ValueError(f"Each metric row must be a dict with a 'step'; got {row!r}.")
    unknown = sorted(set(row) - ROW_KEYS)
    if unknown:
        raise ValueError(f"Unknown metric(s) {', '.join(unknown)}; a row may hold {', '.join(sorted(ROW_KEYS))}.")
    norms = row.get("grad_norms")
    norms = json.dumps({str(k): _finite(v) for k, v in norms.items()}) if norms is not None else None
    extra = row.get("extra")
    extra = json.dumps(extra, default=_plain) if extra is not None else None
    return (run_id, int(row["step"]), *(_finite(row.get(c)) for c in METRIC_COLUMNS[1:]), norms, extra)


def run_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A `runs` row (with its last_step) as a dict with the keys of `RUN_COLUMNS`, spec and config as dicts."""
    data = dict(row)
    data["group"] = data.pop("grp")
    data["spec"], data["config"] = json.loads(data["spec"]), json.loads(data["config"])
    data["last_step"] = int(data["last_step"] or 0)
    data["message_data"] = Message.stored(data["message"], data.pop("message_values"))
    data["message"] = data["message_data"].english() if data["message_data"] is not None else None
    return {key: data[key] for key in RUN_COLUMNS}


def metric_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A `metrics` row as a dict, grad_norms and extra as dicts (or None)."""
    data = dict(row)
    for key in ("grad_norms", "extra"):
        data[key] = json.loads(data[key]) if data[key] is not None else None
    return data


def json_value(value: Any) -> Any:
    """A DataFrame cell as a strict-JSON value: NaN and non-finite numbers become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value  # numpy scalars


def _finite(value: Any) -> float | None:
    """A float, or None for missing, NaN and infinite values (SQLite would store NaN as NULL anyway)."""
    if value is None:
        return None
    value = float(value)  # also numpy and 0-d torch scalars
    return value if math.isfinite(value) else None


def _plain(value: Any) -> Any:
    """JSON fallback for numpy / torch scalars in "extra"; anything else becomes its text."""
    return value.item() if hasattr(value, "item") else str(value)
