"""Importing torch and the library while the reader looks at the first page, not when they open the second.

`import torch` takes seconds (about 2.5 s on an idle 2-core CPU, far more on a busy one), and every page that
computes needs it. Home is drawn without it (tests/app/test_frame.py); once Home, or any first page, has been drawn,
`start` imports the heavy modules in a background thread of the server, so that by the time a reader clicks on to
Architecture or Gradient flow they are usually there already. A page that needs them sooner simply waits on
Python's import lock for the import under way: never longer than importing them itself would have taken. Once per
server process; ``RESNET_VIZ_PREFETCH=0`` turns it off (tests that check what a page imports).
"""

from __future__ import annotations

import importlib
import os
import threading

# What the first computing page imports beyond Streamlit: torch itself, then the library's trace and tables (which
# pull in pandas and torch.nn) and the figures' subplots.
MODULES = ("torch", "pandas", "plotly.subplots", "resnet_viz.nets.trace", "resnet_viz.nets.tables")
DELAY_S = 1.0  # let the first page's last messages reach the browser before the import competes for the CPU

_started = threading.Event()


def start(modules: tuple[str, ...] = MODULES, delay_s: float = DELAY_S) -> bool:
    """Import ``modules`` in a daemon thread after ``delay_s``; only the first call starts it. Returns whether this
    call started it."""
    if _started.is_set() or os.environ.get("RESNET_VIZ_PREFETCH", "1") == "0":
        return False
    _started.set()
    timer = threading.Timer(delay_s, _import_all, args=(modules,))
    timer.daemon = True
    timer.name = "resnet-viz-prefetch"
    timer.start()
    return True


def _import_all(modules: tuple[str, ...]) -> None:
    # At the server's own priority: a page that needs torch meanwhile waits on this import (Python's import lock),
    # so a lower priority would make that page wait on a starved thread whenever another process is busy.
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a page importing it later shows the error where it matters
            return
