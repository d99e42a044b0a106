"""The block diagram: the inside of one residual block, its layers, its shortcut and the addition.

A pure function from a `layer_table` to a plotly figure (conventions and shared parts in `drawing`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from ..formatting import format_shape
from ..i18n import _
from ..nets.naming import block_of, is_block, is_gate_part, is_shortcut_part, local_name, paper_name
from .drawing import (
    KIND_STYLE,
    add_nodes,
    data_note,
    diagram_layout,
    legend_entry,
    main_line,
    path_line,
    rect,
    shortcut_line,
)
from .style import INK, ORANGE, OUTLINE, PURPLE

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
    records = parts.records
    kind = _block_kind(records, parts.side)
    traces: list[dict] = [main_line(0, parts.out_row)]
    annotations = [
        _io_node(0, _("input x   {shape}").format(shape=format_shape(records[0]["input_shape"]))),
        _io_node(parts.out_row, _("output   {shape}").format(shape=format_shape(records[-1]["output_shape"]))),
    ]
    if parts.add_row is not None:
        traces += _block_shortcut_paths(parts, kind, block)
        if not parts.side:  # a bare identity: say so beside the line
            annotations.append(_identity_note(parts, kind, spec))
    layer_traces, shape_notes = _layer_traces(parts, kind, spec)
    traces += layer_traces
    annotations += shape_notes
    if parts.add_at is not None:
        hover = _add_hover(records[parts.add_at], spec, bool(parts.gate))
        traces.append(add_nodes([MAIN_X], [parts.add_row], [hover], size=26, name=parts.local[parts.add_at]))
        traces.append(legend_entry(kind))
    if any(_is_strided(records[i]) for i in parts.rows()):
        traces.append(_stride_legend_entry())
    top, bottom = 80, 20
    height = max(400, BLOCK_ROW_PX * (parts.out_row + 1) + top + bottom)
    left = GATE_X - GATE_HALF_WIDTH - 0.2 if parts.gate else -2.6
    x_range = (left, SHORTCUT_X + LAYER_HALF_WIDTH + 1.3)
    y_range = (parts.out_row + 0.6, -0.6)
    fig = go.Figure(data=traces)
    return diagram_layout(
        fig, _block_title(block, spec), height, x_range, y_range, top, bottom, annotations=annotations
    )


def _block_title(block: str, spec) -> str:
    if spec is None:
        return _("Inside {paper} ({block})").format(paper=paper_name(block), block=block)
    return _("Inside {paper} ({block}) of {net}").format(paper=paper_name(block), block=block, net=spec.display_name)


def _identity_note(parts: _BlockParts, kind: str, spec) -> dict:
    """Beside a bare identity shortcut: "identity: x unchanged", or its scale in the scaling variant."""
    if getattr(spec, "shortcut_variant", None) == "scaling":
        note = _("identity, scaled by {scale}").format(scale=f"{spec.shortcut_scale:g}")
    else:
        note = _("identity: x unchanged")
    y = (parts.tap + parts.add_row) / 2
    return data_note(SHORTCUT_X + 0.1, y, note, "left", colour=KIND_STYLE[kind][0], size=12)


def _layer_traces(parts: _BlockParts, kind: str, spec) -> tuple[list[dict], list[dict]]:
    """One trace per layer, in its branch's column, and the notes of their output shapes."""
    traces, notes = [], []
    for i, (branch, y) in parts.rows().items():
        rec, local = parts.records[i], parts.local[i]
        x = {"shortcut": SHORTCUT_X, "gate": GATE_X}.get(branch, MAIN_X)
        strided = _is_strided(rec)
        border = ORANGE if strided else (KIND_STYLE[kind][0] if branch == "shortcut" else OUTLINE)
        fill = "white" if branch == "shortcut" else _FILL.get(rec["type"], "white")
        half = GATE_HALF_WIDTH if branch == "gate" else LAYER_HALF_WIDTH
        if branch != "gate":  # output shapes: left of the main branch, right of the shortcut
            side = "left" if branch == "shortcut" else "right"
            shape_x = x + half + 0.1 if branch == "shortcut" else x - half - 0.1
            notes.append(data_note(shape_x, y, format_shape(rec["output_shape"]), side))
        box = dict(fill=fill, border=border, width=3.5 if strided else 1.2, half=half)
        traces.append(_layer_trace(x, y, rec, local, _layer_label(rec, local, spec), branch, strided, box))
    return traces, notes


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
    add_row = parts.add_row
    xs, ys = [MAIN_X, SHORTCUT_X, SHORTCUT_X, MAIN_X + 0.15], [parts.tap, parts.tap, add_row, add_row]
    paths = [shortcut_line(xs, ys, kind, [block], hover=_(KIND_STYLE[kind][3]))]
    if parts.gate:  # the gate reads x and weighs both inputs of the "+": drawn on the left
        xs, ys = [MAIN_X, GATE_X, GATE_X, MAIN_X - 0.15], [0.5, 0.5, add_row, add_row]
        paths.append(path_line(xs, ys, PURPLE, 2, "gate_path"))
    return paths


def _io_node(y: float, text: str) -> dict:
    """The block's input or output, a small framed label on the main path."""
    frame = dict(bgcolor="white", bordercolor=INK, borderwidth=1, borderpad=4)
    return data_note(MAIN_X, y, text, "center", colour=INK, size=12) | frame


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
    rect(xs, ys, x - box["half"], x + box["half"], y - 0.3, y + 0.3)
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
