"""Where it looks, steps 1 and 2: choose the model to explain and the picture to explain."""

from __future__ import annotations

import hashlib

import streamlit as st

from resnet_viz.i18n import N_, _, join_items

from . import attribution as loaders
from . import frame
from .run_labels import newest_finished
from .text import plain, translated

MODEL_SOURCES = {
    "bundled": N_("a model that ships with the app"),
    "imagenet": N_("an ImageNet-pretrained ResNet"),
    "run": N_("a model trained in this app"),
}
PICTURE_SOURCES = {"sample": N_("a bundled sample"), "upload": N_("my own")}


def choose_model(runs):
    """Widgets for the model to explain; returns (ExplainableModel, cache key), or None with a message shown."""
    from resnet_viz.probes.explainable import PRETRAINED_DEPTHS, weights_cached

    st.subheader(_("1. The model"))
    left, right = st.columns([1, 2], gap="large")
    # Without ImageNet weights on this machine, start with a model that ships with the app: no download.
    default = 1 if any(weights_cached(d) for d in PRETRAINED_DEPTHS) else 0
    source = left.radio(
        _("Explain"), list(MODEL_SOURCES), index=default, format_func=translated(MODEL_SOURCES), key="att_source"
    )
    with right:
        if source == "bundled":
            return choose_bundled()
        if source == "imagenet":
            return choose_pretrained()
        if runs.empty:
            st.info(
                _(
                    "No trained model yet. Train one on the **Train** page (the *shapes* dataset works best here: "
                    "its pictures come with object masks) or run the **Degradation lab**; it appears here when done."
                ),
                icon="🏋️",
            )
            frame.page_link("app_pages/train.py")
            return None
        labels = dict(zip(runs["id"], runs["label"]))
        ids = list(labels)
        index = newest_finished(ids, runs)
        run_id = st.selectbox(_("Run"), ids, index=index, format_func=labels.get, key="att_run")
        explained = loaders.load_run(run_id)
        return (explained, f"run-{run_id}") if explained is not None else None


def choose_bundled():
    """The models in assets/models (trained on digits and shapes at 16 px), with their recorded errors."""
    from . import why_it_works

    table = why_it_works.bundled_table()
    if table is None:
        return None
    names = table.loc[table["available"], "name"].tolist()
    if not names:
        st.error(_("No bundled model is available; recreate them with `python -m resnet_viz bundle-models`."), icon="⚠️")
        return None
    rows = table.set_index("name")
    shown = {
        n: _("{name}: {description} (test error {error})").format(
            name=n, description=_(rows.loc[n, "description"]), error=f"{rows.loc[n, 'test_error']:.1%}"
        )
        for n in names
    }
    name = st.selectbox(
        _("Bundled model"),
        names,
        index=names.index("resnet-20-shapes") if "resnet-20-shapes" in names else 0,
        format_func=shown.get,
        key="att_bundled",
    )
    explained = why_it_works.load_model(name)
    return (explained, f"bundled-{name}") if explained is not None else None


def choose_pretrained():
    """ImageNet-pretrained ResNets, with a download button for weights not on this machine yet."""
    from resnet_viz.probes.explainable import (
        PRETRAINED_DEPTHS,
        WeightsUnavailable,
        weights_cached,
        weights_path,
        weights_size_mb,
    )

    cached = [d for d in PRETRAINED_DEPTHS if weights_cached(d)]
    default = 50 if 50 in cached or not cached else cached[0]
    shown = {
        d: f"ResNet-{d}"
        if d in cached
        else _("ResNet-{depth} (download {size} MB)").format(depth=d, size=f"{weights_size_mb(d):.0f}")
        for d in PRETRAINED_DEPTHS
    }
    depth = st.selectbox(
        _("Pretrained network"),
        PRETRAINED_DEPTHS,
        index=PRETRAINED_DEPTHS.index(default),
        format_func=shown.get,
        key="att_depth",
    )
    if depth not in cached:
        st.info(
            _(
                "ResNet-{depth}'s ImageNet weights ({size} MB) are not on this machine yet. They download once into "
                "torch's cache (`{folder}`), where torchvision finds them too."
            ).format(depth=depth, size=f"{weights_size_mb(depth):.0f}", folder=weights_path(depth).parent),
            icon="📦",
        )
        if st.button(_("Download the ResNet-{depth} weights").format(depth=depth), type="primary", key="att_download"):
            if loaders.download_weights(depth):
                st.rerun()
        st.caption(_("No network? Choose *a model trained in this app* above: training needs no download."))
        return None
    try:
        return loaders.pretrained_model(depth), f"imagenet-{depth}"
    except WeightsUnavailable as err:
        st.error(str(err), icon="⚠️")
        return None


def choose_picture(explained, model_key: str):
    """Widgets for the picture; returns (RGB picture, cache key), or None with a message shown."""
    from resnet_viz.probes.images import FORMATS

    st.subheader(_("2. The picture"))
    left, right = st.columns([1, 2], gap="large")
    source = left.radio(_("Picture"), list(PICTURE_SOURCES), format_func=translated(PICTURE_SOURCES), key="att_pic")
    with right:
        if source == "upload":
            uploaded = st.file_uploader(
                _("Upload a picture"),
                type=list(FORMATS),
                key="att_upload",
                help=_("PNG, JPEG, WebP, BMP, GIF (first frame) or TIFF, up to 25 MB. It stays in this session only."),
            )
            if uploaded is None:
                st.info(_("Choose a picture to upload, or switch to a bundled sample."), icon="🖼️")
                return None
            loaded = loaders.read_upload(uploaded)
            if loaded is None:
                return None
            if loaded.notes:  # already in the user's language
                st.caption(_("Read: {notes}.").format(notes=_("; ").join(loaded.notes)))
            outside_what_it_knows(explained)
            return loaded.image, hashlib.sha1(uploaded.getvalue()).hexdigest()
        samples = {**dataset_samples(explained), **{sample.name: sample for sample in loaders.samples()}}
        labels = {key: sample.label() for key, sample in samples.items()}
        name = st.selectbox(_("Sample"), list(samples), format_func=labels.get, key=f"att_sample_{model_key}")
        st.caption(_(samples[name].credit))
        if not name.startswith("Test picture"):
            outside_what_it_knows(explained)
        return samples[name].image, f"{model_key}/{name}" if name.startswith("Test picture") else name


def outside_what_it_knows(explained) -> None:
    """Say so when a photo goes to a model trained on a small dataset: its answer is one of its own classes."""
    if explained.dataset is None:  # an ImageNet model: a photo is what it was trained on
        return
    st.warning(
        _(
            "This picture is outside what **{model}** knows: it learnt {count} classes ({classes}) from "
            "{size} x {size} pictures of {dataset}. It will still name one of them, with a confidence that means "
            "little, and its map shows what made it pick that class, not where an object is. Pick one of its own "
            "test pictures (first in the list, where it offers them), or an ImageNet model to explain a photo."
        ).format(
            model=plain(explained.display_name()),
            count=len(explained.classes),
            classes=join_items(_(name) for name in explained.classes),
            size=explained.preprocessing.crop_size,
            dataset=explained.dataset,
        ),
        icon="⚠️",
    )


def dataset_samples(explained) -> dict:
    """A trained run's own test pictures, offered first: a digits model has no idea what a flower is."""
    from resnet_viz.probes.images import Sample, to_picture

    config = explained.config
    if config.get("dataset") not in ("digits", "shapes", "cifar10", "mnist", "fashionmnist"):
        return {}
    try:
        pictures = loaders.run_test_pictures(config, 6)
    except loaders.RUN_LOAD_ERRORS:  # e.g. a downloaded dataset deleted since: just offer the other samples
        return {}
    credit = _("From the test split of {dataset}, unseen in training").format(dataset=config["dataset"])
    return {
        f"Test picture {i + 1}: {explained.classes[int(y)]}": Sample(
            f"Test picture {i + 1}",
            to_picture(x, pictures.mean, pictures.std),
            credit,  # in the user's language already
            label_message=N_("Test picture {number}: {label}"),
            label_fields={"number": i + 1, "label": _(explained.classes[int(y)])},
        )
        for i, (x, y) in enumerate(zip(pictures.x, pictures.y))
    }
