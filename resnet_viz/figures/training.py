"""Plotly figures for training runs: live curves, run overlays and the paper's Figure 6 layout.

Pure functions: metrics and runs in (DataFrames from `RunStore.metrics` / `RunStore.runs`), a
figure out. The paper's convention (Fig. 4 and 6: "dashed lines denote training error, and bold
lines denote testing error") is kept everywhere: training error dashed, test error solid and bold.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..formatting import figure_text
from ..i18n import _
from ..nets.naming import net_label
from .style import INK, LEGEND_BELOW, NEUTRAL, VERMILLION, layout, series_colour

LEGEND = LEGEND_BELOW


def _each_run(metrics: pd.DataFrame, runs: pd.DataFrame) -> Iterator[tuple[int, pd.DataFrame, str, str]]:
    """(run id, its metrics, its colour, its legend name "name (#id)") for each run in ``metrics``.

    The name is what a user typed, seen by every user: it is made inert here (`figure_text`), once for every figure.
    """
    names = {int(r["id"]): figure_text(f"{r['name']} (#{int(r['id'])})") for _row, r in runs.iterrows()}
    for i, (run_id, group) in enumerate(metrics.groupby("run_id", sort=False)):
        yield int(run_id), group, series_colour(i), names.get(int(run_id)) or _("run {id}").format(id=run_id)


def _error_curves(
    group: pd.DataFrame, colour: str, name: str, run_id: int, test_width: float, legendgroup: str
) -> list[go.Scatter]:
    """One run's training error (eval mode: dashed, with markers) and test error (solid, bold), in percent.

    Both curves join ``legendgroup`` unlisted: the legend names the group once, the hover names each curve.
    """
    curves = []
    names = {"train": _("{name} train").format(name=name), "test": _("{name} test").format(name=name)}
    for curve, mode, line in (
        ("train", "lines+markers", dict(color=colour, width=1.5, dash="dash")),
        ("test", "lines", dict(color=colour, width=test_width)),
    ):
        rows = group.dropna(subset=[f"{curve}_error"])
        curves.append(
            go.Scatter(
                x=rows["step"],
                y=100 * rows[f"{curve}_error"],
                name=names[curve],
                mode=mode if len(rows) > 1 else "markers",  # one measured point: a line would not show it
                line=line,
                meta={"run_id": run_id, "curve": curve},
                legendgroup=legendgroup,
                showlegend=False,
            )
        )
    return curves


def _legend_entry(name: str, line: dict, legendgroup: str | None = None) -> go.Scatter:
    """A legend-only line (no data): a key to what a colour or a line style means."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="lines",
        name=name,
        line=line,
        legendgroup=legendgroup,
        showlegend=True,
        hoverinfo="skip",
        meta={"role": "legend", "curve": None},
    )


def _steps_from_zero(fig: go.Figure) -> None:
    """Step axes start at 0: a run with one logged point would otherwise get an axis from 49 to 51."""
    fig.update_xaxes(title_text=_("step"), rangemode="tozero")


def training_curves(metrics: pd.DataFrame, runs: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Loss and error against step for one or more runs (one colour per run).

    Left: training loss (running mean over each logging interval). Right: training error
    (eval mode, no augmentation; dashed) and test error (solid, bold), in percent.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("training loss"), _("error (%)")), horizontal_spacing=0.08)
    for run_id, group, colour, name in _each_run(metrics, runs):
        fig.add_trace(
            go.Scatter(
                x=group["step"], y=group["train_loss"], name=name, legendgroup=name, line=dict(color=colour, width=2)
            ),
            row=1,
            col=1,
        )
        for curve in _error_curves(group, colour, name, run_id, test_width=3, legendgroup=name):
            fig.add_trace(curve, row=1, col=2)
    _steps_from_zero(fig)
    fig.update_yaxes(rangemode="tozero")
    return layout(fig, title, height=380, legend=LEGEND, hovermode="x unified")


def schedule_and_throughput(metrics: pd.DataFrame, runs: pd.DataFrame) -> go.Figure:
    """Learning rate and training throughput (images per second) against step."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(_("learning rate"), _("images / second")), horizontal_spacing=0.08
    )
    for _run_id, group, colour, name in _each_run(metrics, runs):
        fig.add_trace(
            go.Scatter(x=group["step"], y=group["lr"], name=name, legendgroup=name, line=dict(color=colour)),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=group["step"],
                y=group["images_per_s"],
                name=name,
                legendgroup=name,
                showlegend=False,
                line=dict(color=colour),
            ),
            row=1,
            col=2,
        )
    _steps_from_zero(fig)
    return layout(fig, None, height=300, legend=LEGEND, hovermode="x unified")


def degradation_figure(metrics: pd.DataFrame, runs: pd.DataFrame, title: str | None = None) -> go.Figure:
    """The paper's Figure 6 for your runs: plain networks left, ResNets right.

    Colour is depth, the same in both panels (plain-20 and ResNet-20 share a colour, the panel tells
    them apart); training error dashed, test error solid and bold, as in the paper. The legend names the depths and
    its title says the encoding. The degradation problem shows on the left as the deeper plain net's
    *training* error staying above the shallower one's; on the right the order flips.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=(_("plain networks"), _("residual networks")),
    )
    depths = sorted({int(d) for d in runs["depth"]})
    colour_of = {d: series_colour(i) for i, d in enumerate(depths)}
    layers = {d: _("{depth} layers").format(depth=d) for d in depths}
    for depth in depths:
        fig.add_trace(_legend_entry(layers[depth], dict(color=colour_of[depth], width=3.5), f"{depth} layers"))
    for _row, run in runs.sort_values("depth").iterrows():
        group = metrics[metrics["run_id"] == run["id"]]
        col = 2 if run["residual"] else 1
        depth = int(run["depth"])
        label = net_label(depth, run["residual"])
        for curve in _error_curves(group, colour_of[depth], label, int(run["id"]), 3.5, legendgroup=f"{depth} layers"):
            fig.add_trace(curve, row=1, col=col)
    fig.add_trace(_legend_entry(_("training error"), dict(color=INK, width=1.5, dash="dash")))
    fig.add_trace(_legend_entry(_("test error"), dict(color=INK, width=3.5)))
    _steps_from_zero(fig)
    fig.update_yaxes(title_text=_("error (%)"), rangemode="tozero", row=1, col=1)
    title_text = _("colour: depth, in both panels · dashed: training error · solid, bold: test error (as in the paper)")
    legend = dict(LEGEND, title=dict(text=title_text))
    legend["title"]["side"] = "top"
    return layout(fig, title, height=440, legend=legend, hovermode="x unified")


def variant_bars(
    summary: pd.DataFrame, paper: dict[str, float] | None = None, title: str | None = None, yours: bool = True
) -> go.Figure:
    """Final training and test error per variant (bars); the paper's test errors, if given, in a panel of their own.

    summary: columns label, train_error, test_error (fractions). The paper's numbers (CIFAR-10, ResNet-110,
    64k steps) are on their own axis, never beside ours as if comparable: only the order can be compared.
    ``yours``: the bars are the user's runs (legend "your training error"); False for models shipped with the app and
    runs computed ahead of time (panel "computed ahead of time").
    """
    names = (_("your training error"), _("your test error")) if yours else (_("training error"), _("test error"))
    ours_title = _("your runs") if yours else _("computed ahead of time")
    fig = make_subplots(
        rows=1,
        cols=2 if paper else 1,
        horizontal_spacing=0.14,
        # Two lines for the paper's panel: in a half-width column its title ran into the other panel's.
        subplot_titles=(ours_title, _("the paper:<br>CIFAR-10, ResNet-110")) if paper else None,
    )
    fig.add_bar(x=summary["label"], y=100 * summary["train_error"], name=names[0], marker_color=series_colour(0))
    fig.add_bar(x=summary["label"], y=100 * summary["test_error"], name=names[1], marker_color=series_colour(1))
    fig.update_yaxes(title_text=_("error (%)"), row=1, col=1)
    if paper:
        fig.add_bar(
            x=list(paper),
            y=list(paper.values()),
            name=_("paper: CIFAR-10 test error"),
            marker_color=NEUTRAL,
            row=1,
            col=2,
        )
        # Units on the ticks, not in an axis title: a title there sat on the first panel's bars in a narrow column;
        # what the numbers are is in the panel's title and the legend.
        fig.update_yaxes(ticksuffix=" %", rangemode="tozero", row=1, col=2)
    fig.update_layout(barmode="group")
    return layout(fig, title, height=380, legend=LEGEND, hovermode="x unified")


def table6_figure(errors: dict[int, float], params_m: dict[int, float], overfit: int = 1202) -> go.Figure:
    """The paper's Table 6 drawn: CIFAR-10 test error against depth (log axis), the ``overfit`` depth marked.

    ``errors`` and ``params_m`` are `published.by_depth("table6_test_error")` / ``("table6_params_m")``.
    """
    depths = sorted(errors)
    values = [errors[d] for d in depths]
    fig = go.Figure(
        go.Scatter(
            x=depths,
            y=values,
            mode="lines+markers+text",
            text=[f"{errors[d]} % · {params_m.get(d, '?')}M" for d in depths],
            textposition=_table6_label_sides(depths, values),
            cliponaxis=False,  # the top label (8.75 %) sits above the last gridline
            line={"color": INK},
            marker={"color": [VERMILLION if d == overfit else INK for d in depths], "size": 10},
            name=_("ResNet (option A), test error"),
            meta={"series": "table6"},
            hovertemplate=_("ResNet-%{x}<br>test error %{y} %<extra></extra>"),
        )
    )
    fig.update_xaxes(type="log", title_text=_("depth (layers, log scale)"), tickvals=depths)
    low, high = min(values), max(values)
    fig.update_yaxes(
        title_text=_("CIFAR-10 test error %"), range=[low - 0.15 * (high - low), high + 0.15 * (high - low)]
    )
    if overfit in errors:
        fig.add_annotation(  # below the rising line, its right end under the point: clear of line and label
            x=math.log10(overfit),
            y=errors[overfit],
            text=_("overfitting, not degradation"),
            ax=-10,
            ay=60,
            xanchor="right",
        )
    return layout(fig, _("He et al. 2015, Table 6: deeper helps, until 1202 layers"))


def _table6_label_sides(depths: list[int], values: list[float]) -> list[str]:
    """Where each point's one-line label goes: to the right of the line where it falls to the next point (32, 44
    and 56 are close on the log axis: labels centred on them overlap), to the left where it rises to it, centred
    at the lowest point; the last point's label on its left, inside the plot."""
    sides = []
    for i, value in enumerate(values):
        after = values[i + 1] if i + 1 < len(values) else None
        before = values[i - 1] if i > 0 else None
        if after is None:
            sides.append("top left")
        elif before is not None and value <= before and value <= after:
            sides.append("bottom center")
        else:
            sides.append("top right" if after < value else "top left")
    return sides


def identity_insertion_figure(table: pd.DataFrame) -> go.Figure:
    """Training error of the deepened plain nets against the steps of further training, one line per
    initialisation of the inserted blocks, and the trained shallow net's error as a dotted level.

    ``table`` is `identity_insertion.identity_experiment`.
    """
    fig = go.Figure()
    shallow = table[table["init"] == "shallow"]
    for i, (init, rows) in enumerate(table[table["init"] != "shallow"].groupby("init", sort=False)):
        name = (
            _("plain-{depth}, new blocks = identity") if init == "identity" else _("plain-{depth}, new blocks random")
        ).format(depth=int(rows["depth"].iloc[0]))
        fig.add_trace(
            go.Scatter(x=rows["step"], y=100 * rows["train_error"], name=name, mode="lines+markers",
                       line={"color": series_colour(i), "width": 3}, meta={"series": init}),
        )  # fmt: skip
    if len(shallow):
        level = 100 * float(shallow["train_error"].iloc[0])
        fig.add_hline(y=level, line={"color": NEUTRAL, "dash": "dot"})
        name = _("the trained plain-{depth} it starts from").format(depth=int(shallow["depth"].iloc[0]))
        fig.add_trace(
            go.Scatter(
                x=[0], y=[level], mode="markers", marker={"color": NEUTRAL}, meta={"series": "shallow"}, name=name
            ),
        )
    fig.update_xaxes(title_text=_("further training steps"))
    fig.update_yaxes(title_text=_("training error %"), rangemode="tozero")
    return layout(fig, _("Extra plain blocks: the identity, or learned from scratch?"), legend=LEGEND)
