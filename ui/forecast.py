"""Time on this machine: what a run will cost (measured here, cached ten minutes) and when each run the
queue holds will finish."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.nets.spec import ResNetSpec

from .run_queue import all_runs, run_metrics, run_queue

MEASURING = N_("Measuring this machine's speed on {nets}…")


def measuring(specs) -> str:
    """The spinner text around `run_seconds`: it names the networks whose step is measured, since measuring a
    step of ResNet-1202 takes seconds and the reader should know what the wait is for."""
    names = list(dict.fromkeys(spec.display_name for spec in specs))  # A / B / C share a name: say it once
    return _(MEASURING).format(nets=", ".join(names))


def device_name(config) -> str:
    """The device a `TrainConfig` trains on here ("cpu", "cuda"); ValueError for one this machine lacks."""
    from resnet_viz.device import resolve_device

    return str(resolve_device(config.device))


@st.cache_data(show_spinner=False, max_entries=64, ttl=600)
def run_seconds(spec: ResNetSpec, config) -> float:
    """`budget.run_cost`'s seconds for ``spec`` with ``config`` (a `TrainConfig`) on this machine.

    Pages show the `measuring` spinner around it: the first call of a network measures a step.
    """
    from resnet_viz.training.budget import run_cost

    return run_cost(spec, config, run_queue().store, device_name(config)).seconds


def queue_forecast() -> dict:
    """{run id: `Forecast`} for every run the app's queue is training or holding."""
    from resnet_viz.training.budget import forecast, run_progress
    from resnet_viz.training.config import TrainConfig

    queue = run_queue()
    active, waiting = queue.active(), queue.queued()
    if not active and not waiting:
        return {}
    runs = all_runs()
    metrics = run_metrics(runs[runs["id"].isin(active + waiting)])
    runs = runs.set_index("id")
    rows = {}
    for run_id in active + waiting:
        if run_id not in runs.index:
            continue
        run = runs.loc[run_id].to_dict()
        done, total, step_seconds = run_progress(run, metrics[metrics["run_id"] == run_id])
        if step_seconds is None:
            config, spec = TrainConfig.from_dict(run["config"]), ResNetSpec.from_dict(run["spec"])
            with st.spinner(measuring([spec])):
                seconds = run_seconds(spec, config)
            step_seconds = seconds / max(1, config.steps)
        rows[run_id] = (run_id, max(0, total - done), step_seconds)
    return forecast([rows[i] for i in active if i in rows], [rows[i] for i in waiting if i in rows], queue.max_active)


def busy_text() -> str:
    """ "The machine is busy …" when it is (`budget.busy_load`), else "": said beside every time estimate."""
    from resnet_viz.training.budget import busy_load

    busy = busy_load()
    if busy is None:
        return ""
    return _("the machine is busy (load {load} on {cores} cores): times may stretch").format(
        load=f"{busy[0]:.1f}", cores=busy[1]
    )
