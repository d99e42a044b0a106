"""Train: start a run for the network in the sidebar, watch it live, and compare past runs."""

import streamlit as st

from ui import training
from ui.picker import current_choice

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
    name = st.text_input("Run name", value=spec.name, key="train_name")
    ready = training.ensure_dataset(settings)
    if st.button("Start training", type="primary", disabled=not ready, key="train_start"):
        started = training.start_runs([spec], settings, [name])
        if started:
            st.session_state["train_current"] = started[0]
            st.toast(f"Run #{started[0]} queued", icon="🏃")

queue = training.run_queue()
store = queue.store


@st.fragment(run_every=1.0)
def live_panel() -> None:
    """The current run: status, progress, curves. Redraws itself every second."""
    from resnet_viz.figures.training import schedule_and_throughput, training_curves

    run_id = st.session_state.get("train_current")
    if run_id is None:
        st.caption("Start a run above to see it train here.")
        return
    try:
        run = store.run(run_id)
    except (KeyError, ValueError):
        st.caption("That run was deleted.")
        return
    metrics = store.metrics(run_id)
    steps = training.total_steps(run, metrics)
    done = int(metrics["step"].max()) if len(metrics) else 0
    icon = training.STATUS_ICONS.get(run["status"], "")
    st.markdown(
        f"**Run #{run_id}: {run['name']}** · {icon} {run['status']}"
        + (f" · {run['message']}" if run["message"] else "")
    )
    st.progress(min(done / steps, 1.0), text=f"step {done} of {steps} on {run['device']}")
    if run["status"] in ("queued", "running"):
        if st.button("Stop", key=f"stop_{run_id}", icon=":material/stop:"):
            queue.stop(run_id)
    if run["status"] == "diverged":
        st.error(f"The loss diverged: {run['message']}. Try a lower learning rate.", icon="💥")
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
        m4.metric("Images / second", f"{last['images_per_s']:.0f}" if last["images_per_s"] else "–")
        runs = store.runs()
        runs = runs[runs["id"] == run_id]
        st.plotly_chart(training_curves(metrics, runs), width="stretch", key="train_live_curves")
        with st.expander("Learning rate and throughput"):
            st.plotly_chart(schedule_and_throughput(metrics, runs), width="stretch", key="train_live_lr")


live_panel()

st.divider()
st.subheader("Run history")
runs = store.runs()
if runs.empty:
    st.caption("No runs yet.")
else:
    from resnet_viz.figures.training import training_curves

    table = runs[["id", "name", "status", "group", "device", "last_step", "created_at"]].copy()
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
