"""The Degradation lab's faster-convergence pair (He et al. 2015, Sec. 4.1, Fig. 4): launch, curves, verdict."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.nets.naming import net_label

from .labs import comparison_picker, error_table, lab_group, lab_groups
from .launch import budget_caption, launch_button
from .live import live, progress_rows
from .run_queue import ACTIVE_STATUSES, active_runs

GROUP = "convergence"  # prefix of the pair's run groups in the store (not "degradation": its own picker)
LAUNCH_KEY = "conv_launch"


def convergence_section() -> None:
    """What the paper says about 18 layers, a launch button for the pair, and the pair's curves and verdict."""
    from resnet_viz.nets import published
    from resnet_viz.training.convergence import CONVERGENCE_CONFIG, CONVERGENCE_DEPTH
    from resnet_viz.training.labs import degradation_specs

    st.divider()
    st.subheader(_("Faster convergence at shallow depth"))
    top1 = published.values("table2_top1_error")
    st.markdown(
        _(
            "Not every plain net degrades. At 18 layers the paper's plain net and ResNet end about equally accurate "
            'on ImageNet ({plain} % and {resnet} % top-1 validation error, 10-crop, {source}), yet *"the 18-layer '
            'ResNet converges faster"*: *"the ResNet eases the optimization by providing faster convergence at the '
            'early stage"* (Sec. 4.1, Fig. 4). Launch a plain and a residual {depth}-layer net on the digits, same '
            "seed and budget, and compare their training error early on and at the end."
        ).format(
            plain=top1["plain-18"],
            resnet=top1["ResNet-18"],
            source=published.source("table2_top1_error"),
            depth=CONVERGENCE_DEPTH,
        )
    )
    groups = lab_groups(GROUP)
    if groups:
        group = comparison_picker(groups, LAUNCH_KEY, key="conv_group_pick")
        live(lambda: _pair(group), lambda: not active_runs(group).empty)
    rows = [(CONVERGENCE_DEPTH, False), (CONVERGENCE_DEPTH, True)]
    specs = degradation_specs(rows, shortcut="A")  # option A, as the lab's other CIFAR-style nets
    seed = st.number_input(_("Seed"), 0, 2**31 - 1, 0, key="conv_seed", help=_("Same seed, same run (on one device)."))
    settings = {**CONVERGENCE_CONFIG.to_dict(), "seed": int(seed)}
    budget_caption(specs, settings)
    names = [net_label(depth, residual) for depth, residual in rows]
    launch_button(_("Launch the pair"), LAUNCH_KEY, specs, settings, names, group=GROUP)


def _pair(group: str) -> None:
    """The pair's training curves (one colour per run, on shared axes), its table and, once done, its verdict."""
    from resnet_viz.figures.training import training_curves
    from resnet_viz.training.convergence import convergence_verdict, pair_gaps

    runs, metrics, summary = lab_group(group, progress=False)
    active = runs[runs["status"].isin(ACTIVE_STATUSES)]
    if len(active):
        progress_rows(active)
    if summary.empty or metrics.empty:
        return
    st.plotly_chart(training_curves(metrics, runs), width="stretch", key="conv_fig")
    st.caption(
        _(
            "Left: training loss. Right: training error (dashed, measured in eval mode on training images) and test "
            "error (solid). Faster convergence shows as the residual net's error falling first."
        )
    )
    error_table(summary, ("name", "status", "last_step", "train_loss", "train_error", "test_error"))
    steps = int(runs["config"].iloc[0]["steps"])
    for line in convergence_verdict(pair_gaps(summary, metrics, steps), int(summary["depth"].iloc[0])):
        st.markdown(f"- {line}")
