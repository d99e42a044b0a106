"""Sweeps: a named experiment of the papers as one group of runs, trained here or on a Ray cluster.

    python -m resnet_viz sweep fig6 --dataset cifar10 --steps 64000 --ray auto

`experiment_runs` expands a name into networks (from `labs`: Figure 6 and Table 6 of He et al. 2015,
the residual units and shortcuts of He et al. 2016); `run_sweep` trains them with one training
config, all in one run-store group named so that the lab pages list it (`sweep_group`).

Where they train:

* **Here** (no Ray): the runs go through a `RunQueue` in this process, as the app's do.
* **On a Ray cluster**: one Ray task per run (one GPU each when the cluster has GPUs). The task runs
  the same engine (`train.run_steps`) against a stand-in for the store (`_EventLog`) and streams what
  the engine would have written (statuses, metric rows, checkpoints) back to this process as a Ray
  streaming generator; one thread per task writes it to the real store. Workers never touch the
  store, so they can be on other machines, and the app shows the sweep live.

Faults: a worker that dies (killed, out of memory, machine lost) ends its stream with an error; its
run is marked failed with the metrics it had logged, and the other runs go on. Every
``checkpoint_every`` steps the task streams a checkpoint (weights, optimiser, batch order), which
this process saves beside the store (`RunStore.save_checkpoint`). Submitting the same sweep again
skips finished runs and continues failed or interrupted ones from their last checkpoint.

Ray is optional (``requirements-cluster.txt``) and imported only inside `connect_ray` and the Ray
code path, never when this module is imported.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
from .spec import SHORTCUT_VARIANTS, UNITS, ResNetSpec

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
FLUSH_SECONDS = 1.0  # a task sends its metric rows at most this often (statuses and checkpoints at once)
ROOT = Path(__file__).resolve().parents[1]
# What a remote worker does not need from the repository (shipped to it as the job's working_dir).
SHIP_EXCLUDES = [".git", "tests", "benchmarks", "assets/models", "assets/samples", "*.pyc", "__pycache__"]


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
    from .published import by_depth

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
    from .train import TrainConfig

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
    from .train import resumable_step

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


# ---------------------------------------------------------------------- Ray
def connect_ray(address: str, ship_code: bool | None = None):
    """Connect to a Ray cluster ("auto": the one started here with ``ray start``; "local": a new one in this
    process; "host:port" or "ray://host:port"), unless this process is already connected. Returns ``ray``.

    ``ship_code``: send this repository to the workers as the job's working_dir (default: for every
    address but "local", whose workers share this machine's files).

    Raises:
        SweepError: Ray is not installed, or no cluster answers at ``address``.
    """
    try:
        import ray
    except ImportError:
        raise SweepError(
            "Ray is not installed: pip install -r requirements-cluster.txt (or leave out --ray to train here)."
        ) from None
    if ray.is_initialized():
        return ray
    if address not in ("auto", "local"):
        _check_answers(address)
    ship = address != "local" if ship_code is None else ship_code
    runtime_env = {"working_dir": str(ROOT), "excludes": SHIP_EXCLUDES} if ship else None
    try:
        with _native_stderr_silenced():
            ray.init(
                address=address, runtime_env=runtime_env, logging_level="ERROR", log_to_driver=True,
                **({"include_dashboard": False} if address == "local" else {}),
            )  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SweepError(
            f"Could not connect to a Ray cluster at {address!r} ({first}). Start one with `ray start --head`, "
            "pass its address (host:6379), or use --ray local."
        ) from None
    return ray


@contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to nowhere while Ray connects: its C++ client prints a warning every second
    while an address accepts connections but is no Ray cluster (about 20 s), which would bury the one-line
    error. Python's own messages are not lost: the error is raised after the descriptor is restored."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _check_answers(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with a readable message, when nothing listens at a cluster address (ray.init would wait long)."""
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host:
        host, port = hostport, "10001" if address.startswith("ray://") else "6379"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as err:
        raise SweepError(
            f"No Ray cluster answers at {address!r} ({err}). Start one there with `ray start --head`, "
            "check the address (host:6379), or use --ray local."
        ) from None


def cluster_gpus(ray) -> float:
    """GPUs in the connected cluster (0 when none)."""
    return float(ray.cluster_resources().get("GPU", 0))


class _EventLog:
    """A stand-in for `RunStore` inside a Ray task: records what the engine writes, to stream it to the driver."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.urgent = False  # a status or checkpoint waits: send it now, not at the next flush

    def set_status(self, run_id: int, status: str, message: str | None = None) -> bool:
        self.events.append(("status", status, message))
        self.urgent = True
        return True

    def log_metrics(self, run_id: int, rows: list[dict]) -> bool:
        self.events.append(("metrics", rows))
        return True

    def save_checkpoint(self, run_id: int, state: dict) -> bool:
        self.events.append(("checkpoint", state))
        self.urgent = True
        return True

    def drain(self) -> list[tuple]:
        events, self.events, self.urgent = self.events, [], False
        return events


def sweep_task(
    spec: dict,
    config: dict,
    run_id: int,
    resume: dict | None,
    checkpoint_every: int | None,
    threads: int,
    crash_at_step: int | None = None,
):
    """The body of one Ray task: train the run, yielding lists of store events (a streaming generator).

    ``crash_at_step`` is a test hook: the worker process exits abruptly after that many steps, as a
    killed machine would (after a short pause, so what it sent before has left it).
    """
    import torch

    from .device import resolve_device, use_training_threads
    from .train import TrainConfig, run_steps

    train_config = TrainConfig.from_dict(config)
    if resolve_device(train_config.device).type == "cpu":
        use_training_threads(threads)
    else:
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    log = _EventLog()
    steps = run_steps(ResNetSpec.from_dict(spec), train_config, log, run_id, resume=resume,
                      checkpoint_every=checkpoint_every)  # fmt: skip
    sent, taken = time.monotonic(), 0
    while True:
        try:
            next(steps)
        except StopIteration:
            break
        taken += 1
        if log.events and (log.urgent or time.monotonic() - sent > FLUSH_SECONDS):
            yield log.drain()
            sent = time.monotonic()
        if crash_at_step is not None and taken >= crash_at_step:
            time.sleep(1.0)
            os._exit(1)
    if log.events:
        yield log.drain()


def _apply(store, run_id: int, events: list[tuple], seen: dict) -> None:
    """Write a task's events to the store; ``seen`` keeps the last step logged and checkpointed."""
    for event in events:
        if event[0] == "status":
            store.set_status(run_id, event[1], event[2])
        elif event[0] == "metrics":
            store.log_metrics(run_id, event[1])
            seen["step"] = max([seen.get("step", 0)] + [int(r["step"]) for r in event[1]])
        elif event[0] == "checkpoint":
            store.save_checkpoint(run_id, event[1])
            if "resume" in event[1]:
                seen["checkpoint"] = int(event[1]["resume"]["step"])


def _one_line(err: BaseException) -> str:
    text = str(err).strip()
    for line in text.splitlines():  # Ray's errors start with a banner line; take the first line that says something
        if line.strip() and not line.startswith("ray::"):
            return f"{type(err).__name__}: {line.strip()}"[:300]
    return type(err).__name__


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
    from .builder import check_training_fits
    from .device import resolve_device

    if experiment not in EXPERIMENTS:
        raise SweepError(f"Unknown experiment {experiment!r}; choose one of {', '.join(EXPERIMENTS)}.")
    runs = runs if runs is not None else experiment_runs(experiment, depths)
    config.validate()
    if checkpoint_every < 1:
        raise SweepError(f"--checkpoint-every must be a whole number >= 1; got {checkpoint_every}.")
    group = group or sweep_group(experiment, config)
    stop = stop or threading.Event()
    if ray is None:  # everything is checked here, before any run is created
        try:
            device = resolve_device(config.device)
        except ValueError as err:
            raise SweepError(f"{err} Use --device auto, or --ray with a cluster that has GPUs.") from None
        _check_local(config, device)
        for run in runs:
            check_training_fits(run.spec, config)
        ray_module, gpus = None, 0.0
    else:
        ray_module = connect_ray(ray)
        gpus = cluster_gpus(ray_module)
        if config.device == "cuda" and not gpus:
            raise SweepError(
                "--device cuda asks for a GPU but the Ray cluster has none. Start workers with GPUs "
                "(ray start --address=HEAD:6379 --num-gpus=1) or use --device auto to train on CPUs."
            )
        if config.device == "mps":
            raise SweepError("Ray tasks cannot ask for Apple GPUs (MPS); use --device auto or cpu with --ray.")
    plan = plan_sweep(store, runs, config, group)
    device_name = "ray: GPU" if gpus and config.device != "cpu" else ("ray: CPU" if ray else None)
    for p in plan:  # the rows, all at once: the app shows the whole sweep from the start
        if p.action == "new":
            device = device_name or str(resolve_device(config.device))
            p.run_id = store.create_run(p.run.name, p.run.spec.to_dict(), config.to_dict(), device, group=group)
        elif p.action in ("resume", "restart"):
            store.truncate_metrics(p.run_id, p.from_step)
            store.set_status(p.run_id, "queued", f"continues from step {p.from_step}" if p.from_step else None)
    for p in plan:
        what = {"new": "queued", "resume": f"resumes from step {p.from_step}", "restart": "restarts (no checkpoint)"}
        log(f"#{p.run_id} {p.run.name}: {what.get(p.action, 'skipped: ' + p.note)}")
    todo = [p for p in plan if p.action != "skip"]
    if ray_module is None:
        _run_local(store, todo, config, checkpoint_every, stop, log)
    else:
        _run_ray(ray_module, store, todo, config, checkpoint_every, gpus, cpus_per_run, stop, log, crash_at or {})
    return SweepResult(group, _results(store, plan))


def _check_local(config, device) -> None:
    """A downloadable dataset must already be here: a sweep does not start with a download."""
    from .data import DOWNLOADABLE, dataset_available
    from .train import resolve_accelerations

    resolve_accelerations(device, config.amp, config.channels_last, config.compile)
    if config.dataset in DOWNLOADABLE and not dataset_available(config.dataset, config.data_root):
        raise SweepError(
            f"{config.dataset} is not on this machine: download it first on the app's Train page (it goes to "
            "$RESNET_VIZ_DATA), or use --dataset digits or shapes, which need no download."
        )


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
    from .train import RunQueue

    queue = RunQueue(store)
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
                except ValueError as err:
                    store.set_status(p.run_id, "failed", str(err))
            _log_ended(store, todo, ended, log)
            time.sleep(0.2)
    finally:
        if stop.is_set() or waiting:
            for p in waiting:
                store.set_status(p.run_id, "stopped", "interrupted: the sweep was stopped before it started")
            queue.shutdown(reason="interrupted: the sweep was stopped")
        queue.wait(60)
    _log_ended(store, todo, ended, log)


def _log_ended(store, todo: list[Planned], ended: set, log) -> None:
    from .store import FINAL_STATUSES

    for p in todo:
        if p.run_id not in ended:
            run = store.run(p.run_id)
            if run["status"] in FINAL_STATUSES:
                ended.add(p.run_id)
                log(f"#{p.run_id} {p.run.name}: {run['status']} ({run['message']}) at step {run['last_step']}")


def _run_ray(
    ray, store, todo: list[Planned], config, checkpoint_every: int, gpus: float, cpus: int,
    stop: threading.Event, log, crash_at: dict[str, int],
) -> None:  # fmt: skip
    """One streaming Ray task per run; one thread per task writes its events to the store."""
    from .store import FINAL_STATUSES

    resources = {"num_gpus": 1, "num_cpus": 1} if gpus and config.device != "cpu" else {"num_cpus": cpus}
    task = ray.remote(sweep_task).options(num_returns="streaming", max_retries=0, **resources)
    streams, threads, ended = {}, [], set()

    def follow(p: Planned, stream) -> None:
        seen = {"step": p.from_step}
        try:
            for ref in stream:
                _apply(store, p.run_id, ray.get(ref), seen)
        except Exception as err:  # the worker died, or its node: the run keeps what it logged
            where = f"at step {seen['step']}"
            if stop.is_set():
                store.set_status(p.run_id, "stopped", f"interrupted: the sweep was stopped {where}")
            else:
                back = (
                    f"; re-submit the sweep to continue from step {seen['checkpoint']}" if "checkpoint" in seen else ""
                )
                store.set_status(p.run_id, "failed", f"its Ray worker was lost {where} ({_one_line(err)}){back}")
            return
        if store.run(p.run_id)["status"] not in FINAL_STATUSES:
            store.set_status(p.run_id, "failed", f"its Ray task ended without a result at step {seen['step']}")

    for p in todo:
        resume = p.checkpoint if p.action == "resume" else None
        streams[p.run_id] = stream = task.remote(
            p.run.spec.to_dict(), config.to_dict(), p.run_id, resume, checkpoint_every, cpus, crash_at.get(p.run.name)
        )
        thread = threading.Thread(target=follow, args=(p, stream), name=f"sweep-run-{p.run_id}", daemon=True)
        thread.start()
        threads.append(thread)
    try:
        while any(t.is_alive() for t in threads):
            if stop.is_set():
                for stream in streams.values():
                    try:
                        ray.cancel(stream, force=True)
                    except Exception:  # already ended
                        pass
                break
            _log_ended(store, todo, ended, log)
            time.sleep(0.2)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        for p in todo:  # nothing stays "running" after the driver returns
            if store.run(p.run_id)["status"] not in FINAL_STATUSES:
                store.set_status(p.run_id, "stopped", "interrupted: the sweep was stopped")
    _log_ended(store, todo, ended, log)


def describe(result: SweepResult) -> str:
    """The sweep's runs as a plain-text table (the command line prints it)."""
    lines = [f"sweep group: {result.group}"]
    for r in result.runs:
        resumed = f" (resumed from step {r['from_step']})" if r["action"] == "resume" else ""
        skipped = " (already done, not rerun)" if r["action"] == "skip" else ""
        lines.append(f"  #{r['id']:<5} {r['name']:<40} {r['status']:<9} step {r['last_step']}{resumed}{skipped}")
    return "\n".join(lines)
