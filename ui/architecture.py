"""Cached loaders for the architecture pages (Architecture, Shortcuts): tables, figures, block prose.

Specs travel as JSON strings so Streamlit can hash them; every loader reuses the one cached layer
table of a (spec, input size). The library is imported inside the loaders, so Home draws before torch.
Loaders whose result holds text take the user's ``language`` (`i18n.language()`): one cache entry per language.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz import i18n
from resnet_viz.formatting import human
from resnet_viz.i18n import N_, _
from resnet_viz.nets.spec import ResNetSpec

from .text import translated_columns

# Values of the analysis tables that are words, shown translated.
BLOCK_LABELS = {"basic": N_("basic"), "bottleneck": N_("bottleneck")}


def stage_label(stage: str) -> str:
    """A stage as shown: the paper's names (conv2_x) stay, "head" and "total" in the user's language."""
    from resnet_viz.nets.tables import STAGE_WORDS

    return _(stage) if stage in STAGE_WORDS else stage


@st.cache_data(show_spinner=False, max_entries=64)  # pages wrap it in `computing`
def layer_table(spec_json: str, input_size: int):
    from resnet_viz import layer_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def stage_table(spec_json: str, input_size: int, language: str):
    from resnet_viz import stage_table as compute

    with i18n.use_language(language):
        return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def shortcut_table(spec_json: str, input_size: int, language: str):
    from resnet_viz import shortcut_table as compute

    with i18n.use_language(language):
        return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def paper_checks(spec_json: str, input_size: int, language: str):
    from resnet_viz import paper_checks as compute

    with i18n.use_language(language):
        return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def memory_verdict(spec_json: str, input_size: int, language: str) -> tuple[int, int, str | None]:
    """(parameters, bytes to train at batch 1, message if it would not fit on this machine)."""
    from resnet_viz import ModelTooLargeError, check_fits, estimate_memory

    spec = ResNetSpec.from_json(spec_json)
    estimate = estimate_memory(spec, input_size)
    try:
        with i18n.use_language(language):
            check_fits(spec, input_size=input_size)
        message = None
    except ModelTooLargeError as err:
        message = str(err)
    return estimate.params, estimate.total_bytes, message


@st.cache_data(show_spinner=False, max_entries=16)  # pages show a spinner: its text is translated there
def side_by_side(spec_jsons: tuple[str, ...], input_size: int, language: str):
    from resnet_viz import side_by_side as compute

    with i18n.use_language(language):
        return compute([ResNetSpec.from_json(s) for s in spec_jsons], input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def block_summary(spec_json: str, input_size: int, language: str):
    from resnet_viz import block_summary as compute

    with i18n.use_language(language):
        return compute(layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def stage_cost_figure(spec_json: str, input_size: int, language: str):
    from resnet_viz.figures.costs import stage_cost_chart

    with i18n.use_language(language):
        stages = stage_table(spec_json, input_size, language)
        stages = stages[stages["stage"] != "total"]
        return stage_cost_chart(stages.assign(stage=stages["stage"].map(stage_label)))


def displayable(layers):
    """A layer table ready to show: shapes in paper notation (H x W x C), headers in the user's language, and
    empty cells blank (st.dataframe writes a missing value as a grey "None"; a BN layer simply has no stride)."""
    from resnet_viz import format_shape

    blank = {c: layers[c].map(lambda v: "" if pd.isna(v) else str(v)) for c in ("block", "stride") if c in layers}
    stages = {"stage": layers["stage"].map(stage_label)} if "stage" in layers else {}
    shown = layers.assign(
        input_shape=layers["input_shape"].map(format_shape),
        output_shape=layers["output_shape"].map(format_shape),
        **blank,
        **stages,
    ).rename(columns={"input_shape": _("input (HxWxC)"), "output_shape": _("output (HxWxC)")})
    return translated_columns(shown)


def computing(spec: ResNetSpec, what: str):
    """A spinner in the page for work that can take seconds on deep nets; shows after half a second, so
    cached calls stay silent. ``what`` (translated) may name ``{net}`` ("ResNet-1202 (CIFAR), 1202 layers")
    and ``{blocks}``."""
    net = _("{name}, {depth} layers").format(name=spec.display_name, depth=spec.depth)
    return st.spinner(what.format(net=net, blocks=sum(spec.layers)) + "…", show_time=True)


@st.cache_data(show_spinner=False, max_entries=32)
def option_costs(spec_json: str, input_size: int, language: str):
    from resnet_viz import shortcut_option_costs

    with i18n.use_language(language):
        costs = shortcut_option_costs(ResNetSpec.from_json(spec_json), input_size)
        shown = costs.assign(
            shortcut_params=costs["shortcut_params"].map(lambda n: f"{n:,}"),
            total_params=costs["total_params"].map(human),
            share=costs["share"].map(lambda s: f"{100 * s:.2f} %"),
            shortcut_macs=costs["shortcut_macs"].map(human),
            total_macs=costs["total_macs"].map(human),
        ).rename(
            columns={
                "shortcut_params": _("shortcut params"),
                "total_params": _("network params"),
                "shortcut_macs": _("shortcut multiply-adds"),
                "total_macs": _("network multiply-adds"),
            }
        )
        return translated_columns(shown)


@st.cache_data(show_spinner=False, max_entries=32)  # pages wrap it in `computing`
def shortcut_figure(spec_json: str, input_size: int, fold: bool, language: str):
    from resnet_viz.figures.shortcut_diagram import shortcut_diagram

    spec = ResNetSpec.from_json(spec_json)
    with i18n.use_language(language):
        return shortcut_diagram(shortcut_table(spec_json, input_size, language), fold=fold, title=spec.display_name)


@st.cache_data(show_spinner=False, max_entries=64)
def block_figure(spec_json: str, input_size: int, block: str, language: str):
    from resnet_viz.figures.block_diagram import block_diagram

    with i18n.use_language(language):
        return block_diagram(layer_table(spec_json, input_size), block, spec=ResNetSpec.from_json(spec_json))


def block_explanation(spec: ResNetSpec) -> str:
    """A few sentences on what the block view shows for this spec."""
    parts = []
    if spec.block == "basic":
        parts.append(_("A **basic block** has two 3x3 convolutions; the first one carries the stride."))
    elif spec.stride_on == "1x1":
        parts.append(
            _(
                "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
                "expands 4x with a 1x1. In a downsampling block the stride sits on the first 1x1 (the paper, v1): "
                "a strided 1x1 simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate at "
                "a little more compute."
            )
        )
    else:
        parts.append(
            _(
                "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
                "expands 4x with a 1x1. In a downsampling block the stride sits on the 3x3 (torchvision, v1.5): "
                "a strided 1x1 simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate at "
                "a little more compute."
            )
        )
    orders = {
        "original": _("Unit ordering: conv-BN-ReLU, conv-BN, then the addition and a final ReLU (post-activation)."),
        "bn_after_add": _("Unit ordering: BN moved after the addition, so it also normalises the shortcut signal."),
        "relu_before_add": _(
            "Unit ordering: the ReLU moved before the addition, so F(x) can only add, never subtract."
        ),
        "relu_preact": _(
            "Unit ordering: the ReLU moved to the start of the branch; the addition's output is left untouched."
        ),
        "preact": _(
            "Unit ordering: BN and ReLU before each conv (pre-activation), so the shortcut path is a clean "
            "identity from block to block."
        ),
    }
    if spec.residual:
        parts.append(orders[spec.unit])
    else:
        parts.append(_("Plain network: the branch is all there is, no shortcut and no addition."))
    return "\n\n".join(parts)


def shape_change_explanation(spec: ResNetSpec, shortcuts: pd.DataFrame) -> str:
    """Why the shapes change where they do, read from this network's `shortcut_table` (never generic)."""
    from resnet_viz.formatting import format_shape
    from resnet_viz.nets.tables import shape_changes

    where = shape_changes(shortcuts)
    rows = shortcuts.set_index("paper_name")
    parts = []
    if where["strided"]:
        names = ", ".join(f"**{n}**" for n in where["strided"])
        parts.append(
            _(
                "The map is halved (stride {stride}) and the width grows at {blocks}: the first block of each "
                "later stage."
            ).format(stride=int(rows.loc[where["strided"][0], "stride"]), blocks=names)
        )
    for name in where["channels_only"]:
        cin, cout = rows.loc[name, "input_shape"], rows.loc[name, "output_shape"]
        parts.append(
            _(
                "At **{block}** only the channels change ({before} -> {after}, {input} -> {output}, stride 1): "
                "the first bottleneck block widens 4x without shrinking the map."
            ).format(block=name, before=cin[0], after=cout[0], input=format_shape(cin), output=format_shape(cout))
        )
    if not parts:
        return _("No block changes the shape here: every shortcut joins tensors of the same shape.")
    changing = rows.loc[where["strided"] + where["channels_only"]]
    kinds = set(changing["kind"])
    parts.append(_("There x and F(x) have different shapes, so x cannot be added as it is:"))
    if "zero_pad" in kinds:
        parts.append(
            _(
                "with **option A** (this network) the shortcut takes every other pixel where the stride is 2 and "
                "pads the new channels with zeros: no parameters."
            )
        )
    if "projection" in kinds:
        projected = changing[changing["kind"] == "projection"]
        how = "; ".join(
            _("stride {stride} at {blocks}").format(stride=stride, blocks=", ".join(group.index))
            for stride, group in projected.groupby("stride", sort=False)
        )
        if spec.shortcut in ("B", "C"):
            text = _("with **option {option}** a 1x1 convolution projects it, with its BN ({where}).")
        else:
            text = _("with **this network** a 1x1 convolution projects it, with its BN ({where}).")
        parts.append(text.format(option=spec.shortcut, where=how))
    identity = int((shortcuts["kind"] == "identity").sum())
    same_shape = shortcuts["input_shape"] == shortcuts["output_shape"]
    projected_same = int(((shortcuts["kind"] == "projection") & same_shape).sum())
    if projected_same:
        parts.append(_("Option C also projects the {count} blocks whose shapes match.").format(count=projected_same))
    if identity:
        parts.append(
            _("Everywhere else ({count} blocks) the shapes match and the shortcut is a plain identity.").format(
                count=identity
            )
        )
    return " ".join(parts)


def displayable_checks(checks: pd.DataFrame) -> pd.DataFrame:
    """`paper_checks` for a table on screen: counts human-readable with the exact value beside them
    ("25.6M (25,557,032)", never 2.555703e+07), multiply-adds in G to three decimals, a match mark; words and
    headers in the user's language."""

    def readable(value: float, quantity: str, printed: bool = False) -> str:
        if "1e9" in quantity:  # the paper's figure as printed; ours to three decimals
            return f"{value:g}G" if printed else f"{value:.3f}G"
        if value >= 1000:
            return f"{human(value)} ({value:,.0f})"
        return f"{value:g}"

    shown = checks.assign(
        quantity=checks["quantity"].map(_),
        paper=[readable(v, q, printed=True) for v, q in zip(checks["paper"], checks["quantity"])],
        ours=[readable(v, q) for v, q in zip(checks["ours"], checks["quantity"])],
        matches=checks["matches"].map({True: _("✅ matches"), False: _("❌ differs")}),
    )
    return translated_columns(shown)


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_designs(spec_json: str, input_size: int, language: str):
    """`costs.bottleneck_vs_basic` for a bottleneck spec (meta device: no memory used)."""
    from resnet_viz.nets.costs import bottleneck_vs_basic

    with i18n.use_language(language):
        return bottleneck_vs_basic(ResNetSpec.from_json(spec_json), input_size)


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_figure(spec_json: str, input_size: int, language: str):
    from resnet_viz.figures.costs import design_costs

    spec = ResNetSpec.from_json(spec_json)
    with i18n.use_language(language):
        title = _("{depth} layers, three block designs").format(depth=spec.depth)
        return design_costs(bottleneck_designs(spec_json, input_size, language), title=title)
