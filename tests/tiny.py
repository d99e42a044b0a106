"""The tiny training run the tests share: 8-layer CIFAR nets on 8x8 digits, on the CPU, a few seconds each.

A test that needs other values takes `dataclasses.replace(TINY, ...)`, so it says only what differs.
"""

from resnet_viz import ResNetSpec
from resnet_viz.training.config import TrainConfig

TINY = TrainConfig(
    dataset="digits", input_size=8, batch_size=16, steps=20, warmup_steps=2, eval_every=10, log_every=5,
    eval_samples=64, device="cpu",
)  # fmt: skip
RES8 = ResNetSpec.from_depth(8, style="cifar", shortcut="A")
PLAIN8 = ResNetSpec.from_depth(8, style="cifar", residual=False)


def new_run(store, spec: ResNetSpec, config: TrainConfig, name: str = "run", group: str | None = None) -> int:
    """A queued run of ``spec`` and ``config`` in ``store`` (on the CPU); returns its id."""
    return store.create_run(name, spec.to_dict(), config.to_dict(), "cpu", group=group)
