"""Measure the faster-convergence pair: plain-D against ResNet-D at one shallow depth, over seeds.

    nice -n 10 python benchmarks/convergence_pair.py --depth 14 --size 8 --steps 120 --seeds 0 1 2

He et al. 2015, Sec. 4.1 / Fig. 4: at 18 layers plain and residual nets end about equally accurate, yet the
residual one converges faster early on. This trains the pair (CIFAR style, option A) with the lab's defaults
(`convergence.CONVERGENCE_CONFIG`, any of whose fields the options replace) through the app's own engine, one seed
after another, prints both training-error curves (eval mode, on the fixed subset of `eval_samples` training
images), the pair's wall time next to the CPU time this process got (on a shared machine the wall time is
inflated by the others; the CPU time is what the pair costs), and `convergence.convergence_gaps`.
The numbers chosen are in `benchmarks/lab_data.md`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz.training.lab_check import lab_name, train_lab_rows  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    from resnet_viz.training.convergence import CONVERGENCE_CONFIG, CONVERGENCE_DEPTH, convergence_gaps

    changes = {"input_size": args.size, "steps": args.steps, "lr": args.lr}
    config = replace(CONVERGENCE_CONFIG, device="cpu", **{k: v for k, v in changes.items() if v is not None})
    depth = args.depth or CONVERGENCE_DEPTH
    print(f"config: {config}\ndepth: {depth}; load average {os.getloadavg()[0]:.1f}")
    for seed in args.seeds:
        start, cpu = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as home:
            curves = train_lab_rows(replace(config, seed=seed), Path(home), [(depth, False), (depth, True)])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"seed {seed}: the pair took {wall:.0f} s wall, {cpu:.0f} s CPU; load {os.getloadavg()[0]:.1f}")
        for name, curve in curves.items():
            print(f"  {name:>10}: " + " ".join(f"{100 * e:5.1f}" for e in curve["train_error"]))
        print("  steps     : " + " ".join(f"{s:5d}" for s in curves[lab_name(depth, True)]["step"]))
        gaps = convergence_gaps(curves[lab_name(depth, False)], curves[lab_name(depth, True)], config.steps)
        print(f"  {gaps}")


if __name__ == "__main__":
    main()
