"""Text one user typed, made safe to show to every user (run names, group names, file names)."""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(text: object) -> str:
    """``text`` for st.markdown / captions / labels, shown literally: no links, images, HTML, math or emoji.

    Every ASCII punctuation character gets a backslash (CommonMark's escape), so ``![t](http://x)``
    stays text and the browser fetches nothing; line breaks become spaces.
    """
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))
