"""Cached loader for the Gradient-flow page: plain vs residual gradient tables at initialisation."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _


def gradient_tables(depth: int, batchnorm: bool, seed: int):
    """{"plain-N": table, "ResNet-N": table}; raises ModelTooLargeError for a depth that would not fit.

    A spinner in the page names the two networks while they run (over a minute at depth 1202 on a CPU).
    """
    if batchnorm:
        text = _("Forward and backward through plain-{depth} and ResNet-{depth} (with BatchNorm)…")
    else:
        text = _("Forward and backward through plain-{depth} and ResNet-{depth} (without BatchNorm)…")
    text = text.format(depth=depth)
    if depth >= 650:
        text = _("{sentence} {next_sentence}").format(
            sentence=text, next_sentence=_("The deepest nets take a minute or more on a CPU.")
        )
    with st.spinner(text):
        return _gradient_tables(depth, batchnorm, seed)


@st.cache_data(show_spinner=False, max_entries=16)
def _gradient_tables(depth: int, batchnorm: bool, seed: int):
    from resnet_viz.probes.gradients import plain_vs_residual

    return plain_vs_residual(depth, batchnorm, seed)


def newest_plain_and_residual(runs) -> list[int]:
    """The ids of the newest finished plain run and the newest finished residual run (either may be missing)."""
    finished = runs[runs["status"] == "finished"]
    residual = finished["spec"].map(lambda spec: bool(spec.get("residual", True)) if isinstance(spec, dict) else True)
    return [int(finished.loc[residual == r, "id"].iloc[0]) for r in (False, True) if (residual == r).any()]
