"""Loss landscape along random directions, filter-normalised (Li, Xu, Taylor, Studer, Goldstein 2018).

A trained network's loss is a function of millions of weights; Li et al. look at it along one or two
random directions d1, d2 through the trained weights θ: L(θ + α d1 + β d2). A raw Gaussian
direction means different things for layers of different scale (BatchNorm makes a network
invariant to a filter's scale), so each direction is *filter-normalised*: drawn from N(0, 1), then
every filter (a conv's output channel, a linear layer's row) is rescaled to the norm of the matching
filter of θ. BatchNorm's scale and shift and every bias get a zero direction ("ignore biasbn" in
their code), running statistics are kept as they are, and the network is evaluated in eval mode.
They find ResNet-56 on CIFAR-10 smooth and nearly convex, the same net without shortcuts chaotic.

The model is never changed: every point is evaluated on a private copy with its own tensors, whose
weights are overwritten in place, with BatchNorm folded into the convolutions where that is exact
(`_PerturbedNetwork` says why; benchmarks/bench_landscape.py measures it).
"""

from __future__ import annotations

import copy
import math
import os
import threading
import warnings
from collections.abc import Callable, Sequence

import pandas as pd
import torch
from torch import nn

from ..device import device_of
from ..i18n import _
from ..nets.hooks import private_copy
from ..nets.model import ResidualUnit, ResNet
from ..progress import Cancelled, Progress
from ..training.evaluate import evaluate

MAX_STEPS = 101  # per axis: 101 x 101 = 10,201 forward passes already take many minutes
MAX_WORKERS = 4  # points evaluated at once on the CPU, each worker with a copy of the network (see `workers_for`)


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
    workers: int | None = None,
) -> pd.DataFrame:
    """Mean cross-entropy on (x, y) at θ + α d1 (+ β d2) over a grid, the model left untouched.

    Args:
        dims: 1 (a curve along d1) or 2 (a surface over d1, d2).
        steps: grid points per axis, in [-span, span]; odd numbers include the trained weights (0).
        seed: fixes the random directions.
        progress: called with (points done, points in all) after every point.
        cancel: polled before every point of the calling thread; returning True raises `progress.Cancelled`.
        workers: points evaluated at once, each in a thread of its own (None: `workers_for`); the same losses
            whatever the number, up to float32 rounding.

    Returns:
        One row per grid point: alpha, (beta,) loss, error (0..1).
    """
    if dims not in (1, 2):
        raise ValueError(_("dims must be 1 or 2; got {value}.").format(value=repr(dims)))
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(
            _("steps must be a whole number between 1 and {maximum}; got {value}.").format(
                maximum=MAX_STEPS, value=repr(steps)
            )
        )
    if not (isinstance(span, int | float) and math.isfinite(span) and span > 0):
        raise ValueError(_("span must be a positive number; got {value}.").format(value=repr(span)))
    if x.dim() != 4 or len(x) == 0 or len(y) != len(x):
        raise ValueError(
            _("Give a non-empty batch of images (N, C, H, W) with one label each; got {shape}.").format(
                shape=tuple(x.shape)
            )
        )
    generator = torch.Generator().manual_seed(seed)
    with private_copy(model) as view:  # random_direction only reads the weights
        directions = [random_direction(view, generator) for _ in range(dims)]
    network = _PerturbedNetwork(model, directions, x)
    values = grid(steps, span)
    points = [(a,) for a in values] if dims == 1 else [(a, b) for b in values for a in values]
    count = (
        workers_for(device_of(network.net), len(points)) if workers is None else max(1, min(int(workers), len(points)))
    )
    results = _evaluate_points(network, y, points, count, progress, cancel)
    rows = []
    for point, (error, loss) in zip(points, results):
        row = {"alpha": point[0]}
        if dims == 2:
            row["beta"] = point[1]
        rows.append(row | {"loss": loss, "error": error})
    return pd.DataFrame(rows)


def workers_for(device: torch.device, points: int) -> int:
    """How many points are evaluated at once: one per CPU core (at most `MAX_WORKERS`), one on a GPU.

    Each worker thread has its own copy of the network and a share of the intra-op threads (one each on 2 or 4
    cores). On the CPU this beats one evaluation spread over every core: the convolutions of these small nets (16
    to 64 channels on 16x16 maps and less) are short, and with several intra-op threads every one of them ends at
    a barrier where the threads wait for each other, and far longer when another process holds a core (their
    OpenMP threads spin). Measured on
    ResNet-56, 16 px, 256 images, 2 cores (benchmarks/bench_landscape.py): see its docstring.
    """
    if torch.device(device).type != "cpu":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS, points))


def _evaluate_points(
    network: _PerturbedNetwork,
    y: torch.Tensor,
    points: list[tuple[float, ...]],
    count: int,
    progress: Progress | None,
    cancel: Callable[[], bool] | None,
) -> list[tuple[float, float]]:
    """(error, loss) at every point, in order, ``count`` points at a time. The calling thread is worker 0 and the
    only one that calls ``progress`` and ``cancel`` (they may draw in a Streamlit page); worker k takes the points
    k, k + count, ..."""
    networks = [network] + [copy.deepcopy(network) for _ in range(count - 1)]
    results: list[tuple[float, float] | None] = [None] * len(points)
    stop, failures = threading.Event(), []

    share = max(1, torch.get_num_threads() // count)  # the caller's intra-op threads, split between the workers

    def work(k: int) -> None:
        threads = torch.get_num_threads()
        torch.set_num_threads(share)  # per thread: the caller's own count is restored below
        try:
            for i in range(k, len(points), count):
                if stop.is_set():
                    return
                if k == 0 and cancel is not None and cancel():
                    raise Cancelled("The loss landscape was cancelled.")
                net = networks[k]
                with torch.inference_mode():  # the whole batch in one forward pass, no autograd bookkeeping
                    results[i] = evaluate(net.at(points[i]), net.x, y, batch_size=len(y))
                if k == 0 and progress:
                    progress(sum(r is not None for r in results), len(points))
        except BaseException as err:  # noqa: BLE001 - handed to the caller, which re-raises it
            failures.append(err)
            stop.set()
        finally:
            torch.set_num_threads(threads)

    others = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(1, count)]
    for thread in others:
        thread.start()
    work(0)
    for thread in others:
        thread.join()
    if failures:
        raise failures[0]
    if progress:
        progress(len(points), len(points))
    return results


class _PerturbedNetwork:
    """The model at θ + Σ c_k d_k for one batch ``x``: a private copy whose weights are overwritten per point.

    What makes a point cheap, per point of ResNet-56 (16 px, batch 256) on a 2-core CPU, measured with the
    pieces switched on one by one: functional_call 133 ms, in place 100 ms, + folding 90 ms, + channels_last 85 ms.

    * Own tensors (`copy.deepcopy`), overwritten in place: no dict of new parameters and no
      `torch.func.functional_call` per point, and the caller's model (whose tensors `nets.hooks.private_copy`
      shares) is never written. `torch.inference_mode` throughout.
    * BatchNorm folded into the conv before it. In eval mode with BN unperturbed (its directions are
      zero), BN(conv(x, W)) = conv(x, s W) + β - μ s with s = γ / sqrt(σ² + ε) per output channel;
      the perturbation is linear, so the fused weight at a point is s θ + Σ c_k (s d_k): θ and the
      directions are folded once and every point runs a network without those BNs. Only pairs whose
      order in the forward pass is known are folded (`_foldable`); other models fold nothing.
    * channels_last on the CPU (oneDNN's preferred layout; a few per cent, most on the 16-channel stage).

    Tried and left out (measured on this 2-core CPU under load, one intra-op thread, against the eager net): several
    points at once as grouped convolutions (K = 4 networks as 4 groups: per network 2.2x slower than a plain conv at
    16 channels, 1.3x at 32, 4.7x at 64); `torch.jit.freeze` + `optimize_for_inference` (no faster, and each point
    would need freezing again, 60-80 ms); `torch.compile` (10-15 % faster, but over 4 minutes of compiling, far more
    than the whole surface); NNPACK's Winograd convolution (2-4x slower than oneDNN here, and 10x the rounding
    error); in-place ReLUs gave no clear gain and would alias a block's input in pre-activation units without BN.
    Convolutions are 82 % of a point, ReLUs 12 %, additions 4 %.
    """

    def __init__(self, model: nn.Module, directions: list[dict[str, torch.Tensor]], x: torch.Tensor) -> None:
        self.x = x
        self._build(model, directions, _foldable(model))
        if self.folded:  # a cheap guard against the rules in _foldable drifting from model.py's forward passes
            with private_copy(model) as view, torch.inference_mode():
                expected = view(x)
            with torch.inference_mode():
                got = self.at((0.0,) * len(directions))(self.x)
            if not torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * float(expected.abs().max())):
                warnings.warn("BatchNorm folding changed the model's outputs; evaluating it unfolded.", stacklevel=3)
                self._build(model, directions, [])

    def _build(self, model: nn.Module, directions: list[dict[str, torch.Tensor]], pairs: list[tuple[str, str]]) -> None:
        net = copy.deepcopy(model).eval().requires_grad_(False)
        directions = [dict(d) for d in directions]  # folding rescales entries: leave the caller's dicts alone
        with torch.no_grad():
            for conv_name, bn_name in pairs:
                scale = _fold(net, conv_name, bn_name)
                for d in directions:
                    d[f"{conv_name}.weight"] = d[f"{conv_name}.weight"] * scale
            if device_of(net).type == "cpu":
                net = net.to(memory_format=torch.channels_last)
                self.x = self.x.contiguous(memory_format=torch.channels_last)
        # Only weights move (random_direction gives 1-D tensors zero): (parameter, θ, [d_1, d_2]), all three
        # in the parameter's memory layout so the per-point adds run over matching strides.
        self.moving = [
            (p, p.detach().clone(), [torch.empty_like(p).copy_(d[name]) for d in directions])
            for name, p in net.named_parameters()
            if p.dim() > 1
        ]
        self.net, self.folded = net, bool(pairs)

    def at(self, point: Sequence[float]) -> nn.Module:
        """The private copy with its weights set to θ + Σ point[k] d_k (the same module for every point)."""
        with torch.inference_mode():
            for p, theta, ds in self.moving:
                p.copy_(theta)
                for d, c in zip(ds, point):
                    p.add_(d, alpha=c)
        return self.net


def _foldable(model: nn.Module) -> list[tuple[str, str]]:
    """(conv, BN) module names where the BN takes that conv's output directly, read off model.py's forward passes.

    The stem is conv1-BN-ReLU; in a block conv_i feeds bn_i except in pre-activation units (BN-ReLU-conv)
    and in the last conv of ``bn_after_add`` (its BN follows the addition); a projection shortcut is conv-BN.
    Any other model class folds nothing. A BN must use its running statistics (eval, tracked) to fold.
    """
    if type(model) is not ResNet:
        return []
    pairs = [("conv1", "bn1")]
    for name, unit in model.named_modules():
        if not isinstance(unit, ResidualUnit) or unit.unit == "preact":
            continue
        last = unit.depth - 1 if unit.unit == "bn_after_add" else unit.depth
        pairs += [(f"{name}.conv{i}", f"{name}.bn{i}") for i in range(1, last + 1)]
        if isinstance(unit.downsample, nn.Sequential) and len(unit.downsample) == 2:
            pairs.append((f"{name}.downsample.0", f"{name}.downsample.1"))
    return [
        (conv, bn)
        for conv, bn in pairs
        if isinstance(model.get_submodule(conv), nn.Conv2d)
        and type(model.get_submodule(bn)) is nn.BatchNorm2d
        and model.get_submodule(bn).affine
        and model.get_submodule(bn).track_running_stats
    ]


def _fold(net: nn.Module, conv_name: str, bn_name: str) -> torch.Tensor:
    """Folds BN ``bn_name`` into conv ``conv_name`` of ``net`` and removes it; returns s (C_out, 1, 1, 1)."""
    conv, bn = net.get_submodule(conv_name), net.get_submodule(bn_name)
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(s)
    conv.weight = nn.Parameter(conv.weight * s.view(-1, 1, 1, 1), requires_grad=False)
    conv.bias = nn.Parameter(bn.bias + (bias - bn.running_mean) * s, requires_grad=False)
    parent, _, child = bn_name.rpartition(".")
    setattr(net.get_submodule(parent), child, nn.Identity())
    return s.view(-1, 1, 1, 1)


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
