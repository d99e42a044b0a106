"""Fixtures for end-to-end tests: the real Streamlit server and headless Debian Chromium.

The server starts once per session on a free local port; each test gets a fresh page. Chromium
comes from Debian's package (Playwright cannot download browsers here); without it, or without
Playwright, the browser tests are skipped with a message.

Environment:
    RESNET_VIZ_APP  the script to serve (default `app.py`, relative to the repository root)
    CHROMIUM        the browser binary (default `/usr/bin/chromium`)
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SERVER_LOG = ARTIFACTS / "streamlit-server.log"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 60
SERVERS: dict[str, subprocess.Popen] = {}  # url -> the running server's process (see running_server)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: end-to-end tests in headless Chromium")


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test (`-m "not browser"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (it leads its own process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@contextmanager
def running_server(home: Path):
    """Start `streamlit run $RESNET_VIZ_APP` on a free port with its run store in ``home``; yield its URL."""
    app = ROOT / os.environ.get("RESNET_VIZ_APP", "app.py")  # an absolute path replaces ROOT
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "RESNET_VIZ_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    command += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(SERVER_LOG, "a") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Streamlit did not start ({app}); log tail:\n{SERVER_LOG.read_text()[-3000:]}")
                time.sleep(0.3)
            SERVERS[url] = server
            yield url
        finally:
            SERVERS.pop(url, None)
            _stop(server)


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    """The app's server for the whole test session; always stopped at the end."""
    SERVER_LOG.unlink(missing_ok=True)
    with running_server(tmp_path_factory.mktemp("home")) as url:
        yield url


@pytest.fixture(scope="session")
def app_url(streamlit_server):
    """The running app's base URL (the name the page tests use)."""
    return streamlit_server


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skips the browser tests when either is missing."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium); .ci/run installs it")
    with playwright_api.sync_playwright() as p:  # each launch gets a fresh, empty temporary profile
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh context and page for each test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit is connected, has finished running the script and has drawn its output.

    Uses the attributes Streamlit puts on its root for its own end-to-end tests
    (`data-test-connection-state`, `data-test-script-state`), plus: no status widget ("Running..."),
    every plotly chart drawn, no loading skeletons; all of it true twice, 300 ms apart.
    """
    app = page.locator('[data-testid="stApp"]')
    app.wait_for(state="attached", timeout=timeout_ms)
    page.wait_for_timeout(200)  # a click's rerun request may not have reached the server yet
    deadline = time.monotonic() + timeout_ms / 1000
    settled_since = None
    while time.monotonic() < deadline:
        if _idle(page, app):
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since >= 0.3:
                return
        else:
            settled_since = None
        page.wait_for_timeout(100)
    state = app.get_attribute("data-test-script-state")
    raise AssertionError(f"the app had not settled after {timeout_ms} ms (script state: {state})")


def set_number(page, label: str, value: int, timeout_ms: int = 60_000) -> None:
    """Type ``value`` into the number input labelled ``label``, press Enter and wait for the app to settle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_label(label, exact=True).first
    try:
        box.fill(str(value), timeout=timeout_ms)
    except PlaywrightTimeout as missing:  # say what the page showed instead, and keep a picture of it
        shown = page.locator('[data-testid="stMain"]').inner_text(timeout=5_000)[:2000]
        path = screenshot(page, f"no-input-{re.sub(r'[^a-z0-9]+', '-', label.lower())}")
        message = f"no number input {label!r} after {timeout_ms} ms ({path}); the page shows:\n{shown}"
        raise AssertionError(message) from missing
    box.press("Enter")
    wait_for_app(page, timeout_ms)


def _idle(page, app) -> bool:
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    drawn = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count()
    return (
        app.get_attribute("data-test-connection-state") == "CONNECTED"
        and app.get_attribute("data-test-script-state") == "notRunning"
        and page.locator('[data-testid="stStatusWidget"]').count() == 0
        and page.locator('[data-testid="stSkeleton"]').count() == 0
        and charts == drawn
    )


def assert_no_exception(page) -> None:
    """Fail with the exception's text if the app shows any exception box."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        texts = "\n---\n".join(boxes.all_inner_texts())
        print(texts)
        raise AssertionError(f"the app shows {boxes.count()} exception(s):\n{texts}")


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG to test-artifacts/screenshots/NAME.png and return its path.

    Streamlit scrolls inside its own container, not the window, so a plain full-page shot stops at
    the viewport; the viewport is stretched to the content's height for the shot, then restored.
    """
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
                 ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"]')]
                     .map(e => e.scrollHeight))"""
    )
    if size and height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height, 16_000)})
        page.wait_for_timeout(300)  # let charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    if size:
        page.set_viewport_size(size)
    return path
