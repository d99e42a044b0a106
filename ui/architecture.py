"""Cached loaders for the architecture pages (Architecture, Shortcuts): tables, figures, block prose.

Specs travel as JSON strings so Streamlit can hash them; every loader reuses the one cached layer
table of a (spec, input size). The library is imported inside the loaders, so Home draws before torch.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz.formatting import human
from resnet_viz.spec import ResNetSpec


@st.cache_data(show_spinner=False, max_entries=64)  # pages wrap it in `computing`
def layer_table(spec_json: str, input_size: int):
    from resnet_viz import layer_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def stage_table(spec_json: str, input_size: int):
    from resnet_viz import stage_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def shortcut_table(spec_json: str, input_size: int):
    from resnet_viz import shortcut_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def paper_checks(spec_json: str, input_size: int):
    from resnet_viz import paper_checks as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def memory_verdict(spec_json: str, input_size: int) -> tuple[int, int, str | None]:
    """(parameters, bytes to train at batch 1, message if it would not fit on this machine)."""
    from resnet_viz import ModelTooLargeError, check_fits, estimate_memory

    spec = ResNetSpec.from_json(spec_json)
    estimate = estimate_memory(spec, input_size)
    try:
        check_fits(spec, input_size=input_size)
        message = None
    except ModelTooLargeError as err:
        message = str(err)
    return estimate.params, estimate.total_bytes, message


@st.cache_data(show_spinner="Tracing the networks…", max_entries=16)
def side_by_side(spec_jsons: tuple[str, ...], input_size: int):
    from resnet_viz import side_by_side as compute

    return compute([ResNetSpec.from_json(s) for s in spec_jsons], input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def block_summary(spec_json: str, input_size: int):
    from resnet_viz import block_summary as compute

    return compute(layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def stage_cost_figure(spec_json: str, input_size: int):
    from resnet_viz.figures.architecture import stage_cost_chart

    return stage_cost_chart(stage_table(spec_json, input_size))


def displayable(layers):
    """A layer table ready to show: shapes in paper notation (H x W x C), friendly headers, and empty
    cells blank (st.dataframe writes a missing value as a grey "None"; a BN layer simply has no stride)."""
    from resnet_viz import format_shape

    blank = {c: layers[c].map(lambda v: "" if pd.isna(v) else str(v)) for c in ("block", "stride") if c in layers}
    return layers.assign(
        input_shape=layers["input_shape"].map(format_shape),
        output_shape=layers["output_shape"].map(format_shape),
        **blank,
    ).rename(columns={"input_shape": "input (HxWxC)", "output_shape": "output (HxWxC)"})


def computing(spec: ResNetSpec, what: str):
    """A spinner in the page for work that can take seconds on deep nets; shows after half a second, so
    cached calls stay silent. ``what`` may name ``{net}`` ("ResNet-1202 (CIFAR), 1202 layers") and ``{blocks}``."""
    blocks = sum(spec.layers)
    return st.spinner(f"{what.format(net=f'{spec.name}, {spec.depth} layers', blocks=blocks)}…", show_time=True)


@st.cache_data(show_spinner=False, max_entries=32)
def option_costs(spec_json: str, input_size: int):
    from resnet_viz import shortcut_option_costs

    costs = shortcut_option_costs(ResNetSpec.from_json(spec_json), input_size)
    return costs.assign(
        shortcut_params=costs["shortcut_params"].map(lambda n: f"{n:,}"),
        total_params=costs["total_params"].map(human),
        share=costs["share"].map(lambda s: f"{100 * s:.2f} %"),
        shortcut_macs=costs["shortcut_macs"].map(human),
        total_macs=costs["total_macs"].map(human),
    ).rename(
        columns={
            "shortcut_params": "shortcut params",
            "total_params": "network params",
            "share": "share",
            "shortcut_macs": "shortcut multiply-adds",
            "total_macs": "network multiply-adds",
        }
    )


@st.cache_data(show_spinner=False, max_entries=32)  # pages wrap it in `computing`
def shortcut_figure(spec_json: str, input_size: int, fold: bool):
    from resnet_viz.figures.architecture import shortcut_diagram

    spec = ResNetSpec.from_json(spec_json)
    return shortcut_diagram(shortcut_table(spec_json, input_size), fold=fold, title=spec.name)


@st.cache_data(show_spinner=False, max_entries=64)
def block_figure(spec_json: str, input_size: int, block: str):
    from resnet_viz.figures.architecture import block_diagram

    return block_diagram(layer_table(spec_json, input_size), block, spec=ResNetSpec.from_json(spec_json))


def block_explanation(spec: ResNetSpec) -> str:
    """A few sentences on what the block view shows for this spec."""
    parts = []
    if spec.block == "basic":
        parts.append("A **basic block** has two 3x3 convolutions; the first one carries the stride.")
    else:
        where = "the first 1x1 (the paper, v1)" if spec.stride_on == "1x1" else "the 3x3 (torchvision, v1.5)"
        parts.append(
            "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
            f"expands 4x with a 1x1. In a downsampling block the stride sits on {where}: a strided 1x1 "
            "simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate at a little "
            "more compute."
        )
    orders = {
        "original": "conv-BN-ReLU, conv-BN, then the addition and a final ReLU (post-activation).",
        "bn_after_add": "BN moved after the addition, so it also normalises the shortcut signal.",
        "relu_before_add": "the ReLU moved before the addition, so F(x) can only add, never subtract.",
        "relu_preact": "the ReLU moved to the start of the branch; the addition's output is left untouched.",
        "preact": "BN and ReLU before each conv (pre-activation), so the shortcut path is a clean identity "
        "from block to block.",
    }
    if spec.residual:
        parts.append(f"Unit ordering: {orders[spec.unit]}")
    else:
        parts.append("Plain network: the branch is all there is, no shortcut and no addition.")
    return "\n\n".join(parts)


def shape_change_explanation(spec: ResNetSpec, shortcuts: pd.DataFrame) -> str:
    """Why the shapes change where they do, read from this network's `shortcut_table` (never generic)."""
    from resnet_viz.analysis import shape_changes
    from resnet_viz.formatting import format_shape

    where = shape_changes(shortcuts)
    rows = shortcuts.set_index("paper_name")
    parts = []
    if where["strided"]:
        names = ", ".join(f"**{n}**" for n in where["strided"])
        parts.append(
            f"The map is halved (stride {int(rows.loc[where['strided'][0], 'stride'])}) and the width grows at "
            f"{names}: the first block of each later stage."
        )
    for name in where["channels_only"]:
        cin, cout = rows.loc[name, "input_shape"], rows.loc[name, "output_shape"]
        parts.append(
            f"At **{name}** only the channels change ({cin[0]} -> {cout[0]}, {format_shape(cin)} -> "
            f"{format_shape(cout)}, stride 1): the first bottleneck block widens 4x without shrinking the map."
        )
    if not parts:
        return "No block changes the shape here: every shortcut joins tensors of the same shape."
    changing = rows.loc[where["strided"] + where["channels_only"]]
    kinds = set(changing["kind"])
    parts.append("There x and F(x) have different shapes, so x cannot be added as it is:")
    if "zero_pad" in kinds:
        parts.append(
            "with **option A** (this network) the shortcut takes every other pixel where the stride is 2 and pads "
            "the new channels with zeros: no parameters."
        )
    if "projection" in kinds:
        projected = changing[changing["kind"] == "projection"]
        how = "; ".join(
            f"stride {stride} at {', '.join(group.index)}" for stride, group in projected.groupby("stride", sort=False)
        )
        option = f"option {spec.shortcut}" if spec.shortcut in ("B", "C") else "this network"
        parts.append(f"with **{option}** a 1x1 convolution projects it, with its BN ({how}).")
    identity = int((shortcuts["kind"] == "identity").sum())
    same_shape = shortcuts["input_shape"] == shortcuts["output_shape"]
    projected_same = int(((shortcuts["kind"] == "projection") & same_shape).sum())
    if projected_same:
        parts.append(f"Option C also projects the {projected_same} blocks whose shapes match.")
    if identity:
        parts.append(f"Everywhere else ({identity} blocks) the shapes match and the shortcut is a plain identity.")
    return " ".join(parts)


def displayable_checks(checks: pd.DataFrame) -> pd.DataFrame:
    """`paper_checks` for a table on screen: counts human-readable with the exact value beside them
    ("25.6M (25,557,032)", never 2.555703e+07), multiply-adds in G to three decimals, a match mark."""

    def readable(value: float, quantity: str, printed: bool = False) -> str:
        if "1e9" in quantity:  # the paper's figure as printed; ours to three decimals
            return f"{value:g}G" if printed else f"{value:.3f}G"
        if value >= 1000:
            return f"{human(value)} ({value:,.0f})"
        return f"{value:g}"

    return checks.assign(
        paper=[readable(v, q, printed=True) for v, q in zip(checks["paper"], checks["quantity"])],
        ours=[readable(v, q) for v, q in zip(checks["ours"], checks["quantity"])],
        matches=checks["matches"].map({True: "✅ matches", False: "❌ differs"}),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_designs(spec_json: str, input_size: int):
    """`analysis.bottleneck_vs_basic` for a bottleneck spec (meta device: no memory used)."""
    from resnet_viz.analysis import bottleneck_vs_basic

    return bottleneck_vs_basic(ResNetSpec.from_json(spec_json), input_size)


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_figure(spec_json: str, input_size: int):
    from resnet_viz.figures.architecture import design_costs

    spec = ResNetSpec.from_json(spec_json)
    return design_costs(bottleneck_designs(spec_json, input_size), title=f"{spec.depth} layers, three block designs")
