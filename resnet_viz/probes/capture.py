"""What every block sees in one forward pass: its input, its output, and the two terms its addition adds.

`capture_blocks` is shared by the probes that look at a residual unit ``y = post(h(x) + F(x))`` from
inside: `gradients` differentiates the captured tensors (they keep their autograd graph), `inside`
shows them as maps. The hooks are forward hooks on each `ResidualUnit` and its `add`, registered with
`nets.hooks.hooked`, so they are gone when the ``with`` block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from ..nets.hooks import hooked
from ..nets.model import ResidualUnit


@dataclass
class BlockCapture:
    """Tensors seen by one block during the forward pass (all keep their autograd graph)."""

    name: str  # "layer2.3"
    module: ResidualUnit
    x: torch.Tensor | None = None  # block input, (N, C_in, H, W)
    out: torch.Tensor | None = None  # block output, (N, C_out, H', W')
    shortcut: torch.Tensor | None = None  # first input of `add`: h(x) (scaled / gated), (N, C_out, H', W')
    branch: torch.Tensor | None = None  # second input of `add`: F(x) (scaled / gated), (N, C_out, H', W')
    added: torch.Tensor | None = None  # output of `add`: h(x) + F(x), (N, C_out, H', W')

    def on_block(self, _module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        """Forward hook on the block: its input and output."""
        self.x, self.out = args[0], output

    def on_add(self, _module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        """Forward hook on the block's `add`: shortcut, branch and their sum (plain blocks have no `add`)."""
        self.shortcut, self.branch, self.added = args[0], args[1], output


@contextmanager
def capture_blocks(model: nn.Module) -> Iterator[list[BlockCapture]]:
    """Forward hooks on every `ResidualUnit` and its `add` for the ``with`` block; always removed on exit.

    Yields the captures in depth order (module registration order: layer1.0, layer1.1, ...), filled in
    by each forward pass run inside the block.
    """
    captures = [BlockCapture(name, unit) for name, unit in model.named_modules() if isinstance(unit, ResidualUnit)]
    hooks = []
    for cap in captures:
        hooks.append((cap.module, cap.on_block))
        if getattr(cap.module, "add", None) is not None:
            hooks.append((cap.module.add, cap.on_add))
    with hooked(hooks):
        yield captures
