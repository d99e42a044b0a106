"""Gradient flow: why deep plain nets fail and residual nets do not, measured layer by layer."""

import streamlit as st

from resnet_viz.i18n import N_, _
from ui import citations as sources
from ui import frame
from ui.gradient_prose import spread_caption, spread_factor, training_spread_lines
from ui.gradients import gradient_tables, newest_plain_and_residual
from ui.run_labels import newest_finished, run_label
from ui.run_queue import run_queue
from ui.text import translated

QUANTITIES = {
    "input_grad_norm": N_("gradient reaching each block's input"),
    "weight_grad_norm": N_("gradient of each block's weights"),
    "output_grad_norm": N_("gradient at each block's output"),
    "response_ratio": N_("response strength ||F(x)|| / ||x||"),
}

st.title(_("Gradient flow"))
st.markdown(
    _(
        "With shortcuts, $x_L = x_l + \\sum_i \\mathcal{F}(x_i)$, so "
        "$\\frac{\\partial \\mathcal{E}}{\\partial x_l} = \\frac{\\partial \\mathcal{E}}{\\partial x_L}"
        "\\left(1 + \\frac{\\partial}{\\partial x_l}\\sum_i \\mathcal{F}(x_i)\\right)$: the **1** carries the "
        "gradient from the loss straight back to every block. Here it is measured on real networks at "
        "initialisation, one backward pass of a fixed random batch."
    )
)

c1, c2, c3, c4 = st.columns(4)
depth = c1.select_slider(
    _("Depth (CIFAR, 6n+2)"), [8, 14, 20, 32, 44, 56, 110, 218, 326, 650, 1202], value=56, key="grad_depth"
)
batchnorm = c2.toggle(_("Batch normalisation"), value=True, key="grad_bn")
quantity = c3.selectbox(_("Quantity"), list(QUANTITIES), format_func=translated(QUANTITIES), key="grad_quantity")
seed = c4.number_input(_("Seed"), 0, 1000, 0, key="grad_seed")

from resnet_viz.nets.memory import ModelTooLargeError  # noqa: E402

try:
    tables = gradient_tables(depth, batchnorm, int(seed))
except ModelTooLargeError as err:
    st.error(str(err), icon="⚠️")
    frame.stop_page()

from resnet_viz.figures.gradients import gradient_heatmap, gradient_vs_depth, shortcut_split, stage_histograms  # noqa: E402
from resnet_viz.probes.gradients import overflow_note  # noqa: E402

for name, table in tables.items():
    if note := overflow_note(name, table):
        st.info(note, icon="ℹ️")
st.plotly_chart(gradient_vs_depth(tables, column=quantity), width="stretch", key="grad_depth_fig")
plain, residual = tables[f"plain-{depth}"], tables[f"ResNet-{depth}"]
st.caption(spread_caption(plain, residual, quantity, batchnorm))

left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(shortcut_split(residual), width="stretch", key="grad_split_fig")
    st.caption(
        _(
            "Each residual block passes gradient back along two paths. The shortcut part is the '1 +' term: it is "
            "the gradient at the block's output, handed back unchanged by the identity; these nets use option A, so "
            "at the stage boundaries the shortcut subsamples and zero-pads instead (no projection, no parameters)."
        )
    )
with right:
    st.plotly_chart(stage_histograms(tables), width="stretch", key="grad_hist_fig")
    st.caption(
        _(
            "The spread of per-block weight-gradient norms within each stage, plain vs residual. A wide box means "
            "some blocks learn much faster than others."
        )
    )

st.divider()
st.subheader(_("What the paper says, and where it holds"))
st.markdown(
    _(
        "> *We argue that this optimization difficulty is unlikely to be caused by vanishing gradients. These plain "
        "networks are trained with BN, which ensures forward propagated signals to have non-zero variances. We also "
        "verify that the backward propagated gradients exhibit healthy norms with BN.*\n\n"
        'He et al. 2015, Sec. 4.1. The authors instead conjecture that deep plain nets "may have exponentially low '
        'convergence rates".'
    )
)
st.markdown(
    _(
        "- **Where it holds:** with BN the gradients do not *vanish*; no block of plain-{depth} above gets a "
        "gradient near zero.\n"
        "- **Where it does not:** at initialisation they are far from even: plain-{depth}'s blocks span "
        "{factor} (the figure above). Yang et al. (2019) prove that BN itself makes the gradients of a "
        "deep plain net *explode* at initialisation, growing with depth; Balduzzi et al. (2017) show that the "
        'gradients of deep plain nets resemble white noise ("shattered") while residual nets keep them '
        "correlated. Neither contradicts the paper's point that vanishing is not the cause.\n"
        '- **During training:** Sec. 4.1 does not say when its "healthy norms" were measured. Reading them as '
        "norms during training, not at initialisation, is this page's interpretation: it is what reconciles "
        "them with the figure above, not something the paper states. The next figure follows how unevenly "
        "the blocks get gradient over real runs: launch a Degradation lab comparison, then pick a plain and a "
        "residual run."
    ).format(depth=depth, factor=spread_factor(plain, quantity))
)

store = run_queue().store
runs = store.runs()
if runs.empty:
    st.caption(_("Train a run (Train page or a lab) to see its gradients over time here."))
else:
    from resnet_viz.figures.gradients import spread_over_training  # noqa: E402
    from resnet_viz.probes.gradients import spread_during_training  # noqa: E402

    labels = {int(run["id"]): run_label(run) for run in runs.to_dict("records")}
    ids = list(labels)
    defaults = newest_plain_and_residual(runs)
    chosen = st.multiselect(
        _("Runs to compare"), ids, default=defaults or ids[:1], format_func=labels.get, key="grad_spread_runs"
    )
    spreads = spread_during_training(store.metrics(chosen)) if chosen else None
    if spreads is None or spreads.empty:
        st.caption(_("These runs have not logged block gradients yet."))
    else:
        names = {int(r["id"]): r["name"] for r in runs.to_dict("records")}
        st.plotly_chart(spread_over_training(spreads, names), width="stretch", key="grad_spread_fig")
        st.markdown(training_spread_lines(spreads, names))

    st.subheader(_("Gradient norms during a training run"))
    run_id = st.selectbox(_("Run"), ids, index=newest_finished(ids, runs), format_func=labels.get, key="grad_run")
    metrics = store.metrics(int(run_id))
    if metrics.empty:
        st.caption(_("This run has not logged anything yet."))
    else:
        st.plotly_chart(gradient_heatmap(metrics), width="stretch", key="grad_heat_fig")
        st.caption(
            _(
                "Rows are blocks from input (top) to output, columns are training steps, colour is log10 of the "
                "weight gradient norm. In a deep plain net, look for bands of much weaker or stronger blocks; in a "
                "ResNet the colours stay more even across depth."
            )
        )

sources.footnote(
    [
        _(
            "{paper}: Sec. 4.1 (the quoted paragraph on vanishing gradients and BN; option A on CIFAR, Sec. 4.2)."
        ).format(paper=sources.RESNET),
        _("{paper}: Eq. 4-5 (the '1 +' term; exact for identity shortcut and after-addition activation).").format(
            paper=sources.IDENTITY
        ),
        _("{paper}: BN causes gradient explosion at initialisation in deep plain nets.").format(paper=sources.YANG),
        _("{paper}: gradients of deep plain nets resemble white noise; residual nets keep them correlated.").format(
            paper=sources.BALDUZZI
        ),
        f"{sources.FIXUP}.",
        f"{sources.SKIPINIT}: SkipInit.",
        _("{paper}: zero-initialised gamma of the last BN in each residual block.").format(paper=sources.GOYAL),
        _(
            "This page's measurements: one backward pass of a fixed random batch at initialisation (figures at the "
            "top); the runs' logged per-block weight-gradient norms (bottom)."
        ),
    ]
)
