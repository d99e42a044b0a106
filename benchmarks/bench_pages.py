"""Benchmark: every page's time to idle in Chromium, at the default network and at CIFAR ResNet-1202.

One app server and one bare one-line Streamlit app, both started as the browser tests start them
(tests/browser/conftest.py's `running_server`). Each page is opened in a fresh browser context and timed
from ``goto`` to drawn and idle (`wait_for_app`: Streamlit's script state, no status widget, every chart
drawn), first at the default network, then at ``?preset=CIFAR+ResNet-1202``. The bare page is timed the
same way after every page, so a slow moment of a shared machine hits both; the table prints each page's
seconds and its ratio to the bare page's median. A second reference, a bare page with one three-point Plotly
chart, is timed the same way: a fresh browser context loads and runs Plotly's JavaScript (a 4.6 MB chunk) for
its first chart, seconds on a slow CPU, and every page with a chart pays that floor before its own work.
Home is opened first and loads no torch: the first page after it that needs torch includes importing it, once
per server. Pages that compute at first sight (Gradient flow, Why it works) are timed with what they compute by
default; Streamlit's caches are warm for the second network only where the first one filled them, as for a user.

Targets (issue 23, on an idle 2-core CPU): every page idle within 3 s at the default network and within 5 s
at CIFAR-1202 once torch is loaded.

    python benchmarks/bench_pages.py [--timeout 300] [--only architecture,shortcuts]

Measured (2026-12-06, idle 2-core AMD EPYC, load 0.9 to 2.5): bare page 1.53 s, bare page with one Plotly chart
2.45 s. Default network: Home 2.42, Lesson 2.69, Glossary 2.22, Train 2.15 s; the pages with charts 3.61
(Where it looks) to 4.50 s (Degradation lab), 1.5 to 1.8x the Plotly page. CIFAR-1202: every page 1.89 to 4.95 s
but Shortcuts, 5.24 s. Their scripts rerun in 0.1 to 0.3 s (AppTest): the rest is the browser drawing the charts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT))
from conftest import CHROMIUM, CHROMIUM_FLAGS, running_server, wait_for_app  # noqa: E402

from ui.registry import PAGES  # noqa: E402

BARE_APP = 'import streamlit as st\nst.write("Hello")\n'
PLOTLY_APP = (
    "import plotly.graph_objects as go\nimport streamlit as st\nst.plotly_chart(go.Figure(go.Scatter(y=[1, 3, 2])))\n"
)
NETWORKS = {"default": "", "CIFAR-1202": "?preset=CIFAR+ResNet-1202"}


def time_to_idle(browser, url: str, timeout_s: float) -> float | None:
    """Seconds from opening ``url`` in a fresh context to the page drawn and idle; None past ``timeout_s``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    try:
        page.goto(url)
        wait_for_app(page, int(timeout_s * 1000))
        return time.perf_counter() - start
    except AssertionError:
        return None
    finally:
        context.close()


def url_path(script: str) -> str:
    """The page's URL path: its script's file name ("app_pages/shortcuts.py" -> "shortcuts"), "" for Home."""
    name = Path(script).stem
    return "" if name == "home" else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for one page")
    parser.add_argument("--only", default="", help="comma-separated page names (file names), e.g. architecture")
    args = parser.parse_args()
    only = {name for name in args.only.split(",") if name}
    pages = [p for p in PAGES if not only or Path(p.path).stem in only or p.default]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        with ExitStack() as servers:
            urls = {}
            for name, code in (("bare", BARE_APP), ("plotly", PLOTLY_APP)):
                script = Path(tmp) / f"{name}_app.py"
                script.write_text(code)
                os.environ["RESNET_VIZ_APP"] = str(script)
                urls[name] = servers.enter_context(running_server(Path(tmp) / f"{name}-home"))
                time_to_idle(browser, urls[name], args.timeout)  # the server's first script run, untimed
            os.environ["RESNET_VIZ_APP"] = "app.py"
            app_url = servers.enter_context(running_server(Path(tmp) / "app-home"))
            references, rows = {"bare": [], "plotly": []}, []
            for network, query in NETWORKS.items():
                for info in pages:
                    seconds = time_to_idle(browser, f"{app_url}/{url_path(info.path)}{query}", args.timeout)
                    for name, times in references.items():
                        times.append(time_to_idle(browser, urls[name], args.timeout))
                    rows.append((network, Path(info.path).stem, seconds))
        browser.close()
    report(rows, {name: [t for t in times if t is not None] for name, times in references.items()}, args.timeout)


def report(rows: list[tuple[str, str, float | None]], references: dict[str, list[float]], timeout: float) -> None:
    """The table: each page's seconds to idle and its ratios to the reference pages' medians."""
    medians = {name: statistics.median(times) for name, times in references.items()}
    for name, times in references.items():
        print(
            f"{name} reference page: median {medians[name]:.2f} s over {len(times)} visits "
            f"({min(times):.2f}-{max(times):.2f})"
        )
    print(f"{'network':>11} {'page':>18} {'seconds':>8} {'x bare':>7} {'x plotly':>9}")
    for network, name, seconds in rows:
        if seconds is None:
            shown = f"> {timeout:.0f} s"
        else:
            shown = f"{seconds:8.2f} {seconds / medians['bare']:7.2f} {seconds / medians['plotly']:9.2f}"
        print(f"{network:>11} {name:>18} {shown}")


if __name__ == "__main__":
    main()
