"""The shortcut diagram: a whole network as a column of blocks, every shortcut an arc beside it.

A pure function from a `shortcut_table` to a plotly figure (conventions and shared parts in `drawing`);
runs of identical blocks fold into one box (`fold_blocks`), so ResNet-1202 stays readable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from ..formatting import format_shape
from ..i18n import _
from .drawing import (
    KIND_STYLE,
    add_nodes,
    diagram_layout,
    figure_note,
    legend_entry,
    main_line,
    rect,
    shortcut_line,
    text_trace,
)
from .style import GREY, LIGHT, OUTLINE

ROW_PX = 44  # shortcut diagram: pixels per drawn box, so tall networks scroll instead of shrinking
BOX_HALF_WIDTH = 1.45  # shortcut diagram: boxes span x in [-1.45, 1.45]
ARC_RADIUS = 0.45  # how far an arc bulges right of the boxes
X_RANGE = (-2.3, 3.9)  # room for stage labels on the left and arc labels on the right


@dataclass
class _Box:
    """One drawn box of the shortcut diagram: a single block, or a folded run of identical ones."""

    rows: list[dict]  # shortcut_table records it stands for, in order

    @property
    def first(self) -> dict:
        return self.rows[0]

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def name(self) -> str:
        if self.count == 1:
            return self.first["paper_name"]
        return f"{self.first['paper_name']} … {self.rows[-1]['paper_name']}  x {self.count}"


def fold_blocks(shortcuts: pd.DataFrame) -> list[list[int]]:
    """Group consecutive rows of a `shortcut_table` that would draw identically.

    Rows fold together when they are in the same stage and have the same kind, variant, input shape
    and output shape. Returns lists of row positions, e.g. ResNet-34 option B gives
    ``[[0, 1, 2], [3], [4, 5, 6], [7], [8, ..., 12], [13], [14, 15]]``.
    """
    keys = list(
        zip(
            shortcuts["stage"],
            shortcuts["kind"],
            shortcuts.get("variant", pd.Series([""] * len(shortcuts))),
            shortcuts["input_shape"],
            shortcuts["output_shape"],
        )
    )
    groups: list[list[int]] = []
    for i, key in enumerate(keys):
        if groups and keys[groups[-1][-1]] == key:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def shortcut_diagram(shortcuts: pd.DataFrame, fold: bool = True, title: str | None = None) -> go.Figure:
    """The whole network as a column of blocks, input at the top, every shortcut an arc on the right.

    What the reader sees: a stem box, one box per residual block (``conv3_1  28x28x128``) on light
    bands per stage, and a head box. Each shortcut leaves the main path above its block and rejoins
    it at a circled "+" below: solid blue for identity, dashed vermillion for a 1x1 projection,
    dotted green for option A's zero-padding; where the shape changes the arc is labelled
    ``56x56x64 -> 28x28x128``. A plain network (kind ``none``) has boxes and no arcs.

    Args:
        shortcuts: a `shortcut_table`.
        fold: draw each run of identical consecutive blocks (same stage, kind and shapes) as one
            box ``conv4_2 … conv4_23  x 22`` with one arc labelled ``x 22``.
        title: figure title (e.g. the spec's name).

    Returns:
        A figure whose arcs are one Scatter trace each, with ``meta={"role": "shortcut", "kind":
        kind, "blocks": [block names], "count": n, "label": arc label}`` and ``line.dash`` "solid",
        "dash" or "dot"; its height grows by 44 px per drawn box.
    """
    records = shortcuts.to_dict("records")
    groups = fold_blocks(shortcuts) if fold and records else [[i] for i in range(len(records))]
    boxes = [_Box([records[i] for i in g]) for g in groups]
    n_rows = len(boxes) + 2  # stem row 0, block rows 1..n, head row n + 1
    shapes, annotations = _stage_bands(boxes)
    arcs, kinds = _shortcut_traces(boxes)
    traces = [main_line(0, n_rows - 1), *_box_traces(boxes, _box_rows(boxes, records)), *arcs]
    traces += [legend_entry(kind) for kind in KIND_STYLE if kind in kinds]
    if records and not kinds:
        annotations.append(figure_note(_("plain network: no shortcut connections, so no arcs"), y=1.0, yshift=8))
    top, bottom = 80, 20
    height = max(400, ROW_PX * n_rows + top + bottom)
    y_range = (n_rows - 0.5, -0.5)
    return diagram_layout(
        go.Figure(data=traces),
        title or _("Shortcuts"),
        height,
        X_RANGE,
        y_range,
        top,
        bottom,
        shapes=shapes,
        annotations=annotations,
    )


def _box_rows(boxes: list[_Box], records: list[dict]) -> list[tuple[str, str, str]]:
    """(name, output shape, hover text) of every drawn row: the stem, each box, the head."""
    first_in, last_out = _first_input(records), _last_output(records)
    rows = [(_("conv1 (stem)"), first_in, _stem_hover(first_in))]
    rows += [(b.name, format_shape(b.rows[-1]["output_shape"]), _box_hover(b)) for b in boxes]
    return rows + [(_("avg pool + fc (head)"), "", _head_hover(last_out))]


def _box_traces(boxes: list[_Box], rows: list[tuple[str, str, str]]) -> list[dict]:
    """All box outlines in one filled trace (fast for 600 blocks), their labels and hover points in two more."""
    outline_x, outline_y, label_x, label_y, labels, hover_x, hover_y, hovers = [], [], [], [], [], [], [], []
    for r, (name, shape, hover) in enumerate(rows):
        rect(outline_x, outline_y, -BOX_HALF_WIDTH, BOX_HALF_WIDTH, r - 0.25, r + 0.25)
        label_x.append(0.0)
        label_y.append(r)
        labels.append(f"{name}   <span style='color:{GREY}'>{shape}</span>" if shape else name)
        for x in (-1.1, -0.55, 0.0, 0.55, 1.1):  # hover anywhere along the box
            hover_x.append(x)
            hover_y.append(r)
            hovers.append(hover)
    outlines = dict(
        type="scatter",
        x=outline_x,
        y=outline_y,
        mode="lines",
        fill="toself",
        fillcolor="white",
        line=dict(color=OUTLINE, width=1.2),
        hoverinfo="skip",
        showlegend=False,
        meta={"role": "block", "boxes": [[r["block"] for r in b.rows] for b in boxes]},
    )
    hover_points = dict(
        type="scatter",
        x=hover_x,
        y=hover_y,
        mode="markers",
        marker=dict(size=14, opacity=0),
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
        meta={"role": "hover"},
    )
    return [outlines, text_trace(label_x, label_y, labels, size=12, role="label"), hover_points]


def _shortcut_traces(boxes: list[_Box]) -> tuple[list[dict], list[str]]:
    """One trace per arc (the testability contract), then the "+" nodes and the arc labels; and the kinds drawn."""
    traces, kinds = [], []
    add_x, add_y, add_hover, arc_label_x, arc_label_y, arc_labels, arc_colours = [], [], [], [], [], [], []
    for r, box in enumerate(boxes, start=1):
        kind = box.first["kind"]
        if kind not in KIND_STYLE:  # "none": a plain network has no shortcut
            continue
        if kind not in kinds:
            kinds.append(kind)
        label = _arc_label(box)
        traces.append(_arc(r, box, kind, label))
        add_x.append(0.0)
        add_y.append(r + 0.4)
        output = format_shape(box.rows[-1]["output_shape"])
        add_hover.append(_("{block}: y = F(x) + shortcut(x)<br>output {shape}").format(block=box.name, shape=output))
        if label:
            arc_label_x.append(BOX_HALF_WIDTH + ARC_RADIUS + 0.1)
            arc_label_y.append(r)
            arc_labels.append(label)
            arc_colours.append(KIND_STYLE[kind][0])
    if add_x:
        traces.append(add_nodes(add_x, add_y, add_hover, size=11))
    if arc_labels:
        traces.append(text_trace(arc_label_x, arc_label_y, arc_labels, 12, "label", arc_colours, "middle right"))
    return traces, kinds


def _arc(row: int, box: _Box, kind: str, label: str) -> dict:
    """A shortcut from above the box (row - 0.4) out to the right and back into its "+" (row + 0.4)."""
    what = KIND_STYLE[kind][3]
    top, bottom = row - 0.4, row + 0.4
    mid, half = (top + bottom) / 2, (bottom - top) / 2
    xs, ys = [0.0], [top]
    for k in range(21):  # half-ellipse from the top (angle 90) through the rightmost point to the bottom
        t = math.pi / 2 - math.pi * k / 20
        xs.append(BOX_HALF_WIDTH + ARC_RADIUS * math.cos(t))
        ys.append(mid - half * math.sin(t))
    xs.append(0.09)  # into the right edge of the "+"
    ys.append(bottom)
    first, last = box.first, box.rows[-1]
    params = sum(r["params"] for r in box.rows)
    if box.count > 1 and params:
        each = f"{params // box.count:,}"
        cost = _("shortcut params: {params} ({each} each)").format(params=f"{params:,}", each=each)
    else:
        cost = _("shortcut params: {params}").format(params=f"{params:,}")
    lines = [
        f"<b>{box.name}</b> ({first['block']}" + (f" … {last['block']})" if box.count > 1 else ")"),
        _(what),
        f"{format_shape(first['input_shape'])} -> {format_shape(last['output_shape'])}",
        cost,
        first.get("reason", ""),
    ]
    variant = first.get("variant", "identity")
    if variant and variant != "identity":
        lines.append(_("shortcut variant: {variant}").format(variant=variant))
    hover = "<br>".join(line for line in lines if line)
    return shortcut_line(xs, ys, kind, [r["block"] for r in box.rows], hover, label, width=2.2)


def _arc_label(box: _Box) -> str:
    """``56x56x64 -> 28x28x128`` where the shape changes, ``x 22`` on a folded run, both if both."""
    parts = []
    first, last = box.first, box.rows[-1]
    if first["input_shape"] != last["output_shape"]:
        parts.append(f"{format_shape(first['input_shape'])} -> {format_shape(last['output_shape'])}")
    if box.count > 1:
        parts.append(f"x {box.count}")
    return "   ".join(parts)


def _box_hover(box: _Box) -> str:
    first, last = box.first, box.rows[-1]
    head = f"<b>{box.name}</b>"
    if box.count > 1:
        head += " " + _("({count} identical blocks)").format(count=box.count)
    where = first["block"] + (f" … {last['block']}" if box.count > 1 else "")
    shapes = _("input {input} -> output {output}").format(
        input=format_shape(first["input_shape"]), output=format_shape(last["output_shape"])
    )
    return f"{head}<br>" + _("{blocks}, stage {stage}").format(blocks=where, stage=first["stage"]) + f"<br>{shapes}"


def _first_input(records: list[dict]) -> str:
    return format_shape(records[0]["input_shape"]) if records else ""


def _last_output(records: list[dict]) -> str:
    return format_shape(records[-1]["output_shape"]) if records else ""


def _stem_hover(shape: str) -> str:
    return _("<b>stem</b>: conv1 (7x7, stride 2, then 3x3 max pool in ImageNet nets; 3x3 in CIFAR nets)") + (
        "<br>" + _("output {shape}").format(shape=shape) if shape else ""
    )


def _head_hover(shape: str) -> str:
    return _("<b>head</b>: global average pool, then the fully connected classifier") + (
        "<br>" + _("input {shape}").format(shape=shape) if shape else ""
    )


def _stage_bands(boxes: list[_Box]) -> tuple[list[dict], list[dict]]:
    """A light band behind every other stage and the stage name (``conv3_x``, blocks) at the left."""
    shapes, annotations = [], []
    spans: list[list] = []  # [stage, first row, last row, blocks]
    for r, box in enumerate(boxes, start=1):
        stage = box.first["stage"]
        if spans and spans[-1][0] == stage:
            spans[-1][2] = r
            spans[-1][3] += box.count
        else:
            spans.append([stage, r, r, box.count])
    for i, (stage, first, last, blocks) in enumerate(spans):
        shapes.append(
            dict(
                type="rect",
                layer="below",
                xref="x",
                yref="y",
                x0=X_RANGE[0],
                x1=X_RANGE[1],
                y0=first - 0.5,
                y1=last + 0.5,
                fillcolor=LIGHT if i % 2 == 0 else "white",
                line=dict(width=0),
            )
        )
        annotations.append(
            dict(
                x=X_RANGE[0] + 0.08,
                y=(first + last) / 2,
                xref="x",
                yref="y",
                xanchor="left",
                yanchor="middle",
                align="left",
                showarrow=False,
                text=f"<b>{stage}</b><br><span style='color:{GREY}'>{_count_blocks(blocks)}</span>",
                font=dict(size=12),
            )
        )
    return shapes, annotations


def _count_blocks(count: int) -> str:
    return (_("{count} block") if count == 1 else _("{count} blocks")).format(count=count)
