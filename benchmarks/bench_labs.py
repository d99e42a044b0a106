"""Benchmark: the labs as a learner meets them, through the app's own run queue, with their defaults.

    nice -n 5 python benchmarks/bench_labs.py [--lab degradation|units|shortcuts|all] [--seed 0]

The Degradation lab queues its four networks (`labs.DEGRADATION_RUNS`, `labs.DEGRADATION_CONFIG`) on a
`RunQueue` in a throw-away home, exactly as the page's Launch button does, and polls the store twice a
second as the page does. Printed for each lab:

- time to first points: until every run has its first evaluated point (a curve to draw);
- time to ordering (degradation only): until the three orderings of He et al. 2015, Fig. 6
  (`lab_check.degradation_orderings`, beyond `labs.CLEAR_MARGIN`) hold on the runs' latest evaluations
  and keep holding to the end;
- total: until every run has finished;
- the time estimates against the real total: the budget a launch states before it starts (`budget.run_cost` of
  every run, as `ui.launch.budget_caption` sums it) and the time left that the progress rows show once every
  run has its first points (`budget.run_progress` and `budget.forecast`, as `ui.forecast.queue_forecast`),
  each as a ratio to the real time (goal: within 30 % on an idle machine, 0.7 to 1.3);
- the per-step cost: the queue's wall time per optimiser step (all runs together) against a minimal
  hand-written loop training the same networks for the same steps one after another in the same process
  (ratio queue / minimal; the queue also evaluates, logs and checkpoints).

Targets (issue 20, idle 2-core CPU): first points 15 s, ordering 60 s, Degradation lab 3 min, Identity-mappings
lab 4 min. The machine's load (`os.getloadavg`) is printed beside the figures: on a shared machine they inflate.

Measured (2026-12-06, idle 2-core AMD EPYC, load about 1, one training thread: the other CPU is left for the pages,
`device.training_threads`): Degradation first points 14.1 s, total 196 s (budget 1.07x, forecast 0.96x the real
total), orderings never (ResNet-56 2.0 % against ResNet-20 1.2 %: a tie, see lab_data.md), queue / minimal loop
1.35 per step (evaluation every 20 steps on 2 x 512 images is most of it); Identity-mappings units 10.0 s / 122 s,
shortcuts 13.1 s / 164 s (six runs take turns: with four, the last curves first showed after 98 s and 130 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz.device import cpu_count, use_training_threads  # noqa: E402
from resnet_viz.nets.builder import build_resnet  # noqa: E402
from resnet_viz.training import labs  # noqa: E402
from resnet_viz.training.budget import forecast, run_cost, run_progress  # noqa: E402
from resnet_viz.training.config import lr_at  # noqa: E402
from resnet_viz.training.data import load_dataset  # noqa: E402
from resnet_viz.training.engine import spec_for_data  # noqa: E402
from resnet_viz.training.lab_check import degradation_orderings, lab_name  # noqa: E402
from resnet_viz.training.queue import RunQueue  # noqa: E402
from resnet_viz.training.store import RunStore  # noqa: E402


def lab_runs(lab: str):
    """(specs, names, config) of a lab with the page's defaults."""
    if lab == "degradation":
        specs = labs.degradation_specs(labs.DEGRADATION_RUNS, shortcut="A")
        names = [lab_name(d, r) for d, r in labs.DEGRADATION_RUNS]
        return specs, names, labs.DEGRADATION_CONFIG
    from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNITS

    if lab == "units":
        return labs.unit_specs(labs.IDENTITY_LAB_DEPTH, list(UNITS)), list(UNITS), labs.IDENTITY_CONFIG
    variants = list(SHORTCUT_VARIANTS)
    return labs.shortcut_specs(labs.IDENTITY_LAB_DEPTH, variants), variants, labs.IDENTITY_CONFIG


def latest_errors(store: RunStore, ids: dict[str, int]) -> dict[str, float]:
    """Each run's latest evaluated training error (fraction); runs without one are left out."""
    latest = {}
    for name, run_id in ids.items():
        evals = store.metrics(run_id).dropna(subset=["train_error"])
        if len(evals):
            latest[name] = float(evals["train_error"].iloc[-1])
    return latest


def time_left(store: RunStore, queue: RunQueue, ids: dict[str, int]) -> float:
    """Seconds until the last run finishes, as the progress rows forecast it now (`ui.forecast.queue_forecast`)."""
    runs = store.runs().set_index("id")
    rows = []
    for run_id in ids.values():
        done, total, step_seconds = run_progress(runs.loc[run_id].to_dict(), store.metrics(run_id))
        rows.append((run_id, max(0, total - done), step_seconds or 0.0))
    return max(f.finish_in for f in forecast(rows, [], queue.max_active).values())


def time_lab(lab: str, seed: int) -> dict:
    """Queue the lab as the page does and time what a learner waits for."""
    specs, names, config = lab_runs(lab)
    from dataclasses import replace

    config = replace(config, seed=seed, device="cpu")
    with tempfile.TemporaryDirectory() as home:
        store = RunStore(Path(home) / "runs.sqlite")
        queue = RunQueue(store)
        budget = sum(run_cost(spec, config, device="cpu").seconds for spec in specs)  # the launch caption's sum
        start = time.perf_counter()
        ids = {name: queue.submit(spec, config, name=name, group=f"bench-{lab}") for spec, name in zip(specs, names)}
        first_points = ordering_since = forecast_then = None
        while True:
            done = queue.wait(timeout=0.5)
            now = time.perf_counter() - start
            latest = latest_errors(store, ids)
            if first_points is None and len(latest) == len(ids):
                first_points = now
                forecast_then = now + time_left(store, queue, ids)
            if lab == "degradation" and len(latest) == len(ids):
                holds = all(degradation_orderings(latest).values())
                ordering_since = (ordering_since or now) if holds else None
            if done:
                break
        total = time.perf_counter() - start
        statuses = store.runs()["status"].tolist()
        final = latest_errors(store, ids)
        queue.shutdown()
        store.close()
    return {
        "first_points": first_points,
        "ordering": ordering_since,
        "total": total,
        "budget": budget,
        "forecast": forecast_then,
        "statuses": statuses,
        "final": final,
        "steps": config.steps * len(specs),
        "specs": specs,
        "config": config,
    }


def minimal_seconds(specs, config) -> float:
    """Seconds a minimal loop takes for the same networks, steps, batch and schedule, one after another."""
    bundle = load_dataset(config.dataset, input_size=config.input_size, seed=config.seed)
    x, y = bundle.x_train, bundle.y_train
    start = time.perf_counter()
    for spec in specs:
        model = build_resnet(spec_for_data(spec, bundle), generator=torch.Generator().manual_seed(config.seed)).train()
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
        order = torch.Generator().manual_seed(config.seed + 1)
        for step in range(config.steps):
            idx = torch.randint(0, len(x), (config.batch_size,), generator=order)
            for group in opt.param_groups:
                group["lr"] = lr_at(config, step)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", choices=("degradation", "units", "shortcuts", "all"), default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-minimal", action="store_true", help="skip the minimal-loop reference")
    args = parser.parse_args()
    targets = {"degradation": 180, "units": 240, "shortcuts": 240}
    # The queue's worker trains with the process's one count (a CPU is left for the pages); the minimal loop runs
    # here, in the main thread, with the same count, so the per-step ratio compares like with like.
    threads = use_training_threads()
    for lab in targets if args.lab == "all" else [args.lab]:
        load = os.getloadavg()[0]
        result = time_lab(lab, args.seed)
        config = result["config"]
        print(
            f"{lab} lab: {len(result['specs'])} runs x {config.steps} steps, {config.dataset} {config.input_size}px, "
            f"batch {config.batch_size}, seed {args.seed}, {threads} training thread(s) of {cpu_count()} CPUs, "
            f"load {load:.1f}"
        )

        def fmt(seconds):
            return "never" if seconds is None else f"{seconds:.1f} s"

        print(f"  first points of every curve: {fmt(result['first_points'])}   (target 15 s)")
        if lab == "degradation":
            print(f"  orderings hold from       : {fmt(result['ordering'])}   (target 60 s)")
        print(f"  total                      : {fmt(result['total'])}   (target {targets[lab]} s)")
        estimates = (("budget said before launch", result["budget"]), ("forecast at first points", result["forecast"]))
        for label, value in estimates:
            if value is not None:
                print(f"  {label:<26}: {value:.1f} s, {value / result['total']:.2f} x the real total   (goal 0.7-1.3)")
        print(f"  statuses: {', '.join(result['statuses'])}")
        print("  final training error %: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in result["final"].items()))
        if not args.no_minimal:
            minimal = minimal_seconds(result["specs"], config)
            per_step, per_step_minimal = result["total"] / result["steps"], minimal / result["steps"]
            print(
                f"  per optimiser step: queue {1000 * per_step:.1f} ms, minimal loop {1000 * per_step_minimal:.1f} ms, "
                f"ratio queue / minimal {per_step / per_step_minimal:.2f}   (load now {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
