"""A run's settings: `TrainConfig` (validated, JSON round trip), its learning-rate schedule, and how it uses
its device."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch

from ..device import DEVICE_NAMES
from ..i18n import _
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
