"""The Why-it-works page in AppTest, through app.py: the three sections on the bundled models, bad files."""

from __future__ import annotations

import json
import shutil

import pytest
import streamlit as st
import torch
from apptest_pages import open_app_page

PAGE = "app_pages/why_it_works.py"
SMALL = {"why_depth": 20, "why_count": 16, "why_steps_1": 11}


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_runs_all_three_sections_and_leaves_the_models_alone():
    from ui.why_it_works import _bundled

    shared = _bundled("resnet-20")
    before = {k: v.clone() for k, v in shared.model.state_dict().items()}
    at = open_app_page(PAGE, state=SMALL)
    assert [h.value for h in at.main.header] == ["1. Delete a block", "2. The loss landscape", "3. Inside one block"]
    assert len(charts(at)) == 3  # the block maps of both nets and the ratio figure, before any click
    click(at, "why_lesion_cancel_go")
    metrics = {m.label: m.value for m in at.metric}
    assert "ResNet-20: error with one block deleted" in metrics and "plain-20: error with one block deleted" in metrics
    click(at, "why_landscape_cancel_go")
    assert any("Roughness" in c.value for c in at.caption)
    names = {t.get("meta", {}).get("series") for spec in charts(at) for t in spec["data"]}
    assert {"plain-20", "ResNet-20"} <= names
    assert all(torch.equal(before[k], v) for k, v in shared.model.state_dict().items())
    assert not any(m._forward_hooks for m in shared.model.modules())


def test_a_tampered_bundled_file_gives_a_message_not_a_traceback(tmp_path, monkeypatch):
    from resnet_viz.training import bundled as bundle

    folder = tmp_path / "models"
    shutil.copytree(bundle.MODELS_DIR, folder)
    path = folder / "resnet-20.pt"
    path.write_bytes(path.read_bytes()[:-100] + b"x" * 100)
    monkeypatch.setattr(bundle, "MODELS_DIR", folder)
    st.cache_resource.clear()
    try:
        at = open_app_page(PAGE, state=SMALL)
        assert any("does not match its checksum" in e.value for e in at.error)
        assert not at.main.header  # the page stops before its sections
    finally:
        st.cache_resource.clear()


@pytest.mark.slow
def test_random_deletions_paths_and_a_two_dimensional_landscape():
    at = open_app_page(PAGE, state={**SMALL, "why_dims": 2, "why_steps_2": 11})
    click(at, "why_lesion_cancel_go")
    click(at, "why_curve_cancel_go")
    click(at, "why_paths_cancel_go")
    captions = " ".join(c.value for c in at.caption)
    assert "For each length k" in captions
    click(at, "why_landscape_cancel_go")
    kinds = {t["type"] for spec in charts(at) for t in spec["data"] if "type" in t}
    assert {"contour", "surface"} <= kinds
    assert not at.error


def test_the_costly_first_block_is_reported_as_a_finding_with_its_measured_branch():
    from resnet_viz.probes.inside import response_ratios
    from ui.why_it_works import _bundled, test_batch

    at = open_app_page(PAGE, state={**SMALL, "why_count": 64})
    click(at, "why_lesion_cancel_go")
    finding = [i.value for i in at.info if "A finding on these models" in i.value]
    assert len(finding) == 1 and "deleting layer1.0 alone" in finding[0]
    resnet = _bundled("resnet-20")
    ratio = response_ratios(resnet.model, test_batch(resnet, 64)[0]).set_index("block")["ratio"]["layer1.0"]
    assert f"||F(x)|| / ||x|| = {ratio:.2f}" in finding[0] and ratio > 1  # larger than its input: no small correction
