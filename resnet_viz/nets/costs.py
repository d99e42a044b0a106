"""What design choices cost: shortcut options A/B/C, and bottleneck against basic blocks."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..i18n import N_, _
from .naming import is_shortcut_part
from .spec import ResNetSpec
from .tables import shortcut_table, table_of
from .trace import trace_spec, trace_with_shortcut


def shortcut_option_costs(spec: ResNetSpec, input_size: int | None = None) -> pd.DataFrame:
    """What shortcut options A, B and C cost for ``spec``'s shape (He et al. 2015, Sec. 4.1), from one trace of the
    network (`trace.trace_with_shortcut`: the other options' shortcut paths are traced alone).

    Returns:
        DataFrame with one row per option: option, rule (in the current language), projections (count), shortcut_params,
        total_params, share (shortcut params / total), shortcut_macs, total_macs (multiply-adds per image).
    """
    rules = {
        "A": _("zero-padding where the shape changes (no parameters)"),
        "B": _("1x1 projection where the shape changes, identity elsewhere"),
        "C": _("1x1 projection on every shortcut"),
    }
    rows = []
    for option, rule in rules.items():
        variant = replace(spec, shortcut=option, residual=True)
        layers = table_of(trace_with_shortcut(spec, option, input_size))
        shortcuts = shortcut_table(variant, input_size, layers=layers)
        total = int(layers["params"].sum())
        on_shortcut = layers["name"].map(is_shortcut_part)
        rows.append(
            {
                N_("option"): option,
                N_("rule"): rule,
                N_("projections"): int((shortcuts["kind"] == "projection").sum()),
                "shortcut_params": int(shortcuts["params"].sum()),
                "total_params": total,
                N_("share"): float(shortcuts["params"].sum() / total),
                "shortcut_macs": int(layers.loc[on_shortcut, "macs"].sum()),
                "total_macs": int(layers["macs"].sum()),
            }
        )
    return pd.DataFrame(rows)


def _basic_blocks_for(layers: tuple[int, ...]) -> tuple[int, ...]:
    """Blocks per stage of basic blocks (2 layers each) giving about the depth of bottleneck ``layers``
    (3 layers each): 1.5x the blocks, by largest remainder, at least one per stage."""
    exact = [1.5 * n for n in layers]
    total = round(sum(exact))
    counts = [max(1, int(x)) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - int(exact[i]), reverse=True):
        if sum(counts) >= total:
            break
        counts[i] += 1
    return tuple(counts)


def bottleneck_vs_basic(spec: ResNetSpec, input_size: int | None = None) -> pd.DataFrame:
    """What a bottleneck net would cost built from basic blocks at (about) the same depth (He et al. 2015,
    Sec. 4.1, "Deeper Bottleneck Architectures"), from their cached meta-device traces.

    Three designs: ``spec`` itself (bottleneck); basic blocks at the same inner widths (64..512, so the
    maps are 4x narrower than the bottleneck's outputs); basic blocks at the bottleneck's output widths
    (256..2048, the same representation width, which the 1x1 reduce / expand make affordable).

    Returns:
        DataFrame with one row per design: design (in the current language), block, depth, layers (blocks
        per stage), widths (stage output widths), params, macs, activations (values of all layer outputs per image).

    Raises:
        ValueError: ``spec`` does not use bottleneck blocks.
    """
    if spec.block != "bottleneck":
        raise ValueError(
            _("{name} uses {block} blocks; the comparison starts from a bottleneck net.").format(
                name=spec.display_name, block=_(spec.block)
            )
        )
    basic = replace(spec, block="basic", layers=_basic_blocks_for(spec.layers))
    wide = replace(basic, widths=tuple(spec.expansion * w for w in spec.widths))
    designs = [
        (_("bottleneck (1x1, 3x3, 1x1)"), spec),
        (_("basic (3x3, 3x3), same inner width"), basic),
        (_("basic (3x3, 3x3), same output width"), wide),
    ]
    rows = []
    for design, variant in designs:
        trace = trace_spec(variant, input_size)
        rows.append(
            {
                N_("design"): design,
                N_("block"): variant.block,
                N_("depth"): variant.depth,
                "layers": variant.layers,
                "widths": tuple(variant.expansion * w for w in variant.widths),
                N_("params"): trace.params,
                N_("macs"): trace.macs,
                N_("activations"): sum(trace.output_values),
            }
        )
    return pd.DataFrame(rows)
