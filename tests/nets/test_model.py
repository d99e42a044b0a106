"""The builder: torchvision compatibility, the papers' parameter counts, and every variant runs."""

import itertools

import pytest
import torch
import torchvision
from torch import nn

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNITS


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_torchvision_weights_load_strict_and_outputs_match(depth):
    torch.manual_seed(depth)
    reference = getattr(torchvision.models, f"resnet{depth}")(weights=None).eval()
    ours = build_resnet(ResNetSpec.from_depth(depth)).eval()
    ref_shapes = {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert our_shapes == ref_shapes  # same names, same shapes, nothing extra
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=0, atol=0)


@pytest.mark.parametrize("depth, expected", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7), (1202, 19.4)])
def test_cifar_option_a_params_match_paper_table6(depth, expected):
    spec = ResNetSpec.from_depth(depth, style="cifar", shortcut="A")
    model = build_resnet(spec)
    digits = 2 if expected < 1 else 1
    assert round(n_params(model) / 1e6, digits) == expected


def test_preact_164_params_match_identity_mappings():
    model = build_resnet(ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact"))
    assert round(n_params(model) / 1e6, 1) == 1.7


def test_each_relu_is_its_own_non_inplace_module():
    model = build_resnet(ResNetSpec.from_depth(50))
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(relus) == len({id(m) for m in relus}) == 1 + 16 * 3  # stem + 3 per bottleneck
    assert not any(m.inplace for m in relus)
    for block in model.layer1:  # each ReLU module is called exactly once per forward
        calls = []
        hooks = [getattr(block, f"relu{i}").register_forward_hook(lambda *a, i=i: calls.append(i)) for i in (1, 2, 3)]
        block(torch.randn(1, block.in_channels, 8, 8))
        [h.remove() for h in hooks]
        assert calls == [1, 2, 3]


def test_plain_network_is_the_residual_one_minus_shortcuts():
    residual = build_resnet(ResNetSpec.from_depth(34))
    plain = build_resnet(ResNetSpec.from_depth(34, residual=False))
    res_names = {k for k in residual.state_dict() if ".downsample." not in k}
    assert set(plain.state_dict()) == res_names  # only the projections are gone
    assert not any(isinstance(m, nn.Module) and type(m).__name__ == "Add" for m in plain.modules())


def test_plain_forward_is_branch_only():
    torch.manual_seed(0)
    spec = ResNetSpec.from_depth(8, style="cifar", residual=False)
    model = build_resnet(spec).eval()
    block = model.layer1[0]
    x = torch.randn(1, 16, 8, 8)
    expected = torch.relu(block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x))))))
    torch.testing.assert_close(block(x), expected)


def test_residual_forward_adds_the_identity():
    torch.manual_seed(0)
    model = build_resnet(ResNetSpec.from_depth(8, style="cifar")).eval()
    block = model.layer1[0]
    x = torch.randn(1, 16, 8, 8)
    branch = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
    torch.testing.assert_close(block(x), torch.relu(x + branch))


def test_option_a_zero_pads_and_subsamples():
    model = build_resnet(ResNetSpec.from_depth(8, style="cifar", shortcut="A")).eval()
    pad = model.layer2[0].downsample
    x = torch.randn(2, 16, 8, 8)
    y = pad(x)
    assert y.shape == (2, 32, 4, 4)
    torch.testing.assert_close(y[:, :16], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 16:]) == 0


def test_shortcut_options_b_and_c():
    b = build_resnet(ResNetSpec.from_depth(34, shortcut="B"))
    c = build_resnet(ResNetSpec.from_depth(34, shortcut="C"))
    count = lambda m: sum(1 for blk in m.modules() if getattr(blk, "downsample", None) is not None)  # noqa: E731
    assert count(b) == 3 and count(c) == 16


def test_stride_placement_v1_vs_v15():
    v15 = build_resnet(ResNetSpec.from_depth(50)).layer2[0]
    v1 = build_resnet(ResNetSpec.from_depth(50, stride_on="1x1")).layer2[0]
    assert (v15.conv1.stride, v15.conv2.stride) == ((1, 1), (2, 2))
    assert (v1.conv1.stride, v1.conv2.stride) == ((2, 2), (1, 1))


def test_norm_none_has_no_batchnorm_and_conv_biases():
    model = build_resnet(ResNetSpec.from_depth(20, style="cifar", norm="none"))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert all(m.bias is not None for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3))


def test_gates_start_at_sigmoid_of_the_bias():
    model = build_resnet(ResNetSpec.from_depth(8, style="cifar", shortcut_variant="exclusive_gating", gate_bias=-6.0))
    gate = model.layer1[0].gate
    g = torch.sigmoid(gate(torch.randn(1, 16, 4, 4)))
    torch.testing.assert_close(g, torch.full_like(g, torch.sigmoid(torch.tensor(-6.0)).item()))


def _run_forward_backward(spec: ResNetSpec, size: int) -> None:
    model = build_resnet(spec)
    x = torch.randn(2, spec.in_channels, size, size)
    out = model(x)
    assert out.shape == (2, spec.num_classes) and torch.isfinite(out).all()
    out.sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("block", ["basic", "bottleneck"])
@pytest.mark.parametrize("unit, variant", list(itertools.product(UNITS, SHORTCUT_VARIANTS)))
def test_every_unit_and_shortcut_variant_runs_forward_and_backward(block, unit, variant):
    depth = 8 if block == "basic" else 11
    spec = ResNetSpec.from_depth(depth, style="cifar", block=block, unit=unit, shortcut_variant=variant, shortcut="A")
    _run_forward_backward(spec, 16)


@pytest.mark.parametrize(
    "options",
    [
        dict(shortcut=s, residual=r, norm=n, stride_on=o)
        for s, r, n, o in itertools.product("ABC", (True, False), ("batch", "none"), ("3x3", "1x1"))
    ],
)
def test_options_run_forward_and_backward_on_imagenet_style(options):
    spec = ResNetSpec.from_depth(14, block="bottleneck", num_classes=7, **options)  # 4 bottleneck blocks
    _run_forward_backward(spec, 64)


def test_greyscale_and_custom_classes():
    _run_forward_backward(ResNetSpec.from_depth(20, style="cifar", in_channels=1, num_classes=3), 28)
