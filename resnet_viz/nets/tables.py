"""Analysis tables: every layer, the paper's Table 1, every shortcut, and one row per block.

All of them are views of one trace (`trace.trace_spec`, cached per spec and input size), so each
number is computed in exactly one place and a network is traced once however many tables show it.
Columns and conventions (multiply-adds, shapes of one image) are `trace`'s.
"""

from __future__ import annotations

import pandas as pd
from torch import nn

from ..i18n import N_, _
from .naming import block_of, is_gate_part, is_shortcut_part, layer_name, paper_name, stage_index
from .spec import ResNetSpec, default_input_size
from .trace import NetworkTrace, trace_model, trace_spec

LAYER_COLUMNS = [
    N_("name"), N_("type"), N_("stage"), N_("block"), "input_shape", "output_shape",
    N_("kernel"), N_("stride"), N_("params"), N_("macs"),
]  # fmt: skip


# Stage names that are words ("conv2_x" is a name): translate them where shown, with _().
STAGE_WORDS = (N_("head"), N_("total"))


def layer_table(spec_or_model: ResNetSpec | nn.Module, input_size: int | None = None) -> pd.DataFrame:
    """One row per layer in execution order, plus one row per shortcut addition (type ``Add``).

    Args:
        spec_or_model: a spec, or a model. Our own models (with ``.spec``) are read from the spec's
            cached meta-device trace; any other model runs one real forward pass at batch size 1.
        input_size: side of the square input image; defaults to the style's (224 or 32).

    Returns:
        DataFrame with columns name, type, stage ("conv1", "conv2_x", ..., "head"), block (1-based
        index within the stage, or <NA>), input_shape and output_shape (tuples, (C, H, W)), kernel
        and stride (e.g. "3x3", 2, or empty), params, macs. A new frame each call: changing it
        changes no cached trace.
    """
    spec = spec_or_model if isinstance(spec_or_model, ResNetSpec) else getattr(spec_or_model, "spec", None)
    if spec is not None:
        return table_of(trace_spec(spec, input_size))
    return table_of(trace_model(spec_or_model, default_input_size("imagenet") if input_size is None else input_size))


def table_of(trace: NetworkTrace) -> pd.DataFrame:
    """A trace as a `layer_table` DataFrame (block and stride as nullable integers)."""
    table = pd.DataFrame(trace.rows, columns=LAYER_COLUMNS)
    table[["block", "stride"]] = table[["block", "stride"]].astype("Int64")
    return table


def stage_table(spec: ResNetSpec, input_size: int | None = None, layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's Table 1 for any spec: one row per stage plus a total.

    Args:
        spec: the network.
        input_size: input side (default 224 ImageNet / 32 CIFAR).
        layers: a `layer_table` already built for this spec and size (the trace is cached either way).

    Returns:
        DataFrame with columns stage, output_size ("56x56"), description ("[3x3, 64; 3x3, 64] x 2",
        in the current language), blocks, params, macs; the last row has stage "total".
    """
    layers = layer_table(spec, input_size) if layers is None else layers
    rows = []
    for stage, group in layers.groupby("stage", sort=False):
        out = group["output_shape"].iloc[-1]
        rows.append(
            {
                N_("stage"): stage,
                "output_size": f"{out[1]}x{out[2]}" if len(out) == 3 else "1x1",
                N_("description"): _stage_description(spec, stage),
                N_("blocks"): int(group["block"].max()) if group["block"].notna().any() else 0,
                "params": int(group["params"].sum()),
                "macs": int(group["macs"].sum()),
            }
        )
    rows.append(
        {
            "stage": "total",
            "output_size": "",
            "description": _("{name}: {depth} weighted layers").format(name=spec.display_name, depth=spec.depth),
            "blocks": sum(spec.layers),
            "params": int(layers["params"].sum()),
            "macs": int(layers["macs"].sum()),
        }
    )
    return pd.DataFrame(rows)


def shortcut_table(spec: ResNetSpec, input_size: int | None = None, layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each block's shortcut: what it is, the shapes it joins, and why it needs to project.

    ``kind`` is ``identity`` (drawn solid), ``projection`` (1x1 conv, drawn dashed), ``zero_pad``
    (option A: identity with stride-2 subsampling and zero channels) or ``none`` (plain network).

    Returns:
        DataFrame with columns block ("layer2.0"), paper_name ("conv3_1"), stage, index, kind,
        variant (the Identity Mappings shortcut variant), input_shape, output_shape, stride (of the
        block: input side / output side, 1 where the map keeps its size), reason, params (of the
        shortcut path, gates included).
    """
    layers = layer_table(spec, input_size) if layers is None else layers
    # Plain records, one pass: a pandas selection per block took seconds for ResNet-1202's 600 blocks.
    blocks: dict[str, list[dict]] = {}
    for row in layers[layers["block"].notna()].to_dict("records"):
        blocks.setdefault(block_of(row["name"]), []).append(row)
    return pd.DataFrame([_shortcut_row(spec, block, group) for block, group in blocks.items()])


def _shortcut_row(spec: ResNetSpec, block: str, group: list[dict]) -> dict:
    """One `shortcut_table` row from the block's `layer_table` records, in execution order."""
    types = {r["type"] for r in group}
    on_shortcut = [r for r in group if is_shortcut_part(r["name"]) or is_gate_part(r["name"])]
    if "Add" not in types:
        kind = "none"
    elif any(is_shortcut_part(r["name"]) and r["type"] == "Conv2d" for r in group):
        kind = "projection"
    elif "ZeroPadShortcut" in types:
        kind = "zero_pad"
    else:
        kind = "identity"
    cin, cout = group[0]["input_shape"], group[-1]["output_shape"]
    return {
        "block": block,
        "paper_name": paper_name(block),
        "stage": group[0]["stage"],
        "index": int(group[0]["block"]),
        "kind": kind,
        "variant": spec.shortcut_variant if kind != "none" else "",
        "input_shape": cin,
        "output_shape": cout,
        "stride": int(cin[1]) // int(cout[1]),
        "reason": _shortcut_reason(spec, kind, cin, cout),
        "params": int(sum(r["params"] for r in on_shortcut)),
    }


def shape_changes(shortcuts: pd.DataFrame) -> dict[str, list[str]]:
    """Where a network's blocks change shape, from `shortcut_table`: the paper names of its blocks that
    halve the map (``"strided"``, e.g. conv3_1) and of those that change only the channels (``"channels_only"``,
    e.g. conv2_1 of a bottleneck ResNet, 64 -> 256 at stride 1)."""
    channels = [i[0] != o[0] for i, o in zip(shortcuts["input_shape"], shortcuts["output_shape"])]
    channels_change = pd.Series(channels, index=shortcuts.index, dtype=bool)
    strided = shortcuts["stride"] > 1
    return {
        "strided": list(shortcuts.loc[strided, "paper_name"]),
        "channels_only": list(shortcuts.loc[~strided & channels_change, "paper_name"]),
    }


def _stage_description(spec: ResNetSpec, stage: str) -> str:
    if stage == "conv1":
        if spec.style == "imagenet":
            return _("7x7, {width}, stride 2").format(width=spec.stem_width)
        return f"3x3, {spec.stem_width}"
    if stage == "head":
        return _("average pool, {classes}-d fc").format(classes=spec.num_classes)
    i = stage_index(layer_name(stage)) - 1  # conv2_x -> layer1 -> 0
    w, n = spec.widths[i], spec.layers[i]
    if spec.block == "basic":
        text = f"[3x3, {w}; 3x3, {w}] x {n}"
    else:
        text = f"[1x1, {w}; 3x3, {w}; 1x1, {w * spec.expansion}] x {n}"
    if i == 0 and spec.style == "imagenet":
        text = _("3x3 max pool, stride 2; {blocks}").format(blocks=text)
    return text


def _shortcut_reason(spec: ResNetSpec, kind: str, cin: tuple, cout: tuple) -> str:
    if kind == "none":
        return _("plain network: no shortcut")
    changes = []
    if cin[0] != cout[0]:
        changes.append(_("channels {before} -> {after}").format(before=cin[0], after=cout[0]))
    if cin[1] != cout[1]:
        maps = f"{cin[1]}x{cin[2]} -> {cout[1]}x{cout[2]}"
        changes.append(_("stride {stride} ({maps})").format(stride=cin[1] // cout[1], maps=maps))
    if kind == "identity":
        return _("shapes match: identity")
    what = "; ".join(changes)
    if kind == "zero_pad":
        return _("{changes}: option A subsamples and pads zeros (no parameters)").format(changes=what)
    if not changes:
        if spec.shortcut_variant == "conv1x1":
            return _("shapes match, but 1x1 conv shortcut variant")
        return _("shapes match, but option C projects every shortcut")
    return _("{changes}: 1x1 projection").format(changes=what)


def block_summary(layers: pd.DataFrame) -> pd.DataFrame:
    """Collapse a `layer_table` to one row per block (layers outside blocks stay as they are).

    Returns:
        DataFrame with the layer table's columns; a block row is named after the block
        ("layer2.0"), has type "Block (n layers)" (in the current language), the input shape of its
        first layer, the output shape of its last, and the summed params and MACs.
    """
    key = layers["name"].map(block_of).fillna(layers["name"])
    rows = []
    for name, group in layers.groupby(key, sort=False):
        if len(group) == 1 and group["name"].iloc[0] == name:
            rows.append(group.iloc[0].to_dict())
            continue
        strides = group.loc[group["type"] == "Conv2d", "stride"].dropna()
        rows.append(
            {
                "name": name,
                "type": _("Block ({count} layers)").format(count=len(group)),
                "stage": group["stage"].iloc[0],
                "block": group["block"].iloc[0],
                "input_shape": group["input_shape"].iloc[0],
                "output_shape": group["output_shape"].iloc[-1],
                "kernel": "",
                "stride": int(strides.max()) if len(strides) else pd.NA,
                "params": int(group["params"].sum()),
                "macs": int(group["macs"].sum()),
            }
        )
    table = pd.DataFrame(rows, columns=LAYER_COLUMNS)
    table[["block", "stride"]] = table[["block", "stride"]].astype("Int64")
    return table
