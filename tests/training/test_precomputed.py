"""The labs run ahead of time: the shipped files are what their command makes, checked by checksum, and the
verdicts drawn from several seeds claim an order only where every seed agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from resnet_viz.training import labs
from resnet_viz.training.precomputed import (
    CHECK_LAB,
    CHECK_STEPS,
    LABS,
    LABS_DIR,
    MANIFEST,
    PrecomputedError,
    lab_recipe,
    load_precomputed,
    seed_means,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lab", LABS)
def test_every_lab_ships_its_results_with_a_matching_checksum(lab):
    result = load_precomputed(lab)
    recipe = lab_recipe(lab)
    assert set(result["nets"]) == {name for name, _spec in recipe.nets}
    assert result["config"]["dataset"] == recipe.config.dataset
    assert result["config"]["input_size"] == recipe.config.input_size
    assert result["config"]["steps"] > recipe.config.steps  # a longer budget than the live run
    assert result["config"]["warmup_steps"] == recipe.config.warmup_steps  # the live run's schedule, stretched
    assert len(result["seeds"]) >= 3
    for curves in result["seeds"].values():
        for curve in curves.values():
            assert len(curve["step"]) > 6 and curve["step"] == sorted(curve["step"])  # curves, not a few dots


def test_an_edited_file_is_refused_not_drawn(tmp_path):
    for name in (MANIFEST, "degradation.json"):
        (tmp_path / name).write_bytes((LABS_DIR / name).read_bytes())
    data = json.loads((tmp_path / "degradation.json").read_text())
    data["seeds"]["0"]["ResNet-56"]["train_error"][-1] = 0.0  # a "better" result typed in by hand
    (tmp_path / "degradation.json").write_text(json.dumps(data))
    with pytest.raises(PrecomputedError, match="checksum"):
        load_precomputed("degradation", tmp_path)
    with pytest.raises(PrecomputedError, match="bundle-labs"):
        load_precomputed("units", tmp_path)  # not in this folder at all


def test_seed_means_average_each_net_over_its_seeds():
    result = load_precomputed("degradation")
    nets, means = seed_means(result)
    assert sorted(nets["name"]) == sorted(result["nets"])
    for _row, net in nets.iterrows():
        finals = [result["seeds"][seed][net["name"]]["train_error"][-1] for seed in result["seeds"]]
        assert net["train_errors"] == pytest.approx(finals)
        last = means[means["run_id"] == net["id"]].sort_values("step")["train_error"].iloc[-1]
        assert last == pytest.approx(sum(finals) / len(finals))


def test_an_order_needs_every_seed_to_agree():
    """Means 5 points apart, beyond the margin, but one seed of three the other way round: noise, no order."""
    better = pd.Series({"train_error": 0.10, "train_errors": [0.05, 0.05, 0.20]})
    worse = pd.Series({"train_error": 0.15, "train_errors": [0.15, 0.15, 0.15]})
    assert labs.clear_order(better["train_error"], worse["train_error"]) == -1
    assert labs.row_order(better, worse) == 0
    agreeing = pd.Series({"train_error": 0.10, "train_errors": [0.09, 0.10, 0.11]})
    assert labs.row_order(agreeing, worse) == -1 and labs.row_order(worse, agreeing) == 1


@pytest.mark.slow
def test_the_command_reproduces_its_check(tmp_path):
    """Re-run the recorded reproduction check with the documented command in a fresh process, as a user would."""
    recorded = json.loads((LABS_DIR / MANIFEST).read_text())["check"]
    assert recorded["lab"] == CHECK_LAB and recorded["config"]["steps"] == CHECK_STEPS
    command = ["bundle-labs", "--only", CHECK_LAB, "--seeds", "0", "--steps", str(CHECK_STEPS), "--no-check"]
    result = subprocess.run(
        [sys.executable, "-m", "resnet_viz", *command, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rebuilt = load_precomputed(CHECK_LAB, tmp_path)
    for name, curve in recorded["seeds"]["0"].items():
        again = rebuilt["seeds"]["0"][name]
        assert again["step"] == curve["step"]
        assert again["train_error"] == pytest.approx(curve["train_error"], abs=0.02), name
        assert again["test_error"] == pytest.approx(curve["test_error"], abs=0.02), name


def test_the_shipped_labs_hold_what_their_pages_claim_in_every_seed():
    """What benchmarks/lab_data.md reports from the shipped files: the plain half of Fig. 6 and the shortcuts fixing
    it in every seed; exclusive gating and the dropout shortcut train worse than the identity (Identity Mappings,
    Table 1); the residual half a tie, which the verdicts must not rank."""
    from resnet_viz.training.lab_check import degradation_orderings

    result = load_precomputed("degradation")
    for seed, curves in result["seeds"].items():
        final = {name: curve["train_error"][-1] for name, curve in curves.items()}
        orderings = degradation_orderings(final)
        assert orderings["plain-56 > plain-20"] and orderings["ResNet-56 < plain-56"], (seed, final)
    nets = seed_means(result)[0].set_index("name")
    nets["train_error"] = nets["train_errors"].map(lambda errors: sum(errors) / len(errors))
    assert labs.row_order(nets.loc["ResNet-56"], nets.loc["ResNet-20"]) == 0  # a tie: "no clear difference"
    shortcuts = seed_means(load_precomputed("shortcuts"))[0].set_index("name")
    shortcuts["train_error"] = shortcuts["train_errors"].map(lambda errors: sum(errors) / len(errors))
    for worse in ("exclusive_gating", "dropout"):
        assert labs.row_order(shortcuts.loc[worse], shortcuts.loc["identity"]) == 1, worse
