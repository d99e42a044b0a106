"""Benchmark: two command-line training runs at the same time against the same two one after the other.

    python benchmarks/bench_concurrent_runs.py [--steps 150] [--threads N] [--omp-wait-policy passive|active]

Each run is ``python -m resnet_viz train --style cifar --depth 20 --dataset digits --steps 150
--input-size 32 --seed 0 --json`` in its own process, with ``RESNET_VIZ_HOME`` in a temporary folder.
Printed: the wall time of the pair run sequentially, of the pair run simultaneously, and the ratio
simultaneous / sequential (target <= 1.1: sharing the machine must not cost more than taking turns).
With every CPU given to each run, the two processes' OpenMP threads spin waiting for each other
(1.35x before `device.training_threads` kept one CPU spare).

``--threads`` sets ``RESNET_VIZ_THREADS`` for both runs (2 on a 2-CPU machine is the old behaviour);
``--omp-wait-policy`` sets ``OMP_WAIT_POLICY``, to measure whether sleeping OpenMP threads help.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command(steps: int) -> list[str]:
    return [
        sys.executable, "-m", "resnet_viz", "train", "--style", "cifar", "--depth", "20", "--dataset", "digits",
        "--steps", str(steps), "--input-size", "32", "--seed", "0", "--json", "--device", "cpu",
    ]  # fmt: skip


def run_pair(steps: int, env: dict[str, str], simultaneous: bool) -> tuple[float, list[dict]]:
    """Wall seconds for two runs, started together or one after the other; their JSON summaries."""
    start = time.perf_counter()
    outputs = []
    if simultaneous:
        children = [
            subprocess.Popen(command(steps), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            for _ in range(2)
        ]
        outputs = [child.communicate()[0] for child in children]
    else:
        for _ in range(2):
            done = subprocess.run(command(steps), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            outputs.append(done.stdout)
    seconds = time.perf_counter() - start
    summaries = [json.loads(out) for out in outputs]
    for summary in summaries:
        if summary["status"] != "finished":
            raise SystemExit(f"a run did not finish: {summary}")
    return seconds, summaries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--threads", type=int, default=None, help="RESNET_VIZ_THREADS for both runs")
    parser.add_argument("--omp-wait-policy", choices=("passive", "active"), default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-concurrent-") as home:
        env = dict(os.environ, RESNET_VIZ_HOME=home)
        if args.threads is not None:
            env["RESNET_VIZ_THREADS"] = str(args.threads)
        if args.omp_wait_policy is not None:
            env["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
        run_pair(10, env, simultaneous=False)  # warm the file cache: imports, the digits data
        sequential, _ = run_pair(args.steps, env, simultaneous=False)
        simultaneous, _ = run_pair(args.steps, env, simultaneous=True)

    print(f"CPUs: {os.cpu_count()}, RESNET_VIZ_THREADS={args.threads}, OMP_WAIT_POLICY={args.omp_wait_policy}")
    print(f"two runs one after the other: {sequential:6.1f} s")
    print(f"two runs at the same time:    {simultaneous:6.1f} s")
    print(f"ratio simultaneous / sequential: {simultaneous / sequential:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()
