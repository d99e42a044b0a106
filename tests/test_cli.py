"""`python -m resnet_viz table`: the stage table, the paper checks and the layer table."""

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # each test starts the command line in a fresh interpreter

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet_viz", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_table_prints_stage_table_checks_and_layers():
    result = run_cli("table", "--depth", "50", "--stride-on", "1x1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "ResNet-50 at 224x224" in out
    assert "[1x1, 256; 3x3, 256; 1x1, 1024] x 6" in out
    assert "He et al. 2015, Table 1" in out and "3857973248" in out
    assert "layer4.2.relu3" in out


def test_csv_is_the_layer_table():
    result = run_cli("table", "--depth", "56", "--style", "cifar", "--plain", "--csv")
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns[:4]) == ["name", "type", "stage", "block"]
    assert (table["type"] == "Conv2d").sum() == 55 and (table["type"] == "Add").sum() == 0
    assert table["params"].sum() > 0


def test_impossible_depth_is_a_short_error():
    result = run_cli("table", "--depth", "7")
    assert result.returncode == 2
    assert "Nearest valid depths" in result.stderr and "Traceback" not in result.stderr
