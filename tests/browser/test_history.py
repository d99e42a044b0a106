"""The browser's Back button goes back one page per press: every page adds one history entry."""

from conftest import assert_no_exception, wait_for_app


def test_back_returns_to_the_previous_page_in_one_press(page, app_url):
    """The sidebar's Home pushes one entry: the picker writes the URL before the navigation (`picker.sync_url`)."""
    page.goto(f"{app_url}/glossary?preset=CIFAR+ResNet-110")  # a shared link naming only the preset
    wait_for_app(page)
    start = page.evaluate("history.length")
    assert "style=" not in page.url  # written back as it came, not expanded: no second entry
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Home", exact=True).first.click()
    wait_for_app(page)
    assert page.evaluate("history.length") == start + 1
    page.go_back()
    wait_for_app(page)
    assert "/glossary" in page.url and "preset=CIFAR+ResNet-110" in page.url
    assert page.locator("h1").first.inner_text() == "Glossary"
    assert_no_exception(page)


def test_opening_a_page_adds_one_history_entry(page, app_url):
    """A fresh tab opened on a page (the Lesson's step link) has that page as its one new entry: the picker writes
    nothing back for the default network, so Back leaves the page at once."""
    start = page.evaluate("history.length")
    page.goto(f"{app_url}/lesson?step=2")
    wait_for_app(page)
    assert page.url.endswith("/lesson?step=2")
    assert page.evaluate("history.length") == start + 1
    page.get_by_role("button", name="Next").first.click()
    page.wait_for_function("location.search.includes('step=3')")
    wait_for_app(page)
    assert page.evaluate("history.length") == start + 2  # one entry per step
    page.go_back()
    page.wait_for_function("location.search.includes('step=2')")
    wait_for_app(page)
    assert_no_exception(page)


def test_a_link_naming_a_default_adds_one_history_entry(page, app_url):
    """A link that names a default (style=imagenet) or spells a value otherwise (residual=0) is kept as it is:
    rewritten, the page would get a second entry (`picker._url_holds`)."""
    start = page.evaluate("history.length")
    link = "/glossary?preset=Custom+depth&depth=14&style=imagenet&residual=0"
    page.goto(app_url + link)
    wait_for_app(page)
    assert page.url.endswith(link)
    assert page.evaluate("history.length") == start + 1
    assert_no_exception(page)
