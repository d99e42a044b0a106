"""Command line.

    python -m resnet_viz table --depth 50 [--style cifar] [--plain] [--csv]
    python -m resnet_viz train --style cifar --depth 56 --plain --dataset digits --steps 200 --seed 0 --json

``table`` prints the paper's Table 1 for the network (the stage table), the checks against the
papers' figures, and the full layer table (``--csv``: the layer table alone, as CSV).
``train`` trains one run headless with a progress bar on stderr; the run lands in the same run
store as the app's, and ``--json`` prints the final metrics as one JSON object on stdout.
``bundle-models`` trains the models that ship with the app into ``assets/models/`` (see `bundle`):

    python -m resnet_viz bundle-models [--only resnet-20 ...] [--steps 500] [--out DIR] [--no-check]

``bundle-labs`` runs the labs ahead of time, with their defaults over three seeds at twice their budget, into
``assets/labs/`` (see `training.precomputed`); their pages show these at once:

    python -m resnet_viz bundle-labs [--only degradation units shortcuts] [--seeds 0 1 2] [--steps N] [--out DIR]
``lesson-results`` computes the Lesson's experiments on the bundled models ahead (see `probes.lesson_results`):

    python -m resnet_viz lesson-results [--out DIR]

``sweep`` trains a named experiment of the papers as one group of runs (see `sweep`), here or on a
Ray cluster; re-running the same command continues it (finished runs are kept, others resume):

    python -m resnet_viz sweep fig6|table6|units|shortcuts [--dataset cifar10] [--steps N | --epochs N]
        [--depths 20 56] [--ray auto|local|HOST:PORT] [--device auto] [--checkpoint-every 500]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys

from .nets.spec import BLOCKS, NORMS, SHORTCUT_OPTIONS, SHORTCUT_VARIANTS, STRIDE_PLACEMENTS, STYLES, UNITS, ResNetSpec


def _add_spec_arguments(parser: argparse.ArgumentParser, depth: int | None, style: str) -> None:
    parser.add_argument(
        "--depth",
        type=int,
        required=depth is None,
        default=depth,
        help="weighted layers, e.g. 18, 50 (ImageNet) or 20, 56, 110 (CIFAR)",
    )
    parser.add_argument("--style", choices=STYLES, default=style)
    parser.add_argument("--block", choices=BLOCKS, default=None, help="default: as the paper for this depth")
    parser.add_argument("--plain", action="store_true", help="no shortcut connections")
    parser.add_argument(
        "--shortcut", choices=SHORTCUT_OPTIONS, default=None, help="A/B/C (default: A CIFAR, B ImageNet)"
    )
    parser.add_argument("--stride-on", choices=STRIDE_PLACEMENTS, default="3x3", help="1x1 = paper (v1), 3x3 = v1.5")
    parser.add_argument("--unit", choices=UNITS, default="original")
    parser.add_argument("--shortcut-variant", choices=SHORTCUT_VARIANTS, default="identity")
    parser.add_argument("--norm", choices=NORMS, default="batch")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m resnet_viz", description="ResNet, seen from inside.")
    commands = parser.add_subparsers(dest="command", required=True)

    table = commands.add_parser("table", help="print the stage table (paper's Table 1) and the layer table")
    _add_spec_arguments(table, depth=None, style="imagenet")
    table.add_argument("--input-size", type=int, default=None, help="input side in pixels (default 224 / 32)")
    table.add_argument("--csv", action="store_true", help="write the layer table as CSV to stdout")

    train = commands.add_parser("train", help="train one run headless; the run lands in the run store")
    _add_spec_arguments(train, depth=20, style="cifar")
    train.add_argument(
        "--dataset", default="digits", help="digits, shapes (bundled); cifar10, mnist, fashionmnist; folder (--folder)"
    )
    train.add_argument(
        "--folder", default=None, help="--dataset folder: one sub-folder per class, in $RESNET_VIZ_ALLOWED_DATA_DIR"
    )
    train.add_argument("--input-size", type=int, default=16)
    train.add_argument("--steps", type=int, default=300)
    train.add_argument("--epochs", type=float, default=None, help="budget in epochs instead of steps")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    train.add_argument("--lr", type=float, default=0.1)
    train.add_argument("--schedule", choices=("constant", "cosine", "step"), default="cosine")
    train.add_argument("--warmup-steps", type=int, default=30)
    train.add_argument("--weight-decay", type=float, default=1e-4)
    train.add_argument("--augment", action="store_true")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    train.add_argument("--num-samples", type=int, default=None, help="limit the dataset size (a whole number >= 1)")
    train.add_argument("--name", default=None, help="run name (default: the network's name)")
    train.add_argument("--store", default=None, help="run store file (default: $RESNET_VIZ_HOME/runs.sqlite)")
    train.add_argument("--json", action="store_true", help="print the final metrics as one JSON object on stdout")

    bundle = commands.add_parser("bundle-models", help="train the models that ship with the app (assets/models/)")
    bundle.add_argument("--only", nargs="+", default=None, help="train only these (default: all five)")
    bundle.add_argument("--steps", type=int, default=None, help="steps for every model (default: each recipe's)")
    bundle.add_argument("--out", default=None, help="folder to write (default: assets/models)")
    bundle.add_argument("--no-check", action="store_true", help="skip the short reproduction-check run")
    labs = commands.add_parser("bundle-labs", help="run the labs ahead of time for their pages (assets/labs/)")
    labs.add_argument("--only", nargs="+", default=None, help="degradation, units, shortcuts (default: all three)")
    labs.add_argument("--seeds", type=int, nargs="+", default=None, help="default: 0 1 2")
    labs.add_argument("--steps", type=int, default=None, help="steps per run (default: twice the lab's)")
    labs.add_argument("--out", default=None, help="folder to write (default: assets/labs)")
    labs.add_argument("--no-check", action="store_true", help="skip the short reproduction-check run")
    lesson = commands.add_parser("lesson-results", help="compute the Lesson's experiments on the bundled models")
    lesson.add_argument("--out", default=None, help="the bundled models' folder (default: assets/models)")
    sweep = commands.add_parser("sweep", help="train a named experiment of the papers (here or on a Ray cluster)")
    sweep.add_argument("experiment", help="fig6, table6, units or shortcuts")
    sweep.add_argument("--dataset", default="cifar10", help="cifar10 (the papers'), digits, shapes, mnist, ...")
    budget = sweep.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, default=None, help="optimiser steps per run (default: the paper's 64k)")
    budget.add_argument("--epochs", type=float, default=None, help="budget in epochs instead of steps")
    sweep.add_argument("--depths", type=int, nargs="+", default=None, help="replace the paper's depths (e.g. 20 56)")
    sweep.add_argument("--ray", default=None, metavar="ADDRESS", help="auto, local or HOST:PORT (default: train here)")
    sweep.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    sweep.add_argument("--batch-size", type=int, default=None, help="default: the paper's 128")
    sweep.add_argument("--input-size", type=int, default=None, help="default: the paper's 32")
    sweep.add_argument("--amp", choices=("auto", "bf16", "off"), default="auto", help="bf16 autocast (auto: on CUDA)")
    sweep.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto", help="auto: on CUDA")
    sweep.add_argument("--compile", action="store_true", help="torch.compile the forward pass")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--checkpoint-every", type=int, default=None, help="steps between checkpoints (default 500)")
    sweep.add_argument("--cpus-per-run", type=int, default=1, help="CPUs per Ray task on a cluster without GPUs")
    sweep.add_argument("--group", default=None, help="run group (default: named after the experiment and budget)")
    sweep.add_argument("--store", default=None, help="run store file (default: $RESNET_VIZ_HOME/runs.sqlite)")
    sweep.add_argument("--json", action="store_true", help="print the runs as one JSON object on stdout")
    return parser


def _sweep(args: argparse.Namespace) -> int:
    import threading

    from .training.signals import stop_on_signals
    from .training.store import RunStore
    from .training.sweep import describe, run_sweep
    from .training.sweep_plan import CHECKPOINT_EVERY, EXPERIMENTS, SweepError, paper_config

    if args.experiment not in EXPERIMENTS:  # before anything slow is imported or opened
        raise SweepError(f"Unknown experiment {args.experiment!r}; choose one of {', '.join(EXPERIMENTS)}.")
    for name in ("steps", "epochs", "batch_size", "input_size", "checkpoint_every", "cpus_per_run"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be greater than 0; got {value}.")
    overrides = {"batch_size": args.batch_size, "input_size": args.input_size}
    config = paper_config(
        args.dataset, steps=args.steps, epochs=args.epochs, device=args.device, amp=args.amp,
        channels_last=args.channels_last, compile=args.compile, seed=args.seed,
        **{k: v for k, v in overrides.items() if v is not None},
    )  # fmt: skip
    store = RunStore(args.store)
    stop = threading.Event()
    restore = stop_on_signals(lambda signum: stop.set(), chain=False)
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    try:
        result = run_sweep(
            store, args.experiment, config, depths=args.depths, ray=args.ray, group=args.group,
            checkpoint_every=args.checkpoint_every or CHECKPOINT_EVERY, cpus_per_run=args.cpus_per_run,
            stop=stop, log=log,
        )  # fmt: skip
    finally:
        restore()
        store.close()
    print(json.dumps({"group": result.group, "runs": result.runs}) if args.json else describe(result))
    if stop.is_set():
        return 130
    return 0 if all(r["status"] == "finished" for r in result.runs) else 1


def _bundle(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .training.bundled import MODELS_DIR, bundle_models

    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be a whole number >= 1; got {args.steps}.")
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    manifest = bundle_models(
        Path(args.out) if args.out else MODELS_DIR,
        only=args.only,
        steps=args.steps,
        check=not args.no_check,
        log=log,
    )
    print(json.dumps(manifest, indent=2))
    return 0


def _bundle_labs(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .training.precomputed import LABS_DIR, SEEDS, bundle_labs

    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be a whole number >= 1; got {args.steps}.")
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    out = Path(args.out) if args.out else LABS_DIR
    seeds = tuple(args.seeds or SEEDS)
    manifest = bundle_labs(out, only=args.only, seeds=seeds, steps=args.steps, check=not args.no_check, log=log)
    print(json.dumps(manifest, indent=2))
    return 0


def _lesson_results(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .probes.lesson_results import write_lesson_results
    from .training.bundled import MODELS_DIR

    write_lesson_results(Path(args.out) if args.out else MODELS_DIR, log=lambda text: print(text, file=sys.stderr))
    return 0


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


def _table(args: argparse.Namespace) -> int:
    import pandas as pd

    from .nets.paper import paper_checks
    from .nets.tables import layer_table, stage_table

    spec = _spec_from_args(args)
    layers = layer_table(spec, args.input_size)
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


def _train(args: argparse.Namespace) -> int:
    from .device import resolve_device
    from .training.admission import check_training_fits
    from .training.engine import train
    from .training.signals import StopSignal, stop_on_signals, take_stop_request
    from .training.store import RunStore

    # Everything is checked before the run is created: a refused run leaves nothing in the store.
    spec = _spec_from_args(args)
    config = _config_from_args(args)
    device = str(resolve_device(config.device))
    check_training_fits(spec, config)
    store = RunStore(args.store)
    run_id = store.create_run(args.name or spec.name, spec.to_dict(), config.to_dict(), device)

    # SIGTERM / Ctrl-C: the run stops at its next step, saves its weights and is marked stopped; then we exit.
    stop, signals = StopSignal(), []

    def on_signal(signum: int) -> None:
        signals.append(signum)
        stop.request(f"interrupted: {signal.Signals(signum).name} received")

    bar = _progress_bar(spec.name)

    def on_progress(done: int, total: int, final: dict) -> None:
        if take_stop_request(store, run_id):  # Stop pressed in the app, which shows this run (`request_stop`)
            stop.set()
        bar(done, total, final)

    restore = stop_on_signals(on_signal, chain=False)
    try:
        result = train(spec, config, store, run_id, stop=stop, on_progress=on_progress)
    finally:
        restore()
    print(file=sys.stderr)
    summary = {
        "run_id": run_id,
        "name": args.name or spec.name,
        "status": result.status,
        "message": store.run(run_id)["message"] if result.status == "stopped" else result.message,
        "device": device,
        **{k: v for k, v in result.final.items() if k != "grad_norms"},
    }
    _print_summary(summary, args.json)
    store.close()
    if signals:
        return 128 + signals[0]  # the shell's convention for "ended by this signal"
    return 0 if result.status == "finished" else 1


def _config_from_args(args: argparse.Namespace):
    """The `TrainConfig` of ``train``'s arguments (warm-up clipped to a short budget)."""
    from .training.config import TrainConfig

    return TrainConfig(
        dataset=args.dataset,
        input_size=args.input_size,
        batch_size=args.batch_size,
        steps=args.steps,
        epochs=args.epochs,
        optimizer=args.optimizer,
        lr=args.lr,
        schedule=args.schedule,
        warmup_steps=min(args.warmup_steps, args.steps),
        weight_decay=args.weight_decay,
        augment=args.augment,
        seed=args.seed,
        device=args.device,
        num_samples=args.num_samples,
        folder=args.folder,
    )


def _progress_bar(name: str):
    """An ``on_progress`` callback that redraws one line on stderr: ``name [####....] step/total loss``."""

    def progress(step: int, total: int, metrics: dict) -> None:
        width = 30
        done = int(width * step / total)
        loss = metrics.get("train_loss")
        text = f"\r{name} [{'#' * done}{'.' * (width - done)}] {step}/{total} loss {loss:.3f}"
        print(text, end="", file=sys.stderr, flush=True)

    return progress


def _print_summary(summary: dict, as_json: bool) -> None:
    """The run's end on stdout: one JSON object, or a status line and its final losses and errors."""
    if as_json:
        print(json.dumps(summary))
        return
    print(f"run {summary['run_id']} {summary['status']}: {summary['message']}")
    for key in ("train_loss", "train_error", "test_error"):
        if summary.get(key) is not None:
            print(f"  {key}: {summary[key]:.4f}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        commands = {
            "table": _table,
            "train": _train,
            "bundle-models": _bundle,
            "bundle-labs": _bundle_labs,
            "lesson-results": _lesson_results,
            "sweep": _sweep,
        }
        return commands[args.command](args)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
