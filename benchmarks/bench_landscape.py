"""Benchmark: a 2-D loss landscape of a 56-layer CIFAR net at 16 px, against one forward pass of its batch.

    python benchmarks/bench_landscape.py [--steps 21] [--batch 256] [--plain]

`landscape.loss_surface(dims=2, steps=21)` evaluates 21 x 21 = 441 perturbed networks on a fixed batch of
256 random 16x16 images (digits-sized, 1 channel, 10 classes), on the CPU. The reference is one forward pass
of the same batch through the unperturbed model, measured in the same run (median of 5): the landscape
cannot cost less than 441 of those. Printed: seconds in all, per point, and the ratio to 441 forward passes.
Target: under a minute on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz import ResNetSpec, build_resnet  # noqa: E402
from resnet_viz.landscape import loss_surface  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=21)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--plain", action="store_true", help="the 56-layer net without shortcuts")
    args = parser.parse_args()

    torch.manual_seed(0)
    spec = replace(ResNetSpec.from_depth(56, style="cifar", residual=not args.plain), in_channels=1, num_classes=10)
    model = build_resnet(spec, input_size=16).eval()
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(args.batch, 1, 16, 16, generator=g), torch.randint(0, 10, (args.batch,), generator=g)

    times = []
    with torch.no_grad():
        model(x)  # warm-up
        for _ in range(5):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    forward = statistics.median(times)

    points = args.steps**2
    start = time.perf_counter()
    loss_surface(model, x, y, dims=2, steps=args.steps, span=1.0, seed=0)
    total = time.perf_counter() - start
    print(f"{spec.name} at 16x16, batch {args.batch}, {torch.get_num_threads()} threads")
    print(f"one forward pass:           {forward * 1e3:8.1f} ms")
    print(f"2-D landscape {args.steps}x{args.steps}:     {total:8.1f} s ({total / points * 1e3:.1f} ms per point)")
    print(f"ratio to {points} forward passes: {total / (points * forward):8.2f}")


if __name__ == "__main__":
    main()
