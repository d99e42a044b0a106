"""The app's runs on a Ray cluster: with ``RESNET_VIZ_RAY`` set, `RunQueue` sends each admitted run there.

    RESNET_VIZ_RAY=auto streamlit run app.py        # the cluster started on this machine with `ray start --head`
    RESNET_VIZ_RAY=head-node:6379 streamlit run app.py
    RESNET_VIZ_RAY=local streamlit run app.py       # a cluster inside the server process (tests, a demo)

The app server is the driver: each run is one `ray_runs.RayRun` (a streaming task that trains it with the
engine, one GPU each where the cluster has GPUs), and the server writes what the tasks stream into its own
store, so the pages show the runs live exactly as local ones. An address that does not answer leaves the
app training here (`cluster_from_env` returns why, for the log, the banner and the device line).
Importing this module imports neither Ray nor torch.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from ..i18n import N_, _
from .ray_runs import RayRun, ray_device, remote_task, stop_board
from .signals import USER_STOPPED

RAY_ENV = "RESNET_VIZ_RAY"  # auto | local | host:port | ray://host:port
RESUME_HINT = N_(
    "its Ray worker was lost at step {step} ({error}); press Resume on the Train page to continue from step "
    "{checkpoint}"
)
CLUSTER_LOST = N_("the Ray cluster at {address} was lost at step {step} ({error})")
CLUSTER_LOST_RESUMABLE = N_(
    "the Ray cluster at {address} was lost at step {step} ({error}); once it is back (or the app runs without "
    "RESNET_VIZ_RAY), press Resume on the Train page to continue from step {checkpoint}"
)
UNREACHABLE = "RESNET_VIZ_RAY={address}: {error}; runs train on this server."  # the server log's line (English)
WATCH_SECONDS = 5.0  # how often the cluster's head (its GCS) is checked
MISSES_LOST = 3  # checks in a row without an answer after which the cluster counts as gone
# A driver whose cluster head stops answering is ended by Ray itself after 60 s (its default), which would take the
# app down with it: the app waits (nearly) for ever instead, and notices the loss itself (`RayCluster.watch`).
GCS_PATIENCE_S = 10**8
WAIT_SECONDS = 0.05  # a queue turn waits this long on a Ray run's thread (the queue's worker does no training)

_connected: dict[str, tuple] = {}  # address -> (cluster, error): one connection attempt per process
_connecting = threading.Lock()


class RayCluster:
    """The connected cluster as the queue sees it: where runs go, how many at once, how much memory each may use."""

    def __init__(self, ray, address: str) -> None:
        from .sweep_ray import cluster_gpus

        self.ray, self.address = ray, address
        self.gpus = cluster_gpus(ray)
        self.resources = dict(ray.cluster_resources())  # as at start-up (pages read it: no call to the cluster)
        self.board = stop_board(ray)
        self.lost: str | None = None  # why the cluster counts as gone (see `watch`)
        self.runs: set[RayRun] = set()  # the runs training there now
        self.crash_at: dict[str, int] = {}  # test hook: run name -> step at which its worker exits abruptly
        head = ray.get_runtime_context().gcs_address
        threading.Thread(target=self.watch, args=(head,), name="ray-cluster-watch", daemon=True).start()

    def slots(self) -> int:
        """Runs the cluster trains at once: one per GPU, or one per CPU on a cluster without GPUs."""
        return max(1, int(self.gpus or self.resources.get("CPU", 1)))

    def watch(self, head: str) -> None:
        """Check every `WATCH_SECONDS` that the cluster's head answers (a TCP connection, never a Ray call, which
        would wait); after `MISSES_LOST` misses in a row the cluster is gone: its runs are marked failed (`lose`)."""
        host, _, port = head.rpartition(":")
        misses = 0
        while self.lost is None:
            time.sleep(WATCH_SECONDS)
            try:
                with socket.create_connection((host, int(port)), timeout=WATCH_SECONDS):
                    misses = 0
            except OSError as err:
                misses += 1
                if misses >= MISSES_LOST:
                    self.lose(f"its head {head} does not answer: {err}")

    def lose(self, error: str) -> None:
        """The cluster is gone: say so once in the log, fail its runs (they can be resumed), refuse new ones."""
        self.lost = error
        logging.getLogger(__name__).warning(f"RESNET_VIZ_RAY={self.address}: the Ray cluster is gone ({error}).")
        for run in list(self.runs):
            run.abandon(CLUSTER_LOST, CLUSTER_LOST_RESUMABLE, {"address": self.address, "error": error})

    def memory_limit(self) -> int:
        """Bytes one run may need: the headroom of the largest live node's memory (a run trains on one node)."""
        from ..nets.memory import MEMORY_HEADROOM

        nodes = [n for n in self.ray.nodes() if n.get("Alive")]
        return int(MEMORY_HEADROOM * max((n.get("Resources", {}).get("memory", 0) for n in nodes), default=0))

    def device(self, config) -> str:
        """The device column of a run with ``config`` here ("ray: GPU" / "ray: CPU"); ValueError if it cannot train."""
        from .sweep_ray import check_cluster_device

        if self.lost is not None:
            raise ValueError(
                _(
                    "The Ray cluster at {address} is gone ({error}), so no run can start there. Start it again and "
                    "restart the app, or restart the app without RESNET_VIZ_RAY to train on this server."
                ).format(address=self.address, error=self.lost)
            )
        check_cluster_device(self.gpus, config)
        return ray_device(self.gpus, config)

    def steps(self, store, run_id: int, spec, config, stop, resume, checkpoint_every):
        """Train run ``run_id`` on the cluster, as `engine.run_steps` does here: a generator that yields while the
        run trains (each turn waits a moment on it) and ends when it has ended. ``stop`` reaches the task."""
        task = remote_task(self.ray, self.gpus, config, 1)
        crash = self.crash_at.get(store.run(run_id)["name"]) if self.crash_at else None
        step = int(resume["resume"]["step"]) if resume else 0
        run = RayRun(self.ray, task, self.board, store, run_id, RESUME_HINT, from_step=step)
        run.start(spec, config, resume, checkpoint_every, 1, crash)
        self.runs.add(run)
        asked = False
        try:
            while run.alive() and not run.abandoned:
                if stop.is_set() and not asked:
                    run.stop(getattr(stop, "reason", USER_STOPPED))
                    asked = True
                yield
                run.join(WAIT_SECONDS)
        finally:
            self.runs.discard(run)


def cluster_from_env(environ=None) -> tuple[RayCluster | None, str | None]:
    """(the cluster ``RESNET_VIZ_RAY`` names, None), or (None, why it did not answer), or (None, None) when unset.

    Connects once per process; a cluster that does not answer is one line in the server's log.
    """
    address = (os.environ if environ is None else environ).get(RAY_ENV, "").strip()
    if not address:
        return None, None
    with _connecting:
        if address not in _connected:
            _connected[address] = _connect_from_a_lasting_thread(address)
    return _connected[address]


def _connect_from_a_lasting_thread(address: str) -> tuple[RayCluster | None, str | None]:
    """`_connect` from a thread that lives as long as the process. The cluster that ``ray.init`` starts for "local"
    (its GCS, raylet, workers) dies with the thread that started it, and a Streamlit script's thread ends with the
    script run: the next page would find no cluster."""
    result: list = []
    connected = threading.Event()

    def keep() -> None:
        result.append(_connect(address))
        connected.set()
        threading.Event().wait()  # never set: this thread stays, and the processes it started with it

    threading.Thread(target=keep, name="ray-connection", daemon=True).start()
    connected.wait()
    return result[0]


def _connect(address: str) -> tuple[RayCluster | None, str | None]:
    from .sweep_plan import SweepError
    from .sweep_ray import connect_ray

    os.environ.setdefault("RAY_gcs_rpc_server_reconnect_timeout_s", str(GCS_PATIENCE_S))  # read by ray.init
    try:
        ray = connect_ray(address)
        return RayCluster(ray, address), None
    except (SweepError, ConnectionError, RuntimeError) as err:
        error = _first_sentence(err)
        logging.getLogger(__name__).warning(UNREACHABLE.format(address=address, error=error))
        return None, error


def _first_sentence(err: BaseException) -> str:
    """What went wrong, without the command line's advice that follows (`connect_ray` speaks to the sweeps)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text.split(". ", 1)[0].rstrip(".")
