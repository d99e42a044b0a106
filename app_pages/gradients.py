"""Gradient flow: why deep plain nets fail and residual nets do not, measured layer by layer."""

import streamlit as st

from ui import frame, training
from ui.gradients import gradient_tables

st.title("Gradient flow")
st.markdown(
    "With shortcuts, $x_L = x_l + \\sum_i \\mathcal{F}(x_i)$, so "
    "$\\frac{\\partial \\mathcal{E}}{\\partial x_l} = \\frac{\\partial \\mathcal{E}}{\\partial x_L}"
    "\\left(1 + \\frac{\\partial}{\\partial x_l}\\sum_i \\mathcal{F}(x_i)\\right)$: the **1** carries the "
    "gradient from the loss straight back to every block. Here it is measured on real networks at "
    "initialisation, one backward pass of a fixed random batch."
)

c1, c2, c3, c4 = st.columns(4)
depth = c1.select_slider(
    "Depth (CIFAR, 6n+2)", [8, 14, 20, 32, 44, 56, 110, 218, 326, 650, 1202], value=56, key="grad_depth"
)
batchnorm = c2.toggle("Batch normalisation", value=True, key="grad_bn")
quantity = c3.selectbox(
    "Quantity",
    ["input_grad_norm", "weight_grad_norm", "output_grad_norm", "response_ratio"],
    format_func={
        "input_grad_norm": "gradient reaching each block's input",
        "weight_grad_norm": "gradient of each block's weights",
        "output_grad_norm": "gradient at each block's output",
        "response_ratio": "response strength ||F(x)|| / ||x||",
    }.get,
    key="grad_quantity",
)
seed = c4.number_input("Seed", 0, 1000, 0, key="grad_seed")

from resnet_viz.builder import ModelTooLargeError  # noqa: E402

try:
    tables = gradient_tables(depth, batchnorm, int(seed))
except ModelTooLargeError as err:
    st.error(str(err), icon="⚠️")
    frame.stop_page()

from resnet_viz.figures.gradients import gradient_heatmap, gradient_vs_depth, shortcut_split, stage_histograms  # noqa: E402
from resnet_viz.formatting import human_factor  # noqa: E402
from resnet_viz.gradients import overflow_note, spread  # noqa: E402

for name, table in tables.items():
    if note := overflow_note(name, table):
        st.info(note, icon="ℹ️")
st.plotly_chart(gradient_vs_depth(tables, column=quantity), width="stretch", key="grad_depth_fig")
plain, residual = tables[f"plain-{depth}"], tables[f"ResNet-{depth}"]


def factor(table) -> str:
    log10_ratio = spread(table, quantity)
    if log10_ratio is None:
        return "nothing measurable (every value overflowed)"
    return f"a factor of {human_factor(log10_ratio)}"


if batchnorm:
    explanation = (
        "With BatchNorm, each plain layer rescales the gradient on its way back and the factors compound: the "
        "early blocks of a deep plain net get *exploding* gradients at initialisation. The identity shortcuts "
        "add a direct path, so every residual block sees a gradient of the same order."
    )
else:
    explanation = (
        "Without BatchNorm the picture changes. He initialisation keeps a plain net's signal and gradient "
        "roughly level at the start, while every identity addition adds the branch's variance to the signal, so "
        "an un-normalised ResNet's activations and gradients grow with depth. This is why ResNets rely on BN, "
        "or on initialisations that start each branch at zero (Fixup, SkipInit, zero-initialised last BN)."
    )
st.caption(
    f"Look at how far each curve spreads from the first block to the last: the plain net's values span "
    f"{factor(plain)}, the residual net's {factor(residual)}. {explanation}"
)

left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(shortcut_split(residual), width="stretch", key="grad_split_fig")
    st.caption(
        "Each residual block passes gradient back along two paths. The shortcut part is the '1 +' term: it is the "
        "gradient at the block's output, handed back unchanged (identity) or through a 1x1 projection."
    )
with right:
    st.plotly_chart(stage_histograms(tables), width="stretch", key="grad_hist_fig")
    st.caption(
        "The spread of per-block weight-gradient norms within each stage, plain vs residual. A wide box means "
        "some blocks learn much faster than others."
    )

st.divider()
st.subheader("Gradient norms during a training run")
store = training.run_queue().store
runs = store.runs()
if runs.empty:
    st.caption("Train a run (Train page or a lab) to see its gradients over time here.")
else:
    labels = {int(run["id"]): training.run_label(run) for run in runs.to_dict("records")}
    ids = list(labels)
    run_id = st.selectbox("Run", ids, index=training.newest_finished(ids, runs), format_func=labels.get, key="grad_run")
    metrics = store.metrics(int(run_id))
    if metrics.empty:
        st.caption("This run has not logged anything yet.")
    else:
        st.plotly_chart(gradient_heatmap(metrics), width="stretch", key="grad_heat_fig")
        st.caption(
            "Rows are blocks from input (top) to output, columns are training steps, colour is log10 of the weight "
            "gradient norm. In a deep plain net, look for bands of much weaker or stronger blocks; in a ResNet the "
            "colours stay even across depth."
        )
