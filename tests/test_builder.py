"""build_resnet's memory guard."""

import pytest

from resnet_viz import ModelTooLargeError, ResNetSpec, build_resnet, check_fits, estimate_memory


def test_refuses_a_spec_over_the_memory_limit_before_allocating():
    spec = ResNetSpec.from_depth(50)
    with pytest.raises(ModelTooLargeError, match="ResNet-50 needs about .* available"):
        build_resnet(spec, memory_limit=50 * 1024**2)
    assert issubclass(ModelTooLargeError, ValueError)  # pages catch ValueError for every bad spec


def test_refuses_a_huge_spec_against_real_free_memory():
    huge = ResNetSpec(layers=(1, 1, 1, 1), widths=(4096, 8192, 16384, 32768))  # ~20 billion parameters
    with pytest.raises(ModelTooLargeError, match="shallower network"):
        build_resnet(huge)


def test_estimate_counts_weights_gradients_and_activations():
    spec = ResNetSpec.from_depth(20, style="cifar", shortcut="A")
    one, eight = estimate_memory(spec, batch_size=1), estimate_memory(spec, batch_size=8)
    assert one.params == 269_722
    assert eight.total_bytes - one.total_bytes == 4 * 7 * one.activations
    assert check_fits(spec, memory_limit=one.total_bytes).params == one.params


def test_builds_on_the_requested_device():
    model = build_resnet(ResNetSpec.from_depth(8, style="cifar"), device="cpu")
    assert next(model.parameters()).device.type == "cpu"
    assert model.spec.depth == 8
    with pytest.raises(ValueError, match="ResNetSpec"):
        build_resnet({"depth": 8})
