"""Analysis tables against independent counts, torchvision's metadata and the papers."""

import pandas as pd
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import get_model_weights

from resnet_viz import ResNetSpec, build_resnet, format_shape, layer_table, paper_checks, shortcut_table, stage_table
from resnet_viz.nets.paper import TORCHVISION_META

SPECS = {
    "resnet18": ResNetSpec.from_depth(18),
    "resnet50_v1": ResNetSpec.from_depth(50, stride_on="1x1"),
    "cifar20_A": ResNetSpec.from_depth(20, style="cifar", shortcut="A"),
    "plain20": ResNetSpec.from_depth(20, style="cifar", residual=False),
    "preact164": ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact"),
    "gated_bn_after_add": ResNetSpec.from_depth(
        11, style="cifar", unit="bn_after_add", shortcut_variant="exclusive_gating"
    ),
    "relu_preact_C_nobn": ResNetSpec.from_depth(14, unit="relu_preact", shortcut="C", norm="none"),
}


@pytest.mark.parametrize("key", SPECS)
def test_totals_equal_independent_counts(key):
    spec = SPECS[key]
    table = layer_table(spec)
    model = build_resnet(spec).eval()
    assert table["params"].sum() == sum(p.numel() for p in model.parameters())
    size = spec.default_input_size
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(1, 3, size, size))
    # FlopCounterMode counts 2 FLOPs per multiply-add of convolutions and matrix products.
    assert table["macs"].sum() * 2 == counter.get_total_flops()


@pytest.mark.parametrize("key", SPECS)
def test_shape_rules_equal_a_real_forward_pass(key):
    spec = SPECS[key]
    model = build_resnet(spec)
    del model.spec  # without a spec, layer_table runs the model for real
    real = layer_table(model, 40 if spec.style == "imagenet" else 20)
    traced = layer_table(spec, 40 if spec.style == "imagenet" else 20)
    pd.testing.assert_frame_equal(real, traced)
    assert model.training  # the real pass ran in eval mode and restored the mode


def test_rows_are_in_execution_order_with_one_add_per_residual_block():
    table = layer_table(SPECS["resnet18"])
    assert list(table["name"][:5]) == ["conv1", "bn1", "relu", "maxpool", "layer1.0.conv1"]
    assert list(table["name"][-2:]) == ["avgpool", "fc"]
    block = table[table["name"].str.startswith("layer2.0.")]["name"].str[9:].tolist()
    assert block == ["conv1", "bn1", "relu1", "conv2", "bn2", "downsample.0", "downsample.1", "add", "relu2"]
    assert (table["type"] == "Add").sum() == 8
    assert (layer_table(SPECS["plain20"])["type"] == "Add").sum() == 0
    assert set(table.columns) >= {
        "name",
        "type",
        "stage",
        "block",
        "input_shape",
        "output_shape",
        "kernel",
        "stride",
        "params",
        "macs",
    }


def test_layer_table_is_traced_without_allocating():
    # About 20 billion parameters: 80 GB if allocated. The meta-device trace needs none of it.
    huge = ResNetSpec(layers=(1, 1, 1, 1), widths=(4096, 8192, 16384, 32768), stem_width=64)
    table = layer_table(huge, 64)
    assert table["params"].sum() > 1.9e10


def test_stage_table_regenerates_table1_for_resnet50():
    table = stage_table(ResNetSpec.from_depth(50, stride_on="1x1"))
    assert table["stage"].tolist() == ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "head", "total"]
    assert table["output_size"].tolist()[:6] == ["112x112", "56x56", "28x28", "14x14", "7x7", "1x1"]
    assert table.loc[1, "description"] == "3x3 max pool, stride 2; [1x1, 64; 3x3, 64; 1x1, 256] x 3"
    assert table.loc[3, "description"] == "[1x1, 256; 3x3, 256; 1x1, 1024] x 6"
    assert table.loc[0, "description"] == "7x7, 64, stride 2"
    assert table["params"].iloc[:-1].sum() == table["params"].iloc[-1] == 25_557_032
    assert table["macs"].iloc[:-1].sum() == table["macs"].iloc[-1]
    basic = stage_table(ResNetSpec.from_depth(18))
    assert basic.loc[2, "description"] == "[3x3, 128; 3x3, 128] x 2"
    cifar = stage_table(ResNetSpec.from_depth(56, style="cifar"))
    assert cifar["output_size"].tolist()[:5] == ["32x32", "32x32", "16x16", "8x8", "1x1"]
    assert cifar.loc[1, "description"] == "[3x3, 16; 3x3, 16] x 9"


PAPER_GMACS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}  # shared/reference/paper_numbers.md


@pytest.mark.parametrize("depth", PAPER_GMACS)
def test_v1_totals_agree_with_table1_to_its_printed_precision(depth):
    gmacs = stage_table(ResNetSpec.from_depth(depth, stride_on="1x1"))["macs"].iloc[-1] / 1e9
    # Within one unit of the paper's last printed digit (rounded or truncated; see paper.py).
    assert PAPER_GMACS[depth] - 0.05 <= gmacs < PAPER_GMACS[depth] + 0.1
    checks = paper_checks(ResNetSpec.from_depth(depth, stride_on="1x1"))
    assert checks["matches"].all() and "Table 1" in checks["source"].iloc[0]


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_v15_totals_equal_torchvision_metadata(depth):
    meta = get_model_weights(f"resnet{depth}").IMAGENET1K_V1.meta
    total = stage_table(ResNetSpec.from_depth(depth)).iloc[-1]
    assert total["params"] == meta["num_params"]
    assert round(total["macs"] / 1e9, 3) == meta["_ops"]
    assert TORCHVISION_META[depth] == {"num_params": meta["num_params"], "_ops": meta["_ops"]}  # paper_checks' copy


def test_paper_checks_cifar_and_preact():
    for depth in (20, 32, 44, 56, 110):
        assert paper_checks(ResNetSpec.from_depth(depth, style="cifar", shortcut="A"))["matches"].all()
    assert paper_checks(ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact"))["matches"].all()
    assert paper_checks(ResNetSpec.from_depth(26)).empty  # custom depth: nothing published


def test_paper_checks_report_mismatches_honestly():
    # The paper's 10.2M for pre-activation ResNet-1001 counts conv/fc weights only; we say so.
    checks = paper_checks(ResNetSpec.from_depth(1001, style="cifar", block="bottleneck", unit="preact"))
    assert not checks["matches"].iloc[0] and "10.18M" in checks["note"].iloc[0]


@pytest.mark.parametrize(
    "options, counts",
    [
        (dict(shortcut="B"), {"projection": 3, "identity": 13}),
        (dict(shortcut="A"), {"zero_pad": 3, "identity": 13}),
        (dict(shortcut="C"), {"projection": 16}),
        (dict(residual=False), {"none": 16}),
    ],
)
def test_shortcut_table_kinds_for_resnet34(options, counts):
    table = shortcut_table(ResNetSpec.from_depth(34, **options))
    assert table["kind"].value_counts().to_dict() == counts
    changing = table[table["input_shape"] != table["output_shape"]]
    assert changing["paper_name"].tolist() == ["conv3_1", "conv4_1", "conv5_1"]


def test_shortcut_table_shapes_reasons_and_params():
    table = shortcut_table(ResNetSpec.from_depth(34)).set_index("paper_name")
    row = table.loc["conv3_1"]
    assert row["input_shape"] == (64, 56, 56) and row["output_shape"] == (128, 28, 28)
    assert "channels 64 -> 128" in row["reason"] and "stride 2" in row["reason"]
    assert row["params"] == 64 * 128 + 2 * 128  # 1x1 conv + BN
    assert format_shape(row["input_shape"]) == "56x56x64"
    zero = shortcut_table(ResNetSpec.from_depth(34, shortcut="A")).set_index("paper_name")
    assert zero.loc["conv3_1", "params"] == 0 and "option A" in zero.loc["conv3_1", "reason"]
    r50 = shortcut_table(ResNetSpec.from_depth(50))
    assert r50["kind"].value_counts().to_dict() == {"identity": 12, "projection": 4}  # conv2_1: 64 -> 256


def test_bad_input_sizes_raise_value_errors():
    for size in (0, -5, 8, 2.5, 10**5):
        with pytest.raises(ValueError, match="Input size"):
            layer_table(SPECS["resnet18"], size)


def test_shape_changes_reads_stride_and_channels_from_the_shortcut_table():
    from resnet_viz.nets.tables import shape_changes

    r50 = shortcut_table(ResNetSpec.from_depth(50))
    assert shape_changes(r50) == {"strided": ["conv3_1", "conv4_1", "conv5_1"], "channels_only": ["conv2_1"]}
    assert r50.set_index("paper_name").loc["conv2_1", "stride"] == 1
    r34 = shortcut_table(ResNetSpec.from_depth(34, shortcut="A"))
    assert shape_changes(r34) == {"strided": ["conv3_1", "conv4_1", "conv5_1"], "channels_only": []}


@pytest.mark.parametrize("depth", [18, 34])
def test_basic_block_table1_check_does_not_depend_on_stride_placement(depth):
    v1 = paper_checks(ResNetSpec.from_depth(depth, stride_on="1x1"))
    v15 = paper_checks(ResNetSpec.from_depth(depth, stride_on="3x3"))
    assert v1.equals(v15)
    table1 = v1[v1["source"] == "He et al. 2015, Table 1"].iloc[0]
    assert table1["matches"] and table1["note"].startswith("the paper's figure is the plain / option-A count")


def test_bottleneck_vs_basic_on_a_tiny_net_and_resnet50():
    from resnet_viz.nets.costs import bottleneck_vs_basic

    tiny = ResNetSpec.from_depth(11, style="cifar", block="bottleneck")  # one bottleneck block per stage
    designs = bottleneck_vs_basic(tiny).set_index("block", append=True)
    assert designs["depth"].tolist() == [11, 10, 10]  # 4.5 basic blocks round (half to even) to 4: [2, 1, 1]
    narrow, wide = designs.iloc[1], designs.iloc[2]
    assert narrow["widths"] == (16, 32, 64) and wide["widths"] == (64, 128, 256)
    # the stem (3x3, 3 -> 16, no bias) + BN, then one basic block of two 3x3 convs at 16 channels (+ BN)
    assert narrow["params"] > 2 * 9 * 16 * 16 and wide["macs"] > designs.iloc[0]["macs"] > 0
    r50 = bottleneck_vs_basic(ResNetSpec.from_depth(50, stride_on="1x1"), 224)
    assert r50["layers"].tolist()[1] == (5, 6, 9, 4) and r50["depth"].tolist() == [50, 50, 50]
    assert r50.loc[0, "macs"] == 3_857_973_248 and r50.loc[2, "macs"] > 20 * r50.loc[0, "macs"]
    with pytest.raises(ValueError, match="basic blocks"):
        bottleneck_vs_basic(ResNetSpec.from_depth(34))


def test_shortcut_option_costs_count_multiply_adds_of_the_projections():
    from resnet_viz import shortcut_option_costs

    costs = shortcut_option_costs(ResNetSpec.from_depth(34), 224).set_index("option")
    assert costs.loc["A", "shortcut_macs"] == 0 and costs.loc["A", "total_macs"] == 3_644_493_824
    # option B: three 1x1 projections, each (cin x cout) per output pixel: 28², 14², 7² maps
    assert costs.loc["B", "shortcut_macs"] == 64 * 128 * 28 * 28 + 128 * 256 * 14 * 14 + 256 * 512 * 7 * 7
    assert costs.loc["C", "shortcut_macs"] > costs.loc["B", "shortcut_macs"]
