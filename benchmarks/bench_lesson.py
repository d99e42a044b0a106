"""Benchmark: each Lesson step's figure, drawn as the page draws it, in one fresh process, in order.

    python benchmarks/bench_lesson.py [--language zh]

Calls `ui.lesson_figures.FIGURES` step by step (outside a Streamlit server their caches work in memory) and
prints the seconds each takes: the first call that needs torch pays its import. Target (issue 24): every step
under 3 s on a 2-core CPU. The lesion study, the landscape, the block ratios and the gradient norms are read from
assets/models/lesson_results.json (`python -m resnet_viz lesson-results`, minutes on such a CPU); the others are
drawn from the bundled curves, the papers' numbers or the app's own tables.
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
    args = parser.parse_args()
    times = []
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    start = time.perf_counter()
    import torch  # noqa: F401  (paid once per server, by the first page that computes: timed apart)

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


if __name__ == "__main__":
    main()
