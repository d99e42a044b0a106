"""Home: what problem ResNet solves, its two formulas, and a map of the pages. No torch here."""

import streamlit as st

from ui import frame
from ui.registry import PAGES

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
    for info in PAGES:
        if info.blurb:
            frame.page_link(info.path)
            st.caption(info.blurb)
    st.info(
        "Pick a network in the sidebar: every page shows the one you choose, and the URL keeps it.",
        icon=":material/arrow_back:",
    )
