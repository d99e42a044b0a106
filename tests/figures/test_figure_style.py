"""Every figure module draws with style's one palette and layout; training and attribution figures build."""

import re

import pandas as pd
import plotly.io as pio
import pytest

from resnet_viz import ResNetSpec, layer_table, shortcut_table, stage_table
from resnet_viz.figures import style
from resnet_viz.figures.attribution import localisation_chart, prediction_chart
from resnet_viz.figures.block_diagram import _FILL, block_diagram
from resnet_viz.figures.costs import stage_cost_chart
from resnet_viz.figures.gradients import gradient_vs_depth, shortcut_split
from resnet_viz.figures.shortcut_diagram import shortcut_diagram
from resnet_viz.figures.training import degradation_figure, schedule_and_throughput, training_curves, variant_bars

ALLOWED = {
    c.upper() for c in (*style.PALETTE, style.INK, style.GREY, style.OUTLINE, style.NEUTRAL, style.GRID, style.LIGHT)
} | {c.upper() for c in _FILL.values()}


def runs_and_metrics():
    runs = pd.DataFrame({"id": [1, 2], "name": ["plain-8", "ResNet-8"], "depth": [8, 8], "residual": [False, True]})
    metrics = pd.DataFrame(
        {
            "run_id": [1, 1, 2, 2],
            "step": [10, 20, 10, 20],
            "train_loss": [2.0, 1.5, 1.9, 1.2],
            "train_error": [0.6, 0.5, 0.55, 0.3],
            "test_error": [0.62, 0.52, 0.58, 0.35],
            "lr": [0.1, 0.05, 0.1, 0.05],
            "images_per_s": [500.0, 520.0, 480.0, 490.0],
        }
    )
    return runs, metrics


def figures():
    spec = ResNetSpec.from_depth(20, style="cifar", shortcut="A")
    layers = layer_table(spec)
    runs, metrics = runs_and_metrics()
    table = pd.DataFrame(
        {
            "name": ["conv1", "layer1.0", "fc"],
            "depth_index": [0, 1, 2],
            "stage": ["conv1", "conv2_x", "head"],
            "weight_grad_norm": [1.0, 2.0, 3.0],
            "input_grad_norm": [1.0, 2.0, 3.0],
            "shortcut_grad_norm": [None, 1.5, None],
            "branch_grad_norm": [None, 0.5, None],
        }
    )
    scores = pd.DataFrame(
        {
            "method": ["gradcam", "random"],
            "label": ["Grad-CAM", "Random"],
            "mass_inside": [0.6, 0.2],
            "pointing_game": [0.8, 0.2],
        }
    )
    summary = pd.DataFrame({"label": ["a", "b"], "train_error": [0.1, 0.2], "test_error": [0.15, 0.25]})
    return {
        "shortcut_diagram": shortcut_diagram(shortcut_table(spec, layers=layers)),
        "block_diagram": block_diagram(layers, "layer2.0", spec),
        "stage_cost_chart": stage_cost_chart(stage_table(spec, layers=layers)),
        "gradient_vs_depth": gradient_vs_depth({"a": table, "b": table}),
        "shortcut_split": shortcut_split(table),
        "training_curves": training_curves(metrics, runs, title="runs"),
        "schedule_and_throughput": schedule_and_throughput(metrics, runs),
        "degradation_figure": degradation_figure(metrics, runs),
        "variant_bars": variant_bars(summary, {"a": 6.6}),
        "prediction_chart": prediction_chart([(1, 0.7), (0, 0.2)], ["cat", "dog"], target=1),
        "localisation_chart": localisation_chart(scores),
    }


@pytest.mark.parametrize("name, fig", list(figures().items()))
def test_every_figure_uses_the_one_palette_and_template(name, fig):
    spec = fig.to_plotly_json()
    colours = set(re.findall(r"#[0-9A-Fa-f]{6}\b", str(spec["data"])))
    assert {c.upper() for c in colours} <= ALLOWED, name
    assert fig.layout.template.layout.to_plotly_json() == pio.templates[style.TEMPLATE].layout.to_plotly_json()
    assert fig.layout.font.family == style.FONT["family"]


def test_training_figures_keep_the_papers_convention():
    runs, metrics = runs_and_metrics()
    fig = degradation_figure(metrics, runs)
    train = [t for t in fig.data if t.meta["curve"] == "train"]
    test = [t for t in fig.data if t.meta["curve"] == "test"]
    assert len(train) == len(test) == 2
    assert all(t.line.dash == "dash" for t in train) and all(t.line.width > 3 and not t.line.dash for t in test)
    assert train[0].line.color == style.PALETTE[0]


def test_variant_bars_never_put_the_papers_numbers_on_our_axis():
    summary = pd.DataFrame({"label": ["a", "b"], "train_error": [0.1, 0.2], "test_error": [0.15, 0.25]})
    fig = variant_bars(summary, {"a": 6.6, "b": 8.2})
    ours, paper = fig.data[:2], fig.data[2]
    assert {t.yaxis for t in ours} <= {None, "y"} and paper.yaxis == "y2"  # None: the first axis
    assert list(paper.y) == [6.6, 8.2]
    assert len(variant_bars(summary).data) == 2  # without the paper: one panel, our bars only
