"""Live panels: a fragment that redraws itself while runs train, and one progress line per run, with Stop."""

from __future__ import annotations

import time

import streamlit as st

from resnet_viz.i18n import _

from .forecast import busy_text, queue_forecast
from .run_labels import run_message, status_text
from .run_queue import all_runs, run_metrics, run_queue
from .text import plain

# Seconds between redraws of a live panel. Each redraw is a script run in the server process that trains: at one
# second, four open Train tabs cut a class's training to a twentieth (issue 21). The curves gain a point every
# ``log_every`` steps, a few seconds apart on a CPU, so a slower poll loses nothing a reader sees.
POLL_S = 5.0


def live(draw, is_active, every: float = POLL_S) -> None:
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
    """One line per run: name, status, a progress bar with the time left or the place in line, and Stop (which
    also reaches runs that another process trains, e.g. a sweep on a Ray cluster)."""
    from resnet_viz.training.budget import run_progress

    queue = run_queue()
    mine = set(queue.active()) | set(queue.queued())
    forecasts = queue_forecast()
    metrics = run_metrics(runs)
    for run in runs.sort_values("id").to_dict("records"):
        run_id = int(run["id"])
        done, total, _step_seconds = run_progress(run, metrics[metrics["run_id"] == run_id])
        about, action = st.columns([5, 1])
        message = run_message(run)  # "" where there is none
        with about:
            st.markdown(
                f"**#{run_id} {plain(run['name'])}** · {status_text(run['status'])}"
                + (f" · {plain(message)}" if message else "")
            )
            text = _progress_text(queue, run, done, total, forecasts.get(run_id), run_id in mine)
            st.progress(min(done / max(total, 1), 1.0), text=text)
        if action.button(_("Stop"), key=f"stop_{run_id}", icon=":material/stop:"):
            _stop(queue, run_id, run_id in mine)


def _stop(queue, run_id: int, in_this_queue: bool) -> None:
    """Stop a run of this server's queue, or ask the process that trains it (a sweep's driver) to stop it."""
    from resnet_viz.training.signals import request_stop

    if in_this_queue:
        queue.stop(run_id)
    else:
        request_stop(queue.store, run_id)
        st.toast(_("Asked the process that trains run #{id} to stop it.").format(id=run_id))


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
    if forecast and busy_text():
        text += " · " + busy_text()
    return text.format(
        position=queue.position(run_id),
        start=describe_seconds(forecast.start_in) if forecast else "",
        finish=describe_seconds(forecast.finish_in) if forecast else "",
        done=done,
        total=total,
        device=run["device"],
    )


def live_figures(run: dict):
    """(training curves, learning rate and throughput) of ``run`` (a `RunStore.runs` row).

    Building them is most of a live panel's redraw, and every open tab redraws: so they are built again only when
    the run has logged a step since and the ones held are `POLL_S` old (a poll's delay, which a reader cannot tell
    apart), or at once when its status, name or the reader's language changed. Shared by every tab.
    """
    from resnet_viz.i18n import language

    key, last_step = (int(run["id"]), run["status"], str(run["name"]), language()), int(run["last_step"])
    held, lock = _figures_held()
    with lock:
        before = held.get(key)
    if before is not None and (before[0] == last_step or time.monotonic() - before[1] < POLL_S):
        return before[2]
    figures = _figures(*key)
    with lock:
        held.pop(key, None)
        held[key] = (last_step, time.monotonic(), figures)
        while len(held) > FIGURES_KEPT:
            held.pop(next(iter(held)))
    return figures


FIGURES_KEPT = 64  # runs whose live figures are held (the ones being watched)


@st.cache_resource(show_spinner=False)
def _figures_held():
    """{(run id, status, name, language): (last step, when built, figures)} for `live_figures`, and its lock."""
    import threading

    return {}, threading.Lock()


def _figures(run_id: int, status: str, name: str, language: str):
    """The figures of run ``run_id`` now, in ``language`` (status and name are the rest of `live_figures`' key)."""
    from resnet_viz.figures.training import schedule_and_throughput, training_curves
    from resnet_viz.i18n import use_language

    runs = all_runs()
    shown = runs[runs["id"] == run_id]
    metrics = run_metrics(shown)
    with use_language(language):
        return training_curves(metrics, shown), schedule_and_throughput(metrics, shown)
