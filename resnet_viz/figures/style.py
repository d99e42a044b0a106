"""The look every Plotly figure shares: the palette and font of `palette`, one template, one `layout`."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from .palette import (  # noqa: F401 - re-exported: the figures take their colours from here
    BLACK,
    BLUE,
    FONT_FAMILY,
    FONT_SIZE,
    GREEN,
    GREY,
    GRID,
    INK,
    LIGHT,
    NEUTRAL,
    ORANGE,
    OUTLINE,
    PALETTE,
    PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    series_colour,
)

# Legends go in one row under the plot, at the bottom of the figure: above it they collide with the
# title and the subplot titles; to the right they squeeze half-width charts.
LEGEND_BELOW = dict(orientation="h", x=0.0, xanchor="left", y=0.0, yanchor="bottom", yref="container")

FONT = dict(family=FONT_FAMILY, size=FONT_SIZE, color=INK)


def _house_template() -> go.layout.Template:
    """plotly_white's layout, with its trace defaults for the kinds of trace our figures draw only.

    The whole template holds defaults for every trace type plotly knows, and copying and checking it into each
    figure was most of the time a figure took to build (the live panel's two training figures: 72 ms; with this, 44).
    """
    white = pio.templates["plotly_white"]
    template = go.layout.Template(layout=white.layout)
    for kind in ("scatter", "bar", "heatmap", "surface", "contour", "box"):
        setattr(template.data, kind, getattr(white.data, kind))
    return template


pio.templates["resnet_viz"] = _house_template()
TEMPLATE = "resnet_viz"


def layout(fig: go.Figure, title: str | None = None, **kwargs) -> go.Figure:
    """Give ``fig`` the house look: template, font, white background, title and margins.

    ``kwargs`` go to ``fig.update_layout`` afterwards, so a figure can override any of these (a
    ``margin`` dict is merged key by key). Returns ``fig`` itself.
    """
    base = dict(
        template=TEMPLATE,
        font=FONT,
        margin=dict(l=60, r=20, t=60 if title or _has_subplot_titles(fig) else 30, b=50),
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    if title is not None:
        base["title"] = dict(text=title)
    fig.update_layout(**base)
    fig.update_layout(**kwargs)
    return fig


def _has_subplot_titles(fig: go.Figure) -> bool:
    """True when annotations sit above the plot area (`make_subplots`' titles): with a 30 px top margin Plotly's
    toolbar, which appears top right on hover, covers the right-hand one ("residual networks")."""
    return any(a.yref == "paper" and a.y is not None and a.y >= 1 for a in fig.layout.annotations)
