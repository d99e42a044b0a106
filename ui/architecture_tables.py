"""A network's tables ready to show: stage names, shapes in the paper's notation, readable counts, blank
cells, and words and headers in the user's language (the library's tables keep their English API)."""

from __future__ import annotations

import pandas as pd

from resnet_viz.formatting import human
from resnet_viz.i18n import N_, _

from .text import translated_columns

# Values of the analysis tables that are words, shown translated.
BLOCK_LABELS = {"basic": N_("basic"), "bottleneck": N_("bottleneck")}


def stage_label(stage: str) -> str:
    """A stage as shown: the paper's names (conv2_x) stay, "head" and "total" in the user's language."""
    from resnet_viz.nets.tables import STAGE_WORDS

    return _(stage) if stage in STAGE_WORDS else stage


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


def displayable_stages(stages: pd.DataFrame) -> pd.DataFrame:
    """`stage_table` as the paper's Table 1 shows it: stage names, blank block counts where there are none
    (the stem, the head), counts human-readable, headers in the user's language."""
    shown = stages.assign(
        stage=stages["stage"].map(stage_label),
        blocks=stages["blocks"].map(lambda n: str(n) if n else ""),
        params=stages["params"].map(human),
        macs=stages["macs"].map(human),
    ).rename(columns={"stage": _("layer name"), "output_size": _("output size"), "macs": _("multiply-adds")})
    return translated_columns(shown)


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


def matches_search(table: pd.DataFrame, layers: pd.DataFrame, search: str) -> pd.Series:
    """Rows of ``table`` (a layer table, or its collapsed blocks) whose name contains ``search``, any case.

    A collapsed block row stands for its layers, so it matches when one of them does: "downsample" finds
    conv3_1 and conv4_1 in the default collapsed view instead of no row at all.
    """
    from resnet_viz.nets.naming import block_of

    def contains(names: pd.Series) -> pd.Series:
        return names.str.contains(search, case=False, regex=False)

    in_layers = layers.loc[contains(layers["name"]) & layers["block"].notna(), "name"]
    return contains(table["name"]) | table["name"].isin({block_of(name) for name in in_layers})
