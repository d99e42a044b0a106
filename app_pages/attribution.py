"""Where it looks: Grad-CAM and captum attributions for ImageNet ResNets and the app's own runs."""

import streamlit as st

from resnet_viz.i18n import _
from ui import attribution as loaders
from ui import citations as sources
from ui.attribution import MapKey
from ui.attribution_choosers import choose_model, choose_picture
from ui.attribution_compare import localisation_check, residual_vs_plain
from ui.progress import was_cancelled, with_progress
from ui.text import plain, translated

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

from resnet_viz.figures.attribution import prediction_chart  # noqa: E402
from resnet_viz.probes.attribution import (  # noqa: E402
    LAYER_METHODS,
    METHODS,
    SLOW_METHODS,
    attribute,
    feature_shapes,
    layer_names,
    predict,
    stage_names,
)
from resnet_viz.probes.images import COLORMAPS, overlay, to_model_input  # noqa: E402

MAPS = "attribution maps"  # this session's cache bucket (see ui.attribution.remembered)


def explain(explained, model_key: str, picture, picture_key: str) -> None:
    """Predictions, the chosen attribution over the picture, and the Grad-CAM strip."""
    model, prep = explained.model, explained.preprocessing
    classes = class_names(explained)
    x, shown = to_model_input(picture, prep)  # (1, C, crop, crop) and the crop as a picture

    st.subheader(_("3. What it sees, and why"))
    top = predict(model, x, k=min(5, len(classes)))
    if any(p != p for _i, p in top):  # NaN: the weights themselves are not finite
        st.warning(
            _(
                "This model's outputs are not numbers: its run diverged (NaN or infinite weights), so every map is "
                "empty. Pick another run."
            ),
            icon="💥",
        )
    probability = dict(top)
    order = [i for i, _p in top] + [i for i in range(len(classes)) if i not in probability]
    left, right = st.columns([2, 3], gap="large")
    with right:
        target = st.selectbox(
            _("Explain the class"),
            order,
            format_func=lambda i: f"{classes[i]}" + (f" ({probability[i]:.1%})" if i in probability else ""),
            key=f"att_target_{model_key}_{picture_key[:16]}",  # a new picture or model starts at its prediction
            help=_("By default the predicted class. Any class can be explained: where is the evidence for it?"),
        )
        c1, c2 = st.columns(2)
        method = c1.selectbox(_("Method"), list(METHODS), format_func=translated(METHODS), key="att_method")
        method_name = _(METHODS[method])
        layers = layer_names(model)
        layer = c2.selectbox(
            _("Layer (Grad-CAM)"),
            layers,
            index=layers.index(stage_names(model)[-1]),
            key=f"att_layer_{model_key}",
            disabled=method not in LAYER_METHODS,
            help=_("A stage (layer4) or one block inside it (layer4.2). Only Grad-CAM and Guided Grad-CAM use it."),
        )
        c1, c2 = st.columns(2)
        colormap = c1.selectbox(_("Colour map"), COLORMAPS, key="att_colormap")
        opacity = c2.slider(_("Opacity"), 0.0, 1.0, 0.6, 0.05, key="att_opacity")
    with left:
        st.plotly_chart(prediction_chart(top, classes, target), width="stretch", key="att_top5")

    def map_for(method: str, layer: str):
        """(key, compute) for this page's attribution of the current picture."""
        key = MapKey(model_key, picture_key, method, layer if method in LAYER_METHODS else "", int(target))
        return key, lambda progress=None: attribute(model, x, method, layer, int(target), progress=progress)

    key, compute = map_for(method, layer)
    attribution = None
    if method in SLOW_METHODS and loaders.recall(MAPS, key) is None:
        cancel_key = "att_cancel_main"
        if was_cancelled(cancel_key):
            st.warning(_("{method} was cancelled; nothing was lost.").format(method=method_name), icon="⏹️")
        if st.button(
            _("Compute {method}").format(method=method_name),
            type="primary",
            key="att_compute",
            help=_("Many forward passes: seconds on a GPU, up to a minute on a CPU for the largest networks."),
        ):
            attribution = loaders.remembered(MAPS, key, lambda: with_progress(method_name, compute, cancel_key))
    else:
        attribution = loaders.remembered(MAPS, key, compute)

    left, right = st.columns(2, gap="large")
    caption = _("What the model sees ({size} x {size})").format(size=prep.crop_size)
    left.image(loaders.display_size(shown), caption=caption, width="stretch")
    if attribution is None:
        right.info(
            _(
                "{method} needs many forward passes, so it runs when you press **Compute**; "
                "a progress bar shows how far it is, and it can be cancelled."
            ).format(method=method_name),
            icon="⏳",
        )
    else:
        if method in LAYER_METHODS:
            caption = _("{method} overlay for “{label}” at {layer}").format(
                method=method_name, label=classes[target], layer=layer
            )
        else:
            caption = _("{method} overlay for “{label}”").format(method=method_name, label=classes[target])
        right.image(
            loaders.display_size(overlay(shown, attribution, colormap, opacity)), caption=caption, width="stretch"
        )

    st.subheader(_("Grad-CAM stage by stage"))
    strip = stage_names(model) + ([layer] if "." in layer else [])
    shapes = feature_shapes(model, x, strip)
    for column, name in zip(st.columns(len(strip)), strip):
        cam_map = loaders.remembered(MAPS, *map_for("gradcam", name))
        channels, h, w = shapes[name]
        column.image(
            loaders.display_size(overlay(shown, cam_map, colormap, opacity), 200),
            caption=_("{layer}: {height} x {width} cells, {channels} channels").format(
                layer=name, height=h, width=w, channels=channels
            ),
            width="stretch",
        )
    st.caption(
        _(
            "Read left to right: the first stages keep fine resolution, but each of their cells sees only a small "
            "patch of the picture; the last stage sees the whole object at coarse resolution, so its map is blocky "
            "but about the class. Selvaraju et al. (Sec. 3) take the last convolutional layer for that reason, as "
            "the best compromise between high-level semantics and spatial detail. What the earlier stages' maps "
            "follow on your picture is for you to judge: the app makes no claim about it."
        )
    )


def class_names(explained) -> list[str]:
    """The model's class names to show: ImageNet's stay English (torchvision's labels), a small dataset's are
    translated (shapes, CIFAR-10)."""
    return [_(name) for name in explained.classes] if explained.dataset else list(explained.classes)


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
        explain(explained, model_key, *picture)
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
