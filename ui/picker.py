"""The sidebar's network picker, mirrored in the URL so a shared link reopens the same view.

app.py first settles the URL (`sync_url`, before the navigation), then draws the picker once per run
(`model_picker`); pages read the result with `current_choice`.
Nothing here imports torch: the spec module is torch-free, so Home draws before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from resnet_viz.i18n import N_, _, join_items
from resnet_viz.nets.spec import (
    MAX_DEPTH,
    SHORTCUT_VARIANTS,
    UNIT_LABELS,
    UNITS,
    VARIANT_LABELS,
    ResNetSpec,
    default_input_size,
)

from . import language
from .frame import stop_page
from .state import drawing, keep, new_script_run
from .text import plain, translated

# Presets: label -> (depth, style, block, options). CIFAR basic nets use option A as in Table 6.
PRESETS: dict[str, tuple[int, str, str, dict]] = {
    "ResNet-18": (18, "imagenet", "basic", {}),
    "ResNet-34": (34, "imagenet", "basic", {}),
    "ResNet-50": (50, "imagenet", "bottleneck", {}),
    "ResNet-101": (101, "imagenet", "bottleneck", {}),
    "ResNet-152": (152, "imagenet", "bottleneck", {}),
    "CIFAR ResNet-20": (20, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-32": (32, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-44": (44, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-56": (56, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-110": (110, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-164 (pre-act)": (164, "cifar", "bottleneck", {"shortcut": "B", "unit": "preact"}),
    "CIFAR ResNet-1001 (pre-act)": (1001, "cifar", "bottleneck", {"shortcut": "B", "unit": "preact"}),
    "CIFAR ResNet-1202": (1202, "cifar", "basic", {"shortcut": "A"}),
}
CUSTOM = N_("Custom depth")  # a value kept in URLs (N_ returns it unchanged): shown as _(CUSTOM)
# Widget key -> (URL parameter, default). The URL holds the whole configuration, so a link
# reopens the same view.
DEFAULTS = {
    "preset": "ResNet-18",
    "style": "imagenet",
    "depth": 18,
    "block": "auto",
    "residual": True,
    "shortcut": "B",
    "stride_on": "3x3",
    "unit": "original",
    "variant": "identity",
    "batchnorm": True,
    "input_size": 224,
}
PAGE_PARAMS = ("step",)  # URL parameters a page owns (the Lesson's step): kept when the picker rewrites the URL
_KEY = "cfg_"  # prefix of the picker's widget keys in st.session_state
_CHANGED, _JUST_CHANGED = "_cfg_changed", "_cfg_just_changed"  # set by a widget's callback; read for one run
# The papers' shortcut option per style: A (zero-padding) for CIFAR (He et al. 2015, Sec. 4.2, Table 6),
# B (projections where the shape changes) for ImageNet (Table 3, used for ResNet-50/101/152).
STYLE_SHORTCUT = {"cifar": "A", "imagenet": "B"}


@dataclass(frozen=True)
class Choice:
    """What the sidebar picked: a valid spec and input size, or a readable error."""

    spec: ResNetSpec | None
    input_size: int
    error: str | None = None

    def require(self) -> tuple[ResNetSpec, int]:
        """The spec and input size; on a bad choice, show the error and stop this page only."""
        if self.spec is None:
            st.error(self.error or _("This configuration is not valid."), icon="⚠️")
            stop_page()
        return self.spec, self.input_size


# URL <-> widgets
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _parse(key: str, raw: str):
    """A URL parameter's value as its widget holds it; ValueError for one it cannot hold (``residual=maybe``)."""
    default = DEFAULTS[key]
    if isinstance(default, bool):
        if raw.lower() not in _BOOLEANS:
            raise ValueError(raw)
        return _BOOLEANS[raw.lower()]
    if isinstance(default, int):
        return int(raw)
    return raw


def _valid(key: str, value) -> bool:
    allowed = {
        "preset": [*PRESETS, CUSTOM],
        "style": ["imagenet", "cifar"],
        "block": ["auto", "basic", "bottleneck"],
        "shortcut": ["A", "B", "C"],
        "stride_on": ["3x3", "1x1"],
        "unit": list(UNITS),
        "variant": list(SHORTCUT_VARIANTS),
    }
    if key in allowed:
        return value in allowed[key]
    if key == "depth":
        return 1 <= value <= MAX_DEPTH
    if key == "input_size":
        return 4 <= value <= 1024
    return True


def _load_from_url() -> None:
    """On a session's first run, set the picker's widgets from the URL (ignoring bad values)."""
    if st.session_state.get("_cfg_loaded"):
        return
    st.session_state["_cfg_loaded"] = True
    for key, default in DEFAULTS.items():
        st.session_state.setdefault(_KEY + key, default)
    params = st.query_params
    # The preset's options first (the default preset's when the URL names none, so that the state equals what
    # choosing it gives and nothing differs from the URL: no write, no second history entry); explicit parameters
    # override them.
    preset = params.get("preset", DEFAULTS["preset"])
    if preset in PRESETS:
        st.session_state[_KEY + "preset"] = preset
        _apply_preset()
    ignored = []
    for key in DEFAULTS:
        if key in params:
            try:
                value = _parse(key, params[key])
            except ValueError:
                value = None
            if value is not None and _valid(key, value):
                st.session_state[_KEY + key] = value
            else:
                ignored.append(f"{key}={params[key]}"[:60])
    st.session_state["_cfg_ignored"] = ignored  # said once, in the sidebar (see model_picker)
    values = {key: st.session_state[_KEY + key] for key in DEFAULTS}
    if values["preset"] == CUSTOM and "shortcut" not in params:  # a custom CIFAR net gets option A, as the presets
        st.session_state[_KEY + "shortcut"] = _default("shortcut", values)


def _default(key: str, values: dict):
    """The value a parameter takes when the URL leaves it out: what the preset sets (so a link that names only
    the preset is written back as it is, and the browser gets no second history entry for the same page), a
    custom CIFAR net's shortcut option A, else the picker's default."""
    if key == "shortcut" and values["preset"] == CUSTOM:
        return STYLE_SHORTCUT.get(values["style"], DEFAULTS["shortcut"])
    return _preset_values(values["preset"]).get(key, DEFAULTS[key])


def _preset_values(preset: str) -> dict:
    """The options a preset sets, by parameter name ({} for Custom depth): the paper's configuration for it."""
    if preset not in PRESETS:
        return {}
    depth, style, block, options = PRESETS[preset]
    return {
        "style": style,
        "depth": depth,
        "block": block,
        "shortcut": options.get("shortcut", "B"),
        "unit": options.get("unit", "original"),
        "variant": "identity",
        "input_size": default_input_size(style),
    }


def sync_url() -> None:
    """Load the picker from the URL (a session's first run), then write its choice back. Call once per run,
    before `st.navigation`.

    Why before: a click in the sidebar's navigation reruns with an empty query string, so this run writes the
    network back. Written after the navigation, the browser pushes the new page's bare path ('/') when the
    navigation arrives and, depending on timing, a second entry ('/?preset=...') when the write does: Back would
    then need two presses. Written first, the write equals the URL the browser still shows (no entry), and the
    navigation pushes the new path with it: one entry per page (tests/browser/test_history.py).
    """
    _load_from_url()
    _write_to_url()


def _write_to_url() -> None:
    values = {key: st.session_state[_KEY + key] for key in DEFAULTS}
    changed = {
        k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in values.items() if v != _default(k, values)
    }
    page_owned = {key: st.query_params[key] for key in PAGE_PARAMS if key in st.query_params}
    wanted = {**changed, **page_owned, **language.url_value()}
    if not _url_holds(values, wanted):
        st.query_params.from_dict(wanted)


def _url_holds(values: dict, wanted: dict[str, str]) -> bool:
    """Whether the URL already says this choice, perhaps spelled otherwise (a default named, ``residual=0``).

    Then nothing is written: rewriting it in the shortest spelling would push a second history entry for the
    same page, so Back would need two presses.
    """
    params = st.query_params
    for key in set(params) | set(wanted):
        if key not in DEFAULTS:  # the page's and the language's parameters: as written
            if params.get(key) != wanted.get(key):
                return False
        elif key not in params:
            return False  # the choice differs from the default, and the URL does not say so
        else:
            try:
                if _parse(key, params[key]) != values[key]:
                    return False
            except ValueError:
                return False
    return True


def _apply_preset() -> None:
    """When a preset is chosen, set every option to the paper's configuration for it."""
    for key, value in _preset_values(st.session_state[_KEY + "preset"]).items():
        st.session_state[_KEY + key] = value


def _apply_style() -> None:
    """A new style brings its input size and the paper's shortcut option for it (A for CIFAR, B for ImageNet)."""
    style = st.session_state[_KEY + "style"]
    st.session_state[_KEY + "input_size"] = default_input_size(style)
    st.session_state[_KEY + "shortcut"] = STYLE_SHORTCUT[style]


def _note_change(key: str):
    """A widget callback that remembers which picker setting the user has just changed."""

    def callback() -> None:
        st.session_state[_CHANGED] = key

    return callback


def just_changed(key: str) -> bool:
    """True in the run right after the user changed the picker's ``key`` (e.g. "stride_on")."""
    return st.session_state.get(_JUST_CHANGED) == key


def shortcut_note(spec: ResNetSpec) -> str:
    """Which shortcut option applies and why, in one sentence for the sidebar."""
    paper = STYLE_SHORTCUT[spec.style]
    if paper == "A":
        why = _("the paper's choice for its CIFAR nets (Sec. 4.2, Table 6): zero-padding, no extra parameters")
    elif spec.block == "bottleneck":
        why = _(
            "the paper's choice for its 50/101/152-layer nets (Sec. 4.1, Table 3): 1x1 projections only where "
            "the shape changes"
        )
    else:  # ImageNet basic blocks: the paper's own 18/34-layer comparison is option A
        why = _(
            "the paper's choice for its 50/101/152-layer nets (Sec. 4.1, Table 3); its 18/34-layer comparison "
            "with the plain nets (Table 2, Fig. 4) uses option A, and Table 3 compares A, B and C at 34 layers"
        )
    if spec.shortcut == paper:
        return _("Option {option} applies: {why}.").format(option=spec.shortcut, why=why)
    return _("Option {option} applies, chosen here; option {paper} is {why}.").format(
        option=spec.shortcut, paper=paper, why=why
    )


# the picker
def model_picker() -> Choice:
    """Draw the model picker in the sidebar and return the choice. Call once per run."""
    new_script_run()
    keep([_KEY + key for key in DEFAULTS])  # survives Streamlit's widget clean-ups (see ui.state)
    custom_only = ("style", "depth", "block")  # drawn for a custom depth only
    drawing([_KEY + key for key in DEFAULTS if key not in custom_only or st.session_state[_KEY + "preset"] == CUSTOM])
    st.session_state[_JUST_CHANGED] = st.session_state.pop(_CHANGED, None)
    sb = st.sidebar
    sb.header(_("Model"))
    _say_ignored_link_values(sb)
    preset = sb.selectbox(
        _("Network"),
        [*PRESETS, CUSTOM],
        key=_KEY + "preset",
        on_change=_apply_preset,
        format_func={**{p: p for p in PRESETS}, CUSTOM: _(CUSTOM)}.get,
    )
    if preset == CUSTOM:
        _custom_network(sb)
    sb.toggle(
        _("Residual connections"),
        key=_KEY + "residual",
        help=_("Off: the same network without its shortcut additions (a plain net)."),
    )
    with sb.expander(_("Variants"), expanded=False):
        _variants()
    return current_choice()


def _say_ignored_link_values(sb) -> None:
    """Once, after a link with values that could not be used (see `_load_from_url`): which ones."""
    ignored = st.session_state.pop("_cfg_ignored", None)
    if ignored:
        sb.warning(
            _("The link's {values} could not be used (not a valid value), so the default was kept.").format(
                values=join_items(f"**{plain(item)}**" for item in ignored)
            ),
            icon="🔗",
        )


def _custom_network(sb) -> None:
    """Style, depth and block of a network that is not one of the presets."""
    sb.radio(
        _("Style"),
        ["imagenet", "cifar"],
        key=_KEY + "style",
        horizontal=True,
        on_change=_apply_style,
        format_func={"imagenet": "ImageNet", "cifar": "CIFAR"}.get,
        help=_("ImageNet: 7x7 stem, 4 stages, 224x224. CIFAR: 3x3 stem, 3 stages of 16/32/64 filters, 32x32."),
    )
    sb.number_input(
        _("Depth (weighted layers)"),
        min_value=1,
        max_value=MAX_DEPTH,
        step=1,
        key=_KEY + "depth",
        help=_("CIFAR: 6n+2 (basic) or 9n+2 (bottleneck). ImageNet: 18/34/50/101/152 or 2B+2 / 3B+2."),
    )
    sb.radio(
        _("Block"),
        ["auto", "basic", "bottleneck"],
        key=_KEY + "block",
        horizontal=True,
        format_func={"auto": _("auto"), "basic": _("basic"), "bottleneck": _("bottleneck")}.get,
    )
    if (choice := current_choice()).spec is not None:
        sb.caption(_("Shortcuts: {note} Change it under Variants.").format(note=shortcut_note(choice.spec)))


def _variants() -> None:
    """The variants expander: shortcut option, stride placement, residual unit, shortcut variant, BN, input size."""
    st.radio(
        _("Shortcut option"),
        ["A", "B", "C"],
        key=_KEY + "shortcut",
        horizontal=True,
        help=_("A: zero-padding identity. B: 1x1 projection where the shape changes. C: projection everywhere."),
    )
    if (choice := current_choice()).spec is not None:
        st.caption(shortcut_note(choice.spec))
    st.radio(
        _("Bottleneck stride on"),
        ["3x3", "1x1"],
        key=_KEY + "stride_on",
        horizontal=True,
        on_change=_note_change("stride_on"),
        format_func={"3x3": _("3x3 (v1.5, torchvision)"), "1x1": _("1x1 (v1, paper)")}.get,
    )
    st.selectbox(
        _("Residual unit"),
        list(UNITS),
        key=_KEY + "unit",
        format_func=translated(UNIT_LABELS),
        help=_("Identity Mappings, Fig. 4"),
    )
    st.selectbox(
        _("Shortcut variant"),
        list(SHORTCUT_VARIANTS),
        key=_KEY + "variant",
        format_func=translated(VARIANT_LABELS),
        help=_("Identity Mappings, Fig. 2"),
    )
    st.toggle(_("Batch normalisation"), key=_KEY + "batchnorm")
    st.number_input(_("Input size (pixels)"), min_value=4, max_value=1024, step=1, key=_KEY + "input_size")


def current_choice() -> Choice:
    """Turn the picker's state into a spec, catching every invalid combination as a message."""
    s = {key: st.session_state.get(_KEY + key, default) for key, default in DEFAULTS.items()}
    if s["preset"] in PRESETS:
        depth, style, block, _ = PRESETS[s["preset"]]
    else:
        depth, style, block = s["depth"], s["style"], None if s["block"] == "auto" else s["block"]
    try:
        spec = ResNetSpec.from_depth(
            depth,
            style=style,
            block=block,
            residual=s["residual"],
            shortcut=s["shortcut"],
            stride_on=s["stride_on"],
            unit=s["unit"],
            shortcut_variant=s["variant"],
            norm="batch" if s["batchnorm"] else "none",
        )
    except ValueError as err:
        return Choice(None, s["input_size"], str(err))
    if s["input_size"] < spec.min_input_size:
        message = _("Input size {size} is too small: use at least {minimum}.").format(
            size=s["input_size"], minimum=spec.min_input_size
        )
        return Choice(None, s["input_size"], message)
    return Choice(spec, s["input_size"])


def spec_at_depth(spec: ResNetSpec, depth: int) -> ResNetSpec:
    """``spec``'s options at another depth, with the block type the papers use for that depth."""
    preset_block = next((b for d, style, b, _ in PRESETS.values() if d == depth and style == spec.style), None)
    return ResNetSpec.from_depth(
        depth,
        style=spec.style,
        block=preset_block,
        residual=spec.residual,
        shortcut=spec.shortcut,
        stride_on=spec.stride_on,
        unit=spec.unit,
        shortcut_variant=spec.shortcut_variant,
        norm=spec.norm,
    )
