"""Sweeps on a Ray cluster: one streaming Ray task per run; the driver writes what the tasks stream back into its store.

Holds the connection (`connect_ray`, `cluster_gpus`) and the sweep's driver (`run_on_ray`); one run's task and
the thread that writes what it streams to the real store are in `ray_runs`, shared with the app's queue.
Ray itself is imported only when a sweep asks for it (``requirements-cluster.txt``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager

from ..assets import REPO_ROOT
from ..i18n import N_
from .ray_runs import RayRun, remote_task, stop_board
from .signals import USER_STOPPED, take_stop_request
from .sweep_plan import SWEEP_STOPPED, Planned, SweepError, log_ended_runs

STOP_GRACE_SECONDS = 20.0  # after Ctrl+C, how long tasks have to save and stop before they are ended
WORKER_LOST_RESUMABLE = N_(
    "its Ray worker was lost at step {step} ({error}); re-submit the sweep to continue from step {checkpoint}"
)


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
            "Ray is not installed: pip install -r requirements-cluster.txt. Or leave out --ray to train here."
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


def check_cluster_device(gpus: float, config) -> None:
    """Raise `SweepError` if a run with ``config`` cannot train on a cluster with ``gpus`` GPUs."""
    if config.device == "cuda" and not gpus:
        raise SweepError(
            "--device cuda asks for a GPU but the Ray cluster has none. Start workers with GPUs "
            "(ray start --address=HEAD:6379 --num-gpus=1) or use --device auto to train on CPUs."
        )
    if config.device == "mps":
        raise SweepError("Ray tasks cannot ask for Apple GPUs (MPS); use --device auto or cpu with --ray.")


def run_on_ray(
    ray, store, todo: list[Planned], config, checkpoint_every: int, gpus: float, cpus: int,
    stop: threading.Event, log, crash_at: dict[str, int],
) -> None:  # fmt: skip
    """One streaming Ray task per run (`RayRun`), followed until every run has ended.

    ``stop`` (Ctrl+C) asks every task to stop, and ends those that have not after `STOP_GRACE_SECONDS`; a Stop
    pressed in the app for one of these runs reaches its task through the store (`take_stop_request`).
    """
    from .store import FINAL_STATUSES

    board, task = stop_board(ray), remote_task(ray, gpus, config, cpus)
    runs, ended, asked = [], set(), None
    for p in todo:
        take_stop_request(store, p.run_id)  # a request left from before must not stop it now
        run = RayRun(ray, task, board, store, p.run_id, WORKER_LOST_RESUMABLE, p.from_step)
        run.start(p.run.spec, config, p.checkpoint if p.action == "resume" else None, checkpoint_every, cpus,
                  crash_at.get(p.run.name))  # fmt: skip
        runs.append(run)
    try:
        while any(r.alive() for r in runs):
            if stop.is_set() and asked is None:
                asked = time.monotonic()
                for run in runs:
                    run.stop(SWEEP_STOPPED)
            elif asked is not None and time.monotonic() - asked > STOP_GRACE_SECONDS:
                for run in runs:
                    run.cancel()
                break
            for run in runs:
                if run.alive() and take_stop_request(store, run.run_id):
                    run.stop(USER_STOPPED)
            log_ended_runs(store, todo, ended, log)
            time.sleep(0.2)
        for run in runs:
            run.join(timeout=30)
    finally:
        for p in todo:  # nothing stays "running" after the driver returns
            if store.run(p.run_id)["status"] not in FINAL_STATUSES:
                store.set_status(p.run_id, "stopped", SWEEP_STOPPED)
    log_ended_runs(store, todo, ended, log)
