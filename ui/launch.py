"""Launching runs from a page: the button that queues them, and the caption that says their budget first."""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from resnet_viz.i18n import _, join_items

from .forecast import busy_text, device_name, measuring, queue_forecast, run_seconds
from .run_queue import all_runs, run_queue

_LAUNCHING = threading.Lock()  # held by `launch_button` from its join check to its last submission


def launch_button(label: str, key: str, specs, settings: dict, names: list[str], group: str | None = None, **kwargs):
    """A button that queues these runs: the specs, settings and names computed in this script run.

    The runs are submitted by the very script run that handled the click, from the values it drew
    on screen (the sidebar and settings widgets keep their state, see `ui.state`). The ids go to
    ``st.session_state[key + "_ids"]`` and the group name (``group`` plus the time) to
    ``st.session_state[key + "_group"]``; then the page reruns so it can show them. A refusal is
    shown below the button. The same experiment already queued, training or finished is joined, not
    trained again (`joining.joinable_runs`): the page says which run it shows and offers an own copy.
    """
    import time

    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.joining import joinable_runs

    queued = st.session_state.pop(f"{key}_toast", None)
    if queued:  # said after the rerun that follows a launch, so the message is not lost with it
        st.toast(queued, icon="🏃")
    clicked = st.button(label, key=key, type="primary", **kwargs)
    own_copy = _joined_notice(key)
    if not (clicked or own_copy):
        return
    if group is not None:
        group = f"{group} {time.strftime('%Y-%m-%d %H:%M:%S')}"
    try:
        config = TrainConfig(**settings)
        queue, owner = run_queue(), session_owner()
        # The join check and the submissions as one step for the whole server: a class pressing the same button at
        # the same moment trains the experiment once (the second launch finds the first one's runs and joins them).
        with _LAUNCHING:
            joined = None if own_copy else joinable_runs(queue.store, list(specs), config)
            if not joined:
                queue.check_share(owner, len(specs))  # a lab's comparison is queued whole or not at all
                ids = [
                    queue.submit(spec, config, name=name, group=group, owner=owner) for spec, name in zip(specs, names)
                ]
    except ValueError as err:  # impossible settings, too large for memory, more than this session's share
        st.error(str(err), icon="⚠️")
        return
    if joined:
        _show_runs(key, [int(r["id"]) for r in joined], joined[0]["group"], joined=True)
    queued = _("Runs {ids} queued") if len(ids) > 1 else _("Run {ids} queued")
    st.session_state[f"{key}_toast"] = queued.format(ids=join_items(f"#{i}" for i in ids))
    _show_runs(key, ids, group, joined=False)


def _show_runs(key: str, ids: list[int], group: str | None, joined: bool):
    """Hand the launched (or joined) runs to the page and rerun it; a joined launch keeps its notice."""
    st.session_state[f"{key}_ids"] = ids
    st.session_state[f"{key}_group"] = group
    st.session_state[f"{key}_joined"] = ids if joined else None
    st.rerun()


def _joined_notice(key: str) -> bool:
    """After a launch that joined runs: which runs this page shows, and a button to train an own copy anyway
    (returns True when it was pressed). Nothing else is shown to a user that they did not ask for."""
    from resnet_viz.training.budget import describe_seconds

    ids = st.session_state.get(f"{key}_joined")
    runs = all_runs()
    runs = runs[runs["id"].isin(ids or [])]
    if runs.empty:
        return False
    first = runs.sort_values("id").iloc[0]
    started = pd.Timestamp(first["created_at"])
    ago = describe_seconds((pd.Timestamp.now(tz=started.tz) - started).total_seconds())
    text = _("The same experiment (network, settings, dataset and seed) as run(s) {ids}, started {ago} ago, so "
             "nothing is trained twice: its curves are shown.")  # fmt: skip
    st.info(text.format(ids=join_items(f"#{i}" for i in sorted(runs["id"])), ago=ago), icon="🤝")
    return st.button(_("Train my own copy anyway"), key=f"{key}_own_copy")


def resume_button(run, key: str) -> None:
    """For a stopped, interrupted or failed run that saved a checkpoint: a button that continues it from there.

    Runs queued from the app save one every `queue.CHECKPOINT_EVERY` steps, so even a server killed mid-run
    loses little. After the click the page reruns and shows the run in progress.
    """
    from resnet_viz.training.queue import RESUMABLE_STATUSES

    queue = run_queue()
    if run["status"] not in RESUMABLE_STATUSES or not queue.store.checkpoint_path(int(run["id"])).exists():
        return
    if not st.button(_("Resume"), key=key, help=_("Continue this run from its last checkpoint, where it stopped.")):
        return
    try:
        queue.resume(int(run["id"]), owner=session_owner())
    except ValueError as err:  # no usable checkpoint, too large for memory now, more than this session's share
        st.error(str(err), icon="⚠️")
        return
    st.session_state["train_current"] = int(run["id"])
    st.rerun()


def session_owner() -> str | None:
    """Who launches from this script run, for the queue's fair share: the browser session (None outside the app)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


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
    with st.spinner(measuring(specs)):
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
    caption = caption.format(runs=runs, time=describe_seconds(seconds), count=len(ahead), wait=describe_seconds(wait))
    st.caption(caption + (f" ({busy_text()})" if busy_text() else ""))
