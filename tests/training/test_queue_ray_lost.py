"""A Ray cluster that disappears under the app: its runs end failed (resumable), the process stays up, new runs are
refused with a readable message. In a subprocess with a cluster of its own (RESNET_VIZ_RAY=local) whose head (GCS)
is killed: Ray would end a driver whose head is gone after 60 s, and the test must not take pytest with it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-cluster.txt)")

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import os, sys, time
sys.path.insert(0, "tests")
from dataclasses import replace
import ray
from tiny import RES8, TINY
from resnet_viz.training.queue import RunQueue
from resnet_viz.training.store import RunStore
from resnet_viz.training import ray_cluster

ray_cluster.WATCH_SECONDS = 1.0
store = RunStore(sys.argv[1])
queue = RunQueue(store)
assert queue.cluster is not None, queue.cluster_error
run_id = queue.submit(RES8, replace(TINY, steps=100_000, log_every=3, eval_every=300), checkpoint_every=30)
deadline = time.monotonic() + 120
while store.run(run_id)["last_step"] < 60:
    assert time.monotonic() < deadline, "no metrics"
    time.sleep(0.2)
gcs = ray._private.worker._global_node.all_processes["gcs_server"][0].process
gcs.kill()
assert queue.wait(timeout=60), "the run did not end"
run = store.run(run_id)
assert run["status"] == "failed", run
assert "the Ray cluster at local was lost at step" in run["message"], run["message"]
assert "press Resume on the Train page to continue from step" in run["message"], run["message"]
assert len(store.metrics(run_id)) > 0
try:
    queue.submit(RES8, replace(TINY, steps=4))
    raise AssertionError("a run was admitted on a lost cluster")
except ValueError as err:
    assert "The Ray cluster at local is gone" in str(err), err
print("OK", flush=True)


def children(pid):  # from /proc: the raylet's agents outlive it when it cannot reach its head
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
        except OSError:
            pass
    return found


node = ray._private.worker._global_node
agents = [c for info in node.all_processes.get("raylet", []) for c in children(info.process.pid)]
node.kill_all_processes(check_alive=False, allow_graceful=False)
for pid in agents:
    try:
        os.kill(pid, 9)
    except OSError:
        pass
os._exit(0)  # ray.shutdown would wait on the dead head
"""


@pytest.mark.slow  # a cluster of its own, and a wait for the head's loss to be noticed: half a minute or so
def test_a_cluster_that_disappears_fails_its_runs_and_the_process_stays_up(tmp_path):
    env = {**os.environ, "RESNET_VIZ_RAY": "local", "RESNET_VIZ_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CODE, str(tmp_path / "runs.sqlite")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=400)  # fmt: skip
    assert result.returncode == 0 and "OK" in result.stdout, (result.stdout[-2000:], result.stderr[-4000:])
