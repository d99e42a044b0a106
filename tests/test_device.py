"""Device selection and description (resnet_viz.device)."""

import pytest
import torch

from resnet_viz import ResNetSpec, build_resnet
from resnet_viz.device import available_memory, device_label, device_of, pick_device, resolve_device


def test_pick_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")


def test_device_label_and_available_memory():
    assert device_label("cpu").startswith("CPU (")
    assert available_memory("cpu") > 100 * 1024**2


def test_cpu_label_names_the_training_threads_before_and_after_they_are_set(monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_THREADS", "1")
    before = device_label("cpu")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 7)  # whatever torch has now does not matter
    assert device_label("cpu") == before == "CPU (1 thread)"
    monkeypatch.setenv("RESNET_VIZ_THREADS", "3")
    assert device_label("cpu") == "CPU (3 threads)"


def test_resolve_device_names_the_missing_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="no NVIDIA GPU"):
        resolve_device("cuda")
    with pytest.raises(ValueError, match="no Apple GPU"):
        resolve_device("mps")
    with pytest.raises(ValueError, match="Unknown device"):
        resolve_device("tpu")


def test_device_of_a_model_and_of_a_module_without_parameters():
    assert device_of(build_resnet(ResNetSpec.from_depth(8, style="cifar"))) == torch.device("cpu")
    assert device_of(torch.nn.ReLU()) == torch.device("cpu")


def test_training_threads_leave_one_cpu_spare_and_follow_the_environment(monkeypatch):
    from resnet_viz import device

    monkeypatch.delenv("RESNET_VIZ_THREADS", raising=False)
    for cpus, expected in ((1, 1), (2, 1), (4, 3), (64, device.MAX_TRAINING_THREADS)):
        monkeypatch.setattr(device, "cpu_count", lambda cpus=cpus: cpus)
        assert device.training_threads() == expected
    monkeypatch.setenv("RESNET_VIZ_THREADS", "5")
    assert device.training_threads() == 5
    for bad in ("0", "many", "-2"):
        monkeypatch.setenv("RESNET_VIZ_THREADS", bad)
        with pytest.raises(ValueError, match="RESNET_VIZ_THREADS must be a whole number"):
            device.training_threads()


def test_training_threads_are_set_once_per_process(monkeypatch):
    from resnet_viz import device

    calls = []
    monkeypatch.setattr(device, "_threads_set", False)
    monkeypatch.setattr(device, "_threads_count", 0)
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 99)  # each call finds a thread still at another count
    monkeypatch.setenv("RESNET_VIZ_THREADS", "1")
    device.use_training_threads()
    monkeypatch.setenv("RESNET_VIZ_THREADS", "3")
    assert device.use_training_threads() == 1  # a second run in the same process keeps the first count
    assert calls == [1, 1]  # applied in the calling thread each time (OpenMP keeps a count per thread)
