"""The Lesson in the browser, in English and in Chinese: every step predicted, its result seen; a "go deeper" link
opens the full page with the step's network; a ``?step=`` link reopens that step."""

from __future__ import annotations

import pytest
from conftest import assert_no_exception, screenshot, wait_for_app

from resnet_viz import i18n
from ui.lesson_steps import STEPS

DEEPER_STEP = next(i for i, step in enumerate(STEPS) if step.page == "app_pages/shortcuts.py" and step.params)


def said(text: str, language: str) -> str:
    with i18n.use_language(language):
        return i18n._(text)


def heading(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"] h2').first.inner_text()


def predict_and_see(page, language: str, number: int) -> None:
    """Pick the first choice of the step on screen, check it, and wait for its right-or-not verdict."""
    page.locator('[data-testid="stMainBlockContainer"] [role="radiogroup"] label').first.click()
    page.get_by_role("button", name=said("Check my prediction", language)).click()
    wait_for_app(page)
    verdict = page.locator('[data-testid="stAlert"]')
    verdict.first.wait_for(timeout=60_000)
    assert_no_exception(page)
    screenshot(page, f"lesson-{language}-step{number}")


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "zh"])
def test_walk_every_step_then_go_deeper_and_reload_a_step_link(page, app_url, language):
    page.goto(f"{app_url}/lesson?step=1&lang={language}")
    wait_for_app(page)
    for number, step in enumerate(STEPS, start=1):
        assert heading(page).startswith(f"{number}. "), heading(page)
        assert said(step.title, language) in heading(page)
        assert f"step={number}" in page.url, page.url
        predict_and_see(page, language, number)
        if number < len(STEPS):
            page.get_by_role("button", name=said("Next", language)).first.click()
            wait_for_app(page)

    step = STEPS[DEEPER_STEP]
    page.goto(f"{app_url}/lesson?step={DEEPER_STEP + 1}&lang={language}")
    wait_for_app(page)
    predict_and_see(page, language, DEEPER_STEP + 1)
    link = page.locator('a[href*="shortcuts?"]').first
    href = link.get_attribute("href")
    assert f"preset={step.params['preset']}".replace(" ", "+") in href, href
    assert ("lang=zh" in href) == (language == "zh"), href  # English is this browser's own language
    page.goto(f"{app_url}/{href}")
    wait_for_app(page)
    assert page.locator("h1").first.inner_text() == said("Shortcuts", language)
    picked = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').first.input_value()
    assert step.params["preset"] in picked, picked
    assert_no_exception(page)

    page.goto(f"{app_url}/lesson?step=4&lang={language}")
    wait_for_app(page)
    page.reload()
    wait_for_app(page)
    assert heading(page).startswith("4. ") and said(STEPS[3].title, language) in heading(page)
    assert "step=4" in page.url, page.url
