"""Cached loader for the Gradient-flow page: plain vs residual gradient tables at initialisation."""

from __future__ import annotations

import streamlit as st


@st.cache_data(show_spinner="Running a forward and backward pass through both networks…", max_entries=16)
def gradient_tables(depth: int, batchnorm: bool, seed: int):
    """{"plain-N": table, "ResNet-N": table}; raises ModelTooLargeError for a depth that would not fit."""
    from resnet_viz.gradients import plain_vs_residual

    return plain_vs_residual(depth, batchnorm, seed)
