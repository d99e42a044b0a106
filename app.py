"""ResNet, seen from inside: the Streamlit entry point (`streamlit run app.py`)."""

import streamlit as st

st.set_page_config(page_title="ResNet, seen from inside", page_icon="🧱", layout="wide")

st.title("ResNet, seen from inside")
st.markdown(
    "Build any ResNet from the papers, look at its layers and shortcuts, train it live, and see "
    "why residual connections let very deep networks learn."
)
st.markdown("A residual block adds its input back to what its layers compute:")
st.latex(r"x_{l+1} = x_l + \mathcal{F}(x_l, W_l)")
st.info("The architecture explorer, training lab, gradient-flow and Grad-CAM pages are on their way.")
