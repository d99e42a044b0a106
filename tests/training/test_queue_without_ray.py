"""Without RESNET_VIZ_RAY nothing changes: the app's modules and its queue train here and never import Ray."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import sys
sys.path.insert(0, "tests")
from dataclasses import replace
from tiny import RES8, TINY
import ui.cluster, ui.frame, ui.live, ui.launch
from ui.run_queue import run_queue
from resnet_viz.training import sweep
queue = run_queue()
run_id = queue.submit(RES8, replace(TINY, steps=4, log_every=2))
assert queue.wait(timeout=120) and queue.store.run(run_id)["status"] == "finished"
assert queue.cluster is None and queue.cluster_error is None and queue.store.run(run_id)["device"] == "cpu"
assert ui.cluster.device_caption("CPU") == "CPU" and ui.cluster.cluster_state() is None
assert "ray" not in sys.modules, "ray was imported"
"""


@pytest.mark.slow  # a fresh interpreter that imports torch and trains: seconds
def test_without_the_variable_the_queue_trains_here_and_ray_is_never_imported(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RESNET_VIZ_RAY"}
    env["RESNET_VIZ_HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
