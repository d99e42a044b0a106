"""Run-time estimates and the queue's forecast; the queue trains its active runs together."""

import math
from dataclasses import replace

import pytest
from tiny import RES8, TINY

from resnet_viz import ResNetSpec
from resnet_viz.training.budget import Forecast, describe_seconds, forecast, run_cost, run_progress
from resnet_viz.training.config import TrainConfig
from resnet_viz.training.queue import RunQueue

CONFIG = replace(TINY, batch_size=32, steps=40, warmup_steps=5, eval_every=20, log_every=10)


def test_forecast_of_runs_taking_turns_by_hand():
    # Two active runs: 10 steps of 1 s and 20 steps of 1 s; a round (one step each) lasts 2 s.
    # The first finishes after 10 rounds (20 s); the waiting run (5 steps of 2 s) then starts. Rounds of
    # run 2 and run 3 last 3 s: run 3 finishes 5 rounds later (35 s); run 2 has 5 steps left (40 s).
    result = forecast([(1, 10, 1.0), (2, 20, 1.0)], [(3, 5, 2.0)], max_active=2)
    assert result == {1: Forecast(0.0, 20.0), 3: Forecast(20.0, 35.0), 2: Forecast(0.0, 40.0)}
    # One run at a time: the queue works them off one after another.
    assert forecast([], [(1, 10, 1.0), (2, 10, 1.0)], max_active=1) == {1: Forecast(0, 10), 2: Forecast(10, 20)}
    assert forecast([], [], max_active=4) == {}


def test_describe_seconds_for_a_learner():
    assert describe_seconds(10) == "under a minute"
    assert describe_seconds(150) == "about 2 min"  # 2.5 rounds to 2 (banker's rounding is fine here)
    assert describe_seconds(3 * 3600) == "about 3.0 h"
    assert describe_seconds(14 * 86400) == "about 14 days"  # the paper's ResNet-110 schedule on a laptop CPU


def test_run_cost_is_estimated_then_learnt_from_finished_runs(store):
    config = CONFIG
    estimated = run_cost(RES8, config, store)
    assert estimated.source == "estimated" and estimated.steps == 40 and 0 < estimated.seconds < 60
    deeper = run_cost(ResNetSpec.from_depth(56, style="cifar", shortcut="A"), config, store)
    assert deeper.step_seconds > 3 * estimated.step_seconds  # ~7x the multiply-adds
    queue = RunQueue(store)
    queue.submit(RES8, config, name="measured")
    assert queue.wait(timeout=120)
    learnt = run_cost(RES8, config, store)
    assert learnt.source == "earlier runs" and learnt.step_seconds > 0
    run = store.runs().iloc[0].to_dict()
    done, total, step_seconds = run_progress(run, store.metrics(int(run["id"])))
    assert (done, total) == (40, 40) and step_seconds > 0


def test_queue_trains_its_active_runs_together_and_keeps_later_ones_in_line(store):
    queue = RunQueue(store, max_active=3)
    config = CONFIG
    ids = [queue.submit(RES8, config, name=f"run {i}") for i in range(4)]
    waiting = queue.queued()  # first in line first: the ones not yet given a turn, in submission order
    assert waiting == sorted(waiting) and [queue.position(i) for i in waiting] == list(range(1, len(waiting) + 1))
    assert queue.wait(timeout=300)
    runs = store.runs().set_index("id")
    # In the order the rows were written: the first three runs logged step 10 one after another (they took
    # turns, one step each), and every row of the fourth comes after the first three's last rows began.
    import sqlite3

    with sqlite3.connect(store.path) as db:
        order = db.execute("SELECT run_id, step FROM metrics ORDER BY rowid").fetchall()
    assert sorted(order[:3]) == [(i, 10) for i in ids[:3]]
    first_of_fourth = order.index((ids[3], 10))
    assert first_of_fourth > min(order.index((i, 40)) for i in ids[:3])  # it waited for a free turn
    assert set(runs["status"]) == {"finished"} and all(store.metrics(i)["step"].max() == 40 for i in ids)
    assert queue.position(ids[3]) is None and queue.active() == [] and queue.queued() == []


def test_interleaved_runs_train_exactly_as_a_run_alone(store):
    """Taking turns changes nothing a run computes: same seed, same metrics as alone."""
    config = CONFIG
    alone = RunQueue(store, max_active=1)
    solo = alone.submit(RES8, config, name="alone")
    assert alone.wait(timeout=120)
    together = RunQueue(store, max_active=2)
    pair = [together.submit(RES8, config, name="a"), together.submit(RES8, config, name="b")]
    assert together.wait(timeout=120)
    columns = ["step", "train_loss", "train_error", "test_error"]
    reference = store.metrics(solo)[columns].reset_index(drop=True)
    for run_id in pair:
        assert store.metrics(run_id)[columns].reset_index(drop=True).equals(reference)


def test_memory_set_aside_for_queued_runs_counts_against_the_next_one(store):
    from resnet_viz.nets.memory import ModelTooLargeError
    from resnet_viz.training.admission import check_training_fits

    config = replace(CONFIG, steps=5000)
    one = check_training_fits(RES8, config, memory_limit=2**62).total_bytes
    queue = RunQueue(store, max_active=2, memory_limit=int(1.5 * one))  # room for one run, not two
    first = queue.submit(RES8, config, name="first")
    with pytest.raises(ModelTooLargeError, match="set aside for the runs already queued"):
        queue.submit(RES8, config, name="second")
    assert store.runs()["name"].tolist() == ["first"]  # the refused run left nothing behind
    queue.stop(first)
    assert queue.wait(timeout=60)
    queue.submit(RES8, CONFIG, name="third")  # the memory is free again
    assert queue.wait(timeout=120)


def test_degradation_verdict_calls_only_clear_margins_a_fix():
    import pandas as pd

    from resnet_viz.training.labs import degradation_verdict

    def summary(res_error: float, plain_error: float) -> pd.DataFrame:
        return pd.DataFrame(
            [dict(depth=56, residual=True, train_error=res_error, status="finished"),
             dict(depth=56, residual=False, train_error=plain_error, status="finished")]
        )  # fmt: skip

    assert any("fix the optimisation" in line for line in degradation_verdict(summary(0.05, 0.30)))
    assert not any("fix the optimisation" in line for line in degradation_verdict(summary(0.900, 0.902)))


def test_too_deep_prices_the_lab_and_the_papers_schedule(monkeypatch):
    from resnet_viz.nets.tables import layer_table
    from resnet_viz.training.budget import macs_per_image
    from resnet_viz.training.labs import too_deep

    monkeypatch.setattr("resnet_viz.training.budget.machine_rate", lambda device="cpu": 1e9)  # 1 G multiply-adds per s
    config = TrainConfig(steps=4, warmup_steps=0, batch_size=2, input_size=8, eval_every=2, eval_samples=3)
    table = too_deep(config, depths=(8, 110))
    tiny = ResNetSpec.from_depth(8, style="cifar", shortcut="A")
    row = table.iloc[0]
    assert row["params"] == layer_table(tiny, 8)["params"].sum() and math.isnan(row["paper_test_error"])
    images_per_step = 2 + 2 * 3 / 3 / 2  # batch + evaluation (two splits, a third of a training image each)
    assert row["lab_seconds"] == pytest.approx(4 * 3 * macs_per_image(tiny, 8) * images_per_step / 1e9)
    paper = table.iloc[1]
    assert paper["paper_test_error"] == 6.43 and paper["paper_params_m"] == 1.7
    assert paper["paper_seconds"] > 1000 * paper["lab_seconds"]  # 64k steps of 128 at 32 px
