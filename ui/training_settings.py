"""The settings widgets every training page shares (dataset, size, budget, optimiser, ...), the defaults
that follow the network until edited, and downloading a dataset before a run needs it."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.nets.spec import ResNetSpec

from .progress import download_progress
from .state import drawing, keep
from .text import translated

DATASET_LABELS = {
    "digits": N_("digits (bundled, 8x8 handwriting)"),
    "noisy_digits": N_("noisy digits (bundled, generated: digits moved, turned, with noise)"),
    "shapes": N_("shapes (bundled, generated)"),
    "cifar10": N_("CIFAR-10 (download, 170 MB)"),
    "mnist": N_("MNIST (download, 12 MB)"),
    "fashionmnist": N_("Fashion-MNIST (download, 30 MB)"),
    "folder": N_("my own image folder"),
}


def training_settings(prefix: str, spec: ResNetSpec, steps: int = 300, lab=None) -> dict:
    """Widgets for the settings every training page shares; returns TrainConfig keyword arguments.

    Defaults are seeded into session state (the widgets take no ``value=``), and `ui.state.keep`
    restores any value Streamlit drops, so what is on screen is what a launch uses. The widget keys
    are ``prefix`` + "_dataset", "_size", "_steps", ... ``lab``: a lab's own default `TrainConfig`
    (its dataset, steps and evaluation cadence replace the general defaults).
    """
    datasets = _seed_defaults(prefix, lab.steps if lab else steps, lab.dataset if lab else "digits")
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox(
        _("Dataset"),
        datasets,
        key=f"{prefix}_dataset",
        format_func=translated(DATASET_LABELS),
        help=_("The bundled sets work offline. The others download once, with a progress bar."),
    )
    size = _image_size(c2, prefix, spec)
    steps, epochs = _budget(c3, prefix)
    seed = c4.number_input(
        _("Seed"), 0, 2**31 - 1, key=f"{prefix}_seed", help=_("Same seed, same run (on one device).")
    )
    with st.expander(_("More settings")):
        more = _more_settings(prefix, dataset)
    more["warmup_steps"] = min(more["warmup_steps"], int(steps))  # a warm-up never outlasts the run
    return dict(
        dataset=dataset,
        input_size=int(size),
        steps=int(steps),
        epochs=float(epochs) if epochs is not None else None,
        seed=int(seed),
        **more,
        **({"eval_every": lab.eval_every, "eval_samples": lab.eval_samples} if lab else {}),
    )


def _seed_defaults(p: str, steps: int, dataset: str) -> list[str]:
    """Put the settings' defaults into session state (where nothing is set yet); returns the datasets offered."""
    from resnet_viz.training.data import BUNDLED, DOWNLOADABLE, allowed_data_dir

    defaults = {
        f"{p}_dataset": dataset, f"{p}_budget": "steps", f"{p}_steps": steps, f"{p}_epochs": 2.0, f"{p}_seed": 0,
        f"{p}_batch": 64, f"{p}_opt": "sgd", f"{p}_lr_sgd": 0.1, f"{p}_lr_adamw": 1e-3, f"{p}_schedule": "cosine",
        f"{p}_warmup": 30, f"{p}_wd": 1e-4, f"{p}_augment": False, f"{p}_device": "auto", f"{p}_folder": "",
    }  # fmt: skip
    keep([*defaults, f"{p}_size", f"{p}_name"])
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    state = st.session_state
    shown = ("dataset", "budget", "seed", "batch", "opt", "schedule", "warmup", "wd", "augment", "device", "size")
    shown += ("steps" if state[f"{p}_budget"] == "steps" else "epochs", f"lr_{state[f'{p}_opt']}")
    drawing([f"{p}_{key}" for key in shown] + ([f"{p}_folder"] if state[f"{p}_dataset"] == "folder" else []))
    # A folder on the server is offered only where the teacher allowed one (RESNET_VIZ_ALLOWED_DATA_DIR).
    datasets = [*BUNDLED, *DOWNLOADABLE] + (["folder"] if allowed_data_dir() is not None else [])
    if st.session_state[f"{p}_dataset"] not in datasets:
        st.session_state[f"{p}_dataset"] = dataset
    return datasets


def _image_size(column, p: str, spec: ResNetSpec):
    """The image size, following the network's smallest input until the user edits it."""
    follow_default(f"{p}_size", max(spec.min_input_size, 16))
    if st.session_state[f"{p}_size"] < spec.min_input_size:
        st.session_state[f"{p}_size"] = spec.min_input_size
    return column.number_input(
        _("Image size"),
        spec.min_input_size,
        224,
        step=8,
        key=f"{p}_size",
        help=_("Images are resized to this. 16 px keeps a 56-layer net fast on a CPU."),
    )


def _budget(column, p: str) -> tuple:
    """(steps, epochs): the budget in steps (epochs None), or in epochs (steps as last set)."""
    budget = column.radio(
        _("Budget in"),
        ["steps", "epochs"],
        horizontal=True,
        key=f"{p}_budget",
        format_func=translated({"steps": N_("steps"), "epochs": N_("epochs")}),
    )
    if budget == "steps":
        return column.number_input(_("Steps"), 10, 100_000, step=50, key=f"{p}_steps"), None
    return st.session_state[f"{p}_steps"], column.number_input(_("Epochs"), 0.1, 1000.0, step=0.5, key=f"{p}_epochs")


def _more_settings(p: str, dataset: str) -> dict:
    """The settings under "More settings": optimiser, schedule, regularisation, device, the image folder."""
    from resnet_viz.training.data import allowed_data_dir

    d1, d2, d3, d4 = st.columns(4)
    batch = d1.number_input(_("Batch size"), 8, 1024, step=8, key=f"{p}_batch")
    optimizer = d2.selectbox(
        _("Optimiser"),
        ["sgd", "adamw"],
        key=f"{p}_opt",
        format_func=translated({"sgd": N_("SGD, momentum 0.9"), "adamw": "AdamW"}),
    )
    lr = d3.number_input(_("Learning rate"), 1e-5, 10.0, format="%.4f", key=f"{p}_lr_{optimizer}")
    schedule = d4.selectbox(
        _("Schedule"),
        ["cosine", "step", "constant"],
        key=f"{p}_schedule",
        format_func=translated({"cosine": N_("cosine"), "step": N_("step decay"), "constant": N_("constant")}),
        help=_(
            "After the warm-up: cosine decays to 0, step divides by 10 at 50 % and 75 % of the steps, constant stays."
        ),
    )
    e1, e2, e3, e4 = st.columns(4)
    warmup = e1.number_input(_("Warm-up steps"), 0, 10_000, key=f"{p}_warmup")
    decay = e2.number_input(_("Weight decay"), 0.0, 1.0, format="%.5f", key=f"{p}_wd")
    augment = e3.toggle(
        _("Augmentation"), key=f"{p}_augment", help=_("Random crops (and flips where they keep the label).")
    )
    device = e4.selectbox(
        _("Device"),
        ["auto", "cpu", "cuda", "mps"],
        key=f"{p}_device",
        format_func={"auto": _("auto"), "cpu": "cpu", "cuda": "cuda", "mps": "mps"}.get,
    )
    folder = None
    if dataset == "folder":
        folder = st.text_input(
            _("Image folder inside {folder} (one sub-folder per class)").format(folder=allowed_data_dir()),
            key=f"{p}_folder",
        )
    return dict(
        batch_size=int(batch),
        optimizer=optimizer,
        lr=float(lr),
        schedule=schedule,
        warmup_steps=int(warmup),
        weight_decay=float(decay),
        augment=augment,
        device=device,
        folder=folder,
    )


def follow_default(key: str, default) -> None:
    """Let the widget ``key`` follow ``default`` (derived from the network) until the user edits it.

    Call before drawing the widget, without passing it a value: if the widget still shows the
    previous default, it moves to the new one; a value the user typed stays.
    """
    remembered = f"_{key}_default"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(remembered):
        st.session_state[key] = default
    st.session_state[remembered] = default


def ensure_dataset(settings: dict) -> bool:
    """Make sure a downloadable dataset is present; offer a download with a progress bar.

    Returns True when the run can start now.
    """
    from resnet_viz.training.data import DOWNLOADABLE
    from resnet_viz.training.download import DatasetUnavailable, dataset_available, download_dataset

    name = settings["dataset"]
    if name not in DOWNLOADABLE or dataset_available(name):
        return True
    st.warning(_("{dataset} is not on this machine yet.").format(dataset=_(DATASET_LABELS[name])), icon="📦")
    if st.button(_("Download {dataset}").format(dataset=name), key=f"download_{name}"):
        bar = st.progress(0.0, text=_("Starting the download…"))
        try:
            download_dataset(name, progress=download_progress(bar, name))
        except DatasetUnavailable as err:
            st.error(f"{err}", icon="🔌")
            return False
        bar.progress(1.0, text=_("Downloaded."))
        return True
    return False
