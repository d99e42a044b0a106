"""`ResNetSpec`: one frozen dataclass that fully describes a ResNet.

Every named model is a small set of arguments handed to one builder (timm's habit). The spec
round-trips to a plain dict / JSON so the app can store it with every run and in shareable URLs.

Depth rules (the "depth" counts weighted layers: convolutions and the final fc, as the papers do):

* ``style="imagenet"`` (He et al. 2015, Table 1): a 7x7 stem, four stages of widths 64/128/256/512.
  Depths 18/34/50/101/152 use exactly the paper's blocks per stage, and 200 those of the Identity
  Mappings paper's ImageNet ResNet-200 (``IMAGENET_LATER``). Any other depth follows
  ``depth = L * B + 2`` with ``L`` = 2 (basic) or 3 (bottleneck) layers per block and ``B >= 4``
  blocks in total: with ``B >= 11`` the stages hold ``[3, 4, B - 10, 3]`` (ResNet-34/50's shape,
  grown or shrunk in conv4_x as the paper grows ResNet-101); with ``4 <= B <= 10`` the blocks are
  split in proportion to ``[3, 4, 6, 3]`` (largest remainder, at least one per stage).
  The block type defaults to basic below 50 layers and bottleneck from 50 on, as in the paper.
* ``style="cifar"`` (He et al. 2015, Sec. 4.2; Identity Mappings Sec. 5): a 3x3 stem of 16
  filters and three stages of widths 16/32/64 on 32x32/16x16/8x8 maps, ``n`` blocks per stage:
  ``6n + 2`` layers with basic blocks, ``9n + 2`` with bottleneck blocks (ResNet-164, -1001).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from ..i18n import N_, _, join_items
from .naming import net_label, paper_name

STYLES = ("imagenet", "cifar")
BLOCKS = ("basic", "bottleneck")
SHORTCUT_OPTIONS = ("A", "B", "C")
UNITS = ("original", "bn_after_add", "relu_before_add", "relu_preact", "preact")
SHORTCUT_VARIANTS = (
    "identity",
    "scaling",
    "exclusive_gating",
    "shortcut_gating",
    "conv1x1",
    "dropout",
)
# What pages call each unit and shortcut variant (Identity Mappings, Fig. 4 and Fig. 2).
UNIT_LABELS = {
    "original": N_("original (post-activation)"),
    "bn_after_add": N_("BN after addition"),
    "relu_before_add": N_("ReLU before addition"),
    "relu_preact": N_("ReLU-only pre-activation"),
    "preact": N_("full pre-activation"),
}
VARIANT_LABELS = {
    "identity": N_("identity"),
    "scaling": N_("constant scaling (0.5)"),
    "exclusive_gating": N_("exclusive gating"),
    "shortcut_gating": N_("shortcut-only gating"),
    "conv1x1": N_("1x1 conv shortcut"),
    "dropout": N_("dropout shortcut (0.5)"),
}
STRIDE_PLACEMENTS = ("3x3", "1x1")
NORMS = ("batch", "none")

# He et al. 2015, Table 1: blocks per stage (conv2_x .. conv5_x) and block type.
IMAGENET_TABLE1: dict[int, tuple[str, tuple[int, ...]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# ResNet-200 (He et al. 2016, Identity Mappings, Table 5: ImageNet, original and pre-activation units). The paper
# gives no table of its stages; its blocks per stage are those of the Torch code the authors' ImageNet results
# were trained with (facebook/fb.resnet.torch, models/resnet.lua). Built as published, not by the rule below.
IMAGENET_LATER: dict[int, tuple[str, tuple[int, ...]]] = {200: ("bottleneck", (3, 24, 36, 3))}
IMAGENET_WIDTHS = (64, 128, 256, 512)
CIFAR_WIDTHS = (16, 32, 64)
LAYERS_PER_BLOCK = {"basic": 2, "bottleneck": 3}
EXPANSION = {"basic": 1, "bottleneck": 4}
# The largest depth accepted at all; memory limits are checked later, by build_resnet. Every page traces its
# network first (`trace.trace_spec` builds each layer, on the meta device), and that time grows with the depth:
# measured on a 2-core machine under load, ResNet-1202 in 2.4 s, 2000 layers in 9.9 s; a shared link to a
# 9992-layer net kept a server's script threads busy for minutes. 1500 admits the papers' deepest (1202, 1001)
# and refuses, before any tracing, what no page could show in reasonable time.
MAX_DEPTH = 1500


@dataclass(frozen=True)
class ResNetSpec:
    """Everything needed to rebuild a ResNet. Immutable and hashable, so it can key caches.

    Prefer `ResNetSpec.from_depth`; the constructor takes explicit blocks per stage.
    """

    style: str = "imagenet"  # "imagenet" (7x7 stem + max pool, 4 stages) or "cifar" (3x3 stem, 3 stages)
    block: str = "basic"  # "basic" (two 3x3) or "bottleneck" (1x1 reduce, 3x3, 1x1 expand x4)
    layers: tuple[int, ...] = (2, 2, 2, 2)  # residual blocks per stage
    widths: tuple[int, ...] = IMAGENET_WIDTHS  # bottleneck (inner) width of each stage
    stem_width: int = 64  # filters of conv1
    num_classes: int = 1000  # outputs of fc
    in_channels: int = 3  # input image channels (3 = RGB, 1 = greyscale)
    shortcut: str = "B"  # where the shape changes: "A" zero-pad, "B" projection; "C" projection everywhere
    residual: bool = True  # False = plain network: same layers, no shortcut additions
    unit: str = "original"  # residual-unit variant, Identity Mappings Fig. 4
    shortcut_variant: str = "identity"  # shortcut variant, Identity Mappings Fig. 2
    shortcut_scale: float = 0.5  # lambda of the "scaling" variant: shortcut multiplied by it
    branch_scale: float = 1.0  # "scaling" variant: residual branch multiplied by it (0.5 = "on both")
    gate_bias: float = -6.0  # initial bias of the gating 1x1 conv (the paper's best: -6)
    shortcut_dropout: float = 0.5  # drop probability of the "dropout" shortcut variant
    stride_on: str = "3x3"  # bottleneck downsampling on the 3x3 ("v1.5", torchvision) or the first 1x1 ("v1", paper)
    norm: str = "batch"  # "batch" = BatchNorm after each conv, "none" = no normalisation (convs get a bias)

    def __post_init__(self) -> None:
        # JSON gives lists; keep tuples so the spec stays hashable.
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "widths", tuple(self.widths))
        self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_depth(
        cls,
        depth: int,
        style: str = "imagenet",
        block: str | None = None,
        num_classes: int | None = None,
        **options: Any,
    ) -> ResNetSpec:
        """The spec of a ResNet with ``depth`` weighted layers (see the module docstring for rules).

        Raises:
            ValueError: the depth does not exist for this style and block; the message names the
                nearest valid depths.
        """
        _check_choice("style", style, STYLES)
        if block is not None:
            _check_choice("block", block, BLOCKS)
        depth = _as_depth(depth)
        if style == "imagenet":
            if depth in IMAGENET_TABLE1 and (block is None or block == IMAGENET_TABLE1[depth][0]):
                block, layers = IMAGENET_TABLE1[depth]
            else:
                block = block or ("basic" if depth < 50 else "bottleneck")
                layers = imagenet_layers(depth, block)
            widths, stem, classes = IMAGENET_WIDTHS, 64, 1000
        else:
            if block is None:  # 6n+2 -> basic; otherwise 9n+2 -> bottleneck (ResNet-1001)
                fits_basic = depth >= 8 and (depth - 2) % 6 == 0
                block = "bottleneck" if not fits_basic and depth >= 11 and (depth - 2) % 9 == 0 else "basic"
            per_block = 3 * LAYERS_PER_BLOCK[block]  # three stages
            n = (depth - 2) // per_block
            if depth < per_block + 2 or (depth - 2) % per_block:
                raise ValueError(
                    _(
                        "A CIFAR-style ResNet with {block} blocks has {per_block}n+2 layers; "
                        "{depth} is not of that form. Nearest valid depths: {nearest}."
                    ).format(
                        block=_(block),  # "basic" / "bottleneck", translated by the picker's catalog entries
                        per_block=per_block,
                        depth=depth,
                        nearest=_format_nearest(depth, valid_depths("cifar", block, near=depth)),
                    )
                )
            layers, widths, stem, classes = (n, n, n), CIFAR_WIDTHS, 16, 10
        return cls(
            style=style,
            block=block,
            layers=layers,
            widths=widths,
            stem_width=stem,
            num_classes=classes if num_classes is None else num_classes,
            **options,
        )

    # ------------------------------------------------------------------ properties
    @property
    def depth(self) -> int:
        """Weighted layers on the main path: stem conv + convs in blocks + fc."""
        return LAYERS_PER_BLOCK[self.block] * sum(self.layers) + 2

    @property
    def expansion(self) -> int:
        """Output channels of a block divided by its inner width (1 basic, 4 bottleneck)."""
        return EXPANSION[self.block]

    @property
    def default_input_size(self) -> int:
        """The input resolution the paper uses for this style (224 ImageNet, 32 CIFAR)."""
        return default_input_size(self.style)

    @property
    def min_input_size(self) -> int:
        """The smallest input for which every stage keeps at least a 1x1 map (32 ImageNet, 4 CIFAR)."""
        return min_input_size(self.style)

    @property
    def name(self) -> str:
        """A short human name, e.g. "ResNet-50", "plain-56 (CIFAR)", "ResNet-164 (CIFAR, preact)".

        Always English, with the unit's code: it names runs and files. Pages show `display_name`."""
        base, notes = self._name_parts(lambda text: text, readable=False)
        return base + (f" ({', '.join(notes)})" if notes else "")

    @property
    def display_name(self) -> str:
        """`name` for pages and messages: the unit and variant by their labels, in the user's language."""
        base, notes = self._name_parts(_, readable=True)
        return _("{name} ({notes})").format(name=base, notes=join_items(notes)) if notes else base

    def _name_parts(self, translate, readable: bool) -> tuple[str, list[str]]:
        base = net_label(self.depth, self.residual)
        notes = []
        if self.style == "cifar":
            notes.append("CIFAR")
        if self.residual and self.unit != "original":
            notes.append(translate(UNIT_LABELS[self.unit]) if readable else self.unit)
        if self.residual and self.shortcut_variant != "identity":
            variant = self.shortcut_variant
            notes.append(translate(VARIANT_LABELS[variant]) if readable else f"{variant} shortcut")
        if self.norm == "none":
            notes.append(translate(N_("no BN")))
        return base, notes

    def stage_names(self) -> list[str]:
        """The paper's stage names: conv2_x, conv3_x, ... (one per entry of ``layers``)."""
        return [paper_name(f"layer{i}") for i in range(1, len(self.layers) + 1)]

    # ------------------------------------------------------------------ (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["layers"] = list(self.layers)
        data["widths"] = list(self.widths)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResNetSpec:
        """Inverse of `to_dict`; unknown keys are an error, missing keys take defaults."""
        if not isinstance(data, dict):
            raise ValueError(_("A ResNet spec must be a dict, got {type}.").format(type=type(data).__name__))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(_("Unknown ResNet spec field(s): {fields}.").format(fields=", ".join(unknown)))
        return cls(**data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ResNetSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(_("Not a valid ResNet spec JSON: {error}").format(error=err)) from None
        return cls.from_dict(data)

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Raise ValueError with a readable message when any field is impossible."""
        _check_choice("style", self.style, STYLES)
        _check_choice("block", self.block, BLOCKS)
        _check_choice("shortcut", self.shortcut, SHORTCUT_OPTIONS)
        _check_choice("unit", self.unit, UNITS)
        _check_choice("shortcut_variant", self.shortcut_variant, SHORTCUT_VARIANTS)
        _check_choice("stride_on", self.stride_on, STRIDE_PLACEMENTS)
        _check_choice("norm", self.norm, NORMS)
        n_stages = 4 if self.style == "imagenet" else 3
        if len(self.layers) != n_stages or len(self.widths) != n_stages:
            raise ValueError(
                _(
                    "A {style}-style ResNet has {stages} stages: layers and widths need "
                    "{stages} entries each (got {layers} and {widths})."
                ).format(style=self.style, stages=n_stages, layers=len(self.layers), widths=len(self.widths))
            )
        for label, values, low in (("layers", self.layers, 1), ("widths", self.widths, 1)):
            for v in values:
                if not _is_int(v) or v < low:
                    raise ValueError(
                        _("Every entry of {field} must be a whole number >= {low}; got {value}.").format(
                            field=label, low=low, value=repr(v)
                        )
                    )
        for label, value in (
            ("stem_width", self.stem_width),
            ("num_classes", self.num_classes),
            ("in_channels", self.in_channels),
        ):
            if not _is_int(value) or value < 1:
                raise ValueError(
                    _("{field} must be a whole number >= 1; got {value}.").format(field=label, value=repr(value))
                )
        if not isinstance(self.residual, bool):
            raise ValueError(_("residual must be true or false; got {value}.").format(value=repr(self.residual)))
        for label in ("shortcut_scale", "branch_scale", "gate_bias", "shortcut_dropout"):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
                raise ValueError(_("{field} must be a number; got {value}.").format(field=label, value=repr(value)))
        if not 0.0 <= self.shortcut_dropout < 1.0:
            raise ValueError(_("shortcut_dropout must be in [0, 1); got {value}.").format(value=self.shortcut_dropout))
        if self.depth > MAX_DEPTH:
            raise ValueError(
                _("{depth} layers is beyond this tool's limit of {limit}.").format(depth=self.depth, limit=MAX_DEPTH)
            )


# ---------------------------------------------------------------------- input sizes
def default_input_size(style: str) -> int:
    """The input resolution the papers use: 224x224 for ImageNet-style nets, 32x32 for CIFAR-style ones."""
    _check_choice("style", style, STYLES)
    return 224 if style == "imagenet" else 32


def min_input_size(style: str) -> int:
    """The smallest input side for which every stage keeps at least a 1x1 map.

    The map halves at every stride-2 step: the ImageNet stem's conv and max pool, then the first block
    of every stage after the first (2 + 3 = 5 halvings: 32 px); CIFAR nets have no strided stem and
    three stages (2 halvings: 4 px).
    """
    _check_choice("style", style, STYLES)
    halvings = 2 + 3 if style == "imagenet" else 2
    return 2**halvings


# ---------------------------------------------------------------------- depth rules
def imagenet_layers(depth: int, block: str) -> tuple[int, int, int, int]:
    """Blocks per stage for an ImageNet-style ResNet of ``depth`` layers (module docstring rule)."""
    per_block = LAYERS_PER_BLOCK[block]
    published = {**IMAGENET_TABLE1, **IMAGENET_LATER}
    if depth in published and published[depth][0] == block:
        return published[depth][1]  # type: ignore[return-value]
    total = (depth - 2) // per_block
    if (depth - 2) % per_block or total < 4:
        raise ValueError(
            _(
                "An ImageNet-style ResNet with {block} blocks has {per_block}*B+2 layers with at least "
                "4 blocks; {depth} is not of that form. Nearest valid depths: {nearest} "
                "(the paper's Table 1: 18, 34, 50, 101, 152)."
            ).format(
                block=_(block),  # "basic" / "bottleneck", translated by the picker's catalog entries
                per_block=per_block,
                depth=depth,
                nearest=_format_nearest(depth, valid_depths("imagenet", block, near=depth)),
            )
        )
    if total >= 11:
        return (3, 4, total - 10, 3)
    shape = (3, 4, 6, 3)
    exact = [total * s / 16 for s in shape]
    counts = [max(1, int(e)) for e in exact]
    # Largest remainder: hand out (or take back) blocks until the total is right.
    order = sorted(range(4), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    i = 0
    while sum(counts) < total:
        counts[order[i % 4]] += 1
        i += 1
    while sum(counts) > total:
        j = max(range(4), key=lambda k: counts[k])
        counts[j] -= 1
    return tuple(counts)  # type: ignore[return-value]


def valid_depths(style: str, block: str, near: int | None = None, count: int = 4) -> list[int]:
    """Valid depths for a style and block; with ``near``, the ``count`` closest ones, sorted."""
    per_block = LAYERS_PER_BLOCK[block]
    if style == "imagenet":
        step, first = per_block, 4 * per_block + 2
    else:
        step, first = 3 * per_block, 3 * per_block + 2
    if near is None:
        return list(range(first, 1202 + 1, step))
    k = max(0, round((near - first) / step))
    candidates = [first + step * j for j in range(max(0, k - count), k + count + 1)]
    return sorted(sorted(candidates, key=lambda d: (abs(d - near), d))[:count])


def _format_nearest(depth: int, nearest: list[int]) -> str:
    return join_items(d for d in nearest if d != depth)


def _as_depth(depth: Any) -> int:
    if isinstance(depth, str):
        try:
            depth = int(depth.strip())
        except ValueError:
            message = _("Depth must be a whole number of layers; got {value}.").format(value=repr(depth))
            raise ValueError(message) from None
    if isinstance(depth, float) and depth.is_integer():
        depth = int(depth)
    if not _is_int(depth):
        raise ValueError(_("Depth must be a whole number of layers; got {value}.").format(value=repr(depth)))
    if depth < 1:
        raise ValueError(
            _("Depth must be positive; got {depth}. Try 18, 34, 50 (ImageNet) or 20, 56, 110 (CIFAR).").format(
                depth=depth
            )
        )
    if depth > MAX_DEPTH:
        raise ValueError(
            _("Depth {depth} is beyond this tool's limit of {limit} layers.").format(depth=depth, limit=MAX_DEPTH)
        )
    return depth


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_choice(label: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(
            _("Unknown {field} {value}; choose one of: {choices}.").format(
                field=label, value=repr(value), choices=", ".join(choices)
            )
        )
