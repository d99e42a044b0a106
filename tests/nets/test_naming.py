"""Block and stage names: torchvision's layerN.M and the paper's convN_M (resnet_viz.nets.naming)."""

import pytest

from resnet_viz.nets.naming import (
    block_of,
    block_sort_key,
    group_of,
    is_block,
    is_gate_part,
    is_shortcut_part,
    is_stage,
    is_stem,
    layer_name,
    local_name,
    paper_name,
    split_block,
    stage_index,
    stage_of,
)


@pytest.mark.parametrize(
    "name, paper", [("layer2.0", "conv3_1"), ("layer1.2", "conv2_3"), ("layer3", "conv4_x"), ("layer4.22", "conv5_23")]
)
def test_paper_name_and_back(name, paper):
    assert paper_name(name) == paper
    assert layer_name(paper) == name


@pytest.mark.parametrize("name", ["conv1", "layer2.0.conv1", "fc", "layer", "layers2", ""])
def test_paper_name_refuses_what_is_not_a_block_or_stage(name):
    with pytest.raises(ValueError, match="not a block"):
        paper_name(name)


@pytest.mark.parametrize("paper", ["conv1", "conv1_x", "conv3_0", "layer2.0", "conv3_1x"])
def test_layer_name_refuses_what_is_not_a_paper_name(paper):
    with pytest.raises(ValueError, match="not a paper"):
        layer_name(paper)


def test_block_and_stage_of():
    assert block_of("layer2.0.conv1") == "layer2.0"
    assert block_of("layer2.10.downsample.0") == "layer2.10"
    assert block_of("layer2.0") == "layer2.0"
    assert block_of("layer2") is None and block_of("conv1") is None and block_of("layer2.0x") is None
    assert stage_of("layer2.0.conv1") == "layer2" and stage_of("layer2") == "layer2"
    assert stage_of("fc") is None and stage_of("layer2x") is None
    assert split_block("layer3.5.bn2.weight") == (3, 5) and split_block("layer3") is None
    assert stage_index("layer12.0") == 12 and stage_index("bn1") is None


def test_kinds_of_names():
    assert is_block("layer1.0") and not is_block("layer1") and not is_block("layer1.0.conv1")
    assert is_stage("layer4") and not is_stage("layer4.0")
    assert all(is_stem(n) for n in ("conv1", "bn1.weight", "relu", "maxpool"))
    assert not is_stem("layer1.0.conv1") and not is_stem("fc")
    assert local_name("layer2.0.downsample.0") == "downsample.0" and local_name("fc") == "fc"
    assert is_shortcut_part("layer2.0.downsample.1") and is_shortcut_part("shortcut_drop")
    assert not is_shortcut_part("layer2.0.conv1") and is_gate_part("layer2.0.gate")


def test_group_of_parameters():
    assert group_of("layer2.3.conv1.weight") == "layer2.3"
    assert group_of("layer2.3.conv1.weight", level="stage") == "layer2"
    assert group_of("bn1.bias") == "conv1" and group_of("conv1.weight", level="stage") == "conv1"
    assert group_of("fc.weight") == "fc" and group_of("bn_final.weight") == "fc"


def test_block_sort_key_orders_input_to_output():
    names = ["fc", "layer2.0", "layer1.1", "conv1", "layer10.0", "layer1.0", "layer2", "layer1.10", "layer1.2"]
    assert sorted(names, key=block_sort_key) == [
        "conv1",
        "layer1.0",
        "layer1.1",
        "layer1.2",
        "layer1.10",
        "layer2",
        "layer2.0",
        "layer10.0",
        "fc",
    ]
