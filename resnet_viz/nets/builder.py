"""`build_resnet`: a spec in, an `nn.Module` out, refusing specs that would not fit in memory."""

from __future__ import annotations

import torch

from ..i18n import _
from .memory import check_fits
from .model import ResNet
from .spec import ResNetSpec


def build_resnet(
    spec: ResNetSpec,
    device: torch.device | str | None = None,
    input_size: int | None = None,
    memory_limit: int | None = None,
    generator: torch.Generator | None = None,
) -> ResNet:
    """Build the network described by ``spec`` (on the CPU unless ``device`` is given), its weights drawn from
    ``generator`` (a CPU `torch.Generator`; None = torch's global one, which every thread shares).

    Before allocating anything it estimates weights + gradients + activations for one image
    (`estimate_memory`, from the spec's cached meta-device trace) and raises `ModelTooLargeError` (a ValueError) if
    that exceeds 80 % of the memory free on the target device, or ``memory_limit`` bytes.
    """
    if not isinstance(spec, ResNetSpec):
        raise ValueError(_("build_resnet needs a ResNetSpec, got {type}.").format(type=type(spec).__name__))
    target = torch.device(device) if device is not None else torch.device("cpu")
    check_fits(spec, target, input_size, memory_limit=memory_limit)
    model = ResNet(spec, generator=generator)  # drawn on the CPU, then moved: the same weights on every device
    return model.to(target) if target.type != "cpu" else model
