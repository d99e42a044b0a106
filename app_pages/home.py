"""Home: what problem ResNet solves, its two formulas, and a map of the pages. No torch, pandas or Plotly chart
here: the first page must appear at once (its picture is an inline SVG, `figures.svg`)."""

import streamlit as st

from resnet_viz.figures.svg import degradation_svg
from resnet_viz.i18n import _
from resnet_viz.nets import published
from resnet_viz.shipped import bundled_runs
from ui import citations as sources
from ui import frame
from ui.frame import TITLE
from ui.registry import PAGES, page

st.title(_(TITLE))
picture, start = st.columns([3, 2], gap="large")
with picture:
    picture_title = _("Deeper plain nets train worse; with shortcuts, they do not")
    # Markdown, not st.html: st.html's sanitiser drops SVG. The SVG's text is escaped (figures.svg).
    st.markdown(degradation_svg(bundled_runs("digits"), title=picture_title), unsafe_allow_html=True)
    st.caption(
        _(
            "The models that ship with the app, trained 400 steps on small digit pictures (`python -m resnet_viz "
            "bundle-models`): the training error on each mini-batch as they learnt, and the test error at the end. "
            "The paper shows the same on CIFAR-10 (He et al. 2015, Fig. 6)."
        )
    )
with start:
    st.markdown(
        _(
            "Residual networks (He et al., 2015) made it possible to train networks with hundreds of "
            "layers. This app lets you build any of them, look inside, and train them yourself."
        )
    )
    frame.page_link("app_pages/lesson.py", label=_("Start the lesson: why it works, in thirteen steps"))
    st.caption(_(page("app_pages/lesson.py").blurb))
st.caption(
    _(
        "In 2015 they won the ILSVRC classification task (an ensemble, {top5} % top-5 error on the ImageNet test "
        "set) and first places in ImageNet detection, ImageNet localisation, COCO detection and COCO "
        "segmentation; on COCO detection the deeper representation alone gave a {coco} % relative improvement "
        "({source})."
    ).format(
        top5=published.values("abstract_2015_results")["ensemble_top5_test_error"],
        coco=published.values("abstract_2015_results")["coco_detection_relative_gain"],
        source=published.source("abstract_2015_results"),
    )
)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(_("The problem: degradation, not overfitting"))
    top1 = published.values("table2_top1_error")
    st.markdown(
        _(
            "Stacking more layers onto a network should never hurt: the extra layers could simply learn "
            "the identity. Yet in practice a deeper **plain** network reaches a *higher training error* "
            "than a shallower one: the paper shows it in its training curves, Fig. 4 (ImageNet, plain-18 vs "
            "plain-34) and Fig. 6 (CIFAR-10, plain-20 to plain-56). Because the training error rises, this "
            "is not overfitting: the optimiser fails to find the solution."
        )
    )
    st.markdown(
        _(
            "The same ordering shows in the *validation* error (He et al. 2015, Table 2: "
            "ImageNet top-1, 10-crop testing): plain-34 {plain34} % against {plain18} % "
            "for plain-18; with residual connections the order flips: ResNet-34 {resnet34} %, "
            "ResNet-18 {resnet18} %. That ResNet-34 uses option A shortcuts (zero-padding, no "
            "parameters), not the option B of this app's ResNet-34 preset."
        ).format(
            plain34=top1["plain-34"], plain18=top1["plain-18"], resnet34=top1["ResNet-34"], resnet18=top1["ResNet-18"]
        )
    )
    st.subheader(_("The fix: learn a residual"))
    st.markdown(
        _(
            "Each block adds its input back to what its layers compute. In the **original** unit (the "
            "paper's, and this app's default) a ReLU follows the addition:"
        )
    )
    st.latex(r"x_{l+1} = \mathrm{ReLU}\big(x_l + \mathcal{F}(x_l, W_l)\big)")
    st.markdown(
        _("In the **pre-activation** unit (Identity Mappings) nothing follows the addition, so the block is exactly")
    )
    st.latex(r"x_{l+1} = x_l + \mathcal{F}(x_l, W_l)")
    st.markdown(
        _(
            "If the identity is what is needed, the block only has to push $\\mathcal{F}$ to zero. "
            "With pre-activation units, unrolled over many blocks, "
            "$x_L = x_l + \\sum_{i=l}^{L-1} \\mathcal{F}(x_i, W_i)$, so the "
            "gradient of the loss $\\mathcal{E}$ reaching block $l$ is"
        )
    )
    st.latex(
        r"\frac{\partial \mathcal{E}}{\partial x_l} = \frac{\partial \mathcal{E}}{\partial x_L}"
        r"\left(1 + \frac{\partial}{\partial x_l} \sum_{i=l}^{L-1} \mathcal{F}(x_i, W_i)\right)"
    )
    st.markdown(
        _(
            "The **1** carries the gradient from the loss straight back to every layer, however deep "
            "the network. This is exact only when the shortcut is an identity *and* nothing follows the "
            "addition (Identity Mappings, Sec. 3): the pre-activation unit. In the original unit the "
            "ReLU after each addition passes the gradient only where its input is positive, so the "
            "formula holds there approximately. Compare both units on the *Identity mappings* page."
        )
    )
    st.markdown(
        _(
            "Nor can a mini-batch cancel it: the bracket would vanish only if the sum's derivative were exactly "
            "-1 for every sample of the batch at once, which in general it is not. So a layer's gradient does not "
            "vanish even when its weights are arbitrarily small (Identity Mappings, Sec. 2, after Eq. 5)."
        )
    )
with right:
    st.subheader(_("Where to go"))
    for info in PAGES:
        if info.blurb and info.path != "app_pages/lesson.py":
            frame.page_link(info.path)
            st.caption(_(info.blurb))
    st.info(
        _("Pick a network in the sidebar: every page shows the one you choose, and the URL keeps it."),
        icon=":material/arrow_back:",
    )

sources.footnote(
    [
        _(
            "{resnet}: Sec. 1 and 4.1 (degradation), Fig. 4 (ImageNet training curves), Fig. 6 "
            "(CIFAR-10 training curves), Table 2 (ImageNet top-1 validation error, 10-crop; ResNet-34 with "
            "option A)."
        ).format(resnet=sources.RESNET),
        _(
            "{identity}: Sec. 2 (Eq. 3-5: the unrolled sum and its gradient), Sec. 3 (exact when the "
            "shortcut and the after-addition activation are both identities), Sec. 4 (pre-activation)."
        ).format(identity=sources.IDENTITY),
    ]
)
