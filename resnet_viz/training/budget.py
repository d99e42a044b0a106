"""How long runs take on this machine: estimates before a launch, and a forecast of the queue.

A run's cost is its optimiser steps times the time of one step. That time comes, best first, from
the run itself once it has logged (its measured images per second), from earlier runs of the same
network, batch and image size in the store, or from the network's multiply-adds and this machine's
measured rate (a few timed steps of a small reference net, once per process).

`forecast` turns those step times into start and finish times for every run of a `RunQueue`,
which advances its active runs one step each in turn.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass

import pandas as pd

from ..i18n import _
from ..nets.spec import ResNetSpec

BACKWARD_FACTOR = 3  # a training step costs about three forward passes (forward, and twice that backward)
EVAL_FACTOR = 1 / BACKWARD_FACTOR  # an evaluated image costs one forward pass


@dataclass(frozen=True)
class RunCost:
    """What one run will cost: its steps, the seconds of one step, and where that figure comes from."""

    steps: int
    step_seconds: float
    source: str  # "measured", "earlier runs" or "estimated"

    @property
    def seconds(self) -> float:
        return self.steps * self.step_seconds


def macs_per_image(spec: ResNetSpec, input_size: int) -> int:
    """Multiply-adds of one forward pass (the paper's FLOPs), from the spec's cached meta-device trace."""
    from ..nets.trace import trace_spec

    return trace_spec(spec, input_size).macs


_MEASURING = threading.Lock()  # one measurement at a time: a second caller waits for the first's result


def machine_rate(device: str = "cpu") -> float:
    """Training multiply-adds per second this machine reaches on ``device`` (measured once per process).

    Times five optimiser steps of a CIFAR ResNet-20 at 16 px, batch 64, after two warm-up steps, and
    keeps the median step. Callers in several threads (pages, the background prefetch) share one
    measurement: the first measures, the others wait for it rather than measuring at the same time.
    """
    with _MEASURING:
        return _measured_rate(device)


@functools.lru_cache(maxsize=4)
def _measured_rate(device: str) -> float:
    import torch
    import torch.nn.functional as F

    from ..nets.builder import build_resnet

    spec = ResNetSpec.from_depth(20, style="cifar", shortcut="A")
    model = build_resnet(spec, device=device, input_size=16)
    params = list(model.parameters())
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 16, 16, generator=generator).to(device)
    y = torch.randint(0, 10, (64,), generator=generator).to(device)
    momentum: list = []

    def step() -> None:
        for p in params:
            p.grad = None
        F.cross_entropy(model(x), y).backward()
        _sgd_step(params, momentum, lr=0.01, momentum=0.9)

    for _warmup in range(2):  # warm-up: first steps pay for allocations and kernel selection
        step()
    times = []
    for _repeat in range(5):  # the median of five: robust to one slow moment
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    seconds = sorted(times)[len(times) // 2]
    return BACKWARD_FACTOR * macs_per_image(spec, 16) * 64 / seconds


def _sgd_step(params: list, buffers: list, lr: float, momentum: float) -> None:
    """One step of SGD with momentum, as `torch.optim.SGD` takes it (the foreach path), in place.

    Written out because the first `torch.optim` optimiser of a process imports torch._dynamo (about 2 s on an
    idle 2-core CPU): a page's first budget estimate should cost the measured steps, not that import.
    ``buffers`` holds the momentum buffers, filled on the first step.
    """
    import torch

    grads = [p.grad for p in params]
    with torch.no_grad():
        if not buffers:
            buffers.extend(torch._foreach_mul(grads, 1.0))  # the first step's buffer is the gradient itself
        else:
            torch._foreach_mul_(buffers, momentum)
            torch._foreach_add_(buffers, grads)
        torch._foreach_add_(params, buffers, alpha=-lr)


def run_cost(spec: ResNetSpec, config, store=None, device: str = "cpu", steps: int | None = None) -> RunCost:
    """The cost of training ``spec`` with ``config`` (a `TrainConfig`) for ``steps`` (default: all of them).

    Uses the median throughput of earlier runs of the same network, batch and image size on the
    same device in ``store`` when there are any; otherwise this machine's rate (`machine_rate`).
    Evaluation passes are included (every ``eval_every`` steps, 2 x ``eval_samples`` images).
    """
    steps = config.steps if steps is None else steps
    evaluation = 2 * config.eval_samples * EVAL_FACTOR / config.eval_every  # in training images per step
    images_per_step = config.batch_size + evaluation
    measured = _earlier_throughput(store, spec, config, device) if store is not None else None
    if measured:
        return RunCost(steps, images_per_step / measured, "earlier runs")
    cost = BACKWARD_FACTOR * macs_per_image(spec, config.input_size) * images_per_step
    return RunCost(steps, cost / machine_rate(device), "estimated")


def _earlier_throughput(store, spec: ResNetSpec, config, device: str) -> float | None:
    """Median images per second of finished runs with the same network, batch, size and device."""
    runs = store.runs()
    if runs.empty:
        return None
    same = runs[
        (runs["status"] == "finished")
        & (runs["device"] == device)
        & runs["spec"].map(lambda s: s.get("layers") == list(spec.layers) and s.get("block") == spec.block)
        & runs["config"].map(
            lambda c: c.get("batch_size") == config.batch_size and c.get("input_size") == config.input_size
        )
    ]
    if same.empty:
        return None
    rates = store.metrics(same["id"].head(5).tolist())["images_per_s"].dropna()
    return float(rates.median()) if len(rates) else None


def run_progress(run: dict, metrics: pd.DataFrame) -> tuple[int, int, float | None]:
    """(steps done, steps in all, measured seconds per step or None) of a run from its logged metrics.

    The seconds per step are the run's own time so far (training and evaluation, not the other runs' turns)
    over its steps: an average over the whole run, so one busy moment on a shared machine does not swing the
    estimate, and evaluation is counted as it will recur. Rows without those totals (older runs) fall back to the
    median throughput of the last logging windows.
    """
    done = int(metrics["step"].max()) if len(metrics) else 0
    extras = metrics["extra"].dropna() if len(metrics) else []
    total = int(run["config"]["steps"])
    last = extras.iloc[-1] if len(extras) else {}
    if "total_steps" in last:
        total = int(last["total_steps"])  # a budget in epochs, resolved by the engine
    if done and "train_seconds" in last and "eval_seconds" in last:
        own = float(last["train_seconds"]) + float(last["eval_seconds"])
        if own > 0:
            return done, total, own / done
    rates = metrics["images_per_s"].dropna().tail(5) if len(metrics) else []
    batch = int(run["config"]["batch_size"])
    step_seconds = batch / float(rates.median()) if len(rates) and rates.median() > 0 else None
    return done, total, step_seconds


@dataclass(frozen=True)
class Forecast:
    """When a run of the queue starts and finishes, in seconds from now (0 = already started)."""

    start_in: float
    finish_in: float


def forecast(
    active: list[tuple[int, int, float]], waiting: list[tuple[int, int, float]], max_active: int
) -> dict[int, Forecast]:
    """Start and finish times for a queue that advances its active runs one step each in turn.

    Args:
        active: (run id, steps left, seconds per step) of the runs taking turns now.
        waiting: the same for the runs waiting, first in line first.
        max_active: how many runs take turns at once; a waiting run starts when one finishes.

    In a round every active run does one step, so the round lasts the sum of their step times and
    the run with the fewest steps left finishes first. Simulated event by event.
    """
    now = 0.0
    running = {run_id: [left, step, 0.0] for run_id, left, step in active}
    queue = list(waiting)
    result: dict[int, Forecast] = {}
    while queue and len(running) < max_active:
        run_id, left, step = queue.pop(0)
        running[run_id] = [left, step, now]
    while running:
        rounds = min(left for left, _, _ in running.values())
        now += rounds * sum(step for _, step, _ in running.values())
        for run_id in list(running):
            running[run_id][0] -= rounds
            if running[run_id][0] <= 0:
                result[run_id] = Forecast(running.pop(run_id)[2], now)
        while queue and len(running) < max_active:
            run_id, left, step = queue.pop(0)
            running[run_id] = [left, step, now]
    return result


# A machine counts as busy when more tasks want its CPU than 1.5 x its cores (the training worker itself keeps
# about one per core busy): then every time left may stretch, and the pages say so.
BUSY_LOAD_PER_CORE = 1.5


def busy_load() -> tuple[float, int] | None:
    """(1-minute load average, CPU cores) when this machine is busy (see `BUSY_LOAD_PER_CORE`), else None
    (also where the system reports no load average)."""
    import os

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cores = os.cpu_count() or 1
    return (load, cores) if load > BUSY_LOAD_PER_CORE * cores else None


def describe_seconds(seconds: float) -> str:
    """A duration for a learner: "under a minute", "about 3 min", "about 1.5 h", "about 14 days"."""
    if seconds < 45:
        return _("under a minute")
    if seconds < 90 * 60:
        return _("about {minutes} min").format(minutes=max(1, round(seconds / 60)))
    if seconds < 48 * 3600:
        return _("about {hours} h").format(hours=f"{seconds / 3600:.1f}")
    return _("about {days} days").format(days=f"{seconds / 86400:,.0f}")
