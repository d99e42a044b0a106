"""Loss landscape along random directions, filter-normalised (Li, Xu, Taylor, Studer, Goldstein 2018).

A trained network's loss is a function of millions of weights; Li et al. look at it along one or two
random directions d1, d2 through the trained weights θ: L(θ + α d1 + β d2). A raw Gaussian
direction means different things for layers of different scale (BatchNorm makes a network
invariant to a filter's scale), so each direction is *filter-normalised*: drawn from N(0, 1), then
every filter (a conv's output channel, a linear layer's row) is rescaled to the norm of the matching
filter of θ. BatchNorm's scale and shift and every bias get a zero direction ("ignore biasbn" in
their code), running statistics are kept as they are, and the network is evaluated in eval mode.
They find ResNet-56 on CIFAR-10 smooth and nearly convex, the same net without shortcuts chaotic.

The model is never changed: every point is evaluated with `torch.func.functional_call` on a private
structural copy, with a dict of perturbed parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .attribution import _private_copy
from .progress import Progress

MAX_STEPS = 101  # per axis: 101 x 101 = 10,201 forward passes already take many minutes


class LandscapeCancelled(Exception):
    """Raised inside `loss_surface` when its ``cancel`` callback returns True."""


def random_direction(model: nn.Module, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """A filter-normalised random direction: one tensor per parameter, zero for BN, biases and 1-D tensors.

    Returns:
        {parameter name: tensor of the parameter's shape}; for a conv weight (C_out, C_in, k, k) each
        d[i] has the norm of θ[i].
    """
    direction = {}
    for name, p in model.named_parameters():
        if p.dim() <= 1:  # BatchNorm scale/shift, biases: left where training put them
            direction[name] = torch.zeros_like(p)
            continue
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
        filters = d.flatten(1).norm(dim=1)  # (C_out,)
        target = p.detach().flatten(1).norm(dim=1)
        scale = target / filters.clamp_min(1e-12)
        direction[name] = d * scale.view(-1, *([1] * (p.dim() - 1)))
    return direction


def grid(steps: int, span: float) -> list[float]:
    """``steps`` evenly spaced values in [-span, span] (0 among them when ``steps`` is odd)."""
    if steps == 1:
        return [0.0]
    return [-span + 2 * span * i / (steps - 1) for i in range(steps)]


def loss_surface(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    dims: int = 1,
    steps: int = 21,
    span: float = 1.0,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """Mean cross-entropy on (x, y) at θ + α d1 (+ β d2) over a grid, the model left untouched.

    Args:
        dims: 1 (a curve along d1) or 2 (a surface over d1, d2).
        steps: grid points per axis, in [-span, span]; odd numbers include the trained weights (0).
        seed: fixes the random directions.
        progress: called with (points done, points in all) after every point.
        cancel: polled before every point; returning True raises `LandscapeCancelled`.

    Returns:
        One row per grid point: alpha, (beta,) loss, error (0..1).
    """
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2; got {dims!r}.")
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number between 1 and {MAX_STEPS}; got {steps!r}.")
    if not (isinstance(span, int | float) and math.isfinite(span) and span > 0):
        raise ValueError(f"span must be a positive number; got {span!r}.")
    if x.dim() != 4 or len(x) == 0 or len(y) != len(x):
        raise ValueError(f"Give a non-empty batch of images (N, C, H, W) with one label each; got {tuple(x.shape)}.")
    generator = torch.Generator().manual_seed(seed)
    with _private_copy(model) as view:
        theta = {name: p.detach() for name, p in view.named_parameters()}
        buffers = {name: b for name, b in view.named_buffers()}
        d1 = random_direction(view, generator)
        d2 = random_direction(view, generator) if dims == 2 else None
        values = grid(steps, span)
        points = [(a,) for a in values] if dims == 1 else [(a, b) for b in values for a in values]
        rows = []
        with torch.no_grad():
            for i, point in enumerate(points):
                if cancel is not None and cancel():
                    raise LandscapeCancelled("The loss landscape was cancelled.")
                params = {}
                for name, t in theta.items():
                    p = t + point[0] * d1[name]
                    if d2 is not None:
                        p = p + point[1] * d2[name]
                    params[name] = p
                logits = functional_call(view, {**params, **buffers}, (x,))
                row = {"alpha": point[0]}
                if dims == 2:
                    row["beta"] = point[1]
                row["loss"] = float(F.cross_entropy(logits, y))
                row["error"] = float((logits.argmax(1) != y).float().mean())
                rows.append(row)
                if progress:
                    progress(i + 1, len(points))
    return pd.DataFrame(rows)


def roughness(surface: pd.DataFrame) -> float:
    """Mean absolute second difference of the loss along the grid's axes (0 for a plane; larger is rougher).

    For a 1-D curve: mean |L(i-1) - 2 L(i) + L(i+1)|; for a 2-D surface the same along alpha and along
    beta, pooled. The loss is clipped at 10 first so a single diverged point does not dominate.
    """
    loss = surface.copy()
    loss["loss"] = loss["loss"].clip(upper=10.0)
    if "beta" not in loss:
        values = loss.sort_values("alpha")["loss"].to_numpy()
        second = values[:-2] - 2 * values[1:-1] + values[2:]
        return float(abs(second).mean()) if len(second) else float("nan")
    table = loss.pivot(index="beta", columns="alpha", values="loss").to_numpy()
    along_a = table[:, :-2] - 2 * table[:, 1:-1] + table[:, 2:]
    along_b = table[:-2, :] - 2 * table[1:-1, :] + table[2:, :]
    pooled = [*abs(along_a).ravel(), *abs(along_b).ravel()]
    return float(sum(pooled) / len(pooled)) if pooled else float("nan")
