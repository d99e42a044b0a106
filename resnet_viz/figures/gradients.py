"""Plotly figures for the gradient views: pure functions of `gradients.gradient_norms` tables.

Every function takes DataFrames and returns a `go.Figure`; nothing here runs a model.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..formatting import figure_text
from ..i18n import N_, _
from ..nets.naming import block_sort_key, is_block, layer_name
from .style import BLUE, INK, LEGEND_BELOW, ORANGE, layout, series_colour

SHORTCUT_COLOUR, BRANCH_COLOUR, TOTAL_COLOUR = BLUE, ORANGE, INK  # the shortcut is blue in every figure

LABELS = {  # translated where shown
    "weight_grad_norm": N_("‖∂E/∂W‖ of the block"),
    "output_grad_norm": N_("‖∂E/∂(block output)‖"),
    "input_grad_norm": N_("‖∂E/∂x_l‖ (block input)"),
    "shortcut_grad_norm": N_("shortcut part of ‖∂E/∂x_l‖"),
    "branch_grad_norm": N_("branch part of ‖∂E/∂x_l‖"),
    "shortcut_share": N_("shortcut share"),
    "response_ratio": "‖F(x)‖ / ‖x‖",
}


def gradient_vs_depth(tables: dict[str, pd.DataFrame], column: str = "weight_grad_norm") -> go.Figure:
    """One line per named table: ``column`` against depth_index on a log y axis.

    ``tables`` maps a series name ("plain-56", "ResNet-56") to a `gradient_norms` table; rows with a
    missing, infinite (overflowed) or non-positive value (log axis) are left out. Each trace has
    ``meta={"series": name}``.
    """
    fig = go.Figure()
    label = _(LABELS.get(column, column))
    for i, (name, table) in enumerate(tables.items()):
        rows = table[_finite_positive(table[column])]
        fig.add_trace(
            go.Scatter(
                x=rows["depth_index"],
                y=rows[column],
                mode="lines+markers",
                name=name,
                meta={"series": name},
                line={"color": series_colour(i)},
                marker={"size": 5},
                customdata=rows[["name"]].to_numpy(),
                hovertemplate=f"<b>{name}</b><br>%{{customdata[0]}}<br>{label} = %{{y:.3g}}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text=_("depth (block index: 0 = conv1, last = fc)"))
    fig.update_yaxes(type="log", title_text=_("{label} (log scale)").format(label=label), exponentformat="power")
    return layout(fig, _("{label} across depth").format(label=label), legend=LEGEND_BELOW)


def _finite_positive(values: pd.Series) -> pd.Series:
    """True where a value can go on a log axis: present, finite (not overflowed) and above zero."""
    v = values.astype(float)
    return pd.Series(np.isfinite(v.to_numpy()) & (v.to_numpy() > 0), index=values.index)


def shortcut_split(table: pd.DataFrame) -> go.Figure:
    """Per residual block: the shortcut part and branch part of dE/dx_l (grouped bars) and the total.

    The y axis turns logarithmic when the values span more than a factor 30, so small parts stay visible;
    bars lose their white outline when there are many blocks.
    """
    rows = table[_finite_positive(table["shortcut_grad_norm"]) | _finite_positive(table["branch_grad_norm"])]
    # The template outlines every bar in white; at 1202 layers (600 blocks, two bars each, under a pixel
    # wide) the outlines are all one sees, a pale wash: no outline past a few dozen blocks.
    outline = {} if len(rows) <= 50 else {"marker_line_width": 0}
    fig = go.Figure()
    for column, name, colour in (
        ("shortcut_grad_norm", _("shortcut part (the “1 +”)"), SHORTCUT_COLOUR),
        ("branch_grad_norm", _("branch part (∂F/∂x)"), BRANCH_COLOUR),
    ):
        fig.add_trace(
            go.Bar(
                x=rows["name"],
                y=rows[column],
                name=name,
                marker_color=colour,
                hovertemplate=f"%{{x}}<br>{name}: %{{y:.3g}}<extra></extra>",
                **outline,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=rows["name"],
            y=rows["input_grad_norm"],
            name=_("total ‖∂E/∂x_l‖"),
            mode="lines+markers",
            line={"color": TOTAL_COLOUR},
            hovertemplate=_("%{x}<br>total: %{y:.3g}<extra></extra>"),
        )
    )
    values = rows[["shortcut_grad_norm", "branch_grad_norm", "input_grad_norm"]].to_numpy().ravel()
    values = values[np.isfinite(values) & (values > 0)]
    log_y = len(values) > 0 and values.max() / values.min() > 30
    fig.update_yaxes(
        type="log" if log_y else "linear",
        title_text=_("gradient norm (log scale)") if log_y else _("gradient norm"),
        exponentformat="power",
    )
    fig.update_xaxes(title_text=_("residual block (input side)"))
    return layout(
        fig,
        _("∂E/∂x_l = ∂E/∂y·(1 + ∂F/∂x): the “1 +” term is the shortcut part"),
        barmode="group",
        legend=LEGEND_BELOW,
    )


def _as_dict(value) -> dict[str, float]:
    """A metrics cell: a dict, a JSON string of one, or missing."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        return json.loads(value)
    return {}


def gradient_heatmap(metrics: pd.DataFrame) -> go.Figure:
    """Depth x training step heat map of log10 weight-gradient norms from a run's metrics table.

    ``metrics`` has a ``step`` column and a ``grad_norms`` column of dicts {"conv1": .., "layer1": ..,
    "layer1.0": .., "fc": ..}. Stage keys ("layer1") are aggregates and are skipped; the rows are
    conv1, the blocks in depth order and fc (top to bottom: input side first). z has shape
    (blocks + 2, steps); missing or non-positive norms are NaN (gaps).
    """
    cells = [(step, _as_dict(g)) for step, g in zip(metrics["step"], metrics["grad_norms"])]
    cells = [(step, g) for step, g in cells if g]
    names = sorted({k for _step, g in cells for k in g if is_block(k) or k in ("conv1", "fc")}, key=block_sort_key)
    steps = [step for step, _g in cells]
    z = np.full((len(names), len(steps)), np.nan)
    for j, (_step, g) in enumerate(cells):
        for i, name in enumerate(names):
            v = g.get(name)
            if v is not None and isinstance(v, (int, float)) and math.isfinite(v) and v > 0:
                z[i, j] = math.log10(v)
    fig = go.Figure(
        go.Heatmap(
            x=steps,
            y=names,
            z=z,
            colorscale="Viridis",
            colorbar={"title": "log10 ‖∂E/∂W‖"},
            hovertemplate=_("step %{x}<br>%{y}<br>log10 norm %{z:.2f}<extra></extra>"),
        )
    )
    fig.update_yaxes(autorange="reversed", title_text=_("block (input side at the top)"), type="category")
    fig.update_xaxes(title_text=_("training step"))
    return layout(fig, _("Weight-gradient norm per block during training"))


def stage_histograms(table: pd.DataFrame | dict[str, pd.DataFrame]) -> go.Figure:
    """Per stage, the spread of log10 per-block weight-gradient norms: one box per stage and table.

    ``table`` is one `gradient_norms` table or a dict of named ones (e.g. plain vs residual), drawn as
    coloured groups of boxes; the stem and the head are single rows and appear as single points.
    """
    tables = table if isinstance(table, dict) else {_("network"): table}
    fig = go.Figure()
    stages: set[str] = set()
    for i, (name, t) in enumerate(tables.items()):
        rows = t[_finite_positive(t["weight_grad_norm"])]
        stages |= set(rows["stage"])
        fig.add_trace(
            go.Box(
                x=rows["stage"],
                y=np.log10(rows["weight_grad_norm"].to_numpy()),
                name=name,
                meta={"series": name},
                marker_color=series_colour(i),
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                customdata=rows[["name"]].to_numpy(),
                hovertemplate=f"<b>{name}</b><br>%{{customdata[0]}}<br>" + _("log10 norm %{y:.2f}<extra></extra>"),
            )
        )
    # Stages from input to output (conv1, conv2_x, ..., head), whichever table happens to have them first.
    fig.update_xaxes(title_text=_("stage"), categoryorder="array", categoryarray=sorted(stages, key=_stage_key))
    fig.update_yaxes(title_text=_("log10 ‖∂E/∂W‖ per block"))
    return layout(fig, _("Weight-gradient norms per stage"), boxmode="group", legend=LEGEND_BELOW)


def _stage_key(stage: str) -> tuple[int, int, int]:
    """Input-to-output order of a table's stage labels: "conv1", "conv2_x", ..., "head"."""
    try:
        return block_sort_key(layer_name(stage))  # "conv3_x" -> "layer2"
    except ValueError:
        return block_sort_key(stage)  # "conv1" is the stem, "head" sorts last


def spread_over_training(spreads: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """One line per run: log10 of the max / min weight-gradient norm over the blocks, against the step.

    ``spreads`` is `gradients.spread_during_training`; ``names`` labels each run_id ("plain-56"): run names users
    typed, shown as text (`figure_text`).
    """
    fig = go.Figure()
    for i, (run_id, rows) in enumerate(spreads.groupby("run_id", sort=False)):
        name = figure_text(names.get(int(run_id)) or _("run {id}").format(id=run_id))
        fig.add_trace(
            go.Scatter(
                x=rows["step"],
                y=rows["spread"],
                name=name,
                mode="lines+markers",
                line={"color": series_colour(i)},
                meta={"series": name},
                hovertemplate=_("step %{x}<br>spread 10^%{y:.2f}") + f"<extra>{name}</extra>",
            )
        )
    fig.update_xaxes(title_text=_("training step"))
    fig.update_yaxes(title_text=_("log10(max / min) of ‖∂E/∂W‖ over blocks"), rangemode="tozero")
    return layout(fig, _("How unevenly the blocks get gradient, during training"), legend=LEGEND_BELOW)
