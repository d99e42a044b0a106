"""Benchmark: does watching slow training? Steps per minute of four runs with four Train tabs open, against none.

    python benchmarks/bench_watching.py [--seconds 60] [--tabs 4]

One app server (as `streamlit run app.py` with this repository's .streamlit/config.toml), its run store in a
temporary folder. One browser session launches the Degradation lab (four runs: plain-20/56, ResNet-20/56 at 8 px,
steps enough to outlast the benchmark) and closes. Then, in one run of this script, three windows of ``--seconds``
each: no browser open, ``--tabs`` Train tabs open (each a session whose live panel polls), none open again.
Steps are counted from the store (the highest logged step of each run, summed; logged every 10 steps).
Printed: steps per minute in each window, the CPU the server and the browser took in it (on one machine the
browser's rendering competes with training for the same cores, which a class's own laptops would not), and the
ratio tabs / mean of the two windows without (goal >= 0.8).
Needs Playwright and Debian's Chromium, like the browser tests.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMIUM, CHROMIUM_FLAGS, running_server, wait_for_app  # noqa: E402

SETTLE_MS = 180_000


def steps_so_far(store: Path) -> int:
    """The steps all runs have logged so far (each run's highest logged step, summed)."""
    with sqlite3.connect(store) as db:
        query = "SELECT COALESCE(SUM(s), 0) FROM (SELECT MAX(step) s FROM metrics GROUP BY run_id)"
        return db.execute(query).fetchone()[0]


def launch_the_lab(browser, url: str) -> None:
    """Queue the Degradation lab's four runs from one session, then close it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/degradation")
    wait_for_app(page, SETTLE_MS)
    for label, value in (("Image size", 8), ("Steps", 100_000)):
        box = page.get_by_label(label, exact=True).first
        box.fill(str(value))
        box.press("Enter")
        wait_for_app(page, SETTLE_MS)
    page.get_by_role("button", name="Launch the comparison").click()
    page.get_by_role("button", name="Stop this comparison").wait_for(timeout=SETTLE_MS)
    context.close()


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this script's descendants: the app server's processes and the browser's."""
    parents, names, used = {}, {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        parents[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        names[pid] = "server" if b"streamlit" in command else "browser" if b"chrom" in command else "other"
    totals = {"server": 0.0, "browser": 0.0}
    for pid in used:
        ancestor = parents.get(pid)
        while ancestor not in (None, 0, 1, os.getpid()):
            ancestor = parents.get(ancestor)
        if ancestor == os.getpid() and names[pid] in totals:
            totals[names[pid]] += used[pid]
    return totals


def rate(store: Path, seconds: float) -> tuple[float, dict[str, float]]:
    """Steps per minute, all runs together, over the next ``seconds``; and the CPU seconds per minute the server
    and the browser used meanwhile."""
    before, cpu, start = steps_so_far(store), cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    minutes, after = (time.monotonic() - start) / 60, cpu_seconds()
    return (steps_so_far(store) - before) / minutes, {k: (after[k] - cpu[k]) / minutes for k in cpu}


def open_train_tabs(browser, url: str, count: int) -> list:
    """``count`` sessions on the Train page, each showing the runs in progress (its live panel polling)."""
    contexts = []
    for _i in range(count):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/train")
        page.get_by_role("button", name="Stop").first.wait_for(timeout=SETTLE_MS)
        contexts.append(context)
    return contexts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tabs", type=int, default=4)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as home, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        store = Path(home) / "runs.sqlite"
        with running_server(Path(home)) as url:
            launch_the_lab(browser, url)
            time.sleep(10)  # the four runs past their first steps (data loaded, threads warm)
            alone = rate(store, args.seconds)
            tabs = open_train_tabs(browser, url, args.tabs)
            watched = rate(store, args.seconds)
            for context in tabs:
                context.close()
            time.sleep(3)
            alone_again = rate(store, args.seconds)
        browser.close()
    reference = (alone[0] + alone_again[0]) / 2
    print(f"load average before the end: {os.getloadavg()[0]:.1f} (1 min)")
    for label, (steps, cpu) in (("no tab open", alone), (f"{args.tabs} Train tabs open", watched),
                                ("no tab open again", alone_again)):  # fmt: skip
        print(f"{label:>20}: {steps:6.0f} steps/min; CPU s/min: server {cpu['server']:5.1f}, "
              f"browser {cpu['browser']:5.1f}")  # fmt: skip
    print(f"ratio watched / not watched: {watched[0] / reference:.2f}  (goal >= 0.8)")
    per_cpu = [steps / max(cpu["server"], 1e-9) for steps, cpu in (alone, watched, alone_again)]
    print(
        f"steps per server CPU second, watched / not watched: {2 * per_cpu[1] / (per_cpu[0] + per_cpu[2]):.2f} "
        "(what watching costs the server itself, whatever the browser takes of a shared machine)"
    )


if __name__ == "__main__":
    main()
