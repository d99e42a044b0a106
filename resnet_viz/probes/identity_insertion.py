"""Can a plain net learn the identity? (He et al. 2015, Sec. 1 and 3.1.)

The paper's argument for residual learning: a deeper net built from a trained shallower one plus
extra layers that are *identity mappings* would train no worse than the shallower net, so the higher
training error of deeper plain nets means "solvers might have difficulties in approximating identity
mappings by multiple nonlinear layers". Here we build that deeper net: take a trained plain net,
append plain blocks at the end of each stage, initialised either at random (as a fresh deeper net's
would be) or as the exact identity, and train both briefly the same way.

For a plain basic block (conv-BN-ReLU-conv-BN-ReLU) on a non-negative input (it follows a ReLU), Dirac
convolution weights and an identity BN (gamma 1, beta 0, running mean 0, variance 1) give exactly
``ReLU(ReLU(x)) = x`` in eval mode; in train mode BN uses the batch statistics, so "near-identity".
"""

from __future__ import annotations

import copy
import re
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
_BLOCK = re.compile(r"^layer(\d+)\.(\d+)\.")


def deepen(model: nn.Module, spec: ResNetSpec, extra: int, init: str, seed: int = 0) -> tuple[nn.Module, ResNetSpec]:
    """A copy of ``model`` (a plain, basic-block net) with ``extra`` plain blocks appended to each stage.

    The trained weights go to the same places; the new blocks are initialised as ``init``: "identity"
    (Dirac convs, identity BN) or "random" (the builder's initialisation, from ``seed``).

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
    if init == "identity":
        for s, n in enumerate(spec.layers, start=1):
            for i in range(n, n + extra):
                _make_identity(deeper.get_submodule(f"layer{s}.{i}"))
    return deeper.eval(), deeper_spec


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
    ``eval_every`` steps.

    Returns:
        DataFrame with columns init ("identity" / "random", plus "shallow": ``model`` itself, step 0
        only), depth, step, train_error.
    """
    x_eval, y_eval = x[:512], y[:512]
    rows = [{"init": "shallow", "depth": spec.depth, "step": 0, "train_error": evaluate(model, x_eval, y_eval).error}]
    for init in INITS:
        deeper, deeper_spec = deepen(copy.deepcopy(model), spec, extra, init, seed)
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


def run_identity_experiment(store, run_id: int, **options) -> pd.DataFrame:
    """`identity_experiment` on a trained plain run of the store, with its own training images."""
    from ..training.data import load_run_dataset
    from .explainable import load_run_model

    loaded = load_run_model(store, int(run_id))
    bundle = load_run_dataset(loaded.config, loaded.spec.default_input_size)
    return identity_experiment(loaded.model, loaded.spec, bundle.x_train, bundle.y_train, **options)
