"""Live training panels in a real browser: every tab sees a run and can stop it, polling stops when it ends, names
are text. The tests stop their runs themselves: no wait depends on how fast this machine trains."""

import re
import time

from conftest import assert_no_exception, screenshot, set_number, wait_for_app

HOSTILE_NAME = "![t](http://127.0.0.1:9/x.png) <b>bold</b> $x$"


def script_runs_during(page, seconds: float) -> int:
    """How many times the page's script (or a fragment of it) started running in ``seconds``."""
    app = page.locator('[data-testid="stApp"]')
    runs, was_running, end = 0, False, time.monotonic() + seconds
    while time.monotonic() < end:
        running = app.get_attribute("data-test-script-state") == "running"
        runs += running and not was_running
        was_running = running
        page.wait_for_timeout(50)
    return runs


def test_a_run_is_seen_live_from_another_tab_its_name_stays_text_and_polling_stops(browser, app_url):
    fetched = []
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.on("request", lambda request: fetched.append(request.url) if ":9/" in request.url else None)
    starter = context.new_page()
    starter.goto(f"{app_url}/train?preset=CIFAR%20ResNet-20")
    wait_for_app(starter)
    set_number(starter, "Image size", 8)
    set_number(starter, "Steps", 5000)  # the second tab stops it: it is still running whenever that tab loads
    name = starter.get_by_label("Run name")
    name.fill(HOSTILE_NAME)
    name.press("Enter")
    wait_for_app(starter)
    starter.get_by_role("button", name="Start training").click()
    starter.wait_for_timeout(500)

    viewer = context.new_page()  # a second tab, a second session
    viewer.goto(f"{app_url}/train?preset=CIFAR%20ResNet-20")
    viewer.get_by_text("Runs in progress").wait_for(timeout=60_000)
    viewer.get_by_role("button", name="Stop").first.wait_for(timeout=60_000)  # any tab can stop it
    viewer.get_by_text(HOSTILE_NAME.split(" <b>")[0], exact=False).first.wait_for(timeout=60_000)  # shown as text
    assert viewer.locator("img[src*='127.0.0.1:9']").count() == 0 and viewer.locator("b", has_text="bold").count() == 0

    curves = '[data-testid="stPlotlyChart"]:has-text("training loss")'
    viewer.locator(curves).first.wait_for(timeout=120_000)  # the run has logged a step: its curves are drawn

    # The viewer stops the run itself (so the test never waits on how fast this machine trains); once nothing
    # trains, the page must sit still: no fragment rerunning every second.
    viewer.get_by_role("button", name="Stop").first.click()
    viewer.get_by_text("No run is training now").wait_for(timeout=60_000)
    wait_for_app(viewer)
    assert script_runs_during(viewer, 4.0) == 0
    # Both tabs keep the stopped run's curves: the one that started it and the one that only watched it.
    for tab in (starter, viewer):
        tab.get_by_text("No run is training now").wait_for(timeout=60_000)
        wait_for_app(tab)
        assert tab.get_by_text(re.compile(r"Curves of run #\d+")).count() == 1
        assert tab.locator(curves).count() == 1
    screenshot(viewer, "train-after-run")
    assert_no_exception(viewer)
    assert fetched == []  # nobody's browser fetched the URL hidden in the run name
    context.close()


def test_degradation_lab_shows_all_curves_first_and_stops_polling(page, app_url):
    page.goto(f"{app_url}/degradation")
    wait_for_app(page)
    set_number(page, "Image size", 8)
    set_number(page, "Steps", 5000)  # stopped below, once every curve is drawn
    page.get_by_role("button", name="Launch the comparison").click()
    page.wait_for_function(f"({DRAWN_RUN_IDS})().length === 4", timeout=90_000)
    # The results come first, above the set-up: the live curves are in view without scrolling, beside the
    # results computed ahead of time.
    top = page.evaluate(LIVE_CHART_TOP)
    screenshot(page, "degradation-launched")
    assert top is not None and top < 1000, top
    ahead = page.locator('[data-testid="stPlotlyChart"]', has_text="plain networks").first
    assert ahead.is_visible() and page.get_by_text("Computed ahead of time").first.is_visible()
    page.get_by_role("button", name="Stop this comparison").click()
    page.get_by_text("Stop this comparison").wait_for(state="detached", timeout=60_000)
    wait_for_app(page)
    assert script_runs_during(page, 4.0) == 0
    screenshot(page, "degradation-finished")
    assert_no_exception(page)


def queued_ids(page) -> set[int]:
    """The run ids of the launch toast ("Runs #5, #6, #7, #8 queued") that the page shows now."""
    toast = page.get_by_text(re.compile(r"^Runs (#\d+, )*#\d+ queued$")).last
    toast.wait_for(timeout=60_000)
    return {int(i) for i in re.findall(r"#(\d+)", toast.inner_text())}


# The run ids of the error curves in the page's first chart of stored runs (the Degradation lab's Figure 6 of the
# learner's comparison; the results computed ahead of time, drawn beside it, carry negative ids).
DRAWN_RUN_IDS = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
    const ids = chart => (chart.data || []).filter(t => t.meta && t.meta.curve && t.meta.run_id > 0)
        .map(t => t.meta.run_id);
    const chart = charts.find(c => ids(c).length);
    return chart ? [...new Set(ids(chart))].sort((a, b) => a - b) : [];
}"""


# The top (px) of the first chart of stored runs: the learner's live comparison.
LIVE_CHART_TOP = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
    const chart = charts.find(c => (c.data || []).some(t => t.meta && t.meta.curve && t.meta.run_id > 0));
    return chart ? chart.getBoundingClientRect().top : null;
}"""


def open_setup(page) -> None:
    """With a comparison on the page, the set-up sits in a collapsed expander below it: open it."""
    launch = page.get_by_role("button", name="Launch the comparison")
    if not launch.is_visible():
        page.get_by_text("Set up another comparison").click()
        launch.wait_for(state="visible", timeout=60_000)


def test_a_second_degradation_launch_shows_its_own_curves(page, app_url):
    page.goto(f"{app_url}/degradation")
    wait_for_app(page)
    open_setup(page)  # other tests' comparisons may be on the page already
    set_number(page, "Image size", 8)
    set_number(page, "Steps", 5000)  # each launch is stopped below, once its curves are drawn
    launches = []
    for _launch in range(2):
        open_setup(page)
        page.get_by_role("button", name="Launch the comparison").click()
        launches.append(queued_ids(page))
        page.wait_for_function(f"({DRAWN_RUN_IDS})().join() === {sorted(launches[-1])!r}.join()", timeout=90_000)
        page.get_by_role("button", name="Stop this comparison").click()
        page.get_by_text("Stop this comparison").wait_for(state="detached", timeout=60_000)
        wait_for_app(page)
    assert len(launches[1]) == 4 and not launches[0] & launches[1]
    assert sorted(page.evaluate(DRAWN_RUN_IDS)) == sorted(launches[1])  # still the second launch, after it stopped
    screenshot(page, "degradation-second-launch")
    assert_no_exception(page)
