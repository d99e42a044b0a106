r"""Translations: GNU gettext catalogs, one ``_()`` per user-visible string, the language chosen per user.

Every string a user reads is written in English inside ``_()`` (or ``N_()`` where it is defined before
it is shown, e.g. a table's column names or a module-level dict of labels, then translated with
``_(value)`` where it is shown). Babel extracts them into ``locales/resnet_viz.pot``; the Chinese
catalog ``locales/zh/LC_MESSAGES/resnet_viz.po`` holds the translations and is compiled to the ``.mo``
file that the standard library's `gettext` reads at run time (Babel is needed only to extract and
compile). The workflow, also in the README::

    pybabel extract -F babel.cfg -o resnet_viz/locales/resnet_viz.pot .
    pybabel update -i resnet_viz/locales/resnet_viz.pot -d resnet_viz/locales -D resnet_viz \
        --no-fuzzy-matching --ignore-obsolete
    pybabel compile -d resnet_viz/locales -D resnet_viz      # after filling in the new msgstr entries

The language belongs to a user, not to the process: one server teaches a whole class, some in Chinese,
some in English. The app registers a resolver (`set_language_resolver`) that reads the current user's
choice; code outside the app (tests, the command line) uses `use_language`. Anything else (a training
worker thread) gets English. Placeholders are named (``_("{depth} layers").format(depth=...)``) so a
translation may put them in another order; f-strings cannot be extracted and are not used inside ``_()``.
"""

from __future__ import annotations

import contextvars
import functools
import gettext as _gettext
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}  # code -> the language's name in itself (the switch's labels)
DEFAULT_LANGUAGE = "en"
DOMAIN = "resnet_viz"
LOCALE_DIR = Path(__file__).with_name("locales")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("resnet_viz_language", default=None)
_resolver: Callable[[], str | None] | None = None


def normalize_language(value: object) -> str:
    """A language code from a URL value or a browser locale ("zh", "zh-CN", "zh_TW", "EN-us"), else English."""
    text = str(value or "").strip().lower().replace("_", "-")
    code = text.split("-", 1)[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog for ``language`` (English, the source language, is the identity)."""
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def set_language_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Register the function that tells the current user's language (the app reads its session state)."""
    global _resolver
    _resolver = resolver


def language() -> str:
    """The language for the current call: `use_language` if active, else the resolver's answer, else English."""
    chosen = _chosen.get()
    if chosen is None and _resolver is not None:
        chosen = _resolver()
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def use_language(code: str) -> Iterator[None]:
    """Translate into ``code`` inside the block (tests, the command line, a figure built for one user)."""
    token = _chosen.set(normalize_language(code))
    try:
        yield
    finally:
        _chosen.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language (itself where no translation exists)."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for ``count``, in the current language."""
    return translations(language()).ngettext(singular, plural, count)


def N_(message: str) -> str:  # noqa: N802 (gettext's conventional name)
    """Mark ``message`` for extraction without translating it now; translate it with ``_()`` where shown."""
    return message


def join_items(items: Iterable[object]) -> str:
    """The items of a list inside a sentence, joined the current language's way: "18, 34, 50" or "18、34、50"."""
    # Translators: the separator between the items of a list inside a sentence (Chinese: the enumeration comma 、).
    return gettext(", ").join(str(item) for item in items)


_ = gettext
