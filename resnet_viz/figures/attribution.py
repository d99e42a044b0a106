"""Plotly figures for the attribution page: top-k predictions and the localisation check."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import _
from .style import BLUE, NEUTRAL, ORANGE, layout

RANDOM_COLOUR, METHOD_COLOUR, TARGET_COLOUR = NEUTRAL, BLUE, ORANGE  # chance level in the reference grey


def prediction_chart(top: list[tuple[int, float]], classes: list[str], target: int | None = None) -> go.Figure:
    """Horizontal bars of the top-k class probabilities, most likely on top; the explained class in orange."""
    labels = [classes[i] if 0 <= i < len(classes) else str(i) for i, _ in top]
    colours = [TARGET_COLOUR if i == target else METHOD_COLOUR for i, _ in top]
    fig = go.Figure(
        go.Bar(
            x=[p for _, p in top],
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{p:.1%}" for _, p in top],
            textposition="auto",
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    return layout(
        fig,
        _("Top-{count} predictions").format(count=len(top)),
        title_font_size=14,
        height=60 + 34 * len(top),
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(range=[0, 1], tickformat=".0%", title=None),
        # Class names are categories, even digits: a numeric axis would put "3" at y = 3 and label every other bar.
        yaxis=dict(autorange="reversed", type="category"),
        showlegend=False,
    )


def localisation_chart(scores: pd.DataFrame) -> go.Figure:
    """Two panels of bars per method, mass inside the object and pointing-game hits, chance level in grey.

    ``scores`` is `resnet_viz.attribution.localisation_scores`'s table (one row per method and ``random``).
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(_("Share of attribution inside the object"), _("Pointing game: maximum on the object")),
    )
    colours = [RANDOM_COLOUR if m == "random" else METHOD_COLOUR for m in scores["method"]]
    for col, column in enumerate(["mass_inside", "pointing_game"], start=1):
        fig.add_trace(
            go.Bar(
                x=[_(label) for label in scores["label"]],
                y=scores[column],
                marker_color=colours,
                text=[f"{v:.0%}" for v in scores[column]],
                textposition="outside",
                hovertemplate="%{x}: %{y:.1%}<extra></extra>",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        chance = scores.loc[scores["method"] == "random", column]
        if len(chance):
            fig.add_hline(y=float(chance.iloc[0]), line_dash="dot", line_color=RANDOM_COLOUR, row=1, col=col)
        fig.update_yaxes(range=[0, 1.1], tickformat=".0%", row=1, col=col)
    return layout(fig, height=380, margin=dict(l=10, r=10, t=40, b=10))
