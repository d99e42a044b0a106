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


def huge_head_net(spec: ResNetSpec) -> ResNet:
    """A net whose fc weights are scaled by 1e37: the forward pass stays inside float32 (logits about 1e37),
    but in plain-56 the gradient grows backwards from about 1e35 past float32's 3.4e38 in the first stage, as
    plain-1202 with BN does after about 600 layers; float64 holds it all."""
    torch.manual_seed(0)
    model = ResNet(spec)
    with torch.no_grad():
        model.fc.weight.mul_(1e37)
    return model
