"""Analysis tables: every layer, the paper's Table 1, and every shortcut.

One function traces a network (`layer_table`); the stage and shortcut tables are views of it, so
each number is computed in exactly one place. Tracing runs on PyTorch's "meta" device: modules
and tensors carry shapes but no storage, so even ResNet-1202 is traced without allocating a
single activation.

Conventions (as in He et al. 2015, whose "FLOPs" are multiply-adds):
* ``macs`` counts multiply-accumulates of convolutions and the fc layer for one image.
  Element-wise work (BN, ReLU, pooling, shortcut additions, gates) is listed with 0.
* shapes are ``(C, H, W)`` for one image (no batch dimension); the fc input is ``(C,)``.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from ..device import device_of
from ..i18n import N_, _
from .model import Add, ResNet, ZeroPadShortcut
from .naming import (
    block_of,
    is_gate_part,
    is_shortcut_part,
    is_stem,
    layer_name,
    paper_name,
    split_block,
    stage_index,
    stage_of,
)
from .spec import ResNetSpec, default_input_size
from .trace import _use_shape_only_forwards

LAYER_COLUMNS = [
    N_("name"), N_("type"), N_("stage"), N_("block"), "input_shape", "output_shape",
    N_("kernel"), N_("stride"), N_("params"), N_("macs"),
]  # fmt: skip


# Stage names that are words ("conv2_x" is a name): translate them where shown, with _().
STAGE_WORDS = (N_("head"), N_("total"))


def layer_table(spec_or_model: ResNetSpec | nn.Module, input_size: int | None = None) -> pd.DataFrame:
    """One row per layer in execution order, plus one row per shortcut addition (type ``Add``).

    Args:
        spec_or_model: a spec, or a model. Our own models (with ``.spec``) are traced through a
            meta-device twin; any other model runs one real forward pass at batch size 1.
        input_size: side of the square input image; defaults to the style's (224 or 32).

    Returns:
        DataFrame with columns name, type, stage ("conv1", "conv2_x", ..., "head"), block (1-based
        index within the stage, or <NA>), input_shape and output_shape (tuples, (C, H, W)), kernel
        and stride (e.g. "3x3", 2, or empty), params, macs.
    """
    spec = spec_or_model if isinstance(spec_or_model, ResNetSpec) else getattr(spec_or_model, "spec", None)
    if input_size is None:
        input_size = spec.default_input_size if spec is not None else default_input_size("imagenet")
    size = input_size
    _check_input_size(size, spec)
    if spec is not None:
        model = ResNet(spec, device="meta")
        x = torch.empty(1, spec.in_channels, size, size, device="meta")
        _use_shape_only_forwards(model)
    else:
        model = spec_or_model
        in_channels = _first_conv(model).in_channels
        x = torch.zeros(1, in_channels, size, size, device=device_of(model))

    rows: list[dict] = []
    leaves = [(n, m) for n, m in model.named_modules() if n and (not any(m.children()) or isinstance(m, Add))]

    def record(name: str, module: nn.Module):
        def hook(_module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            rows.append(_row(name, module, tuple(inputs[0].shape[1:]), tuple(output.shape[1:])))

        return hook

    handles = [m.register_forward_hook(record(n, m)) for n, m in leaves]
    was_training = model.training
    try:
        model.eval()  # a real forward in train mode would update BatchNorm statistics
        with torch.no_grad():
            model(x)
    except RuntimeError as err:  # e.g. an input too small for an arbitrary model's downsampling
        raise ValueError(_("Input size {size} does not fit this model: {error}").format(size=size, error=err)) from None
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    table = pd.DataFrame(rows, columns=LAYER_COLUMNS)
    table[["block", "stride"]] = table[["block", "stride"]].astype("Int64")
    return table


def stage_table(spec: ResNetSpec, input_size: int | None = None, layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paper's Table 1 for any spec: one row per stage plus a total.

    Args:
        spec: the network.
        input_size: input side (default 224 ImageNet / 32 CIFAR).
        layers: a `layer_table` already computed for this spec and size (saves a trace).

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
    in_block = layers[layers["block"].notna()]
    shortcut_part = in_block["name"].map(is_shortcut_part)  # projection, zero-pad, dropout
    in_block = in_block.assign(
        _on_shortcut=shortcut_part | in_block["name"].map(is_gate_part),  # ... and the gate
        _projection=shortcut_part & (in_block["type"] == "Conv2d"),
    )
    rows = []
    for block, group in in_block.groupby(in_block["name"].map(block_of), sort=False):
        shortcut_rows = group[group["_on_shortcut"]]
        has_add = (group["type"] == "Add").any()
        if not has_add:
            kind = "none"
        elif group["_projection"].any():
            kind = "projection"
        elif (group["type"] == "ZeroPadShortcut").any():
            kind = "zero_pad"
        else:
            kind = "identity"
        cin, cout = group["input_shape"].iloc[0], group["output_shape"].iloc[-1]
        rows.append(
            {
                "block": block,
                "paper_name": paper_name(block),
                "stage": group["stage"].iloc[0],
                "index": int(group["block"].iloc[0]),
                "kind": kind,
                "variant": spec.shortcut_variant if has_add else "",
                "input_shape": cin,
                "output_shape": cout,
                "stride": int(cin[1]) // int(cout[1]),
                "reason": _shortcut_reason(spec, kind, cin, cout),
                "params": int(shortcut_rows["params"].sum()),
            }
        )
    return pd.DataFrame(rows)


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


def _row(name: str, module: nn.Module, in_shape: tuple, out_shape: tuple) -> dict:
    kernel, stride, macs = "", pd.NA, 0
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        kernel, stride = f"{kh}x{kw}", module.stride[0]
        macs = _numel(out_shape) * (module.in_channels // module.groups) * kh * kw
    elif isinstance(module, nn.Linear):
        macs = module.in_features * module.out_features
    elif isinstance(module, nn.MaxPool2d):
        k = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
        kernel, stride = f"{k}x{k}", module.stride if isinstance(module.stride, int) else module.stride[0]
    elif isinstance(module, ZeroPadShortcut):
        stride = module.stride
    stage, block = _stage_and_block(name)
    return {
        "name": name,
        "type": type(module).__name__,
        "stage": stage,
        "block": block,
        "input_shape": in_shape,
        "output_shape": out_shape,
        "kernel": kernel,
        "stride": stride,
        "params": sum(p.numel() for p in module.parameters(recurse=False)),
        "macs": macs,
    }


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


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _first_conv(model: nn.Module) -> nn.Conv2d:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m
    raise ValueError(_("layer_table needs a convolutional network (no Conv2d found)."))


def _check_input_size(size: int, spec: ResNetSpec | None) -> None:
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
