"""Cached loader for the 'can a plain net learn the identity?' experiment on a trained plain run."""

from __future__ import annotations

import streamlit as st

from .training import run_queue


@st.cache_data(show_spinner=False, max_entries=8)
def identity_table(run_id: int, finished_at: str, extra: int, steps: int):
    """`identity_insertion.run_identity_experiment` of one finished run (``finished_at`` keys the cache)."""
    from resnet_viz.probes.identity_insertion import run_identity_experiment

    return run_identity_experiment(run_queue().store, run_id, extra=extra, steps=steps)


def trained_plain_runs(runs):
    """The finished plain basic-block runs of a `RunStore.runs` frame: the nets the experiment can deepen."""

    def plain_basic(spec) -> bool:
        return isinstance(spec, dict) and not spec.get("residual", True) and spec.get("block") == "basic"

    return runs[(runs["status"] == "finished") & runs["spec"].map(plain_basic)]
