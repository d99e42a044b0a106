"""Plotly figures of a ResNet: its shortcuts, the inside of one block, and its cost per stage.

Pure functions from the analysis tables (`shortcut_table`, `layer_table`, `stage_table`) to
`plotly.graph_objects.Figure`; the app only draws what they return.

Conventions shared by the diagrams:
* y grows downwards (the input is at the top), one row per box; axes, grid and zoom are off.
* `style`'s Okabe-Ito colours (safe for colour-blind readers), and every shortcut kind also differs in line
  style: identity solid, projection dashed, zero-padding (option A) dotted.
* Every trace carries ``meta={"role": ...}`` so tests and callers can find what it stands for:
  ``shortcut`` (one arc or shortcut line), ``block`` (box outlines), ``label`` and ``hover`` (text
  and hover points), ``add`` (the circled "+" nodes), ``layer`` (one layer in `block_diagram`),
  ``main_path``, ``gate_path``, ``legend`` (legend-only entries), ``params``/``macs`` (bars).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..formatting import format_shape, human, prefix_of
from ..i18n import N_, _
from ..nets.naming import block_of, is_block, is_gate_part, is_shortcut_part, local_name, paper_name
from .style import (
    BLUE,
    GREEN,
    GREY,
    GRID,
    INK,
    LEGEND_BELOW,
    LIGHT,
    NEUTRAL,
    ORANGE,
    OUTLINE,
    PURPLE,
    VERMILLION,
    layout,
)

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

ROW_PX = 44  # shortcut diagram: pixels per drawn box, so tall networks scroll instead of shrinking
BOX_HALF_WIDTH = 1.45  # shortcut diagram: boxes span x in [-1.45, 1.45]
ARC_RADIUS = 0.45  # how far an arc bulges right of the boxes
X_RANGE = (-2.3, 3.9)  # room for stage labels on the left and arc labels on the right


# ---------------------------------------------------------------------- shortcut diagram
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
    traces: list[dict] = [_main_line(0, n_rows - 1)]
    shapes, annotations = _stage_bands(boxes)

    # Boxes: all outlines in one filled trace (fast for 600 blocks), labels and hover points in two more.
    outline_x, outline_y, label_x, label_y, labels, hover_x, hover_y, hovers = [], [], [], [], [], [], [], []
    first_in, last_out = _first_input(records), _last_output(records)
    rows = [(_("conv1 (stem)"), first_in, _stem_hover(first_in))]
    rows += [(b.name, format_shape(b.rows[-1]["output_shape"]), _box_hover(b)) for b in boxes]
    rows += [(_("avg pool + fc (head)"), "", _head_hover(last_out))]
    for r, (name, shape, hover) in enumerate(rows):
        _rect(outline_x, outline_y, -BOX_HALF_WIDTH, BOX_HALF_WIDTH, r - 0.25, r + 0.25)
        label_x.append(0.0)
        label_y.append(r)
        labels.append(f"{name}   <span style='color:{GREY}'>{shape}</span>" if shape else name)
        for x in (-1.1, -0.55, 0.0, 0.55, 1.1):  # hover anywhere along the box
            hover_x.append(x)
            hover_y.append(r)
            hovers.append(hover)
    traces.append(
        dict(
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
    )
    traces.append(_text_trace(label_x, label_y, labels, size=12, role="label"))
    traces.append(
        dict(
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
    )

    # Shortcuts: one trace per arc (the testability contract), then the "+" nodes and the arc labels.
    add_x, add_y, add_hover, arc_label_x, arc_label_y, arc_labels, arc_colours = [], [], [], [], [], [], []
    kinds_present = []
    for r, box in enumerate(boxes, start=1):
        kind = box.first["kind"]
        if kind not in KIND_STYLE:  # "none": a plain network has no shortcut
            continue
        if kind not in kinds_present:
            kinds_present.append(kind)
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
        traces.append(_add_nodes(add_x, add_y, add_hover, size=11))
    if arc_labels:
        traces.append(_text_trace(arc_label_x, arc_label_y, arc_labels, 12, "label", arc_colours, "middle right"))
    traces += [_legend_entry(kind) for kind in KIND_STYLE if kind in kinds_present]
    if records and not kinds_present:
        annotations.append(_note(_("plain network: no shortcut connections, so no arcs"), y=1.0, yshift=8))

    top, bottom = 80, 20
    height = max(400, ROW_PX * n_rows + top + bottom)
    fig = go.Figure(data=traces)
    y_range = (n_rows - 0.5, -0.5)
    return _diagram_layout(
        fig, title or _("Shortcuts"), height, X_RANGE, y_range, top, bottom, shapes=shapes, annotations=annotations
    )


def _arc(row: int, box: _Box, kind: str, label: str) -> dict:
    """A shortcut from above the box (row - 0.4) out to the right and back into its "+" (row + 0.4)."""
    colour, dash, _legend, what = KIND_STYLE[kind]
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
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="lines",
        line=dict(color=colour, dash=dash, width=2.2, shape="linear"),
        hovertext="<br>".join(line for line in lines if line),
        hoverinfo="text",
        showlegend=False,
        meta={
            "role": "shortcut",
            "kind": kind,
            "blocks": [r["block"] for r in box.rows],
            "count": box.count,
            "label": label,
        },
    )


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


# ---------------------------------------------------------------------- block diagram
# Light tints behind layer boxes (blue-ish conv, grey BN, orange-ish ReLU): structure, not data.
_FILL = {"Conv2d": "#DCEAF6", "BatchNorm2d": "#EFEFEF", "ReLU": "#FCEBC8", "Identity": "#FFFFFF"}
BLOCK_ROW_PX = 46
MAIN_X, SHORTCUT_X, GATE_X = 0.0, 3.0, -4.0  # column centres: main branch, shortcut, gate
LAYER_HALF_WIDTH, GATE_HALF_WIDTH = 1.15, 1.45


def block_diagram(layers: pd.DataFrame, block: str, spec=None) -> go.Figure:
    """The inside of one block: its layers top to bottom, the shortcut beside them, and the "+".

    What the reader sees: the block input x at the top; the main branch as boxes in execution order
    (``3x3 conv, 128, stride 2`` / ``BN`` / ``ReLU``, output shapes at the left), so pre-activation
    units show BN and ReLU before each conv; to the right the shortcut (a solid line for identity,
    or its own boxes: ``1x1 conv, 512, stride 2`` and ``BN`` for a projection, ``zero-pad (option
    A), stride 2``), joining the main branch at a circled "+"; any gate on the left; the layers
    after the addition below it. The layer that downsamples has a thick orange border, so v1
    (stride on the first 1x1) and v1.5 (stride on the 3x3) look different. A plain block has no
    shortcut and no "+".

    Args:
        layers: a `layer_table`.
        block: the block's module name, e.g. ``"layer2.0"``.
        spec: the `ResNetSpec` (optional): adds the network's name and the variant's constants.

    Returns:
        A figure with one Scatter trace per layer, ``meta={"role": "layer", "name", "type",
        "branch": "main" | "shortcut" | "gate" | "after_add", "strided": bool, "label"}``, one
        ``{"role": "shortcut"}`` line and one ``{"role": "add"}`` trace for the "+" when the block
        is residual.

    Raises:
        ValueError: ``block`` is not a block of this table.
    """
    parts = _split_block(layers, block)
    records, local = parts.records, parts.local
    rows = parts.rows()
    traces: list[dict] = [_main_line(0, parts.out_row)]
    annotations = [
        _io_node(0, _("input x   {shape}").format(shape=format_shape(records[0]["input_shape"]))),
        _io_node(parts.out_row, _("output   {shape}").format(shape=format_shape(records[-1]["output_shape"]))),
    ]
    kind = _block_kind(records, parts.side)
    if parts.add_row is not None:
        traces += _block_shortcut_paths(parts, kind, block)
        if not parts.side:  # a bare identity: say so beside the line
            scaled = getattr(spec, "shortcut_variant", None) == "scaling"
            if scaled:
                note = _("identity, scaled by {scale}").format(scale=f"{spec.shortcut_scale:g}")
            else:
                note = _("identity: x unchanged")
            y = (parts.tap + parts.add_row) / 2
            annotations.append(_shape_note(SHORTCUT_X + 0.1, y, note, "left", colour=KIND_STYLE[kind][0], size=12))

    for i, (branch, y) in rows.items():
        rec = records[i]
        x = {"shortcut": SHORTCUT_X, "gate": GATE_X}.get(branch, MAIN_X)
        strided = _is_strided(rec)
        border = ORANGE if strided else (KIND_STYLE[kind][0] if branch == "shortcut" else OUTLINE)
        fill = "white" if branch == "shortcut" else _FILL.get(rec["type"], "white")
        half = GATE_HALF_WIDTH if branch == "gate" else LAYER_HALF_WIDTH
        if branch != "gate":  # output shapes: left of the main branch, right of the shortcut
            side = "left" if branch == "shortcut" else "right"
            shape_x = x + half + 0.1 if branch == "shortcut" else x - half - 0.1
            annotations.append(_shape_note(shape_x, y, format_shape(rec["output_shape"]), side))
        box = dict(fill=fill, border=border, width=3.5 if strided else 1.2, half=half)
        traces.append(_layer_trace(x, y, rec, local[i], _layer_label(rec, local[i], spec), branch, strided, box))

    if parts.add_at is not None:
        rec = records[parts.add_at]
        hover = _add_hover(rec, spec, bool(parts.gate))
        traces.append(_add_nodes([MAIN_X], [parts.add_row], [hover], size=26, name=local[parts.add_at]))
        traces.append(_legend_entry(kind))
    if any(_is_strided(records[i]) for i in rows):
        traces.append(_stride_legend_entry())

    if spec is not None:
        inside = _("Inside {paper} ({block}) of {net}")
        title = inside.format(paper=paper_name(block), block=block, net=spec.display_name)
    else:
        title = _("Inside {paper} ({block})").format(paper=paper_name(block), block=block)
    top, bottom = 80, 20
    height = max(400, BLOCK_ROW_PX * (parts.out_row + 1) + top + bottom)
    left = GATE_X - GATE_HALF_WIDTH - 0.2 if parts.gate else -2.6
    x_range = (left, SHORTCUT_X + LAYER_HALF_WIDTH + 1.3)
    fig = go.Figure(data=traces)
    return _diagram_layout(
        fig, title, height, x_range, (parts.out_row + 0.6, -0.6), top, bottom, annotations=annotations
    )


@dataclass
class _BlockParts:
    """One block's `layer_table` rows, split into branches (all lists hold positions in ``records``)."""

    records: list[dict]
    local: list[str]  # names inside the block: "conv1", "downsample.0", "gate", "add", ...
    main: list[int]  # the residual branch F, before the addition
    side: list[int]  # the shortcut's own layers: projection, zero-pad, dropout
    gate: list[int]  # the gating conv of the gating variants
    add_at: int | None  # the Add row; None in a plain network
    after: list[int]  # layers after the addition (final ReLU, or BN + ReLU)

    @property
    def add_row(self) -> int | None:
        """Drawing rows: 0 = input x, 1..len(main) = main branch, then the "+" (if any)."""
        return len(self.main) + 1 if self.add_at is not None else None

    @property
    def out_row(self) -> int:
        return (self.add_row or len(self.main)) + 1 + len(self.after)

    @property
    def tap(self) -> float:
        """Where the shortcut leaves the main path: at x, or after the leading BN/ReLU of a
        pre-activation unit, whose projection (or zero-pad) sees the pre-activated input."""
        leading = 0
        while leading < len(self.main) and self.records[self.main[leading]]["type"] != "Conv2d":
            leading += 1
        return leading + 0.5 if self.side and leading < len(self.main) else 0.5

    def rows(self) -> dict[int, tuple[str, float]]:
        """Branch and y of every layer; shortcut and gate layers spread evenly beside the main branch."""
        rows = {i: ("main", float(r)) for r, i in enumerate(self.main, start=1)}
        start = (self.add_row or len(self.main)) + 1
        rows |= {i: ("after_add", float(r)) for r, i in enumerate(self.after, start=start)}
        if self.add_row is not None:
            for branch, members, top in (("shortcut", self.side, self.tap), ("gate", self.gate, 0.5)):
                step = (self.add_row - top) / (len(members) + 1)
                rows |= {i: (branch, top + (j + 1) * step) for j, i in enumerate(members)}
        return rows


def _split_block(layers: pd.DataFrame, block: str) -> _BlockParts:
    rows = layers[layers["name"].str.startswith(f"{block}.")]
    if not is_block(str(block)) or rows.empty:
        names = layers["name"].map(block_of).dropna().unique()
        shown = ", ".join(names[:3]) + (f", …, {names[-1]}" if len(names) > 3 else "")
        raise ValueError(
            _("Unknown block {block}: this network's blocks are {blocks} (layer<stage>.<index>).").format(
                block=repr(block), blocks=shown
            )
        )
    records = rows.to_dict("records")
    local = [local_name(r["name"]) for r in records]
    add_at = next((i for i, r in enumerate(records) if r["type"] == "Add"), None)
    before = range(len(records)) if add_at is None else range(add_at)
    side = [i for i in before if is_shortcut_part(local[i])]
    gate = [i for i in before if is_gate_part(local[i])]
    main = [i for i in before if i not in side and i not in gate]
    after = [] if add_at is None else list(range(add_at + 1, len(records)))
    return _BlockParts(records, local, main, side, gate, add_at, after)


def _block_shortcut_paths(parts: _BlockParts, kind: str, block: str) -> list[dict]:
    """The shortcut line (from its tap point, right, down, into the "+") and the gate's line, if any."""
    colour, dash, _legend, what = KIND_STYLE[kind]
    add_row = parts.add_row
    paths = [
        dict(
            type="scatter",
            x=[MAIN_X, SHORTCUT_X, SHORTCUT_X, MAIN_X + 0.15],
            y=[parts.tap, parts.tap, add_row, add_row],
            mode="lines",
            line=dict(color=colour, dash=dash, width=2.4),
            hovertext=_(what),
            hoverinfo="text",
            showlegend=False,
            meta={"role": "shortcut", "kind": kind, "blocks": [block], "count": 1, "label": ""},
        )
    ]
    if parts.gate:  # the gate reads x and weighs both inputs of the "+": drawn on the left
        paths.append(
            dict(
                type="scatter",
                x=[MAIN_X, GATE_X, GATE_X, MAIN_X - 0.15],
                y=[0.5, 0.5, add_row, add_row],
                mode="lines",
                line=dict(color=PURPLE, width=2),
                hoverinfo="skip",
                showlegend=False,
                meta={"role": "gate_path"},
            )
        )
    return paths


def _io_node(y: float, text: str) -> dict:
    """The block's input or output, a small framed label on the main path."""
    frame = dict(bgcolor="white", bordercolor=INK, borderwidth=1, borderpad=4)
    return _shape_note(MAIN_X, y, text, "center", colour=INK, size=12) | frame


def _stride_legend_entry() -> dict:
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="markers",
        marker=dict(symbol="square-open", size=14, color=ORANGE, line=dict(width=3)),
        name=_("downsamples (stride 2)"),
        meta={"role": "legend"},
    )


def _block_kind(records: list[dict], side: list[int]) -> str:
    types = {records[i]["type"] for i in side}
    if "Conv2d" in types:
        return "projection"
    if "ZeroPadShortcut" in types:
        return "zero_pad"
    return "identity"


def _is_strided(rec: dict) -> bool:
    stride = rec.get("stride")
    return stride is not None and not pd.isna(stride) and int(stride) > 1


def _layer_label(rec: dict, local: str, spec) -> str:
    """Paper-style text for one layer: ``3x3 conv, 128, stride 2``, ``BN``, ``ReLU``..."""
    kind = rec["type"]
    strided = _is_strided(rec)
    stride = int(rec["stride"]) if strided else None
    if kind == "Conv2d":
        conv = _("{kernel} conv, {channels}, <b>stride {stride}</b>") if strided else _("{kernel} conv, {channels}")
        text = conv.format(kernel=rec["kernel"], channels=rec["output_shape"][0], stride=stride)
        return _("gate: {layer}").format(layer=text) if local.startswith("gate") else text
    if kind == "ZeroPadShortcut":
        if strided:
            return _("zero-pad (option A), <b>stride {stride}</b>").format(stride=stride)
        return _("zero-pad (option A)")
    if kind == "Dropout":
        return _("dropout p={p}").format(p=f"{spec.shortcut_dropout:g}") if spec is not None else _("dropout")
    return {"BatchNorm2d": "BN", "ReLU": "ReLU", "Identity": _("no norm (identity)")}.get(kind, kind)


def _layer_trace(x: float, y: float, rec: dict, local: str, label: str, branch: str, strided: bool, box: dict) -> dict:
    """One layer as one trace: its box (a filled polygon), then its label and hover points."""
    hover = _("<b>{name}</b> ({type})<br>{input} -> {output}<br>params: {params}<br>MACs: {macs}").format(
        name=rec["name"],
        type=rec["type"],
        input=format_shape(rec["input_shape"]),
        output=format_shape(rec["output_shape"]),
        params=f"{int(rec['params']):,}",
        macs=f"{int(rec['macs']):,}",
    )
    if strided:
        hover += "<br><b>" + _("downsamples: stride {stride}").format(stride=int(rec["stride"])) + "</b>"
    if branch == "gate":
        hover += "<br>" + _("g(x) = sigmoid(this conv of x): weighs shortcut and branch at the +")
    xs, ys = [], []
    _rect(xs, ys, x - box["half"], x + box["half"], y - 0.3, y + 0.3)
    texts = [""] * len(xs)
    for d in (-0.85, -0.45, 0.0, 0.45, 0.85):  # single points after the polygon: label and hover targets
        xs += [x + d, None]
        ys += [y, None]
        texts += [label if d == 0.0 else "", ""]
    return dict(
        type="scatter",
        x=xs,
        y=ys,
        mode="lines+text",
        fill="toself",
        fillcolor=box["fill"],
        line=dict(color=box["border"], width=box["width"]),
        text=texts,
        textposition="middle center",
        textfont=dict(size=12, color=INK),
        hovertext=hover,
        hoverinfo="text",
        showlegend=False,
        meta={
            "role": "layer",
            "name": local,
            "type": rec["type"],
            "branch": branch,
            "strided": strided,
            "label": label,
        },
    )


def _add_hover(rec: dict, spec, gated: bool) -> str:
    formula = "y = F(x) + x"
    variant = getattr(spec, "shortcut_variant", None)
    if variant == "scaling":
        formula = f"y = {spec.branch_scale:g}·F(x) + {spec.shortcut_scale:g}·x"
    elif variant == "exclusive_gating":
        formula = "y = g(x)·F(x) + (1 − g(x))·x"
    elif variant == "shortcut_gating":
        formula = "y = F(x) + (1 − g(x))·x"
    elif gated:  # no spec: the table alone does not say which gating variant this is
        formula = _("y = F(x) and x, weighed by the gate g(x)")
    return _("<b>addition</b> ({name})<br>{formula}<br>shape {shape}").format(
        name=rec["name"], formula=formula, shape=format_shape(rec["output_shape"])
    )


def _shape_note(x: float, y: float, text: str, side: str, colour: str = GREY, size: int = 11) -> dict:
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


# ---------------------------------------------------------------------- stage cost chart
def stage_cost_chart(stages: pd.DataFrame) -> go.Figure:
    """Parameters and multiply-adds per stage, as two bar charts side by side.

    What the reader sees: parameters pile up in the last stages (wide layers on small maps), while
    multiply-adds are spread much more evenly, because each stage halves the map as it doubles the
    width. Bars are labelled in readable units (`formatting.human`: k, M, G); hover gives exact counts.

    Args:
        stages: a `stage_table` (its ``total`` row is dropped).

    Returns:
        A figure with two Bar traces, ``meta={"role": "params" | "macs", "unit": ..., "scale": ...}``
        and the exact counts in ``customdata``.
    """
    table = stages[stages["stage"] != "total"]
    names = [str(s) for s in table["stage"]]
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(_("Parameters"), _("Multiply-adds per image")), horizontal_spacing=0.12
    )
    for col, (column, colour, noun) in enumerate((("params", BLUE, _("params")), ("macs", ORANGE, "MACs")), start=1):
        values = [int(v) for v in table[column]]
        scale, prefix = prefix_of(max(values, default=0))
        unit = f"{prefix}{noun}" if noun == "MACs" else f"{prefix} {noun}".strip()
        fig.add_trace(
            go.Bar(
                x=names,
                y=[v / scale for v in values],
                customdata=values,
                marker_color=colour,
                text=[human(v) for v in values],
                textposition="outside",
                constraintext="none",
                textfont=dict(size=12),
                cliponaxis=False,
                hovertemplate=f"<b>%{{x}}</b><br>%{{customdata:,}} {noun}<extra></extra>",
                showlegend=False,
                meta={"role": column, "unit": unit, "scale": scale},
            ),
            row=1,
            col=col,
        )
        fig.update_yaxes(title_text=unit, row=1, col=col, rangemode="tozero", gridcolor=GRID, zeroline=False)
        fig.update_xaxes(row=1, col=col, tickangle=-30, showline=True, linecolor=NEUTRAL)
    layout(fig, height=420, margin=dict(t=60), bargap=0.35)
    fig.update_annotations(font=dict(size=14))
    return fig


# ---------------------------------------------------------------------- shared helpers
def _diagram_layout(
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


def _main_line(top: float, bottom: float) -> dict:
    """The main data path: a grey vertical line behind the boxes."""
    return dict(
        type="scatter",
        x=[0.0, 0.0],
        y=[top, bottom],
        mode="lines",
        line=dict(color=NEUTRAL, width=1.5),
        hoverinfo="skip",
        showlegend=False,
        meta={"role": "main_path"},
    )


def _rect(xs: list, ys: list, x0: float, x1: float, y0: float, y1: float) -> None:
    """Append a closed rectangle to a polygon trace's coordinates (None separates polygons)."""
    xs.extend([x0, x1, x1, x0, x0, None])
    ys.extend([y0, y0, y1, y1, y0, None])


def _text_trace(
    xs: list, ys: list, texts: list, size: int, role: str, colour: str | list = INK, position: str = "middle center"
) -> dict:
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


def _add_nodes(xs: list, ys: list, hovers: list, size: int, name: str = "add") -> dict:
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


def _legend_entry(kind: str) -> dict:
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


def _note(text: str, y: float, yshift: int = 0) -> dict:
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


def design_costs(designs: pd.DataFrame, title: str | None = None) -> go.Figure:
    """Bars of parameters, multiply-adds and activations per design, relative to the first (the bottleneck net).

    ``designs`` is `costs.bottleneck_vs_basic`; the y axis is log, 1 = the bottleneck's cost.
    """
    base = designs.iloc[0]
    measures = (("params", _("parameters")), ("macs", _("multiply-adds")), ("activations", _("activations")))
    colours = (BLUE, ORANGE, GREEN)
    fig = go.Figure()
    for (column, label), colour in zip(measures, colours):
        ratio = designs[column] / base[column]
        fig.add_trace(
            go.Bar(
                x=designs["design"],
                y=ratio,
                name=label,
                marker_color=colour,
                text=[f"{r:.2g}x<br>{human(v)}" for r, v in zip(ratio, designs[column])],
                textposition="outside",
                meta={"series": label},
                hovertemplate="%{x}<br>"
                + _("{measure}: {ratio}x the bottleneck's").format(measure=label, ratio="%{y:.2f}")
                + "<extra></extra>",
            )
        )
    fig.update_yaxes(type="log", title_text=_("cost relative to the bottleneck net"))
    return layout(fig, title or _("The same depth, three block designs"), barmode="group", legend=LEGEND_BELOW)
