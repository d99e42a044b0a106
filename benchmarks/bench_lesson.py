"""Benchmark: each Lesson step's figure, drawn as the page draws it, in one fresh process, in order.

    python benchmarks/bench_lesson.py [--language zh] [--live [--threads 1]]

Calls `ui.lesson_figures.FIGURES` step by step (outside a Streamlit server their caches work in memory) and
prints the seconds each takes: the first call that needs torch pays its import. Target (issue 24): every step
under 3 s on a 2-core CPU. The lesion study, the landscape, the block ratios and the gradient norms are read from
assets/models/lesson_results.json (`python -m resnet_viz lesson-results`, minutes on such a CPU); the others are
drawn from the bundled curves, the papers' numbers or the app's own tables.

``--live`` then times each step's "Run it yourself, live" option the way the page runs it: the step's experiment at
the shipped settings with seed 1 (`lesson_figures.experiment_tables`), drawn by the step's own function. Target:
under 60 s each on an idle 2-core CPU. On a busy machine the wall clock says little, and so do the CPU seconds of
torch's two threads (they spin while waiting for a core); ``--threads 1`` measures one thread, whose CPU seconds
are about its wall clock on an idle core, an upper bound for two: the verdict goes by the smaller of wall and CPU.
Measured on a shared 2-core machine, seed 1, ``--threads 1`` (load about 5.5), wall / CPU seconds: residual
2.7 / 2.3, one_plus 1.9 / 1.1, lesion 33 / 12.4, landscape 24 / 9.7; torch's two threads (load 7 to 13): residual
15.9 / 9.4, one_plus 10.6 / 6.8, lesion 163 / 62, landscape 63 / 15. All four are offered live.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing

from resnet_viz import i18n  # noqa: E402
from ui.lesson_figures import FIGURES  # noqa: E402
from ui.lesson_steps import STEPS  # noqa: E402

logging.getLogger("streamlit").setLevel(logging.ERROR)  # "No runtime found": expected outside a server
for name in list(logging.root.manager.loggerDict):
    if name.startswith("streamlit"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="en", choices=list(i18n.LANGUAGES))
    parser.add_argument("--live", action="store_true", help="also time each step's live option (minutes)")
    parser.add_argument("--threads", type=int, help="torch's CPU threads for --live (default: torch's own)")
    args = parser.parse_args()
    times = []
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    start = time.perf_counter()
    import torch  # (paid once per server, by the first page that computes: timed apart)

    print(f"import torch: {time.perf_counter() - start:.2f} s (once per server, not counted below)")
    print(f"{'step':>4}  {'key':<12} {'seconds':>8}  answer")
    with i18n.use_language(args.language):
        for number, step in enumerate(STEPS, start=1):
            start = time.perf_counter()
            shown = FIGURES[step.key](args.language)
            seconds = time.perf_counter() - start
            times.append(seconds)
            print(f"{number:>4}  {step.key:<12} {seconds:>8.2f}  {shown.answer}")
    slowest = max(times)
    verdict = "under" if slowest < 3 else "over"
    print(f"all {len(STEPS)} steps: {sum(times):.2f} s; slowest {slowest:.2f} s ({verdict} 3 s)")
    if args.live:
        if args.threads:
            torch.set_num_threads(args.threads)
        live(args.language)


def live(language: str, seed: int = 1) -> None:
    """Time each live option: wall and CPU seconds, and the load average before and after."""
    import torch

    from ui.lesson_figures import FROM_EXPERIMENT, experiment_tables, live_settings, shown_from

    settings = live_settings(seed)
    print(f"live, seed {seed}, {torch.get_num_threads()} torch threads, settings {settings}")
    print(f"{'key':<12} {'wall s':>7} {'cpu s':>7} {'load':>11}  answer")
    for key in FROM_EXPERIMENT:
        before, wall, cpu = os.getloadavg()[0], time.perf_counter(), time.process_time()
        answer = shown_from(key, experiment_tables(key, settings), settings, language).answer
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        verdict = "under" if min(wall, cpu) < 60 else "over"
        load = f"{before:.1f}->{os.getloadavg()[0]:.1f}"
        print(f"{key:<12} {wall:>7.1f} {cpu:>7.1f} {load:>11}  {answer} ({verdict} 60 s)")


if __name__ == "__main__":
    main()
