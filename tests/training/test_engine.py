"""Real short training runs: metrics land in the store, stop works, NaN is caught, runs don't mix."""

import json
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tiny import PLAIN8, RES8, TINY, new_run

from resnet_viz import ResNetSpec
from resnet_viz.nets.memory import ModelTooLargeError
from resnet_viz.training.config import TrainConfig, lr_at
from resnet_viz.training.engine import stage_gradient_norms, throughput, train
from resnet_viz.training.queue import RunQueue
from resnet_viz.training.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
CONFIG = replace(TINY, batch_size=32, warmup_steps=5)


def test_a_run_logs_metrics_and_saves_a_checkpoint(store):
    config = CONFIG
    run_id = new_run(store, RES8, config)
    result = train(RES8, config, store, run_id)
    assert result.status == "finished"
    metrics = store.metrics(run_id)
    assert metrics["step"].tolist() == [5, 10, 15, 20]
    assert metrics["train_error"].notna().sum() == 2 and metrics["test_error"].notna().sum() == 2
    assert metrics["train_loss"].notna().all() and (metrics["images_per_s"] > 0).all()
    norms = metrics["grad_norms"].iloc[-1]
    assert {"conv1", "layer1", "layer2", "layer3", "fc", "layer1.0"} <= set(norms) and norms["layer1"] > 0
    run = store.run(run_id)
    assert run["status"] == "finished" and run["started_at"] and run["finished_at"]
    state = store.load_checkpoint(run_id)
    assert state["classes"] == [str(i) for i in range(10)] and "fc.weight" in state["model"]
    assert ResNetSpec.from_dict(state["spec"]).in_channels == 1  # adapted to the greyscale digits


def test_runs_are_reproducible_from_their_seed(store):
    config = CONFIG
    a, b = new_run(store, RES8, config), new_run(store, RES8, config)
    train(RES8, config, store, a)
    train(RES8, config, store, b)
    ma, mb = store.metrics(a), store.metrics(b)
    assert ma["train_loss"].tolist() == mb["train_loss"].tolist()
    assert ma["test_error"].dropna().tolist() == mb["test_error"].dropna().tolist()


def test_nan_loss_stops_the_run_with_a_clear_status(store):
    config = replace(CONFIG, lr=50.0, warmup_steps=0, schedule="constant", log_every=1)
    spec = ResNetSpec.from_depth(8, style="cifar", residual=False, norm="none")
    run_id = new_run(store, spec, config)
    result = train(spec, config, store, run_id)
    assert result.status == "diverged"
    run = store.run(run_id)
    assert run["status"] == "diverged" and "learning rate" in run["message"]


def test_stop_keeps_what_was_logged(store):
    config = replace(CONFIG, steps=2000, log_every=2)
    run_id = new_run(store, RES8, config)
    stop = threading.Event()
    seen = []

    def progress(step, total, metrics):
        seen.append(step)
        if step >= 10:
            stop.set()

    result = train(RES8, config, store, run_id, stop=stop, on_progress=progress)
    assert result.status == "stopped"
    run = store.run(run_id)
    assert run["status"] == "stopped" and "stopped" in run["message"]
    assert store.metrics(run_id)["step"].max() >= 10
    assert store.checkpoint_path(run_id).exists()


def test_queue_runs_two_runs_without_mixing_and_stops_a_queued_one(store):
    queue = RunQueue(store)
    c1 = replace(CONFIG, seed=1)
    c2 = replace(CONFIG, seed=2, steps=15)
    first = queue.submit(RES8, c1, name="first", group="g")
    second = queue.submit(PLAIN8, c2, name="second", group="g")
    third = queue.submit(RES8, c1, name="third", group="g")
    queue.stop(third)  # still queued: cancelled before it starts
    assert queue.wait(timeout=120)
    runs = store.runs(group="g").set_index("id")
    assert runs.loc[first, "status"] == "finished" and runs.loc[second, "status"] == "finished"
    assert runs.loc[third, "status"] == "stopped"
    assert store.metrics(first)["step"].max() == 20 and store.metrics(second)["step"].max() == 15
    assert store.metrics(third).empty


def test_a_reopened_store_sees_old_runs(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = RunStore(path)
    config = CONFIG
    run_id = new_run(first, RES8, config, name="old run")
    train(RES8, config, first, run_id)
    first.close()
    again = RunStore(path)
    assert again.run(run_id)["name"] == "old run" and len(again.metrics(run_id)) == 4
    again.close()


def test_learning_rate_schedule():
    config = TrainConfig(lr=0.1, steps=100, warmup_steps=10, schedule="cosine")
    assert lr_at(config, 0) == pytest.approx(0.019)  # warm-up starts at lr/10
    assert lr_at(config, 9) == pytest.approx(0.1)
    assert lr_at(config, 99) < 0.001
    step = TrainConfig(lr=0.1, steps=100, warmup_steps=0, schedule="step")
    assert [lr_at(step, s) for s in (0, 60, 90)] == pytest.approx([0.1, 0.01, 0.001])


def test_bad_settings_raise_readable_errors():
    for bad in (dict(steps=0), dict(optimizer="lbfgs"), dict(lr=-1.0), dict(warmup_steps=500, steps=100)):
        with pytest.raises(ValueError):
            TrainConfig(**bad)


def test_stage_gradient_norms_per_stage_and_block():
    model = torch.nn.Sequential()
    from resnet_viz import build_resnet

    model = build_resnet(RES8)
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    norms = stage_gradient_norms(model)
    total = torch.sqrt(sum(p.grad.pow(2).sum() for n, p in model.named_parameters() if n.startswith("layer2")))
    assert norms["layer2"] == pytest.approx(total.item(), rel=1e-5)


@pytest.mark.slow
def test_cli_trains_headless_and_prints_json(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "resnet_viz",
            "train",
            "--style",
            "cifar",
            "--depth",
            "8",
            "--plain",
            "--dataset",
            "digits",
            "--input-size",
            "8",
            "--steps",
            "12",
            "--seed",
            "0",
            "--json",
            "--store",
            str(tmp_path / "s.db"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "finished" and summary["step"] == 12 and 0 <= summary["train_error"] <= 1
    assert "12/12" in result.stderr  # the progress bar
    assert RunStore(tmp_path / "s.db").run(summary["run_id"])["name"] == "plain-8 (CIFAR)"


@pytest.mark.slow
def test_degradation_reproduces_on_bundled_digits(store):
    """plain-56 trains worse than plain-20, and ResNet-56 better than plain-56, on the same budget."""
    config = replace(
        TINY, batch_size=64, steps=200, lr=0.1, warmup_steps=30, schedule="cosine", eval_every=100, log_every=20,
        eval_samples=512, seed=0,
    )  # fmt: skip
    finals = {}
    for depth, residual in [(20, False), (56, False), (56, True)]:
        spec = ResNetSpec.from_depth(depth, style="cifar", residual=residual, shortcut="A")
        run_id = new_run(store, spec, config, name=spec.name)
        result = train(spec, config, store, run_id)
        assert result.status == "finished"
        finals[(depth, residual)] = store.metrics(run_id)["train_loss"].tail(3).mean()
    assert finals[(56, False)] > finals[(20, False)]  # degradation: deeper plain is worse in training loss
    assert finals[(56, True)] < finals[(56, False)]  # residual fixes it


def test_a_budget_in_epochs_becomes_steps(store):
    config = replace(CONFIG, epochs=1.0, batch_size=64)
    run_id = new_run(store, RES8, config)
    result = train(RES8, config, store, run_id)
    assert result.status == "finished"
    assert store.metrics(run_id)["step"].max() == 23  # ceil(1437 training digits / 64)


def test_settings_outside_their_range_say_the_range_and_non_finite_values_are_refused():
    cases = {
        "lr": (1e6, "greater than 0 and less than 100; got 1000000.0"),
        "weight_decay": (float("nan"), "weight_decay must be a finite number"),
        "epochs": (float("inf"), "epochs must be a finite number"),
        "num_samples": (0, "num_samples must be a whole number >= 1"),
        "dataset": ("imagenet", "Unknown dataset 'imagenet'; choose one of digits"),
    }
    for name, (value, message) in cases.items():
        with pytest.raises(ValueError, match=message):
            TrainConfig(**{name: value})
    with pytest.raises(ValueError, match="between 0 and 1"):
        TrainConfig(weight_decay=5.0)


def test_a_diverged_run_logs_a_real_throughput_or_none_never_nan(store):
    config = replace(CONFIG, lr=50.0, warmup_steps=0, schedule="constant", log_every=1)
    spec = ResNetSpec.from_depth(8, style="cifar", residual=False, norm="none")
    run_id = new_run(store, spec, config)
    assert train(spec, config, store, run_id).status == "diverged"
    rates = store.metrics(run_id)["images_per_s"]
    assert rates.notna().all() and (rates > 0).all()  # also the row of the step that diverged
    assert throughput(10, 0.0) is None and throughput(10, float("nan")) is None and throughput(10, 2.0) == 5.0


def test_a_run_that_would_not_fit_is_refused_before_it_is_created(store):
    queue = RunQueue(store, memory_limit=600 * 1024**2)
    big = replace(CONFIG, input_size=64, batch_size=1024)
    with pytest.raises(ModelTooLargeError, match=r"needs about .* Batch size \d+ at 64 px, or input size \d+ px"):
        queue.submit(RES8, big)
    assert store.runs().empty
    assert queue.submit(RES8, CONFIG) > 0  # a small run fits the same limit
    assert queue.wait(timeout=120)


def test_shutdown_stops_the_running_run_and_marks_the_queued_ones(store):
    queue = RunQueue(store, max_active=1)  # the second run waits in line
    long = replace(CONFIG, steps=100_000, log_every=2)
    running = queue.submit(RES8, long, name="running")
    queued = queue.submit(RES8, long, name="queued")
    deadline = time.monotonic() + 60
    while store.run(running)["last_step"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.shutdown(timeout=60)
    first, second = store.run(running), store.run(queued)
    assert first["status"] == "stopped" and first["message"].startswith("interrupted: the server stopped at step ")
    assert second["status"] == "stopped" and second["message"] == "interrupted: the server stopped"
    assert store.checkpoint_path(running).exists() and queue.idle()


def test_option_specs_differ_only_in_the_shortcut():
    from resnet_viz.training.labs import PAPER_OPTION_ERRORS, option_specs

    specs = option_specs(ResNetSpec.from_depth(8, style="cifar", residual=False))
    assert [s.shortcut for s in specs] == ["A", "B", "C"] and all(s.residual for s in specs)
    assert len({(s.layers, s.widths, s.style) for s in specs}) == 1
    assert PAPER_OPTION_ERRORS == {"A": 25.03, "B": 24.52, "C": 24.19}
