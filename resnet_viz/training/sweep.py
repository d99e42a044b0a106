"""Sweeps: a named experiment of the papers as one group of runs, trained here or on a Ray cluster.

    python -m resnet_viz sweep fig6 --dataset cifar10 --steps 64000 --ray auto

`experiment_runs` expands a name into networks (from `labs`: Figure 6 and Table 6 of He et al. 2015,
the residual units and shortcuts of He et al. 2016); `run_sweep` trains them with one training
config, all in one run-store group named so that the lab pages list it (`sweep_group`).

This module holds `run_sweep` (checks, then the plan written to the store, then training), the path
that trains here and `describe`; `sweep_plan` holds what a sweep trains, `sweep_ray` the Ray path.

Where they train:

* **Here** (no Ray): the runs go through a `RunQueue` in this process, as the app's do.
* **On a Ray cluster**: one Ray task per run (one GPU each when the cluster has GPUs). The task runs
  the same engine (`engine.run_steps`) against a stand-in for the store (`ray_runs.EventLog`) and
  streams what the engine would have written (statuses, metric rows, checkpoints) back to this
  process as a Ray streaming generator; one thread per task writes it to the real store. Workers never
  touch the store, so they can be on other machines, and the app shows the sweep live.

Faults: a worker that dies (killed, out of memory, machine lost) ends its stream with an error; its
run is marked failed with the metrics it had logged, and the other runs go on. Every
``checkpoint_every`` steps the task streams a checkpoint (weights, optimiser, batch order), which
this process saves beside the store (`RunStore.save_checkpoint`). Submitting the same sweep again
skips finished runs and continues failed or interrupted ones from their last checkpoint.

Ray is optional (``requirements-cluster.txt``) and imported only inside `connect_ray` and the Ray
code path, never when this module is imported.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..i18n import N_
from ..messages import Message
from .ray_runs import ray_device
from .sweep_plan import (
    CHECKPOINT_EVERY,
    EXPERIMENTS,
    SWEEP_STOPPED,
    Planned,
    SweepError,
    SweepRun,
    experiment_runs,
    log_ended_runs,
    plan_sweep,
    sweep_group,
)
from .sweep_ray import check_cluster_device, cluster_gpus, connect_ray, run_on_ray


# ---------------------------------------------------------------------- the sweep
@dataclass
class SweepResult:
    group: str
    runs: list[dict]  # one per network: id, name, action, from_step, status, message, last_step


def run_sweep(
    store,
    experiment: str,
    config,
    *,
    depths: Sequence[int] | None = None,
    ray: str | None = None,
    group: str | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
    cpus_per_run: int = 1,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = lambda text: None,
    crash_at: dict[str, int] | None = None,
    runs: list[SweepRun] | None = None,
) -> SweepResult:
    """Train a named experiment as one group of runs; returns when every run has ended.

    Args:
        store: the `RunStore` the runs land in (also the checkpoints' home).
        experiment: a key of `EXPERIMENTS`; ``depths`` replaces its depths (see `experiment_runs`).
        config: the `TrainConfig` of every run (e.g. `paper_config`).
        ray: None = train here through a `RunQueue`; "auto", "local" or an address = on that Ray cluster.
        group: the run group (default `sweep_group`: re-submitting the same sweep continues it).
        checkpoint_every: steps between checkpoints that a failed run continues from.
        cpus_per_run: CPUs (and threads) a Ray task takes on a cluster without GPUs.
        stop: set it to stop the sweep (runs stop, keep their checkpoints and can be continued).
        log: called with one line per event (a run starts, resumes, ends).
        crash_at: test hook, run name -> step at which its Ray worker exits abruptly.
        runs: the networks, instead of the experiment's (tests: tiny nets).

    Raises:
        SweepError / ValueError: the experiment, the config, the device, Ray or its cluster; raised before
            any run is created, so a refused sweep leaves nothing in the store.
    """
    if experiment not in EXPERIMENTS:
        raise SweepError(f"Unknown experiment {experiment!r}; choose one of {', '.join(EXPERIMENTS)}.")
    runs = runs if runs is not None else experiment_runs(experiment, depths)
    config.validate()
    if checkpoint_every < 1:
        raise SweepError(f"--checkpoint-every must be a whole number >= 1; got {checkpoint_every}.")
    group = group or sweep_group(experiment, config)
    stop = stop or threading.Event()
    if ray is None:  # everything is checked here, before any run is created
        device = _check_here(config, runs)
        ray_module, gpus = None, 0.0
    else:
        ray_module, gpus = _check_ray(ray, config)
        device = ray_device(gpus, config)
    plan = plan_sweep(store, runs, config, group)
    _enter(store, plan, config, group, device, log)
    todo = [p for p in plan if p.action != "skip"]
    if ray_module is None:
        _run_local(store, todo, config, checkpoint_every, stop, log)
    else:
        run_on_ray(ray_module, store, todo, config, checkpoint_every, gpus, cpus_per_run, stop, log, crash_at or {})
    return SweepResult(group, _results(store, plan))


def _check_here(config, runs: list[SweepRun]) -> str:
    """Can the sweep train in this process? The device, its accelerations, the dataset (a sweep does not start
    with a download) and each network's memory; returns the device's name."""
    from ..device import resolve_device
    from .admission import check_training_fits
    from .config import resolve_accelerations
    from .data import DOWNLOADABLE
    from .download import dataset_available

    try:
        device = resolve_device(config.device)
    except ValueError as err:
        raise SweepError(f"{err} Use --device auto, or --ray with a cluster that has GPUs.") from None
    resolve_accelerations(device, config.amp, config.channels_last, config.compile)
    if config.dataset in DOWNLOADABLE and not dataset_available(config.dataset, config.data_root):
        raise SweepError(
            f"{config.dataset} is not on this machine: download it first on the app's Train page (it goes to "
            "$RESNET_VIZ_DATA), or use --dataset digits or shapes, which need no download."
        )
    for run in runs:
        check_training_fits(run.spec, config)
    return str(device)


def _check_ray(address: str, config):
    """Connect to the Ray cluster and check it can train ``config``; returns (``ray``, the cluster's GPUs)."""
    ray = connect_ray(address)
    gpus = cluster_gpus(ray)
    check_cluster_device(gpus, config)
    return ray, gpus


def _enter(store, plan: list[Planned], config, group: str, device: str, log: Callable[[str], None]) -> None:
    """Write the plan into the store, every row at once (the app shows the whole sweep from the start), and log it."""
    for p in plan:
        if p.action == "new":
            p.run_id = store.create_run(p.run.name, p.run.spec.to_dict(), config.to_dict(), device, group=group)
        elif p.action in ("resume", "restart"):
            store.truncate_metrics(p.run_id, p.from_step)
            again = Message(N_("continues from step {step}"), {"step": p.from_step}) if p.from_step else None
            store.set_status(p.run_id, "queued", again)
    for p in plan:
        what = {"new": "queued", "resume": f"resumes from step {p.from_step}", "restart": "restarts (no checkpoint)"}
        log(f"#{p.run_id} {p.run.name}: {what.get(p.action, 'skipped: ' + p.note)}")


def _results(store, plan: list[Planned]) -> list[dict]:
    rows = []
    for p in plan:
        run = store.run(p.run_id)
        rows.append(
            {"id": p.run_id, "name": p.run.name, "action": p.action, "from_step": p.from_step,
             "status": run["status"], "message": run["message"], "last_step": run["last_step"]}
        )  # fmt: skip
    return rows


def _run_local(store, todo: list[Planned], config, checkpoint_every: int, stop: threading.Event, log) -> None:
    """Through a `RunQueue` in this process, handing it a run whenever it has a free place."""
    from .engine import mark_failed
    from .queue import RunQueue

    queue = RunQueue(store, cluster=None)  # here, even where RESNET_VIZ_RAY names a cluster
    waiting, ended = list(todo), set()
    try:
        while (waiting or not queue.idle()) and not stop.is_set():
            while waiting and len(queue.active()) + len(queue.queued()) < queue.max_active:
                p = waiting.pop(0)
                try:
                    queue.submit(
                        p.run.spec, config, run_id=p.run_id, checkpoint_every=checkpoint_every,
                        resume=p.checkpoint if p.action == "resume" else None,
                    )  # fmt: skip
                except Exception as err:  # refused (ValueError) or the store failed: that run fails, the sweep goes on
                    mark_failed(store, p.run_id, err)
            log_ended_runs(store, todo, ended, log)
            time.sleep(0.2)
    finally:
        if stop.is_set() or waiting:
            for p in waiting:
                store.set_status(p.run_id, "stopped", N_("interrupted: the sweep was stopped before it started"))
            queue.shutdown(reason=SWEEP_STOPPED)
        queue.wait(60)
    log_ended_runs(store, todo, ended, log)


def describe(result: SweepResult) -> str:
    """The sweep's runs as a plain-text table (the command line prints it)."""
    lines = [f"sweep group: {result.group}"]
    for r in result.runs:
        resumed = f" (resumed from step {r['from_step']})" if r["action"] == "resume" else ""
        skipped = " (already done, not rerun)" if r["action"] == "skip" else ""
        lines.append(f"  #{r['id']:<5} {r['name']:<40} {r['status']:<9} step {r['last_step']}{resumed}{skipped}")
    return "\n".join(lines)
