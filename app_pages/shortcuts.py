"""Shortcuts: the whole network with every shortcut drawn beside it, and the inside of any block."""

import streamlit as st

from ui import architecture as loaders
from ui import sources
from ui.picker import VARIANT_LABELS, current_choice, just_changed

spec, size = current_choice().require()
key = spec.to_json()

st.title("Shortcuts")
st.caption(f"**{spec.name}** at {size}x{size} input")

with loaders.computing(spec, "Tracing {net} and pricing shortcut options A, B and C"):
    shortcuts = loaders.shortcut_table(key, size)
    costs = loaders.option_costs(key, size) if spec.residual else None
    layers = loaders.layer_table(key, size)
counts = shortcuts["kind"].value_counts()
m1, m2, m3, m4 = st.columns(4)
if spec.residual:
    m1.metric("Residual blocks", len(shortcuts))
else:
    m1.metric("Blocks", len(shortcuts), help="The same blocks as the residual network, without their additions.")
    m1.caption("no shortcuts: plain network")
m2.metric("Identity (solid)", int(counts.get("identity", 0)))
m3.metric("Projection (dashed)", int(counts.get("projection", 0)))
m4.metric("Zero-padding (dotted)", int(counts.get("zero_pad", 0)))

diagram_col, text_col = st.columns([3, 2], gap="large")
with text_col:
    fold = st.toggle(
        "Fold repeated identical blocks",
        value=True,
        key="sc_fold",
        help="Runs of identical blocks are drawn once, marked x n. Unfold to see every block.",
    )
    if not spec.residual:
        st.info(
            "This is a **plain** network: the same layers with no shortcut additions, so no arcs are "
            "drawn. Turn *Residual connections* on in the sidebar to see them appear.",
            icon="ℹ️",
        )
    else:
        st.markdown("**Why do the shapes change where they do?**")
        st.markdown(loaders.shape_change_explanation(spec, shortcuts))
        if spec.shortcut_variant != "identity":
            st.caption(
                f"Shortcut variant: **{VARIANT_LABELS[spec.shortcut_variant]}** (Identity Mappings, "
                "Fig. 2). Its gates or scales act on every shortcut; the paper found that anything but "
                "a clean identity makes deep ResNets harder to optimise (Identity Mappings, Table 1)."
            )
with diagram_col, loaders.computing(spec, "Drawing {blocks} blocks of {net}"):
    st.plotly_chart(loaders.shortcut_figure(key, size, fold), width="stretch", key="sc_diagram")
if costs is not None:  # full width: the rules are sentences, too wide for the text column
    st.markdown("**What each shortcut option costs, computed for this network**")
    st.dataframe(
        costs,
        hide_index=True,
        width="stretch",
        column_config={"rule": st.column_config.TextColumn("rule", width="large")},
    )

st.divider()
st.subheader("Inside a block")
if shortcuts.empty:
    st.caption("This network has no residual blocks.")
else:
    labels = dict(zip(shortcuts["block"], shortcuts["paper_name"]))
    default = shortcuts.index[shortcuts["input_shape"] != shortcuts["output_shape"]]
    if just_changed("stride_on"):  # show a block where the stride's placement makes a difference
        strided = shortcuts[[i[1:] != o[1:] for i, o in zip(shortcuts["input_shape"], shortcuts["output_shape"])]]
        if len(strided):
            st.session_state["sc_block"] = strided["block"].iloc[0]
    block = st.selectbox(
        "Block",
        list(labels),
        index=int(default[0]) if len(default) else 0,
        format_func=lambda b: f"{labels[b]} ({b})",
        key="sc_block",
    )
    fig_col, about_col = st.columns([3, 2], gap="large")
    with fig_col:
        st.plotly_chart(loaders.block_figure(key, size, block), width="stretch", key="sc_block_fig")
    with about_col:
        st.markdown(loaders.block_explanation(spec))
        st.dataframe(
            loaders.displayable(layers[layers["name"].str.startswith(block + ".")]).drop(columns=["stage", "block"]),
            hide_index=True,
            width="stretch",
        )

sources.footnote(
    [
        f"{sources.RESNET}: Sec. 3.3 (options A and B at increasing dimensions), Sec. 4.1 and Table 3 (option C), "
        "Table 1 (down-sampling by conv3_1, conv4_1, conv5_1 with stride 2).",
        f"{sources.IDENTITY}: Fig. 2 and Table 1 (shortcut variants: scaling, gating, 1x1 conv, dropout).",
        f"{sources.TORCHVISION}.",
    ]
)
