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
than the model's own forward pass), the speed-up over the old way and that of the workers over one worker; the
work (multiply-adds from the app's own layer table, `trace.trace_spec`, times 2 FLOP) and the rate achieved
against a large matrix product's in the same run, with the grid's time at that rate: the floor for float32.
Target (issue 23): 21 x 21 within 30 s on a 2-core CPU.

Measured idle on the 2-core AVX2 CPU (issue 23): one forward pass of the unfolded model 233 ms, the grid 77.0 s
(174.6 ms per point). Measured again with 2 cores shared with other work (load average 9.7, so absolute times are
inflated; the ratios are from the same run): the grid in 376 s (852 ms per point), 18.8 GFLOP/s against the
matmul's 23.8 GFLOP/s: a point already runs at about 80 % of a large matrix product's rate. The workers were
5.04x faster per point than one worker with both cores (2.39x at load 9-15 before).

Why 30 s is out of reach: one forward pass of 256 images is 8.0 G multiply-adds = 16.0 GFLOP, the grid 7.07
TFLOP; in 30 s that is 236 GFLOP/s, above what 2 cores can do at all in float32 (AVX2, no AVX-512, AMX or bf16:
2 FMA units x 8 lanes x 2 FLOP = 32 FLOP per cycle per core: 157 GFLOP/s for two at its 2.45 GHz, a 45 s floor;
a 2048^3 matmul reached 67 GFLOP/s at best under that load). The idle 77 s is 92 GFLOP/s. What else was tried is
in `landscape._PerturbedNetwork` (grouped convolutions, TorchScript freezing, torch.compile, NNPACK's Winograd): none
is a way there. Fewer images are no way out either: at 92 GFLOP/s, 30 s buys about 100 images per point, and on
the bundled plain-56 (9 x 9, span 0.25) the loss on the first 128 of 256 test pictures already differs from the
loss on all 256 by up to 0.67 (7 % of the surface's range; 192 by up to 0.27, 2.8 %).

Measured idle on another 2-core CPU (AMD EPYC with AVX-512, load 1.9, 2026-12-06): one forward pass 182 ms, the grid
47.6 s (108 ms per point), 148.6 GFLOP/s against the matmul's 145.1: the grid runs at the matmul's rate, whose floor
for it is 48.7 s. Still not 30 s; there the workers gave nothing over one worker with both cores (0.97x).
"""

from __future__ import annotations

import argparse
import os
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
from resnet_viz.nets.trace import trace_spec  # noqa: E402
from resnet_viz.probes.landscape import loss_surface, random_direction, workers_for  # noqa: E402


def median_seconds(f, repeats: int = 5) -> float:
    f()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_gflops(size: int = 2048) -> float:
    """The machine's float32 rate as one large matrix product reaches it (GFLOP/s, 2 size^3 per product), with
    torch's intra-op threads: near what its cores can do at all (AVX2 FMA), and what the convolutions are held to."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / median_seconds(lambda: a @ b) / 1e9


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
    flop = 2 * trace_spec(spec, 16).macs * args.batch  # one forward pass of the batch: convolutions and fc
    peak = matmul_gflops()
    curve = {1: [], None: []}  # workers=1, the default
    for _ in range(2):
        for workers in curve:
            start = time.perf_counter()
            loss_surface(model, x, y, dims=1, steps=args.steps, span=1.0, seed=0, workers=workers)
            curve[workers].append((time.perf_counter() - start) / args.steps)
    start = time.perf_counter()
    loss_surface(model, x, y, dims=2, steps=args.steps, span=1.0, seed=0)
    total = time.perf_counter() - start
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{spec.name} at 16x16, batch {args.batch}, {torch.get_num_threads()} threads, load average {load}")
    print(f"one forward pass:            {forward * 1e3:8.1f} ms")
    print(f"one point, the old way:      {old * 1e3:8.1f} ms ({old * points:.1f} s for the grid, extrapolated)")
    print(f"2-D landscape {args.steps}x{args.steps}:      {total:8.1f} s ({total / points * 1e3:.1f} ms per point)")
    print(f"ratio to {points} forward passes: {total / (points * forward):8.2f}")
    print(f"one forward pass of the batch: {flop / 1e9:.1f} GFLOP, the grid {points * flop / 1e12:.2f} TFLOP")
    print(f"achieved: {points * flop / total / 1e9:.1f} GFLOP/s; a 2048^3 matmul: {peak:.1f} GFLOP/s")
    print(f"the grid at the matmul's rate: {points * flop / (peak * 1e9):8.1f} s (the floor in float32)")
    print(f"speed-up over the old way:   {old * points / total:8.2f}x")
    one, many = statistics.median(curve[1]), statistics.median(curve[None])
    workers = workers_for(torch.device("cpu"), points)
    print(f"per point on a 1-D curve: one worker {one * 1e3:.1f} ms, {workers} workers {many * 1e3:.1f} ms")
    print(f"speed-up of the workers:     {one / many:8.2f}x")


if __name__ == "__main__":
    main()
