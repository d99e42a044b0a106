"""Plotly figures for `landscape.loss_surface` tables: a 1-D curve, a 2-D contour, a 3-D surface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..i18n import _
from .style import LEGEND_BELOW, layout, series_colour

LOSS_CAP = 10.0  # losses above this are drawn at the cap: a diverged corner would flatten the rest


def _grid(surface: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    table = surface.pivot(index="beta", columns="alpha", values="loss")
    return table.columns.to_numpy(), table.index.to_numpy(), np.minimum(table.to_numpy(), LOSS_CAP)


def loss_curves(curves: dict[str, pd.DataFrame]) -> go.Figure:
    """Loss along one filter-normalised direction, one line per model (Li et al. 2018, Fig. 5 style)."""
    fig = go.Figure()
    for i, (name, curve) in enumerate(curves.items()):
        curve = curve.sort_values("alpha")
        fig.add_trace(
            go.Scatter(
                x=curve["alpha"],
                y=curve["loss"].clip(upper=LOSS_CAP),
                mode="lines+markers",
                name=name,
                line=dict(color=series_colour(i)),
                meta={"series": name},
            )
        )
    layout(
        fig,
        _("Loss along one random direction (0 = the trained weights)"),
        xaxis_title="α",
        yaxis_title=_("cross-entropy (capped at {cap})").format(cap=f"{LOSS_CAP:g}"),
        legend=LEGEND_BELOW,
        margin=dict(b=90),
    )
    return fig


def shared_loss_range(surfaces: dict[str, pd.DataFrame], cap: float = 10.0) -> tuple[float, float]:
    """One (low, high) loss range for several surfaces, so their colours and contour levels mean the same loss
    side by side (Li et al. 2018 draw every net's contours at the same levels); capped at ``cap``, where a
    diverged corner would squash everything else into one colour."""
    values = np.concatenate([s["loss"].to_numpy(dtype=float) for s in surfaces.values()])
    values = values[np.isfinite(values)]
    if not len(values):
        return 0.0, cap
    low, high = float(values.min()), min(float(values.max()), cap)
    return low, high if high > low else low + 1.0


def loss_contour(surface: pd.DataFrame, name: str, loss_range: tuple[float, float] | None = None) -> go.Figure:
    """Contour lines of the loss over two directions (Li et al. 2018, Fig. 5); with ``loss_range`` (see
    `shared_loss_range`) 20 levels over that range and its colours, the same for every net drawn with it."""
    a, b, z = _grid(surface)
    contours = dict(coloring="lines")
    scale = {}
    if loss_range is not None:
        low, high = loss_range
        contours |= dict(start=low, end=high, size=(high - low) / 20)
        scale = dict(zmin=low, zmax=high, zauto=False, autocontour=False)
    fig = go.Figure(
        go.Contour(
            x=a,
            y=b,
            z=z,
            colorscale="Viridis",
            contours=contours,
            line=dict(width=1.5),
            colorbar=dict(title=_("loss")),
            meta={"series": name},
            **scale,
        )
    )
    layout(fig, _("{name}: loss contours").format(name=name), xaxis_title="α", yaxis_title="β")
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def loss_surface_3d(surface: pd.DataFrame, name: str, loss_range: tuple[float, float] | None = None) -> go.Figure:
    """The loss over two directions as a 3-D surface (Li et al. 2018, Fig. 1); ``loss_range`` fixes its colours."""
    a, b, z = _grid(surface)
    scale = dict(cmin=loss_range[0], cmax=loss_range[1]) if loss_range is not None else {}
    fig = go.Figure(go.Surface(x=a, y=b, z=z, colorscale="Viridis", showscale=False, meta={"series": name}, **scale))
    layout(
        fig,
        _("{name}: loss surface").format(name=name),
        # Seen from a little further than plotly's default eye, so the z-axis title is not cut off in a half-width
        # column ("loss" read "ss").
        scene=dict(
            xaxis_title="α",
            yaxis_title="β",
            zaxis_title=_("loss"),
            camera=dict(eye=dict(x=2.0, y=2.0, z=1.2), center=dict(x=0, y=0, z=-0.2)),
        ),
        margin=dict(l=10, r=10),
    )
    return fig
