"""Train: start a run for the network in the sidebar, watch it live, and compare past runs."""

import streamlit as st

from resnet_viz.i18n import N_, _
from ui import citations as sources
from ui.launch import budget_caption, launch_button, resume_button
from ui.live import live, live_figures, progress_rows
from ui.picker import current_choice
from ui.run_labels import run_message, status_text
from ui.run_queue import active_runs, all_runs, run_metrics, run_queue
from ui.state import drawing
from ui.text import plain
from ui.training_settings import ensure_dataset, follow_default, training_settings

spec, _input_size = current_choice().require()

st.title(_("Train"))
st.caption(
    _(
        "**{network}**: trains in the background, so you can keep browsing. Runs are kept in a local database and "
        "survive restarts."
    ).format(network=spec.name)
)
if spec.style == "imagenet":
    st.info(
        _(
            "ImageNet-style networks need at least 32 px inputs and are slow on a CPU. For quick runs pick a CIFAR "
            "network in the sidebar (e.g. CIFAR ResNet-20)."
        ),
        icon="🐢",
    )

with st.container(border=True):
    settings = training_settings("train", spec)
    follow_default("train_name", spec.name)  # the name follows the network until edited (kept: see ui.state)
    drawing(["train_name"])
    name = st.text_input(_("Run name"), key="train_name")
    ready = ensure_dataset(settings)
    budget_caption([spec], settings)
    launch_button(_("Start training"), "train_start", [spec], settings, [name], disabled=not ready)
    if st.session_state.get("train_start_ids"):  # this tab's newest run gets the curves below
        st.session_state["train_current"] = st.session_state.pop("train_start_ids")[0]

queue = run_queue()
store = queue.store
HISTORY_HEADERS = {
    "id": N_("id"),
    "name": N_("name"),
    "status": N_("status"),
    "message": N_("message"),
    "group": N_("group"),
    "device": N_("device"),
    "last_step": N_("last_step"),
    "created_at": N_("created_at"),
}


def live_panel() -> None:
    """Every run in progress (started in any tab or from the command line), and the curves of one."""
    active = active_runs()
    if active.empty:
        st.caption(
            _("No run is training now. Start one above: runs started in any tab, or from the command line, show here.")
        )
    else:
        progress_rows(active)
    run_id = st.session_state.get("train_current")
    runs = all_runs()
    if run_id not in set(runs["id"]):  # a run started elsewhere: the newest in progress, else the last one shown
        run_id = int(active["id"].max()) if not active.empty else st.session_state.get("train_watched")
    if run_id not in set(runs["id"]):
        return
    st.session_state["train_watched"] = run_id  # after Stop, this tab keeps its curves as the starting tab does
    run = runs[runs["id"] == run_id].iloc[0].to_dict()
    metrics = run_metrics(runs[runs["id"] == run_id])
    st.markdown(
        _("**Curves of run #{id}: {name}** · {status}").format(
            id=run_id, name=plain(run["name"]), status=status_text(run["status"])
        )
    )
    resume_button(run, key="resume_live")
    if run["status"] == "diverged":
        st.error(
            _("The loss diverged: {message}. Try a lower learning rate.").format(message=plain(run_message(run))),
            icon="💥",
        )
    if len(metrics):
        last = metrics.iloc[-1]
        evals = metrics.dropna(subset=["train_error"])
        m1, m2, m3, m4 = st.columns(4)
        loss = last["train_loss"]
        m1.metric(_("Training loss"), f"{loss:.3f}" if loss == loss else "–")
        m2.metric(
            _("Training error"),
            f"{100 * evals['train_error'].iloc[-1]:.1f} %" if len(evals) else "–",
            help=_("Measured in eval mode on a fixed sample of the training set, without augmentation."),
        )
        m3.metric(_("Test error"), f"{100 * evals['test_error'].iloc[-1]:.1f} %" if len(evals) else "–")
        rate = last["images_per_s"]
        m4.metric(_("Images / second"), f"{rate:.0f}" if rate == rate and rate else "–")
        curves, schedule = live_figures(run)
        st.plotly_chart(curves, width="stretch", key="train_live_curves")
        with st.expander(_("Learning rate and throughput")):
            st.plotly_chart(schedule, width="stretch", key="train_live_lr")


st.subheader(_("Runs in progress"))
live(live_panel, lambda: not active_runs().empty)

st.divider()
st.subheader(_("Run history"))
runs = all_runs()
if runs.empty:
    st.caption(_("No runs yet."))
else:
    from resnet_viz.figures.training import training_curves

    table = runs[["id", "name", "status", "message", "group", "device", "last_step", "created_at"]].copy()
    table["status"] = table["status"].map(status_text)
    table["message"] = runs.apply(run_message, axis=1)
    selection = st.dataframe(
        table.rename(columns={column: _(label) for column, label in HISTORY_HEADERS.items()}),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key="train_history",
    )
    chosen = [int(table.iloc[i]["id"]) for i in selection.selection.rows]
    if chosen:
        st.plotly_chart(
            training_curves(store.metrics(chosen), runs[runs["id"].isin(chosen)], title=_("Selected runs")),
            width="stretch",
            key="train_overlay",
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.download_button(_("Export JSON"), store.export_json(chosen), "runs.json", "application/json", key="exp_json")
        c2.download_button(_("Export CSV"), store.export_csv(chosen), "runs.csv", "text/csv", key="exp_csv")
        if len(chosen) == 1:
            new_name = c3.text_input(
                _("Rename to"), key="rename_to", label_visibility="collapsed", placeholder=_("new name")
            )
            if c3.button(_("Rename"), key="rename") and new_name.strip():
                store.rename(chosen[0], new_name.strip())
                st.rerun()
            with c3:
                resume_button(runs[runs["id"] == chosen[0]].iloc[0], key="resume")
        if c4.button(_("Delete {count} run(s)").format(count=len(chosen)), key="delete", type="secondary"):
            for run_id in chosen:
                queue.stop(run_id)
                store.delete(run_id)
            st.rerun()
    else:
        st.caption(_("Select runs in the table to overlay their curves, export, rename or delete them."))

sources.footnote(
    [
        _(
            "{source}: Sec. 3.4 (ImageNet training: SGD, momentum 0.9, weight decay 1e-4, learning rate 0.1 divided "
            "by 10 on plateaus) and Sec. 4.2 (CIFAR-10: batch 128, lr 0.1 divided by 10 at 32k and 48k iterations, "
            "64k in all; pad-4 random crops and flips). This page's defaults are shorter and use a cosine schedule "
            "so that a run finishes on a CPU."
        ).format(source=sources.RESNET),
    ]
)
