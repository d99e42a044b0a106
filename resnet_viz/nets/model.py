"""The ResNet modules: one residual unit class per block type, one network class.

Names follow torchvision's `models/resnet.py` exactly (`conv1 bn1 relu maxpool layer1..4 avgpool fc`,
blocks `conv1/bn1/conv2/bn2[/conv3/bn3]`, projection `downsample.0/1`), so torchvision's weights
load into our models with ``strict=True``. Modules without parameters are free to differ: every
ReLU use is its own non-inplace module (``relu1``, ``relu2``, ...) so attribution methods (Guided
Backprop) and hooks can see each one, and the shortcut addition is a module (``add``) so tables
and gradient hooks see it too.

Residual-unit variants (Identity Mappings, Fig. 4), for a block whose branch is conv_1..conv_k:

    original          x -> [conv-BN-ReLU] ... conv-BN -> (+ shortcut) -> ReLU
    bn_after_add      x -> [conv-BN-ReLU] ... conv    -> (+ shortcut) -> BN -> ReLU
    relu_before_add   x -> [conv-BN-ReLU] ... conv-BN-ReLU -> (+ shortcut)
    relu_preact       x -> [ReLU-conv-BN] ... ReLU-conv-BN -> (+ shortcut)
    preact            x -> [BN-ReLU-conv] ... BN-ReLU-conv -> (+ shortcut)

Shortcut variants (Identity Mappings, Fig. 2), h(x) being identity, zero-pad or projection:

    identity          y = h(x) + F(x)
    scaling           y = shortcut_scale * h(x) + branch_scale * F(x)
    exclusive_gating  y = (1 - g(x)) * h(x) + g(x) * F(x),  g(x) = sigmoid(1x1 conv(x)), bias gate_bias
    shortcut_gating   y = (1 - g(x)) * h(x) + F(x)
    conv1x1           y = conv1x1(x) + F(x)   (every block, no BN on the shortcut)
    dropout           y = dropout(h(x)) + F(x)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .spec import ResNetSpec

# Modules are created directly on this device; "meta" gives shapes without storage (analysis).
Device = torch.device | str | None


class Add(nn.Module):
    """The shortcut addition ``y = shortcut + branch``, a module so hooks and tables can see it."""

    def forward(self, shortcut: torch.Tensor, branch: torch.Tensor) -> torch.Tensor:
        return shortcut + branch  # (N, C, H, W)


class ZeroPadShortcut(nn.Module):
    """Option A: an identity shortcut that subsamples by the stride and pads new channels with zeros.

    It has no parameters, which is why the paper's CIFAR nets use it (Table 6 counts).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C_in, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, 0, self.out_channels - self.in_channels))  # (N, C_out, H/s, W/s)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, stride={self.stride}"


class SeededDropout(nn.Dropout):
    """`nn.Dropout` whose masks come from ``generator`` when one is set (`use_generator`), not torch's global one.

    The global generator is shared by every thread of the process (every user of a server), so a run whose
    masks came from it would depend on what others drew meanwhile. The generator is a CPU one (a run's data
    order stream, which its checkpoints save): the mask (N, C, H, W) is drawn on the CPU and moved.
    """

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        keep = torch.rand(x.shape, generator=self.generator) >= self.p  # (N, C, H, W) on the CPU
        return x * keep.to(x.device, x.dtype) / (1 - self.p)


def use_generator(model: nn.Module, generator: torch.Generator | None) -> None:
    """Draw every random mask of ``model`` (its `SeededDropout` modules) from ``generator`` (None: the global one)."""
    for module in model.modules():
        if isinstance(module, SeededDropout):
            module.generator = generator


def _norm(spec: ResNetSpec, channels: int, device: Device = None) -> nn.Module:
    return nn.BatchNorm2d(channels, device=device) if spec.norm == "batch" else nn.Identity()


def _conv(spec: ResNetSpec, cin: int, cout: int, kernel: int, stride: int = 1, device: Device = None) -> nn.Conv2d:
    # Without normalisation a conv needs its own bias; with BN the bias would be redundant.
    return nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, bias=spec.norm == "none", device=device)


def shortcut_path(
    spec: ResNetSpec, in_channels: int, out_channels: int, stride: int, device: Device = None
) -> nn.Module | None:
    """A residual block's ``downsample`` h(x): a 1x1 projection (options B and C, the conv1x1 variant), option A's
    zero-padding, or None for an identity shortcut. The shortcut option changes nothing else in a network, so
    `trace.trace_with_shortcut` prices each option by tracing this part alone."""
    shape_changes = stride != 1 or in_channels != out_channels
    if spec.shortcut_variant == "conv1x1":
        return nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False, device=device))
    if spec.shortcut == "C" or (shape_changes and spec.shortcut == "B"):
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride, bias=False, device=device),
            _norm(spec, out_channels, device),
        )
    if shape_changes:  # option A
        return ZeroPadShortcut(in_channels, out_channels, stride)
    return None


class ResidualUnit(nn.Module):
    """One block: a branch of 2 (basic) or 3 (bottleneck) convolutions plus an optional shortcut.

    Basic:      conv1 3x3 (stride) -> conv2 3x3
    Bottleneck: conv1 1x1 reduce -> conv2 3x3 -> conv3 1x1 expand (x4). The stride sits on the 3x3
                (torchvision, "v1.5": better accuracy, more MACs) or on conv1 (the paper, "v1").
    """

    def __init__(self, spec: ResNetSpec, in_channels: int, width: int, stride: int, device: Device = None) -> None:
        super().__init__()
        self.unit = spec.unit if spec.residual else "original"
        self.variant = spec.shortcut_variant if spec.residual else None
        self.residual = spec.residual
        self.shortcut_scale, self.branch_scale = spec.shortcut_scale, spec.branch_scale
        out_channels = width * spec.expansion
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride

        if spec.block == "basic":
            kernels, channels, strides = (3, 3), (in_channels, width, out_channels), (stride, 1)
        else:
            s1, s3 = (stride, 1) if spec.stride_on == "1x1" else (1, stride)
            kernels, channels, strides = (1, 3, 1), (in_channels, width, width, out_channels), (s1, s3, 1)
        self.depth = len(kernels)
        preact = self.unit == "preact"
        for i, (k, s) in enumerate(zip(kernels, strides), start=1):
            setattr(self, f"conv{i}", _conv(spec, channels[i - 1], channels[i], k, s, device))
            # Pre-activation BN normalises the conv's input; every other ordering its output.
            setattr(self, f"bn{i}", _norm(spec, channels[i - 1] if preact else channels[i], device))
            setattr(self, f"relu{i}", nn.ReLU(inplace=False))

        self.downsample: nn.Module | None = None
        if spec.residual:
            self.downsample = shortcut_path(spec, in_channels, out_channels, stride, device)
            if self.variant in ("exclusive_gating", "shortcut_gating"):
                self.gate = nn.Conv2d(in_channels, out_channels, 1, stride, bias=True, device=device)
            if self.variant == "dropout":
                self.shortcut_drop = SeededDropout(spec.shortcut_dropout)
            self.add = Add()

    def layer(self, kind: str, i: int) -> nn.Module:
        return getattr(self, f"{kind}{i}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, C_in, H, W)
        out = x
        shortcut_input = x
        for i in range(1, self.depth + 1):
            conv, bn, relu = self.layer("conv", i), self.layer("bn", i), self.layer("relu", i)
            last = i == self.depth
            if self.unit == "preact":
                out = relu(bn(out))
                if i == 1:  # a projection sees the pre-activated input, as in the paper's code
                    shortcut_input = out
                out = conv(out)
            elif self.unit == "relu_preact":
                out = relu(out)
                if i == 1:
                    shortcut_input = out
                out = bn(conv(out))
            elif not last or self.unit == "relu_before_add":
                out = relu(bn(conv(out)))
            elif self.unit == "bn_after_add":
                out = conv(out)  # BN and ReLU come after the addition
            else:  # original: conv-BN, add, then ReLU
                out = bn(conv(out))
        # out: (N, C_out, H/stride, W/stride) = the residual branch F(x)

        if not self.residual:  # plain network: the branch is all there is
            return self.relu_last_if_needed(out)

        identity = x
        if self.downsample is not None:
            identity = self.downsample(shortcut_input if self.unit in ("preact", "relu_preact") else x)
        branch = out
        if self.variant == "scaling":
            identity, branch = self.shortcut_scale * identity, self.branch_scale * branch
        elif self.variant in ("exclusive_gating", "shortcut_gating"):
            g = torch.sigmoid(self.gate(x))  # (N, C_out, H/stride, W/stride), starts near 0
            identity = (1 - g) * identity
            if self.variant == "exclusive_gating":
                branch = g * branch
        elif self.variant == "dropout":
            identity = self.shortcut_drop(identity)
        out = self.add(identity, branch)  # y = h(x) + F(x)
        return self.relu_last_if_needed(out)

    def relu_last_if_needed(self, out: torch.Tensor) -> torch.Tensor:
        """After the addition: ReLU ("original"), BN then ReLU ("bn_after_add"), or nothing."""
        k = self.depth
        if self.unit == "original":
            return self.layer("relu", k)(out)
        if self.unit == "bn_after_add":
            return self.layer("relu", k)(self.layer("bn", k)(out))
        return out


class ResNet(nn.Module):
    """A ResNet (or its plain twin) built from a `ResNetSpec`. The spec is kept as ``model.spec``."""

    def __init__(self, spec: ResNetSpec, device: Device = None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.spec = spec
        if spec.style == "imagenet":
            self.conv1 = nn.Conv2d(spec.in_channels, spec.stem_width, 7, 2, 3, bias=spec.norm == "none", device=device)
        else:
            self.conv1 = _conv(spec, spec.in_channels, spec.stem_width, 3, device=device)
        self.bn1 = _norm(spec, spec.stem_width, device)
        self.relu = nn.ReLU(inplace=False)
        if spec.style == "imagenet":
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        channels = spec.stem_width
        for i, (blocks, width) in enumerate(zip(spec.layers, spec.widths), start=1):
            stride = 1 if i == 1 else 2  # downsampling by conv3_1, conv4_1, conv5_1
            units = []
            for b in range(blocks):
                units.append(ResidualUnit(spec, channels, width, stride if b == 0 else 1, device))
                channels = width * spec.expansion
            setattr(self, f"layer{i}", nn.Sequential(*units))
        self.num_stages = len(spec.layers)

        if spec.residual and spec.unit == "preact":
            # The last pre-activation unit ends on a conv: normalise and activate before pooling.
            self.bn_final = _norm(spec, channels, device)
        if spec.residual and spec.unit in ("preact", "relu_preact"):
            self.relu_final = nn.ReLU(inplace=False)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, spec.num_classes, device=device)
        if torch.device(device or "cpu").type != "meta":  # meta tensors hold no values to initialise
            self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """torchvision's initialisation: He (fan_out) for convs, BN scale 1 / shift 0, and `nn.Linear`'s own for fc.

        Every parameter is drawn here, from ``generator`` (a CPU one; None = torch's global generator), so a
        seeded generator fixes the weights whatever other threads draw meanwhile.
        """
        for name, m in self.named_modules():
            if name.endswith(".gate"):  # g(x) = sigmoid(gate_bias) everywhere at the start
                nn.init.zeros_(m.weight)
                nn.init.constant_(m.bias, self.spec.gate_bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu", generator=generator)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):  # as `nn.Linear.reset_parameters`, with the generator
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(m.in_features)
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)

    def stages(self) -> list[nn.Sequential]:
        return [getattr(self, f"layer{i}") for i in range(1, self.num_stages + 1)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # ImageNet shapes for a (N, 3, 224, 224) input; CIFAR: (N, 16, 32, 32) after the stem, no max pool.
        x = self.relu(self.bn1(self.conv1(x)))  # (N, 64, 112, 112)
        if hasattr(self, "maxpool"):
            x = self.maxpool(x)  # (N, 64, 56, 56)
        for stage in self.stages():
            x = stage(x)  # layer1 (N, 64*e, 56, 56), layer2 (N, 128*e, 28, 28), ... layer4 (N, 512*e, 7, 7)
        if hasattr(self, "bn_final"):
            x = self.bn_final(x)
        if hasattr(self, "relu_final"):
            x = self.relu_final(x)
        x = self.avgpool(x)  # (N, C, 1, 1)
        x = torch.flatten(x, 1)  # (N, C)
        return self.fc(x)  # (N, num_classes)
