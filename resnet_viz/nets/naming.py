"""Module names: torchvision's ``layerN.M`` and the paper's ``convN_M``. The only parser of either.

Our models use torchvision's names (`model.py`): the stem ``conv1 bn1 relu maxpool``, stages
``layer1`` .. ``layer4`` holding blocks ``layer2.0``, ``layer2.1``, ..., and the head ``avgpool fc``
(plus ``bn_final``/``relu_final`` in pre-activation nets). He et al. 2015 (Table 1) call the stages
``conv2_x`` .. ``conv5_x`` and the blocks ``conv3_1``, ``conv3_2``, ...: stage ``layerN`` is
``conv{N+1}_x`` and block ``layerN.M`` is ``conv{N+1}_{M+1}``. Torch-free (the spec uses it).
"""

from __future__ import annotations

import re

STEM = ("conv1", "bn1", "relu", "maxpool")  # top-level modules before the first stage
SHORTCUT_PARTS = ("downsample", "shortcut_drop")  # a block's modules on the shortcut path h(x)
GATE_PART = "gate"  # the gating conv of the gating shortcut variants


def net_label(depth: int, residual: bool) -> str:
    """The papers' short name of a network: "plain-56" or "ResNet-56" (He et al. 2015, Fig. 6 and Table 6)."""
    return f"{'ResNet' if residual else 'plain'}-{depth}"


_BLOCK = re.compile(r"layer(\d+)\.(\d+)")
_STAGE = re.compile(r"layer(\d+)")
_PAPER = re.compile(r"conv(\d+)_(x|\d+)")


def split_block(name: str) -> tuple[int, int] | None:
    """(stage number N, block index M) of a block or anything inside it: "layer2.0.conv1" -> (2, 0)."""
    match = _BLOCK.match(name)
    if match is None or (len(name) > match.end() and name[match.end()] != "."):
        return None
    return int(match.group(1)), int(match.group(2))


def stage_index(name: str) -> int | None:
    """The N of stage ``layerN`` for the stage or anything inside it: "layer2.0.conv1" -> 2."""
    match = _STAGE.match(name)
    if match is None or (len(name) > match.end() and name[match.end()] != "."):
        return None
    return int(match.group(1))


def is_block(name: str) -> bool:
    """Is ``name`` a block itself ("layer2.0"), not a stage or a layer inside a block?"""
    return _BLOCK.fullmatch(name) is not None


def is_stage(name: str) -> bool:
    """Is ``name`` a stage itself ("layer2")?"""
    return _STAGE.fullmatch(name) is not None


def is_stem(name: str) -> bool:
    """Is ``name`` (or the top-level module it is in) part of the stem: conv1, bn1, relu, maxpool?"""
    return name.split(".", 1)[0] in STEM


def block_of(name: str) -> str | None:
    """The block a module belongs to: "layer2.0.conv1" -> "layer2.0", "layer2.0" -> "layer2.0"; else None."""
    parts = split_block(name)
    return None if parts is None else f"layer{parts[0]}.{parts[1]}"


def stage_of(name: str) -> str | None:
    """The stage a module belongs to: "layer2.0.conv1" -> "layer2", "layer2" -> "layer2"; else None."""
    index = stage_index(name)
    return None if index is None else f"layer{index}"


def local_name(name: str) -> str:
    """The name inside its block: "layer2.0.downsample.0" -> "downsample.0" (outside blocks: unchanged)."""
    block = block_of(name)
    return name[len(block) + 1 :] if block is not None and name != block else name


def is_shortcut_part(name: str) -> bool:
    """Is this module on a block's shortcut path (projection, zero-pad, dropout)? Block-local or full names."""
    return local_name(name).split(".", 1)[0] in SHORTCUT_PARTS


def is_gate_part(name: str) -> bool:
    """Is this module the gate g(x) of a gating shortcut? Block-local or full names."""
    return local_name(name).split(".", 1)[0] == GATE_PART


def group_of(name: str, level: str = "block") -> str:
    """The row a module (or parameter) is reported in: "conv1" for the stem, its block ("layer2.0")
    or, with ``level="stage"``, its stage ("layer2"), and "fc" for everything after the stages."""
    inside = block_of(name) if level == "block" else stage_of(name)
    if inside is not None:
        return inside
    return "conv1" if is_stem(name) else "fc"


def paper_name(name: str) -> str:
    """The paper's name of a block or a stage: "layer2.0" -> "conv3_1", "layer3" -> "conv4_x".

    Raises:
        ValueError: ``name`` is neither a block nor a stage.
    """
    if is_block(name):
        stage, index = split_block(name)  # type: ignore[misc]
        return f"conv{stage + 1}_{index + 1}"
    if is_stage(name):
        return f"conv{stage_index(name) + 1}_x"
    raise ValueError(f"{name!r} is not a block (layer<N>.<M>) or a stage (layer<N>).")


def layer_name(paper: str) -> str:
    """Inverse of `paper_name`: "conv3_1" -> "layer2.0", "conv4_x" -> "layer3".

    Raises:
        ValueError: ``paper`` is not of the form conv<N>_<M> or conv<N>_x with N >= 2.
    """
    match = _PAPER.fullmatch(paper)
    if match is None or int(match.group(1)) < 2 or match.group(2) == "0":
        raise ValueError(f"{paper!r} is not a paper stage (conv<N>_x) or block (conv<N>_<M>).")
    stage = int(match.group(1)) - 1
    return f"layer{stage}" if match.group(2) == "x" else f"layer{stage}.{int(match.group(2)) - 1}"


def block_sort_key(name: str) -> tuple[int, int, int]:
    """Order names from input to output: the stem first, then layer1, layer1.0, layer1.1, ...,
    layer2, layer2.0, ..., and the head last (anything that is neither stem nor stage)."""
    if is_stem(name):
        return (0, 0, 0)
    stage = stage_index(name)
    if stage is None:
        return (2, 0, 0)
    parts = split_block(name)
    return (1, stage, -1 if parts is None else parts[1])
