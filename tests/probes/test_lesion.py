"""Lesion study and path lengths on tiny CIFAR-style nets, checked by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
import torch

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.figures.lesion import lesion_bars, lesion_curve_figure, path_figure
from resnet_viz.probes.lesion import (
    blocks,
    deletable,
    lesion_curve,
    lesion_study,
    path_gradients,
    path_length_distribution,
)


def tiny(residual: bool = True, depth: int = 14, seed: int = 0):
    torch.manual_seed(seed)
    spec = replace(
        ResNetSpec.from_depth(depth, style="cifar", residual=residual, shortcut="A"), in_channels=1, num_classes=3
    )
    return build_resnet(spec, input_size=8).eval()


def batch(n: int = 24, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def model_error(model, x, y) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) != y).float().mean())


def test_none_row_is_the_models_error_and_the_model_is_untouched():
    model, (x, y) = tiny(), batch()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    table = lesion_study(model, x, y)
    assert table["block"].tolist() == ["none", *blocks(model)]
    assert table.loc[0, "error"] == pytest.approx(model_error(model, x, y))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(m._forward_hooks for m in model.modules())


def test_deleting_a_block_whose_branch_is_zero_changes_nothing():
    model, (x, y) = tiny(), batch()
    # bn2 scale and shift 0: the branch F(x) of layer2.1 is exactly zero, so deleting it is a no-op.
    torch.nn.init.zeros_(model.layer2[1].bn2.weight)
    torch.nn.init.zeros_(model.layer2[1].bn2.bias)
    table = lesion_study(model, x, y).set_index("block")
    assert table.loc["layer2.1", "error"] == table.loc["none", "error"]
    assert table.loc["layer2.1", "loss"] == pytest.approx(table.loc["none", "loss"], abs=1e-6)


def test_plain_blocks_that_change_shape_are_not_deletable():
    model, (x, y) = tiny(residual=False), batch()
    table = lesion_study(model, x, y).set_index("block")
    assert not table.loc["layer2.0", "deletable"] and math.isnan(table.loc["layer2.0", "error"])
    assert table.loc["layer1.0", "deletable"] and not math.isnan(table.loc["layer1.0", "error"])
    assert deletable(model, "layer2.1") and not deletable(model, "layer3.0")


def test_lesion_curve_starts_at_the_intact_error():
    model, (x, y) = tiny(), batch()
    curve = lesion_curve(model, x, y, k_values=[0, 1, 2, 99], trials=3, seed=1)
    assert curve["k"].tolist() == [0, 1, 2]  # 99 > the 6 blocks: skipped
    assert curve.loc[0, "error_mean"] == pytest.approx(model_error(model, x, y))
    assert (curve["error_min"] <= curve["error_max"]).all()


def test_path_length_distribution_is_binomial():
    table = path_length_distribution(4)
    assert table["paths"].tolist() == [1, 4, 6, 4, 1]
    assert table["share"].sum() == pytest.approx(1.0)


def test_path_gradients_zero_length_is_the_all_shortcut_path():
    model, (x, y) = tiny(), batch()
    table = path_gradients(model, x, y, trials=2, lengths=[0, 1, len(blocks(model))])
    assert table["length"].tolist() == [0, 1, 6]
    assert table["grad_one_path_std"].iloc[0] == 0  # one path of length 0: the same every trial
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["grad_one_path"] > 0).all()
    assert not any(p.grad is not None for p in model.parameters())


def test_single_path_gradients_sum_to_the_full_gradient():
    """The chain rule through y = post(h(x) + F(x)) expands into 2^n paths: their gradients add up exactly."""
    from itertools import combinations

    from resnet_viz.probes.lesion import _single_path

    model, (x, y) = tiny(depth=8), batch()  # 3 blocks, 8 paths
    names = blocks(model)

    def input_gradient(view) -> torch.Tensor:
        start = {}
        handle = view.layer1[0].register_forward_pre_hook(
            lambda m, a: (start.setdefault("x", a[0].detach().requires_grad_(True)),)
        )
        loss = torch.nn.functional.cross_entropy(view(x), y)
        handle.remove()
        return torch.autograd.grad(loss, start["x"])[0]

    full = input_gradient(model)
    total = torch.zeros_like(full)
    for k in range(len(names) + 1):
        for chosen in combinations(names, k):
            with _single_path(model, set(chosen)):
                total += input_gradient(model)
    assert torch.allclose(total, full, atol=1e-6)


def test_bad_input_is_a_readable_error():
    model, (x, y) = tiny(), batch()
    with pytest.raises(ValueError, match="non-empty"):
        lesion_study(model, x[:0], y[:0])
    with pytest.raises(ValueError, match="no residual blocks"):
        path_gradients(tiny(residual=False), x, y, trials=1)


# ---------------------------------------------------------------------- figures
def lesion_table(base: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "block": ["none", "layer1.0", "layer2.0"],
            "deletable": [True, True, False],
            "error": [base, base + 0.1, float("nan")],
        }
    )


def test_lesion_figures_skip_blocks_that_cannot_be_deleted():
    fig = lesion_bars({"plain": lesion_table(0.1), "ResNet": lesion_table(0.05)})
    assert [t.meta["series"] for t in fig.data] == ["plain", "ResNet"]
    assert list(fig.data[0].x) == ["layer1.0"]
    curve = pd.DataFrame({"k": [0, 1], "error_mean": [0.1, 0.2], "error_min": [0.1, 0.15], "error_max": [0.1, 0.3]})
    assert len(lesion_curve_figure({"ResNet": curve}).data) == 1
    paths = path_length_distribution(3).assign(share=[0.4, 0.3, 0.2, 0.1])
    assert len(path_figure(paths).data) == 2


def test_a_block_name_that_does_not_exist_gets_a_readable_error():
    from resnet_viz.probes.lesion import deleted

    model = build_resnet(ResNetSpec.from_depth(8, style="cifar", shortcut="A")).eval()
    with pytest.raises(ValueError, match="No block 'layer9.0'"), deleted(model, ["layer9.0"]):
        pass
