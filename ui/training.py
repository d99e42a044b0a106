"""Streamlit glue for training: the shared run queue, the settings widgets every training page uses,
dataset downloads with a progress bar, and starting runs with readable errors.
"""

from __future__ import annotations

import streamlit as st

from resnet_viz.spec import ResNetSpec

from .progress import download_progress


@st.cache_resource(show_spinner=False)
def run_queue():
    """The app's one training queue and run store, shared by every session (runs are global)."""
    from resnet_viz.store import RunStore
    from resnet_viz.train import RunQueue

    store = RunStore()
    store.mark_interrupted()  # runs a previous app process left behind
    return RunQueue(store)


STATUS_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "stopped": "⏹️", "diverged": "💥", "failed": "❌"}


def training_settings(prefix: str, spec: ResNetSpec, steps: int = 300) -> dict:
    """Widgets for the settings every training page shares; returns TrainConfig keyword arguments."""
    from resnet_viz.data import BUNDLED, DOWNLOADABLE

    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox(
        "Dataset",
        [*BUNDLED, *DOWNLOADABLE, "folder"],
        key=f"{prefix}_dataset",
        format_func=DATASET_LABELS.get,
        help="The bundled sets work offline. The others download once, with a progress bar.",
    )
    size = c2.number_input(
        "Image size",
        spec.min_input_size,
        224,
        max(spec.min_input_size, 16),
        step=8,
        key=f"{prefix}_size",
        help="Images are resized to this. 16 px keeps a 56-layer net fast on a CPU.",
    )
    budget = c3.radio("Budget in", ["steps", "epochs"], horizontal=True, key=f"{prefix}_budget")
    if budget == "steps":
        steps, epochs = c3.number_input("Steps", 10, 100_000, steps, step=50, key=f"{prefix}_steps"), None
    else:
        epochs = c3.number_input("Epochs", 0.1, 1000.0, 2.0, step=0.5, key=f"{prefix}_epochs")
    seed = c4.number_input("Seed", 0, 2**31 - 1, 0, key=f"{prefix}_seed", help="Same seed, same run (on one device).")
    with st.expander("More settings"):
        d1, d2, d3, d4 = st.columns(4)
        batch = d1.number_input("Batch size", 8, 1024, 64, step=8, key=f"{prefix}_batch")
        optimizer = d2.selectbox(
            "Optimiser",
            ["sgd", "adamw"],
            key=f"{prefix}_opt",
            format_func={"sgd": "SGD, momentum 0.9", "adamw": "AdamW"}.get,
        )
        lr = d3.number_input(
            "Learning rate",
            1e-5,
            10.0,
            0.1 if optimizer == "sgd" else 1e-3,
            format="%.4f",
            key=f"{prefix}_lr_{optimizer}",
        )
        schedule = d4.selectbox("Schedule", ["cosine", "step", "constant"], key=f"{prefix}_schedule")
        e1, e2, e3, e4 = st.columns(4)
        warmup = e1.number_input("Warm-up steps", 0, 10_000, min(30, int(steps)), key=f"{prefix}_warmup")
        decay = e2.number_input("Weight decay", 0.0, 1.0, 1e-4, format="%.5f", key=f"{prefix}_wd")
        augment = e3.toggle(
            "Augmentation",
            value=False,
            key=f"{prefix}_augment",
            help="Random crops (and flips where they keep the label).",
        )
        device = e4.selectbox("Device", ["auto", "cpu", "cuda", "mps"], key=f"{prefix}_device")
        folder = None
        if dataset == "folder":
            folder = st.text_input("Image folder (one sub-folder per class)", key=f"{prefix}_folder")
    return dict(
        dataset=dataset,
        input_size=int(size),
        steps=int(steps),
        epochs=float(epochs) if epochs is not None else None,
        seed=int(seed),
        batch_size=int(batch),
        optimizer=optimizer,
        lr=float(lr),
        schedule=schedule,
        warmup_steps=min(int(warmup), int(steps)),
        weight_decay=float(decay),
        augment=augment,
        device=device,
        folder=folder,
    )


DATASET_LABELS = {
    "digits": "digits (bundled, 8x8 handwriting)",
    "shapes": "shapes (bundled, generated)",
    "cifar10": "CIFAR-10 (download, 170 MB)",
    "mnist": "MNIST (download, 12 MB)",
    "fashionmnist": "Fashion-MNIST (download, 30 MB)",
    "folder": "my own image folder",
}


def ensure_dataset(settings: dict) -> bool:
    """Make sure a downloadable dataset is present; offer a download with a progress bar.

    Returns True when the run can start now.
    """
    from resnet_viz.data import DOWNLOADABLE, DatasetUnavailable, dataset_available, download_dataset

    name = settings["dataset"]
    if name not in DOWNLOADABLE or dataset_available(name):
        return True
    st.warning(f"{DATASET_LABELS[name]} is not on this machine yet.", icon="📦")
    if st.button(f"Download {name}", key=f"download_{name}"):
        bar = st.progress(0.0, text="Starting the download…")
        try:
            download_dataset(name, progress=download_progress(bar, name))
        except DatasetUnavailable as err:
            st.error(f"{err}", icon="🔌")
            return False
        bar.progress(1.0, text="Downloaded.")
        return True
    return False


def start_runs(specs: list[ResNetSpec], settings: dict, names: list[str], group: str | None = None) -> list[int]:
    """Queue runs; show a readable error (and return []) for impossible settings."""
    from resnet_viz.train import TrainConfig

    try:
        config = TrainConfig(**settings)
        queue = run_queue()
        return [queue.submit(spec, config, name=name, group=group) for spec, name in zip(specs, names)]
    except ValueError as err:
        st.error(str(err), icon="⚠️")
        return []


def total_steps(run: dict, metrics) -> int:
    """A run's budget in steps (known from its first logged row when it was given in epochs)."""
    extras = metrics["extra"].dropna() if len(metrics) else []
    if len(extras) and "total_steps" in extras.iloc[-1]:
        return int(extras.iloc[-1]["total_steps"])
    return int(run["config"]["steps"])
