"""One training run as a Ray task, from both ends: the task that trains it and the driver that follows it.

Shared by the sweeps (`sweep_ray.run_on_ray`, from the command line) and the app's queue (`ray_cluster`):

* **The task** (`sweep_task`, on a worker): the engine's `run_steps` against an `EventLog`, a stand-in for the
  store that records what the engine writes, streamed back as a Ray streaming generator. Its stop flag is a
  `BoardStop`: it asks the driver's `StopBoard` (a small Ray actor) now and then whether the run should stop,
  so a stopped run ends as a local one does: "stopped" at its step, with its metrics and a checkpoint.
* **The driver** (`RayRun`, in the process that owns the store): submits the task, writes what it streams to
  the store from a thread of its own, asks it to stop, and marks a run whose worker was lost as failed with the
  metrics it had logged and a message that says how to continue it.

Ray is imported by the callers (`sweep_ray.connect_ray`), never when this module is imported.
"""

from __future__ import annotations

import os
import threading
import time

from ..i18n import N_
from ..messages import Message
from ..nets.spec import ResNetSpec
from .signals import USER_STOPPED, stopped_at

WORKER_LOST = N_("its Ray worker was lost at step {step} ({error})")
NO_RESULT = N_("its Ray task ended without a result at step {step}")
FLUSH_SECONDS = 1.0  # a task sends its metric rows at most this often (statuses and checkpoints at once)
STOP_POLL_SECONDS = 0.5  # a task asks the stop board at most this often


def task_options(gpus: float, config, cpus: int) -> dict:
    """The resources of one run's task: one GPU where the cluster has GPUs (unless the run asks for the CPU)."""
    return {"num_gpus": 1, "num_cpus": 1} if gpus and config.device != "cpu" else {"num_cpus": cpus}


def ray_device(gpus: float, config) -> str:
    """The device column of a run trained on Ray."""
    return "ray: GPU" if gpus and config.device != "cpu" else "ray: CPU"


def remote_task(ray, gpus: float, config, cpus: int):
    """`sweep_task` as a streaming Ray task with the resources of one run (never retried: the driver resumes)."""
    return ray.remote(sweep_task).options(num_returns="streaming", max_retries=0, **task_options(gpus, config, cpus))


class StopBoard:
    """The stop requests of one driver's runs (run id -> the stop's reason), as a Ray actor that takes no CPU."""

    def __init__(self) -> None:
        self.reasons: dict[int, str] = {}

    def request(self, run_id: int, reason: str) -> None:
        self.reasons[run_id] = reason

    def reason(self, run_id: int) -> str | None:
        return self.reasons.get(run_id)


def stop_board(ray):
    """A new `StopBoard` actor on the connected cluster."""
    return ray.remote(num_cpus=0)(StopBoard).remote()


class BoardStop:
    """A run's stop flag inside its task, for `run_steps`: set once the driver's board holds a request for it."""

    def __init__(self, board, run_id: int) -> None:
        self.board, self.run_id = board, run_id
        self.reason = USER_STOPPED
        self._set, self._asked = False, 0.0

    def is_set(self) -> bool:
        if self._set or self.board is None or time.monotonic() - self._asked < STOP_POLL_SECONDS:
            return self._set
        import ray

        self._asked = time.monotonic()
        try:
            reason = ray.get(self.board.reason.remote(self.run_id), timeout=10)
        except Exception:  # the board is gone (its driver too): train on; a driver that comes back resumes
            reason = None
        if reason:
            self.reason, self._set = reason, True
        return self._set


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
    board=None,
    crash_at_step: int | None = None,
):
    """The body of one Ray task: train the run, yielding lists of store events (a streaming generator).

    ``board``: the driver's `StopBoard`, asked now and then whether to stop. ``crash_at_step`` is a test hook:
    the worker process exits abruptly after that many steps, as a killed machine would (after a short pause,
    so what it sent before has left it).
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
    steps = run_steps(ResNetSpec.from_dict(spec), train_config, log, run_id, BoardStop(board, run_id),
                      resume=resume, checkpoint_every=checkpoint_every)  # fmt: skip
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


def apply_events(store, run_id: int, events: list[tuple], seen: dict) -> None:
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


def one_line(err: BaseException) -> str:
    """A Ray error's kind and first telling line (Ray's errors start with a banner line)."""
    text = str(err).strip()
    for line in text.splitlines():
        if line.strip() and not line.startswith("ray::"):
            return f"{type(err).__name__}: {line.strip()}"[:300]
    return type(err).__name__


class RayRun:
    """One run trained by a Ray task and followed by a thread of this process, which writes its events to the store.

    ``resume_hint``: the failed run's message when its worker is lost after a checkpoint (fields step, error,
    checkpoint): it says how to continue the run, which differs for a sweep and for the app.
    """

    def __init__(self, ray, task, board, store, run_id: int, resume_hint: str, from_step: int = 0) -> None:
        self.ray, self.task, self.board, self.store, self.run_id = ray, task, board, store, run_id
        self.resume_hint = resume_hint
        self.seen = {"step": from_step}
        self.reason = USER_STOPPED
        self.cancelled = False
        self.abandoned = False  # the cluster is gone: the run was marked failed here, whatever its thread sees later
        self.stream = None
        self.thread = threading.Thread(target=self._follow, name=f"ray-run-{run_id}", daemon=True)

    def start(self, spec: ResNetSpec, config, resume, checkpoint_every, threads: int, crash_at_step=None) -> None:
        self.stream = self.task.remote(spec.to_dict(), config.to_dict(), self.run_id, resume, checkpoint_every,
                                       threads, self.board, crash_at_step)  # fmt: skip
        self.thread.start()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)

    def stop(self, reason: str) -> None:
        """Ask the task to stop at its next step (it saves a checkpoint and ends "<reason> at step N")."""
        self.reason = reason
        try:
            self.board.request.remote(self.run_id, reason)
        except Exception:  # the board is gone: end the task instead
            self.cancel()

    def cancel(self) -> None:
        """End the task at once (its run is marked stopped with what it had sent)."""
        self.cancelled = True
        try:
            self.ray.cancel(self.stream, force=True)
        except Exception:  # already ended
            pass

    def abandon(self, lost: str, lost_resumable: str, values: dict) -> None:
        """Mark the run failed because its cluster is gone (``lost`` / ``lost_resumable`` once it saved a checkpoint,
        filled with ``values``, its step and checkpoint); its thread, which may wait on the cluster for ever, writes
        nothing more."""
        self.abandoned = True
        values = {**values, "step": self.seen["step"], "checkpoint": self.seen.get("checkpoint")}
        self.store.set_status(
            self.run_id, "failed", Message(lost_resumable if "checkpoint" in self.seen else lost, values)
        )

    def _follow(self) -> None:
        from .store import FINAL_STATUSES

        try:
            for ref in self.stream:
                events = self.ray.get(ref)
                if self.abandoned:
                    return
                apply_events(self.store, self.run_id, events, self.seen)
        except Exception as err:  # the worker died, or its node, or the cluster: the run keeps what it logged
            if not self.abandoned:
                self._lost(err)
            return
        if self.abandoned:
            return
        try:
            status = self.store.run(self.run_id)["status"]
        except KeyError:  # deleted meanwhile
            return
        if status not in FINAL_STATUSES:
            self.store.set_status(self.run_id, "failed", Message(NO_RESULT, {"step": self.seen["step"]}))

    def _lost(self, err: BaseException) -> None:
        values = {"step": self.seen["step"], "error": one_line(err), "checkpoint": self.seen.get("checkpoint")}
        if self.cancelled:
            self.store.set_status(self.run_id, "stopped", stopped_at(self.reason, self.seen["step"]))
        elif "checkpoint" in self.seen:
            self.store.set_status(self.run_id, "failed", Message(self.resume_hint, values))
        else:
            self.store.set_status(self.run_id, "failed", Message(WORKER_LOST, values))
