"""Train: start a run for the network in the sidebar, watch it live, and compare past runs."""

import streamlit as st

from ui import sources, training
from ui.picker import current_choice
from ui.text import plain

spec, _ = current_choice().require()

st.title("Train")
st.caption(
    f"**{spec.name}**: trains in the background, so you can keep browsing. Runs are kept in a local "
    "database and survive restarts."
)
if spec.style == "imagenet":
    st.info(
        "ImageNet-style networks need at least 32 px inputs and are slow on a CPU. For quick runs pick a "
        "CIFAR network in the sidebar (e.g. CIFAR ResNet-20).",
        icon="🐢",
    )

with st.container(border=True):
    settings = training.training_settings("train", spec)
    training.follow_default("train_name", spec.name)  # the name follows the network until edited (kept: see ui.state)
    name = st.text_input("Run name", key="train_name")
    ready = training.ensure_dataset(settings)
    training.budget_caption([spec], settings)
    training.launch_button("Start training", "train_start", [spec], settings, [name], disabled=not ready)
    if st.session_state.get("train_start_ids"):  # this tab's newest run gets the curves below
        st.session_state["train_current"] = st.session_state.pop("train_start_ids")[0]

queue = training.run_queue()
store = queue.store


def live_panel() -> None:
    """Every run in progress (started in any tab or from the command line), and the curves of one."""
    from resnet_viz.figures.training import schedule_and_throughput, training_curves

    active = training.active_runs()
    if active.empty:
        st.caption(
            "No run is training now. Start one above: runs started in any tab, or from the command line, show here."
        )
    else:
        training.progress_rows(active)
    run_id = st.session_state.get("train_current")
    runs = store.runs()
    if run_id not in set(runs["id"]):
        run_id = int(active["id"].max()) if not active.empty else None
    if run_id is None:
        return
    run = runs[runs["id"] == run_id].iloc[0].to_dict()
    metrics = store.metrics(run_id)
    icon = training.STATUS_ICONS.get(run["status"], "")
    st.markdown(f"**Curves of run #{run_id}: {plain(run['name'])}** · {icon} {run['status']}")
    if run["status"] == "diverged":
        st.error(f"The loss diverged: {plain(run['message'])}. Try a lower learning rate.", icon="💥")
    if len(metrics):
        last = metrics.iloc[-1]
        evals = metrics.dropna(subset=["train_error"])
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Training loss", f"{last['train_loss']:.3f}" if last["train_loss"] == last["train_loss"] else "–")
        m2.metric(
            "Training error",
            f"{100 * evals['train_error'].iloc[-1]:.1f} %" if len(evals) else "–",
            help="Measured in eval mode on a fixed sample of the training set, without augmentation.",
        )
        m3.metric("Test error", f"{100 * evals['test_error'].iloc[-1]:.1f} %" if len(evals) else "–")
        rate = last["images_per_s"]
        m4.metric("Images / second", f"{rate:.0f}" if rate == rate and rate else "–")
        shown = runs[runs["id"] == run_id]
        st.plotly_chart(training_curves(metrics, shown), width="stretch", key="train_live_curves")
        with st.expander("Learning rate and throughput"):
            st.plotly_chart(schedule_and_throughput(metrics, shown), width="stretch", key="train_live_lr")


st.subheader("Runs in progress")
training.live(live_panel, lambda: not training.active_runs().empty)

st.divider()
st.subheader("Run history")
runs = store.runs()
if runs.empty:
    st.caption("No runs yet.")
else:
    from resnet_viz.figures.training import training_curves

    table = runs[["id", "name", "status", "message", "group", "device", "last_step", "created_at"]].copy()
    table["status"] = table["status"].map(lambda s: f"{training.STATUS_ICONS.get(s, '')} {s}")
    selection = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row", key="train_history"
    )
    chosen = [int(table.iloc[i]["id"]) for i in selection.selection.rows]
    if chosen:
        st.plotly_chart(
            training_curves(store.metrics(chosen), runs[runs["id"].isin(chosen)], title="Selected runs"),
            width="stretch",
            key="train_overlay",
        )
        c1, c2, c3, c4 = st.columns(4)
        c1.download_button("Export JSON", store.export_json(chosen), "runs.json", "application/json", key="exp_json")
        c2.download_button("Export CSV", store.export_csv(chosen), "runs.csv", "text/csv", key="exp_csv")
        if len(chosen) == 1:
            new_name = c3.text_input("Rename to", key="rename_to", label_visibility="collapsed", placeholder="new name")
            if c3.button("Rename", key="rename") and new_name.strip():
                store.rename(chosen[0], new_name.strip())
                st.rerun()
        if c4.button(f"Delete {len(chosen)} run(s)", key="delete", type="secondary"):
            for run_id in chosen:
                queue.stop(run_id)
                store.delete(run_id)
            st.rerun()
    else:
        st.caption("Select runs in the table to overlay their curves, export, rename or delete them.")

sources.footnote(
    [
        f"{sources.RESNET}: Sec. 3.4 (ImageNet training: SGD, momentum 0.9, weight decay 1e-4, learning rate 0.1 "
        "divided by 10 on plateaus) and Sec. 4.2 (CIFAR-10: batch 128, lr 0.1 divided by 10 at 32k and 48k "
        "iterations, 64k in all; pad-4 random crops and flips). This page's defaults are shorter and use a "
        "cosine schedule so that a run finishes on a CPU.",
    ]
)
