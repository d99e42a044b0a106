"""Benchmark: `layer_table` against torchinfo's `summary` on the same networks, in one run.

    python benchmarks/bench_layer_table.py [--repeats 5]

For ResNet-152 at 224x224 and CIFAR ResNet-1202 at 32x32 it prints the median time of each tool,
the ratio (torchinfo / ours: above 1 means ours is faster), and whether the totals agree.
Ours starts from the spec and includes building the meta-device model; torchinfo is handed a model
built beforehand (not timed) and runs a real forward pass, as it does in normal use. The MACs
compared are those of convolutions and linear layers (torchinfo also counts BatchNorm, and one
multiply-add per fc bias, which we subtract).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torchinfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz import ResNetSpec, build_resnet, layer_table  # noqa: E402


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cases = [
        ("ResNet-152 @224", ResNetSpec.from_depth(152), 224),
        ("CIFAR ResNet-1202 @32", ResNetSpec.from_depth(1202, style="cifar", shortcut="A"), 32),
    ]
    print(
        f"torch {torch.__version__}, torchinfo {torchinfo.__version__}, {torch.get_num_threads()} threads, "
        f"median of {args.repeats}"
    )
    print(f"{'network':24} {'ours (s)':>9} {'torchinfo (s)':>14} {'ratio':>6}  totals")
    for label, spec, size in cases:
        model = build_resnet(spec).eval()
        ours_s, table = median_time(lambda: layer_table(spec, size), args.repeats)
        theirs_s, summary = median_time(
            lambda: torchinfo.summary(model, input_size=(1, 3, size, size), depth=1000, verbose=0, device="cpu"),
            args.repeats,
        )
        # torchinfo counts the fc bias as one multiply-add per output; the paper's convention does not.
        fc_bias = sum(m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear) and m.bias is not None)
        leaf_macs = -fc_bias + sum(
            info.macs for info in summary.summary_list if info.class_name in ("Conv2d", "Linear") and info.is_leaf_layer
        )
        params_ok = int(table["params"].sum()) == summary.total_params
        macs_ok = int(table["macs"].sum()) == leaf_macs
        print(
            f"{label:24} {ours_s:9.3f} {theirs_s:14.3f} {theirs_s / ours_s:6.2f}  "
            f"params {int(table['params'].sum()):,} vs {summary.total_params:,} "
            f"({'agree' if params_ok else 'DIFFER'}); "
            f"conv+fc MACs {int(table['macs'].sum()):,} vs {leaf_macs:,} ({'agree' if macs_ok else 'DIFFER'})"
        )


if __name__ == "__main__":
    main()
