"""Loss landscape on a tiny net: the slice through 0 is the model's loss, directions are filter-normalised."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.figures.landscape import loss_contour, loss_curves, loss_surface_3d
from resnet_viz.landscape import LandscapeCancelled, loss_surface, random_direction, roughness


def tiny(residual: bool = True):
    torch.manual_seed(0)
    spec = replace(
        ResNetSpec.from_depth(8, style="cifar", residual=residual, shortcut="A"), in_channels=1, num_classes=3
    )
    return build_resnet(spec, input_size=8).eval()


def batch(n: int = 16):
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_alpha_zero_is_the_models_loss_and_the_model_is_untouched():
    model, (x, y) = tiny(), batch()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    curve = loss_surface(model, x, y, dims=1, steps=5, span=0.5)
    assert curve["alpha"].tolist() == pytest.approx([-0.5, -0.25, 0.0, 0.25, 0.5])
    with torch.no_grad():
        expected = float(torch.nn.functional.cross_entropy(model(x), y))
    assert curve.loc[curve["alpha"] == 0, "loss"].item() == pytest.approx(expected, rel=1e-6)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_two_dimensional_grid_and_progress():
    model, (x, y) = tiny(), batch()
    seen = []
    surface = loss_surface(model, x, y, dims=2, steps=3, span=1.0, progress=lambda d, t: seen.append((d, t)))
    assert len(surface) == 9 and set(surface.columns) >= {"alpha", "beta", "loss"}
    assert seen[-1] == (9, 9)
    assert roughness(surface) >= 0


def test_directions_are_filter_normalised_and_skip_batchnorm():
    model = tiny()
    d = random_direction(model, torch.Generator().manual_seed(0))
    conv = model.layer1[0].conv1.weight
    assert torch.allclose(d["layer1.0.conv1.weight"].flatten(1).norm(dim=1), conv.flatten(1).norm(dim=1), rtol=1e-5)
    assert not d["layer1.0.bn1.weight"].any() and not d["fc.bias"].any()


def test_cancel_and_bad_input():
    model, (x, y) = tiny(), batch()
    with pytest.raises(LandscapeCancelled):
        loss_surface(model, x, y, steps=3, cancel=lambda: True)
    with pytest.raises(ValueError, match="non-empty"):
        loss_surface(model, x[:0], y[:0])
    with pytest.raises(ValueError, match="dims"):
        loss_surface(model, x, y, dims=3)


def test_roughness_of_a_parabola_is_its_constant_second_difference():
    curve = pd.DataFrame({"alpha": [-1.0, 0.0, 1.0, 2.0], "loss": [1.0, 0.0, 1.0, 4.0]})
    assert roughness(curve) == pytest.approx(2.0)


def test_landscape_figures():
    curve = pd.DataFrame({"alpha": [-1.0, 0.0, 1.0], "loss": [2.0, 0.1, 50.0]})
    fig = loss_curves({"ResNet": curve})
    assert max(fig.data[0].y) == 10.0  # capped
    surface = pd.DataFrame([{"alpha": a, "beta": b, "loss": a * a + b * b} for b in (-1, 0, 1) for a in (-1, 0, 1)])
    assert loss_contour(surface, "ResNet").data[0].type == "contour"
    assert loss_surface_3d(surface, "ResNet").data[0].type == "surface"
