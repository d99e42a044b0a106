"""The Degradation lab trained outside the app, to check that it shows what the paper shows.

`train_degradation_lab` runs the lab's four nets (plain and residual, two depths; `train_lab_rows` any set of
them, e.g. the faster-convergence pair) through the app's own engine into a throw-away run store;
`degradation_orderings` states the three orderings of He et al. 2015, Fig. 6 against the labs' one margin.
The slow tests and `benchmarks/lab_orderings.py`, `benchmarks/convergence_pair.py` use them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..nets.naming import net_label
from .config import TrainConfig
from .labs import CLEAR_MARGIN, degradation_specs

lab_name = net_label  # the runs' names in the throw-away store: the papers' short names


def train_degradation_lab(
    config: TrainConfig, home: Path, depths: tuple[int, int] = (20, 56)
) -> dict[str, pd.DataFrame]:
    """Train plain and residual nets of both ``depths`` (option A) with ``config``, one after another.

    Returns:
        {"plain-20": metrics, ...}: for each net its evaluated rows (`RunStore.metrics` columns step,
        train_error, test_error), in step order.
    """
    return train_lab_rows(config, home, [(d, r) for r in (False, True) for d in depths])


def train_lab_rows(config: TrainConfig, home: Path, rows: list[tuple[int, bool]]) -> dict[str, pd.DataFrame]:
    """Train one CIFAR-style net (option A) per (depth, residual) row with ``config``, one after another, into a
    throw-away run store under ``home``; returns {"plain-20": its evaluated rows (step, train_error, test_error)}."""
    from .engine import train
    from .store import RunStore

    store = RunStore(Path(home) / "runs.sqlite")
    curves = {}
    for (depth, residual), spec in zip(rows, degradation_specs(rows, shortcut="A")):
        run_id = store.create_run(lab_name(depth, residual), spec.to_dict(), config.to_dict(), config.device)
        train(spec, config, store, run_id)
        metrics = store.metrics(run_id)
        curves[lab_name(depth, residual)] = metrics.dropna(subset=["train_error"])[
            ["step", "train_error", "test_error"]
        ]
    store.close()
    return curves


def degradation_orderings(final: dict[str, float], depths: tuple[int, int] = (20, 56)) -> dict[str, bool]:
    """The three orderings of Fig. 6 on final training errors (fractions), each beyond `CLEAR_MARGIN`.

    Returns {"plain-56 > plain-20": holds, "ResNet-56 < ResNet-20": holds, "ResNet-56 < plain-56": holds}
    (names with ``depths``).
    """
    shallow, deep = depths
    p_s, p_d = final[lab_name(shallow, False)], final[lab_name(deep, False)]
    r_s, r_d = final[lab_name(shallow, True)], final[lab_name(deep, True)]
    return {
        f"plain-{deep} > plain-{shallow}": p_d > p_s + CLEAR_MARGIN,
        f"ResNet-{deep} < ResNet-{shallow}": r_d <= r_s - CLEAR_MARGIN,
        f"ResNet-{deep} < plain-{deep}": r_d < p_d - CLEAR_MARGIN,
    }
