"""Attribution maps on real (small) ResNets: Grad-CAM by hand, every method's shape, cancelling, localisation."""

import pytest
import torch
import torch.nn.functional as F

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.probes.attribution import (
    METHODS,
    attribute,
    feature_shapes,
    layer_names,
    localisation_scores,
    mass_inside,
    pointing_hit,
    predict,
    stage_names,
)
from resnet_viz.progress import Cancelled


def tiny(depth=8, style="cifar", seed=0, **options):
    torch.manual_seed(seed)
    spec = ResNetSpec.from_depth(depth, style=style, num_classes=options.pop("num_classes", 5), **options)
    return build_resnet(spec).eval()


def grad_cam_by_hand(model, x, layer, target):
    """Selvaraju et al. 2017 written out: mean-pooled gradients weight the activations, ReLU, upsample."""
    caught = {}
    handle = model.get_submodule(layer).register_forward_hook(lambda m, i, out: caught.setdefault("A", out))
    try:
        score = model(x)[0, target]
    finally:
        handle.remove()
    activations = caught["A"]  # (1, K, h, w)
    (gradients,) = torch.autograd.grad(score, activations)  # (1, K, h, w)
    weights = gradients.mean(dim=(2, 3), keepdim=True)  # (1, K, 1, 1): one weight per feature map
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))  # (1, 1, h, w)
    return F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0].detach()


@pytest.mark.parametrize("layer", ["layer3", "layer2", "layer2.0", "layer1.0"])
def test_grad_cam_equals_the_hand_computed_one(layer):
    model = tiny(14)
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    peaks = []
    for target in range(5):
        expected = grad_cam_by_hand(model, x, layer, target)
        torch.testing.assert_close(attribute(model, x, "gradcam", layer, target), expected, rtol=1e-5, atol=1e-7)
        peaks.append(float(expected.max()))
    assert sum(peak > 0 for peak in peaks) >= 2  # real, non-trivial maps (a class with no evidence gives zeros)


def test_no_target_means_the_predicted_class():
    model = tiny()
    x = torch.randn(1, 3, 32, 32)
    predicted = predict(model, x, k=1)[0][0]
    torch.testing.assert_close(
        attribute(model, x, "gradcam", "layer3"), attribute(model, x, "gradcam", "layer3", predicted)
    )
    top = predict(model, x, k=5)
    assert [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    assert sum(p for _, p in top) == pytest.approx(1.0, abs=1e-5)  # 5 classes: all of them


NETS = {
    "basic residual": dict(depth=8),
    "basic plain": dict(depth=8, residual=False),
    "bottleneck residual": dict(depth=11, block="bottleneck"),
    "bottleneck plain": dict(depth=11, block="bottleneck", residual=False),
    "ImageNet-style basic": dict(depth=18, style="imagenet"),
}


@pytest.mark.parametrize("net", list(NETS))
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_gives_a_finite_non_negative_map_at_input_resolution(net, method):
    model = tiny(**NETS[net])
    size = 64 if NETS[net].get("style") == "imagenet" else 24
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(2))
    attribution = attribute(model, x, method, layer_names(model)[-1], target=1)
    assert attribution.shape == (size, size) and attribution.dtype == torch.float32
    assert torch.isfinite(attribution).all() and (attribution >= 0).all()
    assert attribution.max() > 0
    _assert_untouched(model)


def _assert_untouched(model):
    """No hook left behind and no gradient written into the (shared) model."""
    for module in model.modules():
        assert not module._forward_hooks and not module._backward_hooks and not module._forward_pre_hooks
        assert not getattr(module, "_backward_pre_hooks", None)
    assert all(p.grad is None for p in model.parameters())


def test_layer_names_cover_stages_and_blocks_in_depth_order():
    model = tiny(20)
    names = layer_names(model)
    assert stage_names(model) == ["layer1", "layer2", "layer3"]
    assert names[:4] == ["layer1", "layer1.0", "layer1.1", "layer1.2"] and names[-1] == "layer3.2"
    shapes = feature_shapes(model, torch.randn(1, 3, 32, 32), ["layer1", "layer3", "layer3.2"])
    assert shapes == {"layer1": (16, 32, 32), "layer3": (64, 8, 8), "layer3.2": (64, 8, 8)}
    with pytest.raises(ValueError, match="Unknown layer"):
        attribute(model, torch.randn(1, 3, 32, 32), "gradcam", "layer4")
    with pytest.raises(ValueError, match="Unknown method"):
        attribute(model, torch.randn(1, 3, 32, 32), "lime")
    with pytest.raises(ValueError, match="one image"):
        attribute(model, torch.randn(2, 3, 32, 32))


def test_a_model_in_training_mode_is_explained_in_eval_mode_and_given_back_as_it_was():
    model = tiny().train()
    x = torch.randn(1, 3, 32, 32)
    running = model.bn1.running_mean.clone()
    attribute(model, x, "saliency")
    assert model.training and torch.equal(model.bn1.running_mean, running)


def test_slow_methods_report_progress_and_can_be_cancelled():
    model = tiny()
    x = torch.randn(1, 3, 32, 32)
    seen = []
    attribute(model, x, "occlusion", progress=lambda done, total: seen.append((done, total)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1] and len(seen) > 5
    seen.clear()
    attribute(model, x, "integrated_gradients", progress=lambda done, total: seen.append((done, total)), ig_steps=32)
    assert seen[-1] == (4, 4) and len(seen) == 4  # 32 steps in batches of 8

    calls = []

    def cancel_after_three():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        attribute(model, x, "occlusion", cancel=cancel_after_three)
    with pytest.raises(Cancelled):
        attribute(model, x, "guided_gradcam", cancel=lambda: True)  # stopped inside captum's hooks
    _assert_untouched(model)  # captum removed its hooks on the way out
    torch.testing.assert_close(attribute(model, x, "gradcam", "layer3", 0), grad_cam_by_hand(model, x, "layer3", 0))


def test_localisation_scores_report_maps_done_out_of_all():
    model = tiny()
    images, masks = torch.randn(2, 3, 32, 32), torch.zeros(2, 32, 32, dtype=torch.bool)
    masks[:, 8:24, 8:24] = True
    seen = []
    localisation_scores(model, images, masks, ["gradcam", "saliency"], progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_mass_inside_and_pointing_game():
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[:2, :2] = True  # the object is the top-left quarter
    inside = torch.zeros(4, 4)
    inside[0, 1] = 3.0
    inside[3, 3] = 1.0
    assert mass_inside(inside, mask) == pytest.approx(0.75)
    assert pointing_hit(inside, mask)
    assert not pointing_hit(torch.zeros(4, 4), mask)  # an empty map points nowhere
    assert mass_inside(torch.ones(4, 4), mask) == pytest.approx(0.25)  # a flat map: the object's area


@pytest.mark.slow
def test_a_briefly_trained_shapes_model_looks_at_the_object(tmp_path):
    """On the shapes dataset, Grad-CAM puts clearly more of its mass on the object than a random map."""
    from resnet_viz.probes.explainable import load_run_model
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.data import load_dataset
    from resnet_viz.training.engine import train
    from resnet_viz.training.store import RunStore

    store = RunStore(tmp_path / "runs.sqlite")
    spec = ResNetSpec.from_depth(8, style="cifar", num_classes=6)
    # 400 steps: at 200 the net is still at about 45 % training error (it has not learnt the shapes yet, so where
    # it looks is noise: one seed in four fell under the bar); at 400 it is at 14-24 % over three seeds.
    config = TrainConfig(dataset="shapes", input_size=32, steps=400, num_samples=1500, lr=0.05, eval_every=100)
    run_id = store.create_run("shapes-8", spec.to_dict(), config.to_dict(), "cpu")
    assert train(spec, config, store, run_id).final["train_error"] < 0.3  # it has learnt the shapes
    model = load_run_model(store, run_id).model
    bundle = load_dataset("shapes", input_size=32, seed=0, num_samples=1500)
    n = 40
    scores = localisation_scores(
        model, bundle.x_test[:n], bundle.masks_test[:n], ["gradcam", "occlusion"], "layer2", bundle.y_test[:n]
    ).set_index("method")
    chance = scores.loc["random"]
    area = float(bundle.masks_test[:n].float().mean())
    assert chance["mass_inside"] == pytest.approx(area, abs=0.02)  # a random map's mass follows the area
    assert scores.loc["gradcam", "mass_inside"] > 1.5 * chance["mass_inside"]
    assert scores.loc["gradcam", "pointing_game"] > chance["pointing_game"] + 0.15
    assert scores.loc["occlusion", "mass_inside"] > 1.5 * chance["mass_inside"]
    assert list(scores["images"]) == [n, n, n]


def test_two_users_explaining_one_shared_model_at_once_get_their_own_answers():
    """The app shares cached models between sessions: concurrent calls must not see each other's hooks."""
    from concurrent.futures import ThreadPoolExecutor

    model = tiny(14)
    inputs = [torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(i)) for i in range(6)]
    jobs = [(inputs[i], method) for i in range(6) for method in ("gradcam", "guided_gradcam", "saliency")]
    expected = [attribute(model, x, method, "layer2", 1) for x, method in jobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: attribute(model, job[0], job[1], "layer2", 1), jobs))
    for got, want in zip(results, expected):
        torch.testing.assert_close(got, want)
    _assert_untouched(model)
