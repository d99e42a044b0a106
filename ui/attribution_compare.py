"""The two comparison sections of "Where it looks": residual vs plain runs, and the localisation check."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _

from . import attribution as loaders
from .attribution import MapKey
from .progress import was_cancelled, with_progress
from .run_labels import newest_finished
from .text import plain, translated, translated_columns

# The localisation table's columns, as shown (the library's names are its API).
SCORE_COLUMNS = {
    "label": N_("method"),
    "mass_inside": N_("mass inside"),
    "pointing_game": N_("pointing game"),
    "images": N_("images"),
    "seconds_per_image": N_("seconds per picture"),
}


def residual_vs_plain(runs, bucket: str) -> None:
    """Grad-CAMs of a residual and a plain run on the same test pictures (maps kept in ``bucket``)."""
    from resnet_viz.probes.attribution import attribute, predict
    from resnet_viz.probes.images import COLORMAPS, overlay, to_model_input, to_picture

    colormap, opacity = st.session_state.get("att_colormap", COLORMAPS[0]), st.session_state.get("att_opacity", 0.6)
    st.subheader(_("Residual vs plain: do they look at the same thing?"))
    residual_runs, plain_runs = runs[runs["residual"]], runs[~runs["residual"]]
    if residual_runs.empty or plain_runs.empty:
        st.caption(
            _(
                "Train a residual and a plain network on the same data (the Degradation lab trains both in one "
                "click), and their Grad-CAMs appear here side by side on the same test pictures."
            )
        )
        return
    best_residual, best_plain = loaders.best_pair(runs)
    labels = dict(zip(runs["id"], runs["label"]))
    c1, c2, c3 = st.columns([2, 2, 1])
    residual_ids, plain_ids = residual_runs["id"].tolist(), plain_runs["id"].tolist()
    residual_id = c1.selectbox(
        _("Residual run"), residual_ids, index=residual_ids.index(best_residual), format_func=labels.get,
        key="att_pair_residual",
    )  # fmt: skip
    plain_id = c2.selectbox(
        _("Plain run"),
        plain_ids,
        index=plain_ids.index(best_plain),
        format_func=labels.get,
        key="att_pair_plain",
    )
    count = c3.number_input(_("Pictures"), 1, 8, 4, key="att_pair_count")
    a, b = runs.set_index("id").loc[residual_id], runs.set_index("id").loc[plain_id]
    if (a["dataset"], a["input_size"]) != (b["dataset"], b["input_size"]) or a["dataset"] == "folder":
        st.warning(
            _(
                "Pick two runs trained on the same bundled or downloaded dataset at the same image size, so they "
                "can be shown the same test pictures."
            ),
            icon="⚖️",
        )
        return
    residual_model, plain_model = loaders.load_run(residual_id), loaders.load_run(plain_id)
    if residual_model is None or plain_model is None:
        return
    try:
        pictures = loaders.run_test_pictures(a["config"], int(count))
    except loaders.RUN_LOAD_ERRORS as err:
        st.error(_("These runs cannot be compared now: {error}").format(error=err), icon="⚠️")
        return
    header = st.columns(3)
    header[0].markdown(_("**Test picture**"))
    header[1].markdown(f"**{plain(residual_model.display_name())}**")
    header[2].markdown(f"**{plain(plain_model.display_name())}**")
    for i in range(len(pictures.x)):
        picture = to_picture(pictures.x[i], pictures.mean, pictures.std)
        row = st.columns(3)
        true_class = _(residual_model.classes[int(pictures.y[i])])
        row[0].image(loaders.display_size(picture, 160), caption=_("true: {label}").format(label=true_class))
        for column, explained in zip(row[1:], (residual_model, plain_model)):
            # Each model gets the picture normalised with its own training statistics.
            x = to_model_input(picture, explained.preprocessing)[0]
            guess, confidence = predict(explained.model, x, k=1)[0]
            key = MapKey(explained.name, f"test picture {i}", "gradcam", "", guess)
            cam = loaders.remembered(bucket, key, lambda m=explained.model, x=x, g=guess: attribute(m, x, target=g))
            verdict = "✓" if guess == int(pictures.y[i]) else "✗"
            column.image(
                loaders.display_size(overlay(picture, cam, colormap, opacity), 160),
                caption=f"{verdict} {_(explained.classes[guess])} ({confidence:.0%})",
            )
    st.caption(
        _(
            "Grad-CAM of each network's predicted class at its last stage. A question to test here, not a "
            "published result: does the residual twin's map sit on the object more often than the plain net's, "
            "which trained worse (the degradation problem)? Check it with the numbers below."
        )
    )


def localisation_check(runs) -> None:
    """Mass inside the object and pointing game per method, on the shapes dataset's masks."""
    from resnet_viz.figures.attribution import localisation_chart
    from resnet_viz.probes.attribution import METHODS, localisation_scores

    st.subheader(_("Does the map fall on the object? A check with the shapes' masks"))
    shapes_runs = runs[runs["dataset"] == "shapes"]
    if shapes_runs.empty:
        st.caption(
            _(
                "The generated *shapes* dataset knows exactly which pixels are the object. Train any network on it "
                "(Train page, dataset *shapes*) and this section measures, for each method, how much of the map "
                "falls inside the object, against a random map."
            )
        )
        return
    shape_labels = dict(zip(shapes_runs["id"], shapes_runs["label"]))
    c1, c2, c3 = st.columns([2, 1, 3])
    check_ids = list(shape_labels)
    check_id = c1.selectbox(
        _("Trained run"), check_ids, index=newest_finished(check_ids, shapes_runs), format_func=shape_labels.get,
        key="att_check_run",
    )  # fmt: skip
    count = c2.number_input(_("Test pictures"), 5, 500, 50, step=5, key="att_check_count")
    methods = c3.multiselect(
        _("Methods"), list(METHODS), default=list(METHODS), format_func=translated(METHODS), key="att_methods"
    )
    key = (int(check_id), int(count), tuple(methods))
    if was_cancelled("att_check_cancel"):
        st.warning(_("The check was cancelled."), icon="⏹️")
    if st.button(_("Run the check"), key="att_check_go", disabled=not methods):
        check_model = loaders.load_run(check_id)
        if check_model is not None:
            try:
                pictures = loaders.run_test_pictures(shapes_runs.set_index("id").loc[check_id, "config"], int(count))
            except loaders.RUN_LOAD_ERRORS as err:
                st.error(_("The check could not run: {error}").format(error=err), icon="⚠️")
            else:
                label = _("Scoring {methods} methods on {pictures} pictures").format(
                    methods=len(methods), pictures=len(pictures.x)
                )
                score = lambda progress: localisation_scores(  # noqa: E731
                    check_model.model, pictures.x, pictures.masks, methods, targets=pictures.y, progress=progress
                )
                loaders.remembered("localisation checks", key, lambda: with_progress(label, score, "att_check_cancel"))
    scores = loaders.recall("localisation checks", key)
    if scores is None:
        return
    st.plotly_chart(localisation_chart(scores), width="stretch", key="att_check_fig")
    chance = scores.set_index("method").loc["random"]
    st.caption(
        _(
            "Grey is chance: a random map puts {mass} of its mass on the object, because that is how much of the "
            "picture the object covers, and its maximum lands on the object {hits} of the time. Bars well above "
            "grey mean the method really points at the object. Each map explains the picture's true class."
        ).format(mass=f"{chance['mass_inside']:.0%}", hits=f"{chance['pointing_game']:.0%}")
    )
    table = scores.drop(columns=["method"]).assign(label=[_(label) for label in scores["label"]])
    table = translated_columns(table.rename(columns=SCORE_COLUMNS))
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            _(SCORE_COLUMNS["mass_inside"]): st.column_config.NumberColumn(format="percent"),
            _(SCORE_COLUMNS["pointing_game"]): st.column_config.NumberColumn(format="percent"),
            _(SCORE_COLUMNS["seconds_per_image"]): st.column_config.NumberColumn(format="%.3f"),
        },
    )
