"""Networks built to reach numeric extremes, shared by the library and page tests."""

from __future__ import annotations

import torch

from resnet_viz.nets.model import ResNet
from resnet_viz.nets.spec import ResNetSpec


def huge_plain_net(spec: ResNetSpec) -> ResNet:
    """A plain net without BN whose convs are scaled by 1e5: activations and gradients reach about 10^100,
    far past float32's 3.4e38 and well inside float64's 1.8e308 (what plain-1202 with BN does, in 20 layers)."""
    torch.manual_seed(0)
    model = ResNet(spec)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.mul_(1e5)
    return model
