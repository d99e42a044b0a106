"""Tracing: the one place that runs a network to learn its layers' shapes, parameters and multiply-adds.

`trace_spec` traces a spec on PyTorch's "meta" device (modules and tensors carry shapes but no storage,
so even ResNet-1202 is traced without allocating a single activation) and keeps the result: one trace
per (spec, input size) per process. Every table (`tables`), memory estimate (`memory`), cost comparison
(`costs`), paper check, training budget and diagram reads that one record. `trace_model` runs any other
model for real, once, at batch size 1.

A trace is immutable (`NetworkTrace`: a tuple of `LayerRow` named tuples), so a cached one can be
shared by every caller and every session without copying.

Conventions (as in He et al. 2015, whose "FLOPs" are multiply-adds):
* ``macs`` counts multiply-accumulates of convolutions and the fc layer for one image.
  Element-wise work (BN, ReLU, pooling, shortcut additions, gates) is listed with 0.
* shapes are ``(C, H, W)`` for one image (no batch dimension); the fc input is ``(C,)``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
from torch import nn

from ..device import device_of
from ..i18n import _
from .hooks import hooked, private_copy
from .model import Add, ResNet, ZeroPadShortcut, shortcut_path
from .naming import block_of, is_stem, local_name, paper_name, split_block, stage_of
from .spec import ResNetSpec

# Traces kept per process. One trace of ResNet-1202 (4,207 rows) holds about 2 MB; most networks far
# less (ResNet-50: 180 rows), so a full cache of deep networks stays around 100 MB at most.
TRACE_CACHE_SIZE = 64
META_TWINS = 8  # meta-device models kept to trace again at another size (no storage: module objects only)
SHORTCUT_PATHS = 256  # traced shortcut paths kept (`trace_with_shortcut`): a few distinct shapes per network
# A block's modules that run after its downsample (`model.ResidualUnit.forward`): the option's rows go before them.
_AFTER_DOWNSAMPLE = ("gate", "shortcut_drop", "add")


class LayerRow(NamedTuple):
    """One traced layer (or one shortcut addition, type ``Add``): a row of `tables.layer_table`."""

    name: str  # "layer2.0.conv1"
    type: str  # the module's class name: "Conv2d", "Add", ...
    stage: str  # "conv1", "conv2_x", ..., or the word "head"
    block: int | None  # 1-based index within the stage; None outside blocks
    input_shape: tuple  # (C, H, W) of one image; (C,) for the fc layer
    output_shape: tuple
    kernel: str  # "3x3", or "" for layers without a window
    stride: int | None  # None for layers without a stride
    params: int
    macs: int  # multiply-accumulates for one image


@dataclass(frozen=True)
class NetworkTrace:
    """Every layer of one network at one input size, in execution order."""

    rows: tuple[LayerRow, ...]

    @property
    def params(self) -> int:
        return sum(row.params for row in self.rows)

    @property
    def macs(self) -> int:
        """Multiply-adds of one forward pass of one image (the paper's FLOPs)."""
        return sum(row.macs for row in self.rows)

    @property
    def output_values(self) -> tuple[int, ...]:
        """Values in each layer's output for one image, in row order (what training keeps for backward)."""
        return tuple(numel(row.output_shape) for row in self.rows)


def numel(shape: tuple) -> int:
    """Number of values in a tensor of ``shape`` (1 for the empty shape)."""
    n = 1
    for s in shape:
        n *= int(s)
    return n


def trace_spec(spec: ResNetSpec, input_size: int | None = None) -> NetworkTrace:
    """The trace of ``spec`` at ``input_size`` (default: the style's, 224 or 32), computed once per process.

    The cache is `functools.lru_cache`: safe to call from several threads, but two threads that miss the
    same key at the same moment both trace it (the same result; a second or so of work on the deepest
    nets), which is cheaper than holding a lock around every trace.

    Raises:
        ValueError: the input size is not a whole number of pixels, too small for the network, or too large.
    """
    size = spec.default_input_size if input_size is None else input_size
    check_input_size(size, spec)
    return _cached_trace(spec, size)


@functools.lru_cache(maxsize=TRACE_CACHE_SIZE)
def _cached_trace(spec: ResNetSpec, size: int) -> NetworkTrace:
    return _trace_on_meta(spec, size)


def _trace_on_meta(spec: ResNetSpec, size: int) -> NetworkTrace:
    """Trace a meta-device twin of the network whose leaves compute only their output shapes."""
    model, lock = _meta_twin(spec)
    arithmetic = _ShapeOnlyArithmetic() if spec.residual and spec.shortcut_variant in _ARITHMETIC_VARIANTS else None
    # One trace at a time on a shared twin: the hooks registered on it record for one caller.
    with lock, arithmetic or contextlib.nullcontext():
        return _run_recorded(model, torch.empty(1, spec.in_channels, size, size, device="meta"))


@functools.lru_cache(maxsize=META_TWINS)
def _meta_twin(spec: ResNetSpec) -> tuple[ResNet, threading.Lock]:
    """The meta-device twin of ``spec`` with shape-only forwards, built once for every input size it is traced at.

    Building it is most of a trace's time (about 1.5 s for ResNet-1202 on an idle 2-core CPU, against under a
    second to run it), and a page often traces one network at two sizes (Degradation lab's "too deep": the lab's
    and the paper's).
    """
    model = ResNet(spec, device="meta")
    _use_shape_only_forwards(model)
    return model, threading.Lock()


def trace_with_shortcut(spec: ResNetSpec, shortcut: str, input_size: int | None = None) -> NetworkTrace:
    """The trace of ``spec`` as a residual network with shortcut option ``shortcut`` ("A", "B" or "C"): the rows
    of ``trace_spec(replace(spec, residual=True, shortcut=shortcut))``, without building that network.

    The option changes only each block's downsample (`model.shortcut_path`): every other row comes from the
    residual spec's own cached trace, and each block's shortcut path is traced alone (once per distinct shape,
    a handful per network) and put where the block runs it. Pricing options B and C of ResNet-1202 this way
    takes a fraction of a second instead of two meta twins of about 2 s each.

    Raises:
        ValueError: as `trace_spec`.
    """
    base = replace(spec, residual=True)
    trace = trace_spec(base, input_size)
    variant = replace(base, shortcut=shortcut)
    if variant == base:
        return trace
    rows: list[LayerRow] = []
    for block, group in itertools.groupby(trace.rows, key=lambda row: block_of(row.name)):
        kept = [row for row in group if _block_part(row.name) != "downsample"]
        if block is None:
            rows.extend(kept)
            continue
        at = next(i for i, row in enumerate(kept) if _block_part(row.name) in _AFTER_DOWNSAMPLE)
        stride = max(row.stride for row in kept if row.type == "Conv2d")  # the block's strided conv
        path = _shortcut_path_rows(variant, kept[0].input_shape, kept[-1].output_shape[0], stride)
        first = kept[0]  # every row of a block has its stage and index
        spliced = [row._replace(name=f"{block}.{row.name}", stage=first.stage, block=first.block) for row in path]
        rows.extend(kept[:at] + spliced + kept[at:])
    return NetworkTrace(tuple(rows))


def _block_part(name: str) -> str:
    """The module of its block a layer belongs to: "layer2.0.downsample.1" -> "downsample"."""
    return local_name(name).split(".", 1)[0]


@functools.lru_cache(maxsize=SHORTCUT_PATHS)
def _shortcut_path_rows(spec: ResNetSpec, in_shape: tuple, out_channels: int, stride: int) -> tuple[LayerRow, ...]:
    """The rows of one block's shortcut path alone, named as inside the block ("downsample.0"); () for identity."""
    path = shortcut_path(spec, in_shape[0], out_channels, stride, device="meta")
    if path is None:
        return ()
    holder = nn.Sequential(OrderedDict(downsample=path))
    _use_shape_only_forwards(holder)
    return _run_recorded(holder, torch.empty(1, *in_shape, device="meta")).rows


def trace_model(model: nn.Module, input_size: int) -> NetworkTrace:
    """Trace any convolutional network by one real forward pass at batch size 1 (not cached).

    Runs on a private copy in eval mode (`hooks.private_copy`): the caller's model keeps its mode, gets
    no hooks, and its BatchNorm statistics do not move.

    Raises:
        ValueError: the model has no Conv2d, or the input size does not fit it.
    """
    check_input_size(input_size, None)
    x = torch.zeros(1, _first_conv(model).in_channels, input_size, input_size, device=device_of(model))
    try:
        with private_copy(model) as view, torch.no_grad():
            return _run_recorded(view, x)
    except RuntimeError as err:  # e.g. an input too small for an arbitrary model's downsampling
        message = _("Input size {size} does not fit this model: {error}")
        raise ValueError(message.format(size=input_size, error=err)) from None


def _run_recorded(model: nn.Module, x: torch.Tensor) -> NetworkTrace:
    """Run ``model`` on ``x`` with a hook on every leaf (and every `Add`) recording its row."""
    rows: list[LayerRow] = []

    def recorder(name: str) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            rows.append(layer_row(name, module, tuple(inputs[0].shape[1:]), tuple(output.shape[1:])))

        return hook

    leaves = [(n, m) for n, m in model.named_modules() if n and (not any(m.children()) or isinstance(m, Add))]
    with hooked((module, recorder(name)) for name, module in leaves):
        model(x)
    return NetworkTrace(tuple(rows))


def layer_row(name: str, module: nn.Module, in_shape: tuple, out_shape: tuple) -> LayerRow:
    """The row of the layer ``name`` that maps one image of ``in_shape`` to ``out_shape``."""
    kernel, stride, macs = "", None, 0
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        kernel, stride = f"{kh}x{kw}", module.stride[0]
        macs = numel(out_shape) * (module.in_channels // module.groups) * kh * kw
    elif isinstance(module, nn.Linear):
        macs = module.in_features * module.out_features
    elif isinstance(module, nn.MaxPool2d):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        kernel, stride = f"{k}x{k}", module.stride if isinstance(module.stride, int) else module.stride[0]
    elif isinstance(module, ZeroPadShortcut):
        stride = module.stride
    stage, block = _stage_and_block(name)
    params = sum(p.numel() for p in module.parameters(recurse=False))
    return LayerRow(name, type(module).__name__, stage, block, in_shape, out_shape, kernel, stride, params, macs)


def _stage_and_block(name: str) -> tuple[str, int | None]:
    """The paper's stage of a layer ("conv1", "conv2_x", ..., "head") and its 1-based block in the stage."""
    stage = stage_of(name)
    if stage is not None:
        parts = split_block(name)
        return paper_name(stage), None if parts is None else parts[1] + 1
    if name == "maxpool":  # the paper lists the max pool at the start of conv2_x
        return paper_name("layer1"), None
    if is_stem(name):
        return "conv1", None
    return "head", None  # a word: shown as _("head")


def _first_conv(model: nn.Module) -> nn.Conv2d:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m
    raise ValueError(_("layer_table needs a convolutional network (no Conv2d found)."))


def check_input_size(size: int, spec: ResNetSpec | None) -> None:
    """Raise ValueError unless ``size`` is a whole number of pixels that ``spec`` (or any model, if None) accepts."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(_("Input size must be a positive whole number of pixels; got {size}.").format(size=repr(size)))
    minimum = 1 if spec is None else spec.min_input_size  # every stage keeps at least a 1x1 map
    if size < minimum:
        raise ValueError(
            _("Input size {size} is too small for this network: use at least {minimum} pixels.").format(
                size=size, minimum=minimum
            )
        )
    if size > 4096:
        raise ValueError(_("Input size {size} is larger than this tool supports (4096 pixels).").format(size=size))


# ------------------------------------------------------------------------------------------- shape-only forwards
_SHAPE_PRESERVING = (nn.BatchNorm2d, nn.ReLU, nn.Identity, nn.Dropout, Add)


def _use_shape_only_forwards(model: nn.Module) -> None:
    """Replace each leaf's forward on a meta model by its output-shape rule.

    Meta tensors already avoid allocation, but PyTorch computes many meta ops in Python
    (BatchNorm's alone costs milliseconds per call); the rules below are exact for these layer
    types and make tracing ResNet-1202 several times faster. `tests/nets/test_tables.py` checks
    them against real forward passes.
    """
    for module in model.modules():
        rule = _shape_rule(module)
        if rule is not None:
            module.forward = lambda x, *rest, _rule=rule: torch.empty(_rule(tuple(x.shape)), device="meta")


# Shortcut variants whose blocks compute on tensors outside any leaf module (`model.ResidualUnit.forward`: a scale, a
# gate's ``(1 - g) * x``). Only their traces need `_ShapeOnlyArithmetic`, which sees every torch call of the trace.
_ARITHMETIC_VARIANTS = ("scaling", "exclusive_gating", "shortcut_gating")


class _ShapeOnlyArithmetic(torch.overrides.TorchFunctionMode):
    """Element-wise arithmetic between tensors and numbers (a shortcut variant's scaling, ``(1 - g) * x`` of its
    gates) computed as its broadcast output shape only, on a meta trace.

    PyTorch computes these ops' meta kernels in Python through functions that import torch._dynamo on their first
    call (about 2 s, with sympy): a page that traces a shortcut variant would pay that import for one shape.
    """

    OPS = frozenset(
        getattr(owner, name)
        for owner in (torch, torch.Tensor)
        for name in ("mul", "add", "sub", "rsub", "__mul__", "__rmul__", "__add__", "__radd__", "__sub__", "__rsub__")
        if hasattr(owner, name)
    )

    def __torch_function__(self, func, types, args=(), kwargs=None):
        tensors = [a for a in args if isinstance(a, torch.Tensor)] if func in self.OPS else None
        if tensors and all(t.is_meta for t in tensors):
            shape = torch.broadcast_shapes(*(t.shape for t in tensors))
            return torch.empty(shape, dtype=tensors[0].dtype, device="meta")
        return func(*args, **(kwargs or {}))


def _shape_rule(m: nn.Module) -> Callable[[tuple], tuple] | None:
    """The output shape of ``m`` as a function of its input shape (batch first), or None to run it as it is."""

    def spatial(size: int, k: int, s: int, p: int, d: int = 1) -> int:
        return (size + 2 * p - d * (k - 1) - 1) // s + 1

    if isinstance(m, _SHAPE_PRESERVING):
        return lambda shape: shape
    if isinstance(m, nn.Conv2d) and isinstance(m.padding, tuple):
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = m.kernel_size, m.stride, m.padding, m.dilation
        return lambda s: (s[0], m.out_channels, spatial(s[2], kh, sh, ph, dh), spatial(s[3], kw, sw, pw, dw))
    if isinstance(m, nn.MaxPool2d) and not m.ceil_mode:
        k, st, p, d = (v if isinstance(v, int) else v[0] for v in (m.kernel_size, m.stride, m.padding, m.dilation))
        return lambda s: (s[0], s[1], spatial(s[2], k, st, p, d), spatial(s[3], k, st, p, d))
    if isinstance(m, nn.AdaptiveAvgPool2d):
        oh, ow = (m.output_size, m.output_size) if isinstance(m.output_size, int) else m.output_size
        return lambda s: (s[0], s[1], oh or s[2], ow or s[3])
    if isinstance(m, nn.Linear):
        return lambda s: (*s[:-1], m.out_features)
    if isinstance(m, ZeroPadShortcut):
        return lambda s: (s[0], m.out_channels, -(-s[2] // m.stride), -(-s[3] // m.stride))
    return None
