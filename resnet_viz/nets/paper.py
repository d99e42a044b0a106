"""The papers' published figures, and checks of our computed numbers against them.

The published numbers live in ``assets/paper_numbers.json`` (`published`). Sources:
He et al. 2015, "Deep Residual Learning for Image Recognition" (Tables 1 and 6);
He et al. 2016, "Identity Mappings in Deep Residual Networks" (Sec. 5, ResNet-164/1001);
torchvision's weights metadata (parameter counts and GFLOPS of its "v1.5" ResNets).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..formatting import human
from ..i18n import N_, _
from .naming import is_shortcut_part
from .published import by_depth, source
from .spec import IMAGENET_TABLE1, ResNetSpec
from .tables import layer_table, stage_table

# Table 1, last row: "FLOPs" (multiply-adds) at 224x224, in units of 1e9, printed with one decimal.
TABLE1_GMACS = by_depth("table1_gmacs")
# Table 6: CIFAR-10 ResNets with option A shortcuts, parameters in millions.
TABLE6_PARAMS_M = by_depth("table6_params_m")
# Identity Mappings: bottleneck pre-activation CIFAR ResNets, parameters in millions.
PREACT_PARAMS_M = by_depth("preact_params_m")
# The quantities `paper_checks` compares (its ``quantity`` column: English, translate with _() where shown).
MACS_G, PARAMS, PARAMS_M = N_("multiply-adds (1e9)"), N_("parameters"), N_("parameters (M)")
TORCHVISION_SOURCE = N_("torchvision weights metadata")


def _printed_match(ours: float, paper: float, decimals: int) -> str:
    """How ``paper`` (printed with ``decimals``) agrees with our exact value: "rounded",
    "truncated" or "" (no match).

    The papers print figures rounded; one of Table 1's is truncated (ResNet-50 v1's exact 3.86 G
    is printed 3.8), so a figure matches when it is our value either rounded or truncated to the
    printed precision. (ResNet-34's 3.6 is the rounded count of the plain / option-A net, 3.64 G;
    `paper_checks` compares the 18- and 34-layer figures with that count.)
    """
    unit = 10.0**-decimals
    if abs(ours - paper) <= unit / 2 + 1e-12:
        return "rounded"
    if paper - 1e-12 <= ours < paper + unit:
        return "truncated"
    return ""


def paper_checks(spec: ResNetSpec, input_size: int | None = None, layers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every published figure that applies to ``spec``, beside our computed value.

    Returns:
        DataFrame with columns quantity (English: `MACS_G`, `PARAMS`, `PARAMS_M`), source, paper (as
        printed), ours (exact, same unit), matches (bool), note (how a match or mismatch comes about);
        source and note in the current language. Empty when no published figure applies (custom
        depths, variants).
    """
    size = spec.default_input_size if input_size is None else input_size
    layers = layer_table(spec, size) if layers is None else layers
    params, macs = int(layers["params"].sum()), int(layers["macs"].sum())
    weights_only = int(layers.loc[layers["type"].isin(["Conv2d", "Linear"]), "params"].sum())
    standard = spec.norm == "batch" and spec.shortcut_variant == "identity" and spec.in_channels == 3
    rows = []

    def add(quantity: str, source: str, paper: float, ours: float, decimals: int, note: str = "") -> None:
        how = _printed_match(ours, paper, decimals)
        if how == "rounded":
            note = ""
        elif how == "truncated":
            note = note or _("the paper's {paper} is our {ours} truncated, not rounded").format(
                paper=paper, ours=f"{ours:.3f}"
            )
        rows.append(
            {
                "quantity": quantity,
                "source": source,
                "paper": paper,
                "ours": round(ours, 6),
                "matches": bool(how),
                "note": note,
            }
        )

    at_paper_size = size == spec.default_input_size  # 224 (Table 1) or 32 (Table 6)
    if spec.style == "imagenet" and at_paper_size and spec.num_classes == 1000 and standard:
        depth = spec.depth
        is_table1 = depth in IMAGENET_TABLE1 and IMAGENET_TABLE1[depth] == (spec.block, spec.layers)
        # Basic blocks have no 1x1 on the main path: the stride placement (v1 / v1.5) changes nothing there.
        paper_placement = spec.block == "basic" or spec.stride_on == "1x1"
        if is_table1 and paper_placement and spec.shortcut in ("A", "B") and spec.unit == "original":
            if spec.block == "basic":  # the paper's 18/34-layer count is the plain / option-A net's: no projections
                projections = int(layers.loc[layers["name"].map(is_shortcut_part), "macs"].sum())
                note = (
                    _(
                        "the paper's figure is the plain / option-A count ({plain} G); "
                        "this net's projections add {projections} G ({total} G in all)"
                    ).format(
                        plain=f"{(macs - projections) / 1e9:.2f}",
                        projections=f"{projections / 1e9:.3f}",
                        total=f"{macs / 1e9:.2f}",
                    )
                    if projections
                    else ""
                )
                add(MACS_G, source("table1_gmacs"), TABLE1_GMACS[depth], (macs - projections) / 1e9, 1)
                if note:
                    rows[-1]["note"] = note
            else:
                add(MACS_G, source("table1_gmacs"), TABLE1_GMACS[depth], macs / 1e9, 1)
        if is_table1 and spec.residual and spec.shortcut == "B" and spec.unit == "original":
            meta = _torchvision_meta(depth)
            if meta is not None:
                add(PARAMS, _(TORCHVISION_SOURCE), meta["num_params"], params, 0)
                if spec.stride_on == "3x3" or spec.block == "basic":
                    add(MACS_G, _(TORCHVISION_SOURCE), meta["_ops"], macs / 1e9, 3)
    if spec.style == "cifar" and at_paper_size and spec.num_classes == 10 and standard and spec.residual:
        depth = spec.depth
        if spec.block == "basic" and spec.shortcut == "A" and spec.unit == "original" and depth in TABLE6_PARAMS_M:
            paper = TABLE6_PARAMS_M[depth]
            add(PARAMS_M, source("table6_params_m"), paper, params / 1e6, 2 if paper < 1 else 1)
        if spec.block == "bottleneck" and spec.unit == "preact" and depth in PREACT_PARAMS_M:
            note = _(
                "counting conv and fc weights only (no BN) gives {params}M; the paper seems to count that way here"
            ).format(params=f"{weights_only / 1e6:.2f}")
            add(PARAMS_M, source("preact_params_m"), PREACT_PARAMS_M[depth], params / 1e6, 1, note)
    columns = [N_("quantity"), N_("source"), N_("paper"), N_("ours"), N_("matches"), N_("note")]
    return pd.DataFrame(rows, columns=columns)


# torchvision's published metadata of resnet{depth} (``IMAGENET1K_V1.meta``: "num_params", and "_ops", its GFLOPS,
# which are multiply-adds), written out so that checking a network against it needs no torchvision import (seconds: it
# imports torch._dynamo); tests/nets/test_tables.py checks them against the installed torchvision.
TORCHVISION_META = {
    18: {"num_params": 11_689_512, "_ops": 1.814},
    34: {"num_params": 21_797_672, "_ops": 3.664},
    50: {"num_params": 25_557_032, "_ops": 4.089},
    101: {"num_params": 44_549_160, "_ops": 7.801},
    152: {"num_params": 60_192_808, "_ops": 11.514},
}


def _torchvision_meta(depth: int) -> dict | None:
    """torchvision's published metadata for resnet{depth} (`TORCHVISION_META`), or None for a depth it has none for."""
    return TORCHVISION_META.get(depth)


# The two published sources of ImageNet multiply-adds: row label, stride placement, source (a `published` key, or
# torchvision's metadata), decimals shown.
TABLE1_SOURCES = (
    (N_("paper v1 (Table 1)"), "1x1", "table1_gmacs", 2),
    (N_("torchvision v1.5"), "3x3", TORCHVISION_SOURCE, 3),
)


def _mark(check: pd.Series, decimals: int) -> str:
    """A `paper_checks` row as a table cell: "3.8G ✅ (ours 3.86G)"."""
    return _("{paper}G {mark} (ours {ours}G)").format(
        paper=check["paper"], mark="✅" if check["matches"] else "❌", ours=f"{check['ours']:.{decimals}f}"
    )


def side_by_side(specs: list[ResNetSpec], input_size: int | None = None) -> pd.DataFrame:
    """Table 1 as the paper prints it: one column per network, one row per stage.

    Returns:
        DataFrame indexed by row label ("output size" is a column), its labels and cells in the current
        language: stage rows hold the bracketed block descriptions; then "parameters", "multiply-adds" (this
        network, human-readable), and one row per published source of multiply-adds, whatever this network's
        stride placement:
        "paper v1 (Table 1)" (the paper's figure, checked against the same network with the stride on
        the 1x1) and "torchvision v1.5" (torchvision's, checked with the stride on the 3x3). A cell reads
        "3.8G ✅ (ours 3.86G)"; "–" where no figure is published for the network.
    """
    columns, output_sizes = {}, {}
    for spec in specs:
        layers = layer_table(spec, input_size)
        stages = stage_table(spec, input_size, layers=layers).set_index("stage")
        total = stages.loc["total"]
        column = stages["description"].drop("total").rename(index=_stage_label).to_dict()
        column[_("parameters")] = human(total["params"])
        column[_("multiply-adds")] = human(total["macs"])
        for row, placement, wanted, decimals in TABLE1_SOURCES if spec.style == "imagenet" else ():
            same = spec if spec.stride_on == placement else replace(spec, stride_on=placement)
            checks = paper_checks(same, input_size, layers=layers if same is spec else None)
            cited = _(wanted) if wanted == TORCHVISION_SOURCE else source(wanted)
            found = checks[(checks["quantity"] == MACS_G) & (checks["source"] == cited)]
            column[_(row)] = _mark(found.iloc[0], decimals) if len(found) else "–"
        columns[_("{depth}-layer").format(depth=spec.depth)] = column
        output_sizes.update(stages["output_size"].drop("total").rename(index=_stage_label).to_dict())
    table = pd.DataFrame(columns)
    table.insert(0, _("output size"), pd.Series(output_sizes))
    return table.fillna("").rename_axis(_("layer name"))


def _stage_label(stage: str) -> str:
    """A stage as Table 1 names it: conv2_x stays, the classifier's row ("head") in the current language."""
    return _(stage) if stage == "head" else stage
