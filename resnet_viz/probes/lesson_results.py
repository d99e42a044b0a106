"""The Lesson's experiments on the bundled models, computed ahead: ``python -m resnet_viz lesson-results``.

On a 2-core CPU the lesion study and the loss landscape of the two 56-layer nets take minutes, too long for a
step of the Lesson; this command runs them once, with the probes the Why-it-works and Gradient-flow pages run
live (`lesion.lesion_study`, `landscape.loss_surface`, `inside.response_ratios`, `gradients.plain_vs_residual`),
and writes their tables to ``assets/models/lesson_results.json`` with what produced them (the command, its
settings, the bundled models' checksums, torch's version). Its SHA-256 goes into the bundled manifest, and a
small ``check`` (the same experiments at a small size) lets a test reproduce them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from ..training.bundled import MANIFEST, MODELS_DIR, sha256
from .explainable import load_bundled
from .gradients import plain_vs_residual
from .inside import freshly_initialised, response_ratios
from .landscape import loss_surface
from .lesion import lesion_study

RESULTS = "lesson_results.json"
COMMAND = "python -m resnet_viz lesson-results"
DEFAULTS = {"depth": 56, "pictures": 128, "ratio_pictures": 64, "points": 21, "span": 0.25, "seed": 0}
CHECK = {"depth": 20, "pictures": 16, "ratio_pictures": 8, "points": 3, "span": 0.25, "seed": 0}


def _records(table: pd.DataFrame) -> list[dict]:
    return json.loads(table.to_json(orient="records"))


def experiments(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, dict[str, list[dict]]]:
    """The Lesson's tables for the bundled plain and residual nets of ``settings["depth"]``, as JSON records.

    Returns {"lesion": {name: lesion_study table}, "landscape": {name: 1-D loss_surface}, "ratios": {"<name>
    trained" / "<name> fresh": response_ratios}, "gradients": {name: plain_vs_residual table at initialisation}}.
    """
    from ..training.data import load_dataset

    depth = settings["depth"]
    models = {f"plain-{depth}": f"plain-{depth}", f"ResNet-{depth}": f"resnet-{depth}"}
    loaded = {name: load_bundled(file, models_dir=models_dir) for name, file in models.items()}
    config = loaded[f"ResNet-{depth}"].config
    bundle = load_dataset(config["dataset"], input_size=int(config["input_size"]), seed=int(config["seed"]))
    x, y = bundle.x_test[: settings["pictures"]], bundle.y_test[: settings["pictures"]]
    results: dict[str, dict[str, list[dict]]] = {"lesion": {}, "landscape": {}, "ratios": {}, "gradients": {}}
    for name, explained in loaded.items():
        model = explained.model
        results["lesion"][name] = _records(lesion_study(model, x, y))
        surface = loss_surface(
            model, x, y, dims=1, steps=settings["points"], span=settings["span"], seed=settings["seed"]
        )
        results["landscape"][name] = _records(surface)
        some = x[: settings["ratio_pictures"]]
        results["ratios"][f"{name} trained"] = _records(response_ratios(model, some))
        results["ratios"][f"{name} fresh"] = _records(response_ratios(freshly_initialised(model, seed=0), some))
    for name, table in plain_vs_residual(depth, True, settings["seed"]).items():
        results["gradients"][name] = _records(table)
    return results


def write_lesson_results(
    out_dir: Path = MODELS_DIR, settings: dict | None = None, log: Callable[[str], None] = print
) -> dict:
    """Compute `experiments` at ``settings`` (default `DEFAULTS`) and at `CHECK`, write `RESULTS` into
    ``out_dir`` (where the bundled models are) and its checksum into their manifest; returns what was written."""
    settings = {**DEFAULTS, **(settings or {})}
    out_dir = Path(out_dir)
    started = time.perf_counter()
    data = {
        "about": (
            "The Lesson's experiments on the bundled models, computed ahead by the app's probes (lesion study, "
            "1-D loss landscape, ||F(x)||/||x|| per block, gradient norms at initialisation)."
        ),
        "command": COMMAND,
        "settings": settings,
        "models": {name: sha256(out_dir / f"{name}.pt") for name in _model_files(settings["depth"], CHECK["depth"])},
        "torch": torch.__version__,
        "results": experiments(settings, out_dir),
        "check": {"settings": CHECK, "results": experiments(CHECK, out_dir)},
    }
    data["seconds"] = round(time.perf_counter() - started, 1)
    path = out_dir / RESULTS
    path.write_text(json.dumps(data, indent=1) + "\n")
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["lesson_results"] = {"file": RESULTS, "sha256": sha256(path), "command": COMMAND}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"{path}: {data['seconds']} s")
    return data


def _model_files(*depths: int) -> list[str]:
    return [f"{kind}-{depth}" for depth in sorted(set(depths)) for kind in ("plain", "resnet")]
