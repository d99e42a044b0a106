"""Widget state that survives Streamlit's clean-ups, so the run that starts is the one on screen.

Streamlit drops the state of widgets it did not see in a script run. A fragment that reruns on a
timer (``run_every``, the live training panels) can do that to widgets outside it (Streamlit issue
10805): the sidebar picker and the training settings then came back at their defaults (ResNet-18,
toggles off, 300 steps) and a user pressing Start trained a network other than the one picked.
`keep` mirrors the values of the widgets it is given into a plain session-state entry (not a
widget, so never cleaned up) and puts them back before the widgets are drawn again.
"""

from __future__ import annotations

import streamlit as st

_MIRROR = "_kept_widget_values"


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
