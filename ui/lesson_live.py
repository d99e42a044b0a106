""" "Run it yourself, live" under a Lesson step whose result was computed ahead of time.

The learner picks a seed (another batch of test pictures, random direction or initialisation; the shipped results
used seed 0) and runs the step's experiment now, on this server's CPU, by the same library function and settings
``python -m resnet_viz lesson-results`` used (`lesson_figures.experiment_tables`, `lesson_figures.live_settings`).
The live tables go through the step's own figure and answer function (`lesson_figures.shown_from`), so whether
the live run agrees with the shipped answer is computed, never written down.

A class may press it at once: results are cached per (step, settings with the seed) for every session, so identical
requests share one computation (Streamlit holds a lock per cache key), and different ones run one after another.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from resnet_viz import i18n
from resnet_viz.i18n import _
from resnet_viz.shipped import lesson_settings

from . import lesson_figures
from .lesson_figures import FROM_EXPERIMENT, Shown
from .lesson_steps import Step

LIVE = "lesson_live"  # session state: {step key: Live}, this learner's last live run of each step
DEFAULT_SEED = 1  # not the shipped seed 0, so the first live run is not a copy of the shipped one


@dataclass(frozen=True)
class Live:
    settings: dict  # what it ran with (`lesson_figures.live_settings`), the seed included
    tables: dict[str, pd.DataFrame]  # {name: table}, as `experiment_tables` returns them
    seconds: float  # how long the computation took (once per server for identical requests)


@st.cache_resource(show_spinner=False)
def _one_at_a_time() -> threading.Lock:
    """Held while a live experiment runs: on a 2-core server two of them side by side would each take twice as
    long, so different requests queue."""
    return threading.Lock()


@st.cache_data(show_spinner=False, max_entries=32)
def _computed(key: str, settings: dict) -> Live:
    """Step ``key``'s experiment at ``settings``, for every session on this server."""
    with _one_at_a_time():
        started = time.perf_counter()
        tables = lesson_figures.experiment_tables(key, settings)
        return Live(settings, tables, time.perf_counter() - started)


def offered(step: Step) -> bool:
    """Every step drawn from a precomputed experiment: each runs live in under a minute on an idle 2-core CPU
    (benchmarks/bench_lesson.py --live; the slowest, the lesion study, about 12 CPU seconds on one thread)."""
    return step.key in FROM_EXPERIMENT


def _short(err: BaseException) -> str:
    """The first line of an error, at most 200 characters: enough to say why, never a traceback."""
    lines = str(err).strip().splitlines() or [type(err).__name__]
    return lines[0][:200]


def _run(step: Step, seed: int) -> Live | None:
    """Compute (or share) the live run, with a spinner; None after a short message if it failed."""
    settings = lesson_figures.live_settings(seed)
    message = _(
        "Running the experiment live on this server with seed {seed} (under a minute on 2 CPU cores; learners "
        "asking for the same seed share one run)…"
    ).format(seed=seed)
    try:
        with st.spinner(message, show_time=True):
            return _computed(step.key, settings)
    except (MemoryError, RuntimeError, ValueError, OSError) as err:
        st.error(
            _("The live run failed: {reason}. The result computed ahead of time still stands.").format(
                reason=_short(err)
            ),
            icon=":material/error:",
        )
        return None


def control(step: Step, shipped: Shown) -> tuple[Shown, str] | None:
    """The "Run it yourself, live" box under step ``step``'s result ``shipped`` (computed ahead of time).

    Returns this learner's live result, once run, as (the step's `Shown` from the live tables, its caption
    naming the seed and the seconds), for the page to draw beside the shipped figure; None before.
    """
    if not offered(step):
        return None
    runs = st.session_state.setdefault(LIVE, {})
    with st.container(border=True):
        st.markdown(_("**Run it yourself, live**"))
        st.caption(
            _(
                "The same experiment with the same settings, run now on this server's CPU with a seed you choose: "
                "another batch of test pictures, random direction or initialisation. The result computed ahead of "
                "time used seed {seed}."
            ).format(seed=lesson_settings()["seed"])
        )
        seed_column, button_column = st.columns([1, 2], vertical_alignment="bottom")
        seed = seed_column.number_input(
            _("Seed"), min_value=0, max_value=9999, value=DEFAULT_SEED, step=1, key=f"lesson_live_seed_{step.key}"
        )
        if button_column.button(
            _("Run it yourself, live"), key=f"lesson_live_{step.key}", icon=":material/play_arrow:"
        ):
            live = _run(step, int(seed))
            if live is not None:
                runs[step.key] = live
        live = runs.get(step.key)
        if live is None:
            return None
        outcome = lesson_figures.shown_from(step.key, live.tables, live.settings, i18n.language())
        agreement(step, shipped, outcome, live.settings["seed"])
        st.markdown(_("Live: {result}").format(result=_(step.result).format(**outcome.facts)))
    label = _("Live, seed {seed}: computed on this server in {seconds:.1f} s.").format(
        seed=live.settings["seed"], seconds=live.seconds
    )
    return outcome, label


def agreement(step: Step, shipped: Shown, live: Shown, seed: int) -> None:
    """One sentence: does the live run give the answer the shipped result gives (both decided by the step's own
    answer function)?"""
    if live.answer == shipped.answer:
        st.success(
            _("The live result (seed {seed}) agrees with the one computed ahead of time: {answer}.").format(
                seed=seed, answer=_(step.choices[shipped.answer])
            ),
            icon=":material/check_circle:",
        )
    else:
        st.warning(
            _(
                "The live result (seed {seed}) gives a different answer, {live}, from the one computed ahead of time, "
                "{shipped}: with other pictures, direction or initialisation the result can change."
            ).format(seed=seed, live=_(step.choices[live.answer]), shipped=_(step.choices[shipped.answer])),
            icon=":material/compare_arrows:",
        )
