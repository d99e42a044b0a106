"""The paper's Figure 7 for your runs: std of each 3x3 layer's response, in layer order and sorted."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..i18n import _
from .style import LEGEND_BELOW, layout, series_colour


def response_figure(responses: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Two panels as in He et al. 2015, Fig. 7: the std per 3x3 layer in network order (top) and sorted
    from largest to smallest (bottom). One colour per run; plain nets dashed, residual nets solid.

    ``responses`` is `responses.run_responses` (columns run_id, run, residual, layer_index, std).
    """
    # The gap between the panels holds the upper panel's tick labels and axis title and the lower one's title.
    fig = make_subplots(
        rows=2, cols=1, vertical_spacing=0.24, subplot_titles=(_("layer index (original)"), _("sorted"))
    )
    for i, (_run_id, rows) in enumerate(responses.groupby("run_id", sort=False)):
        name = str(rows["run"].iloc[0])
        line = {"color": series_colour(i), "dash": "solid" if bool(rows["residual"].iloc[0]) else "dash"}
        ordered = rows.sort_values("layer_index")
        fig.add_trace(
            go.Scatter(x=ordered["layer_index"], y=ordered["std"], name=name, line=line, legendgroup=name,
                       meta={"series": name, "panel": "original"}),
            row=1, col=1,
        )  # fmt: skip
        ranked = sorted(rows["std"], reverse=True)
        fig.add_trace(
            go.Scatter(x=list(range(1, len(ranked) + 1)), y=ranked, name=name, line=line, legendgroup=name,
                       showlegend=False, meta={"series": name, "panel": "sorted"}),
            row=2, col=1,
        )  # fmt: skip
    fig.update_yaxes(title_text=_("std of response"), rangemode="tozero")
    fig.update_xaxes(title_text=_("3x3 layer, input side first"), row=1, col=1)
    fig.update_xaxes(title_text=_("rank"), row=2, col=1)
    return layout(fig, title or _("Layer responses of your runs (the paper's Fig. 7)"), legend=LEGEND_BELOW, height=560)
