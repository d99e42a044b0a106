"""Issue 12: what the pages say about the papers is true and sourced (AppTests that read the pages)."""

from __future__ import annotations

from apptest_pages import open_app_page
from streamlit.testing.v1 import AppTest


def text(at: AppTest) -> str:
    """Every markdown, caption, info and latex body on the page, in one string."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    return "\n".join(parts + [el.body for el in at.latex])


def sources(at: AppTest) -> str:
    expander = next(e for e in at.expander if e.label == "Sources")
    return "\n".join(m.value for m in expander.markdown)


def test_home_calls_table2_validation_error_and_names_the_training_curves():
    at = open_app_page("app_pages/home.py")
    body = text(at)
    assert "*validation* error" in body and "10-crop" in body
    assert "Fig. 4" in body and "Fig. 6" in body  # the training-error evidence
    assert "28.54" in body and "25.03" in body and "option A" in body
    assert "Table 2" in sources(at)


def test_home_gives_the_original_unit_its_relu_and_says_where_the_one_is_exact():
    at = open_app_page("app_pages/home.py")
    latex = " ".join(el.body for el in at.latex)
    assert r"\mathrm{ReLU}\big(x_l + \mathcal{F}(x_l, W_l)\big)" in latex
    body = text(at)
    assert "pre-activation" in body and "Sec. 3" in body and "exact only" in body


def shape_text(at: AppTest) -> str:
    heading = next(i for i, m in enumerate(at.markdown) if "Why do the shapes change" in m.value)
    return at.markdown[heading + 1].value


def test_shortcuts_resnet50_names_strided_blocks_and_conv2_1_as_channels_only():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-50"})
    body = shape_text(at)
    assert "**conv3_1**, **conv4_1**, **conv5_1**" in body and "stride 2" in body
    assert "At **conv2_1** only the channels change (64 -> 256" in body and "stride 1" in body
    assert "projects" in body and "zeros" not in body
    assert "Sec. 3.3" in sources(at)


def test_shortcuts_resnet34_option_a_has_no_channels_only_block_and_pads_zeros():
    at = open_app_page("app_pages/shortcuts.py", {"preset": "ResNet-34", "shortcut": "A"})
    body = shape_text(at)
    assert "**conv3_1**, **conv4_1**, **conv5_1**" in body
    assert "only the channels" not in body and "conv2_1" not in body
    assert "zeros" in body and "projects" not in body
