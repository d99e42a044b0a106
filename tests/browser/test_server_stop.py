"""Stopping the server (SIGTERM, as a service manager or Ctrl+C does) while a run trains: the run is
marked stopped with a reason and keeps its weights, and the process exits cleanly."""

import signal
import sqlite3
import time

from conftest import SERVER_LOG, SERVERS, running_server, wait_for_app

from resnet_viz.training.store import RunStore


def test_sigterm_while_training_ends_the_run_cleanly(browser, tmp_path):
    SERVER_LOG.unlink(missing_ok=True)
    store = tmp_path / "runs.sqlite"
    with running_server(tmp_path) as url:
        page = browser.new_page()
        page.goto(f"{url}/train?preset=CIFAR%20ResNet-20")
        wait_for_app(page)
        box = page.get_by_label("Steps", exact=True).first
        box.fill("100000")
        box.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Start training").click()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until it has logged a few steps
            with sqlite3.connect(store) as db:
                if db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] >= 2:
                    break
            time.sleep(0.5)
        server = SERVERS[url]
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        page.close()
    log = SERVER_LOG.read_text()
    assert "terminate called" not in log and "Traceback" not in log, log[-2000:]
    run = RunStore(store).runs().iloc[0]  # the store fills the message's values in (it keeps them apart)
    status, message = run["status"], run["message"]
    assert status == "stopped" and message.startswith("interrupted"), (status, message)
    assert any(tmp_path.rglob("*.pt")), "the stopped run's weights were saved"
