"""The faster-convergence pair's verdict (He et al. 2015, Sec. 4.1, Fig. 4): claims only beyond the labs' margin."""

import pandas as pd

from resnet_viz.training.convergence import CONVERGENCE_CONFIG, convergence_gaps, convergence_verdict, pair_gaps
from resnet_viz.training.labs import CLEAR_MARGIN

STEPS = 120  # early window: the evaluations at steps up to a quarter of it (10, 20, 30)


def curve(errors: list[float], every: int = 10) -> pd.DataFrame:
    """Evaluated rows (step, train_error) every ``every`` steps from step ``every``."""
    return pd.DataFrame({"step": [every * (i + 1) for i in range(len(errors))], "train_error": errors})


PLAIN = curve([0.9, 0.8, 0.7, 0.5, 0.2, 0.01])  # steps 10 ... 60
RESIDUAL = curve([0.5, 0.3, 0.1, 0.05, 0.02, 0.0])


def test_the_early_error_is_the_mean_over_the_first_quarter_and_the_end_the_last_shared_evaluation():
    gaps = convergence_gaps(PLAIN, RESIDUAL, STEPS)
    assert (gaps["early_from"], gaps["early_until"], gaps["end_step"]) == (10, 30, 60)
    assert abs(gaps["plain_early"] - 0.8) < 1e-9 and abs(gaps["residual_early"] - 0.3) < 1e-9
    assert (gaps["plain_end"], gaps["residual_end"]) == (0.01, 0.0)
    stopped = convergence_gaps(PLAIN, RESIDUAL.head(4), STEPS)  # the residual run stopped at step 40
    assert stopped["end_step"] == 40 and stopped["plain_end"] == 0.5


def test_no_gaps_before_both_runs_have_an_early_evaluation():
    assert convergence_gaps(PLAIN, curve([]), STEPS) == {}
    assert convergence_gaps(PLAIN, curve([0.1], every=40), STEPS) == {}  # step 40 lies after the window
    assert convergence_verdict({}, 20) == []


def test_faster_convergence_is_claimed_beyond_the_margin_and_a_level_end_is_called_a_tie():
    first, second = convergence_verdict(convergence_gaps(PLAIN, RESIDUAL, STEPS), 20)
    assert first.startswith("Faster convergence") and "30.0 %" in first and "80.0 %" in first
    assert "within 2 percentage points" in second and "catches up" in second


def test_an_early_gap_within_the_margin_is_no_clear_difference():
    close = curve(list(PLAIN["train_error"] - CLEAR_MARGIN / 2))
    first, _second = convergence_verdict(convergence_gaps(PLAIN, close, STEPS), 20)
    assert first.startswith("No clear difference early on") and "does not show faster convergence" in first


def test_a_plain_net_ahead_early_or_apart_at_the_end_is_said_so():
    first, second = convergence_verdict(convergence_gaps(RESIDUAL, PLAIN.assign(train_error=0.6), STEPS), 20)
    assert "plain-20 started faster" in first and "does not show" in first
    assert "still differ by more than 2 percentage points" in second


def test_the_pair_is_judged_only_once_both_runs_are_done():
    metrics = pd.concat([PLAIN.assign(run_id=1), RESIDUAL.assign(run_id=2)])
    summary = pd.DataFrame({"id": [1, 2], "residual": [False, True], "status": ["finished", "running"]})
    assert pair_gaps(summary, metrics, STEPS) == {}
    done = summary.assign(status=["finished", "stopped"])
    assert pair_gaps(done, metrics, STEPS) == convergence_gaps(PLAIN, RESIDUAL, STEPS)


def test_the_pair_budget_has_early_points():
    """Evaluations every 10 steps: three points in the early window of the 120-step budget."""
    assert CONVERGENCE_CONFIG.steps // 4 // CONVERGENCE_CONFIG.eval_every == 3
