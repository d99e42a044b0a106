"""Streamlit glue for training: the shared run queue, the settings widgets every training page uses,
dataset downloads with a progress bar, and starting runs with readable errors.
"""

from __future__ import annotations

import re

import streamlit as st

from resnet_viz.i18n import N_, _
from resnet_viz.nets.spec import ResNetSpec

from .progress import download_progress
from .state import keep
from .text import translated


@st.cache_resource(show_spinner=False)
def run_queue():
    """The app's one training queue and run store, shared by every session (runs are global)."""
    from resnet_viz.training.queue import RunQueue
    from resnet_viz.training.store import RunStore

    store = RunStore()
    store.mark_interrupted()  # runs a previous app process left behind
    return RunQueue(store)


STATUS_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "stopped": "⏹️", "diverged": "💥", "failed": "❌"}
STATUS_LABELS = {
    "queued": N_("queued"),
    "running": N_("running"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "diverged": N_("diverged"),
    "failed": N_("failed"),
}
# What the training engine stores as a run's message, in English (it runs in a worker thread that has no
# user language); `run_message` shows them in the reader's language. Keep in step with resnet_viz.training.engine.
STORED_MESSAGES = (
    N_("{reason} at step {step}"),
    N_("loss became {loss} at step {step}: the learning rate is probably too high"),
    N_("{steps} steps"),
)
MEASURING = N_("Measuring this machine's speed…")


def status_text(status: str) -> str:
    """A run's status for a reader: its icon and its name in the reader's language ("✅ finished")."""
    return f"{STATUS_ICONS.get(status, '')} {_(STATUS_LABELS.get(status, status))}"


def run_message(message) -> str:
    """A run's stored message (English, see `STORED_MESSAGES`) in the reader's language, where it is one of
    the engine's fixed messages; anything else (an error's own text) as stored."""
    text = str(message or "")
    if not text or _(text) != text:
        return _(text) if text else ""
    for template in STORED_MESSAGES:
        parts = re.split(r"\{(\w+)\}", template)  # text, name, text, name, ..., text
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{'[0-9]+' if part in ('step', 'steps') else '.+'})"
            for i, part in enumerate(parts)
        )
        if found := re.fullmatch(pattern, text):
            return _(template).format(**{name: run_message(value) for name, value in found.groupdict().items()})
    return text


def training_settings(prefix: str, spec: ResNetSpec, steps: int = 300) -> dict:
    """Widgets for the settings every training page shares; returns TrainConfig keyword arguments.

    Defaults are seeded into session state (the widgets take no ``value=``), and `ui.state.keep`
    restores any value Streamlit drops, so what is on screen is what a launch uses.
    """
    from resnet_viz.training.data import BUNDLED, DOWNLOADABLE, allowed_data_dir

    p = prefix
    defaults = {
        f"{p}_dataset": "digits", f"{p}_budget": "steps", f"{p}_steps": steps, f"{p}_epochs": 2.0, f"{p}_seed": 0,
        f"{p}_batch": 64, f"{p}_opt": "sgd", f"{p}_lr_sgd": 0.1, f"{p}_lr_adamw": 1e-3, f"{p}_schedule": "cosine",
        f"{p}_warmup": 30, f"{p}_wd": 1e-4, f"{p}_augment": False, f"{p}_device": "auto", f"{p}_folder": "",
    }  # fmt: skip
    keep([*defaults, f"{p}_size", f"{p}_name"])
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    # A folder on the server is offered only where the teacher allowed one (RESNET_VIZ_ALLOWED_DATA_DIR).
    datasets = [*BUNDLED, *DOWNLOADABLE] + (["folder"] if allowed_data_dir() is not None else [])
    if st.session_state[f"{p}_dataset"] not in datasets:
        st.session_state[f"{p}_dataset"] = "digits"

    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox(
        _("Dataset"),
        datasets,
        key=f"{p}_dataset",
        format_func=translated(DATASET_LABELS),
        help=_("The bundled sets work offline. The others download once, with a progress bar."),
    )
    follow_default(f"{p}_size", max(spec.min_input_size, 16))
    if st.session_state[f"{p}_size"] < spec.min_input_size:
        st.session_state[f"{p}_size"] = spec.min_input_size
    size = c2.number_input(
        _("Image size"),
        spec.min_input_size,
        224,
        step=8,
        key=f"{p}_size",
        help=_("Images are resized to this. 16 px keeps a 56-layer net fast on a CPU."),
    )
    budget = c3.radio(
        _("Budget in"),
        ["steps", "epochs"],
        horizontal=True,
        key=f"{p}_budget",
        format_func=translated({"steps": N_("steps"), "epochs": N_("epochs")}),
    )
    if budget == "steps":
        steps, epochs = c3.number_input(_("Steps"), 10, 100_000, step=50, key=f"{p}_steps"), None
    else:
        steps = st.session_state[f"{p}_steps"]
        epochs = c3.number_input(_("Epochs"), 0.1, 1000.0, step=0.5, key=f"{p}_epochs")
    seed = c4.number_input(_("Seed"), 0, 2**31 - 1, key=f"{p}_seed", help=_("Same seed, same run (on one device)."))
    with st.expander(_("More settings")):
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
            help=_(
                "After the warm-up: cosine decays to 0, step divides by 10 at 50 % and 75 % of the steps, "
                "constant stays."
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
    "digits": N_("digits (bundled, 8x8 handwriting)"),
    "shapes": N_("shapes (bundled, generated)"),
    "cifar10": N_("CIFAR-10 (download, 170 MB)"),
    "mnist": N_("MNIST (download, 12 MB)"),
    "fashionmnist": N_("Fashion-MNIST (download, 30 MB)"),
    "folder": N_("my own image folder"),
}


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


def follow_default(key: str, default) -> None:
    """Let the widget ``key`` follow ``default`` (derived from the network) until the user edits it.

    Call before drawing the widget, without passing it a value: if the widget still shows the
    previous default, it moves to the new one; a value the user typed stays.
    """
    remembered = f"_{key}_default"
    if key not in st.session_state or st.session_state[key] == st.session_state.get(remembered):
        st.session_state[key] = default
    st.session_state[remembered] = default


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
    st.session_state[f"{key}_toast"] = queued.format(ids=", ".join(f"#{i}" for i in ids))
    st.rerun()


def budget_caption(specs, settings: dict) -> None:
    """Say, before a launch, how long these runs will take on this machine behind the current queue."""
    from resnet_viz.training.budget import describe_seconds
    from resnet_viz.training.config import TrainConfig

    try:
        config = TrainConfig(**settings)
        _device(config.device)
    except ValueError:
        return  # launching will say what is wrong
    if config.epochs is not None:
        st.caption(_("The budget in epochs becomes steps once the dataset is loaded; the estimate follows then."))
        return
    with st.spinner(_(MEASURING)):
        seconds = sum(_run_seconds(spec.to_json(), tuple(sorted(config.to_dict().items()))) for spec in specs)
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


@st.cache_data(show_spinner=False, max_entries=64, ttl=600)
def _run_seconds(spec_json: str, config_items: tuple) -> float:
    from resnet_viz.training.budget import run_cost
    from resnet_viz.training.config import TrainConfig

    config = TrainConfig(**dict(config_items))
    device = str(_device(config.device))
    return run_cost(ResNetSpec.from_json(spec_json), config, run_queue().store, device).seconds


def _device(name: str):
    from resnet_viz.device import resolve_device

    return resolve_device(name)


def queue_forecast() -> dict:
    """{run id: `Forecast`} for every run the app's queue is training or holding."""
    from resnet_viz.training.budget import forecast, run_progress
    from resnet_viz.training.config import TrainConfig

    queue = run_queue()
    active, waiting = queue.active(), queue.queued()
    if not active and not waiting:
        return {}
    runs = queue.store.runs().set_index("id")
    metrics = queue.store.metrics(active + waiting)
    rows = {}
    for run_id in active + waiting:
        if run_id not in runs.index:
            continue
        run = runs.loc[run_id].to_dict()
        done, total, step_seconds = run_progress(run, metrics[metrics["run_id"] == run_id])
        if step_seconds is None:
            config = TrainConfig.from_dict(run["config"])
            spec_json = ResNetSpec.from_dict(run["spec"]).to_json()
            with st.spinner(_(MEASURING)):
                seconds = _run_seconds(spec_json, tuple(sorted(config.to_dict().items())))
            step_seconds = seconds / max(1, config.steps)
        rows[run_id] = (run_id, max(0, total - done), step_seconds)
    return forecast([rows[i] for i in active if i in rows], [rows[i] for i in waiting if i in rows], queue.max_active)


def run_label(run) -> str:
    """ "#5 plain-20 (digits) · ✅ finished · 300 steps · 26 Nov 14:02": tells runs of the same name apart."""
    config = run["config"] if isinstance(run["config"], dict) else {}
    when = str(run.get("finished_at") or run.get("created_at") or "")[:16].replace("T", " ")
    return _("#{id} {name} ({dataset}) · {status} · {steps} steps · {when}").format(
        id=run["id"],
        name=run["name"],
        dataset=config.get("dataset", "?"),
        status=status_text(run["status"]),
        steps=int(run.get("last_step") or 0),
        when=when,
    )


def newest_finished(run_ids: list[int], runs) -> int:
    """The index in ``run_ids`` to preselect: the newest finished run, else the newest run."""
    finished = runs[runs["status"] == "finished"]["id"].tolist()
    candidates = [i for i in run_ids if i in finished] or run_ids
    return run_ids.index(max(candidates))


ACTIVE_STATUSES = ("queued", "running")


def active_runs(group: str | None = None):
    """Runs queued or training now, in this server's queue or another process (the command line).

    Runs whose process is gone (killed, crashed) are marked interrupted first, so none stays "running".
    """
    store = run_queue().store
    store.mark_interrupted()
    runs = store.runs(group=group)
    return runs[runs["status"].isin(ACTIVE_STATUSES)]


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
    from resnet_viz.training.budget import describe_seconds, run_progress

    from .text import plain

    queue = run_queue()
    mine = set(queue.active()) | set(queue.queued())
    forecasts = queue_forecast()
    metrics = queue.store.metrics(runs["id"].tolist())
    for run in runs.sort_values("id").to_dict("records"):
        run_id = int(run["id"])
        done, total, _step_seconds = run_progress(run, metrics[metrics["run_id"] == run_id])
        about, action = st.columns([5, 1])
        forecast = forecasts.get(run_id)
        if run_id in queue.queued() and forecast:
            text = _("waiting, number {position} in line: starts in {start}, done in {finish}")
        elif run_id in queue.queued():
            text = _("waiting, number {position} in line")
        elif forecast:
            text = _("step {done} of {total} on {device} · {finish} left")
        elif run_id not in mine:
            text = _("step {done} of {total} on {device} · trained by another process (e.g. the command line)")
        else:
            text = _("step {done} of {total} on {device}")
        text = text.format(
            position=queue.position(run_id),
            start=describe_seconds(forecast.start_in) if forecast else "",
            finish=describe_seconds(forecast.finish_in) if forecast else "",
            done=done,
            total=total,
            device=run["device"],
        )
        with about:
            st.markdown(
                f"**#{run_id} {plain(run['name'])}** · {status_text(run['status'])}"
                + (f" · {plain(run_message(run['message']))}" if run["message"] else "")
            )
            st.progress(min(done / max(total, 1), 1.0), text=text)
        if run_id in mine and action.button(_("Stop"), key=f"stop_{run_id}", icon=":material/stop:"):
            queue.stop(run_id)


@st.cache_data(show_spinner=False, max_entries=16, ttl=600)
def _too_deep(config_items: tuple):
    from resnet_viz.training.config import TrainConfig
    from resnet_viz.training.labs import too_deep

    config = TrainConfig(**dict(config_items))
    return too_deep(config, run_queue().store, str(_device(config.device)))


def too_deep_costs(settings: dict):
    """`labs.too_deep` for these training settings on this machine (cached ten minutes)."""
    with st.spinner(_(MEASURING)):
        return _too_deep(tuple(sorted(settings.items())))


def error_table(summary, columns: tuple[str, ...] = ("name", "status", "last_step", "train_error", "test_error")):
    """A lab's runs (a `labs.summarize` frame) as a table, errors in % to one decimal."""
    table = summary[list(columns)].copy()
    if "status" in table:
        table["status"] = table["status"].map(lambda status: _(STATUS_LABELS.get(status, status)))
    for column in ("train_error", "test_error"):
        table[column] = (100 * table[column]).round(1)
    for column in ("train_loss", "train_error", "test_error"):  # not measured yet: blank, not a grey "None"
        if column in table:
            table[column] = table[column].map(lambda v: "" if v != v or v is None else f"{v:.4g}")
    st.dataframe(
        table.rename(columns={column: _(label) for column, label in ERROR_TABLE_HEADERS.items()}),
        hide_index=True,
        width="stretch",
    )


ERROR_TABLE_HEADERS = {
    "name": N_("name"),
    "status": N_("status"),
    "last_step": N_("last_step"),
    "train_loss": N_("train_loss"),
    "train_error": N_("train error %"),
    "test_error": N_("test error %"),
}


def lab_group(group: str, progress: bool = True):
    """A lab comparison's (runs, metrics, summary); with ``progress``, first draws its runs in progress.

    Returns the runs of ``group`` (`RunStore.runs`), their metrics and `labs.summarize`'s one row per run.
    """
    from resnet_viz.training.labs import summarize

    store = run_queue().store
    runs = store.runs(group=group)
    metrics = store.metrics(runs["id"].tolist())
    active = runs[runs["status"].isin(ACTIVE_STATUSES)]
    if progress and len(active):
        progress_rows(active)
    return runs, metrics, summarize(runs, metrics)


def sweep_caption(group: str) -> None:
    """Under a lab's comparison picker: how a sweep from the command line behaves (its Stop is elsewhere)."""
    from resnet_viz.training.labs import is_sweep_group

    if is_sweep_group(group):
        st.caption(
            _(
                "A sweep started from the command line (`python -m resnet_viz sweep`), perhaps on a Ray cluster: it "
                "updates here live, and is stopped where it was started (Ctrl+C), not with the Stop button."
            )
        )
