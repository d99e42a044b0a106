"""build_resnet's memory guard."""

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from resnet_viz import ModelTooLargeError, ResNetSpec, build_resnet, check_fits, estimate_memory

ROOT = Path(__file__).resolve().parents[2]


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


def test_training_memory_counts_optimiser_state_batch_and_data():
    from resnet_viz.nets.memory import estimate_training_memory

    spec = ResNetSpec.from_depth(20, style="cifar")
    sgd = estimate_training_memory(spec, 32, 64, "sgd")
    adamw = estimate_training_memory(spec, 32, 64, "adamw")
    assert sgd.weights_bytes == sgd.gradients_bytes == sgd.optimizer_bytes == 4 * sgd.params
    assert adamw.optimizer_bytes == 2 * sgd.optimizer_bytes
    double = estimate_training_memory(spec, 32, 128, "sgd")
    assert double.activations_bytes - sgd.activations_bytes == 64 * sgd.activation_bytes_per_image
    with_data = estimate_training_memory(spec, 32, 64, "sgd", dataset_images=1000)
    assert with_data.data_bytes == 2 * 4 * 3 * 32 * 32 * 1000
    assert with_data.total_bytes == sum(with_data.parts().values())
    # the old batch-1 check let a CIFAR ResNet-56 at 224 px, batch 64 through; it needs over 20 GiB
    big = estimate_training_memory(ResNetSpec.from_depth(56, style="cifar"), 224, 64)
    assert big.total_bytes > 20 * 1024**3


def test_check_training_fits_says_what_would_fit():
    from resnet_viz.training.admission import check_training_fits
    from resnet_viz.training.config import TrainConfig

    spec = ResNetSpec.from_depth(56, style="cifar")
    config = TrainConfig(input_size=224, batch_size=64)
    with pytest.raises(ModelTooLargeError) as caught:
        check_training_fits(spec, config, memory_limit=8 * 1024**3)
    message = str(caught.value)
    assert "needs about" in message and "8.0 GiB is available" in message
    batch = int(re.search(r"Batch size (\d+) at 224 px", message).group(1))
    size = int(re.search(r"input size (\d+) px at batch size 64", message).group(1))
    assert check_training_fits(spec, replace(config, batch_size=batch), memory_limit=8 * 1024**3)
    assert check_training_fits(spec, replace(config, input_size=size), memory_limit=8 * 1024**3)
    with pytest.raises(ModelTooLargeError):
        check_training_fits(spec, replace(config, batch_size=batch + 1), memory_limit=8 * 1024**3)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize("case", [(20, "cifar", 32, 128, "sgd", 1, 256), (18, "imagenet", 64, 32, "adamw", 1, 64)])
def test_training_memory_estimate_matches_measured_peak_on_cpu(case):
    """Peak resident memory growth of two real training steps and an evaluation, in a fresh process
    (`memory_probe`): the estimate is within -10 % .. +35 % of it (it may overestimate, it must not underestimate
    by much). benchmarks/bench_memory_estimate.py checks bigger cases (ImageNet nets at 224 px)."""
    probe = [sys.executable, "-m", "resnet_viz.nets.memory_probe", json.dumps(case)]
    done = subprocess.run(probe, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert 0.9 * result["measured"] <= result["estimated"] <= 1.35 * result["measured"], result
