"""The Identity-mappings lab: our bars apart from the paper's CIFAR-10 numbers, and an order only beyond the margin."""

from __future__ import annotations

import json

from apptest_pages import launch_and_finish, open_app_page


def test_units_lab_draws_the_paper_in_its_own_panel_and_says_what_it_cannot_rank():
    at = open_app_page("app_pages/identity_mappings.py")
    at.multiselect(key="im_units_pick").set_value(["original", "preact"])
    at.select_slider(key="im_units_depth").set_value(8)
    launch_and_finish(at, "im_units", "im_units_go")
    bars = next(c for c in at.get("plotly_chart") if "im_units_bars" in c.proto.id)
    traces = json.loads(bars.proto.spec)["data"]
    paper = [t for t in traces if t["name"] == "paper: CIFAR-10 test error"]
    assert len(paper) == 1 and paper[0]["yaxis"] == "y2"
    assert all(t.get("yaxis", "y") == "y" for t in traces if t not in paper)
    ours = [t for t in traces if t not in paper]
    assert [list(t["x"]) for t in ours] == [paper[0]["x"]] * 2  # our bars in the paper's order (the launch order)
    live = next(c for c in at.main.columns if any("Your comparison, live" in m.value for m in c.markdown))
    verdicts = [m.value for m in live.markdown if "original" in m.value and "training error" in m.value]
    assert len(verdicts) == 1  # full pre-activation against the original unit: one line, ranked or not by the margin
    ahead = next(c for c in at.main.columns if any("Run ahead of time" in m.value for m in c.markdown))
    ahead_verdicts = [m.value for m in ahead.markdown if "original" in m.value and "training error" in m.value]
    assert len(ahead_verdicts) == 4  # the four other units against the original, from the shipped three seeds
