"""Library figures drawn by plotly.js in Chromium: legends clear of every title, sensible step axes."""

import pandas as pd
import plotly.io as pio
import pytest

from resnet_viz.figures.gradients import gradient_vs_depth, shortcut_split, stage_histograms
from resnet_viz.figures.training import degradation_figure, schedule_and_throughput, training_curves, variant_bars


def runs_and_metrics(steps=(50, 100, 150)):
    runs = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "name": ["plain-20", "ResNet-20", "plain-56", "ResNet-56"],
            "depth": [20, 20, 56, 56],
            "residual": [False, True, False, True],
        }
    )
    rows = [
        dict(run_id=r, step=s, train_loss=2 - s / 1000 * r, lr=0.1, images_per_s=500.0)
        | dict(train_error=0.6 - s / 2000 * r, test_error=0.65 - s / 2000 * r)
        for r in runs["id"]
        for s in steps
    ]
    return runs, pd.DataFrame(rows)


def gradient_table():
    return pd.DataFrame(
        {
            "name": ["conv1", "layer1.0", "layer2.0", "fc"],
            "depth_index": [0, 1, 2, 3],
            "stage": ["conv1", "conv2_x", "conv3_x", "head"],
            "weight_grad_norm": [1.0, 2.0, 3.0, 4.0],
            "input_grad_norm": [1.0, 2.0, 3.0, 4.0],
            "shortcut_grad_norm": [None, 1.5, 2.0, None],
            "branch_grad_norm": [None, 0.5, 1.0, None],
        }
    )


def figures():
    runs, metrics = runs_and_metrics()
    summary = pd.DataFrame({"label": ["a", "b"], "train_error": [0.1, 0.2], "test_error": [0.15, 0.25]})
    tables = {"plain-20": gradient_table(), "ResNet-20": gradient_table()}
    return {
        "degradation_figure": degradation_figure(metrics, runs, title="Figure 6, your runs"),
        "training_curves": training_curves(metrics, runs, title="Selected runs"),
        "schedule_and_throughput": schedule_and_throughput(metrics, runs),
        "variant_bars": variant_bars(summary, {"a": 6.6}, title="Variants"),
        "gradient_vs_depth": gradient_vs_depth(tables),
        "shortcut_split": shortcut_split(tables["ResNet-20"]),
        "stage_histograms": stage_histograms(tables),
    }


def draw(page, fig, width=700):
    page.set_content(pio.to_html(fig, include_plotlyjs=True, full_html=True, default_width=f"{width}px"))
    page.wait_for_selector(".main-svg", timeout=30_000)
    page.wait_for_timeout(300)


def boxes(page, selector):
    return [b for b in (e.bounding_box() for e in page.locator(selector).all()) if b and b["width"] and b["height"]]


def overlap(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("name, fig", list(figures().items()))
def test_legend_overlaps_no_title(page, name, fig):
    draw(page, fig)
    (legend,) = boxes(page, "g.legend")
    titles = boxes(page, ".gtitle") + boxes(page, ".annotation-text") + boxes(page, ".xtitle") + boxes(page, ".ytitle")
    assert titles, name
    assert not [t for t in titles if overlap(legend, t)], name


@pytest.mark.parametrize("make", [training_curves, schedule_and_throughput, degradation_figure])
def test_one_logged_step_gets_an_axis_from_zero(page, make):
    runs, metrics = runs_and_metrics(steps=(50,))
    draw(page, make(metrics, runs))
    ranges = page.evaluate(
        "() => { const l = document.querySelector('.js-plotly-plot')._fullLayout;"
        " return [l.xaxis.range, l.xaxis2.range]; }"
    )
    for low, high in ranges:
        assert low <= 0 < 50 < high, ranges
