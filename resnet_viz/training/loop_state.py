"""`LoopState`: where a run's optimisation loop stands after its last completed step, all it needs to continue.

Its `snapshot` is the "resume" entry of a checkpoint (CPU tensors and plain values) and `restore` continues
from one exactly, so a stopped, interrupted or killed run resumes as if it had never stopped (see `engine`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .config import TrainConfig


def _cpu(value: Any) -> Any:
    """``value`` with every tensor inside (dicts, lists) detached and copied to the CPU: checkpoints travel."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return value


# The fields a snapshot keeps under their own names ("done" is saved as "step"; the sums as plain numbers).
_SAVED_AS_IS = ("perm", "cursor", "seen", "window_images", "window_seconds", "train_error", "test_error",
                "eval_seconds", "own_seconds", "final")  # fmt: skip


@dataclass
class LoopState:
    """Where a run's optimisation loop stands after its last completed step: all it needs to continue exactly.

    The sums and counts cover the current logging window (reset at every logged step). `snapshot` turns
    it into a checkpoint's "resume" entry (CPU tensors and plain values); `restore` continues from one.
    """

    optimizer: torch.optim.Optimizer
    order: torch.Generator  # batch order and augmentation, independent of the data split
    perm: torch.Tensor  # (N,) this pass's order of the training images
    loss_sum: torch.Tensor  # () summed on the device: no sync per step
    wrong_sum: torch.Tensor  # () misclassified training images
    cursor: int = 0  # where the next batch starts in ``perm``
    seen: int = 0  # steps in the window
    window_images: int = 0
    window_seconds: float = 0.0  # training time of the window (evaluation excluded)
    train_error: float | None = None  # of the last evaluation
    test_error: float | None = None
    eval_seconds: float = 0.0  # time spent measuring errors, kept out of the throughput figure
    own_seconds: float = 0.0  # this run's own time in the loop (other runs' turns excluded)
    final: dict[str, Any] = field(default_factory=dict)  # the last logged metrics
    done: int = 0  # optimiser steps completed (a snapshot's "step")
    last_checkpoint: int = 0  # the step of the last checkpoint

    @classmethod
    def start(cls, model: nn.Module, config: TrainConfig, images: int, device: torch.device) -> LoopState:
        """A loop before its first step: a fresh optimiser, the first batch order of ``images`` training images."""
        if config.optimizer == "sgd":
            optimizer = torch.optim.SGD(
                model.parameters(), lr=config.lr, momentum=0.9, weight_decay=config.weight_decay
            )
        else:
            optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        order = torch.Generator().manual_seed(config.seed + 1)
        perm = torch.randperm(images, generator=order)
        return cls(optimizer, order, perm, torch.zeros((), device=device), torch.zeros((), device=device))

    def snapshot(self) -> dict[str, Any]:
        """The state as a checkpoint's "resume" entry (the keys every saved checkpoint has)."""
        return _cpu(
            {"step": self.done, "optimizer": self.optimizer.state_dict(), "order": self.order.get_state()}
            | {key: getattr(self, key) for key in _SAVED_AS_IS}
            | {"loss_sum": self.loss_sum.item(), "wrong_sum": self.wrong_sum.item()}
        )

    def restore(self, saved: dict[str, Any]) -> None:
        """Continue where a `snapshot` left off."""
        self.optimizer.load_state_dict(saved["optimizer"])  # moves the state to the parameters' device
        self.order.set_state(saved["order"])
        for key in _SAVED_AS_IS:
            setattr(self, key, saved[key])
        self.loss_sum += saved["loss_sum"]
        self.wrong_sum += saved["wrong_sum"]
        self.done = self.last_checkpoint = saved["step"]

    def add_time(self, started: float) -> None:
        """Count the time since ``started`` (a step's start) as this run's own and as the window's."""
        self.window_seconds += time.perf_counter() - started
        self.own_seconds += time.perf_counter() - started

    def next_window(self, started: float) -> None:
        """After a logged step: empty the window's sums, and count the step's time (``started`` on) as own."""
        self.loss_sum.zero_()
        self.wrong_sum.zero_()
        self.seen, self.window_images, self.window_seconds = 0, 0, 0.0
        self.own_seconds += time.perf_counter() - started
