"""Cached loaders for the architecture pages (Architecture, Shortcuts): tables and figures of one network.

Specs go to Streamlit's caches as they are: a `ResNetSpec` is a frozen dataclass, hashed by value, so
equal specs share a cache entry. Every loader reuses the one cached layer table of a (spec, input size).
The library is imported inside the loaders, so Home draws before torch. Loaders whose result holds text
take the user's ``language`` (`i18n.language()`): one cache entry per language.
"""

from __future__ import annotations

import streamlit as st

from resnet_viz import i18n
from resnet_viz.formatting import human
from resnet_viz.i18n import _
from resnet_viz.nets.spec import ResNetSpec

from .architecture_tables import stage_label
from .text import translated_columns


@st.cache_data(show_spinner=False, max_entries=64)  # pages wrap it in `computing`
def layer_table(spec: ResNetSpec, input_size: int):
    from resnet_viz import layer_table as compute

    return compute(spec, input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def stage_table(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz import stage_table as compute

    with i18n.use_language(language):
        return compute(spec, input_size, layers=layer_table(spec, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def shortcut_table(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz import shortcut_table as compute

    with i18n.use_language(language):
        return compute(spec, input_size, layers=layer_table(spec, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def paper_checks(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz import paper_checks as compute

    with i18n.use_language(language):
        return compute(spec, input_size, layers=layer_table(spec, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def memory_verdict(spec: ResNetSpec, input_size: int, language: str) -> tuple[int, int, str | None]:
    """(parameters, bytes to train at batch 1, message if it would not fit on this machine)."""
    from resnet_viz import ModelTooLargeError, check_fits, estimate_memory

    estimate = estimate_memory(spec, input_size)
    try:
        with i18n.use_language(language):
            check_fits(spec, input_size=input_size)
        message = None
    except ModelTooLargeError as err:
        message = str(err)
    return estimate.params, estimate.total_bytes, message


@st.cache_data(show_spinner=False, max_entries=16)  # pages show a spinner: its text is translated there
def side_by_side(specs: tuple[ResNetSpec, ...], input_size: int, language: str):
    from resnet_viz import side_by_side as compute

    with i18n.use_language(language):
        return compute(list(specs), input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def block_summary(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz import block_summary as compute

    with i18n.use_language(language):
        return compute(layer_table(spec, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def stage_cost_figure(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz.figures.costs import stage_cost_chart

    with i18n.use_language(language):
        stages = stage_table(spec, input_size, language)
        stages = stages[stages["stage"] != "total"]
        return stage_cost_chart(stages.assign(stage=stages["stage"].map(stage_label)))


def computing(spec: ResNetSpec, what: str):
    """A spinner in the page for work that can take seconds on deep nets; shows after half a second, so
    cached calls stay silent. ``what`` (translated) may name ``{net}`` ("ResNet-1202 (CIFAR), 1202 layers")
    and ``{blocks}``."""
    net = _("{name}, {depth} layers").format(name=spec.display_name, depth=spec.depth)
    return st.spinner(what.format(net=net, blocks=sum(spec.layers)) + "…", show_time=True)


@st.cache_data(show_spinner=False, max_entries=32)
def option_costs(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz import shortcut_option_costs

    with i18n.use_language(language):
        costs = shortcut_option_costs(spec, input_size)
        shown = costs.assign(
            shortcut_params=costs["shortcut_params"].map(lambda n: f"{n:,}"),
            total_params=costs["total_params"].map(human),
            share=costs["share"].map(lambda s: f"{100 * s:.2f} %"),
            shortcut_macs=costs["shortcut_macs"].map(human),
            total_macs=costs["total_macs"].map(human),
        ).rename(
            columns={
                "shortcut_params": _("shortcut params"),
                "total_params": _("network params"),
                "shortcut_macs": _("shortcut multiply-adds"),
                "total_macs": _("network multiply-adds"),
            }
        )
        return translated_columns(shown)


@st.cache_data(show_spinner=False, max_entries=32)  # pages wrap it in `computing`
def shortcut_figure(spec: ResNetSpec, input_size: int, fold: bool, language: str):
    from resnet_viz.figures.shortcut_diagram import shortcut_diagram

    with i18n.use_language(language):
        return shortcut_diagram(shortcut_table(spec, input_size, language), fold=fold, title=spec.display_name)


@st.cache_data(show_spinner=False, max_entries=64)
def block_figure(spec: ResNetSpec, input_size: int, block: str, language: str):
    from resnet_viz.figures.block_diagram import block_diagram

    with i18n.use_language(language):
        return block_diagram(layer_table(spec, input_size), block, spec=spec)
