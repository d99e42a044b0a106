"""ResNet, seen from inside: the entry point (`streamlit run app.py`).

The frame of the app: page config, the shared sidebar model picker (widgets defined here keep
their state across page switches), then the selected page. torch is imported only after the page
has been drawn, so the home page appears at once.
"""

import streamlit as st

import ui

st.set_page_config(page_title="ResNet, seen from inside", page_icon="🧱", layout="wide")
st.session_state["_from_entry_point"] = True  # pages use this sidebar instead of drawing their own

navigation = st.navigation(
    {
        "Learn": [st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)],
        "Explore the architecture": [
            st.Page("pages/architecture.py", title="Architecture", icon=":material/table_chart:"),
            st.Page("pages/shortcuts.py", title="Shortcuts", icon=":material/alt_route:"),
        ],
        "Train and compare": [
            st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
            st.Page("pages/degradation.py", title="Degradation lab", icon=":material/trending_down:"),
            st.Page("pages/identity_mappings.py", title="Identity-mappings lab", icon=":material/science:"),
        ],
        "Look inside": [
            st.Page("pages/gradients.py", title="Gradient flow", icon=":material/waterfall_chart:"),
            st.Page("pages/attribution.py", title="Where it looks", icon=":material/center_focus_strong:"),
        ],
    }
)
ui.model_picker()
device_slot = st.sidebar.empty()
draw_device_line = lambda: device_slot.caption(f"Device: {ui.device_caption()}")  # noqa: E731
st.session_state["_draw_device_line"] = draw_device_line  # for a page that ends early (ui.stop_page)
navigation.run()
draw_device_line()
