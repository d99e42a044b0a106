"""The "Sources" footnote every page ends with: where each statement about the papers comes from.

Pages pass short citations ("He et al. 2015, Table 2: ...") built from the references below, so a
paper is named the same way everywhere.
"""

from __future__ import annotations

import streamlit as st

RESNET = "He, Zhang, Ren, Sun 2015, *Deep Residual Learning for Image Recognition* (CVPR 2016, arXiv 1512.03385)"
IDENTITY = "He, Zhang, Ren, Sun 2016, *Identity Mappings in Deep Residual Networks* (ECCV 2016, arXiv 1603.05027)"
TORCHVISION = "torchvision's ResNet models and their documentation (the stride on the 3x3 of a bottleneck: 'v1.5')"
YANG = "Yang, Pennington, Rao, Sohl-Dickstein, Schoenholz 2019, *A Mean Field Theory of Batch Normalization* (ICLR)"
BALDUZZI = "Balduzzi, Frean, Leary, Lewis, Ma, McWilliams 2017, *The Shattered Gradients Problem* (ICML)"
FIXUP = "Zhang, Dauphin, Ma 2019, *Fixup Initialization: Residual Learning Without Normalization* (ICLR)"
SKIPINIT = "De, Smith 2020, *Batch Normalization Biases Residual Blocks Towards the Identity Function* (NeurIPS)"
GOYAL = "Goyal et al. 2017, *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour* (arXiv 1706.02677)"


def footnote(items: list[str]) -> None:
    """A closed "Sources" expander at the end of a page: one bullet per cited statement."""
    with st.expander("Sources", icon=":material/menu_book:"):
        st.markdown("\n".join(f"- {item}" for item in items))
