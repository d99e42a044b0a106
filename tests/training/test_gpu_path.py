"""The GPU training path, checked on the CPU: flags resolve to nothing there, results do not change,
and a run continues exactly from its checkpoint."""

from dataclasses import replace

import pytest
import torch
from tiny import RES8, TINY, new_run

from resnet_viz.training.config import resolve_accelerations
from resnet_viz.training.engine import resumable_step, run_steps, train
from resnet_viz.training.ray_runs import EventLog
from resnet_viz.training.signals import StopSignal


def test_auto_flags_turn_nothing_on_on_the_cpu():
    accel = resolve_accelerations(torch.device("cpu"), amp="auto", channels_last="auto", compile=False)
    assert accel.autocast == {} and not accel.channels_last and not accel.compile
    assert accel.describe() == "fp32"
    assert resolve_accelerations("cpu", amp="off", channels_last="on").channels_last  # asked for: on
    with pytest.raises(ValueError, match="bf16 mixed precision needs a CUDA GPU"):
        resolve_accelerations("cpu", amp="bf16")
    with pytest.raises(ValueError, match="Unknown amp"):
        resolve_accelerations("cpu", amp="fp8")
    with pytest.raises(ValueError, match="channels_last"):
        replace(TINY, channels_last="maybe")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_auto_flags_on_cuda_use_bf16_and_channels_last():
    accel = resolve_accelerations("cuda")
    assert accel.channels_last and accel.autocast.get("dtype") == torch.bfloat16


def test_the_flags_leave_a_cpu_run_unchanged(store):
    plain = replace(TINY, amp="off", channels_last="off")
    auto = TINY  # amp and channels_last "auto": resolve to off on the CPU
    a, b = (train(RES8, c, store, new_run(store, RES8, c)) for c in (plain, auto))
    assert a.status == b.status == "finished"
    assert a.final["train_loss"] == b.final["train_loss"] and a.final["test_error"] == b.final["test_error"]


def test_a_stopped_run_continues_exactly_from_its_checkpoint(store):
    config = TINY
    whole = train(RES8, config, store, new_run(store, RES8, config))
    run_id = new_run(store, RES8, config)
    stop = StopSignal()
    steps = run_steps(RES8, config, store, run_id, stop)
    for _ in range(12):  # 12 steps, mid-way through a logging window
        next(steps)
    stop.set()
    with pytest.raises(StopIteration):
        next(steps)
    checkpoint = store.load_checkpoint(run_id)
    assert resumable_step(checkpoint) == 12
    store.truncate_metrics(run_id, 12)
    steps = run_steps(RES8, config, store, run_id, resume=checkpoint)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            result = done.value
            break
    assert result.status == "finished"
    assert store.metrics(run_id)["step"].tolist() == [5, 10, 15, 20]
    assert result.final["train_loss"] == pytest.approx(whole.final["train_loss"], rel=1e-6)
    assert result.final["test_error"] == whole.final["test_error"]
    assert resumable_step(store.load_checkpoint(run_id)) is None  # a finished run keeps its weights only


def test_checkpoints_every_k_steps_at_logged_steps():
    log = EventLog()
    config = TINY
    steps = run_steps(RES8, config, log, 1, checkpoint_every=8)
    for _ in steps:
        pass
    saved = [e[1]["resume"]["step"] for e in log.events if e[0] == "checkpoint" and "resume" in e[1]]
    assert saved == [10]  # the first logged step at least 8 after the last checkpoint; none at the end
    statuses = [e[1] for e in log.events if e[0] == "status"]
    assert statuses == ["running", "finished"]
