"""Glossary: the key terms in English and in Chinese, one sentence each, its source, and the page that shows it."""

import streamlit as st

from resnet_viz import i18n
from resnet_viz.i18n import _
from ui import citations as sources
from ui import frame
from ui.glossary import TERMS

st.title(_("Glossary"))
st.markdown(
    _(
        "The words of the papers and of this app, each in English and in Chinese, so that the two vocabularies "
        "meet: what the term means in one sentence, where it comes from, and the page (and the part of it) where "
        "the app shows it."
    )
)

own_first = i18n.language() == "zh"  # both terms in both languages; the reader's own one first
for term in TERMS:
    with st.container(border=True):
        name, meaning, where = st.columns([2, 5, 2], gap="medium")
        first, second = (term.chinese, term.english) if own_first else (term.english, term.chinese)
        name.markdown(f"**{first}**  \n{second}")
        meaning.markdown(_(term.meaning))
        meaning.caption(_(term.source))
        with where:
            frame.page_link(term.page)
            st.caption(_("Section: {section}").format(section=_(term.section)))

sources.footnote(
    [
        _(
            "{resnet}: degradation, plain networks, residual learning, shortcut connections and options A, B "
            "and C, BN after each convolution, bottleneck blocks."
        ).format(resnet=sources.RESNET),
        _("{identity}: identity mappings, the gradient's '1 +' term (Eq. 4-5), pre-activation.").format(
            identity=sources.IDENTITY
        ),
        _("{veit}: lesion study, ensemble of paths.").format(veit=sources.VEIT),
        _("{li}: loss landscape, filter-normalised directions.").format(li=sources.LI),
        _("{selvaraju}: Grad-CAM.").format(selvaraju=sources.SELVARAJU),
        _("{torchvision}.").format(torchvision=sources.TORCHVISION),
        _("{nvidia}: v1.5's accuracy against v1.").format(nvidia=sources.NVIDIA),
    ]
)
