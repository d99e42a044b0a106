"""The page frame: page config, navigation from the registry, the device line, early stops, links.

app.py calls `configure` and `navigation`; every page starts with `enter()`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from .registry import sections

TITLE = "ResNet, seen from inside"
_DEVICE_LINE = "_draw_device_line"  # session-state slot: draws the sidebar's device line (see `stop_page`)


def configure() -> None:
    """The app-wide page config; app.py calls it first, once per run."""
    st.set_page_config(page_title=TITLE, page_icon="🧱", layout="wide")


def navigation():
    """`st.navigation` over the registered pages, grouped by section."""
    return st.navigation(
        {
            section: [st.Page(p.path, title=p.title, icon=p.icon, default=p.default) for p in pages]
            for section, pages in sections().items()
        }
    )


def device_line() -> None:
    """Reserve the sidebar's last line for the compute device; `draw_device_line` fills it."""
    slot = st.sidebar.empty()
    st.session_state[_DEVICE_LINE] = lambda: slot.caption(f"Device: {device_caption()}")


def draw_device_line() -> None:
    draw = st.session_state.get(_DEVICE_LINE)
    if callable(draw):
        draw()


@st.cache_resource(show_spinner=False)
def device_caption() -> str:
    from resnet_viz.device import device_label

    return device_label()


def enter() -> None:
    """A page's first call: hands a fresh server's deep link back to app.py's navigation (see below)."""
    if uses_legacy_pages_mode():
        leave_legacy_pages_mode()


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
    st.page_link(path, label=label or info.title, icon=icon or info.icon)


# Streamlit private API, kept to these two functions. Streamlit still has its older multipage mode
# for apps with a ``pages/`` folder: until app.py has called ``st.navigation`` once, a freshly started
# server runs a deep link (``/shortcuts?preset=ResNet-34``, the links teachers share) as a script of
# its own, and keeps doing so for every later visitor: no sections, no sidebar picker, no device
# line. The switch is the class attribute ``PagesManager.uses_pages_directory`` (None until the first
# session, then True while a pages/ folder exists, set False by ``st.navigation``). When a page finds
# itself run that way, it switches the old mode off and reruns, so app.py runs and routes the same
# URL to the same page. tests/test_frame.py fails loudly if a Streamlit upgrade changes any of this.
def uses_legacy_pages_mode() -> bool:
    """True when Streamlit runs this page by itself in its old pages-folder mode, under app.py."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    main_script = Path(getattr(ctx, "main_script_path", "") or "")
    return bool(getattr(PagesManager, "uses_pages_directory", False)) and main_script.name == "app.py"


def leave_legacy_pages_mode() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()
