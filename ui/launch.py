"""Launching runs from a page: the button that queues them, and the caption that says their budget first."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _, join_items

from .forecast import MEASURING, device_name, queue_forecast, run_seconds
from .run_queue import run_queue


def launch_button(label: str, key: str, specs, settings: dict, names: list[str], group: str | None = None, **kwargs):
    """A button that queues these runs: the specs, settings and names computed in this script run.

    The runs are submitted by the very script run that handled the click, from the values it drew
    on screen (the sidebar and settings widgets keep their state, see `ui.state`). The ids go to
    ``st.session_state[key + "_ids"]`` and the group name (``group`` plus the time) to
    ``st.session_state[key + "_group"]``; then the page reruns so it can show them. A refusal is
    shown below the button.
    """
    import time

    from resnet_viz.training.config import TrainConfig

    queued = st.session_state.pop(f"{key}_toast", None)
    if queued:  # said after the rerun that follows a launch, so the message is not lost with it
        st.toast(queued, icon="🏃")
    if not st.button(label, key=key, type="primary", **kwargs):
        return
    if group is not None:
        group = f"{group} {time.strftime('%Y-%m-%d %H:%M:%S')}"
    try:
        config = TrainConfig(**settings)
        queue = run_queue()
        ids = [queue.submit(spec, config, name=name, group=group) for spec, name in zip(specs, names)]
    except ValueError as err:
        st.error(str(err), icon="⚠️")
        return
    st.session_state[f"{key}_ids"] = ids
    st.session_state[f"{key}_group"] = group
    queued = _("Runs {ids} queued") if len(ids) > 1 else _("Run {ids} queued")
    st.session_state[f"{key}_toast"] = queued.format(ids=join_items(f"#{i}" for i in ids))
    st.rerun()


def budget_caption(specs, settings: dict) -> None:
    """Say, before a launch, how long these runs will take on this machine behind the current queue."""
    from resnet_viz.training.budget import describe_seconds
    from resnet_viz.training.config import TrainConfig

    try:
        config = TrainConfig(**settings)
        device_name(config)
    except ValueError:
        return  # launching will say what is wrong
    if config.epochs is not None:
        st.caption(_("The budget in epochs becomes steps once the dataset is loaded; the estimate follows then."))
        return
    with st.spinner(_(MEASURING)):
        seconds = sum(run_seconds(spec, config) for spec in specs)
    ahead = queue_forecast()
    wait = max((f.finish_in for f in ahead.values()), default=0.0)
    if len(specs) > 1:
        runs = _("{count} runs x {steps} steps").format(count=len(specs), steps=config.steps)
    else:
        runs = _("{steps} steps").format(steps=config.steps)
    if ahead:
        caption = _("Budget: {runs}, {time} on this machine, after the {count} run(s) already in the queue ({wait}).")
    else:
        caption = _("Budget: {runs}, {time} on this machine.")
    st.caption(caption.format(runs=runs, time=describe_seconds(seconds), count=len(ahead), wait=describe_seconds(wait)))
