"""Where a ResNet looks: Grad-CAM and other captum attributions as one 2-D map per image.

One entry point, `attribute(model, x, method, layer, target)`, returns a non-negative (H, W) map at
the input's resolution, whatever the method:

    gradcam               ReLU(sum_k mean(dy/dA_k) * A_k) at ``layer``, upsampled bilinearly (LayerGradCam)
    guided_gradcam        Guided Backprop x upsampled Grad-CAM, |.| summed over colour channels
    integrated_gradients  path integral of gradients from a mean-colour baseline, |.| summed over channels
    saliency              |dy/dx| summed over channels (one backward pass)
    occlusion             score drop when a square patch is replaced by the mean colour, positive part

``layer`` names a stage (``"layer4"``) or a block (``"layer3.5"``), looked up with ``get_submodule``.
Maps are raw (not normalised): the overlay scales them for display, and the localisation scores
(`mass_inside`, `pointing_hit`) do not depend on scale.

Models are shared between the app's users, so `attribute` never changes them: captum's hooks go on
a private structural copy that shares the model's tensors (see `nets.hooks.private_copy`), and are removed
inside the call; two users explaining the same model at once neither meet nor wait.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ..device import device_of
from ..i18n import N_, _
from ..nets.hooks import hooked, private_copy
from ..nets.naming import is_stage
from ..progress import Cancelled, Progress

RANDOM_LABEL = N_("Random map (chance)")  # `localisation_scores`' chance row
_IG_BATCH = 8  # images per forward pass in Integrated Gradients: progress every 8 steps, bounded memory
_OCCLUSION_BATCH = 16  # occluded copies per forward pass


# ---------------------------------------------------------------------- layers and predictions
def stage_names(model: nn.Module) -> list[str]:
    """The model's stages in order: ``["layer1", ..., "layer4"]`` (CIFAR-style nets have three)."""
    return [name for name, _ in model.named_children() if is_stage(name)]


def layer_names(model: nn.Module) -> list[str]:
    """Every stage and block Grad-CAM can look at, in depth order: layer1, layer1.0, layer1.1, ..., layer4.2."""
    names = []
    for stage in stage_names(model):
        names.append(stage)
        names += [f"{stage}.{block}" for block, _ in model.get_submodule(stage).named_children()]
    return names


@torch.no_grad()
def feature_shapes(model: nn.Module, x: torch.Tensor, names: Sequence[str]) -> dict[str, tuple[int, ...]]:
    """Output shape (C, h, w) of each named stage or block for one image: how coarse its Grad-CAM is."""
    x = _one_image(x).to(device_of(model))
    shapes: dict[str, tuple[int, ...]] = {}

    def record(name: str):
        return lambda _module, _inputs, out: shapes.__setitem__(name, tuple(out.shape[1:]))

    with private_copy(model) as view, hooked((view.get_submodule(name), record(name)) for name in names):
        view(x)
    return shapes


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """Top-``k`` (class index, probability) for one image ``x`` (1, C, H, W), most likely first."""
    x = _one_image(x).to(device_of(model))
    with private_copy(model) as view:
        probabilities = view(x).float().softmax(dim=1)[0]  # (num_classes,)
    top = probabilities.topk(min(k, probabilities.numel()))
    return list(zip(top.indices.tolist(), top.values.tolist()))


# ---------------------------------------------------------------------- the methods, each described once
@dataclass(frozen=True)
class _Settings:
    """One call's knobs, worked out once for the image: both a method and its pass count read them."""

    ig_steps: int  # integration steps, at least 2
    window: int  # side of the occluding square
    stride: int  # the square's step, half its side

    @classmethod
    def for_image(cls, x: torch.Tensor, ig_steps: int, occlusion_window: int | None) -> _Settings:
        side = min(x.shape[-2:])
        window = int(occlusion_window) if occlusion_window else max(2, side // 7)  # 224 -> 32 px patches, 32 -> 4 px
        window = max(1, min(window, side))
        return cls(ig_steps=max(2, int(ig_steps)), window=window, stride=max(1, window // 2))


@dataclass(frozen=True)
class Method:
    """One attribution method: its name, how captum runs it, and how its output becomes one (H, W) map.

    ``run(forward, layer, x, target, settings)`` returns captum's raw output for ``x`` (1, C, H, W); ``layer``
    is the chosen module for the methods that use one, else None. ``to_map(raw, (H, W))`` reduces it to (H, W).
    """

    label: str  # shown through _() where marked N_
    run: Callable[[nn.Module, nn.Module | None, torch.Tensor, int, _Settings], torch.Tensor]
    to_map: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]
    forward_passes: Callable[[torch.Tensor, _Settings], int] = lambda _x, _settings: 1  # the ``total`` progress reports
    uses_layer: bool = False  # Grad-CAM's stage or block
    slow: bool = False  # many forward passes: the page shows progress and Cancel


def _run_gradcam(forward, layer, x, target, _settings) -> torch.Tensor:
    from captum.attr import LayerGradCam

    return LayerGradCam(forward, layer).attribute(x, target=target, relu_attributions=True)  # (1, 1, h, w)


def _run_guided_gradcam(forward, layer, x, target, _settings) -> torch.Tensor:
    from captum.attr import GuidedGradCam

    with warnings.catch_warnings():  # captum announces its (temporary) ReLU hooks on every call
        warnings.filterwarnings("ignore", message="Setting backward hooks", category=UserWarning)
        return GuidedGradCam(forward, layer).attribute(
            x.detach().requires_grad_(), target=target, interpolate_mode="bilinear"
        )  # (1, C, H, W)


def _run_integrated_gradients(forward, _layer, x, target, settings) -> torch.Tensor:
    from captum.attr import IntegratedGradients

    return IntegratedGradients(forward).attribute(
        x, baselines=torch.zeros_like(x), target=target, n_steps=settings.ig_steps, internal_batch_size=_IG_BATCH
    )  # (1, C, H, W); baseline 0 = the mean colour after normalisation


def _run_saliency(forward, _layer, x, target, _settings) -> torch.Tensor:
    from captum.attr import Saliency

    return Saliency(forward).attribute(x.detach().requires_grad_(), target=target, abs=True)  # (1, C, H, W)


def _run_occlusion(forward, _layer, x, target, settings) -> torch.Tensor:
    from captum.attr import Occlusion

    channels = x.shape[1]
    return Occlusion(forward).attribute(
        x,
        sliding_window_shapes=(channels, settings.window, settings.window),
        strides=(channels, settings.stride, settings.stride),
        baselines=0.0,
        target=target,
        perturbations_per_eval=_OCCLUSION_BATCH,
    )  # (1, C, H, W): the same value in every channel of a patch


def _occlusion_passes(x: torch.Tensor, settings: _Settings) -> int:
    h, w = x.shape[-2:]
    patches = ((h - settings.window) // settings.stride + 1) * ((w - settings.window) // settings.stride + 1)
    return 1 + math.ceil(patches / _OCCLUSION_BATCH)  # one unoccluded pass, then the patches in batches


def _upsampled(cam: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(1, 1, h, w) -> (H, W), bilinearly."""
    from captum.attr import LayerAttribution

    return LayerAttribution.interpolate(cam, size, "bilinear")[0, 0]


def _abs_channel_sum(attribution: torch.Tensor, _size) -> torch.Tensor:
    """(1, C, H, W) -> (H, W): |.| summed over colour channels."""
    return attribution.abs().sum(dim=1)[0]


def _channel_sum(attribution: torch.Tensor, _size) -> torch.Tensor:
    """(1, C, H, W) -> (H, W), summed over colour channels."""
    return attribution.sum(dim=1)[0]


def _positive_channel_sum(attribution: torch.Tensor, _size) -> torch.Tensor:
    """(1, C, H, W) -> (H, W): summed over colour channels, positive part."""
    return attribution.sum(dim=1)[0].clamp_min(0)


_REGISTRY: dict[str, Method] = {
    "gradcam": Method("Grad-CAM", _run_gradcam, _upsampled, uses_layer=True),
    "guided_gradcam": Method(
        "Guided Grad-CAM",
        _run_guided_gradcam,
        _abs_channel_sum,
        lambda _x, _settings: 2,  # Grad-CAM's pass, then Guided Backprop's
        uses_layer=True,
    ),
    "integrated_gradients": Method(
        N_("Integrated Gradients"),
        _run_integrated_gradients,
        _abs_channel_sum,
        lambda _x, settings: math.ceil(settings.ig_steps / _IG_BATCH),
        slow=True,
    ),
    "saliency": Method(N_("Saliency"), _run_saliency, _channel_sum),  # captum's abs=True: already >= 0
    "occlusion": Method(N_("Occlusion"), _run_occlusion, _positive_channel_sum, _occlusion_passes, slow=True),
}
METHODS = {name: method.label for name, method in _REGISTRY.items()}  # method -> its name, translated where shown
SLOW_METHODS = tuple(name for name, method in _REGISTRY.items() if method.slow)
LAYER_METHODS = tuple(name for name, method in _REGISTRY.items() if method.uses_layer)  # the methods using ``layer``


# ---------------------------------------------------------------------- the one entry point
def attribute(
    model: nn.Module,
    x: torch.Tensor,
    method: str = "gradcam",
    layer: str | None = None,
    target: int | None = None,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    ig_steps: int = 32,
    occlusion_window: int | None = None,
) -> torch.Tensor:
    """Attribution map of one image for one class.

    Args:
        model: a ResNet built by `build_resnet` (in eval mode, or it is put there for the call).
        x: (1, C, H, W) or (C, H, W), preprocessed as the model expects.
        method: one of `METHODS`.
        layer: stage or block name for Grad-CAM and Guided Grad-CAM (see `layer_names`); None means the
            last stage ("layer4" in ImageNet nets, "layer3" in CIFAR-style ones).
        target: class index to explain; None explains the predicted class.
        progress: called with (forward passes done, forward passes in all) after every forward pass.
        cancel: polled before every forward pass; returning True raises `progress.Cancelled`.
        ig_steps: integration steps for Integrated Gradients.
        occlusion_window: side of the occluding square (default: a seventh of the image, stride half of it).

    Returns:
        (H, W) float32 tensor on the CPU, finite and >= 0.
    """
    chosen = _method(method)
    x = _one_image(x).to(device_of(model), torch.float32)  # (1, C, H, W)
    layer = _checked_layer(model, chosen, layer)
    settings = _Settings.for_image(x, ig_steps, occlusion_window)
    with private_copy(model) as model:  # captum's hooks go on this session's own copy, never the shared model
        if target is None:
            target = _predicted_class(model, x)
        forward = _Forward(model, chosen.forward_passes(x, settings), progress, cancel)
        raw = chosen.run(forward, model.get_submodule(layer) if chosen.uses_layer else None, x, target, settings)
        attribution = chosen.to_map(raw.detach(), tuple(x.shape[-2:]))  # (H, W)
    attribution = torch.nan_to_num(attribution.float(), nan=0.0, posinf=0.0, neginf=0.0).clamp_min(0)
    return attribution.cpu()


def _method(method: str) -> Method:
    if method not in _REGISTRY:
        raise ValueError(
            _("Unknown method {method}; choose one of {methods}.").format(
                method=repr(method), methods=", ".join(METHODS)
            )
        )
    return _REGISTRY[method]


def _checked_layer(model: nn.Module, method: Method, layer: str | None) -> str:
    """``layer``, or the last stage for None; an unknown name is refused for the methods that use it."""
    layer = layer or stage_names(model)[-1]
    if method.uses_layer and layer not in layer_names(model):
        raise ValueError(
            _("Unknown layer {layer}; choose a stage or block: {layers}, ...").format(
                layer=repr(layer), layers=", ".join(layer_names(model)[:6])
            )
        )
    return layer


@torch.no_grad()
def _predicted_class(model: nn.Module, x: torch.Tensor) -> int:
    return int(model(x).argmax(dim=1))


class _Forward(nn.Module):
    """The model, counting forward passes for progress and checking for cancellation before each.

    A module (not a function) so that Guided Backprop finds the model's ReLUs through it.
    """

    def __init__(self, model: nn.Module, total: int, progress: Progress | None, cancel) -> None:
        super().__init__()
        self.model, self.total, self.done = model, max(1, total), 0
        self.progress, self.cancel = progress, cancel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cancel is not None and self.cancel():
            raise Cancelled(_("The attribution was cancelled."))
        out = self.model(x)  # (N, num_classes)
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)
        return out


# ---------------------------------------------------------------------- localisation scores
def mass_inside(attribution: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of a map's total mass that falls inside the object mask (0..1; NaN for an all-zero map)."""
    attribution = attribution.float().clamp_min(0)
    total = float(attribution.sum())
    return float((attribution * mask.to(attribution.device).float()).sum()) / total if total > 0 else float("nan")


def pointing_hit(attribution: torch.Tensor, mask: torch.Tensor) -> bool:
    """Pointing game (Zhang et al. 2016), strict form: does the map's maximum fall on the object?

    An all-zero map points nowhere and counts as a miss.
    """
    if float(attribution.max()) <= 0:
        return False
    index = int(attribution.flatten().argmax())
    return bool(mask.flatten()[index])


def localisation_scores(
    model: nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    methods: Sequence[str] = tuple(METHODS),
    layer: str | None = None,
    targets: torch.Tensor | None = None,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """How well each method's maps fall on the object, against a random map, over a set of images.

    Args:
        images: (N, C, H, W) preprocessed; masks: (N, H, W) bool object masks (the shapes dataset's).
        layer: Grad-CAM layer (default: the last stage). targets: (N,) classes to explain (default: predicted).
        progress: called with (maps done, maps in all) after each map, one map per method and image.

    Returns:
        One row per method plus ``random``: method, label, mass_inside (mean share of mass on the
        object), pointing_game (hit rate), images, seconds_per_image. A random map's expected
        mass_inside equals the object's share of the image.
    """
    if len(images) != len(masks) or len(images) == 0:
        raise ValueError(_("Give the same positive number of images and masks."))
    layer = layer or stage_names(model)[-1]
    generator = torch.Generator().manual_seed(seed)
    rows = []
    steps, done = len(methods) * len(images), 0
    for method in methods:
        shares, hits, started = [], [], time.perf_counter()
        for i in range(len(images)):
            target = int(targets[i]) if targets is not None else None
            attribution = attribute(model, images[i : i + 1], method, layer, target, cancel=cancel)
            shares.append(mass_inside(attribution, masks[i]))
            hits.append(pointing_hit(attribution, masks[i]))
            done += 1
            if progress is not None:
                progress(done, steps)
        rows.append(_score_row(method, METHODS[method], shares, hits, (time.perf_counter() - started) / len(images)))
    shares, hits = [], []
    for mask in masks:
        noise = torch.rand(mask.shape, generator=generator)  # (H, W) uniform: the chance level
        shares.append(mass_inside(noise, mask))
        hits.append(pointing_hit(noise, mask))
    rows.append(_score_row("random", RANDOM_LABEL, shares, hits, 0.0))
    return pd.DataFrame(rows)


def _score_row(method: str, label: str, shares: list[float], hits: list[bool], seconds: float) -> dict:
    valid = [s for s in shares if not math.isnan(s)]
    return {
        "method": method,
        "label": label,
        "mass_inside": sum(valid) / len(valid) if valid else float("nan"),
        "pointing_game": sum(hits) / len(hits),
        "images": len(hits),
        "seconds_per_image": seconds,
    }


# ---------------------------------------------------------------------- helpers
def _one_image(x: torch.Tensor) -> torch.Tensor:
    if x.dim() == 3:
        x = x[None]
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(
            _("attribute explains one image: give (1, C, H, W) or (C, H, W), not {shape}.").format(shape=tuple(x.shape))
        )
    return x
