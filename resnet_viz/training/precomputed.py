"""The labs run ahead of time: results a lab page shows at once, before (and beside) a learner's live run.

``python -m resnet_viz bundle-labs`` trains each lab's networks with the lab's own defaults (the same data,
settings and networks as its Launch button) over several seeds at a longer budget, with the app's engine on the
CPU, and writes ``assets/labs/<lab>.json``: every net's evaluated curve per seed, the command, the settings,
the torch version and thread count, and the time it took. ``assets/labs/manifest.json`` records each file's
SHA-256; a damaged or edited file is refused with a readable message, never drawn.

A learner sees these marked as computed ahead of time; their own live run grows beside them.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..assets import ASSETS_DIR
from ..i18n import _
from ..nets.spec import ResNetSpec
from . import labs
from .config import TrainConfig

LABS_DIR = ASSETS_DIR / "labs"
MANIFEST = "manifest.json"
COMMAND = "python -m resnet_viz bundle-labs"
SEEDS = (0, 1, 2)
BUDGET_FACTOR = 2  # the precomputed runs train this many times the lab's steps
THREADS = 1  # results depend on the thread count; the shipped files were made with one
# The reproduction check the tests re-run: the Identity-mappings units lab, seed 0, a few steps (seconds).
CHECK_LAB, CHECK_STEPS = "units", 20


@dataclass(frozen=True)
class LabRecipe:
    """A lab's comparison as its page launches it: named networks and one training config."""

    lab: str
    config: TrainConfig
    nets: tuple[tuple[str, ResNetSpec], ...]


def lab_recipe(lab: str) -> LabRecipe:
    """The comparison a lab's Launch button makes with its defaults ("degradation", "units", "shortcuts")."""
    from ..nets.spec import SHORTCUT_VARIANTS, UNITS
    from .lab_check import lab_name

    if lab == "degradation":
        specs = labs.degradation_specs(labs.DEGRADATION_RUNS, shortcut="A")
        names = [lab_name(d, r) for d, r in labs.DEGRADATION_RUNS]
        return LabRecipe(lab, labs.DEGRADATION_CONFIG, tuple(zip(names, specs)))
    if lab == "units":
        specs = labs.unit_specs(labs.IDENTITY_LAB_DEPTH, list(UNITS))
        return LabRecipe(lab, labs.IDENTITY_CONFIG, tuple(zip(UNITS, specs)))
    if lab == "shortcuts":
        specs = labs.shortcut_specs(labs.IDENTITY_LAB_DEPTH, list(SHORTCUT_VARIANTS))
        return LabRecipe(lab, labs.IDENTITY_CONFIG, tuple(zip(SHORTCUT_VARIANTS, specs)))
    raise ValueError(_("Unknown lab {name}; choose from degradation, units, shortcuts.").format(name=lab))


LABS = ("degradation", "units", "shortcuts")


def run_config(recipe: LabRecipe, seed: int, steps: int) -> TrainConfig:
    """The lab's config at ``steps`` (its warm-up cut to fit a shorter budget), on the CPU."""
    config = recipe.config
    return replace(config, seed=seed, steps=steps, warmup_steps=min(config.warmup_steps, steps), device="cpu")


def train_curves(recipe: LabRecipe, seed: int, steps: int, home: Path) -> dict[str, dict[str, list]]:
    """Train every net of ``recipe`` once with ``seed`` for ``steps``; each net's evaluated curve as lists."""
    from .engine import train
    from .store import RunStore

    config = run_config(recipe, seed, steps)
    store = RunStore(Path(home) / f"runs-{seed}.sqlite")
    curves = {}
    for name, spec in recipe.nets:
        run_id = store.create_run(name, spec.to_dict(), config.to_dict(), "cpu")
        result = train(spec, config, store, run_id)
        evals = store.metrics(run_id).dropna(subset=["train_error"])
        curves[name] = {
            "status": result.status,
            "step": evals["step"].astype(int).tolist(),
            "train_error": [round(float(v), 5) for v in evals["train_error"]],
            "test_error": [round(float(v), 5) for v in evals["test_error"]],
        }
    store.close()
    return curves


def precompute_lab(
    lab: str, seeds: tuple[int, ...] = SEEDS, steps: int | None = None, log: Callable[[str], None] = print
) -> dict:
    """Run ``lab`` ahead of time over ``seeds`` (default budget: `BUDGET_FACTOR` x the lab's steps)."""
    import torch

    recipe = lab_recipe(lab)
    steps = steps or BUDGET_FACTOR * recipe.config.steps
    started = time.perf_counter()
    per_seed = {}
    with tempfile.TemporaryDirectory() as home:
        for seed in seeds:
            per_seed[str(seed)] = train_curves(recipe, seed, steps, Path(home))
            log(
                _("{lab}: seed {seed} done after {seconds} s").format(
                    lab=lab, seed=seed, seconds=f"{time.perf_counter() - started:.0f}"
                )
            )
    return {
        "lab": lab,
        "command": f"{COMMAND} --only {lab}",
        "config": run_config(recipe, seeds[0], steps).to_dict(),
        "lab_steps": recipe.config.steps,
        "nets": {name: spec.to_dict() for name, spec in recipe.nets},
        "seeds": per_seed,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bundle_labs(
    out_dir: Path = LABS_DIR,
    only: list[str] | None = None,
    seeds: tuple[int, ...] = SEEDS,
    steps: int | None = None,
    check: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Precompute the labs into ``out_dir`` (``only`` some of them) and rewrite its manifest; returns the manifest.

    ``check`` also records the reproduction check (`CHECK_LAB`, seed 0, `CHECK_STEPS` steps) whose curves the
    tests train again and compare.
    """
    from ..device import use_training_threads

    if use_training_threads(THREADS) != THREADS:
        log(_("Note: this process trains with more than one thread; the shipped files used one."))
    names = only or list(LABS)
    for name in names:
        lab_recipe(name)  # unknown names fail before anything trains
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = {}
    for name in names:
        result = precompute_lab(name, seeds, steps, log)
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(result, indent=1) + "\n")
        entries[name] = {"file": path.name, "sha256": sha256(path), "seconds": result["seconds"]}
    check_result = precompute_lab(CHECK_LAB, (0,), CHECK_STEPS, log) if check else None
    return _update_manifest(out_dir / MANIFEST, entries, check_result)


def _update_manifest(path: Path, entries: dict, check: dict | None) -> dict:
    """Add ``entries`` (and the ``check``) to the manifest at ``path``, under a file lock: several `bundle_labs`
    processes (one per lab, to use every core) may finish at once."""
    import fcntl

    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = json.loads(path.read_text()) if path.is_file() else {"labs": {}}
        manifest["labs"].update(entries)
        if check is not None:
            manifest["check"] = check
        manifest["command"] = COMMAND
        path.write_text(json.dumps(manifest, indent=2) + "\n")
    path.with_suffix(".lock").unlink(missing_ok=True)
    return manifest


class PrecomputedError(ValueError):
    """A precomputed file that is missing, damaged or edited: the page says so and draws nothing from it."""


def load_precomputed(lab: str, folder: Path = LABS_DIR) -> dict:
    """The lab's precomputed results after checking the file against the manifest's SHA-256.

    Raises:
        PrecomputedError: no such file, no manifest entry, or a checksum that does not match.
    """
    folder = Path(folder)
    try:
        entry = json.loads((folder / MANIFEST).read_text())["labs"][lab]
        path = folder / entry["file"]
        if sha256(path) != entry["sha256"]:
            raise PrecomputedError(
                _("The precomputed results {file} do not match their checksum; run `{command}` to remake them.").format(
                    file=path.name, command=COMMAND
                )
            )
        return json.loads(path.read_text())
    except (OSError, KeyError, json.JSONDecodeError):
        raise PrecomputedError(
            _("No precomputed results for this lab; run `{command}` to make them.").format(command=COMMAND)
        ) from None


def as_runs(result: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, metrics) frames, shaped as the run store's, for every (net, seed) of a precomputed result.

    runs: id (negative, never a stored run's), name, seed, status, spec (dict), depth, residual, unit,
    shortcut_variant. metrics: run_id, step, train_error, test_error.
    """
    runs, metrics = [], []
    run_id = 0
    for seed, curves in result["seeds"].items():
        for name, curve in curves.items():
            run_id -= 1
            spec = ResNetSpec.from_dict(result["nets"][name])
            runs.append(
                {
                    "id": run_id,
                    "name": name,
                    "seed": int(seed),
                    "status": curve["status"],
                    "spec": spec.to_dict(),
                    "depth": spec.depth,
                    "residual": spec.residual,
                    "unit": spec.unit,
                    "shortcut_variant": spec.shortcut_variant,
                }
            )
            metrics.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "step": curve["step"],
                        "train_error": curve["train_error"],
                        "test_error": curve["test_error"],
                    }
                )
            )
    return pd.DataFrame(runs), pd.concat(metrics, ignore_index=True)


def seed_means(result: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(runs, metrics) with one row per net: the mean over seeds of its curve at each evaluated step.

    Also gives each net's final training and test error per seed as columns ``train_errors``, ``test_errors``
    (lists), for verdicts that need the spread.
    """
    runs, metrics = as_runs(result)
    metrics = metrics.merge(runs[["id", "name", "seed"]], left_on="run_id", right_on="id").drop(columns="id")
    means = metrics.groupby(["name", "step"], as_index=False)[["train_error", "test_error"]].mean()
    nets = runs.drop_duplicates("name").drop(columns=["seed"]).reset_index(drop=True)
    nets["id"] = -(nets.index + 1)
    finals = metrics.sort_values(["seed", "step"]).groupby(["name", "seed"]).last().reset_index()  # seed order
    nets["train_errors"] = nets["name"].map(lambda n: finals.loc[finals["name"] == n, "train_error"].tolist())
    nets["test_errors"] = nets["name"].map(lambda n: finals.loc[finals["name"] == n, "test_error"].tolist())
    means["run_id"] = means["name"].map(dict(zip(nets["name"], nets["id"])))
    return nets, means.drop(columns="name")
