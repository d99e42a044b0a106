"""Where it looks, step 3: the predictions, the chosen attribution over the picture, and the Grad-CAM strip.

Torch-side modules are imported inside the functions, so the page's title and intro draw before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from resnet_viz.i18n import _

from . import attribution as loaders
from .attribution import MapKey
from .progress import was_cancelled, with_progress
from .text import translated


@dataclass(frozen=True)
class View:
    """What the reader asked to see: the class to explain, how, and how to draw it."""

    target: int  # class index
    method: str  # a key of `METHODS`
    layer: str  # Grad-CAM's stage or block
    colormap: str
    opacity: float


@dataclass(frozen=True)
class Maps:
    """The attribution maps of one picture for one model and class, each with the key it is remembered under."""

    model: object  # the shared model: `attribute` never changes it
    x: object  # (1, C, crop, crop) model input
    model_key: str
    picture_key: str
    target: int
    bucket: str  # this session's cache bucket (see `ui.attribution.remembered`)

    def request(self, method: str, layer: str):
        """(key, compute) for ``method``'s map at ``layer``; compute takes an optional progress callback."""
        from resnet_viz.probes.attribution import LAYER_METHODS, attribute

        key = MapKey(self.model_key, self.picture_key, method, layer if method in LAYER_METHODS else "", self.target)
        return key, lambda progress=None: attribute(self.model, self.x, method, layer, self.target, progress=progress)

    def remembered(self, method: str, layer: str):
        """``method``'s map at ``layer``, computed once per session."""
        return loaders.remembered(self.bucket, *self.request(method, layer))


def explain(explained, model_key: str, picture, picture_key: str, bucket: str) -> None:
    """Predictions, the chosen attribution over the picture, and the Grad-CAM strip."""
    from resnet_viz.figures.attribution import prediction_chart
    from resnet_viz.probes.attribution import METHODS, predict
    from resnet_viz.probes.images import to_model_input

    model, prep = explained.model, explained.preprocessing
    classes = class_names(explained)
    x, shown = to_model_input(picture, prep)  # (1, C, crop, crop) and the crop as a picture

    st.subheader(_("3. What it sees, and why"))
    top = predict(model, x, k=min(5, len(classes)))
    _warn_if_diverged(top)
    left, right = st.columns([2, 3], gap="large")
    with right:
        view = _choose_view(model, classes, top, model_key, picture_key)
    with left:
        st.plotly_chart(prediction_chart(top, classes, view.target), width="stretch", key="att_top5")

    maps = Maps(model, x, model_key, picture_key, int(view.target), bucket)
    method_name = _(METHODS[view.method])
    attribution = _chosen_map(maps, view, method_name)
    left, right = st.columns(2, gap="large")
    caption = _("What the model sees ({size} x {size})").format(size=prep.crop_size)
    left.image(loaders.display_size(shown), caption=caption, width="stretch")
    with right:
        _draw_overlay(shown, attribution, view, method_name, classes[view.target])
    _gradcam_strip(maps, shown, view)


def class_names(explained) -> list[str]:
    """The model's class names to show: ImageNet's stay English (torchvision's labels), a small dataset's are
    translated (shapes, CIFAR-10)."""
    return [_(name) for name in explained.classes] if explained.dataset else list(explained.classes)


def _warn_if_diverged(top: list[tuple[int, float]]) -> None:
    if any(p != p for _i, p in top):  # NaN: the weights themselves are not finite
        st.warning(
            _(
                "This model's outputs are not numbers: its run diverged (NaN or infinite weights), so every map is "
                "empty. Pick another run."
            ),
            icon="💥",
        )


def _choose_view(model, classes: list[str], top: list[tuple[int, float]], model_key: str, picture_key: str) -> View:
    """The widgets beside the predictions: class (predicted first), method, layer, colour map and opacity."""
    from resnet_viz.probes.attribution import LAYER_METHODS, METHODS, layer_names, stage_names
    from resnet_viz.probes.images import COLORMAPS

    probability = dict(top)
    order = [i for i, _p in top] + [i for i in range(len(classes)) if i not in probability]
    target = st.selectbox(
        _("Explain the class"),
        order,
        format_func=lambda i: f"{classes[i]}" + (f" ({probability[i]:.1%})" if i in probability else ""),
        key=f"att_target_{model_key}_{picture_key[:16]}",  # a new picture or model starts at its prediction
        help=_("By default the predicted class. Any class can be explained: where is the evidence for it?"),
    )
    c1, c2 = st.columns(2)
    method = c1.selectbox(_("Method"), list(METHODS), format_func=translated(METHODS), key="att_method")
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
    return View(target, method, layer, colormap, opacity)


def _chosen_map(maps: Maps, view: View, method_name: str):
    """The chosen method's map; a slow method not yet computed waits for its button (None until pressed)."""
    from resnet_viz.probes.attribution import SLOW_METHODS

    key, compute = maps.request(view.method, view.layer)
    if view.method not in SLOW_METHODS or loaders.recall(maps.bucket, key) is not None:
        return loaders.remembered(maps.bucket, key, compute)
    cancel_key = "att_cancel_main"
    if was_cancelled(cancel_key):
        st.warning(_("{method} was cancelled; nothing was lost.").format(method=method_name), icon="⏹️")
    if st.button(
        _("Compute {method}").format(method=method_name),
        type="primary",
        key="att_compute",
        help=_("Many forward passes: seconds on a GPU, up to a minute on a CPU for the largest networks."),
    ):
        return loaders.remembered(maps.bucket, key, lambda: with_progress(method_name, compute, cancel_key))
    return None


def _draw_overlay(shown, attribution, view: View, method_name: str, label: str) -> None:
    """The map over the picture, or (before a slow method is computed) what pressing Compute will do."""
    from resnet_viz.probes.attribution import LAYER_METHODS
    from resnet_viz.probes.images import overlay

    if attribution is None:
        st.info(
            _(
                "{method} needs many forward passes, so it runs when you press **Compute**; "
                "a progress bar shows how far it is, and it can be cancelled."
            ).format(method=method_name),
            icon="⏳",
        )
        return
    if view.method in LAYER_METHODS:
        caption = _("{method} overlay for “{label}” at {layer}").format(
            method=method_name, label=label, layer=view.layer
        )
    else:
        caption = _("{method} overlay for “{label}”").format(method=method_name, label=label)
    picture = overlay(shown, attribution, view.colormap, view.opacity)
    st.image(loaders.display_size(picture), caption=caption, width="stretch")


def _gradcam_strip(maps: Maps, shown, view: View) -> None:
    """Grad-CAM at every stage (and at the chosen block), each captioned with its resolution."""
    from resnet_viz.probes.attribution import feature_shapes, stage_names
    from resnet_viz.probes.images import overlay

    st.subheader(_("Grad-CAM stage by stage"))
    strip = stage_names(maps.model) + ([view.layer] if "." in view.layer else [])
    shapes = feature_shapes(maps.model, maps.x, strip)
    for column, name in zip(st.columns(len(strip)), strip):
        channels, h, w = shapes[name]
        column.image(
            loaders.display_size(overlay(shown, maps.remembered("gradcam", name), view.colormap, view.opacity), 200),
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
