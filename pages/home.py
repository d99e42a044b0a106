"""Home: what problem ResNet solves, its two formulas, and a map of the pages. No torch here."""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # repo root, when run on its own
import ui  # noqa: E402

ui.standalone_setup()

st.title("ResNet, seen from inside")
st.markdown(
    "Residual networks (He et al., 2015) made it possible to train networks with hundreds of "
    "layers. This app lets you build any of them, look inside, and train them yourself."
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("The problem: degradation, not overfitting")
    st.markdown(
        "Stacking more layers onto a network should never hurt: the extra layers could simply learn "
        "the identity. Yet in practice a deeper **plain** network reaches a *higher training error* "
        "than a shallower one. Because the training error rises, this is not overfitting: the "
        "optimiser fails to find the solution. On ImageNet (Table 2 of the paper), plain-34 has "
        "28.54 % top-1 error against 27.94 % for plain-18; with residual connections the order "
        "flips: ResNet-34 25.03 %, ResNet-18 27.88 %."
    )
    st.subheader("The fix: learn a residual")
    st.markdown("Each block adds its input back to what its layers compute:")
    st.latex(r"x_{l+1} = x_l + \mathcal{F}(x_l, W_l)")
    st.markdown(
        "If the identity is what is needed, the block only has to push $\\mathcal{F}$ to zero. "
        "Unrolled over many blocks, $x_L = x_l + \\sum_{i=l}^{L-1} \\mathcal{F}(x_i, W_i)$, so the "
        "gradient of the loss $\\mathcal{E}$ reaching block $l$ is"
    )
    st.latex(
        r"\frac{\partial \mathcal{E}}{\partial x_l} = \frac{\partial \mathcal{E}}{\partial x_L}"
        r"\left(1 + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} \mathcal{F}(x_i, W_i)\right)"
    )
    st.markdown(
        "The **1** carries the gradient from the loss straight back to every layer, however deep "
        "the network (He et al., 2016, *Identity Mappings*)."
    )
with right:
    st.subheader("Where to go")
    ui.page_link("pages/architecture.py", label="Architecture", icon=":material/table_chart:")
    st.caption(
        "The paper's Table 1 regenerated for any network, every layer with shapes, parameters and multiply-adds."
    )
    ui.page_link("pages/shortcuts.py", label="Shortcuts", icon=":material/alt_route:")
    st.caption("The whole network with its shortcuts: solid identity, dashed projection, dotted zero-padding.")
    ui.page_link("pages/train.py", label="Train", icon=":material/model_training:")
    st.caption("Train the network you picked, live, and compare runs.")
    ui.page_link("pages/degradation.py", label="Degradation lab", icon=":material/trending_down:")
    st.caption("One click: plain-20 vs plain-56 vs ResNet-20 vs ResNet-56, plotted like the paper's Figure 6.")
    ui.page_link("pages/identity_mappings.py", label="Identity-mappings lab", icon=":material/science:")
    st.caption("Residual-unit and shortcut variants from the second paper, trained side by side.")
    ui.page_link("pages/gradients.py", label="Gradient flow", icon=":material/waterfall_chart:")
    st.caption("Gradient norms block by block, plain vs residual, and the shortcut's '1 +' term made visible.")
    ui.page_link("pages/attribution.py", label="Where it looks", icon=":material/center_focus_strong:")
    st.caption(
        "Upload a picture: Grad-CAM stage by stage and captum's attributions, for ImageNet ResNets or your runs."
    )
    st.info(
        "Pick a network in the sidebar: every page shows the one you choose, and the URL keeps it.",
        icon=":material/arrow_back:",
    )
