"""The Streamlit app, page by page, with Streamlit's AppTest (no browser): starts from app.py."""

import json
from pathlib import Path

import pytest
from apptest_pages import open_app_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = [
    "app_pages/home.py",
    "app_pages/architecture.py",
    "app_pages/shortcuts.py",
    "app_pages/train.py",
    "app_pages/degradation.py",
    "app_pages/identity_mappings.py",
    "app_pages/gradients.py",
    "app_pages/attribution.py",
]


def open_page(page: str, **query) -> AppTest:
    """Open one page through app.py (sidebar picker, navigation) with URL parameters."""
    return open_app_page(page, query)


def shortcut_arcs(at: AppTest) -> list[dict]:
    """The shortcut arcs of the page's network diagram (its first chart; traces tagged role=shortcut)."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [t for t in spec["data"] if (t.get("meta") or {}).get("role") == "shortcut"]


def layer_rows(at: AppTest):
    """The Architecture page's "Every layer" table (the one with a type column)."""
    return next(df.value for df in at.dataframe if {"name", "type"} <= set(df.value.columns))


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_from_the_entry_point(page):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    assert any("Device:" in c.value for c in at.sidebar.caption)
    assert at.sidebar.selectbox(key="cfg_preset").value == "ResNet-18"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title[0].value


def test_home_page_shows_both_formulas():
    at = open_page("app_pages/home.py")
    latex = " ".join(el.body for el in at.latex)
    assert "x_{l+1} = x_l + \\mathcal{F}(x_l, W_l)" in latex and "\\partial x_l" in latex


def test_residual_toggle_removes_every_shortcut_from_diagram_and_tables():
    at = open_page("app_pages/shortcuts.py", preset="ResNet-34")
    assert len(shortcut_arcs(at)) > 0
    at.toggle(key="sc_fold").set_value(False).run()
    dashes = [arc["line"].get("dash", "solid") for arc in shortcut_arcs(at)]
    assert dashes.count("dash") == 3 and dashes.count("solid") == 13
    at.sidebar.toggle(key="cfg_residual").set_value(False).run()
    assert not at.exception
    assert shortcut_arcs(at) == []
    assert metric(at, "Identity (solid)") == "0" and metric(at, "Projection (dashed)") == "0"
    at = open_page("app_pages/architecture.py", preset="ResNet-34")
    at.radio(key="arch_view").set_value("Every layer").run()
    assert (layer_rows(at)["type"] == "Add").sum() == 16
    at.sidebar.toggle(key="cfg_residual").set_value(False).run()
    layers = layer_rows(at)
    assert (
        len(layers) > 100
        and not (layers["type"] == "Add").any()
        and not layers["name"].str.contains("downsample").any()
    )


def test_changing_depth_changes_table1():
    at = open_page("app_pages/architecture.py")
    first = at.dataframe[0].value
    assert first["layer name"].tolist()[:2] == ["conv1", "conv2_x"]
    assert "x 2" in first.loc[first["layer name"] == "conv3_x", "description"].iloc[0]  # ResNet-18
    at.sidebar.selectbox(key="cfg_preset").set_value("ResNet-152").run()
    assert not at.exception
    second = at.dataframe[0].value
    assert "x 8" in second.loc[second["layer name"] == "conv3_x", "description"].iloc[0]
    assert second.iloc[-1]["params"] != first.iloc[-1]["params"]


def test_side_by_side_table1_marks_paper_matches():
    at = open_page("app_pages/architecture.py", stride_on="1x1")
    at.radio(key="arch_mode").set_value("Side by side, like the paper").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["output size", "18-layer", "34-layer", "50-layer", "101-layer", "152-layer"]
    paper = [cell.split(" (")[0] for cell in table.loc["paper v1 (Table 1)"].tolist()[1:]]
    assert paper == ["1.8G ✅", "3.6G ✅", "3.8G ✅", "7.6G ✅", "11.3G ✅"]
    tv = [cell.split(" (")[0] for cell in table.loc["torchvision v1.5"].tolist()[1:]]
    assert tv == ["1.814G ✅", "3.664G ✅", "4.089G ✅", "7.801G ✅", "11.514G ✅"]


def test_side_by_side_shows_both_sources_in_the_default_v15_mode():
    at = open_page("app_pages/architecture.py")  # default: stride on the 3x3 (torchvision v1.5)
    at.radio(key="arch_mode").set_value("Side by side, like the paper").run()
    table = at.dataframe[0].value
    assert table.loc["paper v1 (Table 1)", "50-layer"] == "3.8G ✅ (ours 3.86G)"
    assert table.loc["torchvision v1.5", "50-layer"].startswith("4.089G ✅")
    assert table.loc["paper v1 (Table 1)", "34-layer"] == "3.6G ✅ (ours 3.64G)"
    assert "e+0" not in table.to_string() and table.loc["parameters", "50-layer"] == "25.6M"
    assert any("Only ResNet-50's 3.8 is truncated" in c.value for c in at.caption)


def test_url_query_string_restores_a_configuration():
    at = open_page("app_pages/architecture.py", preset="CIFAR ResNet-56", residual="false")
    assert "plain-56 (CIFAR)" in at.caption[0].value and "32x32" in at.caption[0].value
    assert at.sidebar.toggle(key="cfg_residual").value is False
    assert at.query_params["preset"] == ["CIFAR ResNet-56"] or at.query_params["preset"] == "CIFAR ResNet-56"


def test_a_link_naming_a_preset_is_written_back_as_it_is():
    # Expanding ?preset=... into every option it implies changed the URL once more after the page had
    # loaded: a second browser history entry for the same page, so Back needed two presses.
    at = open_page("app_pages/glossary.py", preset="CIFAR ResNet-110")
    assert {key: at.query_params[key] for key in at.query_params} in ({"preset": ["CIFAR ResNet-110"]},
                                                                      {"preset": "CIFAR ResNet-110"})  # fmt: skip
    at = open_page("app_pages/glossary.py", preset="CIFAR ResNet-110", depth="56")
    assert at.query_params["depth"] in (["56"], "56") and "style" not in at.query_params


def test_a_link_spelling_its_choice_otherwise_is_kept_as_it_is():
    # A named default (style=imagenet) or another spelling (residual=0) says the same network: rewritten in the
    # shortest spelling, the page would get a second history entry.
    link = {"preset": "Custom depth", "depth": "14", "style": "imagenet", "residual": "0", "shortcut": "B"}
    at = open_page("app_pages/glossary.py", **link)
    assert at.session_state["cfg_depth"] == 14 and at.session_state["cfg_residual"] is False
    shown = {key: at.query_params[key] for key in at.query_params}
    assert shown in (link, {key: [value] for key, value in link.items()})
    at.sidebar.toggle(key="cfg_residual").set_value(True).run()  # a change is written, in the shortest spelling
    assert "residual" not in at.query_params and "style" not in at.query_params


def test_layer_table_filters_and_totals():
    at = open_page("app_pages/architecture.py", preset="ResNet-50")
    at.radio(key="arch_view").set_value("Every layer").run()
    at.multiselect(key="arch_type").set_value(["Conv2d"]).run()
    at.multiselect(key="arch_stage").set_value(["conv3_x"]).run()
    table = layer_rows(at)
    assert set(table["type"]) == {"Conv2d"} and set(table["stage"]) == {"conv3_x"}
    assert len(table) == 4 * 3 + 1  # 4 bottlenecks x 3 convs + the projection
    at.text_input(key="arch_search").set_value("downsample").run()
    assert layer_rows(at)["name"].tolist() == ["layer2.0.downsample.0"]


def test_impossible_custom_depth_shows_a_message_not_a_traceback():
    at = open_page("app_pages/architecture.py", preset="Custom depth", style="cifar", depth="57")
    assert not at.exception
    assert "Nearest valid depths" in at.error[0].value and "56" in at.error[0].value
    at.sidebar.number_input(key="cfg_depth").set_value(56).run()
    assert not at.exception and not at.error


@pytest.mark.slow
def test_oversized_spec_warns_but_still_shows_tables():
    at = open_page(
        "app_pages/architecture.py", preset="Custom depth", style="imagenet", depth="1001", input_size="1024"
    )
    assert not at.exception
    assert any("available" in w.value for w in at.warning)
    assert len(at.dataframe) >= 1


def test_block_view_follows_the_selected_block():
    at = open_page("app_pages/shortcuts.py", preset="ResNet-50", stride_on="1x1")
    assert at.selectbox(key="sc_block").value == "layer1.0"  # first block whose shape changes
    at.selectbox(key="sc_block").set_value("layer2.0").run()
    rows = layer_rows(at)
    assert rows["name"].tolist()[0] == "layer2.0.conv1" and rows["stride"].tolist()[0] == "2"  # v1: stride on the 1x1


def wait_for_runs(at: AppTest) -> None:
    from ui.run_queue import run_queue

    assert run_queue().wait(timeout=300)
    at.run()
    assert not at.exception, at.exception


def test_train_page_runs_a_short_run_and_lists_it():
    at = open_page("app_pages/train.py", preset="CIFAR ResNet-20")
    at.number_input(key="train_size").set_value(8)
    at.number_input(key="train_steps").set_value(20)
    at.text_input(key="train_name").set_value("apptest run")
    at.number_input(key="train_seed").set_value(7)  # no other test's experiment: its own run, not a joined one
    at.button(key="train_start").click().run()
    assert not at.exception
    wait_for_runs(at)
    assert any("apptest run" in m.value and "finished" in m.value for m in at.markdown)
    history = at.dataframe[-1].value
    assert "apptest run" in history["name"].tolist()
    assert len(at.get("plotly_chart")) >= 1


def test_training_settings_errors_are_readable():
    at = open_page("app_pages/train.py", preset="CIFAR ResNet-20")
    at.number_input(key="train_steps").set_value(10)
    at.number_input(key="train_warmup").set_value(10)
    at.selectbox(key="train_device").set_value("cuda").run()
    at.button(key="train_start").click().run()
    assert not at.exception
    if not __import__("torch").cuda.is_available():
        assert any("no NVIDIA GPU" in e.value for e in at.error)


@pytest.mark.slow
def test_degradation_lab_launches_matched_runs_and_plots_them():
    at = open_page("app_pages/degradation.py")
    at.number_input(key="deg_size").set_value(8)
    at.number_input(key="deg_steps").set_value(20)
    at.button(key="deg_launch").click().run()
    assert not at.exception
    wait_for_runs(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {t["name"] for t in spec["data"]}
    assert {"plain-20 train", "plain-56 test", "ResNet-20 train", "ResNet-56 test"} <= names
    assert any("training error" in m.value for m in at.markdown)  # the verdict


def test_gradient_page_shows_plain_and_residual():
    at = open_page("app_pages/gradients.py")
    at.select_slider(key="grad_depth").set_value(20).run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {t["meta"]["series"] for t in spec["data"] if t.get("meta")} == {"plain-20", "ResNet-20"}
    assert spec["layout"]["yaxis"]["type"] == "log"
    at.toggle(key="grad_bn").set_value(False).run()
    assert not at.exception and any("Without BatchNorm" in c.value for c in at.caption)
