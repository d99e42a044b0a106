"""Where tensors live: the one place that picks, names and measures devices.

`pick_device` chooses the best device present (CUDA, then Apple's MPS, then the CPU); `resolve_device`
turns a user's setting ("auto", "cpu", "cuda", "mps") into a device or a readable error;
`device_of` says where a model already is; `device_label` and `available_memory` describe a device.
`training_threads` is the CPU thread budget of training, `use_training_threads` applies it once per process.
"""

from __future__ import annotations

import os
import threading

import torch
from torch import nn

from .i18n import _

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")
THREADS_ENV = "RESNET_VIZ_THREADS"  # overrides `training_threads`
MAX_TRAINING_THREADS = 8  # the small CNNs trained here stop getting faster beyond about 8 CPU threads
_threads_set = False
_threads_count = 0  # the count chosen by the first call, applied in every thread that trains
_threads_lock = threading.Lock()


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def pick_device() -> torch.device:
    """The best device present at run time: CUDA, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(name: str) -> torch.device:
    """ "auto" -> the best device present; otherwise the named one, if it is present.

    Raises:
        ValueError: an unknown name, or a GPU that is not available here (the message says which).
    """
    if name == "auto":
        return pick_device()
    if name not in DEVICE_NAMES:
        raise ValueError(_("Unknown device {name}; choose auto, cpu, cuda or mps.").format(name=repr(name)))
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError(_("CUDA was requested but no NVIDIA GPU is available here."))
    if name == "mps" and not _mps_available():
        raise ValueError(_("MPS was requested but no Apple GPU is available here."))
    return torch.device(name)


def device_of(model: nn.Module) -> torch.device:
    """The device a model's parameters live on (the CPU for a module without parameters)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def device_label(device: torch.device | str | None = None) -> str:
    """A human label for a device: the GPU's name, "Apple GPU (MPS)" or "CPU (N threads)", N the threads
    training uses (`training_threads`)."""
    device = torch.device(device) if device is not None else pick_device()
    if device.type == "cuda":
        return _("GPU: {name}").format(name=torch.cuda.get_device_name(device))
    if device.type == "mps":
        return _("Apple GPU (MPS)")
    # The training budget, not torch.get_num_threads(): that changes when the first run starts (the label read
    # "2 threads" on one page and "1 thread" on the next), the budget does not.
    threads = training_threads()
    return _("CPU (1 thread)") if threads == 1 else _("CPU ({count} threads)").format(count=threads)


def available_memory(device: torch.device | str | None = None) -> int:
    """Bytes free on ``device`` right now (CUDA: driver's free memory; CPU/MPS: MemAvailable)."""
    device = torch.device(device) if device is not None else pick_device()
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # macOS and other Unixes without /proc
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def cpu_count() -> int:
    """CPUs this process may run on (its affinity mask, as containers and ``taskset`` set it), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS and Windows have no affinity masks
        return max(1, os.cpu_count() or 1)


def training_threads() -> int:
    """How many CPU threads training uses: ``$RESNET_VIZ_THREADS`` if set, else one CPU fewer than present
    (at most `MAX_TRAINING_THREADS`, at least 1).

    The spare CPU is for whatever runs beside training: the app drawing pages for everyone, or a second
    run. Asking for every CPU costs dearly when another process is busy: PyTorch's OpenMP threads spin
    waiting for the one that was descheduled (a 60-step run took 55-61 s with 2 threads beside another
    process and 8-11 s with 1).

    Raises:
        ValueError: ``$RESNET_VIZ_THREADS`` is not a whole number >= 1.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        try:
            threads = int(value)
        except ValueError:
            threads = 0
        if threads < 1:
            raise ValueError(
                _("{variable} must be a whole number of threads >= 1; got {value}.").format(
                    variable=THREADS_ENV, value=repr(value)
                )
            )
        return threads
    return max(1, min(MAX_TRAINING_THREADS, cpu_count() - 1))


def use_training_threads(count: int | None = None) -> int:
    """Use PyTorch's CPU thread count ``count`` (default `training_threads`) in this thread, the count chosen
    once per process; returns the count in use.

    The count is chosen the first time training starts and never changed: runs in one process never fight
    over it. It is applied in each thread that trains (``torch.set_num_threads`` reaches the calling thread
    and threads started later, not threads that already run), so a run trains alike in any thread. Results depend on
    the thread count (parallel sums add in another order), so a process that must reproduce recorded
    numbers (`bundled.bundle_models`) fixes it first.
    """
    global _threads_set, _threads_count
    with _threads_lock:
        if not _threads_set:
            _threads_count = count or training_threads()
            _threads_set = True
    # OpenMP keeps a count per thread: a thread that existed before the first call (the main thread, when a
    # worker thread chose) still has the default, and the same run would add in another order there.
    if torch.get_num_threads() != _threads_count:
        torch.set_num_threads(_threads_count)
    return _threads_count
