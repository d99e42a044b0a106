"""Human-readable numbers and shapes (resnet_viz.formatting)."""

import pytest

from resnet_viz.formatting import format_shape, human, prefix_of


@pytest.mark.parametrize(
    "n, unit, text",
    [
        (12_345_678, "", "12.3M"),
        (3.86e9, "", "3.86G"),
        (9536, "", "9.54k"),
        (269_722, "", "270k"),
        (512, "", "512"),
        (0, "", "0"),
        (1.5 * 1024**3, "B", "1.61GB"),
        (-2_500, "", "-2.5k"),
    ],
)
def test_human(n, unit, text):
    assert human(n, unit) == text


def test_prefix_of_keeps_the_value_between_1_and_1000():
    assert prefix_of(9536) == (1e3, "k")
    assert prefix_of(25_557_032) == (1e6, "M")
    assert prefix_of(999) == (1.0, "")


def test_format_shape_puts_the_spatial_size_first():
    assert format_shape((64, 56, 56)) == "56x56x64"
    assert format_shape((512,)) == "512"
