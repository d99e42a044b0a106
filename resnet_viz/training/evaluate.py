"""Error and loss of a model on a set of images, in eval mode, without augmentation: the one evaluation.

The engine measures its train and test error with it, and the probes their lesioned, deepened or
perturbed networks: what differs is the model handed in (a copy with hooks, a copy with moved weights),
never how it is scored.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


class Evaluation(NamedTuple):
    """What `evaluate` measures; unpacks as ``error, loss = evaluate(...)``."""

    error: float  # top-1 error, 0..1
    loss: float  # mean cross-entropy


@torch.no_grad()
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256, amp: dict | None = None
) -> Evaluation:
    """Top-1 error and mean cross-entropy of ``model`` in eval mode on (x, y), ``batch_size`` images at a time.

    Args:
        x: (N, C, H, W) images, N > 0; y: (N,) int64 labels, on the model's device.
        amp: ``torch.autocast`` arguments for the forward passes (the engine's mixed precision), or None.

    The model's train / eval flag is restored afterwards.
    """
    was_training = model.training
    model.eval()
    wrong, loss_sum = 0, 0.0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        with torch.autocast(**amp) if amp else nullcontext():
            out = model(xb)  # (B, num_classes)
        loss_sum += F.cross_entropy(out.float(), yb, reduction="sum").item()
        wrong += (out.argmax(1) != yb).sum().item()
    model.train(was_training)
    return Evaluation(wrong / len(x), loss_sum / len(x))
