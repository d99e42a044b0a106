"""`build_resnet`: a spec in, an `nn.Module` out, refusing specs that would not fit in memory."""

from __future__ import annotations

import torch

from .analysis import MemoryEstimate, estimate_memory
from .device import available_memory
from .model import ResNet
from .spec import ResNetSpec

# Leave room for the rest of the app, the optimiser state and the framework itself.
MEMORY_HEADROOM = 0.8


class ModelTooLargeError(ValueError):
    """The spec's estimated memory exceeds what the device has free."""


def check_fits(
    spec: ResNetSpec,
    device: torch.device | str | None = None,
    input_size: int | None = None,
    batch_size: int = 1,
    memory_limit: int | None = None,
) -> MemoryEstimate:
    """Raise `ModelTooLargeError` if ``spec`` would not fit; return the estimate otherwise."""
    estimate = estimate_memory(spec, input_size, batch_size)
    limit = memory_limit if memory_limit is not None else int(MEMORY_HEADROOM * available_memory(device))
    if estimate.total_bytes > limit:
        raise ModelTooLargeError(
            f"{spec.name} needs about {_gib(estimate.total_bytes)} to train at batch size {batch_size} "
            f"({estimate.params / 1e6:,.1f}M parameters), but only {_gib(limit)} is available. "
            "Choose a shallower network or a smaller input size."
        )
    return estimate


def build_resnet(
    spec: ResNetSpec,
    device: torch.device | str | None = None,
    input_size: int | None = None,
    memory_limit: int | None = None,
) -> ResNet:
    """Build the network described by ``spec`` (on the CPU unless ``device`` is given).

    Before allocating anything it estimates weights + gradients + activations for one image
    (`estimate_memory`, a meta-device trace) and raises `ModelTooLargeError` (a ValueError) if
    that exceeds 80 % of the memory free on the target device, or ``memory_limit`` bytes.
    """
    if not isinstance(spec, ResNetSpec):
        raise ValueError(f"build_resnet needs a ResNetSpec, got {type(spec).__name__}.")
    target = torch.device(device) if device is not None else torch.device("cpu")
    check_fits(spec, target, input_size, memory_limit=memory_limit)
    model = ResNet(spec)
    return model.to(target) if target.type != "cpu" else model


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"
