"""A lab's experiment run ahead of time (`training.precomputed`), shown at once and marked as such."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz.i18n import _


def load(lab: str) -> tuple[dict, pd.DataFrame, pd.DataFrame] | None:
    """(result, nets, seed-mean metrics) of ``lab``'s shipped results; None, with a note in the page, if absent."""
    from resnet_viz.training.precomputed import PrecomputedError, seed_means

    try:
        result = _cached(lab)
    except PrecomputedError as err:
        st.info(str(err), icon=":material/info:")
        return None
    nets, means = seed_means(result)
    return (
        result,
        nets.assign(
            status="finished", train_error=nets["train_errors"].map(_mean), test_error=nets["test_errors"].map(_mean)
        ),
        means,
    )


@st.cache_data(show_spinner=False)
def _cached(lab: str) -> dict:
    from resnet_viz.training.precomputed import load_precomputed

    return load_precomputed(lab)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def provenance(result: dict) -> str:
    """One line: what was run ahead of time, by which command, over which seeds."""
    config = result["config"]
    from .training_settings import DATASET_LABELS

    return _(
        "Computed ahead of time, not live: this lab's defaults ({dataset}, {size} px, batch {batch}) at {steps} steps "
        "(the live run trains {lab_steps}), the mean of {count} seeds ({seeds}), on a CPU with torch {torch}, by "
        "`{command}` ({seconds} s). A difference counts only beyond the stated margin and where every seed agrees."
    ).format(
        dataset=_(DATASET_LABELS.get(config["dataset"], config["dataset"])),
        size=config["input_size"],
        batch=config["batch_size"],
        steps=config["steps"],
        lab_steps=result["lab_steps"],
        count=len(result["seeds"]),
        seeds=", ".join(result["seeds"]),
        torch=result["torch"],
        command=result["command"],
        seconds=f"{result['seconds']:.0f}",
    )


def seed_table(nets: pd.DataFrame, labels: dict | None = None) -> None:
    """Each net's final training and test error in every seed, in %, so the spread is in view."""
    rows = []
    for _row, net in nets.iterrows():
        name = labels.get(net["name"], net["name"]) if labels else net["name"]
        train = " / ".join(f"{100 * e:.1f}" for e in net["train_errors"])
        test = " / ".join(f"{100 * e:.1f}" for e in net["test_errors"])
        rows.append({_("name"): name, _("train error % per seed"): train, _("test error % per seed"): test})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def degradation_ahead() -> None:
    """The Degradation lab run ahead of time: its Figure 6, its verdicts, the seeds' spread."""
    from resnet_viz.figures.training import degradation_figure
    from resnet_viz.training.labs import degradation_verdict

    loaded = load("degradation")
    if loaded is None:
        return
    result, nets, means = loaded
    st.plotly_chart(degradation_figure(means, nets), width="stretch", key="deg_ahead_fig")
    st.caption(provenance(result))
    for line in degradation_verdict(nets):
        st.markdown(f"- {line}")
    with st.expander(_("Every seed")):
        seed_table(nets)


def variants_ahead(kind: str, labels: dict, paper: dict, reference: str) -> None:
    """The Identity-mappings lab (``kind`` "units" or "shortcuts") run ahead of time: bars and verdicts."""
    from resnet_viz.figures.training import variant_bars
    from resnet_viz.training.labs import variant_verdict

    loaded = load(kind)
    if loaded is None:
        return
    result, nets, _means = loaded
    column = "unit" if kind == "units" else "shortcut_variant"
    nets["label"] = nets[column].map(labels)
    published = {labels[k]: v for k, v in paper.items() if v is not None and labels[k] in set(nets["label"])}
    st.plotly_chart(variant_bars(nets, published, yours=False), width="stretch", key=f"im_{kind}_ahead_bars")
    st.caption(provenance(result))
    for line in variant_verdict(nets, reference):
        st.markdown(f"- {line}")
    with st.expander(_("Every seed")):
        seed_table(nets.assign(name=nets["label"]))
