"""Results shipped in ``assets/models/`` beside the bundled models, as the tables the figures draw. Torch-free,
and pandas only where a table is asked for: Home draws the training curves (`bundled_runs`) before either loads.

* ``curves.json``: the bundled models' training curves, written by ``python -m resnet_viz bundle-models``;
* ``lesson_results.json``: the Lesson's experiments on them, by ``python -m resnet_viz lesson-results``
  (`probes.lesson_results`).
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

from .assets import ASSETS_DIR

if TYPE_CHECKING:
    import pandas as pd

MODELS = ASSETS_DIR / "models"
CURVES_PATH, LESSON_PATH = MODELS / "curves.json", MODELS / "lesson_results.json"


@cache
def _curves() -> dict:
    return json.loads(CURVES_PATH.read_text(encoding="utf-8"))["models"]


@cache
def _lesson() -> dict:
    return json.loads(LESSON_PATH.read_text(encoding="utf-8"))


def lesson_results(experiment: str) -> dict[str, pd.DataFrame]:
    """One experiment of ``lesson_results.json`` ("lesion", "landscape", "ratios", "gradients"): {name: table},
    the tables as the probes returned them (see `probes.lesson_results.experiments`)."""
    import pandas as pd

    return {name: pd.DataFrame(rows) for name, rows in _lesson()["results"][experiment].items()}


def lesson_settings() -> dict:
    """The settings ``lesson_results.json`` was computed with (depth, pictures, points, span, seed, ...)."""
    return dict(_lesson()["settings"])


def bundled_runs(dataset: str = "digits") -> list[dict]:
    """The bundled models trained on ``dataset``, as plain lists (no pandas): one dict per model with id, name,
    depth, residual, step, train_loss, batch_error (the mini-batch training error over each logging window, one
    value per step), train_error and test_error (fractions, the whole splits at the end, as in the manifest)."""
    keys = ("depth", "residual", "step", "train_loss", "batch_error", "train_error", "test_error")
    return [
        {"id": run_id, "name": name} | {key: entry[key] for key in keys}
        for run_id, (name, entry) in enumerate(_curves().items(), start=1)
        if entry["dataset"] == dataset
    ]


def bundled_curves(dataset: str = "digits") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, runs) of the bundled models trained on ``dataset`` (`bundled_runs`), shaped like `RunStore.metrics`
    and `RunStore.runs` for `figures.training.degradation_figure`.

    metrics: run_id, step, train_loss, train_error (the mini-batch training error over each logging window),
    test_error (the whole test split, at the last step only). runs: id, name, depth, residual, train_error and
    test_error (the whole splits at the end, as in the manifest).
    """
    import pandas as pd

    runs, metrics = [], []
    for run in bundled_runs(dataset):
        runs.append({key: run[key] for key in ("id", "name", "depth", "residual", "train_error", "test_error")})
        last = run["step"][-1]
        for step, loss, error in zip(run["step"], run["train_loss"], run["batch_error"], strict=True):
            test = run["test_error"] if step == last else float("nan")
            metrics.append(
                {"run_id": run["id"], "step": step, "train_loss": loss, "train_error": error, "test_error": test}
            )
    return pd.DataFrame(metrics), pd.DataFrame(runs)
