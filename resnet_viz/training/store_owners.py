"""Who owns a queued or running run in the run store: a process (pid, its start time, host) and its heartbeat.

`RunStore` stamps this process as the owner of the runs it creates or trains (`this_process`) and
later asks whether an owner is gone (`owner_gone`), so that `RunStore.mark_interrupted` marks only
runs whose process really ended, never a command-line run training in another process.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from typing import Any

HEARTBEAT_TIMEOUT_S = 120.0  # a run owned by another host is given up after this long without a heartbeat


def this_process() -> tuple[int, str | None, str, float]:
    """(pid, start time, host, heartbeat) of this process: the values of a run's owner columns."""
    return os.getpid(), process_start(os.getpid()), socket.gethostname(), time.time()


def owner_gone(row: Mapping[str, Any], host: str, now: float, stale_after: float = HEARTBEAT_TIMEOUT_S) -> bool:
    """Has the owner of a run (``row``: its owner_pid, owner_start, owner_host, heartbeat_at) gone?

    On this ``host``: its process has ended, or the pid now belongs to another process. On another host:
    no heartbeat for ``stale_after`` seconds before ``now``. A run without an owner (schema 1) counts as gone.
    """
    if row["owner_pid"] is None:
        return True
    if row["owner_host"] == host:
        return not process_alive(row["owner_pid"], row["owner_start"])
    return row["heartbeat_at"] is None or now - row["heartbeat_at"] > stale_after


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), or None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
        return fields[19]  # field 22 of stat(5); fields[0] is field 3
    except (OSError, IndexError):
        return None


def process_alive(pid: int, start: str | None) -> bool:
    """Does process ``pid`` on this host still exist, and is it the one that started at ``start``?"""
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, run by another user
    except (OSError, OverflowError):
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # a zombie: it has ended, its parent has not collected it yet
    except (OSError, IndexError):
        return True  # no /proc (macOS): the pid exists, take it as alive
    return start is None or process_start(pid) == start
