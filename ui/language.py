"""The language switch (English / 中文): per user, kept in the URL (``?lang=zh``), first guessed from the browser.

`resolve` runs first in every script run, before navigation is built, so page titles are already in the
user's language; `language_switch` draws the sidebar widget. The library translates through
`resnet_viz.i18n`, which asks `_session_language` (registered here) for the current user's choice.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from resnet_viz import i18n

from .state import keep

KEY = "lang"  # the widget's key in session state, and the URL parameter


def _session_language() -> str | None:
    """The current user's language; None outside a script run (e.g. a training worker thread: English)."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get(KEY)


def browser_language() -> str:
    """The browser's language (navigator.language) where Streamlit tells it, as one of ours, else English."""
    try:
        return i18n.normalize_language(st.context.locale)
    except Exception:  # older Streamlit, or no browser (AppTest): English
        return i18n.DEFAULT_LANGUAGE


def resolve() -> str:
    """Settle this user's language before anything is drawn: the URL's ``lang`` on the first run, else the
    browser's; afterwards the switch. An unknown ``lang`` value falls back to English, silently."""
    i18n.set_language_resolver(_session_language)
    if KEY not in st.session_state and f"_{KEY}_loaded" not in st.session_state:
        st.session_state[f"_{KEY}_loaded"] = True
        asked = st.query_params.get(KEY)
        st.session_state[KEY] = i18n.normalize_language(asked) if asked is not None else browser_language()
    keep([KEY])  # survives Streamlit's widget clean-ups (see ui.state)
    return i18n.language()


def language_switch() -> None:
    """The sidebar's switch; changing it reruns the same page with the same network."""
    st.sidebar.radio(
        "Language / 语言",
        list(i18n.LANGUAGES),
        key=KEY,
        format_func=i18n.LANGUAGES.get,
        horizontal=True,
        label_visibility="collapsed",
    )


def url_value() -> dict[str, str]:
    """``{"lang": code}`` for the URL when it differs from what the browser alone would give, else {}."""
    current = i18n.language()
    return {KEY: current} if current != browser_language() else {}
