"""Stopping runs: a run's stop flag with its reason, stop requests between processes, and SIGTERM / SIGINT handlers
that stop runs cleanly."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

from ..i18n import N_
from ..messages import Message


class StopRequested(Exception):
    """Raised inside the loop when the user pressed stop."""


USER_STOPPED = N_("stopped by the user")


class StopSignal(threading.Event):
    """A run's stop flag that also says why it was set; the run's message becomes "<reason> at step N"."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = USER_STOPPED

    def request(self, reason: str) -> None:
        """Ask the run to stop at its next step, for ``reason`` (e.g. "interrupted: the server stopped")."""
        self.reason = reason
        self.set()


SERVER_STOPPED = N_("interrupted: the server stopped")


def stopped_at(reason: str, step: int) -> Message:
    """A stopped run's message: ``reason`` (a msgid, e.g. `SERVER_STOPPED`) at the step it had reached."""
    return Message(N_("{reason} at step {step}"), {"reason": Message(reason), "step": step})


def request_stop(store, run_id: int) -> None:
    """Ask the process that trains run ``run_id`` (another one: the command line, a sweep's driver) to stop it.

    The request is a file beside the run's checkpoint; the processes that train runs (`RunQueue`, a Ray sweep's
    driver) look for it every second or so (`take_stop_request`), and the run ends "stopped" as with their own Stop.
    """
    path = _request_path(store, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def take_stop_request(store, run_id: int) -> bool:
    """Was run ``run_id`` asked to stop by another process (`request_stop`)? The request is removed."""
    path = _request_path(store, run_id)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _request_path(store, run_id: int):
    return store.checkpoint_path(run_id).with_suffix(".stop")


def stop_on_signals(
    on_signal: Callable[[int], None], signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT), chain: bool = True
) -> Callable[[], None]:
    """Install handlers that call ``on_signal(signum)`` on SIGTERM / SIGINT; returns a function that removes them.

    The first signal calls ``on_signal`` (stop the runs, let them save and mark themselves), then, with
    ``chain``, the handler that was installed before (e.g. Streamlit's own shutdown); a second signal of
    the same kind goes straight to the earlier handler, so a stuck process can still be interrupted.
    Call it from the main thread (Python delivers signals there only).
    """
    previous = {signum: signal.getsignal(signum) for signum in signals}
    seen: set[int] = set()

    def handler(signum: int, frame) -> None:
        first = signum not in seen
        seen.add(signum)
        if first:
            on_signal(signum)
        earlier = previous[signum]
        if (chain or not first) and callable(earlier):
            earlier(signum, frame)
        elif not first and earlier == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for signum in signals:
        signal.signal(signum, handler)

    def restore() -> None:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)

    return restore
