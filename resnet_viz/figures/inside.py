"""Plotly figures for `inside`: the maps x, F(x), x + F(x) of one block, and ||F(x)|| / ||x|| per block."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import _
from .style import GREY, LEGEND_BELOW, layout, series_colour

if TYPE_CHECKING:  # figures draw results; they never import the torch-side modules that compute them
    from ..probes.inside import BlockMaps


def block_maps_figure(maps: BlockMaps, title: str = "") -> go.Figure:
    """Rows: channel mean, then the strongest channels; columns: x (shortcut), F(x), x + F(x)."""
    if maps.residual:
        columns = [("shortcut", "x"), ("branch", "F(x)"), ("added", "x + F(x)")]  # short: titles sit side by side
    else:
        columns = [("shortcut", _("input x")), ("branch", _("output"))]
    mean = {"shortcut": maps.shortcut, "branch": maps.branch, "added": maps.added}
    rows = 1 + len(maps.channels)
    titles = [_("{label}, mean").format(label=label) for _key, label in columns]
    for c in maps.channels:
        titles += [_("ch. {channel}").format(channel=c) if key in maps.channel_maps else "" for key, _l in columns]
    fig = make_subplots(
        rows=rows, cols=len(columns), subplot_titles=titles, vertical_spacing=0.04, horizontal_spacing=0.04
    )
    for j, (key, _label) in enumerate(columns, start=1):
        images = [mean[key], *maps.channel_maps.get(key, [])]
        for i, image in enumerate(images, start=1):
            z = image.detach().cpu().numpy()[::-1]  # row 0 at the top
            limit = float(abs(z).max()) or 1.0
            fig.add_trace(go.Heatmap(z=z, colorscale="RdBu_r", zmin=-limit, zmax=limit, showscale=False), i, j)
    if not maps.residual and maps.channels:  # the input column has its mean only: say why, where it is blank
        top, bottom = fig.layout[f"yaxis{len(columns) + 1}"].domain, fig.layout[f"yaxis{rows * len(columns)}"].domain
        fig.add_annotation(
            text=_("no input<br>channel<br>matches an<br>output one:<br>every conv<br>mixes all<br>channels"),
            x=sum(fig.layout.xaxis.domain) / 2,
            y=(top[1] + bottom[0]) / 2,  # the middle of the blank cells under the input's mean
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"color": GREY},
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    title = title or _("Inside {block}: ||F(x)|| / ||x|| = {ratio}").format(block=maps.block, ratio=f"{maps.ratio:.2f}")
    return layout(fig, title, height=170 * rows + 80)


def ratio_figure(tables: dict[str, pd.DataFrame]) -> go.Figure:
    """||F(x)|| / ||x|| against block index, one line per entry of ``tables``, which come in pairs per model:
    trained, then freshly initialised ("ResNet-56 trained", "ResNet-56 fresh", ...). A pair shares a colour;
    the fresh one is dotted."""
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        dash = "dot" if i % 2 else "solid"
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
        _("How large the branch is next to its input, block by block"),
        xaxis_title=_("block"),
        yaxis_title="||F(x)|| / ||x||",
        yaxis_type="log",
        legend=LEGEND_BELOW,
        margin=dict(b=90),
    )
    return fig
