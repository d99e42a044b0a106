"""The page frame: page config, navigation from the registry, the device line, early stops, links.

app.py calls `configure` and `navigation`. The page scripts live in app_pages/, not pages/: a folder
named pages/ next to app.py switches Streamlit into its older multipage mode, in which a freshly
started server runs a deep link (``/shortcuts?preset=ResNet-34``) as a script of its own, without
app.py's frame, for every later visitor too. With no pages/ folder, every URL goes through app.py.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import streamlit as st

from resnet_viz import i18n
from resnet_viz.i18n import N_, _

from . import cluster
from .registry import sections

TITLE = N_("ResNet, seen from inside")
_DEVICE_LINE = "_draw_device_line"  # session-state slot: draws the sidebar's device line (see `stop_page`)


def configure() -> None:
    """The app-wide page config; app.py calls it first, once per run."""
    st.set_page_config(page_title=_(TITLE), page_icon="🧱", layout="wide")


def navigation():
    """`st.navigation` over the registered pages, grouped by section."""
    return st.navigation(
        {
            _(section): [st.Page(p.path, title=_(p.title), icon=p.icon, default=p.default) for p in pages]
            for section, pages in sections().items()
        }
    )


def device_line() -> None:
    """Reserve the sidebar's last line for the compute device; `draw_device_line` fills it."""
    slot = st.sidebar.empty()
    st.session_state[_DEVICE_LINE] = lambda: slot.caption(
        _("Device: {device}").format(device=cluster.device_caption(device_caption()))
    )


def draw_device_line() -> None:
    draw = st.session_state.get(_DEVICE_LINE)
    if callable(draw):
        draw()


def device_caption() -> str:
    """The compute device. Naming it exactly needs torch, which Home does not load (it takes seconds):
    until a page has loaded torch, the line says what can be told without it."""
    if "torch" in sys.modules:
        return _device_label(i18n.language())
    if Path("/proc/driver/nvidia/version").exists():
        return _("NVIDIA GPU (named once a page computes)")
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return _("Apple GPU (named once a page computes)")
    return _("CPU")


@st.cache_resource(show_spinner=False)
def _device_label(language: str) -> str:  # one cache entry per language
    from resnet_viz.device import device_label

    with i18n.use_language(language):
        return device_label()


def stop_page() -> None:
    """End this page here (after showing why), like ``st.stop()``, but still draw the device line.

    app.py draws that line after the page has run, which ``st.stop()`` would skip.
    """
    draw_device_line()
    st.stop()


def page_link(path: str, label: str | None = None, icon: str | None = None) -> None:
    """A link to another registered page, with its registered title and icon unless given."""
    from .registry import page

    info = page(path)
    st.page_link(path, label=label or _(info.title), icon=icon or info.icon)
