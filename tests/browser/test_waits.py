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


def longest_silence(busy: list[tuple[float, list[str]]], until: float) -> float:
    """The longest stretch of seconds (before ``until``) over which consecutive polls showed no words."""
    longest, since = 0.0, None
    for t, words in busy:
        if t >= until:
            break
        since = None if words else (t if since is None else since)
        longest = max(longest, t - since) if since is not None else longest
    return longest


# Architecture at 1202 takes about a second since one trace serves it (and the shortcut table is one pass), so it
# may not wait at all. Shortcuts prices options A, B and C from that trace, then measures a training step of
# ResNet-1202 for its A / B / C lab's time estimate, so it really waits (1.8 s on an idle 2-core machine, much
# longer on a busy one), and its spinners name the network.
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
    if waits:  # however fast the machine (a count of polls failed on a fast one), the wait named what it computes
        named = [t for t, running, words in seen if running and "ResNet-1202" in " ".join(words)]
        assert named, f"the page never said what it computed: {seen}"
    end = busy[-1][0] if busy else 0.0
    # The last half second is the page drawing what it computed (tables, charts): not a blank wait.
    silent = [t for t, words in busy if not words and t < end - 0.5]
    # Between two spinners there is up to their 0.5 s delay without words: a short wait may be mostly that gap.
    rare = len(silent) <= len(busy) // 5
    assert rare or longest_silence(busy, end - 0.5) < 1.0, f"{len(silent)} of {len(busy)} polls show only the icon"
    if len(busy) >= 5:  # a wait long enough to read says what it computes: the 1202, or the nets it is compared with
        assert any("ResNet-" in " ".join(words) for _, words in busy), busy
