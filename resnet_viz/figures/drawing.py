"""Drawing helpers shared by the network diagrams (`shortcut_diagram`, `block_diagram`).

Conventions of the diagrams:
* y grows downwards (the input is at the top), one row per box; axes, grid and zoom are off.
* `style`'s Okabe-Ito colours (safe for colour-blind readers), and every shortcut kind also differs in line
  style: identity solid, projection dashed, zero-padding (option A) dotted (`KIND_STYLE`).
* Every trace carries ``meta={"role": ...}`` so tests and callers can find what it stands for:
  ``shortcut`` (one arc or shortcut line), ``block`` (box outlines), ``label`` and ``hover`` (text
  and hover points), ``add`` (the circled "+" nodes), ``layer`` (one layer in `block_diagram`),
  ``main_path``, ``gate_path``, ``legend`` (legend-only entries), ``params``/``macs`` (bars).
"""

from __future__ import annotations

import plotly.graph_objects as go

from ..i18n import N_, _
from .style import BLUE, GREEN, GREY, INK, NEUTRAL, VERMILLION, layout

# How each shortcut kind is drawn: (colour, plotly dash, legend text, hover text); texts shown with _().
KIND_STYLE = {
    "identity": (BLUE, "solid", N_("identity shortcut (solid)"), N_("identity shortcut: x is added unchanged")),
    "projection": (
        VERMILLION,
        "dash",
        N_("projection shortcut: 1x1 conv (dashed)"),
        N_("projection shortcut: 1x1 conv"),
    ),
    "zero_pad": (
        GREEN,
        "dot",
        N_("zero-padding shortcut, option A (dotted)"),
        N_("zero-padding shortcut (option A): subsample, pad zero channels, no parameters"),
    ),
}


def diagram_layout(
    fig: go.Figure,
    title: str,
    height: int,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    top: int,
    bottom: int,
    **kwargs,
) -> go.Figure:
    """`style.layout` without axes and with a fixed y scale, so rows keep their pixel height as the figure grows."""
    hidden = dict(visible=False, showgrid=False, zeroline=False, fixedrange=True)
    return layout(
        fig,
        title,
        title_x=0.0,
        title_xref="paper",
        title_xanchor="left",
        title_font_size=16,
        height=height,
        margin=dict(l=10, r=10, t=top, b=bottom),
        xaxis=dict(range=list(x_range), **hidden),
        yaxis=dict(range=list(y_range), **hidden),
        hovermode="closest",
        hoverlabel=dict(bgcolor="white", font=dict(size=12, color=INK), align="left"),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.0, yanchor="bottom", font=dict(size=12)),
        dragmode=False,
        **kwargs,
    )


def main_line(top: float, bottom: float) -> dict:
    """The main data path: a grey vertical line behind the boxes."""
    return path_line([0.0, 0.0], [top, bottom], NEUTRAL, 1.5, "main_path")


def path_line(xs: list, ys: list, colour: str, width: float, role: str) -> dict:
    """A path drawn as a polyline without hover (the main path, a gate's path)."""
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=colour, width=width),
        hoverinfo="skip",
        showlegend=False,
        meta={"role": role},
    )


def shortcut_line(xs: list, ys: list, kind: str, blocks: list[str], hover: str, label: str = "", width=2.4) -> dict:
    """One shortcut as one trace, coloured and dashed by its kind (`KIND_STYLE`), with ``meta={"role": "shortcut",
    "kind", "blocks" (the block names it stands for), "count", "label"}``."""
    colour, dash, _legend, _hover = KIND_STYLE[kind]
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=colour, dash=dash, width=width),
        hovertext=hover,
        hoverinfo="text",
        showlegend=False,
        meta={"role": "shortcut", "kind": kind, "blocks": blocks, "count": len(blocks), "label": label},
    )


def rect(xs: list, ys: list, x0: float, x1: float, y0: float, y1: float) -> None:
    """Append a closed rectangle to a polygon trace's coordinates (None separates polygons)."""
    xs.extend([x0, x1, x1, x0, x0, None])
    ys.extend([y0, y0, y1, y1, y0, None])


def text_trace(
    xs: list, ys: list, texts: list, size: int, role: str, colour: str | list = INK, position: str = "middle center"
) -> dict:
    """Texts at points, without markers or hover (box labels, arc labels); ``colour`` may give one per text."""
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="text",
        text=texts,
        textposition=position,
        textfont=dict(size=size, color=colour),
        hoverinfo="skip",
        showlegend=False,
        meta={"role": role},
    )


def add_nodes(xs: list, ys: list, hovers: list, size: int, name: str = "add") -> dict:
    """Circled "+" nodes where a shortcut joins the main path."""
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="markers",
        marker=dict(symbol="circle-cross", size=size, color="white", line=dict(color=INK, width=1.5)),
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
        meta={"role": "add", "name": name},
    )


def legend_entry(kind: str) -> dict:
    """A legend-only line for one shortcut kind, drawn as its arcs are (`KIND_STYLE`)."""
    colour, dash, text, _hover = KIND_STYLE[kind]
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="lines",
        line=dict(color=colour, dash=dash, width=2.4),
        name=_(text),
        showlegend=True,
        meta={"role": "legend", "kind": kind},
    )


def figure_note(text: str, y: float, yshift: int = 0) -> dict:
    """A grey note at the left edge of the figure, ``y`` in figure coordinates (0 bottom, 1 top)."""
    return dict(
        x=0.0,
        y=y,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="bottom",
        yshift=yshift,
        showarrow=False,
        text=text,
        font=dict(size=12, color=GREY),
    )


def data_note(x: float, y: float, text: str, side: str, colour: str = GREY, size: int = 11) -> dict:
    """A text annotation at a diagram point (an output shape beside its box), anchored on ``side``."""
    return dict(
        x=x,
        y=y,
        xref="x",
        yref="y",
        xanchor=side,
        showarrow=False,
        text=text,
        font=dict(size=size, color=colour),
    )
