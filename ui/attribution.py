"""Streamlit glue for "Where it looks": models to explain, pictures, and this session's maps.

Shared models (ImageNet weights, trained runs) are cached once for every session and never mutated:
`resnet_viz.probes.attribution` works on a private structural copy. Computed maps are cached per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import streamlit as st

from resnet_viz.i18n import _

from .progress import download_progress
from .run_labels import run_label
from .run_queue import run_queue
from .text import plain

# What loading a trained run can raise: no checkpoint (FileNotFoundError), a checkpoint that does not
# fit its spec (ValueError, KeyError), an unreadable file or a missing dataset (RuntimeError, OSError).
RUN_LOAD_ERRORS = (FileNotFoundError, ValueError, KeyError, RuntimeError, OSError)


# ---------------------------------------------------------------------------- models
def pretrained_model(depth: int):
    """ResNet-``depth`` with ImageNet weights, shared by every session: never mutate it."""
    with st.spinner(_("Loading the ImageNet weights…")):
        return _pretrained_model(depth)


@st.cache_resource(show_spinner=False, max_entries=2)
def _pretrained_model(depth: int):
    from resnet_viz.device import pick_device
    from resnet_viz.probes.explainable import load_pretrained

    return load_pretrained(depth, device=pick_device())


def run_model(run_id: int):
    """A trained run's model (shared, read-only); a newer checkpoint of the same run loads afresh."""
    path = run_queue().store.checkpoint_path(run_id)
    with st.spinner(_("Loading the run's weights…")):
        return _run_model(int(run_id), path.stat().st_mtime if path.exists() else 0.0)


@st.cache_resource(show_spinner=False, max_entries=6)
def _run_model(run_id: int, saved_at: float):
    from resnet_viz.device import pick_device
    from resnet_viz.probes.explainable import load_run_model

    return load_run_model(run_queue().store, run_id, device=pick_device())


def load_run(run_id: int):
    """`run_model`, or None after showing in the page why the run cannot be loaded."""
    try:
        return run_model(int(run_id))
    except RUN_LOAD_ERRORS as err:
        st.error(_("Run #{id} cannot be loaded: {error}").format(id=run_id, error=err), icon="⚠️")
        return None


def trained_runs():
    """Runs that have saved weights, newest first, with their dataset, input size and residual flag."""
    store = run_queue().store
    runs = store.runs()
    saved = runs["id"].map(lambda run_id: store.checkpoint_path(run_id).exists()).astype(bool)
    runs = runs[saved].copy()
    runs["dataset"] = [config.get("dataset") for config in runs["config"]]
    runs["input_size"] = [int(config.get("input_size", 0)) for config in runs["config"]]
    runs["residual"] = [bool(spec.get("residual", True)) for spec in runs["spec"]]
    runs["label"] = [run_label(run) for run in runs.to_dict("records")]
    return runs.reset_index(drop=True)


def best_pair(runs) -> tuple[int, int]:
    """(residual run id, plain run id) to compare first: the newest pair with the same data, size and layout."""
    residual_runs, plain_runs = runs[runs["residual"]], runs[~runs["residual"]]
    same = lambda r, p: (  # noqa: E731
        (r.dataset, r.input_size, r.spec.get("layers")) == (p.dataset, p.input_size, p.spec.get("layers"))
    )
    pairs = [(r.id, p.id) for r in residual_runs.itertuples() for p in plain_runs.itertuples() if same(r, p)]
    return pairs[0] if pairs else (int(residual_runs["id"].iloc[0]), int(plain_runs["id"].iloc[0]))


def download_weights(depth: int) -> bool:
    """Download ImageNet weights with a progress bar; a readable error (and False) when offline."""
    from resnet_viz.probes.explainable import WeightsUnavailable
    from resnet_viz.probes.explainable import download_weights as download

    bar = st.progress(0.0, text=_("Starting the download…"))
    try:
        download(depth, progress=download_progress(bar, _("ResNet-{depth} weights").format(depth=depth)))
    except WeightsUnavailable as err:
        bar.empty()
        st.error(str(err), icon="🔌")
        return False
    bar.progress(1.0, text=_("Downloaded."))
    return True


# ---------------------------------------------------------------------------- pictures
@st.cache_resource(show_spinner=False)
def samples():
    """The bundled sample pictures (read-only, shared)."""
    from resnet_viz.probes.images import bundled_samples

    return bundled_samples()


def read_upload(uploaded):
    """An ``st.file_uploader`` file -> `LoadedImage`, or None after showing why it cannot be used."""
    from resnet_viz.probes.images import ImageError, load_image

    try:
        return load_image(uploaded.getvalue())
    except ImageError as err:
        st.error(f"**{plain(uploaded.name)}**: {plain(err)}", icon="🖼️")
    except Exception as err:  # noqa: BLE001 - last line of defence: a hostile file never shows a traceback
        st.error(
            _("**{file}**: this file could not be read as an image ({error}).").format(
                file=plain(uploaded.name), error=type(err).__name__
            ),
            icon="🖼️",
        )
    return None


@dataclass(frozen=True)
class TestPictures:
    """The first test images of a run's dataset, as the run saw them."""

    x: object  # (N, C, H, W) normalised tensor
    y: object  # (N,) labels
    masks: object  # (N, H, W) object masks, or None (only the shapes dataset has them)
    mean: tuple[float, ...]
    std: tuple[float, ...]


def run_test_pictures(config: dict, count: int) -> TestPictures:
    """The first ``count`` test pictures of the dataset a run was trained on (from its config)."""
    with st.spinner(_("Loading test pictures…")):
        return _test_pictures(
            config["dataset"], int(config["input_size"]), int(config.get("seed", 0)), config.get("num_samples"), count
        )


@st.cache_data(show_spinner=False, max_entries=8)
def _test_pictures(dataset: str, input_size: int, seed: int, num_samples: int | None, count: int) -> TestPictures:
    from resnet_viz.training.data import load_dataset

    bundle = load_dataset(dataset, input_size=input_size, seed=seed, num_samples=num_samples)
    masks = bundle.masks_test[:count] if bundle.masks_test is not None else None
    return TestPictures(bundle.x_test[:count], bundle.y_test[:count], masks, bundle.mean, bundle.std)


def display_size(array, side: int = 320):
    """Upscale a small picture (a 16 or 32 px model input) with crisp pixels, so it can be seen."""
    from PIL import Image

    image = Image.fromarray(array) if not isinstance(array, Image.Image) else array
    if max(image.size) >= side:
        return image
    scale = max(1, side // max(image.size))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


# ---------------------------------------------------------------------------- this session's results
class MapKey(NamedTuple):
    """What identifies one attribution map: the same key, the same map."""

    model: str  # "imagenet-50", "run-7"
    picture: str  # a sample's name, an upload's hash, "test picture 3"
    method: str
    layer: str  # "" for methods that do not use a layer
    target: int


_SESSION_CACHES = "_session_caches"


def remembered(bucket: str, key, compute, limit: int = 48):
    """``compute()``'s result, kept in this session under (bucket, key); the oldest go past ``limit``."""
    cache = st.session_state.setdefault(_SESSION_CACHES, {}).setdefault(bucket, {})
    if key not in cache:
        cache[key] = compute()
        while len(cache) > limit:
            cache.pop(next(iter(cache)))
    return cache[key]


def recall(bucket: str, key):
    """What `remembered` keeps under (bucket, key), or None."""
    return st.session_state.get(_SESSION_CACHES, {}).get(bucket, {}).get(key)
