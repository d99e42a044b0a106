"""Layer responses (He et al. 2015, Fig. 7) on tiny models, with values computed by hand."""

import pandas as pd
import pytest
import torch

from resnet_viz.figures.responses import response_figure
from resnet_viz.nets.builder import build_resnet
from resnet_viz.nets.spec import ResNetSpec
from resnet_viz.probes.responses import layer_responses


def tiny():
    torch.manual_seed(0)
    return build_resnet(ResNetSpec.from_depth(8, style="cifar", shortcut="A"))


def test_every_3x3_layer_after_its_bn_in_order_with_hand_computed_values():
    model = tiny().train()
    x = torch.randn(4, 3, 8, 8)
    table = layer_responses(model, x)
    assert model.training  # measured in eval mode, then left in train mode as found
    assert table["name"].tolist() == ["bn1"] + [f"layer{s}.0.bn{i}" for s in (1, 2, 3) for i in (1, 2)]
    assert table["layer_index"].tolist() == list(range(1, 8)) and table["stage"].iloc[0] == ""
    model.eval()
    with torch.no_grad():
        stem = model.bn1(model.conv1(x))
        block = model.layer1[0]
        second = block.bn2(block.conv2(block.relu1(block.bn1(block.conv1(model.relu(stem))))))
    assert table.loc[0, "std"] == pytest.approx(float(stem.std()), rel=1e-5)
    assert table.loc[2, "std"] == pytest.approx(float(second.std()), rel=1e-5)


def test_hooks_are_removed_and_the_mode_restored_even_after_an_error():
    model = tiny().train()
    with pytest.raises(RuntimeError):
        layer_responses(model, torch.randn(2, 5, 8, 8))  # wrong channel count
    assert model.training and all(not m._forward_hooks for m in model.modules())
    layer_responses(model, torch.randn(2, 3, 8, 8))
    assert model.training and all(not m._forward_hooks for m in model.modules())


def test_bottleneck_nets_measure_only_their_3x3_layers():
    model = build_resnet(ResNetSpec.from_depth(11, style="cifar", block="bottleneck"))
    table = layer_responses(model, torch.randn(2, 3, 8, 8))
    assert table["conv"].tolist() == ["conv1", "layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2"]


def test_response_figure_has_both_panels_plain_dashed():
    table = pd.concat(
        [
            pd.DataFrame({"run_id": 1, "run": "plain-8", "residual": False, "layer_index": [1, 2], "std": [1.0, 2.0]}),
            pd.DataFrame({"run_id": 2, "run": "ResNet-8", "residual": True, "layer_index": [1, 2], "std": [0.5, 0.2]}),
        ]
    )
    fig = response_figure(table)
    assert [(t.meta["series"], t.meta["panel"]) for t in fig.data] == [
        ("plain-8", "original"), ("plain-8", "sorted"), ("ResNet-8", "original"), ("ResNet-8", "sorted")
    ]  # fmt: skip
    assert fig.data[0].line.dash == "dash" and fig.data[2].line.dash == "solid"
    assert list(fig.data[1].y) == [2.0, 1.0]
