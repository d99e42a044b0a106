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
