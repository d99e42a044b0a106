"""The run queue: queued runs trained in one background thread, the active ones taking turns step by step."""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

from ..device import available_memory, resolve_device
from ..formatting import format_bytes
from ..i18n import N_, _
from ..nets.memory import MEMORY_HEADROOM, ModelTooLargeError
from ..nets.spec import ResNetSpec
from .admission import check_training_fits
from .config import TrainConfig
from .engine import RunResult, mark_failed, resumable_step, run_steps
from .signals import SERVER_STOPPED, StopSignal, take_stop_request
from .store import RunStore

# Runs that take turns at once; more wait in order (RESNET_VIZ_MAX_ACTIVE_RUNS overrides). Six: the largest lab
# (the Identity-mappings lab's six shortcuts) grows together from its launch; with four, its last two curves stayed
# empty for two minutes (bench_labs: first points of every curve 130 s). The total time does not change.
MAX_ACTIVE_RUNS = 6
# Runs one owner (an app session) may have queued or training at once: a lab's whole comparison (up to six
# networks) and a couple more, not a day's worth that pushes everyone else's runs back (RESNET_VIZ_RUNS_PER_SESSION).
RUNS_PER_OWNER = 8
# Steps between the checkpoints of a queued run, so a server that is killed (kill -9, a crash, a power cut)
# loses at most this much of it and the run can be resumed (`RunQueue.resume`); each is a few MB for a CIFAR net.
CHECKPOINT_EVERY = 100
# Stopped by a user, a server stop, or interrupted (its process is gone); failed with a checkpoint (a lost Ray worker).
RESUMABLE_STATUSES = ("stopped", "failed")
FROM_ENV = "env"  # `RunQueue(cluster=FROM_ENV)`: the Ray cluster RESNET_VIZ_RAY names, if any (see `ray_cluster`)
STOP_POLL_SECONDS = 1.0  # how often the worker looks for stop requests from other processes (`request_stop`)


class FairShareError(ValueError):
    """A launch would give its owner more runs queued or training than `RunQueue.runs_per_owner`."""


@dataclass
class _Entry:
    run_id: int
    spec: ResNetSpec
    config: TrainConfig
    stop: StopSignal
    memory: int = 0  # bytes its training needs (estimate), set aside while it has not allocated them
    steps: Generator[None, None, RunResult] | None = None  # set when the run becomes active
    started: bool = False  # has taken its first step, so its memory shows in the free memory
    resume: dict | None = None  # a checkpoint to continue from (see `run_steps`)
    checkpoint_every: int | None = None  # steps between checkpoints that a killed process can resume from
    owner: str | None = None  # who launched it (an app session), for the fair share; None = not counted


class RunQueue:
    """Trains queued runs in one background thread, the active ones taking turns step by step.

    One queue per store (the app keeps one for all users). Up to ``max_active`` runs are active at
    once and the worker advances each by one optimiser step in turn, so runs launched together (a
    lab's four networks) all progress from the start, while training still never competes with
    itself for the CPU: there is one worker thread, whatever the number of runs. Later runs wait
    in the order they came (see `position`); any run can be stopped, from here (`stop`) or from
    another process (`signals.request_stop`).

    ``cluster``: a `ray_cluster.RayCluster` to send every admitted run to (one Ray task each, this
    process writing the store), None to train here, or `FROM_ENV` (the default): the cluster that
    ``RESNET_VIZ_RAY`` names, if it is set and answers (`cluster_error` says why not otherwise).
    Ray is imported only then.
    """

    def __init__(
        self,
        store: RunStore,
        max_active: int | None = None,
        memory_limit: int | None = None,
        runs_per_owner: int | None = None,
        checkpoint_every: int = CHECKPOINT_EVERY,
        cluster=FROM_ENV,
    ) -> None:
        self.store = store
        self.cluster_error: str | None = None  # why the cluster RESNET_VIZ_RAY names did not answer
        if cluster == FROM_ENV:
            from .ray_cluster import cluster_from_env

            cluster, self.cluster_error = cluster_from_env()
        self.cluster = cluster
        default_active = cluster.slots() if cluster is not None else MAX_ACTIVE_RUNS
        limit = max_active or int(os.environ.get("RESNET_VIZ_MAX_ACTIVE_RUNS", default_active))
        self.max_active = max(1, limit)
        share = runs_per_owner or int(os.environ.get("RESNET_VIZ_RUNS_PER_SESSION", RUNS_PER_OWNER))
        self.runs_per_owner = max(1, share)  # runs one owner may have queued or training (see `check_share`)
        self.checkpoint_every = checkpoint_every  # for runs submitted without their own
        self.memory_limit = memory_limit  # bytes a run may need (None = 80 % of the device's free memory)
        self._pending: list[_Entry] = []
        self._active: list[_Entry] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._admission = threading.Lock()  # held by `submit` from its memory check to its reservation
        self._polled = 0.0  # when the worker last looked for stop requests from other processes
        self._thread = threading.Thread(target=self._work, name="resnet-viz-trainer", daemon=True)
        self._thread.start()
        # At interpreter exit the worker must not be inside torch (a daemon thread killed there aborts the
        # process with "terminate called without an active exception"): stop and wait first.
        atexit.register(self.shutdown)

    def submit(
        self,
        spec: ResNetSpec,
        config: TrainConfig,
        name: str | None = None,
        group: str | None = None,
        *,
        run_id: int | None = None,
        resume: dict | None = None,
        checkpoint_every: int | None = None,
        owner: str | None = None,
    ) -> int:
        """Queue a run; returns its id at once (status "queued").

        ``run_id``: train this run, already in the store (e.g. created with the rest of a sweep, or to
        continue it), instead of creating one; ``resume`` and ``checkpoint_every`` (default: the queue's) go to
        `run_steps`.
        ``owner``: who launches it (the app passes its session), held to `runs_per_owner` (see `check_share`).

        Raises:
            ValueError: impossible settings, an absent device or dataset folder; `ModelTooLargeError` (a
                ValueError) when training would not fit in memory; `FairShareError` (a ValueError) when the
                owner has its share of the queue already. A refused run leaves nothing in the store.
        """
        config.validate()
        device = self.cluster.device(config) if self.cluster is not None else str(resolve_device(config.device))
        with self._admission:  # the check and the reservation as one step: two launches cannot share the last memory
            self.check_share(owner)
            reserved, limit = self._memory(config)
            try:
                estimate = check_training_fits(spec, config, memory_limit=max(0, limit - reserved))
            except ModelTooLargeError as err:
                if reserved:
                    err = ModelTooLargeError(
                        _("{error} ({reserved} is set aside for the runs already queued.)").format(
                            error=err, reserved=format_bytes(reserved)
                        )
                    )
                raise err from None
            if run_id is None:
                run_id = self.store.create_run(name or spec.name, spec.to_dict(), config.to_dict(), device, group=group)
            else:
                take_stop_request(self.store, run_id)  # a request left from before must not stop it now
                self.store.set_status(run_id, "queued")
            entry = _Entry(run_id, spec, config, StopSignal(), memory=estimate.total_bytes)
            entry.resume, entry.owner = resume, owner
            entry.checkpoint_every = checkpoint_every or self.checkpoint_every
            with self._wake:
                self._pending.append(entry)
                self._wake.notify()
        return run_id

    def check_share(self, owner: str | None, count: int = 1) -> None:
        """Raise `FairShareError` if ``count`` more runs would give ``owner`` more than `runs_per_owner` runs
        queued or training (a lab checks its whole comparison before queueing any of it). None: no limit.

        One server trains everyone's runs in turn: without a share, one session's dozen long runs would put
        every other student's run hours back.
        """
        if owner is None:
            return
        with self._lock:
            mine = sum(e.owner == owner for e in self._pending + self._active)
        if mine + count > self.runs_per_owner:
            raise FairShareError(
                _(
                    "This launch would give you {total} runs queued or training; each session may have {limit} at "
                    "once, so that one person's runs cannot push everyone else's back. Stop one of yours or wait "
                    "for one to end, then launch again."
                ).format(total=mine + count, limit=self.runs_per_owner)
            )

    def _memory(self, config: TrainConfig) -> tuple[int, int]:
        """(bytes set aside for the runs in the queue, bytes a run may need): on a Ray cluster, the memory of one of
        its nodes (Ray places each run where it fits); here, 80 % of the device's free memory less the queue's."""
        if self.memory_limit is not None:
            return self._reserved(), self.memory_limit
        if self.cluster is not None:
            return 0, self.cluster.memory_limit()
        return self._reserved(), int(MEMORY_HEADROOM * available_memory(resolve_device(config.device)))

    def _reserved(self) -> int:
        """Bytes the runs in the queue will take beyond what is in use now (with a fixed budget: all they take)."""
        with self._lock:
            if self.memory_limit is not None:  # a fixed budget: every run in the queue counts
                return sum(e.memory for e in self._pending + self._active)
            return sum(e.memory for e in self._pending + self._active if not e.started)  # started: in the free memory

    def resume(self, run_id: int, owner: str | None = None) -> int:
        """Continue a stopped, interrupted or failed run (e.g. its Ray worker was lost) from its last checkpoint
        (queued like a new run; returns its id).

        Its metric rows past the checkpoint's step are removed first, so no step is logged twice; on the same
        device it then trains exactly as if it had never stopped.

        Raises:
            ValueError: the run is not stopped, has no checkpoint to continue from, or is refused like any launch
                (memory, the owner's share). KeyError: there is no such run.
        """
        run = self.store.run(run_id)
        if run["status"] not in RESUMABLE_STATUSES:
            raise ValueError(
                _("Only a stopped, interrupted or failed run can be resumed; run #{id} is {status}.").format(
                    id=run_id, status=_(run["status"])
                )
            )
        try:
            checkpoint = self.store.load_checkpoint(run_id)
        except (FileNotFoundError, ValueError):
            checkpoint = None
        step = resumable_step(checkpoint)
        if step is None:
            raise ValueError(_("Run #{id} saved no checkpoint to continue from; start it again instead.").format(
                id=run_id))  # fmt: skip
        spec, config = ResNetSpec.from_dict(run["spec"]), TrainConfig.from_dict(run["config"])
        self.store.truncate_metrics(run_id, step)
        return self.submit(spec, config, run_id=run_id, resume=checkpoint, owner=owner)

    def stop(self, run_id: int) -> None:
        """Stop an active run (it keeps what it logged) or cancel a waiting one."""
        with self._lock:
            waiting = [e for e in self._pending if e.run_id == run_id]
            for entry in waiting:
                self._pending.remove(entry)
            active = [e for e in self._active if e.run_id == run_id]
        if waiting:
            self.store.set_status(run_id, "stopped", N_("cancelled before it started"))
        for entry in active:
            entry.stop.set()

    def shutdown(self, timeout: float = 30.0, reason: str = SERVER_STOPPED) -> bool:
        """Stop every run for good: queued ones are marked stopped with ``reason``, running ones are asked to
        stop (they save their weights and are marked "<reason> at step N"); then wait up to ``timeout`` seconds.

        Call it when the server or the command line is asked to quit (see `stop_on_signals`); it also runs at
        interpreter exit. Returns True if no run is left in progress.
        """
        with self._lock:
            pending, self._pending = self._pending, []
            active = list(self._active)
        for entry in pending:
            self.store.set_status(entry.run_id, "stopped", reason)
        for entry in active:
            entry.stop.request(reason)
        return self.wait(timeout)

    def queued(self) -> list[int]:
        """Ids of the runs waiting for a turn, first in line first."""
        with self._lock:
            return [e.run_id for e in self._pending]

    def active(self) -> list[int]:
        """Ids of the runs taking turns now (started, or about to start)."""
        with self._lock:
            return [e.run_id for e in self._active]

    def position(self, run_id: int) -> int | None:
        """1 for the next run to start, 2 for the one after...; None if the run is not waiting here."""
        waiting = self.queued()
        return waiting.index(run_id) + 1 if run_id in waiting else None

    def idle(self) -> bool:
        with self._lock:
            return not self._active and not self._pending

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is queued or running (for tests and the command line)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.idle():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._active:
                    self._wake.wait()
                while self._pending and len(self._active) < self.max_active:
                    entry = self._pending.pop(0)
                    entry.steps = self._steps(entry)
                    self._active.append(entry)
                turn = list(self._active)
            self._take_stop_requests(turn)
            for entry in turn:  # one step each, in the order they came
                try:
                    next(entry.steps)
                    entry.started = True
                except StopIteration:
                    self._retire(entry)
                except Exception as err:  # `run_steps` ends every run with a status; this is what escapes it
                    self._retire(entry)
                    mark_failed(self.store, entry.run_id, err)

    def _steps(self, entry: _Entry) -> Generator[None, None, RunResult | None]:
        """The run's steps: `run_steps` here, or its Ray task followed step by step (`RayCluster.steps`)."""
        if self.cluster is not None:
            return self.cluster.steps(self.store, entry.run_id, entry.spec, entry.config, entry.stop,
                                      entry.resume, entry.checkpoint_every)  # fmt: skip
        return run_steps(entry.spec, entry.config, self.store, entry.run_id, entry.stop,
                         resume=entry.resume, checkpoint_every=entry.checkpoint_every)  # fmt: skip

    def _take_stop_requests(self, turn: list[_Entry]) -> None:
        """Stop the active runs that another process asked to stop (`signals.request_stop`), every second or so."""
        if time.monotonic() - self._polled < STOP_POLL_SECONDS:
            return
        self._polled = time.monotonic()
        for entry in turn:
            if take_stop_request(self.store, entry.run_id):
                entry.stop.set()

    def _retire(self, entry: _Entry) -> None:
        with self._lock:
            self._active.remove(entry)
