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


def nets_and_pictures(settings: dict, models_dir: Path = MODELS_DIR) -> tuple[dict, torch.Tensor, torch.Tensor]:
    """The bundled plain and residual nets of ``settings["depth"]`` ({"plain-56": ExplainedModel, "ResNet-56":
    ...}) and ``settings["pictures"]`` test pictures (x (N, C, H, W), y (N,)) of their dataset.

    The seed picks the batch: seed 0 the first N test pictures (those the shipped results were measured on),
    seed s the N from picture s·N on, wrapping round the test split, so a live run with another seed sees others.
    """
    from ..training.data import load_dataset

    depth, count = settings["depth"], settings["pictures"]
    models = {f"plain-{depth}": f"plain-{depth}", f"ResNet-{depth}": f"resnet-{depth}"}
    loaded = {name: load_bundled(file, models_dir=models_dir) for name, file in models.items()}
    config = loaded[f"ResNet-{depth}"].config
    bundle = load_dataset(config["dataset"], input_size=int(config["input_size"]), seed=int(config["seed"]))
    picked = (settings["seed"] * count + torch.arange(count)) % len(bundle.x_test)
    return loaded, bundle.x_test[picked], bundle.y_test[picked]


def lesion_tables(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, list[dict]]:
    """{name: `lesion_study` table} of the two nets on `nets_and_pictures`, as JSON records."""
    loaded, x, y = nets_and_pictures(settings, models_dir)
    return {name: _records(lesion_study(explained.model, x, y)) for name, explained in loaded.items()}


def landscape_tables(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, list[dict]]:
    """{name: 1-D `loss_surface`} of the two nets on `nets_and_pictures`, ``settings["points"]`` points over
    ±``settings["span"]`` along one random direction drawn from ``settings["seed"]``, as JSON records."""
    loaded, x, y = nets_and_pictures(settings, models_dir)
    steps, span, seed = settings["points"], settings["span"], settings["seed"]
    return {
        name: _records(loss_surface(explained.model, x, y, dims=1, steps=steps, span=span, seed=seed))
        for name, explained in loaded.items()
    }


def ratio_tables(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, list[dict]]:
    """{"<name> trained" / "<name> fresh": `response_ratios`} of the two nets, trained and freshly initialised
    from ``settings["seed"]``, on the first ``settings["ratio_pictures"]`` of `nets_and_pictures`, as JSON records."""
    loaded, x, _y = nets_and_pictures(settings, models_dir)
    some, results = x[: settings["ratio_pictures"]], {}
    for name, explained in loaded.items():
        fresh = freshly_initialised(explained.model, seed=settings["seed"])
        results[f"{name} trained"] = _records(response_ratios(explained.model, some))
        results[f"{name} fresh"] = _records(response_ratios(fresh, some))
    return results


def gradient_tables(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, list[dict]]:
    """{name: `plain_vs_residual` table} at initialisation from ``settings["seed"]`` (no bundled model needed;
    ``models_dir`` is there so every experiment is called alike), as JSON records."""
    return {
        name: _records(table) for name, table in plain_vs_residual(settings["depth"], True, settings["seed"]).items()
    }


EXPERIMENTS: dict[str, Callable[[dict, Path], dict[str, list[dict]]]] = {
    "lesion": lesion_tables,
    "landscape": landscape_tables,
    "ratios": ratio_tables,
    "gradients": gradient_tables,
}


def experiments(settings: dict, models_dir: Path = MODELS_DIR) -> dict[str, dict[str, list[dict]]]:
    """Every one of `EXPERIMENTS` at ``settings``: {"lesion": ..., "landscape": ..., "ratios": ..., "gradients":
    ...}, each {name: table as JSON records}. The Lesson's live runs call one of them alone."""
    return {experiment: run(settings, models_dir) for experiment, run in EXPERIMENTS.items()}


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
