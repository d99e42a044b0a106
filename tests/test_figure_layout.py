"""Figure details a new user sees: category axes, legends clear of titles, sensible ranges."""

from resnet_viz.figures.attribution import prediction_chart


def test_digit_class_names_are_categories_not_numbers():
    digits = [str(d) for d in range(10)]
    fig = prediction_chart([(7, 0.5), (1, 0.2), (9, 0.1), (4, 0.1), (2, 0.05)], digits, target=7)
    assert fig.layout.yaxis.type == "category"
    assert list(fig.data[0].y) == ["7", "1", "9", "4", "2"]  # one bar per class, most likely on top
