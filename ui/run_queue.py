"""The app's one training queue and run store, shared by every session, and the runs in it now."""

from __future__ import annotations

import streamlit as st

ACTIVE_STATUSES = ("queued", "running")


@st.cache_resource(show_spinner=False)
def run_queue():
    """The app's one training queue and run store, shared by every session (runs are global)."""
    from resnet_viz.training.queue import RunQueue
    from resnet_viz.training.store import RunStore

    store = RunStore()
    store.mark_interrupted()  # runs a previous app process left behind
    return RunQueue(store)


def active_runs(group: str | None = None):
    """Runs queued or training now, in this server's queue or another process (the command line).

    Runs whose process is gone (killed, crashed) are marked interrupted first, so none stays "running".
    """
    store = run_queue().store
    store.mark_interrupted()
    runs = store.runs(group=group)
    return runs[runs["status"].isin(ACTIVE_STATUSES)]


def run_metrics(runs):
    """`RunStore.metrics` of ``runs`` (rows of `RunStore.runs`), read again only when one of them logged a step or
    changed status (a run's last rows, e.g. its final evaluation, are in the store before it is marked finished).

    Live panels redraw every few seconds in every open tab; reading and decoding every metric row each time
    (gradient norms included) cost the training threads in the same process most of their time (issue 21).
    """
    return _metrics_at(tuple((int(r["id"]), int(r["last_step"]), r["status"]) for r in runs.to_dict("records")))


# A resource, not data: st.cache_data would unpickle the table (its dicts of gradient norms too) on every
# redraw. Shared by every tab: read it, never change it in place.
@st.cache_resource(show_spinner=False, max_entries=256)
def _metrics_at(runs_now: tuple):
    """The metrics of these runs ((id, last step, status) each, the cache key) as they were then."""
    return run_queue().store.metrics([run_id for run_id, _step, _status in runs_now])
