"""Where it looks: Grad-CAM and captum attributions for ImageNet ResNets and the app's own runs."""

import hashlib
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # repo root, when run on its own
import ui  # noqa: E402

ui.standalone_setup()
ui.page_choice()  # keeps the sidebar; this page explains trained models, chosen below

st.title("Where it looks")
st.markdown(
    "**Grad-CAM** (Selvaraju et al., 2017) asks a stage of the network which of its feature maps raise "
    "the score of a class, weights the maps by that, and keeps the positive part: a heat map of the "
    "evidence, at the stage's own resolution. Other methods (through "
    "[captum](https://captum.ai)) work on the pixels themselves. Pick a model and a picture. "
    "(Explanations need trained weights, so this page picks its own model: the sidebar's network is not used.)"
)

from resnet_viz.attribution import (  # noqa: E402
    LAYER_METHODS,
    METHODS,
    SLOW_METHODS,
    attribute,
    feature_shapes,
    layer_names,
    localisation_scores,
    predict,
    stage_names,
)
from resnet_viz.attribution_figures import localisation_chart, prediction_chart  # noqa: E402
from resnet_viz.images import COLORMAPS, FORMATS, Sample, overlay, to_model_input, to_picture  # noqa: E402
from resnet_viz.sources import (  # noqa: E402
    PRETRAINED_DEPTHS,
    WeightsUnavailable,
    weights_cached,
    weights_path,
    weights_size_mb,
)


# ---------------------------------------------------------------------- 1. the model
def choose_model(runs):
    """Widgets for the model to explain; returns (ExplainableModel, cache key), or None with a message shown."""
    st.subheader("1. The model")
    left, right = st.columns([1, 2], gap="large")
    source = left.radio(
        "Explain",
        ["imagenet", "run"],
        format_func={"imagenet": "an ImageNet-pretrained ResNet", "run": "a model trained in this app"}.get,
        key="att_source",
    )
    with right:
        if source == "imagenet":
            return choose_pretrained()
        if runs.empty:
            st.info(
                "No trained model yet. Train one on the **Train** page (the *shapes* dataset works best here: "
                "its pictures come with object masks) or run the **Degradation lab**; it appears here when done.",
                icon="🏋️",
            )
            ui.page_link("pages/train.py", label="Train", icon=":material/model_training:")
            return None
        labels = dict(zip(runs["id"], runs["label"]))
        run_id = st.selectbox("Run", list(labels), format_func=labels.get, key="att_run")
        try:
            return ui.run_model(int(run_id)), f"run-{run_id}"
        except (FileNotFoundError, ValueError, KeyError) as err:
            st.error(f"Run #{run_id} cannot be loaded: {err}", icon="⚠️")
            return None


def choose_pretrained():
    cached = [d for d in PRETRAINED_DEPTHS if weights_cached(d)]
    default = 50 if 50 in cached or not cached else cached[0]
    depth = st.selectbox(
        "Pretrained network",
        PRETRAINED_DEPTHS,
        index=PRETRAINED_DEPTHS.index(default),
        format_func=lambda d: f"ResNet-{d}" + ("" if d in cached else f" (download {weights_size_mb(d):.0f} MB)"),
        key="att_depth",
    )
    if depth not in cached:
        st.info(
            f"ResNet-{depth}'s ImageNet weights ({weights_size_mb(depth):.0f} MB) are not on this machine yet. "
            f"They download once into torch's cache (`{weights_path(depth).parent}`), where torchvision "
            "finds them too.",
            icon="📦",
        )
        if st.button(f"Download the ResNet-{depth} weights", type="primary", key="att_download"):
            if ui.download_weights(depth):
                st.rerun()
        st.caption("No network? Choose *a model trained in this app* above: training needs no download.")
        return None
    try:
        return ui.pretrained_model(depth), f"imagenet-{depth}"
    except WeightsUnavailable as err:
        st.error(str(err), icon="⚠️")
        return None


# ---------------------------------------------------------------------- 2. the picture
def choose_picture(explained, model_key: str):
    """Widgets for the picture; returns (RGB picture, cache key), or None with a message shown."""
    st.subheader("2. The picture")
    left, right = st.columns([1, 2], gap="large")
    source = left.radio(
        "Picture",
        ["sample", "upload"],
        format_func={"sample": "a bundled sample", "upload": "my own"}.get,
        key="att_pic",
    )
    with right:
        if source == "upload":
            uploaded = st.file_uploader(
                "Upload a picture",
                type=list(FORMATS),
                key="att_upload",
                help="PNG, JPEG, WebP, BMP, GIF (first frame) or TIFF, up to 25 MB. It stays in this session only.",
            )
            if uploaded is None:
                st.info("Choose a picture to upload, or switch to a bundled sample.", icon="🖼️")
                return None
            loaded = ui.read_upload(uploaded)
            if loaded is None:
                return None
            if loaded.notes:
                st.caption("Read: " + "; ".join(loaded.notes) + ".")
            return loaded.image, hashlib.sha1(uploaded.getvalue()).hexdigest()
        samples = {**dataset_samples(explained), **{sample.name: sample for sample in ui.samples()}}
        name = st.selectbox("Sample", list(samples), key=f"att_sample_{model_key}")
        st.caption(samples[name].credit)
        return samples[name].image, f"{model_key}/{name}" if name.startswith("Test picture") else name


def dataset_samples(explained) -> dict:
    """A trained run's own test pictures, offered first: a digits model has no idea what a flower is."""
    config = explained.config
    if config.get("dataset") not in ("digits", "shapes", "cifar10", "mnist", "fashionmnist"):
        return {}
    try:
        xs, ys, _, mean, std = ui.test_pictures(
            config["dataset"], int(config["input_size"]), int(config.get("seed", 0)), config.get("num_samples"), 6
        )
    except Exception:  # noqa: BLE001 - e.g. a downloaded dataset deleted since: just offer the other samples
        return {}
    return {
        f"Test picture {i + 1}: {explained.classes[int(y)]}": Sample(
            f"Test picture {i + 1}",
            to_picture(x, mean, std),
            f"From the test split of {config['dataset']}, unseen in training",
        )
        for i, (x, y) in enumerate(zip(xs, ys))
    }


# ---------------------------------------------------------------------- 3. the explanation
def explain(explained, model_key: str, picture, picture_key: str) -> None:
    """Predictions, the chosen attribution over the picture, and the Grad-CAM strip."""
    model, classes, prep = explained.model, explained.classes, explained.preprocessing
    x, shown = to_model_input(picture, prep)  # (1, C, crop, crop) and the crop as a picture

    st.subheader("3. What it sees, and why")
    top = predict(model, x, k=min(5, len(classes)))
    if any(p != p for _, p in top):  # NaN: the weights themselves are not finite
        st.warning(
            "This model's outputs are not numbers: its run diverged (NaN or infinite weights), so every map is "
            "empty. Pick another run.",
            icon="💥",
        )
    probability = dict(top)
    order = [i for i, _ in top] + [i for i in range(len(classes)) if i not in probability]
    left, right = st.columns([2, 3], gap="large")
    with right:
        target = st.selectbox(
            "Explain the class",
            order,
            format_func=lambda i: f"{classes[i]}" + (f" ({probability[i]:.1%})" if i in probability else ""),
            key=f"att_target_{model_key}_{picture_key[:16]}",  # a new picture or model starts at its prediction
            help="By default the predicted class. Any class can be explained: where is the evidence for it?",
        )
        c1, c2 = st.columns(2)
        method = c1.selectbox("Method", list(METHODS), format_func=METHODS.get, key="att_method")
        layers = layer_names(model)
        layer = c2.selectbox(
            "Layer (Grad-CAM)",
            layers,
            index=layers.index(stage_names(model)[-1]),
            key=f"att_layer_{model_key}",
            disabled=method not in LAYER_METHODS,
            help="A stage (layer4) or one block inside it (layer4.2). Only Grad-CAM and Guided Grad-CAM use it.",
        )
        c1, c2 = st.columns(2)
        colormap = c1.selectbox("Colour map", COLORMAPS, key="att_colormap")
        opacity = c2.slider("Opacity", 0.0, 1.0, 0.6, 0.05, key="att_opacity")
    with left:
        st.plotly_chart(prediction_chart(top, classes, target), width="stretch", key="att_top5")

    def attribution_for(method: str, layer: str):
        """This page's attribution of the current picture (cached per session)."""
        key = (model_key, picture_key, method, layer if method in LAYER_METHODS else "", int(target))
        return key, lambda progress=None: attribute(model, x, method, layer, int(target), progress=progress)

    key, compute = attribution_for(method, layer)
    attribution = None
    if method in SLOW_METHODS and not ui.has_attribution(key):
        cancel_key = "att_cancel_main"
        if ui.was_cancelled(cancel_key):
            st.warning(f"{METHODS[method]} was cancelled; nothing was lost.", icon="⏹️")
        if st.button(
            f"Compute {METHODS[method]}",
            type="primary",
            key="att_compute",
            help="Many forward passes: seconds on a GPU, up to a minute on a CPU for the largest networks.",
        ):
            attribution = ui.cached_attribution(key, lambda: ui.with_progress(METHODS[method], compute, cancel_key))
    else:
        attribution = ui.cached_attribution(key, compute)

    where = f" at {layer}" if method in LAYER_METHODS else ""
    left, right = st.columns(2, gap="large")
    left.image(
        ui.display_size(shown), caption=f"What the model sees ({prep.crop_size} x {prep.crop_size})", width="stretch"
    )
    if attribution is None:
        right.info(
            f"{METHODS[method]} needs many forward passes, so it runs when you press **Compute**; "
            "a progress bar shows how far it is, and it can be cancelled.",
            icon="⏳",
        )
    else:
        right.image(
            ui.display_size(overlay(shown, attribution, colormap, opacity)),
            caption=f"{METHODS[method]} overlay for “{classes[target]}”{where}",
            width="stretch",
        )

    st.subheader("Grad-CAM stage by stage")
    strip = stage_names(model) + ([layer] if "." in layer else [])
    shapes = feature_shapes(model, x, strip)
    columns = st.columns(len(strip))
    for column, name in zip(columns, strip):
        cam_key, cam = attribution_for("gradcam", name)
        cam_map = ui.cached_attribution(cam_key, cam)
        channels, h, w = shapes[name]
        column.image(
            ui.display_size(overlay(shown, cam_map, colormap, opacity), 200),
            caption=f"{name}: {h} x {w} cells, {channels} channels",
            width="stretch",
        )
    st.caption(
        "Read left to right: the first stages keep fine resolution but see only small patches, so their maps "
        "follow edges and textures; the last stage sees the whole object at coarse resolution, so its map is "
        "blocky but about the class. Grad-CAM is usually shown at the last stage for that reason."
    )


def residual_vs_plain(runs) -> None:
    """Grad-CAMs of a residual and a plain run on the same test pictures."""
    colormap, opacity = st.session_state.get("att_colormap", COLORMAPS[0]), st.session_state.get("att_opacity", 0.6)
    st.subheader("Residual vs plain: do they look at the same thing?")
    residual_runs, plain_runs = runs[runs["residual"]], runs[~runs["residual"]]
    if residual_runs.empty or plain_runs.empty:
        st.caption(
            "Train a residual and a plain network on the same data (the Degradation lab trains both in one "
            "click), and their Grad-CAMs appear here side by side on the same test pictures."
        )
    else:
        same = lambda r, p: (
            (r.dataset, r.input_size, r.spec.get("layers")) == (p.dataset, p.input_size, p.spec.get("layers"))
        )
        pairs = [(r, p) for r in residual_runs.itertuples() for p in plain_runs.itertuples() if same(r, p)]
        best = pairs[0] if pairs else (next(residual_runs.itertuples()), next(plain_runs.itertuples()))
        labels = dict(zip(runs["id"], runs["label"]))
        c1, c2, c3 = st.columns([2, 2, 1])
        residual_id = c1.selectbox(
            "Residual run", residual_runs["id"].tolist(), index=residual_runs["id"].tolist().index(best[0].id),
            format_func=labels.get, key="att_pair_residual",
        )  # fmt: skip
        plain_id = c2.selectbox(
            "Plain run", plain_runs["id"].tolist(), index=plain_runs["id"].tolist().index(best[1].id),
            format_func=labels.get, key="att_pair_plain",
        )  # fmt: skip
        count = c3.number_input("Pictures", 1, 8, 4, key="att_pair_count")
        a, b = runs.set_index("id").loc[residual_id], runs.set_index("id").loc[plain_id]
        if (a["dataset"], a["input_size"]) != (b["dataset"], b["input_size"]) or a["dataset"] == "folder":
            st.warning(
                "Pick two runs trained on the same bundled or downloaded dataset at the same image size, so they "
                "can be shown the same test pictures.",
                icon="⚖️",
            )
        else:
            try:
                residual_model, plain_model = ui.run_model(int(residual_id)), ui.run_model(int(plain_id))
                config = a["config"]
                xs, ys, _, mean, std = ui.test_pictures(
                    config["dataset"], int(config["input_size"]), int(config.get("seed", 0)), config.get("num_samples"),
                    int(count),
                )  # fmt: skip
            except Exception as err:  # noqa: BLE001 - a deleted run or missing download: say so, keep the page
                st.error(f"These runs cannot be compared now: {err}", icon="⚠️")
            else:
                header = st.columns(3)
                header[0].markdown("**Test picture**")
                header[1].markdown(f"**{residual_model.name}**")
                header[2].markdown(f"**{plain_model.name}**")
                for i in range(len(xs)):
                    picture_i = to_picture(xs[i], mean, std)
                    row = st.columns(3)
                    row[0].image(ui.display_size(picture_i, 160), caption=f"true: {residual_model.classes[int(ys[i])]}")
                    for column, explained_i in zip(row[1:], (residual_model, plain_model)):
                        m = explained_i.model
                        # Each model gets the picture normalised with its own training statistics.
                        xi = to_model_input(picture_i, explained_i.preprocessing)[0]
                        guess = predict(m, xi, k=1)[0]
                        cam_key = (explained_i.name, f"test picture {i}", "gradcam", guess[0])
                        explain_guess = lambda: attribute(m, xi, "gradcam", target=guess[0])  # noqa: E731 - no extra pass
                        cam_map = ui.cached_attribution(cam_key, explain_guess)
                        verdict = "✓" if guess[0] == int(ys[i]) else "✗"
                        column.image(
                            ui.display_size(overlay(picture_i, cam_map, colormap, opacity), 160),
                            caption=f"{verdict} {explained_i.classes[guess[0]]} ({guess[1]:.0%})",
                        )
                st.caption(
                    "Grad-CAM of each network's predicted class at its last stage. A plain net that trained worse "
                    "(the degradation problem) often spreads its evidence over the background or fixes on the "
                    "wrong part; the residual twin's maps sit on the object more often. Check it with numbers below."
                )


def localisation_check(runs) -> None:
    """Mass inside the object and pointing game per method, on the shapes dataset's masks."""
    st.subheader("Does the map fall on the object? A check with the shapes' masks")
    shapes_runs = runs[runs["dataset"] == "shapes"]
    if shapes_runs.empty:
        st.caption(
            "The generated *shapes* dataset knows exactly which pixels are the object. Train any network on it "
            "(Train page, dataset *shapes*) and this section measures, for each method, how much of the map falls "
            "inside the object, against a random map."
        )
        return
    shape_labels = dict(zip(shapes_runs["id"], shapes_runs["label"]))
    c1, c2, c3 = st.columns([2, 1, 3])
    check_id = c1.selectbox("Trained run", list(shape_labels), format_func=shape_labels.get, key="att_check_run")
    count = c2.number_input("Test pictures", 5, 500, 50, step=5, key="att_check_count")
    methods = c3.multiselect(
        "Methods", list(METHODS), default=list(METHODS), format_func=METHODS.get, key="att_methods"
    )
    check_key = ("check", int(check_id), int(count), tuple(methods))
    results = st.session_state.setdefault("att_check_results", {})
    if ui.was_cancelled("att_check_cancel"):
        st.warning("The check was cancelled.", icon="⏹️")
    if st.button("Run the check", key="att_check_go", disabled=not methods):
        try:
            check_model = ui.run_model(int(check_id))
            config = shapes_runs.set_index("id").loc[check_id, "config"]
            xs, ys, masks, _, _ = ui.test_pictures(
                "shapes", int(config["input_size"]), int(config.get("seed", 0)), config.get("num_samples"), int(count)
            )
            results[check_key] = ui.with_progress(
                f"Scoring {len(methods)} methods on {len(xs)} pictures",
                lambda progress: localisation_scores(
                    check_model.model, xs, masks, methods, targets=ys, progress=progress
                ),
                "att_check_cancel",
            )
        except (FileNotFoundError, ValueError) as err:
            st.error(f"The check could not run: {err}", icon="⚠️")
    if check_key in results:
        scores = results[check_key]
        st.plotly_chart(localisation_chart(scores), width="stretch", key="att_check_fig")
        chance = scores.set_index("method").loc["random"]
        st.caption(
            f"Grey is chance: a random map puts {chance['mass_inside']:.0%} of its mass on the object, because "
            "that is how much of the picture the object covers, and its maximum lands on the object "
            f"{chance['pointing_game']:.0%} of the time. Bars well above grey mean the method really points at "
            "the object. Each map explains the picture's true class."
        )
        table = scores.drop(columns=["method"]).rename(
            columns={"label": "method", "mass_inside": "mass inside", "pointing_game": "pointing game"}
        )
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "mass inside": st.column_config.NumberColumn(format="percent"),
                "pointing game": st.column_config.NumberColumn(format="percent"),
                "seconds_per_image": st.column_config.NumberColumn("seconds per picture", format="%.3f"),
            },
        )


runs = ui.trained_runs()
chosen = choose_model(runs)
if chosen is not None:
    explained, model_key = chosen
    st.caption(
        f"**{explained.name}**: {len(explained.classes)} classes; pictures are resized to "
        f"{explained.preprocessing.resize_size} px and centre-cropped to {explained.preprocessing.crop_size} x "
        f"{explained.preprocessing.crop_size}."
    )
    picture = choose_picture(explained, model_key)
    if picture is not None:
        explain(explained, model_key, *picture)
st.divider()
residual_vs_plain(runs)
st.divider()
localisation_check(runs)
