"""resnet_viz: build any ResNet, explain its shape, train it and look inside it.

A pure library (it never imports streamlit); the app in ``app.py`` and ``app_pages/`` draws what it
computes. Its wings, as folders:

* ``nets``: what a network is (spec, model, builder, names, tables, memory, the papers' numbers);
* ``training``: how it learns (config, engine, queue, store, data, budgets, labs, sweeps, bundled models);
* ``probes``: looking inside (gradients, responses, attribution, lesions, landscapes, one block);
* ``figures``: plotly figures, pure functions of the tables the other wings compute.

The names below are the public API, each loaded on first use (PEP 562): ``import resnet_viz`` and
``from resnet_viz.nets.spec import ResNetSpec`` do not import torch, so the app's home page appears
before torch has loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

# The public API, listed once: name -> the module (below resnet_viz) that defines it.
_EXPORTS = {
    # nets: what a network is
    "ResNetSpec": "nets.spec",
    "valid_depths": "nets.spec",
    "paper_name": "nets.naming",
    "Add": "nets.model",
    "ResidualUnit": "nets.model",
    "ResNet": "nets.model",
    "ZeroPadShortcut": "nets.model",
    "build_resnet": "nets.builder",
    "check_fits": "nets.memory",
    "ModelTooLargeError": "nets.memory",
    "MemoryEstimate": "nets.memory",
    "estimate_memory": "nets.memory",
    "layer_table": "nets.tables",
    "stage_table": "nets.tables",
    "shortcut_table": "nets.tables",
    "block_summary": "nets.tables",
    "shortcut_option_costs": "nets.costs",
    "paper_checks": "nets.paper",
    "side_by_side": "nets.paper",
    # training: how it learns
    "TrainConfig": "training.config",
    "train": "training.engine",
    "RunQueue": "training.queue",
    "RunStore": "training.store",
    "load_dataset": "training.data",
    # probes: looking inside
    "attribute": "probes.attribution",
    "predict": "probes.attribution",
    "layer_names": "probes.attribution",
    "localisation_scores": "probes.attribution",
    "load_image": "probes.images",
    "overlay": "probes.images",
    "to_model_input": "probes.images",
    "Preprocessing": "probes.images",
    "ImageError": "probes.images",
    "load_pretrained": "probes.explainable",
    "load_run_model": "probes.explainable",
    "download_weights": "probes.explainable",
    "ExplainableModel": "probes.explainable",
    "WeightsUnavailable": "probes.explainable",
    # shared helpers
    "device_label": "device",
    "available_memory": "device",
    "pick_device": "device",
    "resolve_device": "device",
    "device_of": "device",
    "format_shape": "formatting",
    "human": "formatting",
    "Progress": "progress",
    "Cancelled": "progress",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'resnet_viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
