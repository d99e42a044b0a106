"""Benchmark: the CPU time of one redraw of the Train page's live panel, and the run-store reads it makes.

    python benchmarks/bench_live_redraw.py [--redraws 20] [--history 60]

A temporary run store holds ``--history`` finished runs and four runs "training" (owned by this process, as the
app's worker owns them), each with 300 logged steps and gradient norms. The Train page is opened in AppTest;
then, ``--redraws`` times, every training run logs one more step and the page is run (as a browser tab's poll
runs its live panel, the fragment), then run again with nothing new. Printed: the CPU time of the live panel and
of the whole page (this process's, so a busy machine inflates it less than wall time) in both cases, and how many
`RunStore.runs` and `mark_interrupted` calls one rerun of the page makes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def fill_store(store, history: int) -> list[int]:
    """``history`` finished runs and four training ones, 300 logged steps each; returns the training runs' ids."""
    from tiny import RES8, TINY

    grads = {f"layer{i}.{j}": 0.1 for i in range(1, 4) for j in range(3)}
    rows = [{"step": s, "train_loss": 1.0 / s, "lr": 0.1, "images_per_s": 500.0, "grad_norms": grads}
            for s in range(1, 301)]  # fmt: skip
    ids = []
    for i in range(history + 4):
        run_id = store.create_run(f"run {i}", RES8.to_dict(), {**TINY.to_dict(), "steps": 100_000}, "cpu")
        store.log_metrics(run_id, rows)
        store.set_status(run_id, "running" if i >= history else "finished")
        ids.append(run_id)
    return ids[history:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redraws", type=int, default=20)
    parser.add_argument("--history", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["RESNET_VIZ_HOME"] = home
        from apptest_pages import open_app_page

        from resnet_viz.training.store import RunStore
        from ui.run_queue import run_queue

        store = run_queue().store
        training = fill_store(store, args.history)
        at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-20"})
        calls = {"runs": 0, "mark_interrupted": 0}
        for name in calls:
            original = getattr(RunStore, name)

            def counted(self, *a, _name=name, _original=original, **k):
                calls[_name] += 1
                return _original(self, *a, **k)

            setattr(RunStore, name, counted)
        panel = time_the_panel()
        import ui.live

        ui.live.POLL_S = 0  # figures built again at every new step, as a lone tab's poll finds one (the worst case)
        times = {"a step was logged since": ([], [], []), "nothing new": ([], [], [])}
        for step in range(301, 301 + args.redraws):
            for run_id in training:
                store.log_metrics(run_id, [{"step": step, "train_loss": 1.0 / step, "lr": 0.1}])
            for page, fragment, reads in times.values():  # a redraw after the step, then one after nothing new
                for name in calls:
                    calls[name] = 0
                panel.clear()
                start = time.process_time()
                at.run()  # the whole page, the live panel in it
                page.append(time.process_time() - start)
                fragment.append(sum(panel))
                reads.append(dict(calls))
        print(f"{args.redraws} reruns each (load average {os.getloadavg()[0]:.1f}); median CPU:")
        for case, (page, fragment, reads) in times.items():
            print(f"  {case:>24}: live panel {1000 * median(fragment):5.1f} ms, whole page "
                  f"{1000 * median(page):4.0f} ms; store reads: {reads[-1]}")  # fmt: skip


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def time_the_panel() -> list[float]:
    """Make `ui.live.live` record the CPU seconds of the panel's draw and its "still active?" check, as a poll runs
    them; returns the list each rerun appends to."""
    import ui.live

    seconds, original = [], ui.live.live

    def timed(function):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                seconds.append(time.process_time() - start)

        return run

    ui.live.live = lambda draw, is_active, *rest, **kw: original(timed(draw), timed(is_active), *rest, **kw)
    return seconds


if __name__ == "__main__":
    main()
