"""The bilingual glossary: both terms in both languages, an explanation in the reader's, links to registered pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest_pages import open_app_page

from resnet_viz import i18n
from ui.glossary import TERMS
from ui.registry import PAGES, page

PAGE = "app_pages/glossary.py"


def url_name(path: str) -> str:
    """What st.page_link records as the target: the page's URL path ("" for the default page)."""
    return "" if page(path).default else Path(path).stem


def test_every_term_is_complete_and_points_to_a_registered_page():
    registered = {p.path for p in PAGES}
    assert len(TERMS) >= 20 and len({t.english for t in TERMS}) == len(TERMS)
    for term in TERMS:
        assert term.page in registered, term
        assert term.english and term.chinese and term.meaning and term.source and term.section, term
        with i18n.use_language("zh"):
            assert i18n.gettext(term.meaning) != term.meaning, f"no Chinese explanation for {term.english}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_shows_both_terms_an_explanation_in_its_language_and_links(lang):
    at = open_app_page(PAGE, {"lang": lang})
    with i18n.use_language(lang):
        assert at.title[0].value == i18n.gettext("Glossary")
        shown = "\n".join(m.value for m in at.main.markdown)
        for term in TERMS:
            assert term.english in shown and term.chinese in shown, term.english
            assert i18n.gettext(term.meaning) in shown, term.english
        links = at.get("page_link")
        assert [link.proto.page for link in links] == [url_name(t.page) for t in TERMS]
        assert [link.proto.label for link in links] == [i18n.gettext(page(t.page).title) for t in TERMS]
    assert not at.exception
