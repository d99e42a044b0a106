"""Inside one block: what x, F(x) and x + F(x) look like, and how large F(x) is next to x.

He et al. 2015 (Fig. 7) measure the responses of each layer and find those of ResNets smaller than
those of plain nets: "residual functions might be generally closer to zero than the non-residual
functions". Here one picture goes through a block and we show the three maps the addition combines,
and for every block the ratio ||F(x)|| / ||x|| (for a plain block, whose output is all there is,
||block(x)|| / ||x||; the definition of `gradients.gradient_norms`).

Everything runs on a private structural copy in eval mode, without gradients: the model is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from ..i18n import _
from ..nets.builder import build_resnet
from ..nets.hooks import private_copy
from .capture import capture_blocks
from .lesion import blocks


@dataclass
class BlockMaps:
    """One picture in one block. Maps are (H, W) float tensors at the block's output resolution."""

    block: str
    residual: bool
    shortcut: torch.Tensor  # channel mean of h(x) (residual) or of the block's input x (plain, at its resolution)
    branch: torch.Tensor  # channel mean of F(x) (residual) or of the block's output (plain)
    added: torch.Tensor | None  # channel mean of h(x) + F(x) before the post-addition ReLU; None for plain
    channels: list[int]  # the strongest channels of F(x) (mean |F(x)|), strongest first
    channel_maps: dict[str, list[torch.Tensor]]  # "shortcut"/"branch"/"added" -> one (H, W) map per channel
    ratio: float  # ||F(x)|| / ||x|| of this block for this picture


def block_maps(model: nn.Module, x: torch.Tensor, block: str, channels: int = 4) -> BlockMaps:
    """x, F(x) and x + F(x) in ``block`` for one picture ``x`` (1, C, H, W).

    Raises:
        ValueError: ``block`` is not a block of this network, or ``x`` is not one picture.
    """
    if x.dim() == 3:
        x = x[None]
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(_("Give one picture (1, C, H, W); got shape {shape}.").format(shape=tuple(x.shape)))
    names = blocks(model)
    if block not in names:
        sample = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ValueError(
            _("No block {names} in this network; its blocks are {sample}.").format(names=repr(block), sample=sample)
        )
    with private_copy(model) as view, torch.no_grad(), capture_blocks(view) as caps:
        view(x)
        cap = next(c for c in caps if c.name == block)
        residual = cap.branch is not None
        shortcut = (cap.shortcut if residual else cap.x)[0]  # (C, H, W)
        branch = (cap.branch if residual else cap.out)[0]
        added = cap.added[0] if residual else None
        ratio = float(branch.norm() / cap.x.norm().clamp_min(1e-12))
    strongest = branch.abs().mean(dim=(1, 2)).argsort(descending=True)[:channels].tolist()
    maps = {"branch": [branch[c] for c in strongest]}
    if residual:
        maps["shortcut"] = [shortcut[c] for c in strongest]
        maps["added"] = [added[c] for c in strongest]
    return BlockMaps(
        block=block,
        residual=residual,
        shortcut=shortcut.mean(0),
        branch=branch.mean(0),
        added=added.mean(0) if added is not None else None,
        channels=strongest,
        channel_maps=maps,
        ratio=ratio,
    )


def response_ratios(model: nn.Module, x: torch.Tensor) -> pd.DataFrame:
    """||F(x)|| / ||x|| of every block on the batch ``x`` (N, C, H, W), eval mode.

    Returns:
        One row per block, input to output: block, index (1..), ratio.
    """
    if x.dim() != 4 or len(x) == 0:
        raise ValueError(
            _("Give a non-empty batch of images (N, C, H, W); got shape {shape}.").format(shape=tuple(x.shape))
        )
    rows = []
    with private_copy(model) as view, torch.no_grad(), capture_blocks(view) as caps:
        view(x)
        for i, cap in enumerate(caps, start=1):
            branch = cap.branch if cap.branch is not None else cap.out
            rows.append({"block": cap.name, "index": i, "ratio": float(branch.norm() / cap.x.norm().clamp_min(1e-12))})
    return pd.DataFrame(rows)


def freshly_initialised(model: nn.Module, seed: int = 0) -> nn.Module:
    """The same network (``model.spec``) with a fresh initialisation from ``seed``, in eval mode.

    BatchNorm running statistics of a fresh net are mean 0, variance 1: in eval mode it does not
    normalise at all, which is what an untrained net does with a picture it has not seen in training.
    """
    spec = getattr(model, "spec", None)
    if spec is None:
        raise ValueError(_("This model has no spec: cannot build a fresh copy of it."))
    with torch.random.fork_rng(devices=[]):  # the caller's random state is left as it was
        torch.manual_seed(seed)
        return build_resnet(spec).eval()
