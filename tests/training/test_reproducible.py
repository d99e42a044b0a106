"""Same seed, same run, whatever else the server does: a run owns its random streams (weights, data order,
augmentation, dropout masks), so another thread drawing from torch's global generator cannot change it."""

import threading
from dataclasses import replace

import torch
from tiny import RES8, TINY, new_run

from resnet_viz.nets.builder import build_resnet
from resnet_viz.training.queue import RunQueue

# Augmentation and a dropout shortcut: every random stream of a run is drawn from.
CONFIG = replace(TINY, steps=10, augment=True, log_every=2, eval_every=4)
DROPOUT8 = replace(RES8, shortcut="B", shortcut_variant="dropout", shortcut_dropout=0.3)
TIMING = ["images_per_s", "extra"]  # wall-clock figures: never reproducible


def _noise(done: threading.Event) -> None:
    """Another user's work: reseed and draw from torch's global generator until ``done``."""
    seed = 0
    while not done.is_set():
        seed += 1
        torch.manual_seed(seed)
        torch.rand(1000)


def test_two_identical_runs_give_identical_metric_rows_while_another_thread_draws_random_numbers(store):
    done = threading.Event()
    noise = threading.Thread(target=_noise, args=(done,), daemon=True)
    noise.start()
    try:
        queue = RunQueue(store)  # the runs take turns step by step, the noise thread runs between every step
        ids = [new_run(store, DROPOUT8, config) for config in (CONFIG, CONFIG, replace(CONFIG, seed=1))]
        for run_id, config in zip(ids, (CONFIG, CONFIG, replace(CONFIG, seed=1))):
            queue.submit(DROPOUT8, config, run_id=run_id)
        assert queue.wait(timeout=120)
    finally:
        done.set()
        noise.join()
    rows = [store.metrics(i).drop(columns=["run_id", *TIMING]) for i in ids]
    assert [store.run(i)["status"] for i in ids] == ["finished"] * 3
    assert len(rows[0]) == 5
    assert rows[0].equals(rows[1])
    assert not rows[0]["train_loss"].equals(rows[2]["train_loss"])  # another seed: another run (not vacuous)
    first, second = (store.load_checkpoint(i)["model"] for i in ids[:2])
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_build_resnet_draws_every_weight_from_its_generator():
    weights = build_resnet(DROPOUT8, generator=torch.Generator().manual_seed(7)).state_dict()
    torch.manual_seed(123)  # the global generator between the two builds changes nothing
    again = build_resnet(DROPOUT8, generator=torch.Generator().manual_seed(7)).state_dict()
    assert all(torch.equal(weights[k], again[k]) for k in again)
    other = build_resnet(DROPOUT8, generator=torch.Generator().manual_seed(8)).state_dict()
    assert not torch.equal(other["fc.weight"], again["fc.weight"]) and not torch.equal(
        other["conv1.weight"], again["conv1.weight"]
    )
