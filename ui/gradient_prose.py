"""Sentences of the Gradient-flow page that read its measurements: how far the blocks' gradients spread,
at initialisation (plain vs residual) and over the steps of trained runs."""

from __future__ import annotations

from resnet_viz.i18n import _

from .text import plain


def spread_factor(table, quantity: str) -> str:
    """How far ``quantity`` spreads over a `plain_vs_residual` table's blocks: "a factor of 1.2e3"."""
    from resnet_viz.formatting import human_factor
    from resnet_viz.probes.gradients import spread

    log10_ratio = spread(table, quantity)
    if log10_ratio is None:
        return _("nothing measurable (every value overflowed)")
    return _("a factor of {factor}").format(factor=human_factor(log10_ratio))


def spread_caption(plain, residual, quantity: str, batchnorm: bool) -> str:
    """Both nets' spread at initialisation, and why it looks that way with (or without) BatchNorm."""
    if batchnorm:
        explanation = _(
            "With BatchNorm, each plain layer rescales the gradient on its way back and the factors compound: at "
            "initialisation the early blocks of a deep plain net get much larger gradients than the late ones. The "
            "identity shortcuts add a direct path, so the residual net's spread is far smaller, though not nil: "
            "the factor above is what this measurement gives, block by block."
        )
    else:
        explanation = _(
            "Without BatchNorm the picture changes. He initialisation keeps a plain net's signal and gradient "
            "roughly level at the start, while every identity addition adds the branch's variance to the signal, so "
            "an un-normalised ResNet's activations and gradients grow with depth. This is why ResNets rely on BN, "
            "or on initialisations that start each residual branch at (or near) zero: **Fixup** rescales each "
            "branch's weights by a depth-dependent factor and zero-initialises its last layer (Zhang et al. 2019); "
            "**SkipInit** multiplies each branch by a learnable scalar that starts at 0 (De & Smith 2020); "
            "**zero-initialised last BN** sets the last BN's scale gamma of each branch to 0, so every block starts "
            "as the identity (Goyal et al. 2017)."
        )
    return _(
        "Look at how far each curve spreads from the first block to the last: the plain net's values span "
        "{plain}, the residual net's {residual}. {explanation}"
    ).format(plain=spread_factor(plain, quantity), residual=spread_factor(residual, quantity), explanation=explanation)


def training_spread_lines(spreads, names: dict) -> str:
    """One line per run of `spread_during_training`: the factor between its blocks first, last and at most."""
    from resnet_viz.formatting import human_factor

    lines = []
    for run_id, rows in spreads.groupby("run_id", sort=False):
        first, last = rows.iloc[0], rows.iloc[-1]
        line = _(
            "- {run}: a factor of {first} between its blocks at step {first_step}, {last} at step {last_step}, "
            "{most} at most."
        )
        lines.append(
            line.format(
                run=plain(names[int(run_id)]),
                first=human_factor(first["spread"]),
                first_step=int(first["step"]),
                last=human_factor(last["spread"]),
                last_step=int(last["step"]),
                most=human_factor(rows["spread"].max()),
            )
        )
    return _("Measured spread of the blocks' weight-gradient norms:") + "\n" + "\n".join(lines)
