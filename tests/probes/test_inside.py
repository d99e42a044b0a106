"""Inside one block, on a tiny net: x + F(x) is the sum of the two maps; ratios per block."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.figures.inside import block_maps_figure, ratio_figure
from resnet_viz.probes.inside import BlockMaps, block_maps, freshly_initialised, response_ratios


def tiny(residual: bool = True):
    torch.manual_seed(0)
    spec = replace(
        ResNetSpec.from_depth(8, style="cifar", residual=residual, shortcut="A"), in_channels=1, num_classes=3
    )
    return build_resnet(spec, input_size=8).eval()


def test_added_map_is_shortcut_plus_branch():
    model = tiny()
    x = torch.randn(1, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    maps = block_maps(model, x, "layer2.0", channels=2)
    assert maps.residual and maps.shortcut.shape == (4, 4)  # layer2 halves the 8 px input
    assert torch.allclose(maps.added, maps.shortcut + maps.branch, atol=1e-6)
    assert len(maps.channels) == 2 and len(maps.channel_maps["added"]) == 2
    assert maps.ratio > 0
    assert not any(m._forward_hooks for m in model.modules())


def test_zero_branch_gives_zero_ratio():
    model = tiny()
    torch.nn.init.zeros_(model.layer1[0].bn2.weight)
    torch.nn.init.zeros_(model.layer1[0].bn2.bias)
    table = response_ratios(model, torch.randn(4, 1, 8, 8))
    assert table["block"].tolist() == ["layer1.0", "layer2.0", "layer3.0"]
    assert table.loc[0, "ratio"] == pytest.approx(0.0, abs=1e-7)


def test_plain_blocks_and_bad_input():
    model = tiny(residual=False)
    maps = block_maps(model, torch.randn(1, 8, 8), "layer1.0")
    assert not maps.residual and maps.added is None
    with pytest.raises(ValueError, match="No block 'layer9.0'"):
        block_maps(model, torch.randn(1, 1, 8, 8), "layer9.0")
    with pytest.raises(ValueError, match="non-empty"):
        response_ratios(model, torch.zeros(0, 1, 8, 8))
    fresh = freshly_initialised(model, seed=1)
    assert fresh.spec == model.spec and fresh is not model


def test_inside_figures():
    m = torch.ones(4, 4)
    maps = BlockMaps("layer1.0", True, m, m, 2 * m, [0], {"shortcut": [m], "branch": [m], "added": [m]}, 1.0)
    assert len(block_maps_figure(maps).data) == 6  # 3 columns x (mean + 1 channel)
    table = pd.DataFrame({"block": ["layer1.0"], "index": [1], "ratio": [0.5]})
    assert len(ratio_figure({"ResNet trained": table, "ResNet fresh": table}).data) == 2
