"""The app in front of a local Ray cluster (RESNET_VIZ_RAY=local), in a real browser: a run started on the Train
page trains on the cluster and a second tab watches its curves grow, then stops it."""

import re

import pytest
from conftest import assert_no_exception, running_server, screenshot, set_number, wait_for_app

pytest.importorskip("ray", reason="Ray is not installed (pip install -r requirements-cluster.txt)")

# The points drawn in the page's charts (plotly's count of each trace's points, whatever the encoding of its x).
POINTS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
    .flatMap(chart => chart._fullData || []).reduce((n, trace) => n + (trace._length || 0), 0)"""

SETTLE_MS = 180_000  # a rerun that measures this machine's speed for the budget line is slow on a loaded machine


@pytest.fixture(scope="module")
def ray_app_url(tmp_path_factory):
    """A server of its own whose queue sends runs to a Ray cluster it starts inside itself."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RESNET_VIZ_RAY", "local")
        with running_server(tmp_path_factory.mktemp("ray-home")) as url:
            yield url


def test_a_run_started_on_the_train_page_trains_on_ray_and_another_tab_sees_its_curves_grow(browser, ray_app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    starter = context.new_page()
    starter.goto(f"{ray_app_url}/train?preset=CIFAR%20ResNet-20")
    wait_for_app(starter, timeout_ms=SETTLE_MS)  # the first page also starts the cluster
    starter.get_by_text("Device: Ray cluster at local").wait_for(timeout=60_000)
    set_number(starter, "Image size", 8, SETTLE_MS)
    set_number(starter, "Steps", 100_000, SETTLE_MS)  # the second tab stops it
    starter.get_by_role("button", name="Start training").click()

    viewer = context.new_page()  # a second tab, a second session
    viewer.goto(f"{ray_app_url}/train")
    viewer.get_by_text("on ray: CPU").first.wait_for(timeout=120_000)  # its progress line: it trains on the cluster
    viewer.wait_for_function(f"({POINTS})() > 0", timeout=120_000, polling=500)
    drawn = viewer.evaluate(POINTS)
    viewer.wait_for_function(f"({POINTS})() > {drawn}", timeout=120_000, polling=500)  # the live panel redraws
    screenshot(viewer, "train-on-ray")
    assert_no_exception(viewer)

    viewer.get_by_role("button", name="Stop").first.click()
    viewer.get_by_text("No run is training now").wait_for(timeout=60_000)
    # The starter's tab still shows its run's curves, stopped.
    starter.get_by_text(re.compile(r"^Curves of run #\d+: .* · ⏹️ stopped$")).wait_for(timeout=60_000)
    assert_no_exception(viewer)
    assert_no_exception(starter)
    context.close()
