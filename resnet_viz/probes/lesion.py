"""Lesion study: delete residual blocks of a trained network at test time (Veit, Wilber, Belongie 2016).

Veit et al. show that deleting one block of a trained ResNet-110 barely changes its CIFAR-10 error,
while deleting one layer of a plain (VGG-style) net sends it to chance; deleting k blocks raises the
error smoothly with k. They read a ResNet of n blocks as an ensemble of 2^n paths whose lengths follow
Binomial(n, 1/2), of which the short ones carry almost all of the gradient.

What "delete" means here:

- residual block ``y = post(h(x) + F(x))``: the branch F is set to zero, so ``y = post(h(x))``: the
  shortcut (identity, zero-padding or projection) and whatever the unit does after the addition
  (a ReLU for the original unit) remain. For the original unit on an identity shortcut that is
  ``y = x`` exactly (x is already a ReLU output), Veit's deletion.
- plain block ``y = F(x)``: replaced by the identity ``y = x`` where its input and output shapes
  agree; a block that changes the shape (the first of a stage) has no identity to fall back on and
  is reported as not deletable.

Nothing here changes the model: every computation runs on a private structural copy (its own module
objects, the model's tensors; `nets.hooks.private_copy`) with forward hooks that are always removed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import _
from ..nets.hooks import hooked, private_copy
from ..nets.naming import block_sort_key, is_block, split_block
from ..progress import Progress
from ..training.evaluate import evaluate

EVAL_BATCH = 512


def blocks(model: nn.Module) -> list[str]:
    """The model's blocks ("layer1.0", ...), input to output."""
    names = [name for name, _module in model.named_modules() if is_block(name)]
    return sorted(names, key=block_sort_key)


def is_residual(model: nn.Module) -> bool:
    """Does the model have shortcut connections (its blocks add a shortcut to their branch)?"""
    return any(getattr(model.get_submodule(b), "residual", False) for b in blocks(model))


def deletable(model: nn.Module, block: str) -> bool:
    """Can ``block`` be deleted: a residual block always; a plain block only if it keeps its input's shape."""
    unit = model.get_submodule(block)
    if getattr(unit, "residual", False):
        return True
    return getattr(unit, "stride", 1) == 1 and getattr(unit, "in_channels", 0) == getattr(unit, "out_channels", -1)


def _check_batch(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.dim() != 4 or len(x) == 0:
        raise ValueError(
            _("Give a non-empty batch of images (N, C, H, W); got shape {shape}.").format(shape=tuple(x.shape))
        )
    if len(y) != len(x):
        raise ValueError(_("{images} images but {labels} labels.").format(images=len(x), labels=len(y)))


def _check_blocks(model: nn.Module, names: Sequence[str]) -> None:
    known = blocks(model)
    unknown = [n for n in names if n not in known]
    if unknown:
        sample = ", ".join(known[:3]) + (", ..." if len(known) > 3 else "")
        raise ValueError(
            _("No block {names} in this network; its blocks are {sample}.").format(
                names=", ".join(map(repr, unknown)), sample=sample
            )
        )


@contextmanager
def deleted(view: nn.Module, names: Sequence[str]) -> Iterator[nn.Module]:
    """Hooks on ``view`` (a private copy) that delete the blocks ``names`` for the duration of the block."""
    _check_blocks(view, names)  # a readable error for a name that is not a block, before any hook
    with hooked([(_deletion_point(view, name), _first_input) for name in names]):
        yield view


def _deletion_point(view: nn.Module, name: str) -> nn.Module:
    """The module whose output becomes its first input when block ``name`` is deleted.

    A residual block's `add`: add(shortcut, branch) returns the shortcut alone, F(x) := 0, and the rest of
    the block runs. A plain block that keeps its input's shape: the whole block, which becomes the identity.
    """
    unit = view.get_submodule(name)
    if getattr(unit, "residual", False):
        return unit.add
    if deletable(view, name):
        return unit
    raise ValueError(_("Block {name} changes the shape of its input: a plain net cannot skip it.").format(name=name))


def _first_input(_module: nn.Module, args: tuple, _output: torch.Tensor) -> torch.Tensor:
    """A forward hook that replaces a module's output by its first input."""
    return args[0]


def lesion_study(model: nn.Module, x: torch.Tensor, y: torch.Tensor, progress: Progress | None = None) -> pd.DataFrame:
    """Error on (x, y) with each block deleted in turn (Veit et al. 2016, Fig. 3), the model left untouched.

    Returns:
        One row for the intact model (block "none") then one per block, input to output, with columns
        block, stage (1..), deletable, error (0..1, NaN where not deletable), loss, delta (error - intact).
    """
    _check_batch(x, y)
    names = blocks(model)
    rows = []
    with private_copy(model) as view:
        base, base_loss = evaluate(view, x, y, EVAL_BATCH)
        rows.append({"block": "none", "stage": 0, "deletable": True, "error": base, "loss": base_loss})
        for i, name in enumerate(names, start=1):
            row = {"block": name, "stage": split_block(name)[0], "deletable": deletable(view, name)}
            if row["deletable"]:
                with deleted(view, [name]):
                    row["error"], row["loss"] = evaluate(view, x, y, EVAL_BATCH)
            else:
                row["error"] = row["loss"] = math.nan
            rows.append(row)
            if progress:
                progress(i, len(names))
    table = pd.DataFrame(rows)
    table["delta"] = table["error"] - base
    return table


def lesion_curve(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    k_values: Sequence[int],
    trials: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Error when k randomly chosen deletable blocks are deleted together (Veit et al. 2016, Fig. 5a).

    Returns:
        One row per k with columns k, error_mean, error_std, error_min, error_max, trials. k = 0 is the
        intact model; a k larger than the number of deletable blocks is skipped.
    """
    _check_batch(x, y)
    rng = random.Random(seed)
    candidates = [b for b in blocks(model) if deletable(model, b)]
    ks = sorted({int(k) for k in k_values if 0 <= int(k) <= len(candidates)})
    total, done, rows = len(ks) * trials, 0, []
    with private_copy(model) as view:
        for k in ks:
            errors = []
            for _trial in range(trials if k else 1):
                with deleted(view, rng.sample(candidates, k)):
                    errors.append(evaluate(view, x, y, EVAL_BATCH).error)
            done += trials
            if progress:
                progress(done, total)
            series = pd.Series(errors)
            rows.append(
                {
                    "k": k,
                    "error_mean": series.mean(),
                    "error_std": series.std(ddof=0),
                    "error_min": series.min(),
                    "error_max": series.max(),
                    "trials": len(errors),
                }
            )
    return pd.DataFrame(rows)


def path_length_distribution(n: int) -> pd.DataFrame:
    """The 2^n paths through n residual blocks by length (blocks whose branch they pass): Binomial(n, 1/2).

    Returns:
        n + 1 rows: length, paths (n choose length), share (paths / 2^n).
    """
    if n < 0:
        raise ValueError(_("The number of blocks must be >= 0; got {n}.").format(n=n))
    return pd.DataFrame(
        [{"length": k, "paths": math.comb(n, k), "share": math.comb(n, k) / 2**n} for k in range(n + 1)]
    )


@contextmanager
def _single_path(view: nn.Module, through_branch: set[str]) -> Iterator[None]:
    """Backward only along one kind of path: through the branch of ``through_branch``, the shortcut elsewhere.

    The forward values are unchanged (``a.detach() + b`` equals ``a + b``); only what the gradient may
    flow through changes, which is Veit et al.'s sampling: "for those k blocks, we only propagate
    through the residual module; for the remaining n-k blocks, only through the skip connection".
    """

    def hook(name: str):
        if name in through_branch:
            return lambda m, args, out: args[0].detach() + args[1]
        return lambda m, args, out: args[0] + args[1].detach()

    with hooked((view.get_submodule(b).add, hook(b)) for b in blocks(view)):
        yield


def path_gradients(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    trials: int = 10,
    lengths: Sequence[int] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Gradient magnitude carried by paths of each length (Veit et al. 2016, Fig. 6), sampled.

    For a path length k, ``trials`` times: choose k of the n residual blocks at random; run a forward
    pass on (x, y) (eval mode, values unchanged) and back-propagate the mean cross-entropy through the
    residual branch of those k blocks and only through the shortcut of the other n - k (`_single_path`);
    measure the norm of the gradient at the input of the first block. The mean of those norms is the
    gradient of *one* path of length k; times the number of such paths (n choose k) it estimates the
    gradient all paths of length k contribute (Veit's Fig. 6 (b)). The paper samples 1,000 measurements
    per length on random training batches; here the batch is fixed and ``trials`` is small.

    Returns:
        One row per length: length, paths, grad_one_path (mean norm), grad_one_path_std, grad_total
        (grad_one_path * paths), share (of the sum of grad_total).

    Raises:
        ValueError: the model has no residual blocks (a plain net has a single path), or the batch is empty.
    """
    _check_batch(x, y)
    names = blocks(model)
    if not names or not is_residual(model):
        raise ValueError(_("This network has no residual blocks: a plain net has one path only, nothing to sample."))
    n = len(names)
    ks = list(range(n + 1)) if lengths is None else sorted({int(k) for k in lengths if 0 <= int(k) <= n})
    rng = random.Random(seed)
    rows, done, total = [], 0, len(ks) * trials
    with private_copy(model) as view:
        first = view.get_submodule(names[0])
        captured: list[torch.Tensor] = []

        def capture(m, args):
            start = args[0].detach().requires_grad_(True)
            captured.append(start)
            return (start,)

        with hooked([(first, capture)], "forward_pre"):
            for k in ks:
                norms = []
                for _trial in range(trials):
                    captured.clear()
                    with _single_path(view, set(rng.sample(names, k))):
                        loss = F.cross_entropy(view(x), y)
                        (grad,) = torch.autograd.grad(loss, captured[0])  # not the weights': they stay untouched
                    norms.append(float(grad.norm()))
                    done += 1
                    if progress:
                        progress(done, total)
                series = pd.Series(norms)
                rows.append(
                    {
                        "length": k,
                        "paths": math.comb(n, k),
                        "grad_one_path": series.mean(),
                        "grad_one_path_std": series.std(ddof=0),
                    }
                )
    table = pd.DataFrame(rows)
    table["grad_total"] = table["grad_one_path"] * table["paths"].astype(float)
    table["share"] = table["grad_total"] / table["grad_total"].sum()
    return table
