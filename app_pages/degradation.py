"""Degradation lab: deeper plain nets train worse; residual connections fix it (He et al. 2015, Fig. 6)."""

import time

import pandas as pd
import streamlit as st

from resnet_viz.labs import DEGRADATION_RUNS, degradation_specs, degradation_verdict, summarize  # noqa: E402
from ui import training
from ui.picker import current_choice

st.title("Degradation lab")
st.markdown(
    "One click trains plain and residual CIFAR-style networks of two depths on the same data, seed "
    "and budget. Watch the **training** error (solid, bold): the deeper plain net stays above the "
    "shallower one, so its trouble is optimisation, not overfitting. With shortcuts the order flips."
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.markdown("**Networks** (edit, add or remove rows)")
    rows = st.data_editor(
        pd.DataFrame(DEGRADATION_RUNS, columns=["depth", "residual"]),
        num_rows="dynamic",
        hide_index=True,
        key="deg_rows",
        column_config={
            "depth": st.column_config.NumberColumn("depth (6n+2)", min_value=8, max_value=1202, step=6),
            "residual": st.column_config.CheckboxColumn("residual"),
        },
    )
with right:
    st.markdown("**What the paper saw** (CIFAR-10, Figure 6 and Table 6)")
    st.markdown(
        "- plain-20/32/44/56: the deeper the plain net, the higher its training error throughout training; "
        "plain-110 stays above 60 % error.\n"
        "- ResNet-20/32/44/56/110: the deeper, the lower the error; test error 8.75 / 7.51 / 7.17 / 6.97 / "
        "6.43 %.\n"
        "- The paper trains for 64k steps of 128 images; this lab runs a few hundred steps on small images, "
        "enough to see the same ordering."
    )

with st.container(border=True):
    settings = training.training_settings("deg", current_choice().spec or degradation_specs([(20, True)])[0])
    ready = training.ensure_dataset(settings)
    if st.button("Launch the comparison", type="primary", disabled=not ready, key="deg_launch"):
        try:
            clean = rows.dropna()
            specs = degradation_specs(list(zip(clean["depth"].astype(int), clean["residual"].astype(bool))))
        except ValueError as err:
            st.error(str(err), icon="⚠️")
            specs = []
        if specs:
            group = f"degradation {time.strftime('%Y-%m-%d %H:%M:%S')}"
            if training.start_runs(specs, settings, [s.name.replace(" (CIFAR)", "") for s in specs], group=group):
                st.session_state["deg_group"] = group

store = training.run_queue().store
groups = [g for g in store.runs()["group"].dropna().unique() if str(g).startswith("degradation")]
if not groups:
    st.caption("Launch a comparison to see its curves here.")
else:
    current = st.session_state.get("deg_group")
    group = st.selectbox(
        "Comparison", groups, index=groups.index(current) if current in groups else 0, key="deg_group_pick"
    )


@st.fragment(run_every=1.5)
def live(group: str) -> None:
    from resnet_viz.figures.training import degradation_figure

    runs = store.runs(group=group)
    metrics = store.metrics(runs["id"].tolist())
    summary = summarize(runs, metrics)
    if summary.empty:
        return
    states = summary["status"].value_counts().to_dict()
    steps = training.total_steps(runs.iloc[0].to_dict(), metrics[metrics["run_id"] == runs.iloc[0]["id"]])
    progress = summary["last_step"].sum() / (steps * len(summary))
    st.progress(
        min(progress, 1.0), text=" · ".join(f"{training.STATUS_ICONS.get(k, '')} {v} {k}" for k, v in states.items())
    )
    st.plotly_chart(degradation_figure(metrics, summary.assign(id=summary["id"])), width="stretch", key="deg_fig")
    st.caption(
        "Bold solid lines: training error, measured in eval mode on training images without augmentation. "
        "Dashed: test error. Left: plain networks; right: the same networks with shortcuts."
    )
    table = summary[["name", "status", "last_step", "train_loss", "train_error", "test_error"]].copy()
    for column in ("train_error", "test_error"):
        table[column] = (100 * table[column]).round(1)
    st.dataframe(
        table.rename(columns={"train_error": "train error %", "test_error": "test error %"}),
        hide_index=True,
        width="stretch",
    )
    for line in degradation_verdict(summary):
        st.markdown(f"- {line}")
    running = runs[runs["status"].isin(["queued", "running"])]
    if len(running) and st.button("Stop this comparison", key="deg_stop", icon=":material/stop:"):
        for run_id in running["id"]:
            training.run_queue().stop(int(run_id))


if groups:
    live(group)
