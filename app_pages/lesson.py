"""Lesson: the study notes' story in a dozen steps; predict first, then see it happen. Thin: see ui/lesson.py."""

import streamlit as st

from resnet_viz.i18n import _
from ui import lesson
from ui.lesson_steps import STEPS

st.title(_("Lesson: why residual networks work"))
st.caption(
    _(
        "Thirteen short steps, in the order of the study notes. Each asks you to predict before it shows the result, "
        "drawn from the models that ship with the app, the papers' numbers or the app's own tables. The step is in "
        "the URL: send it to share one step."
    )
)
index = lesson.current_index()
step = STEPS[index]
lesson.progress()
lesson.navigation(index, "top")
st.header(_("{number}. {title}").format(number=index + 1, title=_(step.title)))
lesson.text(step)
given = lesson.predict(step)
if given is not None:
    lesson.result(step, given)
st.divider()
lesson.navigation(index, "bottom")
lesson.teacher_reset()
lesson.sources_footnote()
