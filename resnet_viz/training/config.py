"""A run's settings: `TrainConfig` (validated, JSON round trip), its learning-rate schedule (`lr_at`), and how
it uses its device (`resolve_accelerations`).

`TrainConfig.validate` runs one table of checks (`_CHECKS`, in order: the first that fails is reported),
so every setting's rule and message sit on one line and a new setting adds one row."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch

from ..device import DEVICE_NAMES
from ..i18n import N_, _
from .data import check_dataset_name, check_num_samples

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

    dataset: str = "digits"  # bundled: "digits", "noisy_digits", "shapes"; downloaded: "cifar10", "mnist", ...
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
        """Raise ValueError with a readable message for impossible settings (the message gives the allowed range).

        The checks run in the order of `_CHECKS`; the first that fails is reported.
        """
        for check in _CHECKS:
            check(self)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(_("Unknown training setting(s): {names}.").format(names=", ".join(unknown)))
        return cls(**data)


# ---------------------------------------------------------------------- the checks of `TrainConfig.validate`
@dataclass(frozen=True)
class _Check:
    """One setting's rule: its value must pass ``ok``, else ValueError(``message``).

    ``message`` is formatted with ``name`` (the setting), ``value`` (its repr) and ``extra``. Messages
    marked with ``N_`` are translated when raised; the others have no catalog entry and stay English.
    """

    name: str
    ok: Callable[[Any], bool]
    message: str
    extra: dict[str, str] | None = None

    def __call__(self, config: TrainConfig) -> None:
        value = getattr(config, self.name)
        if not self.ok(value):
            raise ValueError(_(self.message).format(name=self.name, value=repr(value), **(self.extra or {})))


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda value: value in choices


def _whole(minimum: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _finite_or_unset(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and math.isfinite(value))


def _warmup_within_steps(config: TrainConfig) -> None:
    """The one check of two settings: warm-up fits in a budget given in steps (one in epochs is clipped later)."""
    if config.epochs is None and config.warmup_steps > config.steps:
        raise ValueError(
            _("warmup_steps must be between 0 and steps ({steps}); got {value}.").format(
                steps=config.steps, value=config.warmup_steps
            )
        )


_COUNTS = ("input_size", "batch_size", "steps", "eval_every", "eval_samples", "log_every")
_CHECKS: tuple[Callable[[TrainConfig], None], ...] = (
    lambda config: check_dataset_name(config.dataset),
    _Check("optimizer", _one_of(OPTIMIZERS), N_("Unknown optimizer {value}; choose one of {choices}."),
           {"choices": ", ".join(OPTIMIZERS)}),
    _Check("schedule", _one_of(SCHEDULES), N_("Unknown schedule {value}; choose one of {choices}."),
           {"choices": ", ".join(SCHEDULES)}),
    *(_Check(name, _whole(1), N_("{name} must be a whole number >= 1; got {value}.")) for name in _COUNTS),
    lambda config: check_num_samples(config.num_samples),
    *(_Check(name, _finite_or_unset, N_("{name} must be a finite number; got {value}."))
      for name in ("epochs", "lr", "weight_decay")),
    _Check("epochs", lambda value: value is None or 0 < value <= MAX_EPOCHS,
           N_("epochs must be greater than 0 and at most {maximum}; got {value}."), {"maximum": f"{MAX_EPOCHS:,}"}),
    _Check("warmup_steps", _whole(0), N_("warmup_steps must be a whole number >= 0; got {value}.")),
    _warmup_within_steps,
    _Check("lr", lambda value: 0 < value < MAX_LR,
           N_("The learning rate must be greater than 0 and less than {maximum}; got {value}."),
           {"maximum": f"{MAX_LR:g}"}),
    _Check("weight_decay", lambda value: 0 <= value <= MAX_WEIGHT_DECAY,
           N_("weight_decay must be between 0 and {maximum}; got {value}."), {"maximum": f"{MAX_WEIGHT_DECAY:g}"}),
    _Check("device", _one_of(DEVICE_NAMES), N_("Unknown device {value}; choose auto, cpu, cuda or mps.")),
    lambda config: check_accelerations(config.amp, config.channels_last),
    _Check("compile", lambda value: isinstance(value, bool), "compile must be true or false; got {value}."),
)  # fmt: skip


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


def check_accelerations(amp: str, channels_last: str) -> None:
    """Raise ValueError for an ``amp`` not in `AMP_MODES` or a ``channels_last`` not in `SWITCHES`."""
    if amp not in AMP_MODES:
        raise ValueError(f"Unknown amp setting {amp!r}; choose one of {', '.join(AMP_MODES)}.")
    if channels_last not in SWITCHES:
        raise ValueError(f"Unknown channels_last setting {channels_last!r}; choose auto, on or off.")


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
    check_accelerations(amp, channels_last)
    bf16 = cuda and torch.cuda.is_bf16_supported()
    if amp == "bf16" and not bf16:
        raise ValueError(
            f"bf16 mixed precision needs a CUDA GPU with bf16 support; this run is on {device.type}. "
            "Use amp 'auto' (on where it helps) or 'off'."
        )
    autocast = {"device_type": "cuda", "dtype": torch.bfloat16} if amp != "off" and bf16 else {}
    nhwc = channels_last == "on" or (channels_last == "auto" and cuda)
    return Accelerations(autocast=autocast, channels_last=nhwc, compile=bool(compile))
