"""Memory: what building and training a network take, and the checks against free memory.

The estimates read the network's cached trace (`trace.trace_spec`: parameters and the size of every
layer output); nothing is allocated. `check_fits` guards `build_resnet`; `admission.check_training_fits`
compares a whole training run with `estimate_training_memory`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..device import available_memory
from ..formatting import format_bytes
from ..i18n import N_, _
from .spec import ResNetSpec
from .trace import trace_spec


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes needed to build a model and run one training step at the given batch size (float32)."""

    params: int  # parameter count
    activations: int  # activation values kept for backward (sum of layer outputs)
    batch_size: int

    @property
    def total_bytes(self) -> int:
        # weights + their gradients + the activations kept for the backward pass
        return 4 * (2 * self.params + self.activations * self.batch_size)


def estimate_memory(spec: ResNetSpec, input_size: int | None = None, batch_size: int = 1) -> MemoryEstimate:
    """Estimate memory from the network's cached trace (nothing real is allocated)."""
    trace = trace_spec(spec, input_size)
    return MemoryEstimate(trace.params, sum(trace.output_values), batch_size)


OPTIMIZER_STATE = {"sgd": 1, "adamw": 2}  # values of optimiser state per parameter: momentum; AdamW's two moments


# Autograd keeps conv, BN and ReLU tensors for the backward pass (an addition's output is not kept: its backward
# needs no inputs), and the backward pass holds a few gradients of activations at once. Measured peak resident
# memory of CPU training steps grows per image by 1.05-1.15x the layer outputs other than additions in networks of
# basic blocks (CIFAR ResNet-20/56 at 32 px, ResNet-18 at 224 px) and by 0.8-0.9x in networks of bottlenecks
# (ResNet-50 at 224 px; batches 8 to 256: benchmarks/bench_memory_estimate.py). These factors keep every case
# within -10 % .. +35 % (tests/nets/test_memory.py checks two of them in a subprocess).
ACTIVATION_FACTOR = {"basic": 1.15, "bottleneck": 0.95}


# What PyTorch's CPU kernels take on first use (buffers, code) and the evaluation's own overhead: the measured
# peak at batch 0, extrapolated from CIFAR ResNet-20's peaks at batches 64 and 256, ~260 MiB.
FRAMEWORK_BYTES = 260 * 1024**2


# The engine evaluates in batches of this many images (no gradients: ~3 layer outputs alive). The evaluation's
# memory comes on top of the training step's, not in its place: the allocator keeps what the step freed (ResNet-50
# at 224 px, batch 8: 1.46 GiB still resident after the steps, then +0.38 GiB while evaluating 32 images).
EVAL_BATCH = 256


@dataclass(frozen=True)
class TrainingMemoryEstimate:
    """Bytes a training run needs, part by part (float32; a bf16-autocast GPU run needs less).

    See `estimate_training_memory`; `total_bytes` is what `admission.check_training_fits` compares.
    """

    params: int  # parameter count
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int  # SGD momentum: one value per parameter; AdamW: two
    activations_bytes: int  # kept for backward at the real batch and input size, plus evaluation's
    data_bytes: int  # the dataset held in memory at the input size (with its normalised copy while loading)
    framework_bytes: int  # PyTorch's own working memory
    activation_bytes_per_image: int  # what one more image in the training batch adds
    evaluation_bytes: int  # activations alive while evaluating (no gradients), part of activations_bytes
    batch_size: int
    input_size: int

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
            + self.data_bytes
            + self.framework_bytes
        )

    def parts(self) -> dict[str, int]:
        """Each part's bytes by a readable name (English, marked: show it with ``_(name)``), for messages and tables."""
        return {
            N_("weights"): self.weights_bytes,
            N_("gradients"): self.gradients_bytes,
            N_("optimiser state"): self.optimizer_bytes,
            N_("activations"): self.activations_bytes,
            N_("dataset"): self.data_bytes,
            "PyTorch": self.framework_bytes,
        }


def estimate_training_memory(
    spec: ResNetSpec,
    input_size: int | None = None,
    batch_size: int = 1,
    optimizer: str = "sgd",
    dataset_images: int = 0,
    eval_samples: int = EVAL_BATCH,
) -> TrainingMemoryEstimate:
    """What one training run of ``spec`` needs, from its cached trace (nothing real is allocated).

    Args:
        spec: the network (set ``in_channels`` to the dataset's: `engine.spec_for_data`).
        input_size: side of the square training images (default: the style's).
        batch_size: images per optimiser step.
        optimizer: "sgd" (momentum) or "adamw".
        dataset_images: images held in memory (train and test), each ``in_channels x input_size^2`` floats.
        eval_samples: images per evaluation; evaluated in batches of at most `EVAL_BATCH`.
    """
    if optimizer not in OPTIMIZER_STATE:
        raise ValueError(
            _("Unknown optimizer {name}; choose one of {choices}.").format(
                name=repr(optimizer), choices=", ".join(OPTIMIZER_STATE)
            )
        )
    size = spec.default_input_size if input_size is None else input_size
    trace = trace_spec(spec, size)
    params, outputs = trace.params, trace.output_values
    image = spec.in_channels * size * size
    kept = sum(values for row, values in zip(trace.rows, outputs, strict=True) if row.type != "Add")
    per_image = int(4 * ACTIVATION_FACTOR[spec.block] * (kept + image))
    evaluation = int(4 * 3 * max(outputs) * min(EVAL_BATCH, eval_samples))
    return TrainingMemoryEstimate(
        params=params,
        weights_bytes=4 * params,
        gradients_bytes=4 * params,
        optimizer_bytes=4 * params * OPTIMIZER_STATE[optimizer],
        activations_bytes=per_image * batch_size + evaluation,
        data_bytes=2 * 4 * image * dataset_images,
        framework_bytes=FRAMEWORK_BYTES,
        activation_bytes_per_image=per_image,
        evaluation_bytes=evaluation,
        batch_size=batch_size,
        input_size=size,
    )


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
            _(
                "{name} needs about {needed} to train at batch size {batch} ({params}M parameters), but only "
                "{limit} is available. Choose a shallower network or a smaller input size."
            ).format(
                name=spec.display_name,
                needed=format_bytes(estimate.total_bytes),
                batch=batch_size,
                params=f"{estimate.params / 1e6:,.1f}",
                limit=format_bytes(limit),
            )
        )
    return estimate
