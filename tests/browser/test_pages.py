"""End to end in headless Chromium: every page renders, the residual toggle redraws the arcs."""

import json
import time

from conftest import assert_no_exception, screenshot, wait_for_app

PAGES = {
    "home": "",
    "lesson": "lesson",
    "architecture": "architecture",
    "shortcuts": "shortcuts",
    "train": "train",
    "degradation": "degradation",
    "identity_mappings": "identity_mappings",
    "gradients": "gradients",
    "attribution": "attribution",
    "why_it_works": "why_it_works",
    "glossary": "glossary",
}


def test_every_page_renders_without_exception(page, app_url):
    timings = {}
    for name, path in PAGES.items():
        start = time.perf_counter()
        page.goto(f"{app_url}/{path}")
        page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
        timings[name] = time.perf_counter() - start
        wait_for_app(page)
        screenshot(page, name)
        assert_no_exception(page)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Residual connections").count() == 1
    print("navigation -> title visible (s):", json.dumps({k: round(v, 2) for k, v in timings.items()}))


def arc_styles(page) -> list[str]:
    """Dash styles of the shortcut arcs in the page's first plotly chart (read from the live figure)."""
    return page.evaluate(
        """() => {
            const plot = document.querySelector('.js-plotly-plot');
            if (!plot || !plot.data) return null;
            return plot.data.filter(t => t.meta && t.meta.role === 'shortcut')
                            .map(t => (t.line && t.line.dash) || 'solid');
        }"""
    )


def test_residual_toggle_changes_the_arcs(page, app_url):
    page.goto(f"{app_url}/shortcuts?preset=ResNet-34")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.get_by_text("Fold repeated identical blocks").click()
    wait_for_app(page)
    page.wait_for_timeout(500)
    styles = arc_styles(page)
    assert styles.count("dash") == 3 and styles.count("solid") == 13, styles
    screenshot(page, "shortcuts-resnet34-unfolded")

    page.locator('[data-testid="stSidebar"]').get_by_text("Residual connections").click()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert arc_styles(page) == []
    assert page.get_by_text("This is a plain network").count() == 1
    assert "residual=false" in page.url
    assert_no_exception(page)
    screenshot(page, "shortcuts-plain34")


def test_url_reopens_the_same_view(page, app_url):
    page.goto(f"{app_url}/architecture?preset=CIFAR+ResNet-56&residual=false")
    wait_for_app(page)
    assert page.get_by_text("plain-56 (CIFAR)").count() >= 1
    assert_no_exception(page)


def test_changing_the_network_redraws_the_architecture_page(page, app_url):
    page.goto(f"{app_url}/architecture")
    wait_for_app(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    start = time.perf_counter()
    page.get_by_role("option", name="ResNet-152").click()
    page.get_by_text("60.2M", exact=True).first.wait_for(timeout=60_000)  # ResNet-152's parameters, in a metric
    wait_for_app(page)
    print(f"ResNet-18 -> ResNet-152 redraw (s): {time.perf_counter() - start:.2f}")
    assert_no_exception(page)
    assert "preset=ResNet-152" in page.url
    screenshot(page, "architecture-resnet152")
    start = time.perf_counter()
    sidebar.get_by_text("Residual connections").click()
    page.get_by_text("plain-152").first.wait_for(timeout=60_000)
    wait_for_app(page)
    print(f"ResNet-152 residual -> plain redraw (s): {time.perf_counter() - start:.2f}")
    assert_no_exception(page)


def test_an_impossible_network_in_the_url_gets_a_message_and_the_app_keeps_working(page, app_url):
    page.goto(f"{app_url}/architecture?preset=Custom+depth&depth=7")
    wait_for_app(page)
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 1
    assert "Nearest valid depths" in page.locator('[data-testid="stAlertContentError"]').inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Device:").count() == 1  # the page stopped early, the frame did not
    screenshot(page, "architecture-impossible-depth")
