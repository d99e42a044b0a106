"""The training engine: short, reproducible runs whose metrics stream into the run store.

A run is a `ResNetSpec` plus a `TrainConfig`. `train` executes one run in the calling thread
(the command line uses it directly); `RunQueue` executes queued runs in a background thread,
advancing its active runs one optimiser step each in turn (`run_steps`), so the app stays
responsive, runs launched together grow together, and any run can be stopped at any time.

Degradation is a *training-error* phenomenon, so besides the running training loss the engine
measures the error on a fixed sample of the training set in eval mode, without augmentation,
every ``eval_every`` steps, next to the test error.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..device import resolve_device, use_training_threads
from ..i18n import N_
from ..nets.builder import build_resnet
from ..nets.naming import block_of, group_of
from ..nets.spec import ResNetSpec
from .config import TrainConfig, lr_at, resolve_accelerations
from .data import DataBundle, load_dataset
from .evaluate import evaluate
from .signals import StopRequested, StopSignal
from .store import RunStore


@dataclass
class RunResult:
    run_id: int
    status: str  # "finished", "stopped", "diverged" or "failed"
    message: str
    final: dict[str, Any]  # the last logged metrics


def resumable_step(checkpoint: dict | None) -> int | None:
    """The step a saved checkpoint lets a run continue from (`run_steps(resume=...)`), or None if it cannot."""
    state = (checkpoint or {}).get("resume")
    return int(state["step"]) if isinstance(state, dict) and "step" in state else None


def _cpu(value: Any) -> Any:
    """``value`` with every tensor inside (dicts, lists) detached and copied to the CPU: checkpoints travel."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return value


def throughput(images: int, seconds: float) -> float | None:
    """Images per second, or None when it cannot be measured (no time elapsed, or a non-finite value)."""
    rate = images / seconds if seconds > 0 else None
    return rate if rate is not None and math.isfinite(rate) else None


def spec_for_data(spec: ResNetSpec, bundle: DataBundle) -> ResNetSpec:
    """The spec with its input channels and classes set to the dataset's."""
    return replace(spec, in_channels=bundle.in_channels, num_classes=len(bundle.classes))


def stage_gradient_norms(model: nn.Module) -> dict[str, float]:
    """L2 norm of the weight gradients (``.grad``) per stage ("conv1", "layer1".., "fc") and per block ("layer2.3").

    The cheap per-step log of a training run; `gradients.gradient_norms` is the full per-block table
    of one batch, with the shortcut / branch split.
    """
    squares: dict[str, torch.Tensor] = {}
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        sq = p.grad.detach().float().pow(2).sum()
        keys = [group_of(name, level="stage")] + ([block] if (block := block_of(name)) is not None else [])
        for key in keys:
            squares[key] = squares[key] + sq if key in squares else sq
    if not squares:
        return {}
    values = torch.stack(list(squares.values())).sqrt().tolist()  # one device sync for all groups
    return dict(zip(squares, values))


def augment_batch(x: torch.Tensor, flip_ok: bool, generator: torch.Generator) -> torch.Tensor:
    """Random crop after padding by 2 pixels (reflection-free, zero pad) and, if allowed, a flip.

    x: (N, C, H, W) -> (N, C, H, W); done on the batch's device, one shift per image.
    """
    n, _, h, w = x.shape
    padded = F.pad(x, (2, 2, 2, 2))
    dx = torch.randint(0, 5, (n,), generator=generator).tolist()
    dy = torch.randint(0, 5, (n,), generator=generator).tolist()
    out = torch.stack([padded[i, :, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])
    if flip_ok:
        flip = torch.rand(n, generator=generator) < 0.5
        out[flip.to(out.device)] = out[flip.to(out.device)].flip(-1)
    return out


def train(
    spec: ResNetSpec,
    config: TrainConfig,
    store: RunStore,
    run_id: int,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, int, dict], None] | None = None,
) -> RunResult:
    """Execute run ``run_id`` (already created in ``store``) in this thread, to its end.

    Status goes queued -> running -> finished | stopped | diverged | failed, and the final
    weights are saved as the run's checkpoint (also for a stopped or diverged run, so nothing
    learnt is lost). Metrics are written every ``log_every`` steps in one transaction.
    """
    steps = run_steps(spec, config, store, run_id, stop, on_progress)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def run_steps(
    spec: ResNetSpec,
    config: TrainConfig,
    store: RunStore,
    run_id: int,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, int, dict], None] | None = None,
    resume: dict | None = None,
    checkpoint_every: int | None = None,
) -> Generator[None, None, RunResult]:
    """`train` as a generator that yields after every optimiser step; its return value is the `RunResult`.

    `RunQueue` advances several of these in turn, so runs launched together (a lab's four nets)
    progress together on one worker thread instead of one after another.

    ``resume``: a checkpoint of this run (`RunStore.load_checkpoint`) whose "resume" entry says where it
    stopped (weights, optimiser, batch order, counters): the run continues from there and, on the same
    device, trains exactly as if it had never stopped. Metric rows past that step must be removed first
    (`RunStore.truncate_metrics`). ``checkpoint_every``: also save such a checkpoint every this many
    steps (at the next logged step), so a run whose process is killed loses at most that much.
    """
    stop = stop or StopSignal()
    loop_state: dict[str, Callable[[], dict]] = {}  # _loop puts its "snapshot" function here
    finished = False
    device = resolve_device(config.device)
    store.set_status(run_id, "running")
    last: dict[str, Any] = {}
    model: nn.Module | None = None
    bundle: DataBundle | None = None
    try:
        torch.manual_seed(config.seed)
        if device.type == "cpu":
            use_training_threads()  # once per process: set_num_threads is process-global
        bundle = load_dataset(
            config.dataset,
            input_size=config.input_size,
            seed=config.seed,
            num_samples=config.num_samples,
            root=config.data_root,
            folder=config.folder,
        )
        spec = spec_for_data(spec, bundle)
        if config.epochs is not None:  # the budget in epochs becomes steps once the data size is known
            steps = max(1, math.ceil(config.epochs * len(bundle.x_train) / config.batch_size))
            config = replace(config, steps=steps, warmup_steps=min(config.warmup_steps, steps))
        # Everything up to the first step runs without another run's turn in between, so the seed
        # fixes the initialisation exactly as when the run trains alone.
        model = build_resnet(spec, device=device, input_size=config.input_size)
        if resumable_step(resume) is not None:
            model.load_state_dict(resume["model"])

        def checkpoint() -> None:
            store.save_checkpoint(run_id, _checkpoint(spec, config, bundle, model, loop_state["snapshot"]()))

        result = yield from _loop(
            model, bundle, config, device, store, run_id, stop, on_progress,
            resume=resume.get("resume") if resumable_step(resume) is not None else None,
            checkpoint=checkpoint if checkpoint_every else None, checkpoint_every=checkpoint_every or 0,
            loop_state=loop_state,
        )  # fmt: skip
        last = result.final
        finished = result.status == "finished"
        return result
    except StopRequested:
        return RunResult(run_id, "stopped", N_("stopped by the user"), last)
    except Exception as err:  # a run must end with a readable status, never silently
        message = f"{type(err).__name__}: {err}"
        store.set_status(run_id, "failed", message)
        return RunResult(run_id, "failed", message, last)
    finally:
        if model is not None and bundle is not None:
            # A run that did not finish keeps where it stood, so it can be continued (`resume`).
            snapshot = loop_state.get("snapshot") if not finished else None
            store.save_checkpoint(run_id, _checkpoint(spec, config, bundle, model, snapshot() if snapshot else None))


def _checkpoint(spec: ResNetSpec, config: TrainConfig, bundle: DataBundle, model: nn.Module, resume: dict | None):
    """A run's checkpoint: its weights, what they were trained on and, for a run that can continue, its loop state."""
    state = {
        "spec": spec.to_dict(),
        "config": config.to_dict(),
        "classes": list(bundle.classes),
        "mean": list(bundle.mean),
        "std": list(bundle.std),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    return state | ({"resume": resume} if resume is not None else {})


def _loop(
    model: nn.Module,
    bundle: DataBundle,
    config: TrainConfig,
    device: torch.device,
    store: RunStore,
    run_id: int,
    stop: threading.Event,
    on_progress: Callable[[int, int, dict], None] | None,
    resume: dict | None = None,
    checkpoint: Callable[[], None] | None = None,
    checkpoint_every: int = 0,
    loop_state: dict | None = None,
) -> Generator[None, None, RunResult]:
    """The optimisation loop of `run_steps`; yields after each step.

    Throughput counts this run's own time only (from resuming to yielding), so it stays true when
    other runs take turns in between. ``resume`` is a `snapshot` of an earlier loop of this run;
    ``checkpoint()`` is called every ``checkpoint_every`` steps (at a logged step, so no window is
    split); ``loop_state["snapshot"]`` is set to a function that returns where the loop stands.
    """
    cuda = device.type == "cuda"
    accel = resolve_accelerations(device, config.amp, config.channels_last, config.compile)
    if accel.channels_last:  # tensor cores like channels_last; bf16 autocast needs no loss scaling
        model = model.to(memory_format=torch.channels_last)
    amp = accel.autocast
    forward = torch.compile(model) if accel.compile else model  # same parameters: state_dict keys unchanged
    x_train, y_train = bundle.x_train.to(device), bundle.y_train.to(device)
    g = torch.Generator().manual_seed(config.seed)
    eval_train_idx = torch.randperm(len(x_train), generator=g)[: config.eval_samples].to(device)
    x_eval_train, y_eval_train = x_train[eval_train_idx], y_train[eval_train_idx]
    x_test = bundle.x_test[: config.eval_samples].to(device)
    y_test = bundle.y_test[: config.eval_samples].to(device)

    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    order = torch.Generator().manual_seed(config.seed + 1)  # batch order, independent of the split
    n = len(x_train)
    perm, cursor = torch.randperm(n, generator=order), 0
    loss_sum = torch.zeros((), device=device)  # accumulated on the device: no sync per step
    wrong_sum = torch.zeros((), device=device)
    seen, window_seconds, window_images = 0, 0.0, 0
    train_error = test_error = None
    eval_seconds = 0.0  # time spent measuring errors, kept out of the throughput figure
    final: dict[str, Any] = {}
    model.train()
    own_seconds = 0.0  # this run's own time in the loop (other runs' turns excluded)
    done = last_checkpoint = 0  # optimiser steps completed; the step of the last checkpoint

    def snapshot() -> dict[str, Any]:
        """Everything the loop needs to continue exactly after its last completed step (CPU tensors, plain values)."""
        return _cpu(
            {
                "step": done, "optimizer": optimizer.state_dict(), "order": order.get_state(), "perm": perm,
                "cursor": cursor, "loss_sum": loss_sum.item(), "wrong_sum": wrong_sum.item(), "seen": seen,
                "window_images": window_images, "window_seconds": window_seconds, "train_error": train_error,
                "test_error": test_error, "eval_seconds": eval_seconds, "own_seconds": own_seconds, "final": final,
            }
        )  # fmt: skip

    if loop_state is not None:
        loop_state["snapshot"] = snapshot
    if resume is not None:  # continue where the snapshot left off
        optimizer.load_state_dict(resume["optimizer"])  # moves the state to the parameters' device
        order.set_state(resume["order"])
        perm, cursor, done = resume["perm"], resume["cursor"], resume["step"]
        loss_sum += resume["loss_sum"]
        wrong_sum += resume["wrong_sum"]
        seen, window_images, window_seconds = resume["seen"], resume["window_images"], resume["window_seconds"]
        train_error, test_error, final = resume["train_error"], resume["test_error"], resume["final"]
        eval_seconds, own_seconds, last_checkpoint = resume["eval_seconds"], resume["own_seconds"], done
    for step in range(done, config.steps):
        step_start = time.perf_counter()
        if stop.is_set():
            reason = getattr(stop, "reason", N_("stopped by the user"))
            store.set_status(run_id, "stopped", N_("{reason} at step {step}").format(reason=reason, step=step))
            raise StopRequested
        if cursor + config.batch_size > n:
            perm, cursor = torch.randperm(n, generator=order), 0
        idx = perm[cursor : cursor + config.batch_size].to(device)
        cursor += config.batch_size
        xb, yb = x_train[idx], y_train[idx]
        if config.augment:
            xb = augment_batch(xb, bundle.flip_ok, order)
        if accel.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        lr = lr_at(config, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(**amp) if amp else nullcontext():
            out = forward(xb)
        loss = F.cross_entropy(out.float(), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        loss_sum += loss.detach()
        wrong_sum += (out.detach().argmax(1) != yb).sum()
        seen += 1
        window_images += len(xb)

        last_step = step == config.steps - 1
        if (step + 1) % config.log_every == 0 or last_step:
            norms = stage_gradient_norms(model)  # before the update: the gradients of this step
        optimizer.step()
        done = step + 1

        if (step + 1) % config.log_every == 0 or last_step:
            mean_loss = (loss_sum / seen).item()  # the one sync of the logging interval
            if not math.isfinite(mean_loss):
                message = N_("loss became {loss} at step {step}: the learning rate is probably too high").format(
                    loss=mean_loss, step=step + 1
                )
                rate = throughput(window_images, window_seconds + time.perf_counter() - step_start)  # steps before it
                store.log_metrics(
                    run_id,
                    [{"step": step + 1, "epoch": (step + 1) * config.batch_size / n, "train_loss": None, "lr": lr,
                      "images_per_s": rate}],
                )  # fmt: skip
                store.set_status(run_id, "diverged", message)
                return RunResult(run_id, "diverged", message, final)
            if cuda:
                torch.cuda.synchronize()
            window_seconds += time.perf_counter() - step_start
            elapsed = window_seconds  # training time only: evaluation comes next
            evaluated = (step + 1) % config.eval_every == 0 or last_step
            if evaluated:
                eval_start = time.perf_counter()
                train_error, _train_loss = evaluate(model, x_eval_train, y_eval_train, 256, amp)
                test_error, _test_loss = evaluate(model, x_test, y_test, 256, amp)
                eval_seconds += time.perf_counter() - eval_start
            final = {
                "step": step + 1,
                "epoch": (step + 1) * config.batch_size / n,
                "train_loss": mean_loss,
                "batch_error": (wrong_sum / (seen * config.batch_size)).item(),
                "train_error": train_error if evaluated else None,
                "test_error": test_error if evaluated else None,
                "lr": lr,
                "images_per_s": throughput(window_images, elapsed),
                "grad_norms": norms,
            }
            extra = {
                "batch_error": final["batch_error"],
                "eval_seconds": eval_seconds,  # spent measuring errors so far
                "train_seconds": own_seconds + time.perf_counter() - step_start - eval_seconds,  # the rest of its time
                "total_steps": config.steps,  # the budget, also when it was given in epochs
            }
            store.log_metrics(run_id, [{k: v for k, v in final.items() if k != "batch_error"} | {"extra": extra}])
            if on_progress:
                on_progress(step + 1, config.steps, final)
            loss_sum.zero_()
            wrong_sum.zero_()
            seen, window_images, window_seconds = 0, 0, 0.0
            own_seconds += time.perf_counter() - step_start
            if checkpoint is not None and not last_step and done - last_checkpoint >= checkpoint_every:
                checkpoint()
                last_checkpoint = done
            yield
            continue
        window_seconds += time.perf_counter() - step_start
        own_seconds += time.perf_counter() - step_start
        yield
    final["train_error"], final["test_error"] = train_error, test_error
    store.set_status(run_id, "finished", N_("{steps} steps").format(steps=config.steps))
    return RunResult(run_id, "finished", N_("{steps} steps").format(steps=config.steps), final)
