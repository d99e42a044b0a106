"""Runs across processes: the command line refuses bad runs before creating them, stops cleanly on SIGTERM,
and a run is marked interrupted only when the process that owns it is really gone."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_viz.training.store import INTERRUPTED, RunStore

pytestmark = pytest.mark.slow  # real subprocesses: seconds each

ROOT = Path(__file__).resolve().parents[2]
LONG_RUN = ["--depth", "8", "--input-size", "8", "--steps", "100000", "--batch-size", "16"]


def cli(store: Path, *args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "resnet_viz", "train", "--store", str(store), "--device", "cpu", *args]
    return subprocess.Popen(command, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def wait_for_metrics(store: RunStore, child: subprocess.Popen, timeout: float = 120) -> int:
    """The id of the child's run, once it has logged its first metrics."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read()
        runs = store.runs() if store.path.exists() else None
        if runs is not None and len(runs) and runs["last_step"].iloc[0] > 0:
            return int(runs["id"].iloc[0])
        time.sleep(0.1)
    raise AssertionError("the run logged nothing in time")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "nope"], "Unknown dataset 'nope'"),
        (["--num-samples", "0"], "num_samples must be a whole number >= 1"),
        (["--lr", "1e6"], "less than 100"),
        (["--weight-decay", "nan"], "weight_decay must be a finite number"),
        (["--depth", "56", "--input-size", "224", "--batch-size", "1024"], "would fit"),
    ],
)
def test_the_cli_refuses_a_bad_run_before_creating_it(tmp_path, args, message):
    child = cli(tmp_path / "runs.sqlite", *args)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 2 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "runs.sqlite").exists() or RunStore(tmp_path / "runs.sqlite").runs().empty


def test_sigterm_stops_the_cli_run_cleanly(tmp_path):
    path = tmp_path / "runs.sqlite"
    child = cli(path, *LONG_RUN, "--json")
    store = RunStore(path)
    run_id = wait_for_metrics(store, child)
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "terminate called" not in err and "Traceback" not in err, err
    run = store.run(run_id)
    assert run["status"] == "stopped" and run["message"].startswith("interrupted: SIGTERM received at step "), run
    assert store.checkpoint_path(run_id).exists()  # what it learnt is saved
    store.close()


def test_stop_pressed_in_the_app_stops_a_cli_run(tmp_path):
    from resnet_viz.training.signals import request_stop

    path = tmp_path / "runs.sqlite"
    child = cli(path, *LONG_RUN, "--json")
    store = RunStore(path)
    run_id = wait_for_metrics(store, child)
    request_stop(store, run_id)  # what the app's Stop does for a run that another process trains
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1 and "Traceback" not in err, err  # 1: it did not finish
    run = store.run(run_id)
    assert run["status"] == "stopped" and run["message"].startswith("stopped by the user at step "), run
    assert store.checkpoint_path(run_id).exists()
    store.close()


def test_a_live_cli_run_is_left_alone_and_a_killed_one_is_marked_interrupted(tmp_path):
    path = tmp_path / "runs.sqlite"
    child = cli(path, *LONG_RUN)
    store = RunStore(path)  # as an app starting up beside the command line would
    run_id = wait_for_metrics(store, child)
    try:
        assert store.mark_interrupted() == 0 and store.run(run_id)["status"] == "running"
    finally:
        child.kill()  # SIGKILL: no handler runs, the run is left "running"
        child.communicate(timeout=60)
    assert store.run(run_id)["status"] == "running"
    assert store.mark_interrupted() == 1
    run = store.run(run_id)
    assert run["status"] == "stopped" and run["message"] == INTERRUPTED
    store.close()
