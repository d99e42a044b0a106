"""Can a plain net learn the identity? (He et al. 2015, Sec. 1 and 3.1.)

The paper's argument for residual learning: a deeper net built from a trained shallower one plus
extra layers that are *identity mappings* would train no worse than the shallower net, so the higher
training error of deeper plain nets means "solvers might have difficulties in approximating identity
mappings by multiple nonlinear layers". Here we build that deeper net: take a trained plain net,
append plain blocks at the end of each stage, initialised either at random (as a fresh deeper net's
would be) or as the exact identity, and train both briefly the same way.

For a plain basic block (conv-BN-ReLU-conv-BN-ReLU) on a non-negative input (it follows a ReLU), Dirac
convolution weights and an identity BN (gamma 1, beta 0, mean 0, variance 1) give exactly
``ReLU(ReLU(x)) = x``. A BatchNorm in training mode would normalise with each batch's own statistics
instead and break that identity at the first step, so the inserted blocks' BatchNorms keep fixed
statistics in both modes (`FixedStatsBatchNorm2d`: a learnable per-channel scale and shift): the deeper
net then computes exactly the shallow net's function at step 0 in the mode it trains in. The random
blocks get the same fixed-statistics BatchNorms, their statistics measured once on training images
at insertion, so that both deeper nets differ only in their initial weights.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from ..i18n import _
from ..nets.builder import build_resnet
from ..nets.spec import ResNetSpec
from ..training.evaluate import evaluate

INITS = ("identity", "random")


class FixedStatsBatchNorm2d(nn.BatchNorm2d):
    """A BatchNorm that normalises with its stored statistics in training mode too.

    It computes ``gamma * (x - running_mean) / sqrt(running_var + eps) + beta`` on (N, C, H, W) inputs,
    with gamma and beta learnt and the statistics never updated: an identity-initialised one stays the
    identity whatever the batch.
    """

    def train(self, mode: bool = True) -> FixedStatsBatchNorm2d:
        return super().train(False)


def deepen(
    model: nn.Module,
    spec: ResNetSpec,
    extra: int,
    init: str,
    seed: int = 0,
    calibration: torch.Tensor | None = None,
) -> tuple[nn.Module, ResNetSpec]:
    """A copy of ``model`` (a plain, basic-block net) with ``extra`` plain blocks appended to each stage.

    The trained weights go to the same places; the new blocks' BatchNorms are `FixedStatsBatchNorm2d`,
    and their weights are initialised as ``init``: "identity" (Dirac convs, identity BN: the deeper net
    computes ``model``'s function, in training and in eval mode) or "random" (the builder's
    initialisation, from ``seed``; the BN statistics are measured on ``calibration``, (N, C, H, W)
    training images, when given, else left at mean 0, variance 1).

    Returns:
        (the deeper model, in eval mode; its spec).

    Raises:
        ValueError: ``spec`` is residual or not basic-block, or ``init`` is unknown.
    """
    if spec.residual or spec.block != "basic":
        raise ValueError(_("The experiment inserts plain basic blocks into a plain basic-block net."))
    if init not in INITS:
        raise ValueError(_("init must be one of {inits}; got {init}.").format(inits=INITS, init=repr(init)))
    deeper_spec = replace(spec, layers=tuple(n + extra for n in spec.layers))
    torch.manual_seed(seed)
    deeper = build_resnet(deeper_spec)
    state = deeper.state_dict()
    for key, value in model.state_dict().items():
        state[key] = value.detach().clone()  # old blocks keep their indices: new ones come after them
    deeper.load_state_dict(state, strict=True)
    inserted = [
        deeper.get_submodule(f"layer{s}.{i}") for s, n in enumerate(spec.layers, start=1) for i in range(n, n + extra)
    ]
    for block in inserted:
        _fix_statistics(block)
        if init == "identity":
            _make_identity(block)
    if init == "random" and calibration is not None:
        _calibrate(deeper, inserted, calibration)
    return deeper.eval(), deeper_spec


def _fix_statistics(block: nn.Module) -> None:
    """Replace the block's BatchNorms by `FixedStatsBatchNorm2d` with the same parameters and statistics."""
    for name, module in list(block.named_children()):
        if isinstance(module, nn.BatchNorm2d):
            fixed = FixedStatsBatchNorm2d(module.num_features, eps=module.eps).to(module.weight.device)
            fixed.load_state_dict(module.state_dict())
            setattr(block, name, fixed)


@torch.no_grad()
def _calibrate(deeper: nn.Module, inserted: list[nn.Module], x: torch.Tensor) -> None:
    """Set each inserted BN's statistics to its input's on ``x`` (one pass, the old blocks in eval mode).

    A pre-hook sets them just before the BN runs, so it normalises with them at once and the blocks
    after it see what they will see from then on.
    """

    def measure(norm: nn.Module, inputs: tuple[torch.Tensor]) -> None:
        batch = inputs[0]  # (N, C, H, W)
        norm.running_mean.copy_(batch.mean((0, 2, 3)))
        norm.running_var.copy_(batch.var((0, 2, 3), unbiased=False))

    norms = [m for block in inserted for m in block.modules() if isinstance(m, FixedStatsBatchNorm2d)]
    handles = [norm.register_forward_pre_hook(measure) for norm in norms]
    try:
        deeper.eval()(x)
    finally:
        for handle in handles:
            handle.remove()


@torch.no_grad()
def _make_identity(block: nn.Module) -> None:
    for module in block.children():
        if isinstance(module, nn.Conv2d):
            nn.init.dirac_(module.weight)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.BatchNorm2d):
            module.weight.fill_(1.0)
            module.bias.zero_()
            module.running_mean.zero_()
            module.running_var.fill_(1.0 - module.eps)  # so that sqrt(var + eps) is exactly 1


def identity_experiment(
    model: nn.Module,
    spec: ResNetSpec,
    x: torch.Tensor,
    y: torch.Tensor,
    extra: int = 2,
    steps: int = 40,
    lr: float = 0.01,
    batch_size: int = 64,
    eval_every: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Deepen ``model`` both ways and train each for ``steps`` SGD steps (momentum 0.9) on (x, y).

    ``model`` is not changed. Both runs see the same batches. The training error is measured in eval
    mode on (up to 512 of) the training images, at step 0 (just after the insertion) and every
    ``eval_every`` steps; the random blocks' BN statistics are measured on those images (`deepen`).

    Returns:
        DataFrame with columns init ("identity" / "random", plus "shallow": ``model`` itself, step 0
        only), depth, step, train_error.
    """
    x_eval, y_eval = x[:512], y[:512]
    rows = [{"init": "shallow", "depth": spec.depth, "step": 0, "train_error": evaluate(model, x_eval, y_eval).error}]
    for init in INITS:
        deeper, deeper_spec = deepen(copy.deepcopy(model), spec, extra, init, seed, calibration=x_eval)
        optimizer = torch.optim.SGD(deeper.parameters(), lr=lr, momentum=0.9)
        generator = torch.Generator().manual_seed(seed)
        rows.append(
            {"init": init, "depth": deeper_spec.depth, "step": 0, "train_error": evaluate(deeper, x_eval, y_eval).error}
        )
        deeper.train()
        for step in range(1, steps + 1):
            index = torch.randint(0, len(x), (batch_size,), generator=generator)
            loss = F.cross_entropy(deeper(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step % eval_every == 0 or step == steps:
                error = evaluate(deeper, x_eval, y_eval).error
                rows.append({"init": init, "depth": deeper_spec.depth, "step": step, "train_error": error})
    return pd.DataFrame(rows, columns=["init", "depth", "step", "train_error"])


def identity_verdict(table: pd.DataFrame) -> str:
    """What an `identity_experiment` table shows, from the two deeper nets' last training errors.

    One margin for every conclusion (`labs.CLEAR_MARGIN`): a difference within it is "no clear difference".
    """
    from ..training.labs import CLEAR_MARGIN, clear_order

    last = table.sort_values("step").groupby("init").last()["train_error"]
    identity_end, random_end, steps = last["identity"], last["random"], int(table["step"].max())
    fields = {"steps": steps, "margin": f"{100 * CLEAR_MARGIN:.0f}"}
    order = clear_order(identity_end, random_end)
    if order < 0:
        verdict = _(
            "The identity is a solution the deeper plain net can start from; from random blocks, {steps} steps of the "
            "same training did not find one as good (more than {margin} percentage points worse). That gap is the "
            "degradation problem in miniature."
        ).format(**fields)
    elif order > 0:
        verdict = _(
            "Here the net with random blocks trained to a lower error than the one that started as the identity "
            "(by more than {margin} percentage points): on this net and budget the experiment does not show the "
            "degradation problem."
        ).format(**fields)
    else:
        verdict = _(
            "No clear difference after {steps} steps (within {margin} percentage points): the random blocks caught "
            "up with the identity here."
        ).format(**fields)
    if clear_order(identity_end, last["shallow"]) > 0:  # measured on plain-56: 8.0 % -> 19.3 % after 40 steps
        verdict += " " + _(
            "Further training also moved the identity net off the shallow net's error ({shallow} % → {identity} %): "
            "a fresh optimiser at this learning rate disturbs a trained net, so compare the two deeper nets with "
            "each other, trained the same way."
        ).format(shallow=f"{100 * last['shallow']:.1f}", identity=f"{100 * identity_end:.1f}")
    return verdict


def run_identity_experiment(store, run_id: int, **options) -> pd.DataFrame:
    """`identity_experiment` on a trained plain run of the store, with its own training images."""
    from ..training.data import load_run_dataset
    from .explainable import load_run_model

    loaded = load_run_model(store, int(run_id))
    bundle = load_run_dataset(loaded.config, loaded.spec.default_input_size)
    return identity_experiment(loaded.model, loaded.spec, bundle.x_train, bundle.y_train, **options)
