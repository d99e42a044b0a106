"""Tracing a network on the meta device: shapes without storage, exact shape rules for the layers we use."""

from __future__ import annotations

import torch
from torch import nn

from .model import Add, ZeroPadShortcut

# ---------------------------------------------------------------------- helpers
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


def _shape_rule(m: nn.Module):
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
