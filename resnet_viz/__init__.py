"""resnet_viz: build any ResNet, explain its shape, train it and look inside it.

A pure library (it never imports streamlit); the app in ``app.py`` and ``app_pages/`` draws what it
computes. Figures live in the ``figures`` subpackage (``resnet_viz.figures.architecture``,
``.gradients``, ``.training``, ``.attribution``, sharing ``.style``); the papers' numbers and the
sample photos in the repository's ``assets/`` folder (`published`, `images.bundled_samples`).
Names are loaded lazily (PEP 562), so ``from resnet_viz.spec import ResNetSpec`` does not
import torch: the app's home page appears before torch has loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public API: name -> module that defines it.
_EXPORTS = {
    "ResNetSpec": "spec",
    "valid_depths": "spec",
    "paper_name": "naming",
    "Add": "model",
    "ResidualUnit": "model",
    "ResNet": "model",
    "ZeroPadShortcut": "model",
    "build_resnet": "builder",
    "check_fits": "builder",
    "device_label": "device",
    "available_memory": "device",
    "pick_device": "device",
    "ModelTooLargeError": "builder",
    "resolve_device": "device",
    "device_of": "device",
    "layer_table": "analysis",
    "stage_table": "analysis",
    "shortcut_table": "analysis",
    "estimate_memory": "analysis",
    "format_shape": "formatting",
    "human": "formatting",
    "Progress": "progress",
    "MemoryEstimate": "analysis",
    "paper_checks": "paper",
    "side_by_side": "paper",
    "block_summary": "analysis",
    "shortcut_option_costs": "analysis",
    "attribute": "attribution",
    "predict": "attribution",
    "layer_names": "attribution",
    "localisation_scores": "attribution",
    "AttributionCancelled": "attribution",
    "load_image": "images",
    "overlay": "images",
    "to_model_input": "images",
    "Preprocessing": "images",
    "ImageError": "images",
    "load_pretrained": "sources",
    "load_run_model": "sources",
    "download_weights": "sources",
    "ExplainableModel": "sources",
    "WeightsUnavailable": "sources",
}
__all__ = [
    "Add",
    "AttributionCancelled",
    "ExplainableModel",
    "ImageError",
    "MemoryEstimate",
    "ModelTooLargeError",
    "Preprocessing",
    "Progress",
    "ResNet",
    "ResNetSpec",
    "ResidualUnit",
    "WeightsUnavailable",
    "ZeroPadShortcut",
    "attribute",
    "available_memory",
    "block_summary",
    "build_resnet",
    "check_fits",
    "device_label",
    "device_of",
    "download_weights",
    "estimate_memory",
    "format_shape",
    "human",
    "layer_names",
    "layer_table",
    "load_image",
    "load_pretrained",
    "load_run_model",
    "localisation_scores",
    "overlay",
    "paper_checks",
    "paper_name",
    "pick_device",
    "predict",
    "resolve_device",
    "shortcut_option_costs",
    "shortcut_table",
    "side_by_side",
    "stage_table",
    "to_model_input",
    "valid_depths",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'resnet_viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs
    from .analysis import (
        MemoryEstimate,
        block_summary,
        estimate_memory,
        layer_table,
        shortcut_option_costs,
        shortcut_table,
        stage_table,
    )
    from .attribution import AttributionCancelled, attribute, layer_names, localisation_scores, predict
    from .builder import ModelTooLargeError, build_resnet, check_fits
    from .device import available_memory, device_label, device_of, pick_device, resolve_device
    from .formatting import format_shape, human
    from .images import ImageError, Preprocessing, load_image, overlay, to_model_input
    from .model import Add, ResidualUnit, ResNet, ZeroPadShortcut
    from .naming import paper_name
    from .paper import paper_checks, side_by_side
    from .progress import Progress
    from .sources import ExplainableModel, WeightsUnavailable, download_weights, load_pretrained, load_run_model
    from .spec import ResNetSpec, valid_depths
