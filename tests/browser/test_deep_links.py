"""A link to a page, opened as a fresh server's very first visit, still goes through app.py.

Streamlit keeps an older multipage mode for apps with a `pages/` folder beside the main script: with
one (the reason the page scripts live in app_pages/), such a first visit runs the page on its own, and every later
visitor gets a flat list of file names instead of the app's sections, and no device line.
"""

from conftest import assert_no_exception, running_server, wait_for_app


def test_a_fresh_servers_first_visit_by_deep_link_gets_the_apps_navigation(browser, tmp_path):
    with running_server(tmp_path) as url:
        for visit in ("shortcuts?preset=ResNet-34", "gradients"):  # the first visit, then a later visitor
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/{visit}")
            wait_for_app(page)
            sidebar = page.locator('[data-testid="stSidebar"]')
            assert sidebar.get_by_text("Explore the architecture").count() == 1, visit  # app.py's sections
            assert sidebar.get_by_text("Device:").count() == 1, visit
            assert page.get_by_text("Page not found").count() == 0
            assert_no_exception(page)
            if visit.startswith("shortcuts"):
                assert page.locator("h1").first.inner_text() == "Shortcuts"
                assert "preset=ResNet-34" in page.url
            context.close()
