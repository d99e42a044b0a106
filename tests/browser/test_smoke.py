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
    # The bundled curves, drawn as an inline SVG (no Plotly on Home): four networks, each point with its hover text.
    picture = page.locator('[data-testid="stMarkdownContainer"] svg[role="img"]')
    assert picture.count() == 1 and picture.locator("polyline").count() == 4
    assert picture.bounding_box()["width"] > 300
    hovers = picture.locator("circle title").evaluate_all("titles => titles.map(t => t.textContent)")
    assert any(h.startswith("plain-56 train · step 400:") for h in hovers), hovers
    screenshot(page, "home")
