"""Trained once for a class: a launch that would repeat an experiment already queued, training or finished joins
that run instead of training it again.

Thirty students pressing the same lab button with its defaults would otherwise train the same networks thirty
times, one step each in turn, and all wait thirty times longer for one result. An experiment is a network spec
plus its whole training config (dataset, seed and device included): same spec, same config, same run, by
construction (see `engine`). Only runs nobody renamed are joined (a renamed run is someone's own), deleted ones
are gone, and a page that joins always says which run it shows and offers to train an own copy anyway.
"""

from __future__ import annotations

from ..nets.spec import ResNetSpec
from .config import TrainConfig
from .store import RunStore


def joinable_runs(store: RunStore, specs: list[ResNetSpec], config: TrainConfig) -> list[dict] | None:
    """The runs a launch of ``specs`` with ``config`` would repeat, one per spec in order, or None.

    A launch of several networks (a lab's comparison) joins only as a whole, one earlier launch of the same
    networks (one run group), so the comparison it shows is one experiment; otherwise it trains its own.
    Among several matches the newest launch is taken.
    """
    matches = [store.same_experiment(spec.to_dict(), config.to_dict()) for spec in specs]
    if not specs or not all(matches):
        return None
    shared = set.intersection(*[{run["group"] for run in runs} for runs in matches])
    if len(specs) > 1:
        shared.discard(None)  # runs launched one by one are no comparison
    if not shared:
        return None
    newest = max(shared, key=lambda g: max(r["id"] for runs in matches for r in runs if r["group"] == g))
    return [next(r for r in runs if r["group"] == newest) for runs in matches]
