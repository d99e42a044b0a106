"""Error and loss of a model on a set of images, in eval mode, without augmentation."""

from __future__ import annotations

from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import nn


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
