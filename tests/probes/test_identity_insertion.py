"""'Can a plain net learn the identity?': deepening a trained plain net, on tiny models."""

import copy

import pandas as pd
import pytest
import torch

from resnet_viz.figures.training import identity_insertion_figure
from resnet_viz.nets.builder import build_resnet
from resnet_viz.nets.spec import ResNetSpec
from resnet_viz.probes.identity_insertion import deepen, identity_experiment, identity_verdict

SPEC = ResNetSpec.from_depth(8, style="cifar", residual=False)


def trained_like():
    torch.manual_seed(0)
    model = build_resnet(SPEC)
    with torch.no_grad():  # BN statistics that are not the defaults, as after training
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_identity_blocks_leave_the_function_unchanged_random_ones_do_not():
    model = trained_like()
    x = torch.randn(4, 3, 8, 8)
    deeper, spec = deepen(model, SPEC, 2, "identity")
    assert spec.layers == (3, 3, 3) and spec.depth == 20
    assert torch.equal(deeper.layer2[0].conv1.weight, model.layer2[0].conv1.weight)  # old blocks keep their weights
    with torch.no_grad():
        assert torch.allclose(deeper(x), model(x), atol=1e-5)
        random, _ = deepen(model, SPEC, 2, "random")
        assert not torch.allclose(random(x), model(x), atol=1e-3)


def test_identity_blocks_are_the_identity_in_training_mode_too():
    """The mode the deeper net trains in: the inserted BNs must not normalise with the batch's statistics."""
    model = trained_like().train()
    x = torch.rand(16, 3, 8, 8) * 3 + 1  # far from the identity BN's mean 0, variance 1
    deeper, _ = deepen(model, SPEC, 2, "identity")
    deeper.train()
    assert deeper.layer1[1].training and not deeper.layer1[1].bn1.training  # old BNs train, inserted ones fixed
    with torch.no_grad():
        assert torch.allclose(deeper(x), model(x), atol=1e-5)


def test_random_blocks_statistics_are_measured_on_the_calibration_images():
    model = trained_like()
    x = torch.rand(32, 3, 8, 8)
    deeper, _ = deepen(model, SPEC, 1, "random", calibration=x)
    inserted_bn = deeper.layer3[1].bn2
    captured = {}
    inserted_bn.register_forward_hook(lambda m, inputs, out: captured.update(x=inputs[0], out=out))
    with torch.no_grad():
        deeper.eval()(x)  # as in the calibration pass: the old blocks in eval mode
    batch = captured["x"]  # (32, C, 2, 2): what the inserted BN sees
    assert torch.allclose(inserted_bn.running_mean, batch.mean((0, 2, 3)), atol=1e-4)
    assert torch.allclose(captured["out"].mean((0, 2, 3)), torch.zeros(batch.shape[1]), atol=1e-4)


def test_deepen_refuses_residual_nets_and_unknown_inits():
    with pytest.raises(ValueError, match="plain"):
        deepen(trained_like(), ResNetSpec.from_depth(8, style="cifar"), 1, "identity")
    with pytest.raises(ValueError, match="init"):
        deepen(trained_like(), SPEC, 1, "zeros")


def test_experiment_starts_identity_at_the_shallow_nets_error_and_leaves_the_model_alone():
    model = trained_like()
    before = copy.deepcopy(model.state_dict())
    x, y = torch.randn(32, 3, 8, 8), torch.randint(0, 10, (32,))
    table = identity_experiment(model, SPEC, x, y, extra=1, steps=4, batch_size=8, eval_every=2)
    start = table[table["step"] == 0].set_index("init")
    assert start.loc["identity", "train_error"] == start.loc["shallow", "train_error"]
    assert table.groupby("init")["step"].max().to_dict() == {"identity": 4, "random": 4, "shallow": 0}
    assert set(table["depth"]) == {8, 14}
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_identity_stays_at_the_shallow_nets_error_with_a_zero_learning_rate():
    """With nothing learnt, training-mode steps must not move the identity net (old BNs' statistics aside)."""
    model = trained_like()
    x, y = torch.randn(32, 3, 8, 8), torch.randint(0, 10, (32,))
    table = identity_experiment(model, SPEC, x, y, extra=1, steps=2, batch_size=32, eval_every=1, lr=0.0)
    identity = table[table["init"] == "identity"]["train_error"]
    assert identity.nunique() == 1


def test_identity_insertion_figure_draws_both_inits_and_the_shallow_level():
    table = pd.DataFrame(
        {
            "init": ["shallow", "identity", "identity", "random", "random"],
            "depth": [8, 14, 14, 14, 14],
            "step": [0, 0, 4, 0, 4],
            "train_error": [0.1, 0.1, 0.08, 0.9, 0.5],
        }
    )
    fig = identity_insertion_figure(table)
    assert [t.meta["series"] for t in fig.data] == ["identity", "random", "shallow"]
    assert list(fig.data[1].y) == [90.0, 50.0]


@pytest.mark.parametrize(
    ("identity_end", "random_end", "words"),
    [(0.0, 0.5, "in miniature"), (0.3, 0.1, "does not show"), (0.10, 0.115, "No clear difference")],
)
def test_identity_verdict_claims_a_difference_only_beyond_the_margin(identity_end, random_end, words):
    table = pd.DataFrame(
        {
            "init": ["shallow", "identity", "identity", "random", "random"],
            "depth": [8, 14, 14, 14, 14],
            "step": [0, 0, 40, 0, 40],
            "train_error": [0.0, 0.0, identity_end, 0.9, random_end],
        }
    )
    verdict = identity_verdict(table)
    assert words in verdict
    assert ("moved the identity net off" in verdict) == (identity_end > 0.02)
