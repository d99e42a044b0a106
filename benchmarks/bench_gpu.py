"""Benchmark: the GPU training path (bf16 autocast + channels_last, optional torch.compile) against plain fp32.

    python benchmarks/bench_gpu.py [--steps 200] [--batch-size 128] [--target 0.8] [--max-steps 4000] [--compile]

CIFAR ResNet-20 (option A) on CIFAR-10 at 32x32 with the paper's schedule scaled down (SGD 0.1,
/10 at 50 % and 75 %, weight decay 1e-4, crop + flip). If CIFAR-10 is not on disk (a GPU machine
without network), the bundled digits upsampled to 32 px stand in, and the output says so.

Printed, all measured in this one run on this device:
- images/s of a plain fp32 PyTorch loop (the reference, `bench_training.minimal_loop`);
- images/s of the engine with amp/channels_last off, and with them "auto" (on CUDA: bf16 + NHWC; on the CPU
  "auto" turns nothing on, so both rows measure the same thing), each as a ratio to the reference;
- the time the engine ("auto") takes to reach a fixed test accuracy (on its fixed sample of test images).

On the CPU the budget shrinks (batch 64, 20 steps, digits target 90 % within 300 steps), so the test suite
can run it everywhere.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_training import minimal_loop  # noqa: E402

from resnet_viz import ResNetSpec  # noqa: E402
from resnet_viz.device import resolve_device, use_training_threads  # noqa: E402
from resnet_viz.training.config import TrainConfig, resolve_accelerations
from resnet_viz.training.data import load_dataset  # noqa: E402
from resnet_viz.training.download import dataset_available
from resnet_viz.training.engine import run_steps, spec_for_data, train  # noqa: E402
from resnet_viz.training.store import RunStore  # noqa: E402
from resnet_viz.training.sweep_plan import paper_config  # noqa: E402


def engine_rate(spec: ResNetSpec, config: TrainConfig, store: RunStore) -> float:
    """Images/s of one engine run: its own time in the loop (data loading, model building, evaluation left out)."""
    run_id = store.create_run("bench", spec.to_dict(), config.to_dict(), str(resolve_device(config.device)))
    result = train(spec, config, store, run_id)
    assert result.status == "finished", result.message
    return config.steps * config.batch_size / store.metrics(run_id)["extra"].iloc[-1]["train_seconds"]


def time_to_accuracy(spec: ResNetSpec, config: TrainConfig, store: RunStore, target: float) -> tuple:
    """(seconds, step, best accuracy): wall time from the start until the test accuracy first reaches ``target``
    (seconds and step None if it never does within the budget)."""
    run_id = store.create_run("tta", spec.to_dict(), config.to_dict(), str(resolve_device(config.device)))
    stop, hit, best = threading.Event(), {}, [0.0]
    start = time.perf_counter()

    def progress(step: int, total: int, metrics: dict) -> None:
        if metrics.get("test_error") is not None:
            accuracy = 1 - metrics["test_error"]
            best[0] = max(best[0], accuracy)
            if accuracy >= target and not hit:
                hit.update(seconds=time.perf_counter() - start, step=step)
                stop.set()  # reached: no need to train on

    for _ in run_steps(spec, config, store, run_id, stop, on_progress=progress):
        pass
    return hit.get("seconds"), hit.get("step"), best[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="auto")
    parser.add_argument("--steps", type=int, default=None, help="steps per throughput measurement (GPU 200, CPU 20)")
    parser.add_argument("--batch-size", type=int, default=None, help="GPU 128 (the paper's), CPU 64")
    parser.add_argument("--target", type=float, default=None, help="test accuracy (CIFAR-10 0.80, digits 0.90)")
    parser.add_argument("--max-steps", type=int, default=None, help="budget of the time-to-accuracy run")
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile")
    parser.add_argument("--quick", action="store_true", help="the smallest budget that shows every line (tests)")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.batch_size, args.max_steps = 5, 32, 40
        args.target = args.target or 0.3

    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    if not gpu:
        use_training_threads()  # the engine's thread count, for the reference loop too: same footing
    if dataset_available("cifar10"):
        dataset, note = "cifar10", "CIFAR-10"
    else:
        dataset, note = "digits", "bundled digits at 32 px (CIFAR-10 is not on disk here, so it stands in)"
    steps = args.steps or (200 if gpu else 20)
    batch = args.batch_size or (128 if gpu else 64)
    target = args.target or (0.80 if dataset == "cifar10" else 0.90)
    max_steps = args.max_steps or (4000 if gpu else 300)
    if gpu:
        torch.backends.cudnn.benchmark = True

    # Throughput without augmentation on both sides (the reference loop has none); the time-to-accuracy run augments.
    base = paper_config(
        dataset, steps=steps, device=args.device, batch_size=batch, eval_every=steps, log_every=10, augment=False
    )
    fp32 = replace(base, amp="off", channels_last="off")
    auto = replace(base, amp="auto", channels_last="auto")
    bundle = load_dataset(dataset, input_size=32, seed=0)
    spec = ResNetSpec.from_depth(20, style="cifar", shortcut="A")
    data_spec = spec_for_data(spec, bundle)
    accel = resolve_accelerations(device, "auto", "auto")
    print(
        f"CIFAR ResNet-20 on {note}; batch {batch}, {steps} steps per measurement, device {device}, "
        f"{torch.get_num_threads()} CPU threads"
    )
    print(f"'auto' on this device: {accel.describe()}" + ("" if gpu else " (the CPU path is plain fp32)"))

    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "bench.sqlite")
        minimal_loop(data_spec, replace(fp32, steps=min(steps, 10)), bundle.x_train, bundle.y_train)  # warm-up
        reference = minimal_loop(data_spec, fp32, bundle.x_train, bundle.y_train)
        rows = [("plain fp32 loop (reference)", reference)]
        rows.append(("engine fp32", engine_rate(spec, fp32, store)))
        rows.append(("engine amp + channels_last", engine_rate(spec, auto, store)))
        if args.compile:
            compiled = replace(auto, compile=True)
            engine_rate(spec, replace(compiled, steps=min(steps, 20)), store)  # pays for compiling
            rows.append(("engine amp + channels_last + compile", engine_rate(spec, compiled, store)))
        for name, rate in rows:
            print(f"{name:<38}: {rate:9.1f} images/s   ratio to reference {rate / reference:5.2f}")

        samples = 256 if args.quick else 1000
        schedule = paper_config(dataset, steps=max_steps, device=args.device, batch_size=batch, eval_samples=samples)
        schedule = replace(schedule, eval_every=max(10, max_steps // 40), log_every=10)
        seconds, step, best = time_to_accuracy(spec, schedule, store, target)
        what = f"time to {100 * target:.0f} % test accuracy (engine, auto, paper schedule over {max_steps} steps)"
        if seconds is None:
            print(f"{what}: not reached (best {100 * best:.1f} %)")
        else:
            print(f"{what}: {seconds:.1f} s at step {step}")
        store.close()


if __name__ == "__main__":
    main()
