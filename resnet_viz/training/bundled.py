"""The models that ship with the app (`assets/models/`), and the one command that makes them.

``python -m resnet_viz bundle-models`` trains plain-20, plain-56, ResNet-20, ResNet-56 (CIFAR style,
option A, as the paper's Fig. 6) on the bundled digits at 16 px and a ResNet-20 on the bundled shapes,
with the app's own training engine (`engine.train`), on the CPU, from seed 0. Each file holds the
weights in float16 (the files stay small; they load back into float32), the spec, the training
config, the dataset's statistics and classes, and the errors measured on the whole train and test
splits *with the float16 weights*. `assets/models/manifest.json` records each file's SHA-256 (a
damaged or tampered file is refused with a readable message, see `explainable.load_bundled`) and a
reproduction check: the metrics of ResNet-20 on digits after `CHECK_STEPS` steps, which the tests
re-train and compare.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from ..assets import ASSETS_DIR
from ..i18n import N_, _
from ..nets.spec import ResNetSpec
from .evaluate import evaluate

MODELS_DIR = ASSETS_DIR / "models"
MANIFEST = "manifest.json"
CURVES = "curves.json"  # the training curves of the bundled models, torch-free (Home and the Lesson draw them)
FORMAT = 1
BUNDLE_STEPS = 400  # optimiser steps per digits model: about 5 minutes for the four on a 2-core CPU
# One learning rate for the four digits nets, so that plain and residual nets differ in their shortcuts only.
# The paper's 0.1 leaves plain-56 at chance after 400 steps (89.7 % training error, measured: the degradation
# problem at its extreme), and a net at chance has nothing to delete or to look at; 0.02 trains all four.
BUNDLE_LR = 0.02
CHECK_MODEL, CHECK_STEPS = "resnet-20", 40  # the reproduction check the tests re-run


@dataclass(frozen=True)
class Recipe:
    """One bundled model: the network, the dataset and a one-line description."""

    name: str
    depth: int
    residual: bool
    dataset: str
    description: str  # English, marked with N_: shown as _(description)
    steps: int = BUNDLE_STEPS
    lr: float = BUNDLE_LR
    augment: bool = False

    def spec(self) -> ResNetSpec:
        return ResNetSpec.from_depth(self.depth, style="cifar", residual=self.residual, shortcut="A")


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("plain-20", 20, False, "digits", N_("plain 20-layer net (no shortcuts) on digits")),
        Recipe("plain-56", 56, False, "digits", N_("plain 56-layer net (no shortcuts) on digits")),
        Recipe("resnet-20", 20, True, "digits", N_("ResNet-20 (option A) on digits")),
        Recipe("resnet-56", 56, True, "digits", N_("ResNet-56 (option A) on digits")),
        # The shapes are harder (textured backgrounds, random sizes and places) and have no plain twin to match:
        # at the digits' settings it overfits (17.6 % training, 40.7 % test error, measured); crops and flips
        # and a longer run at 0.05 bring it to 10.5 % / 14.5 % (2400 steps, about 2.5 minutes).
        Recipe(
            "resnet-20-shapes",
            20,
            True,
            "shapes",
            N_("ResNet-20 (option A) on the generated shapes"),
            steps=2400,
            lr=0.05,
            augment=True,
        ),
    )
}


def train_config(recipe: Recipe, steps: int | None = None):
    """The training config of a bundled model: batch 64, SGD at the recipe's lr with cosine decay, 16 px, seed 0,
    CPU, the recipe's steps unless ``steps`` is given."""
    from .config import TrainConfig

    steps = steps or recipe.steps

    return TrainConfig(
        dataset=recipe.dataset,
        input_size=16,
        batch_size=64,
        steps=steps,
        lr=recipe.lr,
        augment=recipe.augment,
        schedule="cosine",
        warmup_steps=min(30, steps),
        seed=0,
        device="cpu",
        eval_every=max(steps, 1),  # the engine's own evaluations are not needed: we measure at the end
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def full_errors(model: torch.nn.Module, bundle) -> dict[str, float]:
    """Error (0..1) on the whole train and test splits, eval mode."""
    return {
        f"{split}_error": evaluate(model, getattr(bundle, f"x_{split}"), getattr(bundle, f"y_{split}"), 512).error
        for split in ("train", "test")
    }


def train_bundled(recipe: Recipe, steps: int | None = None, log: Callable[[str], None] = print) -> dict:
    """Train one bundled model with the app's engine; returns the state to save (float16 weights)."""
    from ..nets.builder import build_resnet
    from .data import load_dataset
    from .engine import spec_for_data, train
    from .store import RunStore

    config = train_config(recipe, steps)
    steps = config.steps
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "runs.sqlite")
        run_id = store.create_run(recipe.name, recipe.spec().to_dict(), config.to_dict(), "cpu")
        result = train(recipe.spec(), config, store, run_id)
        if result.status != "finished":
            raise RuntimeError(
                _("Training {name} ended {status}: {message}").format(
                    name=recipe.name, status=result.status, message=result.message
                )
            )
        checkpoint = store.load_checkpoint(run_id)
        curve = training_curve(store.metrics(run_id))
        store.close()
    seconds = time.perf_counter() - started
    weights = {k: v.half() if v.is_floating_point() else v for k, v in checkpoint["model"].items()}
    bundle = load_dataset(recipe.dataset, input_size=config.input_size, seed=config.seed)
    spec = spec_for_data(recipe.spec(), bundle)
    model = build_resnet(spec, input_size=config.input_size)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    metrics = {**full_errors(model, bundle), "steps": steps, "train_seconds": round(seconds, 1)}
    log(
        _("{name}: {steps} steps in {seconds} s, train error {train}, test error {test}").format(
            name=recipe.name,
            steps=steps,
            seconds=f"{seconds:.0f}",
            train=f"{metrics['train_error']:.3f}",
            test=f"{metrics['test_error']:.3f}",
        )
    )
    return {
        "format": FORMAT,
        "name": recipe.name,
        "description": recipe.description,
        "spec": spec.to_dict(),
        "config": config.to_dict(),
        "mean": list(bundle.mean),
        "std": list(bundle.std),
        "classes": list(bundle.classes),
        "metrics": metrics,
        "model": weights,
        "curve": curve,  # not saved in the model file: `bundle_models` writes it to CURVES
    }


def training_curve(metrics) -> dict[str, list]:
    """A run's logged training curve (a `RunStore.metrics` frame) as JSON-ready lists: step, the mean training loss
    and the mini-batch training error (train mode, as the network saw them) over each logging window."""
    return {
        "step": [int(s) for s in metrics["step"]],
        "train_loss": [round(float(v), 5) for v in metrics["train_loss"]],
        "batch_error": [round(float(extra["batch_error"]), 5) for extra in metrics["extra"]],
    }


BUNDLE_THREADS = 1  # results depend on the thread count; the shipped models were trained with one


def bundle_models(
    out_dir: Path = MODELS_DIR,
    only: list[str] | None = None,
    steps: int | None = None,
    check: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Train the bundled models into ``out_dir`` and (re)write its manifest; returns the manifest.

    ``only`` trains a subset (the manifest keeps the other entries); ``steps`` replaces every recipe's own
    number of steps (None: each recipe's); ``check`` also records the
    reproduction check (`CHECK_MODEL` trained `CHECK_STEPS` steps).
    """
    from ..device import use_training_threads

    names = only or list(RECIPES)
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise ValueError(
            _("Unknown bundled model(s) {names}; choose from {choices}.").format(
                names=", ".join(unknown), choices=", ".join(RECIPES)
            )
        )
    if use_training_threads(BUNDLE_THREADS) != BUNDLE_THREADS:
        log(
            _(
                "Note: this process already trains with {threads} threads; the recorded models used "
                "{recorded}, so the numbers may differ slightly (run the command in a fresh process)."
            ).format(threads=torch.get_num_threads(), recorded=BUNDLE_THREADS)
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"models": {}}
    curves_path = out_dir / CURVES
    curves = json.loads(curves_path.read_text()) if curves_path.is_file() else {"models": {}}
    started = time.perf_counter()
    for name in names:
        state = train_bundled(RECIPES[name], steps, log)
        recipe = RECIPES[name]
        curves["models"][name] = {
            "dataset": recipe.dataset,
            "depth": recipe.depth,
            "residual": recipe.residual,
            **state.pop("curve"),
            **{k: state["metrics"][k] for k in ("train_error", "test_error")},
        }
        path = out_dir / f"{name}.pt"
        torch.save(state, path)
        manifest["models"][name] = {
            "file": path.name,
            "sha256": sha256(path),
            "description": state["description"],
            **{k: state["metrics"][k] for k in ("train_error", "test_error", "steps")},
        }
    if check:
        state = train_bundled(RECIPES[CHECK_MODEL], CHECK_STEPS, log)
        manifest["check"] = {"model": CHECK_MODEL, **state["metrics"]}
    curves["about"] = (
        "Training curves of the bundled models, logged by the training engine while `python -m resnet_viz "
        "bundle-models` trained them: mean training loss and mini-batch training error (train mode) over each "
        "logging window of 10 steps; train_error and test_error: the whole splits at the end (as in manifest.json)."
    )
    curves_path.write_text(json.dumps(curves, indent=1) + "\n")
    manifest["curves"] = {"file": CURVES, "sha256": sha256(curves_path)}
    manifest["command"] = "python -m resnet_viz bundle-models"
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
