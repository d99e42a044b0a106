"""Sweeps on a Ray cluster: one streaming Ray task per run; the driver writes what the tasks stream back into its store.

Holds the connection (`connect_ray`, `cluster_gpus`), the task (`sweep_task`: the engine's `run_steps`
against an `EventLog`, a stand-in for the store that records what the engine writes) and the driver
(`run_on_ray`: one thread per task writes its events to the real store and marks a run whose worker
was lost as failed). Ray itself is imported only when a sweep asks for it (``requirements-cluster.txt``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager

from ..assets import REPO_ROOT
from ..i18n import N_
from ..messages import Message
from ..nets.spec import ResNetSpec
from .signals import stopped_at
from .sweep_plan import SWEEP_STOPPED, Planned, SweepError, log_ended_runs

WORKER_LOST = N_("its Ray worker was lost at step {step} ({error})")
WORKER_LOST_RESUMABLE = N_(
    "its Ray worker was lost at step {step} ({error}); re-submit the sweep to continue from step {checkpoint}"
)
FLUSH_SECONDS = 1.0  # a task sends its metric rows at most this often (statuses and checkpoints at once)


# What a remote worker does not need from the repository (shipped to it as the job's working_dir).
SHIP_EXCLUDES = [".git", "tests", "benchmarks", "assets/models", "assets/samples", "*.pyc", "__pycache__"]


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
    runtime_env = {"working_dir": str(REPO_ROOT), "excludes": SHIP_EXCLUDES} if ship else None
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


class EventLog:
    """A stand-in for `RunStore` inside a Ray task: records what the engine writes, to stream it to the driver."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.urgent = False  # a status or checkpoint waits: send it now, not at the next flush

    def set_status(self, run_id: int, status: str, message=None) -> bool:  # a `Message` travels as it is
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

    from ..device import resolve_device, use_training_threads
    from .config import TrainConfig
    from .engine import run_steps

    train_config = TrainConfig.from_dict(config)
    if resolve_device(train_config.device).type == "cpu":
        use_training_threads(threads)
    else:
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick its fastest kernels
    log = EventLog()
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


def run_on_ray(
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
            values = {"step": seen["step"], "error": _one_line(err), "checkpoint": seen.get("checkpoint")}
            if stop.is_set():
                store.set_status(p.run_id, "stopped", stopped_at(SWEEP_STOPPED, seen["step"]))
            elif "checkpoint" in seen:
                store.set_status(p.run_id, "failed", Message(WORKER_LOST_RESUMABLE, values))
            else:
                store.set_status(p.run_id, "failed", Message(WORKER_LOST, values))
            return
        if store.run(p.run_id)["status"] not in FINAL_STATUSES:
            message = Message(N_("its Ray task ended without a result at step {step}"), {"step": seen["step"]})
            store.set_status(p.run_id, "failed", message)

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
            log_ended_runs(store, todo, ended, log)
            time.sleep(0.2)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        for p in todo:  # nothing stays "running" after the driver returns
            if store.run(p.run_id)["status"] not in FINAL_STATUSES:
                store.set_status(p.run_id, "stopped", SWEEP_STOPPED)
    log_ended_runs(store, todo, ended, log)
