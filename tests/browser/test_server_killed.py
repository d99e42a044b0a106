"""A server killed mid-run (SIGKILL: no handler runs, nothing is saved at the end): the next server marks the run
interrupted, and the Train page resumes it from its last checkpoint (every 100 steps), where it carries on."""

import os
import signal
import sqlite3
import time

import pytest
from conftest import SERVER_LOG, SERVERS, running_server, wait_for_app

from resnet_viz.training.store import RunStore

pytestmark = pytest.mark.slow

STEPS = 300  # a checkpoint at 100 and 200; killed past 100, so at least 100 steps survive


def logged_step(store) -> int:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT COALESCE(MAX(step), 0) FROM metrics").fetchone()[0]


def rows_up_to(store, step: int) -> list[tuple]:
    """(rowid, step) of the metric rows up to ``step``: rows logged again would have new rowids."""
    with sqlite3.connect(store) as db:
        return db.execute("SELECT rowid, step FROM metrics WHERE step <= ? ORDER BY step", (step,)).fetchall()


def test_a_run_of_a_killed_server_is_resumed_from_its_checkpoint_on_the_train_page(browser, tmp_path):
    SERVER_LOG.unlink(missing_ok=True)
    store = tmp_path / "runs.sqlite"
    with running_server(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/train?preset=CIFAR%20ResNet-20")
        wait_for_app(page)
        for label, value in (("Steps", STEPS), ("Image size", 8)):
            box = page.get_by_label(label, exact=True).first
            box.fill(str(value))
            box.press("Enter")
            wait_for_app(page)
        page.get_by_role("button", name="Start training").click()
        deadline = time.monotonic() + 300
        while logged_step(store) <= 110 and time.monotonic() < deadline:  # past the first checkpoint
            time.sleep(0.5)
        assert logged_step(store) > 110, "the run did not pass its first checkpoint"
        os.killpg(SERVERS[url].pid, signal.SIGKILL)
        SERVERS[url].wait(timeout=30)
        page.close()
    killed_at = logged_step(store)
    assert killed_at < STEPS, "killed too late: the run had finished"
    before_checkpoint = rows_up_to(store, 100)

    with running_server(tmp_path) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/train?preset=CIFAR%20ResNet-20")
        wait_for_app(page)
        run = RunStore(store).runs().iloc[0]
        assert run["status"] == "stopped" and run["message"].startswith("interrupted"), dict(run)
        table = page.locator('[data-testid="stDataFrame"]').first
        table.scroll_into_view_if_needed()
        box = table.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box (the only run)
        resume = page.get_by_role("button", name="Resume")
        resume.first.wait_for(timeout=60_000)
        resume.first.click()
        deadline = time.monotonic() + 300
        while RunStore(store).run(int(run["id"]))["status"] != "finished" and time.monotonic() < deadline:
            time.sleep(1)
        page.close()
    done = RunStore(store).run(int(run["id"]))
    assert done["status"] == "finished" and done["last_step"] == STEPS, done
    steps = RunStore(store).metrics(int(run["id"]))["step"].tolist()
    assert steps == sorted(set(steps)) and steps[-1] == STEPS  # no step logged twice
    assert rows_up_to(store, 100) == before_checkpoint  # carried on from the checkpoint, not from the start
