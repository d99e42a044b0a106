"""Cold start: `streamlit run app.py` until Home is drawn and idle in Chromium, against a bare app.

Both servers are started the same way (tests/browser/conftest.py's `running_server`), alternating,
three times each; the clock runs from starting the server process to the page drawn and idle
(Streamlit's own script-state attributes, no status widget, charts drawn). Target: at most 1.3x the
bare one-line app. Needs Chromium and Playwright, like the browser tests.

    python benchmarks/bench_cold_start.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from conftest import CHROMIUM, CHROMIUM_FLAGS, running_server, wait_for_app  # noqa: E402

BARE_APP = 'import streamlit as st\nst.write("Hello")\n'


def cold_start(browser, app: Path, home: Path) -> tuple[float, float]:
    """Seconds from starting the server to (its health check answering, the first page drawn and idle)."""
    os.environ["RESNET_VIZ_APP"] = str(app)
    start = time.perf_counter()
    with running_server(home) as url:
        ready = time.perf_counter() - start
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
        seconds = time.perf_counter() - start
        context.close()
    return ready, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(BARE_APP)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        apps = {"bare one-line app": bare, "app.py (Home)": ROOT / "app.py"}
        times: dict[str, list[float]] = {name: [] for name in apps}
        ready: dict[str, list[float]] = {name: [] for name in apps}
        for i in range(args.repeats):  # alternate, so a slow moment of the machine hits both
            for name, app in apps.items():
                up, idle = cold_start(browser, app, Path(tmp) / f"home-{i}-{app.stem}")
                ready[name].append(up)
                times[name].append(idle)
        browser.close()
    for name, values in times.items():
        print(
            f"{name:>20}: median {statistics.median(values):.2f} s  ({', '.join(f'{v:.2f}' for v in values)}); "
            f"server answering after {statistics.median(ready[name]):.2f} s"
        )
    ratio = statistics.median(times["app.py (Home)"]) / statistics.median(times["bare one-line app"])
    print(f"ratio app / bare: {ratio:.2f} (target <= 1.3)")


if __name__ == "__main__":
    main()
