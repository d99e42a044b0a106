"""benchmarks/bench_gpu.py runs everywhere: on the CPU with its smallest budget it prints every line."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_gpu_prints_rates_ratios_and_time_to_accuracy():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_gpu.py", "--quick", "--device", "cpu"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "CIFAR ResNet-20 on " in out and ("CIFAR-10" in out or "stands in" in out)
    for row in ("plain fp32 loop (reference)", "engine fp32", "engine amp + channels_last"):
        assert row in out and "ratio to reference" in out
    assert "'auto' on this device: fp32" in out  # the CPU path turns nothing on
    assert "time to 30 % test accuracy" in out
