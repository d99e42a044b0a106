"""What a sweep trains: the papers' experiments as lists of runs (`experiment_runs`), their training schedule
(`paper_config`), the run-store group they land in (`sweep_group`), and what to do with each run the group
already holds (`plan_sweep`: new, skip, resume or restart), plus the line logged when a planned run ends.

Kept apart from `sweep` (which trains) and `sweep_ray`: importing it loads neither torch nor Ray, and both
places a sweep trains (here, on Ray) follow the same plan."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..i18n import N_
from ..nets.spec import SHORTCUT_VARIANTS, UNITS, ResNetSpec
from .labs import (
    FIG6_DEPTHS,
    IDENTITY_DEPTH,
    LAB_GROUP_PREFIXES,
    PAPER_CIFAR_SCHEDULE,
    SWEEP_MARK,
    degradation_specs,
    shortcut_specs,
    unit_specs,
)

SWEEP_STOPPED = N_("interrupted: the sweep was stopped")  # the reason a stopped sweep gives its runs

EXPERIMENTS = {
    "fig6": "He et al. 2015, Fig. 6: plain and residual CIFAR nets of 20-110 layers, option A",
    "table6": "He et al. 2015, Table 6: the CIFAR ResNets (20-1202 layers), option A",
    "units": "He et al. 2016, Fig. 4 / Table 2: the residual-unit variants of ResNet-110",
    "shortcuts": "He et al. 2016, Fig. 2 / Table 1: the shortcut variants of ResNet-110",
}


LAB_OF = {"fig6": "degradation", "table6": "degradation", "units": "units", "shortcuts": "shortcuts"}


PAPER_WARMUP_STEPS = 400  # He et al. 2015, Sec. 4.2: ResNet-110 warms up for 400 iterations (of 64k)


PAPER_EPOCHS = 182  # 64k iterations of 128 images on the paper's 45k training split


CHECKPOINT_EVERY = 500  # steps between the checkpoints a failed run continues from


class SweepError(ValueError):
    """A sweep that cannot start (unknown experiment, no Ray, no cluster, no GPU); the message says what to do."""


@dataclass(frozen=True)
class SweepRun:
    """One network of a sweep: its run name and spec."""

    name: str
    spec: ResNetSpec


@dataclass
class Planned:
    """What a (re-)submitted sweep does with one of its networks."""

    run: SweepRun
    action: str  # "new", "resume" (from a checkpoint), "restart" (failed before any checkpoint), "skip"
    run_id: int | None = None  # the existing run, for every action but "new"
    from_step: int = 0  # where "resume" continues
    checkpoint: dict | None = None  # the checkpoint "resume" continues from
    note: str = ""  # why a run is skipped


def experiment_runs(experiment: str, depths: Sequence[int] | None = None) -> list[SweepRun]:
    """The networks of a named experiment (`EXPERIMENTS`), from the labs' definitions.

    ``depths`` replaces the paper's depths (e.g. ``[8]`` for a quick check): Figure 6's plain and
    residual pairs, Table 6's residual nets, or the one depth of the Identity Mappings variants.

    Raises:
        SweepError: an unknown experiment; ValueError: an impossible depth.
    """
    from ..nets.published import by_depth

    if experiment not in EXPERIMENTS:
        raise SweepError(f"Unknown experiment {experiment!r}; choose one of {', '.join(EXPERIMENTS)}.")
    if experiment == "fig6":
        rows = [(d, residual) for residual in (False, True) for d in (depths or FIG6_DEPTHS)]
        specs = degradation_specs(rows, shortcut="A")
    elif experiment == "table6":
        specs = degradation_specs([(d, True) for d in (depths or sorted(by_depth("table6_test_error")))], shortcut="A")
    elif experiment == "units":
        specs = [s for d in (depths or [IDENTITY_DEPTH]) for s in unit_specs(d, list(UNITS))]
    else:
        specs = [s for d in (depths or [IDENTITY_DEPTH]) for s in shortcut_specs(d, list(SHORTCUT_VARIANTS))]
    return [SweepRun(spec.name.replace(" (CIFAR)", "").replace("CIFAR, ", ""), spec) for spec in specs]


def paper_config(dataset: str = "cifar10", steps: int | None = None, epochs: float | None = None, **overrides):
    """He et al. 2015's CIFAR-10 training (Sec. 4.2) as a `TrainConfig`, its budget scaled to ``steps`` or ``epochs``.

    SGD with momentum 0.9, lr 0.1 divided by 10 at 50 % and 75 % of the budget (32k and 48k of 64k),
    weight decay 1e-4, batch 128, 32x32 inputs, crop + flip augmentation, the 400-step warm-up scaled
    with the budget. Neither ``steps`` nor ``epochs``: the paper's full 64k steps. ``overrides``: any
    other `TrainConfig` field (device, batch_size, input_size, log_every, ...).
    """
    from .config import TrainConfig

    if steps is not None and epochs is not None:
        raise SweepError("Give the budget as --steps or --epochs, not both.")
    schedule = dict(PAPER_CIFAR_SCHEDULE)
    budget = steps if steps is not None else (None if epochs is not None else schedule["steps"])
    fraction = budget / schedule["steps"] if budget is not None else epochs / PAPER_EPOCHS
    nominal = budget if budget is not None else math.ceil(fraction * schedule["steps"])  # for eval spacing
    base = {
        **schedule,
        "dataset": dataset,
        "steps": budget if budget is not None else schedule["steps"],
        "epochs": epochs,
        "lr": 0.1,
        "schedule": "step",
        "weight_decay": 1e-4,
        "augment": True,
        "warmup_steps": min(round(PAPER_WARMUP_STEPS * fraction), budget or PAPER_WARMUP_STEPS),
        "eval_every": max(10, nominal // 100),
        "log_every": max(1, min(10, nominal // 10)),
    }
    return TrainConfig(**(base | overrides))


def sweep_group(experiment: str, config) -> str:
    """The run-store group of a sweep: the lab's prefix, the experiment and its budget (re-submitting finds it)."""
    budget = f"{config.epochs:g} epochs" if config.epochs is not None else f"{config.steps} steps"
    return f"{LAB_GROUP_PREFIXES[LAB_OF[experiment]]}{SWEEP_MARK}{experiment} · {config.dataset} · {budget}"


def _same(a: dict, b: dict) -> bool:
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def plan_sweep(store, runs: list[SweepRun], config, group: str) -> list[Planned]:
    """For each network, what to do: a new run, or the group's run of the same network and config to skip
    (finished, diverged, or still training in a live process) or to continue (failed, stopped, interrupted).

    Reads the store only (plus `RunStore.mark_interrupted`, so a run whose driver died counts as interrupted).
    """
    from .engine import resumable_step

    store.mark_interrupted()
    existing = store.runs(group=group).to_dict("records")  # newest first
    plan = []
    for run in runs:
        match = next(
            (r for r in existing if r["name"] == run.name and _same(r["spec"], run.spec.to_dict())
             and _same(r["config"], config.to_dict())),
            None,
        )  # fmt: skip
        if match is None:
            plan.append(Planned(run, "new"))
        elif match["status"] in ("finished", "diverged", "queued", "running"):
            note = "in progress in another process" if match["status"] in ("queued", "running") else match["status"]
            plan.append(Planned(run, "skip", match["id"], note=note))
        else:
            try:
                checkpoint = store.load_checkpoint(match["id"])
            except (FileNotFoundError, ValueError):
                checkpoint = None
            step = resumable_step(checkpoint)
            if step is None:
                plan.append(Planned(run, "restart", match["id"]))
            else:
                plan.append(Planned(run, "resume", match["id"], from_step=step, checkpoint=checkpoint))
    return plan


def log_ended_runs(store, planned: list[Planned], ended: set[int], log: Callable[[str], None]) -> None:
    """Log one line for each planned run that has ended since the last call (``ended``: the ids already logged).

    Both places a sweep trains (a `RunQueue` here, Ray tasks) call it while they wait and once at the end.
    """
    from .store import FINAL_STATUSES

    for p in planned:
        if p.run_id not in ended:
            try:
                run = store.run(p.run_id)
            except KeyError:  # deleted meanwhile (from the app): nothing to wait for
                ended.add(p.run_id)
                continue
            if run["status"] in FINAL_STATUSES:
                ended.add(p.run_id)
                log(f"#{p.run_id} {p.run.name}: {run['status']} ({run['message']}) at step {run['last_step']}")
