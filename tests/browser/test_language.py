"""中文 / English in the browser: every page renders in Chinese, and switching keeps the page and the network."""

import re

from conftest import assert_no_exception, screenshot, wait_for_app
from test_pages import PAGES

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_page_renders_in_chinese(page, app_url):
    for name, path in PAGES.items():
        page.goto(f"{app_url}/{path}?lang=zh")
        page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=60_000)
        wait_for_app(page)
        assert_no_exception(page)
        title = page.locator('[data-testid="stMainBlockContainer"] h1').first.inner_text()
        assert CJK.search(title), f"{name}: the title is not in Chinese: {title!r}"
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("残差连接").count() == 1  # the picker's "Residual connections"
        screenshot(page, f"zh-{name}")


def test_switching_language_keeps_the_page_and_the_network(page, app_url):
    page.goto(f"{app_url}/shortcuts?preset=ResNet-34")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("中文", exact=True).click()
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    assert "/shortcuts" in page.url and "preset=ResNet-34" in page.url and "lang=zh" in page.url, page.url
    assert sidebar.get_by_text("残差连接").count() == 1
    assert sidebar.locator('[data-testid="stSelectbox"]').first.inner_text().strip().startswith("ResNet-34")
    assert_no_exception(page)
    screenshot(page, "zh-switched-shortcuts-resnet34")

    sidebar.get_by_text("English", exact=True).click()
    wait_for_app(page)
    assert "lang=zh" not in page.url and "preset=ResNet-34" in page.url and "/shortcuts" in page.url, page.url
    assert sidebar.get_by_text("Residual connections").count() == 1
