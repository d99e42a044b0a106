"""What a new user meets on Architecture, Shortcuts and Gradient flow (AppTests through app.py)."""

import json

import pytest
from apptest_pages import open_app_page
from extreme_nets import huge_plain_net


def layer_rows(at):
    """The page's table of layers (the one with name and type columns), wherever it sits on the page."""
    return next(df.value for df in at.dataframe if {"name", "type"} <= set(df.value.columns))


@pytest.mark.slow
def test_gradient_page_says_where_float32_overflowed_and_never_prints_nan(monkeypatch):
    monkeypatch.setattr("resnet_viz.probes.gradients.build_resnet", huge_plain_net)
    at = open_app_page("app_pages/gradients.py", state={"grad_seed": 7, "grad_bn": False})  # seed 7: not cached
    at.select_slider(key="grad_depth").set_value(20).run()
    assert not at.exception, at.exception
    text = " ".join(c.value for c in at.caption)
    assert "nan" not in text.lower() and "about 10" in text
    assert any("float32" in i.value and "float64" in i.value for i in at.info)
    for chart in at.get("plotly_chart")[:2]:  # the curves and the shortcut split are drawn, not empty
        assert all(len(t.get("x") or []) > 0 for t in json.loads(chart.proto.spec)["data"] if t["type"] != "box")


def test_option_costs_get_the_full_width_and_empty_cells_stay_blank():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-50"})
    in_columns = [df for col in at.columns for df in col.dataframe if "option" in df.value.columns]
    assert not in_columns  # not squeezed into the text column beside the diagram
    assert any("option" in df.value.columns for df in at.dataframe)
    at = open_app_page("app_pages/architecture.py", {"preset": "ResNet-50"})
    at.radio(key="arch_view").set_value("Every layer").run()
    layers = layer_rows(at)
    bn = layers[layers["type"] == "BatchNorm2d"].iloc[0]
    assert bn["stride"] == "" and layers["block"].iloc[0] == ""  # blank, not a grey "None"
    assert not layers[["block", "stride", "kernel"]].isna().any().any()


def test_changing_the_stride_placement_shows_a_block_where_it_matters():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-50"})
    assert at.selectbox(key="sc_block").value == "layer1.0"  # first open: the first block whose shape changes
    at.sidebar.radio(key="cfg_stride_on").set_value("1x1").run()
    assert not at.exception
    assert at.selectbox(key="sc_block").value == "layer2.0"  # conv3_1: stride 2, where v1 and v1.5 differ
    assert layer_rows(at)["stride"].tolist()[0] == "2"  # v1: the stride sits on the first 1x1
    at.selectbox(key="sc_block").set_value("layer3.1").run()  # the user's own choice then stays
    at.sidebar.toggle(key="cfg_residual").set_value(False).run()
    assert at.selectbox(key="sc_block").value == "layer3.1"


def test_plain_network_counts_blocks_and_says_it_has_no_shortcuts():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-34", "residual": "false"})
    labels = {m.label: m.value for m in at.metric}
    assert "Residual blocks" not in labels and labels["Blocks"] == "16"
    assert any("no shortcuts: plain network" in c.value for c in at.caption)


@pytest.mark.slow
def test_custom_cifar_depth_uses_option_a_as_the_paper_and_says_so():
    at = open_app_page("app_pages/architecture.py", {"preset": "Custom depth"})
    at.sidebar.radio(key="cfg_style").set_value("cifar").run()
    at.sidebar.number_input(key="cfg_depth").set_value(1202).run()
    assert not at.exception
    assert at.session_state["cfg_shortcut"] == "A"
    assert any("Option A applies" in c.value and "Table 6" in c.value for c in at.sidebar.caption)
    at = open_app_page(
        "app_pages/architecture.py", {"preset": "Custom depth", "style": "cifar", "depth": "56", "shortcut": "B"}
    )
    assert at.session_state["cfg_shortcut"] == "B"  # the URL says otherwise
    assert any("Option B applies, chosen here" in c.value for c in at.sidebar.caption)
    at = open_app_page("app_pages/architecture.py", {"preset": "Custom depth", "style": "cifar", "depth": "56"})
    assert at.session_state["cfg_shortcut"] == "A"
