"""Text one user typed, made safe to show to every user (run names, group names, file names)."""

from __future__ import annotations

import re

# What Markdown (and Streamlit's extensions) turn into something other than text: links and images
# ([ ] !), HTML (< >), math ($), emoji, icons and coloured text (:name: :red[...]), code, emphasis,
# strike-through, tables, and the escape character itself. Each gets CommonMark's backslash escape.
_ACTIVE = re.compile(r"([\\\[\]<>!$:`*~|])")


def plain(text: object) -> str:
    """``text`` for st.markdown / captions / labels, shown literally: no links, images, HTML, math or emoji.

    ``![t](http://x)`` stays text and the browser fetches nothing; line breaks become spaces.
    """
    return _ACTIVE.sub(r"\\\1", " ".join(str(text).split()))
