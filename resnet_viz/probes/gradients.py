"""Gradients seen from inside: per-block gradient norms and the shortcut / branch split of dE/dx.

He et al. (2016, "Identity Mappings", Eq. 5) write a residual unit as ``y = h(x) + F(x)``, so

    dE/dx = dE/dy * dh/dx  +  dE/dy * dF/dx
            \\_ shortcut part _/   \\_ branch part _/

With an identity shortcut the first term is ``dE/dy`` itself: the "1 +" that carries the signal back
through any depth unchanged. `gradient_norms` measures both parts for every block with one forward
pass and one backward pass for the loss: in the usual units the branch and the shortcut each read the
block input through a view of their own (`_tapped_paths`), so the backward pass delivers each part as the
gradient at its view, and an identity shortcut's part is the gradient at the addition itself. Units whose
two paths share work (pre-activation, gating, scaling) get two small backward passes each, one per part.
The two parts are computed independently (never as "total minus the other"), so their sum matching the
total gradient is a real check of the decomposition (``DataFrame.attrs["split_max_rel_error"]``).

Deep plain nets with BN at initialisation have gradients that grow by about 1.16x per layer going back
(plain-1202 reaches about 10^77, past float32's 3.4e38). So at every block boundary the backward pass may
divide the gradient by a power of two (`_Rescale`, only where its largest entry leaves 2^±16) and remember
the exponent; every norm is multiplied back by the exponents between it and the loss. Dividing by a power of
two is exact in binary floating point, so the measurement is the float32 one with an unbounded exponent, in one
pass; ``attrs["float32_overflow"]`` still says which rows an unscaled float32 backward (training) would lose.

`plain_vs_residual` runs the page's experiment: a plain CIFAR net and its residual twin at initialisation.

The model is left as found: train/eval flag restored, BatchNorm running statistics restored, no
hooks left behind, and no ``.grad`` touched (gradients come from `torch.autograd.grad`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..device import device_of
from ..i18n import _
from ..nets.builder import build_resnet
from ..nets.hooks import hooked
from ..nets.model import ResidualUnit
from ..nets.naming import group_of, is_block, net_label, paper_name, stage_of
from ..nets.spec import ResNetSpec
from .capture import capture_blocks

COLUMNS = [
    "name",
    "depth_index",
    "stage",
    "weight_grad_norm",
    "output_grad_norm",
    "input_grad_norm",
    "shortcut_grad_norm",
    "branch_grad_norm",
    "shortcut_share",
    "response_ratio",
]


def sample_batch(
    in_channels: int = 3, size: int = 32, n: int = 8, seed: int = 0, num_classes: int = 10
) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic random batch for gradient-at-initialisation views.

    Returns x: (n, in_channels, size, size) ~ N(0, 1) and y: (n,) int64 labels in [0, num_classes).
    Random inputs are enough at initialisation: the network has learnt nothing about real images yet.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, in_channels, size, size, generator=g)
    y = torch.randint(0, num_classes, (n,), generator=g, dtype=torch.int64)
    return x, y


@contextmanager
def _as_found(model: nn.Module, train_mode: bool) -> Iterator[None]:
    """Switch ``model`` to train/eval mode; afterwards restore the mode and every buffer.

    Train-mode BatchNorm updates its running statistics in the forward pass; a look at the
    gradients must not change the model, so all buffers are copied and put back.
    """
    was_training = model.training
    saved = {name: b.detach().clone() for name, b in model.named_buffers()}
    model.train(train_mode)
    try:
        yield
    finally:
        model.train(was_training)
        with torch.no_grad():
            for name, b in model.named_buffers():
                if name in saved:
                    b.copy_(saved[name])


Split = dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]
FLOAT32_LOG2_MAX = math.log2(torch.finfo(torch.float32).max)  # about 128: past it, a float32 entry is inf
RESCALE_RANGE = 16  # a boundary rescales the gradient only when its largest entry leaves [2^-16, 2^16]


class _Rescale(torch.autograd.Function):
    """The identity going forward; going back, divides the gradient by 2^k and writes k to ``exponents[index]``.

    k is the binary exponent of the gradient's largest entry when that entry leaves 2^±RESCALE_RANGE, else 0,
    so ordinary nets are measured bit for bit as without it. A power of two changes no mantissa: exact.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, exponents: dict[int, int], index: int) -> torch.Tensor:
        ctx.exponents, ctx.index = exponents, index
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        top = _top(grad)
        k = math.frexp(top)[1] if math.isfinite(top) and top > 0 and abs(math.log2(top)) > RESCALE_RANGE else 0
        ctx.exponents[ctx.index] = k
        return (grad * math.ldexp(1.0, -k) if k else grad), None, None


@contextmanager
def _rescaled_blocks(model: nn.Module) -> Iterator[dict[int, int]]:
    """A `_Rescale` on the input of every `ResidualUnit` (depth order) for the ``with`` block.

    Yields {block index: k}, filled in by the backward pass: the gradient at block i's input (and everything
    inside block i) is the true one divided by 2^(sum of k over the blocks after i).
    """
    exponents: dict[int, int] = {}
    units = [m for m in model.modules() if isinstance(m, ResidualUnit)]

    def pre_hook(index: int):
        return lambda _module, args: (_Rescale.apply(args[0], exponents, index), *args[1:])

    with hooked([(unit, pre_hook(i)) for i, unit in enumerate(units)], kind="forward_pre"):
        yield exponents


# Units whose branch starts with conv1 reading the block input x, and whose shortcut is x itself or one module reading
# x (a projection, option A's slice and pad, a dropout): there the two paths share nothing but x. Elsewhere they do:
# a pre-activation unit's shortcut reads BN-ReLU(x) like its branch, a gate reads x for both, scaling multiplies x.
TAPPED_UNITS = ("original", "bn_after_add", "relu_before_add")
TAPPED_VARIANTS = ("identity", "conv1x1", "dropout")


@dataclass
class _Taps:
    """The views of one block's input x that its two paths read; their gradients are the two parts of dE/dx."""

    branch: torch.Tensor | None = None  # what conv1 reads, (N, C_in, H, W)
    shortcut: torch.Tensor | None = None  # what the shortcut's first module reads; None: an identity shortcut


def _shortcut_entry(unit: ResidualUnit) -> nn.Module | None:
    """The module that reads x first on the shortcut path, None when the shortcut is x itself."""
    if unit.downsample is not None:
        return unit.downsample
    return unit.shortcut_drop if unit.variant == "dropout" else None


@contextmanager
def _tapped_paths(model: nn.Module) -> Iterator[dict[str, _Taps]]:
    """A fresh view of x at the entry of each path of every block of `TAPPED_UNITS` and `TAPPED_VARIANTS`, for the
    ``with`` block.

    Yields {block name: `_Taps`}, filled in by the forward pass. Autograd adds the gradients of the views into
    x's; the gradient at one view is what flows back along that path alone: one backward pass gives both parts.
    """
    taps: dict[str, _Taps] = {}
    hooks = []
    for name, unit in model.named_modules():
        if not isinstance(unit, ResidualUnit) or not unit.residual:
            continue
        if unit.unit in TAPPED_UNITS and unit.variant in TAPPED_VARIANTS:
            taps[name] = _Taps()
            hooks.append((unit.conv1, _tap(taps[name], "branch")))
            if (entry := _shortcut_entry(unit)) is not None:
                hooks.append((entry, _tap(taps[name], "shortcut")))
    with hooked(hooks, kind="forward_pre"):
        yield taps


def _tap(taps: _Taps, path: str):
    """A forward-pre hook that hands the module a view of its input and keeps it as ``taps.<path>``."""

    def hook(_module: nn.Module, args: tuple) -> tuple:
        view = args[0].view_as(args[0])
        setattr(taps, path, view)
        return (view, *args[1:])

    return hook


def _norm(t: torch.Tensor | None, log2_scale: int = 0) -> float:
    """L2 norm times 2^log2_scale, as a Python float (float64).

    One float32 reduction where the norm is safely inside float32's range (the usual case, kept fast for
    1202-layer nets); otherwise in float64 after dividing by the largest entry, so squaring cannot overflow.
    """
    if t is None:
        return math.nan
    t = t.detach()
    value = float(torch.linalg.vector_norm(t))
    if not 1e-15 < value < 1e15:
        value = _norm_by_top(t)
    return _times_power_of_two(value, log2_scale)


def _norm_by_top(t: torch.Tensor) -> float:
    """L2 norm in float64 of t / max|t|, times max|t|: inf or nan if t holds one, 0 if all zeros."""
    t = t.double()
    top = _top(t)
    if not math.isfinite(top) or top == 0:
        return top
    return top * float((t / top).norm())


def _top(t: torch.Tensor) -> float:
    """max |t| (0 for an empty tensor), without allocating |t|."""
    if not t.numel():
        return 0.0
    low, high = torch.aminmax(t)
    return max(-float(low), float(high))


def _times_power_of_two(value: float, exponent: int) -> float:
    """value * 2^exponent, inf past float64's range instead of an OverflowError."""
    try:
        return math.ldexp(value, exponent)
    except OverflowError:
        return math.inf


def _log2_top(grads: list[torch.Tensor | None], log2_scale: int = 0) -> float:
    """log2 of the largest |entry| over ``grads``, times 2^log2_scale: -inf if all zero, nan if not finite."""
    tops = [_top(g.detach()) for g in grads if g is not None]
    top = max(tops, default=0.0)
    if not math.isfinite(top):
        return math.nan
    return math.log2(top) + log2_scale if top > 0 else -math.inf


def _sq(grads: list[torch.Tensor | None], log2_scale: int = 0) -> float:
    """L2 norm over a list of gradient tensors (None = parameter unused in this pass), times 2^log2_scale."""
    return math.hypot(*(_norm(g, log2_scale) for g in grads if g is not None))


def _run(model: nn.Module, x: torch.Tensor, y: torch.Tensor, train_mode: bool) -> tuple[pd.DataFrame, Split]:
    """The work behind `gradient_norms` and `gradient_split`: the table plus the split vectors."""
    device = device_of(model)
    x = x.detach().to(device).clone().requires_grad_(True)  # (N, C, H, W), a leaf of our own
    y = y.to(device)
    # Buffers are restored only after every backward pass: BatchNorm saves them for its backward.
    with _as_found(model, train_mode), torch.enable_grad():
        return _forward_backward(model, x, y)


def _forward_backward(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[pd.DataFrame, Split]:
    with capture_blocks(model) as caps, _rescaled_blocks(model) as exponents, _tapped_paths(model) as taps:
        logits = model(x)  # (N, num_classes)
    loss = F.cross_entropy(logits, y)  # mean over the batch, as in training
    groups = _parameter_groups(model, [c.name for c in caps])
    params = [p for ps in groups.values() for p in ps]

    # One backward pass for the loss: gradients at every parameter, every captured tensor and every tap.
    residual = [c for c in caps if c.added is not None]
    views = [t for tap in taps.values() for t in (tap.branch, tap.shortcut) if t is not None]
    tensors = [x, logits] + [c.x for c in caps] + [c.out for c in caps] + [c.added for c in residual] + views
    pushed_again = any(c.name not in taps for c in residual)  # `_split_parts` needs the graph for those
    grads = torch.autograd.grad(loss, params + tensors, retain_graph=pushed_again, allow_unused=True)
    pgrad = dict(zip(map(id, params), grads[: len(params)]))
    tgrad = grads[len(params) :]
    k, r = len(caps), len(residual)
    g_in, g_out, g_added = tgrad[2 : 2 + k], tgrad[2 + k : 2 + 2 * k], tgrad[2 + 2 * k : 2 + 2 * k + r]
    g_view = dict(zip(map(id, views), tgrad[2 + 2 * k + r :]))
    # log2 of what block i's gradients were divided by: the exponents of the boundaries after it.
    after = [sum(exponents.get(j, 0) for j in range(i + 1, k)) for i in range(k)]
    stem = after[0] + exponents.get(0, 0) if caps else 0
    split = _split_parts(residual, g_added, g_in, [c.name for c in caps], taps, g_view)

    first = g_in[0] if caps else None
    rows = [dict(name="conv1", stage="conv1", output_grad_norm=_norm(first, stem - exponents.get(0, 0)),
                 input_grad_norm=_norm(tgrad[0], stem))]  # fmt: skip
    scales, activation_tops = [stem], [_log2_top([tgrad[0]], stem)]
    for i, c in enumerate(caps):
        rows.append(_block_row(c, g_in[i], g_out[i], split.get(c.name), after[i]))
        scales.append(after[i])
        activation_tops.append(_log2_top([g_in[i], g_out[i]], after[i]))
    last = g_out[-1] if caps else None
    rows.append(dict(name="fc", stage="head", output_grad_norm=_norm(tgrad[1]), input_grad_norm=_norm(last)))
    scales.append(0)
    activation_tops.append(_log2_top([tgrad[1], last]))
    weight_tops = []
    for i, row in enumerate(rows):
        row_grads = [pgrad[id(p)] for p in groups[row["name"]]]
        row["depth_index"] = i
        row["weight_grad_norm"] = _sq(row_grads, scales[i])
        weight_tops.append(_log2_top(row_grads, scales[i]))

    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    errors = [_relative_error(s + f, t) for s, f, t in split.values()]
    table.attrs["split_max_rel_error"] = max(errors, default=0.0)
    table.attrs["loss"] = float(loss.detach())
    table.attrs["float32_overflow"] = _lost_in_float32(activation_tops, weight_tops)
    return table, split


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    """||got - want|| / ||want||, the norms summed in float64 (want = 0 counts as a norm of 1e-30)."""
    error = torch.linalg.vector_norm(got - want, dtype=torch.float64)
    return float(error / torch.linalg.vector_norm(want, dtype=torch.float64).clamp_min(1e-30))


def _parameter_groups(model: nn.Module, block_names: list[str]) -> dict[str, list[nn.Parameter]]:
    """Parameters grouped into the table's rows: the stem, one group per block, and the head (everything else)."""
    groups: dict[str, list[nn.Parameter]] = {"conv1": [], **{n: [] for n in block_names}, "fc": []}
    for pname, p in model.named_parameters():
        if p.requires_grad:
            key = group_of(pname)  # "conv1", "layer2.3" or "fc"
            groups[key if key in groups else "fc"].append(p)
    return groups


def _split_parts(
    residual: list, g_added: tuple, g_in: tuple, block_names: list[str], taps: dict[str, _Taps], g_view: dict
) -> Split:
    """The split: y = s + f, so dE/ds = dE/df = dE/dy_add; each part is that pushed back to x along one path alone.

    Tapped blocks (`_tapped_paths`) already have both from the loss's backward pass: the gradients at their views
    (``g_view``, by id), an identity shortcut's being dE/dy_add itself. The others push dE/dy_add back twice.
    """
    split: Split = {}
    total = dict(zip(block_names, g_in))
    for c, g in zip(residual, g_added):
        if c.name in taps:
            tap = taps[c.name]
            via_s = g if tap.shortcut is None else g_view[id(tap.shortcut)]
            via_f = g_view[id(tap.branch)]
        else:
            (via_s,) = torch.autograd.grad(c.shortcut, c.x, grad_outputs=g, retain_graph=True, allow_unused=True)
            (via_f,) = torch.autograd.grad(c.branch, c.x, grad_outputs=g, retain_graph=True, allow_unused=True)
        via_s = torch.zeros_like(c.x) if via_s is None else via_s
        via_f = torch.zeros_like(c.x) if via_f is None else via_f
        split[c.name] = (via_s.detach(), via_f.detach(), total[c.name].detach())
    return split


def _block_row(c, g_in: torch.Tensor, g_out: torch.Tensor, parts: tuple | None, log2_scale: int) -> dict:
    """One block's row but its weight gradient; its gradients were divided by 2^log2_scale going back."""
    row = dict(
        name=c.name,
        stage=paper_name(stage_of(c.name)),
        output_grad_norm=_norm(g_out, log2_scale),
        input_grad_norm=_norm(g_in, log2_scale),
    )
    if parts is None:
        row["response_ratio"] = _norm(c.out) / _norm(c.x)  # plain block: ||block(x)|| / ||x||
        return row
    s_part, f_part = _norm(parts[0], log2_scale), _norm(parts[1], log2_scale)
    return row | dict(
        shortcut_grad_norm=s_part,
        branch_grad_norm=f_part,
        shortcut_share=s_part / (s_part + f_part) if s_part + f_part > 0 else math.nan,
        response_ratio=_norm(c.branch) / _norm(c.x),  # ||F(x)|| / ||x||, He et al. 2015 Fig. 7
    )


def _lost_in_float32(activation_tops: list[float], weight_tops: list[float]) -> list[int]:
    """The rows an unscaled float32 backward pass would lose, from the log2 of each row's largest gradient entry.

    An activation gradient past float32's range is inf, and inf (or inf - inf = nan) flows on into every row
    before it; a weight gradient past it is lost in its own row only (nothing flows back from a weight).
    """
    over = [i for i, top in enumerate(activation_tops) if top >= FLOAT32_LOG2_MAX]
    lost = set(range(max(over) + 1)) if over else set()
    return sorted(lost | {i for i, top in enumerate(weight_tops) if top >= FLOAT32_LOG2_MAX})


def gradient_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor, train_mode: bool = True) -> pd.DataFrame:
    """Per-block gradient norms of the cross-entropy loss on one batch.

    Args:
        model: a `ResNet` (plain or residual, any block, unit and shortcut variant).
        x: (N, C, H, W) images; y: (N,) int64 labels.
        train_mode: run BatchNorm on batch statistics as during training (the model's own mode and
            running statistics are restored afterwards).

    Returns:
        One row per block in depth order, with a first row "conv1" (stem: conv1, bn1, ReLU, max pool)
        and a last row "fc" (the head: final BN if any, pooling, fc). Columns: ``name``, ``depth_index``,
        ``stage`` ("conv1", "conv2_x", ..., "head"), ``weight_grad_norm`` (L2 over all the row's
        parameter gradients), ``output_grad_norm`` / ``input_grad_norm`` (||dE/d output||, ||dE/d input||
        over the whole batch), and for residual blocks ``shortcut_grad_norm`` / ``branch_grad_norm``
        (the two parts of dE/dx through h and through F), ``shortcut_share`` (shortcut / (shortcut +
        branch)) and ``response_ratio`` (||F(x)|| / ||x||; ||block(x)|| / ||x|| for plain blocks).
        Split columns are NaN where they do not apply. ``attrs["split_max_rel_error"]`` holds
        max over blocks of ||shortcut part + branch part - total|| / ||total||; ``attrs["loss"]`` the loss;
        ``attrs["float32_overflow"]`` the depth indices whose gradients an unscaled float32 backward pass
        would lose (entries past 3.4e38, and every row before such an activation gradient).
    """
    table, _split = _run(model, x, y, train_mode)
    return table


def gradient_split(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, train_mode: bool = True
) -> dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """For each residual block: (shortcut part, branch part, total dE/dx), each shaped like x_l.

    The vectors behind `gradient_norms`' split columns, for checking that the two parts, computed
    independently, add up to the total gradient at the block input. Where the backward pass rescaled the
    gradient (only at extreme depth) the three are divided by the same power of two.
    """
    _table, split = _run(model, x, y, train_mode)
    return split


MEASURED = ["weight_grad_norm", "output_grad_norm", "input_grad_norm"]  # every row has these


def overflowed(table: pd.DataFrame) -> list[int]:
    """The depth indices of the rows whose gradient norms are not finite: they overflowed (inf, or nan
    from inf - inf) in the precision the table was computed in."""
    bad = ~np.isfinite(table[MEASURED].to_numpy(dtype=float)).all(axis=1)
    return [int(i) for i in table.loc[bad, "depth_index"]]


def _measure(spec: ResNetSpec, seed: int) -> pd.DataFrame:
    """`gradient_norms` of a fresh ``spec`` net in float32, measured again in float64 if float32 overflowed.

    The rescaled backward pass keeps gradients in range, so only a forward pass that overflows float32 (nets
    whose activations grow past 3.4e38) needs float64. ``attrs``: ``dtype`` of the values,
    ``float32_overflow`` (depth indices an unscaled float32 pass loses, as training would; empty if none) and
    ``overflow`` (those still not finite in the returned table).
    """
    torch.manual_seed(seed)
    model = build_resnet(spec)
    x, y = sample_batch(3, spec.default_input_size, 8, seed, spec.num_classes)
    table = gradient_norms(model, x, y)
    forward_lost = overflowed(table)
    dtype = "float32"
    if forward_lost:  # float64 reaches 10^308 instead of 10^38: the same weights (exact), the same batch
        table, dtype = gradient_norms(model.double(), x.double(), y), "float64"
    lost32 = sorted(set(forward_lost) | set(table.attrs["float32_overflow"]))
    table.attrs |= {"dtype": dtype, "float32_overflow": lost32, "overflow": overflowed(table)}
    return table


def plain_vs_residual(depth: int, batchnorm: bool = True, seed: int = 0) -> dict[str, pd.DataFrame]:
    """`gradient_norms` of a plain CIFAR net and its residual twin at initialisation, on one random batch.

    Both nets have ``depth`` layers and option A shortcuts (the residual one; the paper's CIFAR setup),
    with or without BatchNorm, initialised from ``seed``; the batch is ``sample_batch(3, 32, 8, seed, 10)``.
    Measured in float32 with the gradient rescaled at block boundaries, so plain-1202 with BN (about 10^77)
    is measured in one pass; a net whose forward pass overflows float32 is measured again in float64. The
    tables say what unscaled float32 would lose (``attrs``, see `overflow_note`).

    Returns:
        {"plain-{depth}": table, "ResNet-{depth}": table}.

    Raises:
        ValueError: ``depth`` is not a CIFAR depth (6n+2). ModelTooLargeError: a net does not fit in memory.
    """
    tables = {}
    for residual in (False, True):
        spec = ResNetSpec.from_depth(
            depth, style="cifar", residual=residual, shortcut="A", norm="batch" if batchnorm else "none"
        )
        tables[net_label(depth, residual)] = _measure(spec, seed)
    return tables


def _where(indices: list[int], rows: int, everywhere: str, before: str, among: str, name: str = "") -> str:
    """One of three sentences, by where in the net a set of overflowed rows lies (the figure's block indices):
    ``everywhere``, ``before`` block {count}, or ``among`` ({count} of {rows} blocks); {name} is the net."""
    if len(indices) == rows:
        return everywhere.format(name=name)
    if indices == list(range(len(indices))):
        return before.format(name=name, count=len(indices))
    return among.format(name=name, count=len(indices), rows=rows)


def overflow_note(name: str, table: pd.DataFrame) -> str | None:
    """A sentence for a learner on what would overflow in float32 training and how ``table`` (a
    `plain_vs_residual` table) was measured all the same, or None when nothing overflows."""
    lost32, lost = table.attrs.get("float32_overflow", []), table.attrs.get("overflow", [])
    if not lost32:
        return None
    note = _where(
        lost32,
        len(table),
        _(
            "In float32, the precision networks are trained in, {name}'s gradients would overflow to infinity "
            "everywhere."
        ),
        _(
            "In float32, the precision networks are trained in, {name}'s gradients would overflow to infinity before "
            "block {count}."
        ),
        _(
            "In float32, the precision networks are trained in, {name}'s gradients would overflow to infinity in "
            "{count} of {rows} blocks."
        ),
        name,
    )
    if lost:
        then = _where(
            lost,
            len(table),
            _("Even in float64 they overflow everywhere: those blocks are left out."),
            _("Even in float64 they overflow before block {count}: those blocks are left out."),
            _("Even in float64 they overflow in {count} of {rows} blocks: those blocks are left out."),
        )
    elif table.attrs.get("dtype") == "float64":
        then = _("They are measured here in float64, which reaches 10³⁰⁸ instead of 10³⁸.")
    else:
        then = _(
            "They are measured here in float32 all the same: at each block boundary the backward pass divides the "
            "gradient by a power of two and multiplies the norms back, which is exact."
        )
    return _("{sentence} {next_sentence}").format(sentence=note, next_sentence=then)


def spread(table: pd.DataFrame, column: str) -> float | None:
    """log10 of max / min of ``column`` over the blocks (stem and head left out), finite positive values
    only; None when no block has one. In log10 so that a ratio of 10^80 is still a number."""
    blocks = table[table["name"].map(is_block)]
    values = blocks[column].to_numpy(dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    if len(values) == 0:
        return None
    logs = np.log10(values)
    return float(logs.max() - logs.min())


def spread_during_training(metrics: pd.DataFrame) -> pd.DataFrame:
    """How far the blocks' weight-gradient norms spread at each logged step of training runs.

    ``metrics`` is `RunStore.metrics` of one or more runs: ``run_id``, ``step`` and ``grad_norms``
    (dicts, or JSON text, of name -> norm; the engine logs every block, e.g. "layer2.0", beside stage
    aggregates). Stage aggregates, the stem and the head are left out; only finite positive norms count.

    Returns:
        DataFrame with columns run_id, step, spread (log10 of max / min over the blocks), blocks (how
        many counted); steps with fewer than two blocks are left out.
    """
    import json

    rows = []
    for run_id, step, norms in zip(metrics["run_id"], metrics["step"], metrics["grad_norms"]):
        if isinstance(norms, str) and norms:
            norms = json.loads(norms)
        if not isinstance(norms, dict):
            continue
        values = np.array([v for k, v in norms.items() if is_block(k) and isinstance(v, (int, float))], dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        if len(values) >= 2:
            logs = np.log10(values)
            rows.append({"run_id": int(run_id), "step": int(step), "spread": float(logs.max() - logs.min()),
                         "blocks": len(values)})  # fmt: skip
    return pd.DataFrame(rows, columns=["run_id", "step", "spread", "blocks"])
