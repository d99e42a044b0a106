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

import atexit
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Generator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .builder import MEMORY_HEADROOM, ModelTooLargeError, build_resnet, check_training_fits
from .data import DataBundle, check_dataset_name, check_num_samples, load_dataset
from .device import DEVICE_NAMES, available_memory, resolve_device, use_training_threads
from .formatting import format_bytes
from .i18n import N_, _
from .naming import block_of, group_of
from .spec import ResNetSpec
from .store import RunStore

OPTIMIZERS = ("sgd", "adamw")
MAX_LR = 100.0  # learning rates must lie in (0, MAX_LR): beyond it every run diverges at once
MAX_WEIGHT_DECAY = 1.0  # weight decay in [0, 1]: a larger one shrinks the weights to nothing
MAX_EPOCHS = 10_000
SCHEDULES = ("constant", "cosine", "step")
AMP_MODES = ("auto", "bf16", "off")  # mixed precision: "auto" = bf16 autocast on a CUDA GPU that has it, else off
SWITCHES = ("auto", "on", "off")  # channels_last: "auto" = on CUDA only


@dataclass(frozen=True)
class TrainConfig:
    """Everything about a run except the network. Defaults show degradation in minutes on a CPU."""

    dataset: str = "digits"  # bundled: "digits", "shapes"; downloaded: "cifar10", "mnist", "fashionmnist"
    input_size: int = 16  # images are resized to this side; 16 keeps a 56-layer net fast on a CPU
    batch_size: int = 64
    steps: int = 300  # optimiser steps (the paper's CIFAR runs take 64k)
    epochs: float | None = None  # if set, the budget in passes over the training set (overrides steps)
    optimizer: str = "sgd"  # "sgd" (momentum 0.9, as the paper) or "adamw"
    lr: float = 0.1  # peak learning rate (the paper's CIFAR value for SGD)
    schedule: str = "cosine"  # after warm-up: "constant", "cosine" decay to 0, or "step" (/10 at 50 % and 75 %)
    warmup_steps: int = 30  # linear warm-up from lr/10 (the paper warms ResNet-110 up at 0.01)
    weight_decay: float = 1e-4  # the paper's value
    augment: bool = False  # random crop (pad 2 px) + flip where label-preserving
    seed: int = 0  # initialisation, data split and batch order
    device: str = "auto"  # "auto" = cuda, then mps, then cpu
    eval_every: int = 50  # steps between evaluations of train error (eval mode) and test error
    eval_samples: int = 512  # images of each split used per evaluation (fixed by the seed)
    log_every: int = 10  # steps between logged points (loss, lr, throughput, gradient norms)
    num_samples: int | None = None  # limit the dataset (None = the dataset's default)
    data_root: str | None = None  # where downloaded datasets live (None = default cache)
    folder: str | None = None  # the user's ImageFolder directory, for dataset="folder"
    amp: str = "auto"  # "auto": bf16 autocast on CUDA (no loss scaling needed), full fp32 elsewhere; "bf16"; "off"
    channels_last: str = "auto"  # "auto": NHWC on CUDA only (tensor cores like it); "on"; "off"
    compile: bool = False  # torch.compile the training forward pass (the first steps pay for compiling)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError with a readable message for impossible settings (the message gives the allowed range)."""
        check_dataset_name(self.dataset)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                _("Unknown optimizer {value}; choose one of {choices}.").format(
                    value=repr(self.optimizer), choices=", ".join(OPTIMIZERS)
                )
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(
                _("Unknown schedule {value}; choose one of {choices}.").format(
                    value=repr(self.schedule), choices=", ".join(SCHEDULES)
                )
            )
        for name in ("input_size", "batch_size", "steps", "eval_every", "eval_samples", "log_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    _("{name} must be a whole number >= 1; got {value}.").format(name=name, value=repr(value))
                )
        check_num_samples(self.num_samples)
        for name in ("epochs", "lr", "weight_decay"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
                raise ValueError(_("{name} must be a finite number; got {value}.").format(name=name, value=repr(value)))
        if self.epochs is not None and not (0 < self.epochs <= MAX_EPOCHS):
            raise ValueError(
                _("epochs must be greater than 0 and at most {maximum}; got {value}.").format(
                    maximum=f"{MAX_EPOCHS:,}", value=repr(self.epochs)
                )
            )
        if not isinstance(self.warmup_steps, int) or isinstance(self.warmup_steps, bool) or self.warmup_steps < 0:
            raise ValueError(
                _("warmup_steps must be a whole number >= 0; got {value}.").format(value=repr(self.warmup_steps))
            )
        if self.epochs is None and self.warmup_steps > self.steps:
            raise ValueError(
                _("warmup_steps must be between 0 and steps ({steps}); got {value}.").format(
                    steps=self.steps, value=self.warmup_steps
                )
            )
        if not (0 < self.lr < MAX_LR):
            raise ValueError(
                _("The learning rate must be greater than 0 and less than {maximum}; got {value}.").format(
                    maximum=f"{MAX_LR:g}", value=repr(self.lr)
                )
            )
        if not (0 <= self.weight_decay <= MAX_WEIGHT_DECAY):
            raise ValueError(
                _("weight_decay must be between 0 and {maximum}; got {value}.").format(
                    maximum=f"{MAX_WEIGHT_DECAY:g}", value=repr(self.weight_decay)
                )
            )
        if self.device not in DEVICE_NAMES:
            raise ValueError(
                _("Unknown device {value}; choose auto, cpu, cuda or mps.").format(value=repr(self.device))
            )
        if self.amp not in AMP_MODES:
            raise ValueError(f"Unknown amp setting {self.amp!r}; choose one of {', '.join(AMP_MODES)}.")
        if self.channels_last not in SWITCHES:
            raise ValueError(f"Unknown channels_last setting {self.channels_last!r}; choose auto, on or off.")
        if not isinstance(self.compile, bool):
            raise ValueError(f"compile must be true or false; got {self.compile!r}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(_("Unknown training setting(s): {names}.").format(names=", ".join(unknown)))
        return cls(**data)


class StopRequested(Exception):
    """Raised inside the loop when the user pressed stop."""


class StopSignal(threading.Event):
    """A run's stop flag that also says why it was set; the run's message becomes "<reason> at step N"."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = N_("stopped by the user")

    def request(self, reason: str) -> None:
        """Ask the run to stop at its next step, for ``reason`` (e.g. "interrupted: the server stopped")."""
        self.reason = reason
        self.set()


SERVER_STOPPED = N_("interrupted: the server stopped")


def stop_on_signals(
    on_signal: Callable[[int], None], signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT), chain: bool = True
) -> Callable[[], None]:
    """Install handlers that call ``on_signal(signum)`` on SIGTERM / SIGINT; returns a function that removes them.

    The first signal calls ``on_signal`` (stop the runs, let them save and mark themselves), then, with
    ``chain``, the handler that was installed before (e.g. Streamlit's own shutdown); a second signal of
    the same kind goes straight to the earlier handler, so a stuck process can still be interrupted.
    Call it from the main thread (Python delivers signals there only).
    """
    previous = {signum: signal.getsignal(signum) for signum in signals}
    seen: set[int] = set()

    def handler(signum: int, frame) -> None:
        first = signum not in seen
        seen.add(signum)
        if first:
            on_signal(signum)
        earlier = previous[signum]
        if (chain or not first) and callable(earlier):
            earlier(signum, frame)
        elif not first and earlier == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    for signum in signals:
        signal.signal(signum, handler)

    def restore() -> None:
        for signum, earlier in previous.items():
            signal.signal(signum, earlier)

    return restore


@dataclass
class RunResult:
    run_id: int
    status: str  # "finished", "stopped", "diverged" or "failed"
    message: str
    final: dict[str, Any]  # the last logged metrics


def lr_at(config: TrainConfig, step: int) -> float:
    """Learning rate for optimiser step ``step`` (0-based): linear warm-up, then the schedule."""
    if step < config.warmup_steps:
        return config.lr * (0.1 + 0.9 * (step + 1) / config.warmup_steps)
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1 + math.cos(math.pi * progress))
    if config.schedule == "step":
        return config.lr * (0.1 ** int(progress >= 0.5) if progress < 0.75 else 0.01)
    return config.lr


@dataclass(frozen=True)
class Accelerations:
    """How a run uses its device, resolved from a `TrainConfig`'s amp / channels_last / compile settings."""

    autocast: dict  # keyword arguments of torch.autocast; {} = full fp32
    channels_last: bool  # model and batches in NHWC memory format
    compile: bool  # the training forward pass goes through torch.compile

    def describe(self) -> str:
        parts = [f"autocast {self.autocast['dtype']}".replace("torch.", "") if self.autocast else "fp32"]
        parts += ["channels_last"] if self.channels_last else []
        parts += ["compiled"] if self.compile else []
        return ", ".join(parts)


def resolve_accelerations(
    device: torch.device | str, amp: str = "auto", channels_last: str = "auto", compile: bool = False
) -> Accelerations:
    """The GPU training path for ``device``: bf16 autocast and channels_last on CUDA, nothing on the CPU or MPS.

    "auto" turns each on where it pays (CUDA; bf16 only where the GPU has it, so no loss scaling is
    needed); on the CPU a run with every setting at "auto" trains exactly as plain fp32.

    Raises:
        ValueError: an unknown setting, or bf16 asked for where there is no CUDA GPU with bf16.
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    if amp not in AMP_MODES:
        raise ValueError(f"Unknown amp setting {amp!r}; choose one of {', '.join(AMP_MODES)}.")
    if channels_last not in SWITCHES:
        raise ValueError(f"Unknown channels_last setting {channels_last!r}; choose auto, on or off.")
    bf16 = cuda and torch.cuda.is_bf16_supported()
    if amp == "bf16" and not bf16:
        raise ValueError(
            f"bf16 mixed precision needs a CUDA GPU with bf16 support; this run is on {device.type}. "
            "Use amp 'auto' (on where it helps) or 'off'."
        )
    autocast = {"device_type": "cuda", "dtype": torch.bfloat16} if amp != "off" and bf16 else {}
    nhwc = channels_last == "on" or (channels_last == "auto" and cuda)
    return Accelerations(autocast=autocast, channels_last=nhwc, compile=bool(compile))


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


@torch.no_grad()
def error_rate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, amp: dict) -> tuple[float, float]:
    """(error, mean loss) of ``model`` in eval mode on (x, y), without augmentation."""
    was_training = model.training
    model.eval()
    wrong, loss_sum = 0, 0.0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        with torch.autocast(**amp) if amp else nullcontext():
            out = model(xb)
        loss_sum += F.cross_entropy(out.float(), yb, reduction="sum").item()
        wrong += (out.argmax(1) != yb).sum().item()
    model.train(was_training)
    return wrong / len(x), loss_sum / len(x)


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
                train_error, _train_loss = error_rate(model, x_eval_train, y_eval_train, 256, amp)
                test_error, _test_loss = error_rate(model, x_test, y_test, 256, amp)
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


MAX_ACTIVE_RUNS = 4  # runs that take turns at once; more wait in order (RESNET_VIZ_MAX_ACTIVE_RUNS overrides)


@dataclass
class _Entry:
    run_id: int
    spec: ResNetSpec
    config: TrainConfig
    stop: StopSignal
    memory: int = 0  # bytes its training needs (estimate), set aside while it has not allocated them
    steps: Generator[None, None, RunResult] | None = None  # set when the run becomes active
    started: bool = False  # has taken its first step, so its memory shows in the free memory
    resume: dict | None = None  # a checkpoint to continue from (see `run_steps`)
    checkpoint_every: int | None = None  # steps between checkpoints that a killed process can resume from


class RunQueue:
    """Trains queued runs in one background thread, the active ones taking turns step by step.

    One queue per store (the app keeps one for all users). Up to ``max_active`` runs are active at
    once and the worker advances each by one optimiser step in turn, so runs launched together (a
    lab's four networks) all progress from the start, while training still never competes with
    itself for the CPU: there is one worker thread, whatever the number of runs. Later runs wait
    in the order they came (see `position`); any run can be stopped.
    """

    def __init__(self, store: RunStore, max_active: int | None = None, memory_limit: int | None = None) -> None:
        self.store = store
        limit = max_active or int(os.environ.get("RESNET_VIZ_MAX_ACTIVE_RUNS", MAX_ACTIVE_RUNS))
        self.max_active = max(1, limit)
        self.memory_limit = memory_limit  # bytes a run may need (None = 80 % of the device's free memory)
        self._pending: list[_Entry] = []
        self._active: list[_Entry] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._work, name="resnet-viz-trainer", daemon=True)
        self._thread.start()
        # At interpreter exit the worker must not be inside torch (a daemon thread killed there aborts the
        # process with "terminate called without an active exception"): stop and wait first.
        atexit.register(self.shutdown)

    def submit(
        self,
        spec: ResNetSpec,
        config: TrainConfig,
        name: str | None = None,
        group: str | None = None,
        *,
        run_id: int | None = None,
        resume: dict | None = None,
        checkpoint_every: int | None = None,
    ) -> int:
        """Queue a run; returns its id at once (status "queued").

        ``run_id``: train this run, already in the store (e.g. created with the rest of a sweep, or to
        continue it), instead of creating one; ``resume`` and ``checkpoint_every`` go to `run_steps`.

        Raises:
            ValueError: impossible settings, an absent device or dataset folder; `ModelTooLargeError` (a
                ValueError) when training would not fit in memory. A refused run leaves nothing in the store.
        """
        config.validate()
        device = resolve_device(config.device)
        with self._lock:  # memory the runs ahead of this one will take, beyond what is in use now
            if self.memory_limit is not None:  # a fixed budget: every run in the queue counts
                reserved = sum(e.memory for e in self._pending + self._active)
            else:  # the free memory already shows the runs that have started
                reserved = sum(e.memory for e in self._pending + self._active if not e.started)
        limit = self.memory_limit if self.memory_limit is not None else int(MEMORY_HEADROOM * available_memory(device))
        try:
            estimate = check_training_fits(spec, config, memory_limit=max(0, limit - reserved))
        except ModelTooLargeError as err:
            if reserved:
                err = ModelTooLargeError(
                    _("{error} ({reserved} is set aside for the runs already queued.)").format(
                        error=err, reserved=format_bytes(reserved)
                    )
                )
            raise err from None
        if run_id is None:
            run_id = self.store.create_run(
                name or spec.name, spec.to_dict(), config.to_dict(), str(device), group=group
            )
        else:
            self.store.set_status(run_id, "queued")
        entry = _Entry(run_id, spec, config, StopSignal(), memory=estimate.total_bytes)
        entry.resume, entry.checkpoint_every = resume, checkpoint_every
        with self._wake:
            self._pending.append(entry)
            self._wake.notify()
        return run_id

    def stop(self, run_id: int) -> None:
        """Stop an active run (it keeps what it logged) or cancel a waiting one."""
        with self._lock:
            waiting = [e for e in self._pending if e.run_id == run_id]
            for entry in waiting:
                self._pending.remove(entry)
            active = [e for e in self._active if e.run_id == run_id]
        if waiting:
            self.store.set_status(run_id, "stopped", N_("cancelled before it started"))
        for entry in active:
            entry.stop.set()

    def shutdown(self, timeout: float = 30.0, reason: str = SERVER_STOPPED) -> bool:
        """Stop every run for good: queued ones are marked stopped with ``reason``, running ones are asked to
        stop (they save their weights and are marked "<reason> at step N"); then wait up to ``timeout`` seconds.

        Call it when the server or the command line is asked to quit (see `stop_on_signals`); it also runs at
        interpreter exit. Returns True if no run is left in progress.
        """
        with self._lock:
            pending, self._pending = self._pending, []
            active = list(self._active)
        for entry in pending:
            self.store.set_status(entry.run_id, "stopped", reason)
        for entry in active:
            entry.stop.request(reason)
        return self.wait(timeout)

    def queued(self) -> list[int]:
        """Ids of the runs waiting for a turn, first in line first."""
        with self._lock:
            return [e.run_id for e in self._pending]

    def active(self) -> list[int]:
        """Ids of the runs taking turns now (started, or about to start)."""
        with self._lock:
            return [e.run_id for e in self._active]

    def position(self, run_id: int) -> int | None:
        """1 for the next run to start, 2 for the one after...; None if the run is not waiting here."""
        waiting = self.queued()
        return waiting.index(run_id) + 1 if run_id in waiting else None

    def idle(self) -> bool:
        with self._lock:
            return not self._active and not self._pending

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is queued or running (for tests and the command line)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.idle():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._active:
                    self._wake.wait()
                while self._pending and len(self._active) < self.max_active:
                    entry = self._pending.pop(0)
                    entry.steps = run_steps(
                        entry.spec, entry.config, self.store, entry.run_id, entry.stop,
                        resume=entry.resume, checkpoint_every=entry.checkpoint_every,
                    )  # fmt: skip
                    self._active.append(entry)
                turn = list(self._active)
            for entry in turn:  # one step each, in the order they came
                try:
                    next(entry.steps)
                    entry.started = True
                except StopIteration:
                    with self._lock:
                        self._active.remove(entry)
