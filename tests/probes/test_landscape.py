"""Loss landscape on a tiny net: the slice through 0 is the model's loss, directions are filter-normalised."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.figures.landscape import loss_contour, loss_curves, loss_surface_3d
from resnet_viz.probes import landscape
from resnet_viz.probes.landscape import loss_surface, random_direction, roughness
from resnet_viz.progress import Cancelled


def tiny(residual: bool = True, trained: bool = False, **options):
    """A CIFAR net of 8 layers; ``trained`` gives its BatchNorms statistics and affine values far from 1 and 0."""
    torch.manual_seed(0)
    options = {"shortcut": "A", **options}
    spec = replace(ResNetSpec.from_depth(8, style="cifar", residual=residual, **options), in_channels=1, num_classes=3)
    model = build_resnet(spec, input_size=8).eval()
    if trained:  # default BN (mean 0, var 1, scale 1, shift 0) is nearly the identity: folding it proves little
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.running_mean.normal_(0, 0.5)
                    m.running_var.uniform_(0.2, 3.0)
                    m.weight.uniform_(0.3, 2.0)
                    m.bias.normal_(0, 0.3)
    return model


def straightforward_surface(model, x, y, dims, steps, span, seed=0):
    """The definition, point by point: functional_call with θ + α d1 (+ β d2), as loss_surface once did."""
    g = torch.Generator().manual_seed(seed)
    directions = [random_direction(model, g) for _ in range(dims)]
    values = landscape.grid(steps, span)
    points = [(a,) for a in values] if dims == 1 else [(a, b) for b in values for a in values]
    losses = []
    with torch.no_grad():
        for point in points:
            params = {
                name: p.detach() + sum(c * d[name] for c, d in zip(point, directions))
                for name, p in model.named_parameters()
            }
            logits = functional_call(model, {**params, **dict(model.named_buffers())}, (x,))
            losses.append(float(F.cross_entropy(logits, y)))
    return losses


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


SPECS = {
    "residual, option A": dict(residual=True),
    "plain": dict(residual=False),
    "projection shortcuts (C)": dict(residual=True, shortcut="C"),
    "bn_after_add (last BN not foldable)": dict(residual=True, unit="bn_after_add"),
    "relu_preact": dict(residual=True, unit="relu_preact"),
    "preact (BN before the conv: nothing folded)": dict(residual=True, unit="preact", shortcut="B"),
    "no normalisation (conv biases)": dict(residual=True, norm="none"),
    "gated shortcuts": dict(residual=True, shortcut_variant="exclusive_gating", shortcut="B"),
}


@pytest.mark.parametrize("options", SPECS.values(), ids=SPECS.keys())
def test_fast_path_matches_the_definition_and_leaves_the_model_alone(options):
    model, (x, y) = tiny(trained=True, **options), batch()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    surface = loss_surface(model, x, y, dims=2, steps=3, span=0.5, seed=1)
    assert surface["loss"].tolist() == pytest.approx(straightforward_surface(model, x, y, 2, 3, 0.5, seed=1), rel=1e-4)
    with torch.no_grad():
        own = float(F.cross_entropy(model(x), y))
    at_zero = surface.loc[(surface["alpha"] == 0) & (surface["beta"] == 0), "loss"].item()
    assert at_zero == pytest.approx(own, rel=1e-5)
    assert not model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_batchnorm_is_folded_where_the_forward_pass_allows():
    pairs = dict(landscape._foldable(tiny()))
    assert pairs["conv1"] == "bn1" and pairs["layer1.0.conv2"] == "layer1.0.bn2"
    assert "layer1.0.conv2" not in dict(landscape._foldable(tiny(unit="bn_after_add")))
    assert landscape._foldable(tiny(unit="preact")) == [("conv1", "bn1")]  # only the stem is conv-BN
    assert landscape._foldable(tiny(norm="none")) == []
    assert landscape._foldable(torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))) == []


def test_any_module_works_unfolded():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 3)
    ).eval()
    x, y = batch()
    surface = loss_surface(model, x, y, dims=1, steps=3)
    assert surface["loss"].tolist() == pytest.approx(straightforward_surface(model, x, y, 1, 3, 1.0), rel=1e-4)


def test_a_wrong_fold_is_caught_and_evaluated_unfolded(monkeypatch):
    model, (x, y) = tiny(trained=True, unit="preact", shortcut="B"), batch()
    # In a pre-activation unit bn1 normalises conv1's *input*: folding it into conv1 changes the network.
    monkeypatch.setattr(landscape, "_foldable", lambda m: [("layer1.0.conv1", "layer1.0.bn1")])
    with pytest.warns(UserWarning, match="unfolded"):
        curve = loss_surface(model, x, y, dims=1, steps=3)
    assert curve["loss"].tolist() == pytest.approx(straightforward_surface(model, x, y, 1, 3, 1.0), rel=1e-4)


def test_workers_give_the_surface_of_one_worker():
    """Points evaluated in parallel threads, each with its own copy and one intra-op thread: the same losses."""
    model, (x, y) = tiny(), batch()
    one = loss_surface(model, x, y, dims=2, steps=3, span=0.5, seed=2, workers=1)
    three = loss_surface(model, x, y, dims=2, steps=3, span=0.5, seed=2, workers=3)
    assert three[["alpha", "beta"]].equals(one[["alpha", "beta"]])
    assert three["loss"].tolist() == pytest.approx(one["loss"].tolist(), rel=1e-5)
    assert three["loss"].tolist() == pytest.approx(straightforward_surface(model, x, y, 2, 3, 0.5, seed=2), rel=1e-4)


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
    with pytest.raises(Cancelled):
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


def test_two_nets_share_one_colour_scale():
    from resnet_viz.figures.landscape import shared_loss_range

    def bowl(depth: float) -> pd.DataFrame:
        return pd.DataFrame(
            [{"alpha": a, "beta": b, "loss": depth * (a * a + b * b)} for b in (-1, 0, 1) for a in (-1, 0, 1)]
        )

    surfaces = {"plain": bowl(20.0), "ResNet": bowl(1.0)}  # plain reaches 40 (capped at 10), ResNet 2
    assert shared_loss_range(surfaces) == (0.0, 10.0)
    contours = [loss_contour(s, n, shared_loss_range(surfaces)).data[0] for n, s in surfaces.items()]
    assert {(c.zmin, c.zmax, c.contours.start, c.contours.end, c.contours.size) for c in contours} == {
        (0, 10, 0, 10, 0.5)
    }
    surfaces_3d = [loss_surface_3d(s, n, shared_loss_range(surfaces)).data[0] for n, s in surfaces.items()]
    assert {(t.cmin, t.cmax) for t in surfaces_3d} == {(0, 10)}
