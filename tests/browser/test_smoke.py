"""Smoke test in headless Chromium: the app's first page loads, shows a title and no exception."""

import time

from conftest import assert_no_exception, screenshot, wait_for_app


def test_home_page_loads(page, streamlit_server):
    start = time.perf_counter()
    page.goto(streamlit_server)
    title = page.locator("h1").first
    title.wait_for(state="visible", timeout=60_000)
    print(f"\ngoto -> h1 visible: {time.perf_counter() - start:.2f} s")
    wait_for_app(page)
    print(f"goto -> app settled: {time.perf_counter() - start:.2f} s")
    assert_no_exception(page)
    assert title.inner_text().strip()
    screenshot(page, "home")
