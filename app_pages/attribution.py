"""Where it looks: Grad-CAM and captum attributions for ImageNet ResNets and the app's own runs."""

import streamlit as st

from resnet_viz.i18n import _
from ui import attribution as loaders
from ui import citations as sources
from ui.attribution_choosers import choose_model, choose_picture
from ui.attribution_compare import localisation_check, residual_vs_plain
from ui.attribution_explain import explain
from ui.text import plain

st.title(_("Where it looks"))
st.markdown(
    _(
        "**Grad-CAM** (Selvaraju et al., 2017) asks a stage of the network which of its feature maps raise "
        "the score of a class, weights the maps by that, and keeps the positive part: a heat map of the "
        "evidence, at the stage's own resolution. Other methods (through "
        "[captum](https://captum.ai)) work on the pixels themselves. Pick a model and a picture. "
        "(Explanations need trained weights, so this page picks its own model: the sidebar's network is not used.)"
    )
)

MAPS = "attribution maps"  # this session's cache bucket (see ui.attribution.remembered)

runs = loaders.trained_runs()
chosen = choose_model(runs)
if chosen is not None:
    explained, model_key = chosen
    prep = explained.preprocessing
    st.caption(
        _(
            "**{model}**: {classes} classes; pictures are resized to {resize} px and centre-cropped to {crop} x {crop}."
        ).format(
            model=plain(explained.display_name()),
            classes=len(explained.classes),
            resize=prep.resize_size,
            crop=prep.crop_size,
        )
    )
    picture = choose_picture(explained, model_key)
    if picture is not None:
        explain(explained, model_key, *picture, MAPS)
st.divider()
residual_vs_plain(runs, MAPS)
st.divider()
localisation_check(runs)
sources.footnote(
    [
        _(
            "{selvaraju}: Sec. 3 (each feature map weighted by its average gradient for the class, a ReLU on the "
            "sum; the last convolutional layer as the compromise between semantics and spatial detail)."
        ).format(selvaraju=sources.SELVARAJU),
        _("{resnet}: Table 1 (the stages conv2_x to conv5_x and the size of their maps).").format(
            resnet=sources.RESNET
        ),
    ]
)
