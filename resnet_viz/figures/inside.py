"""Plotly figures for `inside`: the maps x, F(x), x + F(x) of one block, and ||F(x)|| / ||x|| per block."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..inside import BlockMaps
from .style import LEGEND_BELOW, layout, series_colour


def block_maps_figure(maps: BlockMaps, title: str = "") -> go.Figure:
    """Rows: channel mean, then the strongest channels; columns: x (shortcut), F(x), x + F(x)."""
    if maps.residual:
        columns = [("shortcut", "x"), ("branch", "F(x)"), ("added", "x + F(x)")]  # short: titles sit side by side
    else:
        columns = [("shortcut", "input x"), ("branch", "output")]
    mean = {"shortcut": maps.shortcut, "branch": maps.branch, "added": maps.added}
    rows = 1 + len(maps.channels)
    titles = [f"{label}, mean" for _, label in columns]
    for c in maps.channels:
        titles += [f"ch. {c}" for _ in columns]
    fig = make_subplots(
        rows=rows, cols=len(columns), subplot_titles=titles, vertical_spacing=0.04, horizontal_spacing=0.04
    )
    for j, (key, _) in enumerate(columns, start=1):
        images = [mean[key], *maps.channel_maps.get(key, [])]
        for i, image in enumerate(images, start=1):
            z = image.detach().cpu().numpy()[::-1]  # row 0 at the top
            limit = float(abs(z).max()) or 1.0
            fig.add_trace(go.Heatmap(z=z, colorscale="RdBu_r", zmin=-limit, zmax=limit, showscale=False), i, j)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    return layout(fig, title or f"Inside {maps.block}: ||F(x)|| / ||x|| = {maps.ratio:.2f}", height=170 * rows + 80)


def ratio_figure(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """||F(x)|| / ||x|| against block index, one line per model ("ResNet-56 trained", "plain-56 fresh", ...)."""
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        dash = "dot" if "fresh" in name else "solid"
        fig.add_trace(
            go.Scatter(
                x=table["index"],
                y=table["ratio"],
                mode="lines+markers",
                name=name,
                text=table["block"],
                line=dict(color=series_colour(i // 2), dash=dash),
                meta={"series": name},
            )
        )
    layout(
        fig,
        "How large the branch is next to its input, block by block",
        xaxis_title="block",
        yaxis_title="||F(x)|| / ||x||",
        yaxis_type="log",
        legend=LEGEND_BELOW,
        margin=dict(b=90),
    )
    return fig
