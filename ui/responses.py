"""The layer responses (He et al. 2015, Fig. 7) of a lab's finished runs: the cached measurement and its section."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _

from .run_queue import run_queue


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


def layer_responses(runs) -> None:
    """The paper's Fig. 7 for a group's finished runs, with what the paper found beside it."""
    from resnet_viz.figures.responses import response_figure

    st.markdown(_("**Layer responses (the paper's Fig. 7)**"))
    table = response_table(runs)
    if table is None or table.empty:
        st.caption(_("The layer responses appear here once the runs have finished and saved their weights."))
        return
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.plotly_chart(response_figure(table), width="stretch", key="deg_responses")
    with right:
        st.markdown(
            _(
                "**What the paper saw** (CIFAR-10, Fig. 7): the standard deviation of each 3x3 layer's output, "
                "after BN and before the ReLU or the addition, for plain-20/56 and ResNet-20/56/110. The ResNets' "
                "responses are generally smaller than their plain twins', and the deeper the ResNet, the smaller: "
                '*"the residual functions might be generally closer to zero than the non-residual functions"*, '
                "which supports learning residuals around a near-identity."
            )
        )
        means = table.groupby("run", sort=False)["std"].mean()
        st.markdown(
            _(
                "**Yours** (mean std over the 3x3 layers, on 256 test images): {values}. Short runs on small "
                "images: check whether the residual nets sit below the plain ones."
            ).format(values="; ".join(f"{name} {value:.2f}" for name, value in means.items()))
        )
