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


LIVE_STEP = next(number for number, step in enumerate(STEPS, start=1) if step.key == "residual")


def test_a_live_run_is_drawn_beside_the_shipped_result_and_says_whether_it_agrees(home, monkeypatch):
    """After answering, "Run it yourself, live" runs the step's experiment (at `CHECK`'s small size here) with the
    learner's seed and draws it beside the shipped figure, with its seed, its seconds and a computed verdict."""
    from resnet_viz.probes.lesson_results import CHECK
    from ui import lesson_figures

    monkeypatch.setattr(lesson_figures, "live_settings", lambda seed: {**CHECK, "seed": int(seed)})
    at = open_app_page(LESSON, {"step": str(LIVE_STEP)})
    step = answer(at, LIVE_STEP, "smaller")
    assert len(at.get("plotly_chart")) == 1  # the shipped figure only, until the learner runs it
    at.number_input(key=f"lesson_live_seed_{step.key}").set_value(2)
    at.button(key=f"lesson_live_{step.key}").click().run()
    assert not at.exception, at.exception
    assert len(at.get("plotly_chart")) == 2  # shipped and live, side by side
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Live, seed 2: computed on this server in ") for c in captions), captions
    assert any(c == "Computed ahead of time, seed 0." for c in captions), captions
    settings = {**CHECK, "seed": 2}
    live = lesson_figures.shown_from(step.key, lesson_figures.experiment_tables(step.key, settings), settings, "en")
    agrees = live.answer == lesson_figures.shown(step.key).answer
    sentences = [m.value for m in (at.success if agrees else at.warning) if "The live result (seed 2)" in m.value]
    assert sentences and ("agrees" in sentences[0]) == agrees, sentences
    assert any(m.value.startswith("Live: Median") and live.facts["trained"] in m.value for m in at.markdown)


def test_the_shipped_and_the_live_results_go_through_the_step_s_own_answer_function(monkeypatch):
    """Each experiment step's shipped figure and a live run's both call its one function of (tables, settings)."""
    import pandas as pd

    from resnet_viz.shipped import lesson_results, lesson_settings
    from ui import lesson_figures

    for key, (experiment, draw) in list(lesson_figures.FROM_EXPERIMENT.items()):
        seen = []

        def spy(tables, settings, draw=draw, seen=seen):
            seen.append(settings)
            return draw(tables, settings)

        monkeypatch.setitem(lesson_figures.FROM_EXPERIMENT, key, (experiment, spy))
        shipped = lesson_figures.shown(key)
        tables = {name: pd.DataFrame(table) for name, table in lesson_results(experiment).items()}
        again = lesson_figures.shown_from(key, tables, lesson_settings(), "en")
        assert seen == [lesson_settings()] * 2, key
        assert (again.answer, again.facts) == (shipped.answer, shipped.facts), key


@pytest.mark.slow
def test_a_live_run_at_seed_0_repeats_the_recorded_check():
    """The live path at `CHECK`'s settings and seed 0 gives the answers and facts of the tables the command
    recorded at that size: live and shipped are the same computation, read by the same function."""
    import json

    import pandas as pd

    from resnet_viz.probes.lesson_results import CHECK
    from resnet_viz.shipped import LESSON_PATH
    from ui import lesson_figures

    recorded = json.loads(LESSON_PATH.read_text())["check"]["results"]
    for key, (experiment, _draw) in lesson_figures.FROM_EXPERIMENT.items():
        shipped = {name: pd.DataFrame(rows) for name, rows in recorded[experiment].items()}
        expected = lesson_figures.shown_from(key, shipped, CHECK, "en")
        live = lesson_figures.shown_from(key, lesson_figures.experiment_tables(key, CHECK), CHECK, "en")
        assert (live.answer, live.facts) == (expected.answer, expected.facts), key


def test_a_failed_live_run_is_a_short_message_and_the_shipped_result_stays(home, monkeypatch):
    from resnet_viz.probes.lesson_results import CHECK
    from ui import lesson_figures

    def out_of_memory(key, settings):
        raise RuntimeError("DefaultCPUAllocator: not enough memory\nTraceback (most recent call last): ...")

    monkeypatch.setattr(lesson_figures, "live_settings", lambda seed: {**CHECK, "seed": int(seed)})
    monkeypatch.setattr(lesson_figures, "experiment_tables", out_of_memory)
    at = open_app_page(LESSON, {"step": str(LIVE_STEP)})
    step = answer(at, LIVE_STEP, "smaller")
    at.number_input(key=f"lesson_live_seed_{step.key}").set_value(3)
    at.button(key=f"lesson_live_{step.key}").click().run()
    assert not at.exception, at.exception
    failed = [e.value for e in at.error if e.value.startswith("The live run failed")]
    assert failed == [
        "The live run failed: DefaultCPUAllocator: not enough memory. The result computed ahead of time still stands."
    ]
    assert len(at.get("plotly_chart")) == 1  # the shipped figure, alone
