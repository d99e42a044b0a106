"""Progress in the page: a bar for downloads, and slow work with a progress bar and a Cancel button.

The library reports progress as ``progress(done, total)`` (`resnet_viz.progress.Progress`); these
adapters turn that into an ``st.progress`` bar with words.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from resnet_viz.i18n import _


def download_progress(bar, label: str) -> Callable[[int, int | None], None]:
    """A (bytes done, bytes total) callback that moves ``bar`` (an ``st.progress``) and says how much."""

    # Translated now, in the script run: the callback may run where the user's language is unknown.
    with_total = _("Downloading {label}: {done} of {total} MB")
    without_total = _("Downloading {label}: {done} MB")

    def progress(done: int, total: int | None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        text = with_total if total else without_total
        bar.progress(
            fraction, text=text.format(label=label, done=f"{done / 1e6:.1f}", total=f"{(total or 0) / 1e6:.1f}")
        )

    return progress


def with_progress(label: str, work, cancel_key: str):
    """Run slow ``work(progress)`` in this script run with a progress bar and a Cancel button.

    Clicking Cancel reruns the script, which Streamlit does by stopping this run at the next progress
    update; the rerun finds the Cancel button pressed (see `was_cancelled`). Returns work's result.
    """
    bar = st.progress(0.0, text=f"{label}…")
    button_slot = st.empty()
    button_slot.button(_("Cancel"), key=cancel_key, icon=":material/cancel:")
    started = time.perf_counter()

    def progress(done: int, total: int | None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        bar.progress(fraction, text=f"{label}: {fraction:.0%} ({time.perf_counter() - started:.0f} s)")

    try:
        return work(progress)
    finally:
        bar.empty()
        button_slot.empty()


def was_cancelled(cancel_key: str) -> bool:
    """True in the rerun that a click on `with_progress`'s Cancel button caused."""
    return bool(st.session_state.get(cancel_key))
