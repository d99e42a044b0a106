"""Gradient norms and the shortcut / branch split, on real small models with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from extreme_nets import huge_head_net, huge_plain_net

from resnet_viz.figures.gradients import gradient_heatmap, gradient_vs_depth, shortcut_split, stage_histograms
from resnet_viz.nets.builder import build_resnet
from resnet_viz.nets.model import ResNet
from resnet_viz.nets.spec import ResNetSpec
from resnet_viz.probes.gradients import COLUMNS, gradient_norms, gradient_split, plain_vs_residual, sample_batch


def make(depth: int = 20, seed: int = 0, style: str = "cifar", **options) -> ResNet:
    torch.manual_seed(seed)
    return ResNet(ResNetSpec.from_depth(depth, style=style, **options))


def block_spread(table: pd.DataFrame, column: str) -> float:
    blocks = table[table["name"].str.contains(".", regex=False)]
    return float(blocks[column].max() / blocks[column].min())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plain_net_gradients_spread_far_more_than_residual(seed):
    # Measured at init with BN, batch 8: plain-56 spreads ~7e3-1.5e4x, ResNet-56 ~32-37x.
    x, y = sample_batch(seed=seed)
    plain = gradient_norms(make(56, seed, residual=False, shortcut="A"), x, y)
    resnet = gradient_norms(make(56, seed, residual=True, shortcut="A"), x, y)
    plain_spread = block_spread(plain, "input_grad_norm")
    res_spread = block_spread(resnet, "input_grad_norm")
    assert plain_spread > 1000
    assert plain_spread > 50 * res_spread
    # In the plain net the gradient grows towards the input (BN nets explode backwards at init).
    assert plain["input_grad_norm"].iloc[1] > plain["input_grad_norm"].iloc[-2]


def test_rows_complete_and_in_depth_order():
    model = make(20, block="basic", shortcut="A")
    x, y = sample_batch()
    table = gradient_norms(model, x, y)
    blocks = [f"layer{s}.{b}" for s in (1, 2, 3) for b in range(3)]
    assert list(table.columns) == COLUMNS
    assert table["name"].tolist() == ["conv1", *blocks, "fc"]
    assert table["depth_index"].tolist() == list(range(len(blocks) + 2))
    assert table["stage"].tolist() == ["conv1"] + ["conv2_x"] * 3 + ["conv3_x"] * 3 + ["conv4_x"] * 3 + ["head"]
    assert (table["weight_grad_norm"] > 0).all() and (table["input_grad_norm"] > 0).all()
    # The chain: a block's output gradient is the next block's input gradient.
    assert table["output_grad_norm"].iloc[:-1].tolist() == pytest.approx(table["input_grad_norm"].iloc[1:].tolist())
    # Split columns only for residual blocks; shares in [0, 1].
    assert table.loc[[0, 10], "shortcut_grad_norm"].isna().all()
    assert table["shortcut_share"].iloc[1:-1].between(0, 1).all()
    assert table.attrs["split_max_rel_error"] < 1e-4


def test_plain_net_has_no_split_but_a_response_ratio():
    x, y = sample_batch()
    table = gradient_norms(make(20, residual=False), x, y)
    assert table["shortcut_grad_norm"].isna().all() and table["branch_grad_norm"].isna().all()
    assert table["response_ratio"].iloc[1:-1].gt(0).all()


def test_weight_grad_norm_matches_backward():
    # The stem row (conv1 + bn1) must equal the norm of .grad after an ordinary loss.backward().
    model = make(20)
    x, y = sample_batch()
    table = gradient_norms(model, x, y)
    model.train()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    stem = math.sqrt(
        sum(float(p.grad.pow(2).sum()) for n, p in model.named_parameters() if n.split(".")[0] in ("conv1", "bn1"))
    )
    block = math.sqrt(sum(float(p.grad.pow(2).sum()) for n, p in model.named_parameters() if n.startswith("layer2.1.")))
    assert table["weight_grad_norm"].iloc[0] == pytest.approx(stem, rel=1e-4)
    assert table.set_index("name").loc["layer2.1", "weight_grad_norm"] == pytest.approx(block, rel=1e-4)


SPLIT_CASES = [
    dict(depth=20, block="basic", shortcut="A"),
    dict(depth=20, block="basic", shortcut="B"),
    dict(depth=20, block="basic", shortcut="C", unit="preact"),
    dict(depth=29, block="bottleneck", shortcut="B"),
    dict(depth=29, block="bottleneck", shortcut="B", unit="preact"),
    dict(depth=20, block="basic", shortcut="A", unit="bn_after_add"),
    dict(depth=20, block="basic", shortcut="A", unit="relu_before_add"),
    dict(depth=20, block="basic", shortcut="B", unit="relu_preact"),
    dict(depth=20, block="basic", shortcut="B", shortcut_variant="exclusive_gating", gate_bias=0.0),
    dict(depth=20, block="basic", shortcut="A", shortcut_variant="shortcut_gating", gate_bias=0.0),
    dict(depth=20, block="basic", shortcut="B", shortcut_variant="scaling"),
    dict(depth=20, block="basic", shortcut="B", shortcut_variant="conv1x1"),
    dict(depth=20, block="basic", shortcut="A", shortcut_variant="dropout"),
    dict(depth=20, block="basic", shortcut="A", norm="none"),
    dict(depth=18, style="imagenet", block="basic", shortcut="B", num_classes=10),
]


@pytest.mark.parametrize("case", SPLIT_CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_shortcut_plus_branch_equals_total(case):
    case = dict(case)
    size = 64 if case.get("style") == "imagenet" else 32
    model = make(**case)
    x, y = sample_batch(size=size, n=4, seed=1)
    split = gradient_split(model, x, y)
    assert len(split) == sum(model.spec.layers)
    for name, (via_shortcut, via_branch, total) in split.items():
        assert via_shortcut.shape == total.shape == via_branch.shape
        scale = total.abs().max()
        assert scale > 0, name
        assert torch.allclose(via_shortcut + via_branch, total, rtol=1e-4, atol=1e-5 * float(scale)), name
        # Both paths really carry gradient: neither part is trivially zero.
        assert via_shortcut.abs().max() > 0 and via_branch.abs().max() > 0, name
    table = gradient_norms(model, x, y)
    assert table.attrs["split_max_rel_error"] < 1e-4


TAPPED_CASES = [
    dict(depth=20, block="basic", shortcut="A"),
    dict(depth=29, block="bottleneck", shortcut="B", unit="bn_after_add"),
    dict(depth=20, block="basic", shortcut="C", unit="relu_before_add", shortcut_variant="dropout"),
    dict(depth=20, block="basic", shortcut="B", shortcut_variant="conv1x1"),
]


@pytest.mark.parametrize("case", TAPPED_CASES, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_parts_from_the_single_backward_match_a_backward_pass_per_part(case, monkeypatch):
    # The tapped blocks read both parts off the loss's backward pass; with no unit tapped, each part is pushed back
    # from the addition by a torch.autograd.grad of its own. Both ways must give the same vectors.
    from resnet_viz.probes import gradients

    x, y = sample_batch(n=4, seed=2)
    model = make(**case)
    with gradients._tapped_paths(model) as taps:
        pass
    assert len(taps) == sum(model.spec.layers)  # every block of these units is tapped
    torch.manual_seed(3)  # the same dropout masks in both passes
    tapped = gradient_split(model, x, y)
    monkeypatch.setattr(gradients, "TAPPED_UNITS", ())
    torch.manual_seed(3)
    pushed = gradient_split(model, x, y)
    assert tapped.keys() == pushed.keys()
    for name in pushed:
        for got, want in zip(tapped[name], pushed[name]):
            assert torch.allclose(got, want, rtol=1e-5, atol=1e-6 * float(want.abs().max())), name


def test_identity_shortcut_part_is_the_output_gradient():
    # "original" unit, identity shortcut, inside a stage: dE/dx via the shortcut is dE/d(add output).
    model = make(20, shortcut="A", unit="relu_preact")
    x, y = sample_batch()
    table = gradient_norms(model, x, y).set_index("name")
    # relu_preact ends on the addition, so the add output is the block output.
    assert table.loc["layer1.1", "shortcut_grad_norm"] == pytest.approx(table.loc["layer1.1", "output_grad_norm"])


@pytest.mark.parametrize("train_mode", [True, False])
def test_model_left_as_found(train_mode):
    model = make(20, shortcut="B")
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = sample_batch()
    gradient_norms(model, x, y, train_mode=train_mode)
    assert model.training is False
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # weights and BN running stats
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks
        assert not module._backward_hooks and not getattr(module, "_backward_pre_hooks", {})
    assert all(p.grad is None for p in model.parameters())


def test_model_left_as_found_after_an_error():
    model = make(20)
    model.eval()
    with pytest.raises(RuntimeError):
        gradient_norms(model, torch.randn(2, 5, 32, 32), torch.tensor([0, 1]))  # wrong channels
    assert not model.training and all(not m._forward_hooks for m in model.modules())


def test_sample_batch_is_deterministic():
    x1, y1 = sample_batch(3, 16, 5, seed=7, num_classes=4)
    x2, y2 = sample_batch(3, 16, 5, seed=7, num_classes=4)
    assert x1.shape == (5, 3, 16, 16) and y1.dtype == torch.int64 and y1.max() < 4
    assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_plain_vs_residual_at_initialisation():
    tables = plain_vs_residual(8, batchnorm=True, seed=0)
    assert list(tables) == ["plain-8", "ResNet-8"]
    plain, resnet = tables["plain-8"], tables["ResNet-8"]
    assert plain["shortcut_grad_norm"].isna().all() and resnet["shortcut_grad_norm"].notna().sum() == 3
    x, y = sample_batch(3, 32, 8, 0, 10)
    torch.manual_seed(0)
    again = gradient_norms(ResNet(ResNetSpec.from_depth(8, style="cifar", shortcut="A")), x, y)
    pd.testing.assert_frame_equal(resnet, again)  # the same nets and batch as written out by hand
    assert plain_vs_residual(8, batchnorm=False, seed=0)["plain-8"].attrs["loss"] != plain.attrs["loss"]


def test_plain_vs_residual_refuses_what_does_not_fit(monkeypatch):
    from resnet_viz.nets.memory import ModelTooLargeError

    monkeypatch.setattr("resnet_viz.nets.memory.available_memory", lambda device=None: 1024)
    with pytest.raises(ModelTooLargeError):
        plain_vs_residual(8, batchnorm=True, seed=0)


# ---------------------------------------------------------------------- figures
@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    x, y = sample_batch()
    return {
        "plain-20": gradient_norms(make(20, residual=False), x, y),
        "ResNet-20": gradient_norms(make(20, shortcut="A"), x, y),
    }


def test_gradient_vs_depth_figure(tables):
    fig = gradient_vs_depth(tables, column="input_grad_norm")
    assert [t.meta["series"] for t in fig.data] == ["plain-20", "ResNet-20"]
    assert fig.layout.yaxis.type == "log"
    assert len(fig.data[0].x) == 11


def test_shortcut_split_figure(tables):
    fig = shortcut_split(tables["ResNet-20"])
    assert [t.type for t in fig.data] == ["bar", "bar", "scatter"]
    assert len(fig.data[0].x) == 9
    assert "1 +" in fig.layout.title.text


def test_shortcut_split_bars_of_600_blocks_have_no_outline(tables):
    many = pd.concat([tables["ResNet-20"].iloc[1:-1]] * 70, ignore_index=True)  # 630 blocks
    many["name"] = [f"layer{i}" for i in range(len(many))]
    bars = [t for t in shortcut_split(many).data if t.type == "bar"]
    assert [b.marker.line.width for b in bars] == [0, 0]
    assert all(t.marker.line.width is None for t in shortcut_split(tables["ResNet-20"]).data if t.type == "bar")


def test_stage_histograms_figure(tables):
    fig = stage_histograms(tables)
    assert len(fig.data) == 2 and all(t.type == "box" for t in fig.data)
    assert list(dict.fromkeys(fig.data[0].x)) == ["conv1", "conv2_x", "conv3_x", "conv4_x", "head"]
    assert len(stage_histograms(tables["plain-20"]).data) == 1


def test_gradient_heatmap_shape():
    norms = {"conv1": 1.0, "layer1": 5.0, "layer1.0": 2.0, "layer1.1": 3.0, "layer2.0": 4.0, "layer2": 4.0, "fc": 10.0}
    metrics = pd.DataFrame({"step": [10, 20, 30], "grad_norms": [norms, {**norms, "layer1.1": 0.0}, None]})
    fig = gradient_heatmap(metrics)
    heat = fig.data[0]
    assert list(heat.y) == ["conv1", "layer1.0", "layer1.1", "layer2.0", "fc"]
    assert list(heat.x) == [10, 20]  # the step without norms is left out
    z = heat.z
    assert len(z) == 5 and len(z[0]) == 2
    assert z[4][0] == pytest.approx(1.0) and math.isnan(z[2][1])


# ---------------------------------------------------------------------- overflow at extreme depth
def test_gradients_that_overflow_float32_are_measured_in_float64(monkeypatch):
    import resnet_viz.probes.gradients as gradients

    monkeypatch.setattr(gradients, "build_resnet", huge_plain_net)
    tables = gradients.plain_vs_residual(20, batchnorm=False)
    for name, table in tables.items():
        values = table[gradients.MEASURED].to_numpy()
        assert (values > 0).all() and (values < math.inf).all(), name  # no inf, no nan
        assert table["input_grad_norm"].max() > 1e38, name  # really beyond float32
        assert table.attrs["dtype"] == "float64" and table.attrs["float32_overflow"] and not table.attrs["overflow"]
        note = gradients.overflow_note(name, table)
        assert "float32" in note and "float64" in note and "nan" not in note
        assert gradients.spread(table, "input_grad_norm") > 10  # a ratio above 10^10, as a log10


def log_norms(table: pd.DataFrame) -> np.ndarray:
    import resnet_viz.probes.gradients as gradients

    return np.log(table[gradients.MEASURED].to_numpy(dtype=float))


def test_rescaling_at_every_block_boundary_changes_no_bit(monkeypatch):
    import resnet_viz.probes.gradients as gradients

    x, y = sample_batch(size=16, n=4)
    unscaled = gradient_norms(make(20, residual=False), x, y)  # gradients near 1: nothing rescaled
    monkeypatch.setattr(gradients, "RESCALE_RANGE", 0)  # now every boundary divides by a power of two
    rescaled = gradient_norms(make(20, residual=False), x, y)
    pd.testing.assert_frame_equal(rescaled, unscaled, check_exact=True)
    resnet = gradient_norms(make(20, shortcut="A"), x, y)
    assert resnet.attrs["split_max_rel_error"] < 1e-4


def test_gradients_past_float32_are_measured_in_float32_and_match_float64(monkeypatch):
    import resnet_viz.probes.gradients as gradients

    spec = ResNetSpec.from_depth(56, style="cifar", residual=False, shortcut="A")
    x, y = sample_batch(size=16, n=4)
    rescaled = gradient_norms(huge_head_net(spec), x, y)  # float32, one pass
    assert np.isfinite(log_norms(rescaled)).all() and rescaled["input_grad_norm"].max() > 1e39
    monkeypatch.setattr(gradients, "RESCALE_RANGE", 10**6)  # no rescaling: what training in float32 sees
    unscaled = gradient_norms(huge_head_net(spec), x, y)
    # The block at the edge of float32's range overflows or not with the summation order (the thread count), so
    # the lost rows are the first seven, and the prediction is the measured loss to within that one block.
    lost, predicted = gradients.overflowed(unscaled), rescaled.attrs["float32_overflow"]
    assert lost[:7] == predicted[:7] == list(range(7)) and len(lost) - len(predicted) in (-1, 0, 1)
    reference = gradient_norms(huge_head_net(spec).double(), x.double(), y)
    assert np.isfinite(log_norms(reference)).all() and reference.attrs["float32_overflow"] == list(range(7))
    relative = np.abs(log_norms(rescaled) - log_norms(reference)) / np.abs(log_norms(reference))
    # float32 itself differs from float64 by up to ~2 % in these norms at depth 56; ln(norm) is about 80.
    assert relative.max() < 1e-3


def test_a_backward_overflow_needs_no_float64(monkeypatch):
    import resnet_viz.probes.gradients as gradients

    monkeypatch.setattr(gradients, "build_resnet", huge_head_net)
    table = gradients.plain_vs_residual(56, batchnorm=True)["plain-56"]
    assert table.attrs["dtype"] == "float32" and table.attrs["float32_overflow"] and not table.attrs["overflow"]
    note = gradients.overflow_note("plain-56", table)
    assert "would overflow" in note and "float32 all the same" in note and "float64" not in note


def test_overflow_note_says_where(monkeypatch):
    from resnet_viz.probes.gradients import overflow_note

    table = pd.DataFrame({"name": ["conv1", "layer1.0", "layer1.1", "fc"], "depth_index": range(4)})
    table.attrs |= {"float32_overflow": [0, 1], "overflow": []}
    assert "before block 2" in overflow_note("plain-8", table)
    table.attrs |= {"float32_overflow": [0, 1, 2, 3], "overflow": [0]}
    note = overflow_note("plain-8", table)
    assert "everywhere" in note and "Even in float64" in note and "before block 1" in note
    table.attrs |= {"float32_overflow": [], "overflow": []}
    assert overflow_note("plain-8", table) is None


def test_spread_is_a_log10_that_ignores_overflowed_blocks():
    from resnet_viz.formatting import human_factor
    from resnet_viz.probes.gradients import spread

    table = pd.DataFrame(
        {"name": ["conv1", "layer1.0", "layer1.1", "layer1.2", "fc"], "x": [1e-9, math.inf, 1e40, 1e-3, 1e9]}
    )
    assert spread(table, "x") == pytest.approx(43)  # blocks only, inf left out
    assert human_factor(43.0) == "about 10⁴³" and human_factor(1.1) == "12.6" and human_factor(3.2) == "about 1,600"
    assert spread(table.assign(x=math.nan), "x") is None


def test_stage_boxes_run_from_input_to_output_even_when_the_first_table_lacks_early_stages(tables):
    plain = tables["plain-20"].copy()
    early = plain["stage"].isin(["conv1", "conv2_x"])
    plain.loc[early, "weight_grad_norm"] = math.inf  # overflowed: left out of the first series
    fig = stage_histograms({"plain-20": plain, "ResNet-20": tables["ResNet-20"]})
    assert list(fig.layout.xaxis.categoryarray) == ["conv1", "conv2_x", "conv3_x", "conv4_x", "head"]
    assert not any(math.isinf(v) for t in fig.data for v in t.y)


def test_spread_during_training_counts_blocks_only_by_hand():
    import pandas as pd

    from resnet_viz.probes.gradients import spread_during_training

    metrics = pd.DataFrame(
        {
            "run_id": [1, 1, 2],
            "step": [0, 10, 0],
            "grad_norms": [
                {"conv1": 1e-9, "layer1": 50.0, "layer1.0": 10.0, "layer1.1": 0.1, "fc": 1e6},  # 10 / 0.1
                '{"layer1.0": 2.0, "layer1.1": 2.0, "layer2.0": 0.0}',  # JSON text; the zero is skipped
                None,  # nothing logged
            ],
        }
    )
    table = spread_during_training(metrics)
    assert table["spread"].tolist() == pytest.approx([2.0, 0.0])
    assert table["blocks"].tolist() == [2, 2] and table["run_id"].tolist() == [1, 1]


def test_spread_during_training_reads_the_engines_log_of_a_tiny_model():
    from resnet_viz.probes.gradients import spread_during_training
    from resnet_viz.training.engine import stage_gradient_norms

    torch.manual_seed(0)
    model = build_resnet(ResNetSpec.from_depth(8, style="cifar", shortcut="A"))
    x = torch.randn(2, 3, 8, 8)
    torch.nn.functional.cross_entropy(model(x), torch.tensor([0, 1])).backward()
    norms = stage_gradient_norms(model)
    table = spread_during_training(pd.DataFrame({"run_id": [7], "step": [0], "grad_norms": [norms]}))
    blocks = [v for k, v in norms.items() if k.count(".") == 1]
    assert table.loc[0, "blocks"] == len(blocks) == 3
    assert table.loc[0, "spread"] == pytest.approx(np.log10(max(blocks) / min(blocks)))


def test_spread_over_training_draws_one_line_per_run():
    from resnet_viz.figures.gradients import spread_over_training

    spreads = pd.DataFrame({"run_id": [1, 1, 2], "step": [0, 10, 0], "spread": [2.0, 1.5, 0.5], "blocks": [3, 3, 3]})
    fig = spread_over_training(spreads, {1: "plain-20", 2: "ResNet-20"})
    assert [t.name for t in fig.data] == ["plain-20", "ResNet-20"]
    assert list(fig.data[0].y) == [2.0, 1.5]
