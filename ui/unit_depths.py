"""The Identity-mappings lab's published depth view: the residual unit matters more as the net gets deeper.

He et al. 2016 (Identity Mappings) Table 2 gives every unit at 110 and 164 layers, and Table 3 / Fig. 6 the
1001-layer net with the original and the full pre-activation unit; the numbers come from `published`, never literals.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from resnet_viz.i18n import _
from resnet_viz.nets import published
from resnet_viz.nets.spec import UNIT_LABELS

DEPTHS = {110: "identity_mappings_unit_errors_110", 164: "identity_mappings_unit_errors_164"}


def unit_depth_table() -> pd.DataFrame:
    """CIFAR-10 test error (%) per unit (rows, in the user's language) and depth (columns); None where not given."""
    columns = {f"ResNet-{depth}": published.values(key) for depth, key in DEPTHS.items()}
    columns["ResNet-1001"] = published.values("preact_1001_test_error")
    return pd.DataFrame({name: [values.get(unit) for unit in UNIT_LABELS] for name, values in columns.items()},
                        index=[_(label) for label in UNIT_LABELS.values()])  # fmt: skip


def show_unit_depths() -> None:
    """The table, with the gain of full pre-activation over the original unit at each depth."""
    table = unit_depth_table()
    original, preact = table.iloc[0], table.iloc[-1]  # UNIT_LABELS: "original" first, "preact" last
    st.markdown(_("**Deeper, the unit matters more** (the paper's CIFAR-10 test error, %)"))
    st.dataframe(table.map(lambda v: "–" if pd.isna(v) else f"{v:.2f}"), width="stretch")  # – : not published
    st.caption(
        _(
            "Full pre-activation against the original unit: {gains}. The deeper the net, the more the clean "
            "path helps ({paper}: Table 2, and Table 3 and Fig. 6 for ResNet-1001)."
        ).format(
            gains=_("; ").join(f"{name} {original[name]:.2f} → {preact[name]:.2f} %" for name in table.columns),
            paper=published.source("preact_1001_test_error"),
        )
    )


def why_these_units_hurt() -> None:
    """The paper's reasons for the two orderings that train worse (Identity Mappings, Sec. 4.1)."""
    st.caption(
        _(
            "Why two orderings hurt (Identity Mappings, Sec. 4.1): **BN after addition** alters the signal that "
            "passes through the shortcut and impedes its propagation (the training loss is hard to reduce at the "
            "start); **ReLU before addition** makes F(x) non-negative, so the forward signal can only grow, while a "
            "residual should take any sign."
        )
    )


def no_dropout_note() -> None:
    """The original nets use no dropout at all: the dropout variant is an experiment on the shortcut itself."""
    st.caption(
        _(
            "The original ResNets use no dropout anywhere (He et al. 2015, Sec. 3.4: BN instead, following the "
            "BN paper's practice). The dropout variant here drops the shortcut itself, to show what blocking the "
            "identity path costs."
        )
    )
