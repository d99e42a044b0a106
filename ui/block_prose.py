"""Sentences that explain one network's blocks, read from its own tables: what is inside a block, and why
the shapes change where they do (the Shortcuts page)."""

from __future__ import annotations

import pandas as pd

from resnet_viz.i18n import _, join_items
from resnet_viz.nets.spec import ResNetSpec


def block_explanation(spec: ResNetSpec) -> str:
    """A few sentences on what the block view shows for this spec."""
    parts = []
    if spec.block == "basic":
        parts.append(_("A **basic block** has two 3x3 convolutions; the first one carries the stride."))
    elif spec.stride_on == "1x1":
        parts.append(
            _(
                "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
                "expands 4x with a 1x1. In a downsampling block the stride sits on the first 1x1 (the paper, v1): "
                "a strided 1x1 simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate in "
                "top-1 at a little more compute (NVIDIA's ResNet50 v1.5 description)."
            )
        )
    else:
        parts.append(
            _(
                "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
                "expands 4x with a 1x1. In a downsampling block the stride sits on the 3x3 (torchvision, v1.5): "
                "a strided 1x1 simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate in "
                "top-1 at a little more compute (NVIDIA's ResNet50 v1.5 description)."
            )
        )
    orders = {
        "original": _("Unit ordering: conv-BN-ReLU, conv-BN, then the addition and a final ReLU (post-activation)."),
        "bn_after_add": _("Unit ordering: BN moved after the addition, so it also normalises the shortcut signal."),
        "relu_before_add": _(
            "Unit ordering: the ReLU moved before the addition, so F(x) can only add, never subtract."
        ),
        "relu_preact": _(
            "Unit ordering: the ReLU moved to the start of the branch; the addition's output is left untouched."
        ),
        "preact": _(
            "Unit ordering: BN and ReLU before each conv (pre-activation), so the shortcut path is a clean "
            "identity from block to block."
        ),
    }
    if spec.residual:
        parts.append(orders[spec.unit])
    else:
        parts.append(_("Plain network: the branch is all there is, no shortcut and no addition."))
    return "\n\n".join(parts)


def shape_change_explanation(spec: ResNetSpec, shortcuts: pd.DataFrame) -> str:
    """Why the shapes change where they do, read from this network's `shortcut_table` (never generic)."""
    from resnet_viz.formatting import format_shape
    from resnet_viz.nets.tables import shape_changes

    where = shape_changes(shortcuts)
    rows = shortcuts.set_index("paper_name")
    parts = []
    if where["strided"]:
        names = join_items(f"**{n}**" for n in where["strided"])
        parts.append(
            _(
                "The map is halved (stride {stride}) and the width grows at {blocks}: the first block of each "
                "later stage."
            ).format(stride=int(rows.loc[where["strided"][0], "stride"]), blocks=names)
        )
    for name in where["channels_only"]:
        cin, cout = rows.loc[name, "input_shape"], rows.loc[name, "output_shape"]
        parts.append(
            _(
                "At **{block}** only the channels change ({before} -> {after}, {input} -> {output}, stride 1): "
                "the first bottleneck block widens 4x without shrinking the map."
            ).format(block=name, before=cin[0], after=cout[0], input=format_shape(cin), output=format_shape(cout))
        )
    if not parts:
        return _("No block changes the shape here: every shortcut joins tensors of the same shape.")
    changing = rows.loc[where["strided"] + where["channels_only"]]
    kinds = set(changing["kind"])
    parts.append(_("There x and F(x) have different shapes, so x cannot be added as it is:"))
    if "zero_pad" in kinds:
        parts.append(
            _(
                "with **option A** (this network) the shortcut takes every other pixel where the stride is 2 and "
                "pads the new channels with zeros: no parameters."
            )
        )
    if "projection" in kinds:
        projected = changing[changing["kind"] == "projection"]
        how = "; ".join(
            _("stride {stride} at {blocks}").format(stride=stride, blocks=join_items(group.index))
            for stride, group in projected.groupby("stride", sort=False)
        )
        if spec.shortcut in ("B", "C"):
            text = _("with **option {option}** a 1x1 convolution projects it, with its BN ({where}).")
        else:
            text = _("with **this network** a 1x1 convolution projects it, with its BN ({where}).")
        parts.append(text.format(option=spec.shortcut, where=how))
    identity = int((shortcuts["kind"] == "identity").sum())
    same_shape = shortcuts["input_shape"] == shortcuts["output_shape"]
    projected_same = int(((shortcuts["kind"] == "projection") & same_shape).sum())
    if projected_same:
        parts.append(_("Option C also projects the {count} blocks whose shapes match.").format(count=projected_same))
    if identity:
        parts.append(
            _("Everywhere else ({count} blocks) the shapes match and the shortcut is a plain identity.").format(
                count=identity
            )
        )
    return " ".join(parts)


def highway_note() -> str:
    """Why an identity shortcut and not a gate: He et al. 2015, Sec. 2, on highway networks."""
    return _(
        "**Why not a gate?** Highway networks (Srivastava et al. 2015) also have shortcut connections, but "
        "gated: the gates depend on the data and have parameters, and when a gate closes (approaches zero) the "
        "layers compute a non-residual function. An identity shortcut has no parameters and never closes: all "
        "information always passes through, and the layers only learn what to add. Highway networks had not "
        "shown accuracy gains at extreme depth (over 100 layers) (He et al. 2015, Sec. 2). The Identity-mappings "
        "lab trains such gates (exclusive and shortcut-only gating) against the identity."
    )


def projections_at_depth_note() -> str:
    """Why projections help a little at 34 layers yet hurt at 110: Identity Mappings Sec. 3.2, Table 1."""
    from resnet_viz.nets import published

    errors = published.values("identity_mappings_shortcut_errors")
    units = sum(ResNetSpec.from_depth(110, style="cifar").layers)  # the residual units of ResNet-110: 54
    return _(
        "Projections on every shortcut help a little at 34 layers, yet the second paper puts 1x1 convolutions on "
        "every shortcut of ResNet-110 and gets {conv} % against the identity's {identity} % on CIFAR-10 ({source}). "
        "With {units} units stacked, the shortcut is no longer a clean path: the signal and its gradient are "
        "transformed {units} times on the way. The 1x1 net can represent the identity, and still trains to a higher "
        "error, so its trouble is optimisation, not what it can represent (Identity Mappings, Sec. 3.2)."
    ).format(
        conv=errors["conv1x1"],
        identity=errors["identity"],
        units=units,
        source=published.source("identity_mappings_shortcut_errors"),
    )
