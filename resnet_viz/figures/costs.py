"""Cost charts: parameters and multiply-adds per stage, and what three block designs cost."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..formatting import human, prefix_of
from ..i18n import _
from .style import BLUE, GREEN, GRID, LEGEND_BELOW, NEUTRAL, ORANGE, layout


def stage_cost_chart(stages: pd.DataFrame) -> go.Figure:
    """Parameters and multiply-adds per stage, as two bar charts side by side.

    What the reader sees: parameters pile up in the last stages (wide layers on small maps), while
    multiply-adds are spread much more evenly, because each stage halves the map as it doubles the
    width. Bars are labelled in readable units (`formatting.human`: k, M, G); hover gives exact counts.

    Args:
        stages: a `stage_table` (its ``total`` row is dropped).

    Returns:
        A figure with two Bar traces, ``meta={"role": "params" | "macs", "unit": ..., "scale": ...}``
        and the exact counts in ``customdata``.
    """
    table = stages[stages["stage"] != "total"]
    names = [str(s) for s in table["stage"]]
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(_("Parameters"), _("Multiply-adds per image")), horizontal_spacing=0.12
    )
    nouns = (("params", BLUE, _("params")), ("macs", ORANGE, _("multiply-adds")))
    for col, (column, colour, noun) in enumerate(nouns, start=1):
        values = [int(v) for v in table[column]]
        scale, prefix = prefix_of(max(values, default=0))
        unit = f"{prefix} {noun}".strip()
        fig.add_trace(
            go.Bar(
                x=names,
                y=[v / scale for v in values],
                customdata=values,
                marker_color=colour,
                text=[human(v) for v in values],
                textposition="outside",
                constraintext="none",
                textfont=dict(size=12),
                cliponaxis=False,
                hovertemplate=f"<b>%{{x}}</b><br>%{{customdata:,}} {noun}<extra></extra>",
                showlegend=False,
                meta={"role": column, "unit": unit, "scale": scale},
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(title_text=unit, row=1, col=col, rangemode="tozero", gridcolor=GRID, zeroline=False)
        fig.update_xaxes(row=1, col=col, tickangle=-30, showline=True, linecolor=NEUTRAL)
    layout(fig, height=420, margin=dict(t=60), bargap=0.35)
    fig.update_annotations(font=dict(size=14))
    return fig


def design_costs(designs: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Bars of parameters, multiply-adds and activations per design, relative to the first (the bottleneck net).

    ``designs`` is `costs.bottleneck_vs_basic`; the y axis is log, 1 = the bottleneck's cost.
    """
    base = designs.iloc[0]
    measures = (("params", _("parameters")), ("macs", _("multiply-adds")), ("activations", _("activations")))
    colours = (BLUE, ORANGE, GREEN)
    fig = go.Figure()
    for (column, label), colour in zip(measures, colours):
        ratio = designs[column] / base[column]
        fig.add_trace(
            go.Bar(
                x=designs["design"],
                y=ratio,
                name=label,
                marker_color=colour,
                text=[f"{r:.2g}x<br>{human(v)}" for r, v in zip(ratio, designs[column])],
                textposition="outside",
                meta={"series": label},
                hovertemplate="%{x}<br>"
                + _("{measure}: {ratio}x the bottleneck's").format(measure=label, ratio="%{y:.2f}")
                + "<extra></extra>",
            )
        )
    fig.update_yaxes(type="log", title_text=_("cost relative to the bottleneck net"))
    return layout(fig, title or _("The same depth, three block designs"), barmode="group", legend=LEGEND_BELOW)
