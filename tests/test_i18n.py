"""Both languages, everywhere: the Chinese catalog is complete and current, and no page shows the other language."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from apptest_pages import open_app_page
from i18n_scan import chinese_text, english_prose, page_texts

from resnet_viz import i18n
from ui.registry import PAGES

ROOT = Path(__file__).resolve().parents[1]
PO = i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
MO = PO.with_suffix(".mo")


def _source_messages() -> set[str]:
    """Every msgid Babel extracts from the code, as `pybabel extract -F babel.cfg` does."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog():
    from babel.messages.pofile import read_po

    with open(PO, "rb") as file:
        return read_po(file, locale="zh")


def test_every_string_in_the_code_has_a_chinese_translation():
    catalog = _catalog()
    missing = sorted(m for m in _source_messages() if m not in catalog or not catalog[m].string)
    assert not missing, f"{len(missing)} untranslated (see README): {missing[:10]}"


def test_the_catalog_has_no_stale_or_fuzzy_entries():
    catalog = _catalog()
    source = _source_messages()
    stale = sorted(m.id for m in catalog if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in source)
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not stale, f"entries no longer in the code: {stale[:10]}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy[:10]}"
    assert not catalog.obsolete


def test_the_compiled_catalog_is_current():
    catalog = _catalog()
    with open(MO, "rb") as file:
        compiled = gettext.GNUTranslations(file)
    expected = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}
    shipped = {k: v for k, v in compiled._catalog.items() if k and isinstance(k, str)}
    assert shipped == expected, ".mo older than .po: run `pybabel compile -d resnet_viz/locales -D resnet_viz`"


def test_placeholders_survive_translation():
    import re

    names = re.compile(r"\{[a-z_]*\}")
    for message in _catalog():
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(names.findall(message.id)) == sorted(names.findall(message.string)), message.id


def test_language_follows_the_url_and_unknown_values_fall_back_to_english():
    assert i18n.normalize_language("zh-CN") == "zh"
    assert i18n.normalize_language("xx") == "en"
    with i18n.use_language("zh"):
        assert i18n.gettext("Model") != "Model"
    with i18n.use_language("klingon"):
        assert i18n.gettext("Model") == "Model"


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_a_chinese_page_shows_no_english_prose(page):
    at = open_app_page(page, {"lang": "zh"})
    found = {run for text in page_texts(at) for run in english_prose(text)}
    assert not found, f"untranslated on {page}: {sorted(found)[:15]}"


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_an_english_page_shows_no_chinese(page):
    at = open_app_page(page, {"lang": "en"})
    found = [text[:60] for text in page_texts(at) if chinese_text(text)]
    assert not found, f"Chinese on the English {page}: {found[:10]}"
