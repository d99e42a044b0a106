"""Figures: what each diagram draws, checked through the traces' ``meta`` (no images compared)."""

import time
from functools import cache

import pytest

from resnet_viz import ResNetSpec, layer_table, shortcut_table, stage_table
from resnet_viz.figures.block_diagram import block_diagram
from resnet_viz.figures.costs import stage_cost_chart
from resnet_viz.figures.shortcut_diagram import fold_blocks, shortcut_diagram

DASH = {"identity": "solid", "projection": "dash", "zero_pad": "dot"}

SPECS = {
    "resnet34_A": ResNetSpec.from_depth(34, shortcut="A"),
    "resnet34_B": ResNetSpec.from_depth(34),
    "resnet34_C": ResNetSpec.from_depth(34, shortcut="C"),
    "resnet50": ResNetSpec.from_depth(50),
    "cifar20_A": ResNetSpec.from_depth(20, style="cifar", shortcut="A"),
    "plain34": ResNetSpec.from_depth(34, residual=False),
}


@cache
def tables(spec: ResNetSpec):
    layers = layer_table(spec)
    return layers, shortcut_table(spec, layers=layers)


def traces(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


def test_resnet34_option_b_has_3_projections_and_13_identities():
    fig = shortcut_diagram(tables(SPECS["resnet34_B"])[1], fold=False)
    dashes = [t.line.dash for t in traces(fig, "shortcut")]
    assert dashes.count("dash") == 3 and dashes.count("solid") == 13 and len(dashes) == 16


@pytest.mark.parametrize("key", SPECS)
def test_arc_styles_match_the_shortcut_table(key):
    shortcuts = tables(SPECS[key])[1]
    fig = shortcut_diagram(shortcuts, fold=False)
    arcs = traces(fig, "shortcut")
    expected = shortcuts["kind"].value_counts().to_dict()
    drawn = {kind: sum(t.line.dash == dash for t in arcs) for kind, dash in DASH.items()}
    assert drawn == {kind: expected.get(kind, 0) for kind in DASH}
    # One arc per block, in order, each styled by its own kind.
    assert [t.meta["blocks"] for t in arcs] == [[b] for b in shortcuts.loc[shortcuts["kind"] != "none", "block"]]
    assert all(t.line.dash == DASH[t.meta["kind"]] and t.meta["count"] == 1 for t in arcs)
    # A legend entry for each kind drawn, none for the others.
    legend = {t.meta["kind"]: t.name for t in traces(fig, "legend")}
    assert set(legend) == {kind for kind in DASH if expected.get(kind)}
    fig.to_json()  # a valid plotly figure


def test_plain_network_has_no_arcs_and_no_additions():
    fig = shortcut_diagram(tables(SPECS["plain34"])[1], fold=False)
    assert traces(fig, "shortcut") == [] and traces(fig, "add") == [] and traces(fig, "legend") == []
    assert "no shortcut" in fig.layout.annotations[-1].text


def test_legend_names_the_line_styles():
    fig = shortcut_diagram(tables(SPECS["resnet34_A"])[1])
    names = {t.meta["kind"]: t.name for t in traces(fig, "legend")}
    assert names == {"identity": "identity shortcut (solid)", "zero_pad": "zero-padding shortcut, option A (dotted)"}
    fig = shortcut_diagram(tables(SPECS["resnet34_B"])[1])
    assert "projection shortcut: 1x1 conv (dashed)" in [t.name for t in traces(fig, "legend")]


@pytest.mark.parametrize("key", SPECS)
def test_folded_arcs_stand_for_every_block(key):
    shortcuts = tables(SPECS[key])[1]
    arcs = traces(shortcut_diagram(shortcuts, fold=True), "shortcut")
    residual = shortcuts[shortcuts["kind"] != "none"]
    assert sum(t.meta["count"] for t in arcs) == len(residual)
    assert [b for t in arcs for b in t.meta["blocks"]] == list(residual["block"])
    for t in arcs:  # a folded run is one stage, one kind, one shape
        rows = shortcuts.set_index("block").loc[t.meta["blocks"]]
        assert rows["stage"].nunique() == rows["kind"].nunique() == 1 and rows["kind"].iloc[0] == t.meta["kind"]
        assert len(set(rows["input_shape"])) == len(set(rows["output_shape"])) == 1


def test_folding_resnet34_groups_runs_within_stages():
    groups = fold_blocks(tables(SPECS["resnet34_B"])[1])
    assert groups == [[0, 1, 2], [3], [4, 5, 6], [7], [8, 9, 10, 11, 12], [13], [14, 15]]


def test_folding_draws_less_for_resnet152():
    spec = ResNetSpec.from_depth(152)
    shortcuts = shortcut_table(spec)
    folded, unfolded = shortcut_diagram(shortcuts, fold=True), shortcut_diagram(shortcuts, fold=False)
    assert len(folded.data) < len(unfolded.data)
    assert len(traces(folded, "shortcut")) == 8 and len(traces(unfolded, "shortcut")) == 50
    assert 400 <= folded.layout.height < unfolded.layout.height  # grows with the boxes drawn


def test_folded_run_is_labelled_with_its_count():
    shortcuts = shortcut_table(ResNetSpec.from_depth(101))
    fig = shortcut_diagram(shortcuts, fold=True)
    run = next(t for t in traces(fig, "shortcut") if t.meta["count"] == 22)
    assert run.meta["blocks"][0] == "layer3.1" and run.meta["blocks"][-1] == "layer3.22"
    assert run.meta["label"] == "x 22"
    box_labels = [text for t in traces(fig, "label") for text in t.text]
    assert any(text.startswith("conv4_2 … conv4_23  x 22") for text in box_labels)
    assert "x 22" in [text for t in traces(fig, "label") for text in t.text]  # beside the arc


@pytest.mark.parametrize("fold", [True, False])
def test_shape_changes_are_labelled(fold):
    fig = shortcut_diagram(tables(SPECS["resnet34_B"])[1], fold=fold)
    conv3_1 = next(t for t in traces(fig, "shortcut") if t.meta["blocks"] == ["layer2.0"])
    assert "56x56x64 -> 28x28x128" in conv3_1.meta["label"]
    assert "56x56x64 -> 28x28x128" in conv3_1.hovertext
    labelled = {t.meta["blocks"][0] for t in traces(fig, "shortcut") if "->" in t.meta["label"]}
    assert labelled == {"layer2.0", "layer3.0", "layer4.0"}


def test_cifar_resnet1202_unfolded_draws_600_arcs_quickly():
    shortcuts = shortcut_table(ResNetSpec.from_depth(1202, style="cifar", shortcut="A"))
    start = time.perf_counter()
    fig = shortcut_diagram(shortcuts, fold=False)
    elapsed = time.perf_counter() - start
    arcs = traces(fig, "shortcut")
    assert len(arcs) == 600 and sum(t.line.dash == "dot" for t in arcs) == 2
    assert fig.layout.height >= 600 * 40
    assert elapsed < 5, f"took {elapsed:.2f} s"  # about 0.3 s on a laptop core; generous for CI


def test_cifar_resnet1202_folded_draws_what_resnet20_draws():
    # Folded first, drawn after: 600 blocks make 5 boxes (a run per stage, the strided first blocks alone),
    # the same number of traces as ResNet-20, and the points drawn do not grow with depth.
    deep = shortcut_diagram(tables(ResNetSpec.from_depth(1202, style="cifar", shortcut="A"))[1])
    shallow = shortcut_diagram(tables(ResNetSpec.from_depth(20, style="cifar", shortcut="A"))[1])
    assert len(deep.data) == len(shallow.data) == 13
    assert [len(t.meta["blocks"]) for t in traces(deep, "shortcut")] == [200, 1, 199, 1, 199]
    assert len(traces(deep, "block")[0].meta["boxes"]) == 5
    assert sum(len(t.x) for t in deep.data) == sum(len(t.x) for t in shallow.data)
    assert len(deep.layout.shapes) == len(shallow.layout.shapes) == 3  # one band per stage


def test_block_diagram_of_resnet1202_draws_one_block():
    deep_spec, shallow_spec = (ResNetSpec.from_depth(d, style="cifar", shortcut="A") for d in (1202, 20))
    deep = block_diagram(tables(deep_spec)[0], "layer2.0", spec=deep_spec)
    shallow = block_diagram(tables(shallow_spec)[0], "layer2.0", spec=shallow_spec)
    assert len(deep.data) == len(shallow.data)
    assert sum(len(t.x) for t in deep.data) == sum(len(t.x) for t in shallow.data)


def test_shortcut_table_of_resnet1202_matches_its_layers():
    spec = ResNetSpec.from_depth(1202, style="cifar", shortcut="B")
    layers, shortcuts = tables(spec)
    assert len(shortcuts) == 600 and shortcuts["kind"].value_counts().to_dict() == {"identity": 598, "projection": 2}
    projection_params = layers.loc[layers["name"].str.contains("downsample"), "params"].sum()
    assert shortcuts["params"].sum() == projection_params > 0


# ---------------------------------------------------------------------- block_diagram
def layer_traces(fig, branch=None):
    return [t for t in traces(fig, "layer") if branch is None or t.meta["branch"] == branch]


@pytest.mark.parametrize(("stride_on", "strided"), [("3x3", "conv2"), ("1x1", "conv1")])
def test_block_diagram_marks_where_the_stride_sits(stride_on, strided):
    spec = ResNetSpec.from_depth(50, stride_on=stride_on)
    fig = block_diagram(tables(spec)[0], "layer2.0", spec=spec)
    main = layer_traces(fig, "main")
    assert [t.meta["name"] for t in main if t.meta["strided"]] == [strided]
    assert "stride 2" in next(t.meta["label"] for t in main if t.meta["strided"])
    assert [t.meta["name"] for t in main][:3] == ["conv1", "bn1", "relu1"]
    shortcut = layer_traces(fig, "shortcut")
    assert [t.meta["name"] for t in shortcut] == ["downsample.0", "downsample.1"]
    assert shortcut[0].meta["strided"] and shortcut[0].meta["label"].startswith("1x1 conv, 512")
    assert [t.meta["name"] for t in layer_traces(fig, "after_add")] == ["relu3"]
    (line,) = traces(fig, "shortcut")
    assert line.meta["kind"] == "projection" and line.line.dash == "dash"
    assert len(traces(fig, "add")) == 1


def test_identity_block_has_a_solid_shortcut_and_no_shortcut_layers():
    fig = block_diagram(tables(SPECS["resnet34_B"])[0], "layer2.1")
    (line,) = traces(fig, "shortcut")
    assert line.line.dash == "solid" and layer_traces(fig, "shortcut") == []
    assert not any(t.meta["strided"] for t in layer_traces(fig))


def test_zero_pad_shortcut_is_a_box():
    fig = block_diagram(tables(SPECS["cifar20_A"])[0], "layer2.0")
    (pad,) = layer_traces(fig, "shortcut")
    assert pad.meta["label"].startswith("zero-pad (option A)") and "stride 2" in pad.meta["label"]
    assert traces(fig, "shortcut")[0].line.dash == "dot"


def test_plain_block_has_no_shortcut_and_no_add():
    fig = block_diagram(tables(SPECS["plain34"])[0], "layer2.0")
    assert traces(fig, "add") == [] and traces(fig, "shortcut") == []
    assert {t.meta["branch"] for t in layer_traces(fig)} == {"main"}
    assert [t.meta["label"].split(",")[0] for t in layer_traces(fig)] == [
        "3x3 conv",
        "BN",
        "ReLU",
        "3x3 conv",
        "BN",
        "ReLU",
    ]


def test_preactivation_order_and_gate_come_out_of_execution_order():
    spec = ResNetSpec.from_depth(20, style="cifar", unit="preact", shortcut_variant="exclusive_gating")
    fig = block_diagram(tables(spec)[0], "layer2.0", spec=spec)
    assert [t.meta["type"] for t in layer_traces(fig, "main")][:3] == ["BatchNorm2d", "ReLU", "Conv2d"]
    assert layer_traces(fig, "after_add") == []
    (gate,) = layer_traces(fig, "gate")
    assert gate.meta["label"].startswith("gate: 1x1 conv, 32")
    assert "g(x)" in traces(fig, "add")[0].hovertext[0]
    # The projection sees the pre-activated input: the shortcut leaves after BN and ReLU.
    assert traces(fig, "shortcut")[0].y[0] == 2.5


def test_bn_after_add_puts_bn_and_relu_below_the_add():
    spec = ResNetSpec.from_depth(20, style="cifar", unit="bn_after_add")
    fig = block_diagram(tables(spec)[0], "layer1.0", spec=spec)
    assert [t.meta["type"] for t in layer_traces(fig, "after_add")] == ["BatchNorm2d", "ReLU"]


def test_every_layer_hover_has_shapes_params_and_macs():
    fig = block_diagram(tables(SPECS["resnet50"])[0], "layer2.0")
    for t in layer_traces(fig):
        assert "->" in t.hovertext and "params:" in t.hovertext and "MACs:" in t.hovertext
    strided = next(t for t in layer_traces(fig, "main") if t.meta["strided"])
    assert "56x56x128 -> 28x28x128" in strided.hovertext and "147,456" in strided.hovertext


@pytest.mark.parametrize("block", ["layer9.0", "layer2", "conv3_1", "layer2.0.conv1", ""])
def test_unknown_block_raises_a_readable_error(block):
    with pytest.raises(ValueError, match="Unknown block .*layer1.0"):
        block_diagram(tables(SPECS["resnet34_B"])[0], block)


# ---------------------------------------------------------------------- stage_cost_chart
@pytest.mark.parametrize("key", ["resnet50", "cifar20_A"])
def test_stage_cost_chart_has_every_stage_and_sums_to_the_total(key):
    spec = SPECS[key]
    stages = stage_table(spec, layers=tables(spec)[0])
    fig = stage_cost_chart(stages)
    total = stages.set_index("stage").loc["total"]
    per_stage = stages[stages["stage"] != "total"]
    for column in ("params", "macs"):
        (bar,) = traces(fig, column)
        assert list(bar.x) == list(per_stage["stage"])
        assert sum(bar.customdata) == total[column]
        assert sum(bar.y) * bar.meta["scale"] == pytest.approx(total[column])
    assert traces(fig, "params")[0].meta["unit"] == ("M params" if key == "resnet50" else "k params")
    assert traces(fig, "macs")[0].meta["unit"] == ("G multiply-adds" if key == "resnet50" else "M multiply-adds")


def test_design_costs_are_relative_to_the_bottleneck():
    import pandas as pd

    from resnet_viz.figures.costs import design_costs

    designs = pd.DataFrame(
        {"design": ["b", "n", "w"], "params": [10, 20, 400], "macs": [5, 5, 50], "activations": [4, 2, 8]}
    )
    fig = design_costs(designs)
    assert [t.name for t in fig.data] == ["parameters", "multiply-adds", "activations"]
    assert list(fig.data[0].y) == [1.0, 2.0, 40.0] and fig.layout.yaxis.type == "log"


def test_table6_figure_marks_1202_as_overfitting():
    from resnet_viz.figures.training import table6_figure
    from resnet_viz.nets.published import by_depth

    fig = table6_figure(by_depth("table6_test_error"), by_depth("table6_params_m"))
    assert list(fig.data[0].x) == [20, 32, 44, 56, 110, 1202] and list(fig.data[0].y)[-1] == 7.93
    assert fig.layout.xaxis.type == "log" and "overfitting" in fig.layout.annotations[0].text


def test_bundled_curves_draw_as_figure_6_with_the_final_test_error_visible():
    """The shipped curves (Home's picture): the mini-batch training error as a dashed line per net, the test
    error measured once at the end drawn as a marker (a one-point line would not show), the manifest's value."""
    from resnet_viz.figures.training import degradation_figure, variant_bars
    from resnet_viz.shipped import bundled_curves

    metrics, runs = bundled_curves("digits")
    traces = {t.name: t for t in degradation_figure(metrics, runs).data}
    test = traces["plain-56 test"]
    assert test.mode == "markers" and len(test.y) == 1
    assert test.y[0] == 100 * runs.set_index("name").loc["plain-56", "test_error"]
    assert traces["plain-56 train"].line.dash == "dash" and len(traces["plain-56 train"].y) > 10
    summary = runs.rename(columns={"name": "label"})
    assert [t.name for t in variant_bars(summary, yours=False).data] == ["training error", "test error"]
    assert [t.name for t in variant_bars(summary).data] == ["your training error", "your test error"]
