"""resnet_viz: build any ResNet, explain its shape, train it and look inside it.

A pure library (it never imports streamlit); the app in ``app.py`` and ``pages/`` draws what it
computes.
"""

from .analysis import MemoryEstimate, estimate_memory, format_shape, layer_table, shortcut_table, stage_table
from .builder import ModelTooLargeError, available_memory, build_resnet, check_fits, device_label, pick_device
from .model import Add, ResidualUnit, ResNet, ZeroPadShortcut
from .paper import paper_checks
from .spec import ResNetSpec, valid_depths

__all__ = [
    "Add",
    "MemoryEstimate",
    "ModelTooLargeError",
    "ResNet",
    "ResNetSpec",
    "ResidualUnit",
    "ZeroPadShortcut",
    "available_memory",
    "build_resnet",
    "check_fits",
    "device_label",
    "estimate_memory",
    "format_shape",
    "layer_table",
    "paper_checks",
    "pick_device",
    "shortcut_table",
    "stage_table",
    "valid_depths",
]
