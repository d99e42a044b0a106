"""Layer responses (He et al. 2015, Fig. 7): how strongly each 3x3 layer responds in a trained net.

The paper plots the standard deviation of each 3x3 layer's output *after BN and before the
nonlinearity or the addition*, for trained plain and residual CIFAR-10 nets, and finds that ResNets
respond more weakly than their plain twins, and deeper ResNets more weakly still: "the residual
functions might be generally closer to zero than the non-residual functions".

`layer_responses` measures that on any of our models (original, post-activation units: each 3x3
conv is followed by its BN, ``convK`` -> ``bnK``), with forward hooks on those BNs that are always
removed. `run_responses` does it for trained runs of the run store, on their own test images.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import torch
from torch import nn

from ..nets.hooks import hooked
from ..nets.naming import block_sort_key, stage_of

COLUMNS = ["name", "conv", "layer_index", "stage", "std"]


def _three_by_three_bns(model: nn.Module) -> list[tuple[str, str]]:
    """(bn name, conv name) for every BN that normalises the output of a 3x3 conv, input side first."""
    pairs = []
    for name, module in model.named_modules():
        if not isinstance(module, nn.BatchNorm2d):
            continue
        parent, _, local = name.rpartition(".")
        if not local.startswith("bn"):
            continue
        conv_name = f"{parent}.conv{local[2:]}" if parent else f"conv{local[2:]}"
        try:
            conv = model.get_submodule(conv_name)
        except AttributeError:
            continue
        if isinstance(conv, nn.Conv2d) and conv.kernel_size == (3, 3) and conv.out_channels == module.num_features:
            pairs.append((name, conv_name))
    return sorted(pairs, key=lambda pair: (block_sort_key(pair[0]), pair[0]))


@contextmanager
def _capture(model: nn.Module, names: list[str]) -> Iterator[dict[str, float]]:
    """Record the std of each named module's output during a forward pass; the hooks are always removed."""
    found: dict[str, float] = {}

    def hook_for(name: str):
        def hook(_module: nn.Module, _inputs, output: torch.Tensor) -> None:
            found[name] = float(output.detach().float().std())

        return hook

    with hooked((model.get_submodule(name), hook_for(name)) for name in names):
        yield found


@torch.no_grad()
def layer_responses(model: nn.Module, x: torch.Tensor) -> pd.DataFrame:
    """The std of each 3x3 layer's response (after its BN, before ReLU or addition) on the batch ``x``.

    Measured in eval mode (BN with its running statistics, as a trained net is used); the model's
    train / eval flag is restored. The std is over all values of the response: images, channels, positions.

    Returns:
        DataFrame with columns name (the BN, "layer2.0.bn1"), conv ("layer2.0.conv1"), layer_index
        (1 = the stem's 3x3, input side first), stage ("layer2", "" for the stem), std.
    """
    pairs = _three_by_three_bns(model)
    was_training = model.training
    model.eval()
    try:
        with _capture(model, [bn for bn, _ in pairs]) as found:
            model(x)
    finally:
        model.train(was_training)
    rows = [
        {"name": bn, "conv": conv, "layer_index": i, "stage": stage_of(bn) or "", "std": found[bn]}
        for i, (bn, conv) in enumerate(pairs, start=1)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def run_responses(store, run_ids: list[int], images: int = 256) -> pd.DataFrame:
    """`layer_responses` of trained runs, each on the first ``images`` test images of its own dataset
    (same name, size, seed and sample count as it trained on).

    Returns:
        The `layer_responses` columns plus run_id, run (its name) and residual, one block per run.

    Raises:
        FileNotFoundError: a run has no checkpoint yet (still training, or failed before saving).
    """
    from ..training.data import load_run_dataset
    from .explainable import load_run_model

    tables = []
    for run_id in run_ids:
        loaded = load_run_model(store, int(run_id))
        bundle = load_run_dataset(loaded.config, loaded.spec.default_input_size)
        table = layer_responses(loaded.model, bundle.x_test[:images])
        run_name = store.run(int(run_id)).get("name") or loaded.spec.name
        tables.append(table.assign(run_id=int(run_id), run=run_name, residual=loaded.spec.residual))
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=[*COLUMNS, "run_id", "run"])
