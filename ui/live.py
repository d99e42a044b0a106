"""Live panels: a fragment that redraws itself while runs train, and one progress line per run, with Stop."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _

from .forecast import queue_forecast
from .run_labels import run_message, status_text
from .run_queue import run_queue
from .text import plain


def live(draw, is_active, every: float = 1.0) -> None:
    """Draw ``draw()`` in a fragment that redraws itself every ``every`` s while ``is_active()`` is true.

    When the work ends, one full rerun draws the page a last time without polling, so a finished
    page sits still (no running icon, no flickering Stop).
    """
    polling = bool(is_active())

    @st.fragment(run_every=every if polling else None)
    def panel() -> None:
        draw()
        if polling and not is_active():
            st.rerun()

    panel()


def progress_rows(runs) -> None:
    """One line per run: name, status, a progress bar with the time left or the place in line, and Stop."""
    from resnet_viz.training.budget import run_progress

    queue = run_queue()
    mine = set(queue.active()) | set(queue.queued())
    forecasts = queue_forecast()
    metrics = queue.store.metrics(runs["id"].tolist())
    for run in runs.sort_values("id").to_dict("records"):
        run_id = int(run["id"])
        done, total, _step_seconds = run_progress(run, metrics[metrics["run_id"] == run_id])
        about, action = st.columns([5, 1])
        message = run_message(run["message"])  # "" where there is none (NaN in the table)
        with about:
            st.markdown(
                f"**#{run_id} {plain(run['name'])}** · {status_text(run['status'])}"
                + (f" · {plain(message)}" if message else "")
            )
            text = _progress_text(queue, run, done, total, forecasts.get(run_id), run_id in mine)
            st.progress(min(done / max(total, 1), 1.0), text=text)
        if run_id in mine and action.button(_("Stop"), key=f"stop_{run_id}", icon=":material/stop:"):
            queue.stop(run_id)


def _progress_text(queue, run: dict, done: int, total: int, forecast, in_this_queue: bool) -> str:
    """The words on a run's progress bar: its place in line, or its step and the time left."""
    from resnet_viz.training.budget import describe_seconds

    run_id = int(run["id"])
    if run_id in queue.queued() and forecast:
        text = _("waiting, number {position} in line: starts in {start}, done in {finish}")
    elif run_id in queue.queued():
        text = _("waiting, number {position} in line")
    elif forecast:
        text = _("step {done} of {total} on {device} · {finish} left")
    elif not in_this_queue:
        text = _("step {done} of {total} on {device} · trained by another process (e.g. the command line)")
    else:
        text = _("step {done} of {total} on {device}")
    return text.format(
        position=queue.position(run_id),
        start=describe_seconds(forecast.start_in) if forecast else "",
        finish=describe_seconds(forecast.finish_in) if forecast else "",
        done=done,
        total=total,
        device=run["device"],
    )
