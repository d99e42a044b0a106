"""Importing torch and the library while the reader looks at the first page, not when they open the second.

`import torch` takes seconds (about 2.5 s on an idle 2-core CPU, far more on a busy one), and every page that
computes needs it. Home is drawn without it (tests/app/test_frame.py); once Home, or any first page, has been drawn,
`start` imports the heavy modules in a background thread of the server, so that by the time a reader clicks on to
Architecture or Gradient flow they are usually there already. A page that needs them sooner simply waits on
Python's import lock for the import under way: never longer than importing them itself would have taken. Then it
measures this machine's training speed (`budget.machine_rate`, a few timed steps of a small net, once per process),
which every page with a launch button needs for its time estimate: the first such page finds it measured, or waits
for the measurement under way. Once per server process; ``RESNET_VIZ_PREFETCH=0`` turns it off (tests that check
what a page imports).
"""

from __future__ import annotations

import importlib
import os
import threading

# What the first computing page imports beyond Streamlit: torch itself, then the library's trace and tables (which
# pull in pandas and torch.nn) and the figures' subplots.
MODULES = ("torch", "pandas", "plotly.subplots", "resnet_viz.nets.trace", "resnet_viz.nets.tables")
# Let the first page reach the browser and be drawn before the import competes for the CPU: on an idle 2-core CPU the
# cold start (benchmarks/bench_cold_start.py, alternating runs) was 1.58x and 1.80x a bare page with 1 s, 1.37x and
# 1.40x with 4 s (1.48x with no prefetch at all, so the rest is Streamlit drawing the frame). A reader rarely clicks
# on within 4 s, and a page that does waits on the import under way, as before.
DELAY_S = 4.0

_started = threading.Event()


def measure_machine() -> None:
    """This machine's training speed on the device runs use by default ("auto"), kept by `budget.machine_rate`."""
    from resnet_viz.device import pick_device
    from resnet_viz.training.budget import machine_rate

    machine_rate(str(pick_device()))


def start(modules: tuple[str, ...] = MODULES, delay_s: float = DELAY_S, then=measure_machine) -> bool:
    """Import ``modules`` in a daemon thread after ``delay_s``, then call ``then`` (None: nothing); only the first
    call starts it. Returns whether this call started it."""
    if _started.is_set() or os.environ.get("RESNET_VIZ_PREFETCH", "1") == "0":
        return False
    _started.set()
    timer = threading.Timer(delay_s, _warm_up, args=(modules, then))
    timer.daemon = True
    timer.name = "resnet-viz-prefetch"
    timer.start()
    return True


def _warm_up(modules: tuple[str, ...], then) -> None:
    # At the server's own priority: a page that needs torch meanwhile waits on this import (Python's import lock),
    # so a lower priority would make that page wait on a starved thread whenever another process is busy.
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a page importing it later shows the error where it matters
            return
    if then is not None:
        try:
            then()
        except Exception:  # noqa: BLE001 - the page that needs it measures again and shows any error
            return
