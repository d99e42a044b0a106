"""`python -m resnet_viz table`: the stage table, the paper checks and the layer table."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # each test starts the command line in a fresh interpreter

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnet_viz", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
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


def write_image_folder(root: Path) -> None:
    from PIL import Image

    for label, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        (root / label).mkdir(parents=True)
        for i in range(4):
            Image.new("RGB", (12, 12), colour).save(root / label / f"{i}.png")


def test_train_on_a_folder_is_refused_up_front_unless_the_folder_is_usable(tmp_path):
    allowed, store = tmp_path / "allowed", tmp_path / "runs.sqlite"
    write_image_folder(allowed / "colours")
    (allowed / "one_class" / "red").mkdir(parents=True)
    env = {"RESNET_VIZ_ALLOWED_DATA_DIR": str(allowed)}
    args = ("train", "--depth", "8", "--dataset", "folder", "--steps", "2", "--input-size", "8", "--store", str(store))
    refusals = {
        (): "Choose an image folder",
        ("--folder", str(tmp_path)): "outside the allowed data folder",
        ("--folder", "missing"): "is not a folder",
        ("--folder", "one_class"): "0 class folder(s); training needs at least 2",
    }
    for extra, message in refusals.items():
        result = run_cli(*args, *extra, env=env)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
        assert message in result.stderr and "Traceback" not in result.stderr
    switched_off = run_cli(*args, "--folder", "colours", env={"RESNET_VIZ_ALLOWED_DATA_DIR": ""})
    assert switched_off.returncode == 2 and "switched off" in switched_off.stderr
    assert not store.exists()  # nothing refused reached the store

    result = run_cli(*args, "--folder", "colours", "--json", env=env)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and summary["train_loss"] > 0
