"""The labs' verdicts: one margin for every comparison, "no clear difference" within it, the paper's right panel;
and a lab's networks all train from its launch."""

import time
from dataclasses import replace

import pandas as pd
import pytest
from tiny import RES8, TINY

from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNITS
from resnet_viz.training.labs import CLEAR_MARGIN, DEGRADATION_RUNS, clear_order, degradation_verdict
from resnet_viz.training.queue import RunQueue
from resnet_viz.training.store import RunStore


def summary(plain20: float, plain56: float, res20: float, res56: float) -> pd.DataFrame:
    """A finished degradation lab's `labs.summarize` rows with these final training errors (fractions)."""
    rows = [(20, False, plain20), (56, False, plain56), (20, True, res20), (56, True, res56)]
    return pd.DataFrame(
        [{"depth": d, "residual": r, "train_error": e, "status": "finished"} for d, r, e in rows if e is not None]
    )


def test_clear_order_is_symmetric_and_silent_within_the_margin():
    assert clear_order(0.10, 0.10 + CLEAR_MARGIN + 0.001) == -1
    assert clear_order(0.10 + CLEAR_MARGIN + 0.001, 0.10) == 1
    assert clear_order(0.10, 0.10 + CLEAR_MARGIN - 0.001) == 0 == clear_order(0.0, 0.0)


def test_both_halves_of_figure_6_are_called_with_the_middle_panel_for_resnets():
    lines = degradation_verdict(summary(0.10, 0.30, 0.08, 0.04))
    assert "Degradation" in lines[0] and "Figure 6, left" in lines[0]
    assert "depth helps again" in lines[-1] and "Figure 6 (middle)" in lines[-1]
    assert not any("right" in line for line in lines)


def test_a_tie_claims_nothing():
    """The old verdict said "depth helps again" on 0.0 % = 0.0 %."""
    lines = degradation_verdict(summary(0.0, 0.0, 0.0, 0.0))
    assert len(lines) == 4 and all("No clear difference" in line or "no clear difference" in line for line in lines)
    assert not any("depth helps" in line or "Degradation:" in line or "fix the" in line for line in lines)


@pytest.mark.parametrize(
    ("errors", "words"),
    [
        ((0.30, 0.10, None, None), "trained better than plain-20"),
        ((None, None, 0.05, 0.20), "ResNet-56 trained worse than ResNet-20"),
        ((None, 0.10, None, 0.30), "residual net trains worse than the plain one"),
    ],
)
def test_reverse_orders_are_said_as_measured(errors, words):
    assert any(words in line for line in degradation_verdict(summary(*errors)))


def test_the_same_margin_decides_degradation_and_depth_helps():
    just_inside = CLEAR_MARGIN - 0.005
    lines = degradation_verdict(summary(0.10, 0.10 + just_inside, 0.10, 0.10 - just_inside))
    assert "No clear difference between plain-56" in lines[0] and "No clear difference between ResNet-56" in lines[-1]


def test_variant_verdict_ranks_only_beyond_the_margin():
    from resnet_viz.training.labs import variant_verdict

    summary = pd.DataFrame(
        {"label": ["original", "BN after addition", "full pre-activation"], "train_error": [0.10, 0.20, 0.105]}
    )
    lines = variant_verdict(summary, "original")
    assert "trains worse than original" in lines[0]
    assert "no clear difference from original" in lines[1] and "does not rank" in lines[1]
    assert variant_verdict(summary, "missing") == []


def test_the_labs_default_curves_have_more_than_six_points():
    """The engine evaluates at logged steps only: an eval_every that is not a multiple of log_every loses points."""
    from resnet_viz.training.labs import DEGRADATION_CONFIG as lab

    assert lab.eval_every % lab.log_every == 0
    assert lab.steps // lab.eval_every > 6


def test_a_default_queue_trains_the_largest_lab_together(tmp_path, monkeypatch):
    """The Identity-mappings lab's six shortcut networks all take turns from their launch (no curve waits for
    another run to finish), on a queue with the app's defaults."""
    monkeypatch.delenv("RESNET_VIZ_MAX_ACTIVE_RUNS", raising=False)
    largest = max(len(SHORTCUT_VARIANTS), len(UNITS), len(DEGRADATION_RUNS))
    store = RunStore(tmp_path / "runs.sqlite")
    queue = RunQueue(store, cluster=None)
    long = replace(TINY, steps=100_000)  # stopped below
    ids = [queue.submit(RES8, long, name=f"variant {i}", group="lab") for i in range(largest)]
    try:
        deadline = time.monotonic() + 60  # the worker admits queued runs between its steps
        while queue.queued() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert queue.max_active >= largest and sorted(queue.active()) == sorted(ids) and not queue.queued()
    finally:
        for run_id in ids:
            queue.stop(run_id)
        assert queue.wait(timeout=120)
        queue.shutdown()
        store.close()
