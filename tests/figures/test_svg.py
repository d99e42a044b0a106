"""Home's inline SVG of Figure 6: the bundled curves drawn where they belong, the conventions of its Plotly twin."""

import re
import xml.etree.ElementTree as ET

import pytest

from resnet_viz.figures.palette import series_colour
from resnet_viz.figures.svg import WIDTH, degradation_svg, nice_step
from resnet_viz.i18n import use_language
from resnet_viz.shipped import bundled_runs

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # well-formed XML, or it raises
    assert root.get("viewBox").startswith(f"0 0 {WIDTH} ")
    return root


def hover_texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}title")]


def test_every_bundled_point_is_drawn_with_its_value_and_in_its_panel():
    runs = bundled_runs("digits")
    root = parsed(degradation_svg(runs, title="Figure 6"))
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == len(runs)  # one training curve per network
    hovers = hover_texts(root)
    xs_of = {}
    for run, line in zip(sorted(runs, key=lambda r: r["depth"]), lines, strict=True):
        name = f"{'ResNet' if run['residual'] else 'plain'}-{run['depth']}"
        xs = [float(p.split(",")[0]) for p in line.get("points").split()]
        assert len(xs) == len(run["step"])
        xs_of.setdefault(run["residual"], []).extend(xs)
        for step, error in zip(run["step"], run["batch_error"], strict=True):
            assert f"{name} train · step {step}: {100 * error:.1f} %" in hovers
        assert f"{name} test · step {run['step'][-1]}: {100 * run['test_error']:.1f} %" in hovers
    assert max(xs_of[False]) < min(xs_of[True])  # plain networks left, residual networks right


def test_y_positions_read_back_as_the_errors_on_the_drawn_axis():
    runs = bundled_runs("digits")
    root = parsed(degradation_svg(runs))
    ticks = {}  # tick label -> y of its grid line: the axis a reader uses
    for text in root.iter(f"{SVG}text"):
        if text.get("text-anchor") == "end":
            ticks[float(text.text)] = float(text.get("y")) - 4
    (low, y_low), (high, y_high) = min(ticks.items()), max(ticks.items())
    assert low == 0 and high >= 100 * max(e for r in runs for e in r["batch_error"])
    assert y_high < y_low  # SVG's y grows downwards

    def percent(y: float) -> float:
        return low + (high - low) * (y_low - y) / (y_low - y_high)

    plain_56 = next(r for r in runs if r["depth"] == 56 and not r["residual"])
    line = next(g for g in root.iter(f"{SVG}g") if g.find(f"{SVG}title").text == "plain-56 train")
    ys = [float(p.split(",")[1]) for p in line.find(f"{SVG}polyline").get("points").split()]
    assert [percent(y) for y in ys] == pytest.approx([100 * e for e in plain_56["batch_error"]], abs=0.1)


def test_colour_is_depth_in_both_panels_and_training_error_is_dashed():
    root = parsed(degradation_svg(bundled_runs("digits")))
    by_name = {g.find(f"{SVG}title").text: g.find(f"{SVG}polyline") for g in root.iter(f"{SVG}g")}
    assert by_name["plain-20 train"].get("stroke") == by_name["ResNet-20 train"].get("stroke") == series_colour(0)
    assert by_name["plain-56 train"].get("stroke") == by_name["ResNet-56 train"].get("stroke") == series_colour(1)
    assert all(line.get("stroke-dasharray") for line in by_name.values())


def test_text_is_escaped_and_translated():
    markup = degradation_svg(bundled_runs("digits"), title='<script>alert("x")</script> & more')
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    parsed(markup)
    with use_language("zh"):
        chinese = degradation_svg(bundled_runs("digits"))
    texts = [t.text for t in parsed(chinese).iter(f"{SVG}text")]
    assert any(re.search("[\u4e00-\u9fff]", t) for t in texts), texts
    assert "plain networks" not in texts and "residual networks" not in texts


@pytest.mark.parametrize(("span", "step"), [(100, 20), (89.4, 20), (400, 100), (27.1, 10), (24, 5), (0.5, 0.1), (0, 1)])
def test_nice_steps(span, step):
    assert nice_step(span, 5) == pytest.approx(step)
