"""The Lesson in AppTest: predict, then the result; the class's answers shared between sessions, counts only."""

from __future__ import annotations

import sqlite3

import pytest
from apptest_pages import open_app_page

from resnet_viz.classroom import FILE_NAME, AnswerCounts
from resnet_viz.probes.explainable import bundled_models
from ui.lesson_steps import STEPS

LESSON = "app_pages/lesson.py"


def answer(at, step_number: int, choice: str):
    """On step ``step_number`` (1-based), pick ``choice`` and check it."""
    step = STEPS[step_number - 1]
    at.radio(key=f"lesson_choice_{step.key}").set_value(choice)
    at.button(key=f"lesson_check_{step.key}").click().run()
    assert not at.exception, at.exception
    return step


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RESNET_VIZ_HOME", str(tmp_path))
    from ui.lesson import answer_counts

    answer_counts.clear()  # the shared counts object is per server: a fresh one in this test's folder
    yield tmp_path
    answer_counts.clear()


def test_the_result_appears_only_after_predicting(home):
    at = open_app_page(LESSON, {"step": "2"})
    step = STEPS[1]
    assert at.radio(key=f"lesson_choice_{step.key}").value is None  # no answer preselected
    assert not at.get("plotly_chart") and not at.success and not at.error
    errors = bundled_models().set_index("name")["train_error"]
    higher, lower = sorted(["plain-20", "plain-56"], key=errors.get, reverse=True)
    answer(at, 2, lower)
    assert at.get("plotly_chart")  # the figure, now
    assert at.error and higher in at.error[0].value  # the manifest's higher training error is the right answer
    assert at.query_params["step"] == "2"
    at.button(key="lesson_next_top").click().run()
    assert at.query_params["step"] == "3" and at.radio(key=f"lesson_choice_{STEPS[2].key}").value is None
    at.button(key="lesson_back_bottom").click().run()
    assert at.query_params["step"] == "2" and at.radio(key=f"lesson_choice_{step.key}").value == lower  # progress kept


@pytest.mark.slow
def test_the_class_counts_are_shared_between_sessions_and_hold_no_personal_data(home):
    first = open_app_page(LESSON, {"step": "2"})
    answer(first, 2, "plain-56")
    second = open_app_page(LESSON, {"step": "2"})
    step = answer(second, 2, "plain-20")
    shown = next(m.value for m in second.markdown if "The class's answers so far" in m.value)
    assert "(2 in all" in shown and "✓ plain-56: 1" in shown and "· plain-20: 1" in shown
    assert AnswerCounts().counts(step.key) == {"plain-56": 1, "plain-20": 1}
    with sqlite3.connect(home / FILE_NAME) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        columns = [row[1] for row in db.execute("PRAGMA table_info(answer_counts)")]
        rows = db.execute("SELECT * FROM answer_counts ORDER BY choice").fetchall()
    assert tables == ["answer_counts"] and columns == ["step", "choice", "count"]  # no session, name, address, time
    assert rows == [("degradation", "plain-20", 1), ("degradation", "plain-56", 1)]
    second.button(key="lesson_reset").click().run()
    assert AnswerCounts().counts(step.key) == {}
