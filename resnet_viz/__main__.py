"""Command line: ``python -m resnet_viz table --depth 50 [--style cifar] [--plain] [--csv]``.

Prints the paper's Table 1 for the chosen network (the stage table), the checks against the
papers' figures, and the full layer table. With ``--csv`` the layer table alone is written as CSV
(shapes in (C, H, W) order), ready for a spreadsheet.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from .analysis import layer_table, stage_table
from .paper import paper_checks
from .spec import BLOCKS, NORMS, SHORTCUT_OPTIONS, SHORTCUT_VARIANTS, STRIDE_PLACEMENTS, STYLES, UNITS, ResNetSpec


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m resnet_viz", description="ResNet, seen from inside.")
    commands = parser.add_subparsers(dest="command", required=True)
    table = commands.add_parser("table", help="print the stage table (paper's Table 1) and the layer table")
    table.add_argument("--depth", type=int, required=True, help="weighted layers, e.g. 18, 50, 56, 110, 1202")
    table.add_argument("--style", choices=STYLES, default="imagenet")
    table.add_argument("--block", choices=BLOCKS, default=None, help="default: as the paper for this depth")
    table.add_argument("--plain", action="store_true", help="no shortcut connections")
    table.add_argument(
        "--shortcut", choices=SHORTCUT_OPTIONS, default=None, help="option A/B/C (default B; A for CIFAR)"
    )
    table.add_argument(
        "--stride-on", choices=STRIDE_PLACEMENTS, default="3x3", help="1x1 = paper (v1), 3x3 = torchvision (v1.5)"
    )
    table.add_argument("--unit", choices=UNITS, default="original")
    table.add_argument("--shortcut-variant", choices=SHORTCUT_VARIANTS, default="identity")
    table.add_argument("--norm", choices=NORMS, default="batch")
    table.add_argument("--input-size", type=int, default=None, help="input side in pixels (default 224 / 32)")
    table.add_argument("--csv", action="store_true", help="write the layer table as CSV to stdout")
    return parser


def _spec_from_args(args: argparse.Namespace) -> ResNetSpec:
    shortcut = args.shortcut or ("A" if args.style == "cifar" else "B")
    return ResNetSpec.from_depth(
        args.depth,
        style=args.style,
        block=args.block,
        residual=not args.plain,
        shortcut=shortcut,
        stride_on=args.stride_on,
        unit=args.unit,
        shortcut_variant=args.shortcut_variant,
        norm=args.norm,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec = _spec_from_args(args)
        layers = layer_table(spec, args.input_size)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.csv:
        try:
            layers.to_csv(sys.stdout, index=False)
        except BrokenPipeError:  # e.g. piped into `head`
            sys.stderr.close()
        return 0
    size = spec.default_input_size if args.input_size is None else args.input_size
    with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", None):
        print(f"{spec.name} at {size}x{size}\n")
        print(stage_table(spec, size, layers=layers).to_string(index=False), end="\n\n")
        checks = paper_checks(spec, size, layers=layers)
        if len(checks):
            print(checks.to_string(index=False), end="\n\n")
        print(layers.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
