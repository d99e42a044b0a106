"""Benchmark: the app's training engine against a minimal hand-written PyTorch loop, in one run.

    python benchmarks/bench_training.py [--depth 20] [--steps 150] [--repeats 3]

Both train the same network (CIFAR ResNet-N on the bundled digits at 16x16), same batch size,
same data tensors, same optimiser, from the same seed. The engine also produces everything the
UI shows: loss and batch error every step (on the device), gradient norms per stage and block,
learning-rate schedule, throughput, stop checks, and a store write every ``log_every`` steps.

Printed: images per second of each, and the ratio engine / minimal (target >= 0.97). The engine's
periodic evaluation (training error in eval mode + test error) is extra forward work the minimal
loop does not do; it is timed by the engine and reported separately, and kept out of the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
from resnet_viz import ResNetSpec, build_resnet  # noqa: E402
from resnet_viz.device import cpu_count, resolve_device, use_training_threads  # noqa: E402
from resnet_viz.training.config import TrainConfig, lr_at
from resnet_viz.training.data import load_dataset  # noqa: E402
from resnet_viz.training.engine import spec_for_data, train  # noqa: E402
from resnet_viz.training.store import RunStore  # noqa: E402


def minimal_loop(spec: ResNetSpec, config: TrainConfig, x: torch.Tensor, y: torch.Tensor) -> float:
    """The plainest correct loop: same model, data order rule, optimiser and schedule. Images/s."""
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    model = build_resnet(spec, device=device).train()
    x, y = x.to(device), y.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    order = torch.Generator().manual_seed(config.seed + 1)
    perm, cursor, n = torch.randperm(len(x), generator=order), 0, len(x)
    start = time.perf_counter()
    for step in range(config.steps):
        if cursor + config.batch_size > n:
            perm, cursor = torch.randperm(n, generator=order), 0
        idx = perm[cursor : cursor + config.batch_size].to(device)
        cursor += config.batch_size
        for group in opt.param_groups:
            group["lr"] = lr_at(config, step)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    loss.item()  # wait for the device
    return config.steps * config.batch_size / (time.perf_counter() - start)


def engine(spec: ResNetSpec, config: TrainConfig, store: RunStore) -> tuple[float, float]:
    """(images/s excluding evaluation, seconds spent evaluating) for one engine run."""
    run_id = store.create_run("bench", spec.to_dict(), config.to_dict(), str(resolve_device(config.device)))
    start = time.perf_counter()
    result = train(spec, config, store, run_id)
    wall = time.perf_counter() - start
    assert result.status == "finished", result.message
    eval_seconds = store.metrics(run_id)["extra"].iloc[-1]["eval_seconds"]
    return config.steps * config.batch_size / (wall - eval_seconds), eval_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--input-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    config = TrainConfig(
        dataset="digits",
        input_size=args.input_size,
        batch_size=args.batch_size,
        steps=args.steps,
        warmup_steps=min(30, args.steps),
        device=args.device,
    )
    bundle = load_dataset("digits", input_size=args.input_size, seed=config.seed)
    spec = spec_for_data(ResNetSpec.from_depth(args.depth, style="cifar", shortcut="A"), bundle)
    device = resolve_device(config.device)
    threads = use_training_threads()  # the engine's count, in this thread too: both loops run with it
    print(
        f"{spec.name}, batch {config.batch_size}, {config.input_size}px digits, {config.steps} steps, "
        f"device {device}, {threads} training thread(s) of {cpu_count()} CPUs, median of {args.repeats}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "bench.sqlite")
        minimal_loop(spec, config, bundle.x_train, bundle.y_train)  # warm-up (allocator, kernels)
        ours, theirs, evals = [], [], []
        for _ in range(args.repeats):  # alternate, so drift in machine speed hits both alike
            theirs.append(minimal_loop(spec, config, bundle.x_train, bundle.y_train))
            rate, eval_s = engine(spec, config, store)
            ours.append(rate)
            evals.append(eval_s)
        store.close()
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    print(f"minimal loop : {theirs_m:8.1f} images/s   (runs: {', '.join(f'{v:.0f}' for v in theirs)})")
    print(f"engine       : {ours_m:8.1f} images/s   (runs: {', '.join(f'{v:.0f}' for v in ours)})")
    print(f"ratio engine / minimal: {ours_m / theirs_m:.3f}   (target >= 0.97)")
    train_seconds = config.steps * config.batch_size / ours_m
    print(
        f"evaluation (train error in eval mode + test error, every {config.eval_every} steps): "
        f"{statistics.median(evals):.2f} s per run, {100 * statistics.median(evals) / train_seconds:.1f} % "
        "on top of training"
    )


if __name__ == "__main__":
    main()
