"""Widget state that survives Streamlit's clean-ups, so the run that starts is the one on screen.

Streamlit drops the state of widgets it did not see in a script run. A fragment that reruns on a
timer (``run_every``, the live training panels) can do that to widgets outside it (Streamlit issue
10805): the sidebar picker and the training settings then came back at their defaults (ResNet-18,
toggles off, 300 steps) and a user pressing Start trained a network other than the one picked.
`keep` mirrors the values of the widgets it is given into a plain session-state entry (not a
widget, so never cleaned up) and puts them back before the widgets are drawn again.

A widget missing from one run (a page that stopped early on an invalid network, another page) is also
gone from the browser. Drawn again, the browser shows it at its minimum (steps 10, batch 8) and sends
that back on the next click, even though the server kept the value: Streamlit sends a widget's value
only when it was set through session state. `drawing` sets it so for every widget the previous script
run did not draw.
"""

from __future__ import annotations

import streamlit as st

_MIRROR = "_kept_widget_values"
_DRAWN = "_drawn_in_script_run"  # widget key -> the number of the last script run that drew it
_RUN = "_script_run_number"


def keep(keys) -> None:
    """Call before drawing the widgets ``keys``: restores any that Streamlit dropped, then mirrors them.

    Only for widgets whose value may be set through session state (not buttons or file uploaders).
    """
    mirror = st.session_state.setdefault(_MIRROR, {})
    for key in keys:
        if key in st.session_state:
            mirror[key] = st.session_state[key]
        elif key in mirror:
            st.session_state[key] = mirror[key]


def new_script_run() -> None:
    """Count a full script run (the picker calls this once per run of app.py); fragment reruns do not count."""
    st.session_state[_RUN] = st.session_state.get(_RUN, 0) + 1


def drawing(keys) -> None:
    """Call right before drawing the widgets ``keys`` (those this run draws): the ones the previous run did not
    draw get their value set through session state, so the browser shows that value, not the widget's minimum."""
    drawn = st.session_state.setdefault(_DRAWN, {})
    run = st.session_state.get(_RUN, 0)
    for key in keys:
        if key in st.session_state and key in drawn and drawn[key] != run - 1:
            st.session_state[key] = st.session_state[key]
        drawn[key] = run
