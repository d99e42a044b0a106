"""Benchmark: the training-memory estimate against the measured peak, for CIFAR and ImageNet nets at a few batches.

    python benchmarks/bench_memory_estimate.py [--threads N] [--quick]

Each case runs `resnet_viz.nets.memory_probe` in a fresh process (two training steps and one evaluation, as the
engine runs them, on random images) and prints the estimate (`memory.estimate_training_memory`, what
`admission.check_training_fits` compares with free memory), the measured peak resident-memory growth and the
ratio estimate / measured; the goal is 0.90 .. 1.35 (never much below: admission must not let a run through that
does not fit). ``--threads`` defaults to the threads the app trains with here (`device.training_threads`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere without installing
# (depth, style, input size, batch, optimizer, images per evaluation)
CASES = [
    (20, "cifar", 32, 64, "sgd", 256),
    (20, "cifar", 32, 256, "sgd", 256),
    (56, "cifar", 32, 128, "adamw", 256),
    (110, "cifar", 32, 64, "sgd", 256),
    (18, "imagenet", 224, 8, "sgd", 32),
    (18, "imagenet", 224, 32, "sgd", 32),
    (50, "imagenet", 224, 8, "sgd", 32),
    (50, "imagenet", 224, 16, "sgd", 32),
    (50, "imagenet", 224, 32, "sgd", 32),
]
QUICK = [CASES[0], (18, "imagenet", 64, 32, "adamw", 64)]


def measure(case: tuple, threads: int) -> dict:
    """The probe's JSON for ``case`` with ``threads`` threads, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "resnet_viz.nets.memory_probe", json.dumps([*case[:5], threads, case[5]])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    from resnet_viz.device import training_threads

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=training_threads())
    parser.add_argument("--quick", action="store_true", help="two small cases only")
    args = parser.parse_args()
    print(f"threads: {args.threads}")
    print(f"{'network':>22} {'px':>4} {'batch':>5} {'opt':>5} {'estimate GiB':>12} {'measured GiB':>12} {'ratio':>6}")
    for case in QUICK if args.quick else CASES:
        result = measure(case, args.threads)
        depth, style, size, batch, optimizer, _images = case
        estimated, measured = result["estimated"] / 1024**3, result["measured"] / 1024**3
        name = f"ResNet-{depth} ({style})"
        ratio = estimated / measured
        print(f"{name:>22} {size:>4} {batch:>5} {optimizer:>5} {estimated:12.2f} {measured:12.2f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
