"""The "Sources" footnote every page ends with: where each statement about the papers comes from.

Pages pass short citations ("He et al. 2015, Table 2: ...") built from the references below, so a
paper is named the same way everywhere. A reference is a `Citation`: English in the code, in the
reader's language wherever a page formats it into its text (``_("{resnet}: Sec. 4.2").format(resnet=RESNET)``
or an f-string); paper titles and author names stay as published.
"""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _


class Citation(str):
    """A reference (marked with N_), translated when formatted into a page's text; the str is the English."""

    def __format__(self, spec: str) -> str:
        return format(_(str(self)), spec)


RESNET = Citation(
    N_("He, Zhang, Ren, Sun 2015, *Deep Residual Learning for Image Recognition* (CVPR 2016, arXiv 1512.03385)")
)
IDENTITY = Citation(
    N_("He, Zhang, Ren, Sun 2016, *Identity Mappings in Deep Residual Networks* (ECCV 2016, arXiv 1603.05027)")
)
TORCHVISION = Citation(
    N_("torchvision's ResNet models and their documentation (the stride on the 3x3 of a bottleneck: 'v1.5')")
)
NVIDIA = Citation(N_("NVIDIA Deep Learning Examples, *ResNet50 v1.5 for PyTorch* (its model description)"))
YANG = Citation(
    N_("Yang, Pennington, Rao, Sohl-Dickstein, Schoenholz 2019, *A Mean Field Theory of Batch Normalization* (ICLR)")
)
BALDUZZI = Citation(N_("Balduzzi, Frean, Leary, Lewis, Ma, McWilliams 2017, *The Shattered Gradients Problem* (ICML)"))
FIXUP = Citation(N_("Zhang, Dauphin, Ma 2019, *Fixup Initialization: Residual Learning Without Normalization* (ICLR)"))
SKIPINIT = Citation(
    N_("De, Smith 2020, *Batch Normalization Biases Residual Blocks Towards the Identity Function* (NeurIPS)")
)
GOYAL = Citation(
    N_("Goyal et al. 2017, *Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour* (arXiv 1706.02677)")
)
VEIT = Citation(
    N_(
        "Veit et al. 2016, *Residual Networks Behave Like Ensembles of Relatively Shallow Networks* "
        "(NeurIPS 2016, arXiv 1605.06431)"
    )
)
LI = Citation(N_("Li et al. 2018, *Visualizing the Loss Landscape of Neural Nets* (NeurIPS 2018, arXiv 1712.09913)"))
SELVARAJU = Citation(
    N_(
        "Selvaraju et al. 2017, *Grad-CAM: Visual Explanations from Deep Networks via Gradient-based "
        "Localization* (ICCV 2017, arXiv 1610.02391)"
    )
)


def footnote(items: list[str]) -> None:
    """A closed "Sources" expander at the end of a page: one bullet per cited statement."""
    with st.expander(_("Sources"), icon=":material/menu_book:"):
        st.markdown("\n".join(f"- {item}" for item in items))
