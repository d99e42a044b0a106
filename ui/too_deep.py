"""What training ResNet-110 and ResNet-1202 would cost on this machine (the Degradation lab's "Too deep")."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz.formatting import human
from resnet_viz.i18n import _

from .forecast import device_name, measuring
from .run_queue import run_queue


@st.cache_data(show_spinner=False, max_entries=16, ttl=600)
def too_deep_costs(config):
    """`labs.too_deep` for ``config`` (a `TrainConfig`) on this machine (cached ten minutes)."""
    from resnet_viz.training.labs import too_deep

    return too_deep(config, run_queue().store, device_name(config))


def cost_table(settings: dict) -> None:
    """The two nets' size, published error and training time here, at the lab's settings and the paper's."""
    from resnet_viz.nets.spec import ResNetSpec
    from resnet_viz.training.budget import describe_seconds
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.labs import TOO_DEEP_DEPTHS

    nets = [ResNetSpec.from_depth(depth, style="cifar") for depth in TOO_DEEP_DEPTHS]
    with st.spinner(measuring(nets)):
        costs = too_deep_costs(TrainConfig(**settings))
    if (costs["estimate"] == "earlier runs").all():
        st.markdown(_("**What it would cost on this machine** (from earlier runs here):"))
    else:
        st.markdown(
            _("**What it would cost on this machine** (estimated from a measured step of ResNet-20 on this machine):")
        )
    lab_column = _("this lab's settings ({steps} steps)").format(steps=settings.get("steps"))
    st.dataframe(
        pd.DataFrame(
            {
                _("network"): [f"ResNet-{d}" for d in costs["depth"]],
                _("parameters"): costs["params"].map(human),
                _("paper test error %"): costs["paper_test_error"],
                lab_column: costs["lab_seconds"].map(describe_seconds),
                _("the paper's schedule (64k steps of 128 at 32 px)"): costs["paper_seconds"].map(describe_seconds),
            }
        ),
        hide_index=True,
        width="stretch",
    )
