"""Cached loader for the layer responses (He et al. 2015, Fig. 7) of a lab's finished runs."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _

from .training import run_queue


def response_table(runs):
    """`resnet_viz.probes.responses.run_responses` of these finished runs (a `RunStore.runs` frame), cached
    per run and finish time; None when a run has no checkpoint."""
    finished = runs[runs["status"] == "finished"]
    key = tuple((int(r["id"]), str(r["finished_at"])) for r in finished.to_dict("records"))
    with st.spinner(_("Measuring each 3x3 layer's response on the runs' test images…")):
        return _responses(key)


@st.cache_data(show_spinner=False, max_entries=16)
def _responses(key: tuple):
    from resnet_viz.probes.responses import run_responses

    try:
        return run_responses(run_queue().store, [run_id for run_id, _finished_at in key])
    except FileNotFoundError:
        return None
