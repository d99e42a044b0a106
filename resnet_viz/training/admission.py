"""Admission: whether a training run fits in memory before it starts, with the batch or image size that would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..device import available_memory, resolve_device
from ..formatting import format_bytes
from ..i18n import _
from ..nets.memory import MEMORY_HEADROOM, ModelTooLargeError, TrainingMemoryEstimate, estimate_training_memory
from ..nets.spec import ResNetSpec
from .config import TrainConfig


def check_training_fits(
    spec: ResNetSpec,
    config: TrainConfig,
    memory_limit: int | None = None,
) -> TrainingMemoryEstimate:
    """Raise `ModelTooLargeError` if training ``spec`` with ``config`` would not fit; return the estimate otherwise.

    Counts weights, gradients, optimiser state, the activations kept for backward at the config's batch
    and input size, and the dataset held in memory (`memory.estimate_training_memory`). The limit is
    80 % of the memory free on the config's device, or ``memory_limit`` bytes. The message says what
    would fit: the largest batch size at this input size, and the largest input size at this batch size.

    Raises:
        ModelTooLargeError: it would not fit (a ValueError).
        ValueError: the dataset or its folder is not usable (`data.dataset_shape`), or the device is absent.
    """
    from .data import dataset_shape

    images, channels = dataset_shape(config.dataset, config.num_samples, config.folder)
    spec = replace(spec, in_channels=channels)

    def estimate(input_size: int, batch_size: int) -> TrainingMemoryEstimate:
        return estimate_training_memory(
            spec, input_size, batch_size, config.optimizer, dataset_images=images, eval_samples=config.eval_samples
        )

    found = estimate(config.input_size, config.batch_size)
    if memory_limit is None:
        memory_limit = int(MEMORY_HEADROOM * available_memory(resolve_device(config.device)))
    if found.total_bytes <= memory_limit:
        return found
    biggest = max(found.parts().items(), key=lambda item: item[1])
    advice = _what_would_fit(found, estimate, memory_limit, config, spec.min_input_size)
    raise ModelTooLargeError(
        _(
            "Training {name} at {size} px with batch size {batch} needs about {needed} ({part}: {part_bytes}), "
            "but only {limit} is available. {advice}"
        ).format(
            name=spec.display_name,
            size=config.input_size,
            batch=config.batch_size,
            needed=format_bytes(found.total_bytes),
            part=_(biggest[0]),
            part_bytes=format_bytes(biggest[1]),
            limit=format_bytes(memory_limit),
            advice=advice[:1].upper() + advice[1:],
        )
    )


def _what_would_fit(
    found: TrainingMemoryEstimate,
    estimate: Callable[[int, int], TrainingMemoryEstimate],
    memory_limit: int,
    config: TrainConfig,
    min_input_size: int,
) -> str:
    """The advice of a run that does not fit (``found``): the largest batch at its input size and the largest
    input size at its batch that fit in ``memory_limit`` bytes (``estimate(input_size, batch_size)``)."""
    hints = []
    # Activations grow linearly with the batch: the largest batch follows from this one estimate.
    fixed = found.total_bytes - found.activation_bytes_per_image * found.batch_size
    if memory_limit - fixed >= found.activation_bytes_per_image:
        batch = (memory_limit - fixed) // found.activation_bytes_per_image
        hints.append(_("batch size {batch} at {size} px").format(batch=batch, size=config.input_size))
    # Activations and data grow about with the square of the side: guess the side, then check it with a trace.
    parameters = found.weights_bytes + found.gradients_bytes + found.optimizer_bytes + found.framework_bytes
    scaled = found.total_bytes - parameters
    size = int(config.input_size * max(0.0, (memory_limit - parameters) / scaled) ** 0.5)
    for _attempt in range(8):
        if size < min_input_size:
            break
        if estimate(size, config.batch_size).total_bytes <= memory_limit:
            hints.append(_("input size {size} px at batch size {batch}").format(size=size, batch=config.batch_size))
            break
        size = min(size - 1, int(size * 0.95))
    if len(hints) == 2:
        return _("{first}, or {second} would fit.").format(first=hints[0], second=hints[1])
    if hints:
        return _("{hint} would fit.").format(hint=hints[0])
    return _("Choose a shallower network or a smaller dataset.")
