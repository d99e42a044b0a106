"""The Lesson's Streamlit glue: the step in the URL (``?step=4``), back and next, predict first, then the result,
the class's answers and a link to go deeper. The steps are data (`ui.lesson_steps`); their figures and the right
choices come from `ui.lesson_figures`; a step with a precomputed experiment can also be run live (`ui.lesson_live`),
its figure then drawn beside the shipped one.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from resnet_viz.classroom import AnswerCounts
from resnet_viz.i18n import _, join_items
from resnet_viz.shipped import lesson_settings

from . import citations, language, lesson_live
from .glossary import TERMS
from .lesson_steps import STEPS, Step, step_index
from .registry import page

ANSWERS = "lesson_answers"  # session state: {step key: the choice this learner predicted} (the progress)
STEP = "step"  # the URL parameter


@st.cache_resource(show_spinner=False)
def answer_counts() -> AnswerCounts:
    """The class's counts, one file for every session on this server."""
    return AnswerCounts()


def current_index() -> int:
    """The step the URL names (1-based there), as a 0-based index."""
    return step_index(st.query_params.get(STEP))


def _go(index: int) -> None:
    st.query_params[STEP] = str(index + 1)


def navigation(index: int, where: str) -> None:
    """Back / next buttons and the step counter (``where`` keeps the two copies' widget keys apart)."""
    back, middle, forward = st.columns([1, 3, 1])
    back.button(
        _("Back"),
        key=f"lesson_back_{where}",
        icon=":material/arrow_back:",
        disabled=index == 0,
        on_click=_go,
        args=(index - 1,),
    )
    middle.caption(_("Step {number} of {total}").format(number=index + 1, total=len(STEPS)))
    forward.button(
        _("Next"),
        key=f"lesson_next_{where}",
        icon=":material/arrow_forward:",
        disabled=index == len(STEPS) - 1,
        on_click=_go,
        args=(index + 1,),
    )


def progress() -> None:
    answered = st.session_state.setdefault(ANSWERS, {})
    done = sum(step.key in answered for step in STEPS)
    st.progress(done / len(STEPS), text=_("{done} of {total} predictions made").format(done=done, total=len(STEPS)))


def deeper_url(step: Step) -> str:
    """The full page's URL with the step's network and settings (and the language) in it."""
    name = page(step.page).path.rsplit("/", 1)[-1].removesuffix(".py")
    query = urlencode({**step.params, **language.url_value()})
    return f"{name}?{query}" if query else name


def text(step: Step) -> None:
    from .lesson_figures import text_facts

    st.markdown(_(step.text).format(**text_facts()))
    st.caption(_("Sources: {sources}").format(sources="; ".join(_(source) for source in step.sources)))
    terms = [term for term in TERMS if term.english in step.terms]
    if terms:
        st.caption(
            _("Terms: {terms} (see the Glossary)").format(terms=join_items(f"{t.english} · {t.chinese}" for t in terms))
        )


def predict(step: Step) -> str | None:
    """The question and its choices; the learner's answer once given (then counted for the class)."""
    answered = st.session_state.setdefault(ANSWERS, {})
    st.markdown(_("**Predict first.** {question}").format(question=_(step.question)))
    keys = list(step.choices)
    given = answered.get(step.key)
    choice = st.radio(
        _("Your prediction"),
        keys,
        index=keys.index(given) if given in keys else None,
        format_func=lambda key: _(step.choices[key]),
        key=f"lesson_choice_{step.key}",
        disabled=given is not None,
        label_visibility="collapsed",
    )
    if given is None and st.button(_("Check my prediction"), key=f"lesson_check_{step.key}", type="primary"):
        if choice is None:
            st.warning(_("Pick one answer first."), icon=":material/touch_app:")
            return None
        answered[step.key] = choice
        answer_counts().record(step.key, choice)
        st.rerun()
    return given


def result(step: Step, given: str) -> None:
    """Right or not, the result's figure and facts, the class's answers and the link to go deeper."""
    from .lesson_figures import shown

    with st.spinner(_("Drawing the result…"), show_time=True):
        outcome = shown(step.key)
    right = _(step.choices[outcome.answer])
    if given == outcome.answer:
        st.success(_("Right: {answer}.").format(answer=right), icon=":material/check_circle:")
    else:
        st.error(_("Not quite: the answer is {answer}.").format(answer=right), icon=":material/cancel:")
    st.markdown(_(step.result).format(**outcome.facts))
    figures = st.container()  # filled below, once the live box knows whether there is a live figure to draw beside
    st.caption(_("Drawn from {source}.").format(source=_(step.figure_source)))
    live = lesson_live.control(step, outcome)
    with figures:
        if live is None:
            draw(outcome.figure, f"lesson_fig_{step.key}")
        else:
            shipped_column, live_column = st.columns(2)
            with shipped_column:
                draw(outcome.figure, f"lesson_fig_{step.key}")
                st.caption(_("Computed ahead of time, seed {seed}.").format(seed=lesson_settings()["seed"]))
            with live_column:
                draw(live[0].figure, f"lesson_live_fig_{step.key}")
                st.caption(live[1])
    class_answers(step, outcome.answer)
    st.link_button(
        _("Go deeper: {page}").format(page=_(page(step.page).title)),
        deeper_url(step),
        icon=":material/open_in_new:",
    )


def draw(figure, key: str) -> None:
    """A step's figure: a plotly chart, or a DataFrame as a table."""
    if hasattr(figure, "to_plotly_json"):
        st.plotly_chart(figure, width="stretch", key=key)
    else:
        st.dataframe(figure, hide_index=True, width="stretch")


def class_answers(step: Step, right: str) -> None:
    """How the sessions on this server answered, as counts only, the right answer marked."""
    counts = answer_counts().counts(step.key)
    total = sum(counts.values())
    lines = [
        _("{mark} {choice}: {count}").format(
            mark="✓" if key == right else "·", choice=_(label), count=counts.get(key, 0)
        )
        for key, label in step.choices.items()
    ]
    st.markdown(
        _("**The class's answers so far** ({total} in all, anonymous counts):").format(total=total)
        + "\n\n"
        + "\n".join(f"- {line}" for line in lines)
    )


def teacher_reset() -> None:
    """For a teacher: forget the class's answers (counts only; nothing else is stored)."""
    with st.expander(_("For the teacher"), icon=":material/school:"):
        st.caption(
            _(
                "The class's answers are counts per step and choice, shared by everyone using this server; nothing "
                "that identifies a person is stored. Reset them before a new class."
            )
        )
        if st.button(_("Reset the class's answers"), key="lesson_reset"):
            answer_counts().reset()
            st.toast(_("The class's answers are reset."))


def sources_footnote() -> None:
    citations.footnote(
        [
            _("{resnet}: Sec. 1, 3, 4; Fig. 1-7; Tables 1-3 and 6.").format(resnet=citations.RESNET),
            _("{identity}: Sec. 2-5.").format(identity=citations.IDENTITY),
            _("{veit}: Sec. 4.").format(veit=citations.VEIT),
            _("{li}: Fig. 5.").format(li=citations.LI),
            _("{yang}; {balduzzi}.").format(yang=citations.YANG, balduzzi=citations.BALDUZZI),
            f"{_(citations.TORCHVISION)}; {_(citations.NVIDIA)}.",
        ]
    )
