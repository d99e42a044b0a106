"""Streamlit glue shared by every page: the sidebar model picker (mirrored in the URL) and cached loaders.

Pages stay thin: they call `page_choice()` for the network the user picked, then the cached
loaders below, then draw. Nothing here imports torch at module level, so the home page can be
drawn before torch loads; the loaders import the library when first called.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from resnet_viz.spec import SHORTCUT_VARIANTS, UNITS, ResNetSpec

# Presets: label -> (depth, style, block, options). CIFAR basic nets use option A as in Table 6.
PRESETS: dict[str, tuple[int, str, str, dict]] = {
    "ResNet-18": (18, "imagenet", "basic", {}),
    "ResNet-34": (34, "imagenet", "basic", {}),
    "ResNet-50": (50, "imagenet", "bottleneck", {}),
    "ResNet-101": (101, "imagenet", "bottleneck", {}),
    "ResNet-152": (152, "imagenet", "bottleneck", {}),
    "CIFAR ResNet-20": (20, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-32": (32, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-44": (44, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-56": (56, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-110": (110, "cifar", "basic", {"shortcut": "A"}),
    "CIFAR ResNet-164 (pre-act)": (164, "cifar", "bottleneck", {"shortcut": "B", "unit": "preact"}),
    "CIFAR ResNet-1001 (pre-act)": (1001, "cifar", "bottleneck", {"shortcut": "B", "unit": "preact"}),
    "CIFAR ResNet-1202": (1202, "cifar", "basic", {"shortcut": "A"}),
}
CUSTOM = "Custom depth"
UNIT_LABELS = {
    "original": "original (post-activation)",
    "bn_after_add": "BN after addition",
    "relu_before_add": "ReLU before addition",
    "relu_preact": "ReLU-only pre-activation",
    "preact": "full pre-activation",
}
VARIANT_LABELS = {
    "identity": "identity",
    "scaling": "constant scaling (0.5)",
    "exclusive_gating": "exclusive gating",
    "shortcut_gating": "shortcut-only gating",
    "conv1x1": "1x1 conv shortcut",
    "dropout": "dropout shortcut (0.5)",
}

# Widget key -> (URL parameter, default). The URL holds the whole configuration, so a link
# reopens the same view.
DEFAULTS = {
    "preset": "ResNet-18",
    "style": "imagenet",
    "depth": 18,
    "block": "auto",
    "residual": True,
    "shortcut": "B",
    "stride_on": "3x3",
    "unit": "original",
    "variant": "identity",
    "batchnorm": True,
    "input_size": 224,
}
_KEY = "cfg_"  # prefix of the picker's widget keys in st.session_state


@dataclass(frozen=True)
class Choice:
    """What the sidebar picked: a valid spec and input size, or a readable error."""

    spec: ResNetSpec | None
    input_size: int
    error: str | None = None

    def require(self) -> tuple[ResNetSpec, int]:
        """The spec and input size; on a bad choice, show the error and stop this page only."""
        if self.spec is None:
            st.error(self.error or "This configuration is not valid.", icon="⚠️")
            stop_page()
        return self.spec, self.input_size


# ---------------------------------------------------------------------- URL <-> widgets
def _parse(key: str, raw: str):
    default = DEFAULTS[key]
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    return raw


def _valid(key: str, value) -> bool:
    allowed = {
        "preset": [*PRESETS, CUSTOM],
        "style": ["imagenet", "cifar"],
        "block": ["auto", "basic", "bottleneck"],
        "shortcut": ["A", "B", "C"],
        "stride_on": ["3x3", "1x1"],
        "unit": list(UNITS),
        "variant": list(SHORTCUT_VARIANTS),
    }
    if key in allowed:
        return value in allowed[key]
    if key == "depth":
        return 1 <= value <= 10_000
    if key == "input_size":
        return 4 <= value <= 1024
    return True


def _load_from_url() -> None:
    """On a session's first run, set the picker's widgets from the URL (ignoring bad values)."""
    if st.session_state.get("_cfg_loaded"):
        return
    st.session_state["_cfg_loaded"] = True
    for key, default in DEFAULTS.items():
        st.session_state.setdefault(_KEY + key, default)
    params = st.query_params
    if params.get("preset") in PRESETS:  # the preset's options first; explicit parameters override them
        st.session_state[_KEY + "preset"] = params["preset"]
        _apply_preset()
    for key in DEFAULTS:
        if key in params:
            try:
                value = _parse(key, params[key])
            except ValueError:
                continue
            if _valid(key, value):
                st.session_state[_KEY + key] = value


def _write_to_url() -> None:
    values = {key: st.session_state[_KEY + key] for key in DEFAULTS}
    st.query_params.from_dict(
        {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in values.items() if v != DEFAULTS[k]}
    )


def _apply_preset() -> None:
    """When a preset is chosen, set every option to the paper's configuration for it."""
    preset = st.session_state[_KEY + "preset"]
    if preset not in PRESETS:
        return
    depth, style, block, options = PRESETS[preset]
    state = st.session_state
    state[_KEY + "style"], state[_KEY + "depth"], state[_KEY + "block"] = style, depth, block
    state[_KEY + "shortcut"] = options.get("shortcut", "B")
    state[_KEY + "unit"] = options.get("unit", "original")
    state[_KEY + "variant"] = "identity"
    state[_KEY + "input_size"] = 224 if style == "imagenet" else 32


def _apply_style() -> None:
    st.session_state[_KEY + "input_size"] = 224 if st.session_state[_KEY + "style"] == "imagenet" else 32


# ---------------------------------------------------------------------- the picker
def model_picker() -> Choice:
    """Draw the model picker in the sidebar and return the choice. Call once per run."""
    _load_from_url()
    sb = st.sidebar
    sb.header("Model")
    preset = sb.selectbox("Network", [*PRESETS, CUSTOM], key=_KEY + "preset", on_change=_apply_preset)
    if preset == CUSTOM:
        sb.radio(
            "Style",
            ["imagenet", "cifar"],
            key=_KEY + "style",
            horizontal=True,
            on_change=_apply_style,
            help="ImageNet: 7x7 stem, 4 stages, 224x224. CIFAR: 3x3 stem, 3 stages of 16/32/64 filters, 32x32.",
        )
        sb.number_input(
            "Depth (weighted layers)",
            min_value=1,
            max_value=10_000,
            step=1,
            key=_KEY + "depth",
            help="CIFAR: 6n+2 (basic) or 9n+2 (bottleneck). ImageNet: 18/34/50/101/152 or 2B+2 / 3B+2.",
        )
        sb.radio("Block", ["auto", "basic", "bottleneck"], key=_KEY + "block", horizontal=True)
    sb.toggle(
        "Residual connections",
        key=_KEY + "residual",
        help="Off: the same network without its shortcut additions (a plain net).",
    )
    with sb.expander("Variants", expanded=False):
        st.radio(
            "Shortcut option",
            ["A", "B", "C"],
            key=_KEY + "shortcut",
            horizontal=True,
            help="A: zero-padding identity. B: 1x1 projection where the shape changes. C: projection everywhere.",
        )
        st.radio(
            "Bottleneck stride on",
            ["3x3", "1x1"],
            key=_KEY + "stride_on",
            horizontal=True,
            format_func=lambda v: {"3x3": "3x3 (v1.5, torchvision)", "1x1": "1x1 (v1, paper)"}[v],
        )
        st.selectbox(
            "Residual unit",
            list(UNITS),
            key=_KEY + "unit",
            format_func=UNIT_LABELS.get,
            help="Identity Mappings, Fig. 4",
        )
        st.selectbox(
            "Shortcut variant",
            list(SHORTCUT_VARIANTS),
            key=_KEY + "variant",
            format_func=VARIANT_LABELS.get,
            help="Identity Mappings, Fig. 2",
        )
        st.toggle("Batch normalisation", key=_KEY + "batchnorm")
        st.number_input("Input size (pixels)", min_value=4, max_value=1024, step=1, key=_KEY + "input_size")
    _write_to_url()
    return current_choice()


def current_choice() -> Choice:
    """Turn the picker's state into a spec, catching every invalid combination as a message."""
    s = {key: st.session_state.get(_KEY + key, default) for key, default in DEFAULTS.items()}
    if s["preset"] in PRESETS:
        depth, style, block, _ = PRESETS[s["preset"]]
    else:
        depth, style, block = s["depth"], s["style"], None if s["block"] == "auto" else s["block"]
    try:
        spec = ResNetSpec.from_depth(
            depth,
            style=style,
            block=block,
            residual=s["residual"],
            shortcut=s["shortcut"],
            stride_on=s["stride_on"],
            unit=s["unit"],
            shortcut_variant=s["variant"],
            norm="batch" if s["batchnorm"] else "none",
        )
    except ValueError as err:
        return Choice(None, s["input_size"], str(err))
    minimum = 32 if spec.style == "imagenet" else 4
    if s["input_size"] < minimum:
        return Choice(None, s["input_size"], f"Input size {s['input_size']} is too small: use at least {minimum}.")
    return Choice(spec, s["input_size"])


def page_choice() -> Choice:
    """The choice for this page: from app.py's sidebar, or (page run on its own) a picker drawn here."""
    if st.session_state.get("_from_entry_point"):
        return current_choice()
    return model_picker()


# ---------------------------------------------------------------------- cached loaders
@st.cache_data(show_spinner="Tracing the network…", max_entries=64)
def layer_table(spec_json: str, input_size: int):
    from resnet_viz import layer_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def stage_table(spec_json: str, input_size: int):
    from resnet_viz import stage_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def shortcut_table(spec_json: str, input_size: int):
    from resnet_viz import shortcut_table as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def paper_checks(spec_json: str, input_size: int):
    from resnet_viz import paper_checks as compute

    return compute(ResNetSpec.from_json(spec_json), input_size, layers=layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def memory_verdict(spec_json: str, input_size: int) -> tuple[int, int, str | None]:
    """(parameters, bytes to train at batch 1, message if it would not fit on this machine)."""
    from resnet_viz import ModelTooLargeError, check_fits, estimate_memory

    spec = ResNetSpec.from_json(spec_json)
    estimate = estimate_memory(spec, input_size)
    try:
        check_fits(spec, input_size=input_size)
        message = None
    except ModelTooLargeError as err:
        message = str(err)
    return estimate.params, estimate.total_bytes, message


@st.cache_resource(show_spinner=False)
def device_caption() -> str:
    from resnet_viz import device_label

    return device_label()


def with_options(spec: ResNetSpec, **changes) -> ResNetSpec:
    """A copy of ``spec`` with some fields changed (specs are frozen)."""
    return replace(spec, **changes)


# ---------------------------------------------------------------------- formatting
def human(n: float, unit: str = "") -> str:
    """12_345_678 -> "12.3M"; 3.86e9 -> "3.86G"."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            value = n / factor
            return f"{value:.3g}{suffix}{unit}" if value < 100 else f"{value:,.0f}{suffix}{unit}"
    return f"{n:,.0f}{unit}"


def page_link(path: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app; plain text when this page runs on its own."""
    if st.session_state.get("_from_entry_point"):
        st.page_link(path, label=label, icon=icon)
    else:
        st.markdown(f"**{label}** (open `app.py` to navigate)")


def stop_page() -> None:
    """End this page here (after showing why), like ``st.stop()``, but still draw app.py's device line.

    app.py draws that line after the page has run, which ``st.stop()`` would skip; it leaves a
    function to draw it in the session state for this.
    """
    draw_device_line = st.session_state.get("_draw_device_line")
    if st.session_state.get("_from_entry_point") and callable(draw_device_line):
        draw_device_line()
    st.stop()


def standalone_setup() -> None:
    """Page config for a page run on its own (`streamlit run pages/x.py`); app.py does it otherwise."""
    if not st.session_state.get("_from_entry_point"):
        _leave_legacy_multipage_mode()
        st.set_page_config(page_title="ResNet, seen from inside", page_icon="🧱", layout="wide")


def _leave_legacy_multipage_mode() -> None:
    """Hand a page that Streamlit ran by itself back to app.py's navigation.

    Streamlit still has its older multipage mode for apps with a ``pages/`` folder: until app.py has
    called ``st.navigation`` once, a fresh server runs a deep link (``/shortcuts?preset=...``, the
    links teachers share) as a page of its own, and keeps doing so for every later visitor: no
    sections, no device line. When a page finds itself run that way under app.py, it switches the
    old mode off and reruns, so app.py runs and routes the same URL to the same page.
    """
    from pathlib import Path

    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    main_script = Path(getattr(ctx, "main_script_path", "") or "")
    if getattr(PagesManager, "uses_pages_directory", False) and main_script.name == "app.py":
        PagesManager.uses_pages_directory = False
        st.rerun()


def spec_at_depth(spec: ResNetSpec, depth: int) -> ResNetSpec:
    """``spec``'s options at another depth, with the block type the papers use for that depth."""
    preset_block = next((b for d, style, b, _ in PRESETS.values() if d == depth and style == spec.style), None)
    return ResNetSpec.from_depth(
        depth,
        style=spec.style,
        block=preset_block,
        residual=spec.residual,
        shortcut=spec.shortcut,
        stride_on=spec.stride_on,
        unit=spec.unit,
        shortcut_variant=spec.shortcut_variant,
        norm=spec.norm,
    )


@st.cache_data(show_spinner="Tracing the networks…", max_entries=16)
def side_by_side(spec_jsons: tuple[str, ...], input_size: int):
    from resnet_viz import side_by_side as compute

    return compute([ResNetSpec.from_json(s) for s in spec_jsons], input_size)


@st.cache_data(show_spinner=False, max_entries=64)
def block_summary(spec_json: str, input_size: int):
    from resnet_viz import block_summary as compute

    return compute(layer_table(spec_json, input_size))


@st.cache_data(show_spinner=False, max_entries=64)
def stage_cost_figure(spec_json: str, input_size: int):
    from resnet_viz.figures import stage_cost_chart

    return stage_cost_chart(stage_table(spec_json, input_size))


def displayable(layers):
    """A layer table ready to show: shapes in paper notation (H x W x C), friendly headers."""
    from resnet_viz import format_shape

    return layers.assign(
        input_shape=layers["input_shape"].map(format_shape),
        output_shape=layers["output_shape"].map(format_shape),
    ).rename(columns={"input_shape": "input (HxWxC)", "output_shape": "output (HxWxC)"})


@st.cache_data(show_spinner=False, max_entries=32)
def option_costs(spec_json: str, input_size: int):
    from resnet_viz import shortcut_option_costs

    costs = shortcut_option_costs(ResNetSpec.from_json(spec_json), input_size)
    return costs.assign(
        shortcut_params=costs["shortcut_params"].map(lambda n: f"{n:,}"),
        total_params=costs["total_params"].map(human),
        share=costs["share"].map(lambda s: f"{100 * s:.2f} %"),
    ).rename(columns={"shortcut_params": "shortcut params", "total_params": "network params", "share": "share"})


@st.cache_data(show_spinner="Drawing…", max_entries=32)
def shortcut_figure(spec_json: str, input_size: int, fold: bool):
    from resnet_viz.figures import shortcut_diagram

    spec = ResNetSpec.from_json(spec_json)
    return shortcut_diagram(shortcut_table(spec_json, input_size), fold=fold, title=spec.name)


@st.cache_data(show_spinner=False, max_entries=64)
def block_figure(spec_json: str, input_size: int, block: str):
    from resnet_viz.figures import block_diagram

    return block_diagram(layer_table(spec_json, input_size), block, spec=ResNetSpec.from_json(spec_json))


def block_explanation(spec: ResNetSpec) -> str:
    """A few sentences on what the block view shows for this spec."""
    parts = []
    if spec.block == "basic":
        parts.append("A **basic block** has two 3x3 convolutions; the first one carries the stride.")
    else:
        where = "the first 1x1 (the paper, v1)" if spec.stride_on == "1x1" else "the 3x3 (torchvision, v1.5)"
        parts.append(
            "A **bottleneck block** reduces the width with a 1x1, works at low width with a 3x3, then "
            f"expands 4x with a 1x1. In a downsampling block the stride sits on {where}: a strided 1x1 "
            "simply skips three quarters of its input, so v1.5 is about 0.5 % more accurate at a little "
            "more compute."
        )
    orders = {
        "original": "conv-BN-ReLU, conv-BN, then the addition and a final ReLU (post-activation).",
        "bn_after_add": "BN moved after the addition, so it also normalises the shortcut signal.",
        "relu_before_add": "the ReLU moved before the addition, so F(x) can only add, never subtract.",
        "relu_preact": "the ReLU moved to the start of the branch; the addition's output is left untouched.",
        "preact": "BN and ReLU before each conv (pre-activation), so the shortcut path is a clean identity "
        "from block to block.",
    }
    if spec.residual:
        parts.append(f"Unit ordering: {orders[spec.unit]}")
    else:
        parts.append("Plain network: the branch is all there is, no shortcut and no addition.")
    return "\n\n".join(parts)


# ---------------------------------------------------------------------- training
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
    minimum = 32 if spec.style == "imagenet" else 8
    size = c2.number_input(
        "Image size",
        minimum,
        224,
        max(minimum, 16),
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


def download_progress(bar, label: str):
    """A (bytes done, bytes total) callback that moves ``bar`` (an ``st.progress``) and says how much."""

    def progress(done: int, total: int | None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        of_total = f" of {total / 1e6:.1f}" if total else ""
        bar.progress(fraction, text=f"Downloading {label}: {done / 1e6:.1f}{of_total} MB")

    return progress


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


@st.cache_data(show_spinner="Running a forward and backward pass through both networks…", max_entries=16)
def gradient_tables(depth: int, batchnorm: bool, seed: int):
    """{"plain-N": table, "ResNet-N": table} of gradient statistics at initialisation, or an error message."""
    import torch

    from resnet_viz import ModelTooLargeError, build_resnet
    from resnet_viz.gradients import gradient_norms, sample_batch

    tables = {}
    for residual in (False, True):
        spec = ResNetSpec.from_depth(
            depth, style="cifar", residual=residual, shortcut="A", norm="batch" if batchnorm else "none"
        )
        torch.manual_seed(seed)
        try:
            model = build_resnet(spec)
        except ModelTooLargeError as err:
            return str(err)
        x, y = sample_batch(3, 32, 8, seed, 10)
        tables[f"{'ResNet' if residual else 'plain'}-{depth}"] = gradient_norms(model, x, y)
    return tables


def total_steps(run: dict, metrics) -> int:
    """A run's budget in steps (known from its first logged row when it was given in epochs)."""
    extras = metrics["extra"].dropna() if len(metrics) else []
    if len(extras) and "total_steps" in extras.iloc[-1]:
        return int(extras.iloc[-1]["total_steps"])
    return int(run["config"]["steps"])


# ---------------------------------------------------------------------- attribution (Where it looks)
@st.cache_resource(show_spinner="Loading the ImageNet weights…", max_entries=2)
def pretrained_model(depth: int):
    """ResNet-``depth`` with ImageNet weights, shared by every session: never mutate it."""
    from resnet_viz.builder import pick_device
    from resnet_viz.sources import load_pretrained

    return load_pretrained(depth, device=pick_device())


def run_model(run_id: int):
    """A trained run's model (shared, read-only); a newer checkpoint of the same run loads afresh."""
    path = run_queue().store.checkpoint_path(run_id)
    return _run_model(int(run_id), path.stat().st_mtime if path.exists() else 0.0)


@st.cache_resource(show_spinner="Loading the run's weights…", max_entries=6)
def _run_model(run_id: int, saved_at: float):
    from resnet_viz.builder import pick_device
    from resnet_viz.sources import load_run_model

    return load_run_model(run_queue().store, run_id, device=pick_device())


def trained_runs():
    """Runs that have saved weights, newest first, with their dataset, input size and residual flag."""
    store = run_queue().store
    runs = store.runs()
    saved = runs["id"].map(lambda run_id: store.checkpoint_path(run_id).exists()).astype(bool)
    runs = runs[saved].copy()
    runs["dataset"] = [config.get("dataset") for config in runs["config"]]
    runs["input_size"] = [int(config.get("input_size", 0)) for config in runs["config"]]
    runs["residual"] = [bool(spec.get("residual", True)) for spec in runs["spec"]]
    runs["label"] = [f"#{i} {name} ({dataset})" for i, name, dataset in zip(runs["id"], runs["name"], runs["dataset"])]
    return runs.reset_index(drop=True)


def download_weights(depth: int) -> bool:
    """Download ImageNet weights with a progress bar; a readable error (and False) when offline."""
    from resnet_viz.sources import WeightsUnavailable
    from resnet_viz.sources import download_weights as download

    bar = st.progress(0.0, text="Starting the download…")
    try:
        download(depth, progress=download_progress(bar, f"ResNet-{depth} weights"))
    except WeightsUnavailable as err:
        bar.empty()
        st.error(str(err), icon="🔌")
        return False
    bar.progress(1.0, text="Downloaded.")
    return True


@st.cache_resource(show_spinner=False)
def samples():
    """The bundled sample pictures (read-only, shared)."""
    from resnet_viz.images import bundled_samples

    return bundled_samples()


def read_upload(uploaded):
    """An ``st.file_uploader`` file -> `LoadedImage`, or None after showing why it cannot be used."""
    from resnet_viz.images import ImageError, load_image

    try:
        return load_image(uploaded.getvalue())
    except ImageError as err:
        st.error(f"**{uploaded.name}**: {err}", icon="🖼️")
    except Exception as err:  # noqa: BLE001 - last line of defence: a hostile file never shows a traceback
        st.error(f"**{uploaded.name}**: this file could not be read as an image ({type(err).__name__}).", icon="🖼️")
    return None


_ATTRIBUTIONS = "_attribution_cache"


def cached_attribution(key: tuple, compute):
    """This session's attribution maps, keyed by (model, picture, method, layer, target); at most 48 kept."""
    cache = st.session_state.setdefault(_ATTRIBUTIONS, {})
    if key not in cache:
        cache[key] = compute()
        while len(cache) > 48:
            cache.pop(next(iter(cache)))
    return cache[key]


def has_attribution(key: tuple) -> bool:
    return key in st.session_state.get(_ATTRIBUTIONS, {})


def with_progress(label: str, work, cancel_key: str):
    """Run slow ``work(progress)`` in this script run with a progress bar and a Cancel button.

    Clicking Cancel reruns the script, which Streamlit does by stopping this run at the next progress
    update; the rerun finds the Cancel button pressed (see `was_cancelled`). Returns work's result.
    """
    import time

    bar = st.progress(0.0, text=f"{label}…")
    button_slot = st.empty()
    button_slot.button("Cancel", key=cancel_key, icon=":material/cancel:")
    started = time.perf_counter()

    def progress(fraction: float) -> None:
        bar.progress(fraction, text=f"{label}: {fraction:.0%} ({time.perf_counter() - started:.0f} s)")

    try:
        return work(progress)
    finally:
        bar.empty()
        button_slot.empty()


def was_cancelled(cancel_key: str) -> bool:
    return bool(st.session_state.get(cancel_key))


def display_size(array, side: int = 320):
    """Upscale a small picture (a 16 or 32 px model input) with crisp pixels, so it can be seen."""
    from PIL import Image

    image = Image.fromarray(array) if not isinstance(array, Image.Image) else array
    if max(image.size) >= side:
        return image
    scale = max(1, side // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


@st.cache_data(show_spinner="Loading test pictures…", max_entries=8)
def test_pictures(dataset: str, input_size: int, seed: int, num_samples: int | None, count: int):
    """The first ``count`` test images of a run's dataset, as it saw them: (x, y, masks or None, mean, std)."""
    from resnet_viz.data import load_dataset

    bundle = load_dataset(dataset, input_size=input_size, seed=seed, num_samples=num_samples)
    masks = bundle.masks_test[:count] if bundle.masks_test is not None else None
    return bundle.x_test[:count], bundle.y_test[:count], masks, bundle.mean, bundle.std
