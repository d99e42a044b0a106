"""The one progress callback type of the library.

``progress(done, total)`` reports units done and the units in all (``None`` while unknown). The unit
is the caller's: bytes for downloads (`download.download_file`, `explainable.download_weights`), forward
passes for `attribution.attribute`, pictures explained for `attribution.localisation_scores`.
A page turns it into a fraction itself.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int | None], None]
