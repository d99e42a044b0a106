"""Text for the page: what one user typed, made safe for every user to see, and translated widget labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from resnet_viz.i18n import _

# What Markdown (and Streamlit's extensions) turn into something other than text: links and images
# ([ ] !), HTML (< >), math ($), emoji, icons and coloured text (:name: :red[...]), code, emphasis,
# strike-through, tables, and the escape character itself. Each gets CommonMark's backslash escape.
_ACTIVE = re.compile(r"([\\\[\]<>!$:`*~|])")
# GitHub-flavoured Markdown also links bare URLs (http://..., www.x...) and e-mail addresses, after escapes are
# resolved, so escaping cannot stop it: an invisible word joiner before every ":" and "@" and after "www" does.
_AUTOLINK = re.compile(r"(?i)(?=[:@])|(?<=www)(?=\.)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` for st.markdown / captions / labels, shown literally: no links, images, HTML, math or emoji.

    ``![t](http://x)`` stays text and the browser fetches nothing; ``www.x.org``, ``http://x`` and ``a@x.org``
    are not made links; line breaks become spaces. Everything a user typed that other users see goes through here.
    """
    unlinked = _AUTOLINK.sub(WORD_JOINER, " ".join(str(text).split()))
    return _ACTIVE.sub(r"\\\1", unlinked)


def translated(labels: Mapping[str, str]) -> Callable[[str], str]:
    """A widget's ``format_func`` showing ``labels`` (English, marked with N_) in the user's language.

    The labels are translated now, in the script run: Streamlit (and AppTest) may call a format_func
    later, from a thread that does not know whose language it is.
    """
    return {value: _(label) for value, label in labels.items()}.get


def translated_columns(table):
    """``table`` (a pandas DataFrame from the library, English column names marked with N_ there) with its
    column headers in the user's language; the library's names stay the API, only the display changes."""
    return table.rename(columns=lambda name: _(name) if isinstance(name, str) else name)
