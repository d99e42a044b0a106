"""A run name holding links, seen from another session: shown as text in its progress row, its curves' title and
a figure's legend, never as an anchor (plotly draws ``<a href>`` in legends; Markdown links bare URLs).

Waits are on states (a run's status on the page, a legend entry), never on how fast this machine trains; no page
is waited on to settle while a run trains (its live panel then reruns on a timer)."""

import re

from conftest import assert_no_exception, running_server, set_number, wait_for_app

LINK_NAME = '<a href="http://127.0.0.1:9/z">z</a> [y](http://127.0.0.1:9/y) www.example.com a@example.com'
HOSTS = ("127.0.0.1:9", "example.com")
SETTLE_MS = 180_000  # a cold server's first page imports torch: slow on a shared 2-core machine


def start_run(page, url: str, run_id: int, link: str, steps: int, until: str) -> None:
    """Start run ``run_id`` of ``steps`` steps on the network of ``link``, named LINK_NAME; wait until its
    curves' heading shows ``until`` (a status, or "" for as soon as it is there)."""
    page.goto(f"{url}/train?{link}")
    wait_for_app(page, SETTLE_MS)
    set_number(page, "Image size", 8, SETTLE_MS)
    set_number(page, "Steps", steps, SETTLE_MS)
    field = page.get_by_label("Run name")
    field.fill(LINK_NAME)
    field.press("Enter")
    wait_for_app(page, SETTLE_MS)
    page.get_by_role("button", name="Start training").click()
    heading = re.compile(rf"Curves of run #{run_id}: .*{until}")
    page.get_by_text(heading).wait_for(timeout=300_000)
    assert_no_exception(page)


def links_to_the_name(page) -> list[str]:
    """Every anchor on the page (HTML or SVG, e.g. in a plotly legend) that points where the name does."""
    hrefs = page.evaluate(
        "() => Array.from(document.querySelectorAll('a'), a => a.getAttribute('href') || a.getAttribute('xlink:href'))"
    )
    return [h for h in hrefs if h and any(host in h for host in HOSTS)]


def test_a_run_named_with_links_shows_no_link_on_another_sessions_page(browser, tmp_path):
    with running_server(tmp_path) as url:
        starter = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        # Two finished runs, one plain and one residual, for the Gradient-flow page's overlay (and its legend)...
        start_run(starter, url, 1, "preset=CIFAR%20ResNet-20", steps=20, until="finished")
        start_run(starter, url, 2, "preset=CIFAR%20ResNet-20&residual=false", steps=20, until="finished")
        # ... and one that trains while another session looks (the server stops it when the test ends).
        start_run(starter, url, 3, "preset=CIFAR%20ResNet-20", steps=5000, until="")

        viewer = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()  # another session
        viewer.goto(f"{url}/train")
        viewer.get_by_text("Curves of run #3", exact=False).wait_for(timeout=120_000)
        viewer.get_by_text("example.com", exact=False).first.wait_for(timeout=60_000)  # its progress row
        viewer.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').first.wait_for(timeout=120_000)
        assert links_to_the_name(viewer) == []

        viewer.goto(f"{url}/gradients")  # no live panel here: the page settles
        wait_for_app(viewer, SETTLE_MS)
        legend = viewer.locator('[data-testid="stPlotlyChart"] .legendtext', has_text='<a href="http://127.0.0.1')
        assert legend.count() == 2  # runs 1 and 2, named as typed
        assert links_to_the_name(viewer) == []
        assert_no_exception(viewer)
