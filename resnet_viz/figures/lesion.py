"""Plotly figures for the lesion study: pure functions of `lesion` tables (nothing here runs a model)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..i18n import _
from .style import LEGEND_BELOW, NEUTRAL, layout, series_colour


def lesion_bars(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Error with each single block deleted, one series per model (Veit et al. 2016, Fig. 3).

    ``tables`` maps a name ("plain-56") to a `lesion_study` table; blocks that cannot be deleted are
    left out; a dotted line per model marks its intact error.
    """
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        rows = table[(table["block"] != "none") & table["deletable"]]
        base = float(table.loc[table["block"] == "none", "error"].iloc[0])
        fig.add_trace(
            go.Scatter(
                x=rows["block"],
                y=rows["error"] * 100,
                mode="markers+lines",
                name=_("{name}: one block deleted").format(name=name),
                marker=dict(color=series_colour(i), size=6),
                line=dict(color=series_colour(i), width=1),
                meta={"series": name},
            )
        )
        fig.add_hline(y=base * 100, line=dict(color=series_colour(i), dash="dot", width=1))
    return _error_axes(fig, _("Test error with one block deleted (dotted: the intact model)"), _("deleted block"))


def lesion_curve_figure(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """Error against the number of blocks deleted at random, mean with min..max band (Veit's Fig. 5a)."""
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        colour = series_colour(i)
        fig.add_trace(
            go.Scatter(
                x=table["k"],
                y=table["error_mean"] * 100,
                mode="lines+markers",
                name=name,
                line=dict(color=colour),
                meta={"series": name},
                error_y=dict(
                    type="data",
                    symmetric=False,
                    color=colour,
                    array=(table["error_max"] - table["error_mean"]) * 100,
                    arrayminus=(table["error_mean"] - table["error_min"]) * 100,
                ),
            )
        )
    return _error_axes(fig, _("Deleting k blocks at random (bars: min to max over trials)"), _("blocks deleted"))


def path_figure(gradients: pd.DataFrame) -> go.Figure:
    """Paths by length (Binomial(n, 1/2), grey bars) and the share of the gradient they carry (Veit's Fig. 6)."""
    share = gradients["paths"] / gradients["paths"].sum()
    fig = go.Figure()
    fig.add_trace(go.Bar(x=gradients["length"], y=share * 100, name=_("share of paths"), marker_color=NEUTRAL))
    fig.add_trace(
        go.Scatter(
            x=gradients["length"],
            y=gradients["share"] * 100,
            mode="lines+markers",
            name=_("share of the gradient (sampled)"),
            line=dict(color=series_colour(0)),
        )
    )
    layout(
        fig,
        _("Paths through the blocks, and the gradient they carry"),
        xaxis_title=_("path length (residual branches passed)"),
        yaxis_title=_("% of all"),
        legend=LEGEND_BELOW,
        margin=dict(b=90),
    )
    return fig


def _error_axes(fig: go.Figure, title: str, xaxis_title: str) -> go.Figure:
    """The lesion figures' frame: error in % from zero, the legend below."""
    layout(fig, title, xaxis_title=xaxis_title, yaxis_title=_("error (%)"), legend=LEGEND_BELOW, margin=dict(b=90))
    fig.update_yaxes(rangemode="tozero")
    return fig
