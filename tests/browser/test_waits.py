"""Slow pages say what they are computing: a spinner in the page, not only the header's running icon."""

import time

import pytest
from conftest import assert_no_exception, wait_for_app

WORDS = """() => [...document.querySelectorAll('[data-testid="stSpinner"], [data-testid="stProgress"]')]
    .map(e => e.innerText.trim()).filter(t => t)"""


def watch_wait(page) -> list[tuple[float, bool, list[str]]]:
    """Until the script stops: (seconds, script running, spinner and progress texts), every 100 ms."""
    app = page.locator('[data-testid="stApp"]')
    start, seen = time.perf_counter(), []
    while time.perf_counter() - start < 120:
        running = app.get_attribute("data-test-script-state") == "running"
        seen.append((time.perf_counter() - start, running, page.evaluate(WORDS)))
        if not running and time.perf_counter() - start > 1.5:
            break
        page.wait_for_timeout(100)
    return seen


# Architecture at 1202 takes about a second since one trace serves it (and the shortcut table is one pass), so it
# may not wait at all. Shortcuts prices options A, B and C from that trace, then measures a training step of
# ResNet-1202 for its A / B / C lab's time estimate, so it really waits, and its spinners name the network.
@pytest.mark.parametrize("path, waits", [("architecture", False), ("shortcuts", True)])
def test_tracing_a_1202_layer_net_says_so_while_it_waits(page, app_url, path, waits):
    page.goto(f"{app_url}/{path}")  # torch loaded first: its import is a wait of its own, not this test's
    wait_for_app(page)
    # input_size=36: a size no other test uses, so nothing is cached and the page has to compute
    page.goto(f"{app_url}/{path}?preset=CIFAR+ResNet-1202&input_size=36")
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
    seen = watch_wait(page)
    wait_for_app(page)
    assert_no_exception(page)
    busy = [(t, words) for t, running, words in seen if running and t > 1.0]  # after the spinner's 0.5 s delay
    if waits:
        assert len(busy) >= 5, f"the page did not wait at all: {seen}"
    end = busy[-1][0] if busy else 0.0
    # The last half second is the page drawing what it computed (tables, charts): not a blank wait.
    silent = [t for t, words in busy if not words and t < end - 0.5]
    assert len(silent) <= len(busy) // 5, f"{len(silent)} of {len(busy)} polls show nothing but the header icon"
    if len(busy) >= 5:  # a wait long enough to read says what it computes
        assert any("ResNet-1202" in " ".join(words) for _, words in busy), busy
