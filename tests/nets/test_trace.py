"""One trace per network: every table, memory check, budget and build reads the same cached trace."""

from dataclasses import replace

import pandas as pd
import pytest

from resnet_viz import (
    ModelTooLargeError,
    ResNetSpec,
    block_summary,
    build_resnet,
    check_fits,
    estimate_memory,
    layer_table,
    paper_checks,
    shortcut_table,
    stage_table,
)
from resnet_viz.nets import trace


@pytest.fixture
def traced(monkeypatch):
    """The (spec, input size) of every meta-device trace run from here on, starting from an empty cache."""
    calls = []
    run = trace._trace_on_meta

    def counted(spec, size):
        calls.append((spec, size))
        return run(spec, size)

    monkeypatch.setattr(trace, "_trace_on_meta", counted)
    trace._cached_trace.cache_clear()
    yield calls
    trace._cached_trace.cache_clear()


def test_tables_checks_memory_budget_and_build_trace_a_spec_once(traced):
    from resnet_viz.nets.costs import shortcut_option_costs
    from resnet_viz.training.admission import check_training_fits
    from resnet_viz.training.budget import macs_per_image
    from resnet_viz.training.config import TrainConfig

    spec = ResNetSpec.from_depth(20, style="cifar", shortcut="A")
    layers = layer_table(spec)
    stage_table(spec)
    shortcut_table(spec)
    block_summary(layers)
    paper_checks(spec)
    estimate_memory(spec, 32, batch_size=8)
    check_fits(spec, input_size=32)
    build_resnet(spec)
    assert macs_per_image(spec, 32) == layers["macs"].sum()
    check_training_fits(spec, TrainConfig(dataset="shapes", input_size=32, batch_size=64))  # RGB: the same spec
    shortcut_option_costs(spec)  # option A is this spec; B and C splice their shortcut paths into its trace
    assert traced[0] == (spec, 32) and traced.count((spec, 32)) == 1
    assert len(traced) == 1


def test_the_search_for_what_fits_traces_each_size_once(traced):
    from resnet_viz.training.admission import check_training_fits
    from resnet_viz.training.config import TrainConfig

    spec = ResNetSpec.from_depth(56, style="cifar")
    config = TrainConfig(dataset="shapes", input_size=224, batch_size=64)
    for _attempt in range(2):
        with pytest.raises(ModelTooLargeError, match="would fit"):
            check_training_fits(spec, config, memory_limit=8 * 1024**3)
    sizes = [size for _spec, size in traced]
    assert sizes[0] == 224 and len(sizes) == len(set(sizes)) <= 9  # the second search traced nothing
    check_training_fits(spec, replace(config, input_size=sizes[-1]), memory_limit=8 * 1024**3)
    assert len(traced) == len(sizes)  # the size the search found was already traced


def test_a_cached_trace_cannot_be_changed_through_a_table():
    spec = ResNetSpec.from_depth(8, style="cifar")
    table = layer_table(spec)
    table.loc[0, "params"] = -1
    table["name"] = "changed"
    assert layer_table(spec).loc[0, "params"] == trace.trace_spec(spec).rows[0].params >= 0
    assert trace.trace_spec(spec) is trace.trace_spec(spec, 32)  # the default size is the same cache entry
    assert isinstance(trace.trace_spec(spec).rows, tuple)


def test_bad_input_sizes_are_refused_before_tracing(traced):
    spec = ResNetSpec.from_depth(8, style="cifar")
    for size in (0, True, 2.5, 5000):
        with pytest.raises(ValueError):
            trace.trace_spec(spec, size)
    assert traced == []


def test_a_meta_twin_is_built_once_and_traced_at_every_size():
    """Tracing one network at two sizes builds its meta-device twin once; each size gets its own, right trace."""
    spec = ResNetSpec.from_depth(20, style="cifar")
    trace._cached_trace.cache_clear()
    trace._meta_twin.cache_clear()
    small, large = trace.trace_spec(spec, 16), trace.trace_spec(spec, 32)
    assert trace._meta_twin.cache_info().misses == 1
    for size, traced_rows in ((16, small), (32, large)):
        assert traced_rows == trace.trace_model(build_resnet(spec, input_size=size), size)


@pytest.mark.parametrize("variant", ["scaling", "exclusive_gating", "shortcut_gating", "conv1x1", "dropout"])
def test_shortcut_variants_trace_as_their_real_forward_without_importing_dynamo(variant):
    """A variant's scale or gate is traced as its shape only: the rows of a real forward pass, and no torch._dynamo
    import (its Python meta kernels would import it: seconds, the first time)."""
    import subprocess
    import sys
    from pathlib import Path

    spec = replace(ResNetSpec.from_depth(20, style="cifar"), shortcut_variant=variant)
    assert trace._trace_on_meta(spec, 32) == trace.trace_model(build_resnet(spec, input_size=32), 32)
    code = (
        "import sys, dataclasses\n"
        "from resnet_viz import ResNetSpec, layer_table\n"
        f"spec = dataclasses.replace(ResNetSpec.from_depth(20, style='cifar'), shortcut_variant={variant!r})\n"
        "layer_table(spec, 32)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


@pytest.mark.parametrize(
    "spec",
    [
        ResNetSpec.from_depth(8, style="cifar", shortcut="A"),
        ResNetSpec.from_depth(20, style="cifar", shortcut="B", unit="preact", shortcut_variant="exclusive_gating"),
        ResNetSpec.from_depth(14, style="cifar", residual=False),
        ResNetSpec.from_depth(20, style="cifar", shortcut_variant="conv1x1"),
        ResNetSpec.from_depth(110, style="cifar", shortcut="A"),
        ResNetSpec.from_depth(50, shortcut="B"),
    ],
    ids=lambda spec: spec.display_name,
)
def test_shortcut_options_priced_from_one_trace_match_the_full_networks(spec, monkeypatch):
    """Every row of each option's spliced trace, and the cost table, equal those of the three full networks."""
    from resnet_viz.nets import costs

    size = 32 if spec.style == "cifar" else 64
    for option in "ABC":
        full = trace.trace_spec(replace(spec, shortcut=option, residual=True), size)
        assert trace.trace_with_shortcut(spec, option, size) == full
    spliced = costs.shortcut_option_costs(spec, size)
    monkeypatch.setattr(
        costs, "trace_with_shortcut", lambda s, o, n: trace.trace_spec(replace(s, shortcut=o, residual=True), n)
    )
    pd.testing.assert_frame_equal(spliced, costs.shortcut_option_costs(spec, size))
