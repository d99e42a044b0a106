"""Where the app's runs train when ``RESNET_VIZ_RAY`` names a Ray cluster: the device line and, when the cluster did
not answer at start-up, a banner on every page (the runs then train on this server)."""

from __future__ import annotations

import os

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.training.ray_cluster import RAY_ENV


def cluster_state():
    """(the connected `RayCluster`, None), (None, why it did not answer), or None when no cluster is named."""
    if not os.environ.get(RAY_ENV, "").strip():
        return None
    from resnet_viz.training.ray_cluster import cluster_from_env

    return cluster_from_env()


def device_caption(here: str) -> str:
    """The device line's words: the cluster that trains the runs, or ``here`` (this server's device) saying that
    the cluster did not answer; just ``here`` when no cluster is named."""
    state = cluster_state()
    if state is None:
        return here
    cluster, _error = state
    if cluster is None:
        return _("{device} on this server (no Ray cluster answers at {address})").format(
            device=here, address=os.environ[RAY_ENV].strip()
        )
    if cluster.lost is not None:
        return _("{device} (the Ray cluster at {address} is gone: {error})").format(
            device=here, address=cluster.address, error=cluster.lost
        )
    resources = cluster.resources
    return _("Ray cluster at {address}: {gpus} GPU(s), {cpus} CPU(s)").format(
        address=cluster.address, gpus=int(resources.get("GPU", 0)), cpus=int(resources.get("CPU", 0))
    )


def banner() -> None:
    """A warning at the top of the page when the named cluster did not answer at start-up."""
    state = cluster_state()
    if state is None or state[0] is not None:
        return
    st.warning(
        _(
            "The Ray cluster named by RESNET_VIZ_RAY={address} cannot train the runs ({error}), so they train on "
            "this server. Start the cluster (`ray start --head`) or correct the address, then restart the app."
        ).format(address=os.environ[RAY_ENV].strip(), error=state[1]),
        icon="⚠️",
    )
