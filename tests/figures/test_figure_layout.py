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


def _runs_and_metrics():
    import pandas as pd

    runs = pd.DataFrame({"id": [1, 2], "name": ["plain-20", "ResNet-20"], "depth": [20, 20], "residual": [0, 1]})
    metrics = pd.DataFrame(
        {"run_id": [1, 1, 2, 2], "step": [10, 20] * 2, "train_loss": 1.0, "train_error": 0.5, "test_error": 0.6}
    )
    return runs, metrics


def test_subplot_titles_sit_below_the_toolbar():
    """Plotly's toolbar appears top right on hover, about 30 px high: subplot titles need the taller top margin."""
    from resnet_viz.figures.training import degradation_figure, training_curves

    runs, metrics = _runs_and_metrics()
    for fig in (degradation_figure(metrics, runs), training_curves(metrics, runs)):
        assert any(a.text for a in fig.layout.annotations) and fig.layout.margin.t >= 60


def test_fig7_panels_leave_room_for_the_upper_axis_title_and_the_lower_panel_title():
    import pandas as pd

    from resnet_viz.figures.responses import response_figure

    table = pd.DataFrame({"run_id": 1, "run": "plain-8", "residual": False, "layer_index": [1, 2], "std": [1.0, 2.0]})
    fig = response_figure(table)
    plot_height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    gap_px = (fig.layout.yaxis.domain[0] - fig.layout.yaxis2.domain[1]) * plot_height
    assert gap_px >= 85  # tick labels (~20 px), the axis title (~20 px), the subplot title (~20 px) and air


def test_table6_labels_are_one_line_off_centre_where_depths_are_close_and_inside_the_range():
    from resnet_viz.figures.training import table6_figure
    from resnet_viz.nets.published import by_depth

    fig = table6_figure(by_depth("table6_test_error"), by_depth("table6_params_m"))
    trace = fig.data[0]
    depths, sides = list(trace.x), list(trace.textposition)
    assert all("<br>" not in text for text in trace.text)
    for (d1, s1), (d2, s2) in zip(zip(depths, sides), zip(depths[1:], sides[1:])):
        if d2 / d1 < 1.5:  # 32, 44, 56: a few dozen pixels apart on the log axis
            assert "center" not in s1 and "center" not in s2, (d1, s1, d2, s2)
    low, high = fig.layout.yaxis.range
    assert low < min(trace.y) and high > max(trace.y) and trace.cliponaxis is False  # 8.75 % is not cut


def test_3d_loss_surface_is_seen_from_far_enough_for_its_z_title():
    import pandas as pd

    from resnet_viz.figures.landscape import loss_surface_3d

    surface = pd.DataFrame({"alpha": [0, 1, 0, 1], "beta": [0, 0, 1, 1], "loss": [1.0, 2.0, 2.0, 3.0]})
    scene = loss_surface_3d(surface, "ResNet-20").layout.scene
    eye = scene.camera.eye
    assert (eye.x**2 + eye.y**2 + eye.z**2) ** 0.5 >= 2.9  # Plotly's default (1.25, 1.25, 1.25) is 2.17: "ss"
    assert scene.zaxis.title.text == "loss"


def test_a_plain_block_says_why_its_input_channels_are_blank():
    import torch

    from resnet_viz.figures.inside import block_maps_figure
    from resnet_viz.probes.inside import BlockMaps

    m = torch.ones(4, 4)
    maps = BlockMaps("layer1.0", False, m, m, None, [3, 5], {"branch": [m, m]}, 1.0)
    fig = block_maps_figure(maps)
    titles = [a.text for a in fig.layout.annotations if a.text.startswith("ch.")]
    assert titles == ["ch. 3", "ch. 5"]  # over the output's channels only
    (note,) = [a for a in fig.layout.annotations if "mixes all" in a.text]
    assert note.xref == "paper" and 0 < note.x < 0.5 and note.y < fig.layout.yaxis.domain[0]  # under the input mean
