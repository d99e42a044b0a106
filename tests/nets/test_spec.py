"""ResNetSpec: depth rules, JSON round trip, and readable errors for impossible specs."""

import json

import pytest

from resnet_viz import ResNetSpec, valid_depths
from resnet_viz.nets.spec import imagenet_layers


def test_names_keep_codes_for_files_and_show_labels_in_the_users_language():
    from resnet_viz.i18n import use_language

    spec = ResNetSpec.from_depth(110, style="cifar", unit="bn_after_add", shortcut_variant="exclusive_gating")
    assert spec.name == "ResNet-110 (CIFAR, bn_after_add, exclusive_gating shortcut)"  # run names, unchanged
    assert spec.display_name == "ResNet-110 (CIFAR, BN after addition, exclusive gating)"
    with use_language("zh"):
        assert spec.display_name == "ResNet-110（CIFAR、BN 移到相加之后、互斥门控）"
        with pytest.raises(ValueError, match="56、62"):
            ResNetSpec.from_depth(57, style="cifar", block="basic")


@pytest.mark.parametrize(
    "depth, block, layers",
    [
        (18, "basic", (2, 2, 2, 2)),
        (34, "basic", (3, 4, 6, 3)),
        (50, "bottleneck", (3, 4, 6, 3)),
        (101, "bottleneck", (3, 4, 23, 3)),
        (152, "bottleneck", (3, 8, 36, 3)),
    ],
)
def test_imagenet_depths_follow_table1(depth, block, layers):
    spec = ResNetSpec.from_depth(depth)
    assert (spec.block, spec.layers, spec.widths, spec.depth) == (block, layers, (64, 128, 256, 512), depth)
    assert spec.stride_on == "3x3" and spec.shortcut == "B" and spec.num_classes == 1000


def test_custom_imagenet_depths_follow_documented_rule():
    assert ResNetSpec.from_depth(26).layers == (3, 4, 2, 3)  # 12 basic blocks: [3, 4, B-10, 3]
    assert ResNetSpec.from_depth(203).layers == (3, 4, 57, 3)  # 67 bottleneck blocks
    assert ResNetSpec.from_depth(200).layers == (3, 24, 36, 3)  # the published ResNet-200, not the rule's (3, 4, 56, 3)
    assert ResNetSpec.from_depth(10).layers == (1, 1, 1, 1)  # smallest: one block per stage
    for depth in range(10, 120, 2):
        spec = ResNetSpec.from_depth(depth, block="basic")
        assert spec.depth == depth and min(spec.layers) >= 1
    assert imagenet_layers(18, "basic") == (2, 2, 2, 2)


@pytest.mark.parametrize(
    "depth, block, n",
    [
        (20, "basic", 3),
        (56, "basic", 9),
        (110, "basic", 18),
        (1202, "basic", 200),
        (164, "bottleneck", 18),
        (1001, "bottleneck", 111),
    ],
)
def test_cifar_depths(depth, block, n):
    spec = ResNetSpec.from_depth(depth, style="cifar", block=block)
    assert spec.layers == (n, n, n) and spec.widths == (16, 32, 64) and spec.stem_width == 16
    assert spec.depth == depth and spec.num_classes == 10


def test_cifar_block_defaults_to_the_form_that_fits():
    assert ResNetSpec.from_depth(56, style="cifar").block == "basic"  # 6n+2
    assert ResNetSpec.from_depth(1001, style="cifar").block == "bottleneck"  # only 9n+2


def test_issue_examples_build_specs():
    assert ResNetSpec.from_depth(50, stride_on="1x1").stride_on == "1x1"
    assert ResNetSpec.from_depth(34, shortcut="A").shortcut == "A"
    assert ResNetSpec.from_depth(56, style="cifar", residual=False).name == "plain-56 (CIFAR)"
    assert ResNetSpec.from_depth(110, style="cifar", shortcut="A").name == "ResNet-110 (CIFAR)"
    spec = ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact")
    assert spec.name == "ResNet-164 (CIFAR, preact)"


def test_round_trip_through_dict_and_json():
    spec = ResNetSpec.from_depth(
        110,
        style="cifar",
        shortcut="A",
        unit="relu_preact",
        shortcut_variant="exclusive_gating",
        gate_bias=-7.0,
        norm="none",
        residual=True,
    )
    assert ResNetSpec.from_dict(spec.to_dict()) == spec
    assert ResNetSpec.from_json(spec.to_json()) == spec
    data = json.loads(spec.to_json())
    assert data["layers"] == [18, 18, 18] and data["unit"] == "relu_preact"
    assert hash(ResNetSpec.from_json(spec.to_json())) == hash(spec)  # usable as a cache key


@pytest.mark.parametrize(
    "depth, message",
    [
        (0, "positive"),
        (-3, "positive"),
        (7, "Nearest valid depths: 10, 12"),
        (2.5, "whole number"),
        ("abc", "whole number"),
        (None, "whole number"),
        (True, "whole number"),
        (10**6, "limit"),
    ],
)
def test_impossible_depths_raise_readable_errors(depth, message):
    with pytest.raises(ValueError, match=message):
        ResNetSpec.from_depth(depth)


def test_cifar_error_names_nearest_valid_depths():
    with pytest.raises(ValueError) as err:
        ResNetSpec.from_depth(57, style="cifar", block="basic")
    assert "6n+2" in str(err.value) and "56" in str(err.value) and "62" in str(err.value)
    with pytest.raises(ValueError, match="9n\\+2.*1001"):
        ResNetSpec.from_depth(1000, style="cifar", block="bottleneck")


@pytest.mark.parametrize(
    "field, value",
    [
        ("style", "vgg"),
        ("block", "wide"),
        ("shortcut", "D"),
        ("unit", "post"),
        ("shortcut_variant", "magic"),
        ("stride_on", "5x5"),
        ("norm", "layer"),
    ],
)
def test_unknown_names_raise_readable_errors(field, value):
    with pytest.raises(ValueError, match=f"Unknown {field}.*choose one of"):
        ResNetSpec.from_depth(18, **{field: value})


def test_bad_fields_and_json_raise_value_errors():
    with pytest.raises(ValueError, match="4 stages"):
        ResNetSpec(layers=(2, 2, 2))
    with pytest.raises(ValueError, match="layers"):
        ResNetSpec(layers=(2, 0, 2, 2))
    with pytest.raises(ValueError, match="Unknown ResNet spec field"):
        ResNetSpec.from_dict({"depth": 50})
    with pytest.raises(ValueError, match="JSON"):
        ResNetSpec.from_json("{not json")
    with pytest.raises(ValueError, match="shortcut_dropout"):
        ResNetSpec(shortcut_dropout=1.5)


def test_valid_depths_lists():
    assert valid_depths("cifar", "basic")[:4] == [8, 14, 20, 26]
    assert 1202 in valid_depths("cifar", "basic") and 1001 in valid_depths("cifar", "bottleneck")
    assert valid_depths("cifar", "basic", near=57) == [50, 56, 62, 68]  # by distance to 57


def test_input_size_rules_come_from_the_style():
    from resnet_viz.nets.spec import default_input_size, min_input_size

    imagenet, cifar = ResNetSpec.from_depth(18), ResNetSpec.from_depth(20, style="cifar")
    assert (imagenet.default_input_size, cifar.default_input_size) == (224, 32)
    assert (imagenet.min_input_size, cifar.min_input_size) == (32, 4)
    assert default_input_size("cifar") == 32 and min_input_size("imagenet") == 32
    with pytest.raises(ValueError, match="Unknown style"):
        min_input_size("mnist")


def test_a_network_too_deep_to_trace_quickly_is_refused_with_the_limit():
    from resnet_viz.nets.spec import MAX_DEPTH

    assert MAX_DEPTH >= 1202  # the papers' deepest network stays in
    with pytest.raises(ValueError, match="9992 is beyond this tool's limit of 1500 layers"):
        ResNetSpec.from_depth(9992, style="cifar")
