"""The one progress callback type of the library, and the exception that stops work through it.

``progress(done, total)`` reports units done and the units in all (``None`` while unknown). The unit
is the caller's: bytes for downloads (`download.download_file`, `explainable.download_weights`), forward
passes for `attribution.attribute`, pictures explained for `attribution.localisation_scores`, grid
points for `landscape.loss_surface`. A page turns it into a fraction itself.

Slow work that can be stopped takes a ``cancel`` callback beside ``progress`` and raises `Cancelled`
when it returns True.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int | None], None]


class Cancelled(Exception):
    """What work raises when the user cancels it through its ``cancel`` callback."""
