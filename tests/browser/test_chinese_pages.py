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
    screenshot(page, "zh-switched-shortcuts-resnet34")
    picked = sidebar.locator('[data-testid="stSelectbox"] input').first.input_value()
    assert "ResNet-34" in picked, picked  # the network picked before the switch
    assert_no_exception(page)

    sidebar.get_by_text("English", exact=True).click()
    wait_for_app(page)
    assert "lang=zh" not in page.url and "preset=ResNet-34" in page.url and "/shortcuts" in page.url, page.url
    assert sidebar.get_by_text("Residual connections").count() == 1


def test_a_chinese_browser_gets_chinese_without_lang_in_the_link(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{app_url}/architecture?preset=ResNet-50")
        wait_for_app(page)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("残差连接").count() == 1
        page.goto(f"{app_url}/architecture?preset=ResNet-50&lang=en")  # the link's language wins
        wait_for_app(page)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("Residual connections").count() == 1
    finally:
        context.close()
