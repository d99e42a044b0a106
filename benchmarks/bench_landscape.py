"""Benchmark: a 2-D loss landscape of a 56-layer CIFAR net at 16 px, against one forward pass of its batch.

    python benchmarks/bench_landscape.py [--steps 21] [--batch 256] [--plain]

`landscape.loss_surface(dims=2, steps=21)` evaluates 21 x 21 = 441 perturbed networks on a fixed batch of
256 random 16x16 images (digits-sized, 1 channel, 10 classes), on the CPU. Two references, measured in the
same run (median of 5 each):

* one forward pass of the batch through the unperturbed model, as the model is (BatchNorm, NCHW);
* the old way of evaluating one point, before BatchNorm folding and in-place weights: a dict of
  θ + α d1 + β d2 handed to `torch.func.functional_call` under `torch.no_grad`, extrapolated to the grid.

* the same model evaluated one point at a time with every core in one forward pass (``workers=1``), against the
  default (one worker thread per core, each with one intra-op thread; `landscape.workers_for`), on a 1-D curve of
  ``steps`` points each, alternating.

Printed: seconds in all, per point, the ratio to 441 plain forward passes (under 1 once a point is cheaper
than the model's own forward pass), the speed-up over the old way and that of the workers over one worker.
Target (issue 23): 21 x 21 within 30 s on a 2-core CPU.

Measured (2 cores shared with other work, load average 9-15, so absolute times are inflated many times; the
ratios are from the same run): the 21 x 21 grid in 203 s (460 ms per point; one forward pass of the unfolded model
took 2.8 s at that moment), the workers 2.39x faster per point than one worker with both cores. Fewer images are no
way out: on the bundled plain-56 (9 x 9, span 0.25), the loss on the first 128 of 256 test pictures differs from
the loss on all 256 by up to 0.67 (7 % of the surface's range), on 192 by up to 0.27 (2.8 %).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz import ResNetSpec, build_resnet  # noqa: E402
from resnet_viz.probes.landscape import loss_surface, random_direction, workers_for  # noqa: E402


def median_seconds(f, repeats: int = 5) -> float:
    f()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def old_point(model, x, y) -> Callable[[], float]:
    """One grid point the way loss_surface evaluated it before: functional_call with a dict of perturbed weights."""
    g = torch.Generator().manual_seed(0)
    d1, d2 = random_direction(model, g), random_direction(model, g)
    theta = {name: p.detach() for name, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def point(a: float = 0.3, b: float = -0.2) -> float:
        with torch.no_grad():
            params = {name: t + a * d1[name] + b * d2[name] for name, t in theta.items()}
            return float(F.cross_entropy(functional_call(model, {**params, **buffers}, (x,)), y))

    return point


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--plain", action="store_true", help="the 56-layer net without shortcuts")
    parser.add_argument("--shortcut", default="A", help="A (the paper's CIFAR nets and the bundled models), B or C")
    args = parser.parse_args()

    torch.manual_seed(0)
    spec = ResNetSpec.from_depth(56, style="cifar", residual=not args.plain, shortcut=args.shortcut)
    spec = replace(spec, in_channels=1, num_classes=10)
    model = build_resnet(spec, input_size=16).eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(args.batch, 1, 16, 16, generator=g), torch.randint(0, 10, (args.batch,), generator=g)

    with torch.no_grad():
        forward = median_seconds(lambda: model(x))
    old = median_seconds(old_point(model, x, y))

    points = args.steps**2
    curve = {1: [], None: []}  # workers=1, the default
    for _ in range(2):
        for workers in curve:
            start = time.perf_counter()
            loss_surface(model, x, y, dims=1, steps=args.steps, span=1.0, seed=0, workers=workers)
            curve[workers].append((time.perf_counter() - start) / args.steps)
    start = time.perf_counter()
    loss_surface(model, x, y, dims=2, steps=args.steps, span=1.0, seed=0)
    total = time.perf_counter() - start
    print(f"{spec.name} at 16x16, batch {args.batch}, {torch.get_num_threads()} threads")
    print(f"one forward pass:            {forward * 1e3:8.1f} ms")
    print(f"one point, the old way:      {old * 1e3:8.1f} ms ({old * points:.1f} s for the grid, extrapolated)")
    print(f"2-D landscape {args.steps}x{args.steps}:      {total:8.1f} s ({total / points * 1e3:.1f} ms per point)")
    print(f"ratio to {points} forward passes: {total / (points * forward):8.2f}")
    print(f"speed-up over the old way:   {old * points / total:8.2f}x")
    one, many = statistics.median(curve[1]), statistics.median(curve[None])
    workers = workers_for(torch.device("cpu"), points)
    print(f"per point on a 1-D curve: one worker {one * 1e3:.1f} ms, {workers} workers {many * 1e3:.1f} ms")
    print(f"speed-up of the workers:     {one / many:8.2f}x")


if __name__ == "__main__":
    main()
