"""The Architecture page's name search finds what its placeholder suggests, in the default collapsed view."""

from conftest import assert_no_exception, wait_for_app


def test_searching_downsample_finds_the_blocks_that_project(page, app_url):
    page.goto(f"{app_url}/architecture?preset=ResNet-34")
    wait_for_app(page)
    page.get_by_role("tab", name="Every layer").click()
    search = page.get_by_placeholder("downsample", exact=False)
    search.fill("downsample")
    search.press("Enter")
    wait_for_app(page)
    shown = page.locator('[data-testid="stMetric"]:visible').filter(has_text="Rows shown").inner_text()
    assert "3 of 22" in shown  # conv3_1, conv4_1, conv5_1: the blocks whose shortcut projects
    assert_no_exception(page)
