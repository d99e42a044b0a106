"""Streamlit glue for "Why it works" (and the bundled source of "Where it looks"): the models that ship
with the app, their test pictures, and this session's lesion, landscape and inside-the-block results.

Bundled models are cached once for every session and never mutated: `resnet_viz.probes.lesion`, `.landscape`
and `.inside` work on private structural copies. Slow results are kept per session (`remembered`).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from resnet_viz import i18n
from resnet_viz.i18n import _

from . import citations as sources
from .attribution import recall, remembered
from .progress import was_cancelled, with_progress

RESULTS = "why it works"  # this session's cache bucket (see ui.attribution.remembered)


@st.cache_resource(show_spinner=False, max_entries=8)
def _bundled(name: str):
    from resnet_viz.probes.explainable import load_bundled

    return load_bundled(name)


def load_model(name: str):
    """A bundled model (shared, read-only), or None after showing why it cannot be loaded."""
    from resnet_viz.probes.explainable import BundledModelUnavailable

    try:
        with st.spinner(_("Loading the bundled model…")):
            return _bundled(name)
    except BundledModelUnavailable as err:
        st.error(str(err), icon="⚠️")
        return None


def bundled_table():
    """`explainable.bundled_models()`, or None after showing why the manifest cannot be read."""
    from resnet_viz.probes.explainable import BundledModelUnavailable, bundled_models

    try:
        return bundled_models()
    except BundledModelUnavailable as err:
        st.error(str(err), icon="⚠️")
        return None


@st.cache_data(show_spinner=False, max_entries=4)
def test_split(dataset: str, input_size: int, seed: int):
    """The test split (x, y) the bundled models were measured on: `load_dataset`'s split for the seed."""
    from resnet_viz.training.data import load_dataset

    bundle = load_dataset(dataset, input_size=input_size, seed=seed)
    return bundle.x_test, bundle.y_test


def test_batch(explained, count: int):
    """The first ``count`` test pictures (x (N, C, H, W), y (N,)) of a bundled model's dataset."""
    config = explained.config
    x, y = test_split(config["dataset"], int(config["input_size"]), int(config["seed"]))
    return x[:count], y[:count]


def slow(label: str, key: tuple, work, button: str, cancel_key: str):
    """This session's result for ``key``, or None; computed (with progress and Cancel) when ``button`` is clicked.

    A ValueError from the library is shown as a message, never a traceback.
    """
    from resnet_viz.progress import Cancelled

    done = recall(RESULTS, key)
    if done is not None:
        return done
    if was_cancelled(cancel_key):
        st.info(_("Cancelled."), icon="⏹️")
    if not st.button(button, type="primary", key=f"{cancel_key}_go"):
        return None
    try:
        return remembered(RESULTS, key, lambda: with_progress(label, work, cancel_key))
    except Cancelled:
        st.info(_("Cancelled."), icon="⏹️")
    except ValueError as err:
        st.error(str(err), icon="⚠️")
    return None


def both(models: dict, work_one):
    """``work(progress)`` running ``work_one(model, progress)`` over both ``models`` ({name: ExplainableModel}),
    with one progress bar: (done, total) summed over the two. Returns {name: result}."""

    def work(progress):
        out = {}
        for i, (name, explained) in enumerate(models.items()):
            out[name] = work_one(explained.model, lambda d, t, i=i: progress(i * t + d, 2 * t))
        return out

    return work


def lesion_metrics(lesions: dict) -> None:
    """One metric per model of a `lesion_study` ({name: table}): the error with one block deleted, mean and
    worst over the deletable blocks, against the intact net's."""
    for column, (name, result) in zip(st.columns(len(lesions)), lesions.items()):
        rows = result[(result["block"] != "none") & result["deletable"]]
        base = result.loc[result["block"] == "none", "error"].iloc[0]
        column.metric(
            _("{name}: error with one block deleted").format(name=name),
            _("{mean} mean, {worst} worst").format(
                mean=f"{rows['error'].mean():.1%}", worst=f"{rows['error'].max():.1%}"
            ),
            _("intact {error}").format(error=f"{base:.1%}"),
            delta_color="off",
        )


def costliest_deletion(lesion: pd.DataFrame, explained, x) -> None:
    """Explain the single deletion that hurts a ResNet most, when it hurts beyond sampling noise.

    Veit et al. find single deletions harmless except at some downsampling blocks; on the bundled nets the
    first block (layer1.0) is the exception (about 67 % error on ResNet-56 with 256 pictures). Its branch is
    measured here, ||F(x)|| / ||x|| on the first 64 pictures of ``x`` (N, C, H, W), beside the other blocks.
    """
    from resnet_viz.probes.inside import response_ratios

    rows = lesion[(lesion["block"] != "none") & lesion["deletable"]]
    base = float(lesion.loc[lesion["block"] == "none", "error"].iloc[0])
    worst = rows.loc[rows["error"].idxmax()]
    error, count = float(worst["error"]), len(x)
    if error - base <= max(0.1, 3 * math.sqrt(error * (1 - error) / count)):  # within what 3 sigma could explain
        return
    ratios = response_ratios(explained.model, x[:64]).set_index("block")["ratio"]
    st.info(
        _(
            "**A finding on these models, not in the paper:** deleting {block} alone sends the error to {error} "
            "(intact: {base}), while Veit et al. see single deletions matter only at some downsampling blocks. "
            "This block's branch is no small correction: ||F(x)|| / ||x|| = {ratio} there, against a median of "
            "{median} over the {count} blocks (section 3). A likely reading: the stem is a single 3x3 convolution, "
            "so the first block does much of the early feature work itself, and without it every later block "
            "gets features it never saw in training. These are small nets trained on 8x8 digits at 16 px, not "
            "Veit's ResNet-110 on CIFAR-10, so the two need not agree."
        ).format(
            block=worst["block"],
            error=f"{error:.0%}",
            base=f"{base:.0%}",
            ratio=f"{ratios[worst['block']]:.2f}",
            median=f"{ratios.median():.2f}",
            count=len(ratios),
        ),
        icon=":material/science:",
    )


def trained_and_fresh_ratios(depth: int, models: dict, x) -> dict:
    """||F(x)|| / ||x|| per block of each model, trained and freshly initialised, on pictures ``x`` (N, C, H, W):
    {"<name> trained": ratios, "<name> fresh": ratios, ...} in pairs (`ratio_figure` draws the fresh one dotted).

    ``models`` are the bundled plain and residual nets of ``depth`` and ``x`` the first test pictures, so the result
    depends on (depth, number of pictures, language) only: cached for every session and every rerun (four forward
    passes and two fresh nets, over a second on a 2-core CPU).
    """
    return _trained_and_fresh_ratios(depth, len(x), i18n.language(), models, x)


@st.cache_data(show_spinner=False, max_entries=16)
def _trained_and_fresh_ratios(depth: int, count: int, language: str, _models: dict, _x) -> dict:
    from resnet_viz.probes.inside import freshly_initialised, response_ratios

    ratios = {}
    with i18n.use_language(language):
        for name, explained in _models.items():
            ratios[_("{name} trained").format(name=name)] = response_ratios(explained.model, _x)
            fresh = freshly_initialised(explained.model, seed=0)
            ratios[_("{name} fresh").format(name=name)] = response_ratios(fresh, _x)
    return ratios


def sources_footnote() -> None:
    """The page's Sources: the figures each of its three looks follows."""
    sources.footnote(
        [
            _(
                "{veit}: Sec. 4 and Fig. 3 (deleting one block of ResNet-110 against one layer of a VGG-style "
                "plain net, CIFAR-10), Fig. 5a (deleting k blocks), Fig. 6 (path lengths and the gradient per length)."
            ).format(veit=sources.VEIT),
            _(
                "{li}: Sec. 4 (filter normalisation), Sec. 6 and Fig. 5 (ResNet-20/56/110 with and without shortcuts)."
            ).format(li=sources.LI),
            _("{resnet}: Fig. 7 (std of the 3x3 layers' responses after BN, CIFAR-10).").format(resnet=sources.RESNET),
        ]
    )
