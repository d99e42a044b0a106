"""Figure details a new user sees: category axes, legends clear of titles, sensible ranges."""

from resnet_viz.figures.attribution import prediction_chart


def test_digit_class_names_are_categories_not_numbers():
    digits = [str(d) for d in range(10)]
    fig = prediction_chart([(7, 0.5), (1, 0.2), (9, 0.1), (4, 0.1), (2, 0.05)], digits, target=7)
    assert fig.layout.yaxis.type == "category"
    assert list(fig.data[0].y) == ["7", "1", "9", "4", "2"]  # one bar per class, most likely on top


def test_degradation_figure_says_colour_is_depth_and_line_style_is_the_curve():
    import pandas as pd

    from resnet_viz.figures.training import degradation_figure

    runs = pd.DataFrame(
        {"id": [1, 2, 3], "name": ["plain-20", "ResNet-20", "ResNet-56"], "depth": [20, 20, 56], "residual": [0, 1, 1]}
    )
    metrics = pd.DataFrame({"run_id": [1, 2, 3], "step": [10, 10, 10], "train_error": 0.5, "test_error": 0.6})
    fig = degradation_figure(metrics, runs)
    title = fig.layout.legend.title.text
    assert "colour: depth" in title and "dashed: training error" in title and "solid, bold: test error" in title
    listed = [t.name for t in fig.data if t.showlegend]
    assert listed == ["20 layers", "56 layers", "training error", "test error"]
    colour = {t.name: t.line.color for t in fig.data}
    assert colour["plain-20 train"] == colour["ResNet-20 train"] == colour["20 layers"] != colour["56 layers"]
    assert {t.legendgroup for t in fig.data if t.name.endswith("-20 train")} == {"20 layers"}  # one click hides both
