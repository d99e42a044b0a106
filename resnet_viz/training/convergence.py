"""The faster-convergence pair: plain and residual at one shallow depth (He et al. 2015, Sec. 4.1, Fig. 4).

At 18 layers the paper's plain and residual nets end about equally accurate (Table 2: 27.94 vs 27.88 % top-1),
"but the 18-layer ResNet converges faster", since "the ResNet eases the optimization by providing faster
convergence at the early stage". This lab trains the pair on the same data, seed and budget and compares their
training error early on and at the end against the labs' one margin (`labs.CLEAR_MARGIN`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..i18n import _
from .labs import CLEAR_MARGIN, DEGRADATION_CONFIG, clear_order

# A shallow CIFAR-style depth (20, the paper's shallowest CIFAR net) on the digits at 8 px, 120 steps, evaluated
# every 10 steps so the early curve has points: about 10 CPU-seconds for the pair, chosen by measurement over three
# seeds (benchmarks/convergence_pair.py; numbers in benchmarks/lab_data.md).
CONVERGENCE_DEPTH = 20
CONVERGENCE_CONFIG = replace(DEGRADATION_CONFIG, input_size=8, steps=120, eval_every=10)
# "Early": the evaluations in this first fraction of the budget (a quarter: steps 10 to 30 of 120, the warm-up).
CONVERGENCE_EARLY_FRACTION = 0.25


def convergence_gaps(plain: pd.DataFrame, residual: pd.DataFrame, steps: int) -> dict:
    """Training errors of the pair early on and at the end, from their evaluated rows (step, train_error).

    Early: the mean over the evaluations both runs have in the first `CONVERGENCE_EARLY_FRACTION` of the
    ``steps`` budget (a mean, because one evaluation of a net at its peak learning rate can jump by 30 points;
    measured, benchmarks/lab_data.md). End: the last evaluation both runs have (a stopped run ends early).
    Returns {} until both have an early evaluation, else early_from, early_until (the window's steps),
    plain_early, residual_early, end_step, plain_end, residual_end (errors as fractions).
    """
    plain, residual = plain.dropna(subset=["train_error"]), residual.dropna(subset=["train_error"])
    shared = sorted(set(plain["step"]) & set(residual["step"]))
    early = [step for step in shared if step <= CONVERGENCE_EARLY_FRACTION * steps]
    if not early:
        return {}
    return {
        "early_from": int(early[0]),
        "early_until": int(early[-1]),
        "plain_early": _mean_error(plain, early),
        "residual_early": _mean_error(residual, early),
        "end_step": int(shared[-1]),
        "plain_end": _mean_error(plain, shared[-1:]),
        "residual_end": _mean_error(residual, shared[-1:]),
    }


def pair_gaps(summary: pd.DataFrame, metrics: pd.DataFrame, steps: int) -> dict:
    """`convergence_gaps` of a launched pair once both runs are done (finished, stopped or diverged), else {}.

    Args:
        summary: `labs.summarize` rows of the pair (id, status, residual).
        metrics: `RunStore.metrics` rows of those runs (run_id, step, train_error).
        steps: the runs' budget (their config's steps).
    """
    done = summary[summary["status"].isin(["finished", "stopped", "diverged"])]
    plain, residual = done[~done["residual"]], done[done["residual"]]
    if plain.empty or residual.empty:
        return {}
    plain_rows = metrics[metrics["run_id"] == int(plain["id"].iloc[-1])]
    residual_rows = metrics[metrics["run_id"] == int(residual["id"].iloc[-1])]
    return convergence_gaps(plain_rows, residual_rows, steps)


def _mean_error(rows: pd.DataFrame, steps: list[int]) -> float:
    """Mean training error of one run's evaluations at ``steps`` (one value per step: the last logged)."""
    return float(rows[rows["step"].isin(steps)].groupby("step")["train_error"].last().mean())


def convergence_verdict(gaps: dict, depth: int) -> list[str]:
    """What the pair shows (`convergence_gaps`): "converges faster" only if the residual net's mean training error
    over the early evaluations is below the plain net's by more than `CLEAR_MARGIN`; then whether they end within
    it."""
    if not gaps:
        return []
    fields = {
        "depth": depth,
        "early_from": gaps["early_from"],
        "early_until": gaps["early_until"],
        "end_step": gaps["end_step"],
        "margin": f"{100 * CLEAR_MARGIN:.0f}",
        **{key: f"{100 * gaps[key]:.1f}" for key in ("plain_early", "residual_early", "plain_end", "residual_end")},
    }
    early = clear_order(gaps["residual_early"], gaps["plain_early"])
    if early < 0:
        first = _(
            "Faster convergence: from step {early_from} to {early_until} ResNet-{depth} averages {residual_early} % "
            "training error against {plain_early} % for plain-{depth}, more than {margin} percentage points lower, as "
            "in the paper's Fig. 4."
        )
    elif early > 0:
        first = _(
            "Here plain-{depth} started faster: from step {early_from} to {early_until} it averages {plain_early} % "
            "training error against {residual_early} % for ResNet-{depth}. This run does not show the paper's faster "
            "convergence."
        )
    else:
        first = _(
            "No clear difference early on: from step {early_from} to {early_until} ResNet-{depth} averages "
            "{residual_early} % training error and plain-{depth} {plain_early} %, within {margin} percentage points: "
            "this run does not show faster convergence."
        )
    if clear_order(gaps["residual_end"], gaps["plain_end"]) == 0:
        second = _(
            "At the end (step {end_step}) they are within {margin} percentage points of each other ({residual_end} % "
            "and {plain_end} %): at this depth the plain net catches up, as plain-18 does in the paper (Table 2)."
        )
    else:
        second = _(
            "At the end (step {end_step}) they still differ by more than {margin} percentage points (ResNet-{depth} "
            "{residual_end} %, plain-{depth} {plain_end} %): at this budget the two do not end level."
        )
    return [first.format(**fields), second.format(**fields)]
