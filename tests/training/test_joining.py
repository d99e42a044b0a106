"""Trained once for a class: a launch that repeats an experiment already queued, training or finished joins it."""

from dataclasses import replace

from tiny import PLAIN8, RES8, TINY

from resnet_viz.training.joining import joinable_runs


def _launch(store, specs, config, group=None, status="finished"):
    ids = [store.create_run(s.name, s.to_dict(), config.to_dict(), "cpu", group=group) for s in specs]
    for run_id in ids:
        store.set_status(run_id, status)
    return ids


def test_a_launch_joins_the_same_experiment_but_not_another_seed_a_renamed_or_a_failed_run(store):
    assert joinable_runs(store, [RES8], TINY) is None  # nothing to join yet
    (first,) = _launch(store, [RES8], TINY)
    assert [r["id"] for r in joinable_runs(store, [RES8], TINY)] == [first]
    assert joinable_runs(store, [RES8], replace(TINY, seed=1)) is None  # another seed: another experiment
    assert joinable_runs(store, [PLAIN8], TINY) is None
    store.rename(first, "my own")
    assert joinable_runs(store, [RES8], TINY) is None  # renamed: someone's own run
    _launch(store, [RES8], TINY, status="failed")
    assert joinable_runs(store, [RES8], TINY) is None
    (running,) = _launch(store, [RES8], TINY, status="running")
    assert [r["id"] for r in joinable_runs(store, [RES8], TINY)] == [running]  # in progress: joined too


def test_a_lab_comparison_joins_only_one_earlier_comparison_as_a_whole(store):
    _launch(store, [RES8], TINY, group="lab 1")  # half of the comparison only
    assert joinable_runs(store, [RES8, PLAIN8], TINY) is None
    _launch(store, [PLAIN8], TINY)  # the other half, launched alone: still no comparison
    assert joinable_runs(store, [RES8, PLAIN8], TINY) is None
    ids = _launch(store, [RES8, PLAIN8], TINY, group="lab 2")
    joined = joinable_runs(store, [RES8, PLAIN8], TINY)
    assert [r["id"] for r in joined] == ids and {r["group"] for r in joined} == {"lab 2"}
    newer = _launch(store, [RES8, PLAIN8], TINY, group="lab 3")
    assert [r["id"] for r in joinable_runs(store, [RES8, PLAIN8], TINY)] == newer  # the newest comparison
