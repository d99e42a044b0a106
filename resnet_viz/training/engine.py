"""The training engine: short, reproducible runs whose metrics stream into the run store.

A run is a `ResNetSpec` plus a `TrainConfig`. `train` executes one run in the calling thread
(the command line uses it directly); `RunQueue` executes queued runs in a background thread,
advancing its active runs one optimiser step each in turn (`run_steps`), so the app stays
responsive, runs launched together grow together, and any run can be stopped at any time.

Degradation is a *training-error* phenomenon, so besides the running training loss the engine
measures the error on a fixed sample of the training set in eval mode, without augmentation,
every ``eval_every`` steps, next to the test error.

How it reads, top to bottom: `run_steps` prepares a run (`_prepare`: its data and network, a `_Run`),
sets up its loop (`_Loop`: the data on the device, the accelerations, the optimiser) and advances it
step by step. Everything the loop changes lives in one `LoopState`, whose `snapshot` is the "resume"
entry of a checkpoint and whose `restore` continues from one, exactly.

Reproducible by construction: a run never reads torch's global generator, which every thread of a server
shares; its weights, data split, batch order, augmentation and dropout masks come from generators of its own,
seeded from ``config.seed`` (see `_prepare`). The same spec, config, dataset and seed on the same device give
the same metric rows, whatever else the process does. They still depend on the device (a GPU sums in another
order than a CPU, cuDNN chooses kernels by timing), the CPU thread count (`use_training_threads`), the
accelerations (`amp`, `compile`) and the torch version.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Generator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any, NoReturn

import torch
import torch.nn.functional as F
from torch import nn

from ..device import resolve_device, use_training_threads
from ..i18n import N_
from ..messages import Message
from ..nets.builder import build_resnet
from ..nets.model import use_generator
from ..nets.naming import block_of, group_of
from ..nets.spec import ResNetSpec
from .config import TrainConfig, lr_at, resolve_accelerations
from .data import DataBundle, load_dataset
from .evaluate import evaluate
from .loop_state import LoopState
from .signals import USER_STOPPED, StopRequested, StopSignal, stopped_at
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
    saved = resume if resumable_step(resume) is not None else None
    run: _Run | None = None  # once its data and network exist, a run always leaves a checkpoint
    loop: _Loop | None = None  # once its loop is set up, an unfinished run's checkpoint says where it stands
    try:
        device = resolve_device(config.device)
        store.set_status(run_id, "running")
        run = _prepare(spec, config, device)
        if saved is not None:
            run.model.load_state_dict(saved["model"])
        loop = _Loop(run, device, store, run_id, checkpoint_every or 0)
        if saved is not None:
            loop.state.restore(saved["resume"])
        result = yield from loop.steps(stop, on_progress)
    except StopRequested:
        result = RunResult(run_id, "stopped", _stop_message(stop, loop).english(), {})
    except GeneratorExit:  # closed half-way (e.g. garbage-collected): keep where it stood, then let it close
        _save_checkpoint(store, run_id, run, loop, finished=False)
        raise
    except Exception as err:  # a run must end with a readable status, never silently, never taking the queue along
        result = RunResult(run_id, "failed", mark_failed(store, run_id, err), {})
    # A run that did not finish keeps where it stood, so it can be continued (`resume`).
    saving = _save_checkpoint(store, run_id, run, loop, finished=result.status == "finished")
    if saving is not None:
        message = mark_failed(store, run_id, saving, N_("its weights could not be saved ({kind}: {error})"))
        result = RunResult(run_id, "failed", message, {})
    return result


def _save_checkpoint(store: RunStore, run_id: int, run: _Run | None, loop: _Loop | None, finished: bool):
    """Save the run's checkpoint (if its network exists); returns the exception that stopped it, or None."""
    if run is None:
        return None
    state = loop.state if loop is not None and not finished else None
    try:
        store.save_checkpoint(run_id, run.checkpoint(state))
    except Exception as err:  # a full disk must not take the queue down: the caller marks the run failed
        return err
    return None


FAILED = N_("{kind}: {error}")  # a failed run's message: the error's kind and its text


def mark_failed(store: RunStore, run_id: int, err: BaseException, template: str = FAILED) -> str:
    """Mark the run failed with ``template`` filled with the error's kind and text; returns that message.

    Never raises: if even the store cannot be written (the disk is full, the file is locked), the run's row
    stays as it was and the error is logged. The worker, which serves every user, goes on either way.
    """
    message = Message(template, {"kind": type(err).__name__, "error": str(err)})
    try:
        store.set_status(run_id, "failed", message)
    except Exception:
        logging.getLogger(__name__).exception("run #%s failed and could not be marked failed", run_id)
    return message.english()


def _stop_message(stop: threading.Event, loop: _Loop | None) -> Message:
    """A stopped run's message: the stop's reason (see `StopSignal`) at the step it had reached."""
    return stopped_at(getattr(stop, "reason", USER_STOPPED), loop.state.done if loop else 0)


@dataclass
class _Run:
    """What a run trains: its network, on its dataset, with its settings (as resolved for that dataset)."""

    spec: ResNetSpec  # with the dataset's input channels and classes
    config: TrainConfig  # with a budget in epochs turned into steps
    bundle: DataBundle
    model: nn.Module

    def checkpoint(self, state: LoopState | None) -> dict[str, Any]:
        """Its weights, what they were trained on and, for a run that can continue, its loop's `snapshot`."""
        checkpoint = {
            "spec": self.spec.to_dict(),
            "config": self.config.to_dict(),
            "classes": list(self.bundle.classes),
            "mean": list(self.bundle.mean),
            "std": list(self.bundle.std),
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
        }
        return checkpoint | ({"resume": state.snapshot()} if state is not None else {})


def _prepare(spec: ResNetSpec, config: TrainConfig, device: torch.device) -> _Run:
    """Load the run's dataset and build its network, initialised from ``config.seed``.

    The run owns its random streams: the weights come from a generator seeded with ``config.seed``, the data
    split from one of its own (`load_dataset`), the batch order, augmentation and dropout masks from the loop's
    ``order`` (`LoopState`). Nothing reads torch's global generator, so what other threads (other runs, other
    users' pages) draw meanwhile cannot change a run.
    """
    if device.type == "cpu":
        use_training_threads()  # the process's one count, in this thread too
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
    model = build_resnet(
        spec, device=device, input_size=config.input_size, generator=torch.Generator().manual_seed(config.seed)
    )
    return _Run(spec, config, bundle, model)


class _Loop:
    """The optimisation loop of one run over one `LoopState`; `steps` yields after each step.

    Set up once: the device's accelerations, the data on the device (the training set, and the fixed
    samples of both splits its errors are measured on) and a fresh `state`. Throughput counts this
    run's own time only (from resuming to yielding), so it stays true when other runs take turns in
    between. A checkpoint is saved every ``checkpoint_every`` steps (0: never), at a logged step, so
    no window is split.
    """

    def __init__(self, run: _Run, device: torch.device, store: RunStore, run_id: int, checkpoint_every: int) -> None:
        self.run, self.config, self.store, self.run_id = run, run.config, store, run_id
        self.device, self.checkpoint_every = device, checkpoint_every
        config, model = run.config, run.model
        self.accel = resolve_accelerations(device, config.amp, config.channels_last, config.compile)
        if self.accel.channels_last:  # tensor cores like channels_last; bf16 autocast needs no loss scaling
            model.to(memory_format=torch.channels_last)
        self.forward = torch.compile(model) if self.accel.compile else model  # same parameters: same state_dict
        self.x_train, self.y_train = run.bundle.x_train.to(device), run.bundle.y_train.to(device)  # (N, C, H, W), (N,)
        sample = torch.randperm(len(self.x_train), generator=torch.Generator().manual_seed(config.seed))
        sample = sample[: config.eval_samples].to(device)
        self.x_eval_train, self.y_eval_train = self.x_train[sample], self.y_train[sample]
        self.x_test = run.bundle.x_test[: config.eval_samples].to(device)
        self.y_test = run.bundle.y_test[: config.eval_samples].to(device)
        self.state = LoopState.start(model, config, len(self.x_train), device)
        use_generator(model, self.state.order)  # dropout masks from the run's own stream (saved with its checkpoints)

    def steps(
        self, stop: threading.Event, on_progress: Callable[[int, int, dict], None] | None
    ) -> Generator[None, None, RunResult]:
        """Train from the state's step to the budget, logging every ``log_every`` steps and at the last."""
        config, state = self.config, self.state
        self.run.model.train()
        for step in range(state.done, config.steps):
            started = time.perf_counter()
            if stop.is_set():
                self._stopped(stop, step)
            logged = (step + 1) % config.log_every == 0 or step == config.steps - 1
            lr, norms = self._train_step(step, logged)
            if not logged:
                state.add_time(started)
                yield
                continue
            mean_loss = (state.loss_sum / state.seen).item()  # the one sync of the logging interval
            if not math.isfinite(mean_loss):
                return self._diverged(step, lr, mean_loss, started)
            self._log(step, lr, norms, mean_loss, started)
            if on_progress:
                on_progress(step + 1, config.steps, state.final)
            state.next_window(started)
            if self._checkpoint_due(step):
                self.store.save_checkpoint(self.run_id, self.run.checkpoint(state))
                state.last_checkpoint = state.done
            yield
        return self._finished()

    def _stopped(self, stop: threading.Event, step: int) -> NoReturn:
        """Mark the run stopped (the stop's reason, at ``step``) and leave the loop."""
        self.store.set_status(self.run_id, "stopped", _stop_message(stop, self))
        raise StopRequested

    def _train_step(self, step: int, logged: bool) -> tuple[float, dict[str, float] | None]:
        """One optimiser step on the next batch. Returns its learning rate and, at a ``logged`` step, the
        gradient norms per stage and block (taken before the update: this step's gradients)."""
        state, amp = self.state, self.accel.autocast
        xb, yb = self._next_batch()
        lr = lr_at(self.config, step)
        for group in state.optimizer.param_groups:
            group["lr"] = lr
        with torch.autocast(**amp) if amp else nullcontext():
            out = self.forward(xb)  # (B, classes)
        loss = F.cross_entropy(out.float(), yb)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        state.loss_sum += loss.detach()
        state.wrong_sum += (out.detach().argmax(1) != yb).sum()
        state.seen += 1
        state.window_images += len(xb)
        norms = stage_gradient_norms(self.run.model) if logged else None
        state.optimizer.step()
        state.done = step + 1
        return lr, norms

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next ``batch_size`` images of the batch order (a new order after each pass), augmented if asked.

        Returns: (B, C, H, W) images and (B,) labels, on the device.
        """
        state, size, n = self.state, self.config.batch_size, len(self.x_train)
        if state.cursor + size > n:
            state.perm, state.cursor = torch.randperm(n, generator=state.order), 0
        idx = state.perm[state.cursor : state.cursor + size].to(self.device)
        state.cursor += size
        xb, yb = self.x_train[idx], self.y_train[idx]
        if self.config.augment:
            xb = augment_batch(xb, self.run.bundle.flip_ok, state.order)
        if self.accel.channels_last:
            xb = xb.contiguous(memory_format=torch.channels_last)
        return xb, yb

    def _log(self, step: int, lr: float, norms: dict[str, float] | None, mean_loss: float, started: float) -> None:
        """Log the window that ends at ``step`` (started at ``started``), with the errors when an evaluation is due."""
        config, state = self.config, self.state
        last_step = step == config.steps - 1
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        state.window_seconds += time.perf_counter() - started
        elapsed = state.window_seconds  # training time only: evaluation comes next
        evaluated = (step + 1) % config.eval_every == 0 or last_step
        if evaluated:
            eval_start = time.perf_counter()
            state.train_error, _train_loss = evaluate(
                self.run.model, self.x_eval_train, self.y_eval_train, 256, self.accel.autocast
            )
            state.test_error, _test_loss = evaluate(self.run.model, self.x_test, self.y_test, 256, self.accel.autocast)
            state.eval_seconds += time.perf_counter() - eval_start
        state.final = {
            "step": step + 1,
            "epoch": self._epoch(step + 1),
            "train_loss": mean_loss,
            "batch_error": (state.wrong_sum / (state.seen * config.batch_size)).item(),
            "train_error": state.train_error if evaluated else None,
            "test_error": state.test_error if evaluated else None,
            "lr": lr,
            "images_per_s": throughput(state.window_images, elapsed),
            "grad_norms": norms,
        }
        extra = {
            "batch_error": state.final["batch_error"],
            "eval_seconds": state.eval_seconds,  # spent measuring errors so far
            "train_seconds": state.own_seconds + time.perf_counter() - started - state.eval_seconds,  # the rest
            "total_steps": config.steps,  # the budget, also when it was given in epochs
        }
        row = {k: v for k, v in state.final.items() if k != "batch_error"} | {"extra": extra}
        self.store.log_metrics(self.run_id, [row])

    def _checkpoint_due(self, step: int) -> bool:
        """Is a checkpoint due after logged step ``step``? Never at the last (the run's end saves its own)."""
        due = self.checkpoint_every and self.state.done - self.state.last_checkpoint >= self.checkpoint_every
        return bool(due) and step < self.config.steps - 1

    def _diverged(self, step: int, lr: float, mean_loss: float, started: float) -> RunResult:
        """End a run whose loss became NaN or infinite: one last row (no loss), status "diverged"."""
        state = self.state
        template = N_("loss became {loss} at step {step}: the learning rate is probably too high")
        message = Message(template, {"loss": mean_loss, "step": step + 1})
        rate = throughput(state.window_images, state.window_seconds + time.perf_counter() - started)  # steps before it
        row = {"step": step + 1, "epoch": self._epoch(step + 1), "train_loss": None, "lr": lr, "images_per_s": rate}
        self.store.log_metrics(self.run_id, [row])
        self.store.set_status(self.run_id, "diverged", message)
        return RunResult(self.run_id, "diverged", message.english(), state.final)

    def _finished(self) -> RunResult:
        final = self.state.final
        final["train_error"], final["test_error"] = self.state.train_error, self.state.test_error
        message = Message(N_("{steps} steps"), {"steps": self.config.steps})
        self.store.set_status(self.run_id, "finished", message)
        return RunResult(self.run_id, "finished", message.english(), final)

    def _epoch(self, steps: int) -> float:
        """Passes over the training set after ``steps`` steps."""
        return steps * self.config.batch_size / len(self.x_train)
