"""Measure the Degradation lab's four nets over seeds: do both halves of Fig. 6 hold, and by how much?

    nice -n 5 python benchmarks/lab_orderings.py --dataset shapes --size 16 --steps 300 --seeds 0 1 2

Trains plain-20, plain-56, ResNet-20, ResNet-56 (CIFAR style, option A) with the lab's defaults
(`labs.DEGRADATION_CONFIG`, any of whose fields the options replace) through the app's own engine,
one seed after another, and prints each net's training-error curve (eval mode, on the fixed subset
of `eval_samples` training images) and the three orderings of He et al. 2015, Fig. 6 against
`labs.CLEAR_MARGIN`. The numbers of the dataset design are in `benchmarks/lab_data.md`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz.training.lab_check import degradation_orderings, train_degradation_lab  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--depths", type=int, nargs=2, default=(20, 56))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    from resnet_viz.training.labs import DEGRADATION_CONFIG

    changes = {"dataset": args.dataset, "input_size": args.size, "steps": args.steps, "lr": args.lr}
    config = replace(DEGRADATION_CONFIG, device="cpu", **{k: v for k, v in changes.items() if v is not None})
    print(f"config: {config}")
    for seed in args.seeds:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as home:
            curves = train_degradation_lab(replace(config, seed=seed), Path(home), tuple(args.depths))
        print(f"seed {seed}: {time.perf_counter() - start:.0f} s")
        for name, curve in curves.items():
            print(f"  {name:>10}: " + " ".join(f"{100 * e:5.1f}" for e in curve["train_error"]))
        final = {name: curve["train_error"].iloc[-1] for name, curve in curves.items()}
        for ordering, holds in degradation_orderings(final, tuple(args.depths)).items():
            print(f"  {ordering}: {'holds' if holds else 'FAILS'}")


if __name__ == "__main__":
    main()
