"""The app's one training queue and run store, shared by every session, and the runs in it now."""

from __future__ import annotations

import time

import streamlit as st

ACTIVE_STATUSES = ("queued", "running")

# Other processes (the command line) write to the store too; what they wrote shows within this many seconds.
FRESH_S = 1.0


@st.cache_resource(show_spinner=False)
def run_queue():
    """The app's one training queue and run store, shared by every session (runs are global)."""
    from resnet_viz.training.queue import RunQueue
    from resnet_viz.training.store import RunStore

    store = RunStore()
    store.mark_interrupted()  # runs a previous app process left behind
    return RunQueue(store)


def all_runs(group: str | None = None):
    """`RunStore.runs` (of ``group`` if given) as the store holds them now, read once for every tab and redraw.

    Every open tab's live panel redraws every few seconds, and one redraw wanted the runs five times (progress
    rows, forecast, curves, "still active?"), each a read that decodes every run ever stored. Now the table is read
    again only after this server wrote to the store, or `FRESH_S` later for what other processes wrote. Runs whose
    process is gone (killed, crashed) are marked interrupted first (at most once in `FRESH_S`), so none stays
    "running". Shared by every tab: read it, never change it in place.
    """
    store = run_queue().store
    bucket = int(time.monotonic() / FRESH_S)
    _mark_gone(bucket)
    runs = _runs_at(store.writes, bucket)
    return runs if group is None else runs[runs["group"] == group]


def active_runs(group: str | None = None):
    """Runs queued or training now, in this server's queue or another process (the command line)."""
    runs = all_runs(group)
    return runs[runs["status"].isin(ACTIVE_STATUSES)]


@st.cache_resource(show_spinner=False, max_entries=1)
def _mark_gone(bucket: int) -> int:
    """`RunStore.mark_interrupted`, once per ``bucket`` (the cache key): how many runs it marked."""
    return run_queue().store.mark_interrupted()


@st.cache_resource(show_spinner=False, max_entries=2)
def _runs_at(writes: int, bucket: int):
    """Every run, read when the store had committed ``writes`` transactions, in time ``bucket`` (the cache key)."""
    return run_queue().store.runs()


def run_metrics(runs):
    """`RunStore.metrics` of ``runs`` (rows of `RunStore.runs`), read again only when one of them logged a step or
    changed status (a run's last rows, e.g. its final evaluation, are in the store before it is marked finished).

    Live panels redraw every few seconds in every open tab; reading and decoding every metric row each time
    (gradient norms included) cost the training threads in the same process most of their time (issue 21). A run
    that logged more steps has only its new rows read (`_run_rows`).
    """
    return _metrics_at(tuple((int(r["id"]), int(r["last_step"]), r["status"]) for r in runs.to_dict("records")))


# A resource, not data: st.cache_data would unpickle the table (its dicts of gradient norms too) on every
# redraw. Shared by every tab: read it, never change it in place.
@st.cache_resource(show_spinner=False, max_entries=256)
def _metrics_at(runs_now: tuple):
    """The metrics of these runs ((id, last step, status) each, the cache key) as they were then."""
    import pandas as pd

    parts = [_run_rows(run_id, status) for run_id, _step, status in runs_now]
    if not parts:
        return run_queue().store.metrics([])
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


ROWS_KEPT = 64  # runs whose metric rows `_run_rows` keeps to extend: the ones being watched


def _run_rows(run_id: int, status: str):
    """One run's metric rows now: what was read before, extended by the rows logged since (all of them again
    after its status changed: a finished run's last rows, a resumed run's rows past its checkpoint removed)."""
    import pandas as pd

    store, (held, lock) = run_queue().store, _rows_held()
    with lock:
        before = held.pop(run_id, None)
    if before is not None and before[1] == status:
        seen, rows = before[0], before[2]
        new = store.metrics(run_id, after_step=seen)
        rows = pd.concat([rows, new], ignore_index=True) if len(new) else rows
    else:
        rows = store.metrics(run_id)
    with lock:
        held[run_id] = (int(rows["step"].max()) if len(rows) else -1, status, rows)
        while len(held) > ROWS_KEPT:
            held.pop(next(iter(held)))
    return rows


@st.cache_resource(show_spinner=False)
def _rows_held():
    """{run id: (highest step read, status then, rows)} for `_run_rows`, newest last, and its lock."""
    import threading

    return {}, threading.Lock()
