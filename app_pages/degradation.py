"""Degradation lab: deeper plain nets train worse; residual connections fix it (He et al. 2015, Fig. 6)."""

import pandas as pd
import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.nets import published
from resnet_viz.training.labs import DEGRADATION_CONFIG, DEGRADATION_RUNS, degradation_specs, degradation_verdict
from ui import citations as sources
from ui.convergence import convergence_section
from ui.identity_insertion import identity_insertion_section
from ui.labs import comparison_picker, error_table, lab_group, lab_groups, sweep_caption
from ui.launch import budget_caption, launch_button
from ui.live import live, progress_rows
from ui.precomputed import degradation_ahead
from ui.responses import layer_responses
from ui.run_queue import ACTIVE_STATUSES, active_runs, run_queue
from ui.too_deep import cost_table
from ui.training_settings import ensure_dataset, training_settings

GROUP = "degradation"  # prefix of this lab's run groups in the store

st.title(_("Degradation lab"))
st.markdown(
    _(
        "One click trains plain and residual CIFAR-style networks of two depths on the same data, seed "
        "and budget; the residual ones use **option A** shortcuts (zero-padding, no parameters), as the "
        "paper's CIFAR nets in Figure 6 and Table 6. All of them train at once, taking turns, so their "
        "curves grow together. Watch the **training** error (dashed, as in the paper): the deeper plain net "
        "stays above the shallower one, so its trouble is optimisation, not overfitting. The default data are the "
        "**noisy digits** (the bundled digits moved, turned and covered in noise, generated on this machine), so "
        "that no net reaches zero training error at once. What a few hundred steps do **not** show is the paper's "
        "other half, ResNet-56 below ResNet-20 (Figure 6, middle): measured here, the two ResNets end level, both "
        "near 1 % (with the 100-step warm-up at a low learning rate that the paper also gives its deepest CIFAR net, "
        "Section 4.2; after the usual 30 steps, ResNet-56 starts far behind). The paper's curves separate over 64k "
        "steps of 128 CIFAR-10 images."
    )
)

groups = lab_groups(GROUP)


def comparison(group: str) -> None:
    """The group's curves, table and verdict; Stop while it trains."""
    from resnet_viz.figures.training import degradation_figure

    runs, metrics, summary = lab_group(group, progress=False)  # the curves first, in view
    active = runs[runs["status"].isin(ACTIVE_STATUSES)]
    if summary.empty:  # nothing logged yet: say where the runs are
        progress_rows(active)
        return
    st.plotly_chart(degradation_figure(metrics, summary.assign(id=summary["id"])), width="stretch", key="deg_fig")
    st.caption(
        _(
            "Dashed lines: training error, measured in eval mode on training images without augmentation. "
            "Solid, bold: test error (the paper's convention). Colour: depth. Left: plain networks; right: the same "
            "networks with shortcuts."
        )
    )
    if len(active):
        progress_rows(active)
        if st.button(_("Stop this comparison"), key="deg_stop", icon=":material/stop:"):
            for run_id in active["id"]:
                run_queue().stop(int(run_id))
    error_table(summary, ("name", "status", "last_step", "train_loss", "train_error", "test_error"))
    for line in degradation_verdict(summary):
        st.markdown(f"- {line}")
    if len(active) == 0:
        layer_responses(runs)


# Results first, above the fold: the same experiment run ahead of time, and beside it the learner's own.
ahead, mine = st.columns(2, gap="large") if groups else (st.container(), None)
with ahead:
    st.subheader(_("Run ahead of time"))
    degradation_ahead()
if groups:
    with mine:
        st.subheader(_("Your comparison, live"))
        group = comparison_picker(groups, "deg_launch", key="deg_group_pick")
        sweep_caption(group)
        live(lambda: comparison(group), lambda: not active_runs(group).empty)

with st.expander(_("Set up a comparison") if not groups else _("Set up another comparison"), expanded=not groups):
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(_("**Networks** (edit, add or remove rows)"))
        rows = st.data_editor(
            pd.DataFrame(DEGRADATION_RUNS, columns=["depth", "residual"]),
            num_rows="dynamic",
            hide_index=True,
            key="deg_rows",
            column_config={
                "depth": st.column_config.NumberColumn(_("depth (6n+2)"), min_value=8, max_value=1202, step=6),
                "residual": st.column_config.CheckboxColumn(_("residual")),
            },
        )
    with right:
        st.markdown(_("**What the paper saw** (CIFAR-10, Figure 6 and Table 6)"))
        errors = published.by_depth("table6_test_error")
        st.markdown(
            _(
                "- plain-20/32/44/56: the deeper the plain net, the higher its training error throughout training; "
                "plain-110 stays above 60 % error (Figure 6, left).\n"
                "- ResNet-20/32/44/56/110: the deeper, the lower the error (Figure 6, middle); test error "
                "{errors} % ({source}; ResNet-110's {best} % is the best of 5 runs, whose mean is {mean} ± {std} %).\n"
                "- The paper trains for 64k steps of 128 images; this lab runs a few hundred steps on small images, "
                "enough to see the plain nets' ordering and the shortcuts fixing it, not yet the deeper ResNet ahead."
            ).format(
                errors=" / ".join(f"{errors[d]}" for d in (20, 32, 44, 56, 110)),
                source=published.source("table6_test_error"),
                **published.values("table6_resnet110_runs"),
            )
        )
    specs, error = [], None
    try:
        clean = rows.dropna()
        # Option A (zero-padding shortcuts), as the paper's CIFAR nets in Figure 6 and Table 6.
        specs = degradation_specs(list(zip(clean["depth"].astype(int), clean["residual"].astype(bool))), shortcut="A")
    except ValueError as err:
        error = str(err)
    if error:
        st.error(error, icon="⚠️")
    # The lab's own networks set the limits (CIFAR style: inputs from 4 px), not the sidebar's network.
    lab_spec = specs[0] if specs else degradation_specs([(20, True)])[0]
    settings = training_settings("deg", lab_spec, lab=DEGRADATION_CONFIG)
    ready = ensure_dataset(settings)
    if specs:
        budget_caption(specs, settings)
    names = [s.name.replace(" (CIFAR)", "") for s in specs]
    launch_button(
        _("Launch the comparison"), "deg_launch", specs, settings, names, group=GROUP, disabled=not (ready and specs)
    )
    if not groups:
        st.caption(_("Launch a comparison to see its curves here."))

convergence_section()
identity_insertion_section()

st.divider()
st.subheader(_("Too deep: 1202 layers"))
errors, params_m = published.by_depth("table6_test_error"), published.by_depth("table6_params_m")
from resnet_viz.figures.training import table6_figure  # noqa: E402

left, right = st.columns([3, 2], gap="large")
with left:
    st.plotly_chart(table6_figure(errors, params_m), width="stretch", key="deg_table6")
with right:
    st.markdown(
        _(
            "The paper also trained a **1202-layer** ResNet on CIFAR-10 ({params}M parameters). It optimises "
            "without difficulty: its training error falls below 0.1 %, like ResNet-110's (Fig. 6, right). Yet its "
            "test error is **{error_1202} %**, worse than ResNet-110's **{error_110} %** (best of 5 runs). "
            '*"We argue that this is because of overfitting"*: 19.4M parameters may be unnecessarily many for '
            "this small dataset (Sec. 4.2, Table 6)."
        ).format(params=params_m[1202], error_1202=errors[1202], error_110=errors[110])
    )
    st.markdown(
        _(
            "- **Degradation** (plain nets, above): a deeper net has a *higher training* error: optimisation fails.\n"
            "- **Overfitting** (ResNet-1202): training error as low as the shallower net's, *higher test* error: "
            "the net fits the training set and generalises worse. The paper used no dropout or maxout here and "
            "expects stronger regularisation to help."
        )
    )
cost_table(settings)
st.caption(
    _(
        "Enter 1202 as a depth in the table of networks above to launch it, with a small budget: the paper's full "
        "schedule would take the time in the last column, one run at a time."
    )
)

sources.footnote(
    [
        _(
            "{source}: Sec. 4.2 (CIFAR-10 nets, 6n+2 layers, option A shortcuts, training schedule), "
            "Figure 6 (training and test error of plain-20/32/44/56/110 and ResNet-20/32/44/56/110), Table 6 "
            "(test error), Figure 7 (std of the 3x3 layers' responses); Sec. 1 and 3.1 (a deeper model built "
            "from a shallower one plus identity layers; solvers may have difficulties approximating identity "
            "mappings by multiple nonlinear layers); Sec. 4.1, Table 2 and Figure 4 (plain-18 and ResNet-18 comparably "
            "accurate, the ResNet converging faster at the early stage)."
        ).format(source=sources.RESNET),
    ]
)
