"""Why it works: lesion study, loss landscape and the inside of one block, on the models that ship with the app."""

import streamlit as st

from resnet_viz.i18n import N_, _, join_items
from ui import frame
from ui import why_it_works as loaders
from ui.text import translated_columns

MODEL_COLUMNS = [N_("name"), N_("description"), N_("train_error"), N_("test_error"), N_("steps")]

st.title(_("Why it works"))
st.markdown(
    _(
        "Three looks at *why* shortcuts help, each on networks that ship with the app (trained on the bundled "
        "digits at 16 px by `python -m resnet_viz bundle-models`; no training or download needed): a plain net "
        "and a ResNet of the same depth, side by side. (This page uses its own models: the sidebar's network is "
        "not used.)"
    )
)

table = loaders.bundled_table()
if table is None:
    frame.stop_page()
shown = table[table["dataset"] == "digits"][MODEL_COLUMNS]
shown = translated_columns(shown.assign(description=shown["description"].map(_)))
percent = {_("train_error"): "{:.1%}", _("test_error"): "{:.1%}"}
st.dataframe(shown.style.format(percent), hide_index=True, width="stretch")
depths = {d: _("{depth} layers").format(depth=d) for d in (20, 56)}
depth = st.radio(_("Depth"), list(depths), index=1, horizontal=True, key="why_depth", format_func=depths.get)
plain = loaders.load_model(f"plain-{depth}")
residual = loaders.load_model(f"resnet-{depth}")
if plain is None or residual is None:
    frame.stop_page()
models = {f"plain-{depth}": plain, f"ResNet-{depth}": residual}
count = st.slider(_("Test pictures used"), 16, 359, 256, step=1, key="why_count")
x, y = loaders.test_batch(residual, count)

from resnet_viz.figures.inside import block_maps_figure, ratio_figure  # noqa: E402
from resnet_viz.figures.landscape import loss_contour, loss_curves, loss_surface_3d, shared_loss_range  # noqa: E402
from resnet_viz.figures.lesion import lesion_bars, lesion_curve_figure, path_figure  # noqa: E402
from resnet_viz.probes.inside import block_maps  # noqa: E402
from resnet_viz.probes.landscape import loss_surface, roughness  # noqa: E402
from resnet_viz.probes.lesion import blocks, lesion_curve, lesion_study, path_gradients  # noqa: E402

# ------------------------------------------------------------------------------------------- lesion
st.header(_("1. Delete a block"))
st.markdown(
    _(
        "**The paper.** Veit, Wilber and Belongie (NeurIPS 2016, *Residual Networks Behave Like Ensembles of "
        "Relatively Shallow Networks*) delete single blocks of a trained ResNet-110 at test time: the CIFAR-10 "
        "error barely moves (except at some downsampling blocks), while deleting one layer of a plain VGG-style "
        "net sends it to chance. Deleting k blocks raises the error smoothly with k. Their reading: n blocks "
        "give 2^n paths, whose lengths follow Binomial(n, 1/2), and the network behaves like an ensemble of "
        "them, with most of the gradient coming from short paths.\n\n"
        "**Here.** A residual block is deleted by setting its branch F(x) to zero (its shortcut stays); a plain "
        "block is replaced by the identity where its shape allows (the first block of a stage changes the "
        "shape and cannot be skipped)."
    )
)
lesions = loaders.slow(
    _("Deleting blocks one by one"),
    ("lesion", depth, count),
    loaders.both(models, lambda model, progress: lesion_study(model, x, y, progress=progress)),
    _("Run the lesion study"),
    "why_lesion_cancel",
)
if lesions is not None:
    st.plotly_chart(lesion_bars(lesions), width="stretch", key="why_lesion_fig")
    loaders.lesion_metrics(lesions)
    loaders.costliest_deletion(lesions[f"ResNet-{depth}"], residual, x)
    curves = loaders.slow(
        _("Deleting k blocks at random"),
        ("lesion curve", depth, count),
        loaders.both(
            models, lambda model, progress: lesion_curve(model, x, y, range(0, 10), trials=5, seed=0, progress=progress)
        ),
        _("Delete several blocks at random (0 to 9, 5 trials each)"),
        "why_curve_cancel",
    )
    if curves is not None:
        st.plotly_chart(lesion_curve_figure(curves), width="stretch", key="why_curve_fig")
    paths = loaders.slow(
        _("Sampling paths"),
        ("paths", depth),
        lambda progress: path_gradients(residual.model, x[:64], y[:64], trials=3, seed=0, progress=progress),
        _("Measure the gradient of paths by length in ResNet-{depth} (Veit's Fig. 6, sampled)").format(depth=depth),
        "why_paths_cancel",
    )
    if paths is not None:
        st.plotly_chart(path_figure(paths), width="stretch", key="why_paths_fig")
        st.caption(
            _(
                "For each length k, k residual branches are chosen at random; the gradient of the loss is sent "
                "back through those branches only and through the shortcut everywhere else, and its norm at the "
                "first block's input is measured (3 trials on 64 pictures; the paper samples 1,000). Times the "
                "number of paths of that length, it estimates what all paths of length k carry."
            )
        )

# ------------------------------------------------------------------------------------------- landscape
st.header(_("2. The loss landscape"))
st.markdown(
    _(
        "**The paper.** Li, Xu, Taylor, Studer and Goldstein (NeurIPS 2018, *Visualizing the Loss Landscape of "
        "Neural Nets*) plot the loss around the trained weights along random directions, each *filter-normalised* "
        "(every filter of the direction scaled to the norm of the matching trained filter; BatchNorm parameters "
        "left alone). ResNet-56 on CIFAR-10 sits in a smooth, nearly convex bowl; the same net without shortcuts "
        "in a chaotic landscape with many local minima, more so the deeper it is.\n\n"
        "**Here.** The same method on the bundled digits models, on the test pictures chosen above (at most 256): "
        "every point of the grid is one forward pass of each network. Fewer would not do: on the first 128 of 256, "
        "the plain net's surface moved by up to 7 % of its range."
    )
)
LANDSCAPE_PICTURES = 256  # each grid point on all of them: 128 changed the surface (benchmarks/bench_landscape.py)
c1, c2, c3 = st.columns(3)
directions = {d: _("{dims}-D").format(dims=d) for d in (1, 2)}
dims = c1.radio(_("Directions"), list(directions), horizontal=True, key="why_dims", format_func=directions.get)
steps = c2.select_slider(_("Points per axis"), [11, 15, 21, 31], value=21 if dims == 1 else 11, key=f"why_steps_{dims}")
span = c3.select_slider(_("Span (±)"), [0.1, 0.25, 0.5, 1.0], value=0.25, key="why_span")
surfaces = loaders.slow(
    _("Evaluating the loss around the trained weights"),
    ("landscape", depth, count, dims, steps, span),
    loaders.both(
        models,
        lambda model, progress: loss_surface(
            model,
            x[:LANDSCAPE_PICTURES],
            y[:LANDSCAPE_PICTURES],
            dims=dims,
            steps=steps,
            span=span,
            seed=0,
            progress=progress,
            cancel=lambda: loaders.was_cancelled("why_landscape_cancel"),
        ),
    ),
    _("Compute the {dims}-D landscape ({passes} forward passes)").format(dims=dims, passes=steps**dims * 2),
    "why_landscape_cancel",
)
if surfaces is not None:
    if dims == 1:
        st.plotly_chart(loss_curves(surfaces), width="stretch", key="why_landscape_curve")
    else:
        left, right = st.columns(2)
        shared = shared_loss_range(surfaces)  # one colour scale: the two nets compared by eye
        for column, (name, surface) in zip((left, right), surfaces.items()):
            column.plotly_chart(loss_contour(surface, name, shared), width="stretch", key=f"why_contour_{name}")
            column.plotly_chart(loss_surface_3d(surface, name, shared), width="stretch", key=f"why_surface_{name}")
    st.caption(
        _(
            "Roughness (mean |second difference| of the loss along the grid, losses capped at 10): {values}. "
            "Flat and smooth: small; sharp or jagged: large."
        ).format(values=join_items(f"{name} {roughness(surface):.3f}" for name, surface in surfaces.items()))
    )

# ------------------------------------------------------------------------------------------- inside a block
st.header(_("3. Inside one block"))
st.markdown(
    _(
        "**The paper.** He et al. (2015, Fig. 7) measure the standard deviation of each 3x3 layer's output "
        "after BN, and find the ResNets' smaller than the plain nets': \"residual functions might be generally "
        'closer to zero". The Degradation lab measures that quantity on your runs.\n\n'
        "**Here, a different view.** One test picture through one block: x (what the shortcut carries), F(x) "
        "(the branch) and x + F(x) (before the block's last ReLU), as channel means and the strongest channels "
        "of F(x); and the ratio ||F(x)|| / ||x|| for every block, trained and freshly initialised. This ratio "
        "is not Fig. 7's measure: a plain block has no x to add, so its ratio compares the block's output with "
        "its input, and on the trained plain nets here it stays roughly around 1, since BN sets the scale of "
        "every layer's output. Read it as how much of a "
        "residual block's output is the correction F(x), and compare the ResNet's blocks with each other."
    )
)
frame.page_link("app_pages/degradation.py", label=_("Fig. 7 on your own runs: the Degradation lab"))
names = blocks(residual.model)
c1, c2 = st.columns(2)
block = c1.selectbox(_("Block"), names, index=min(4, len(names) - 1), key=f"why_block_{depth}")
picture = c2.number_input(_("Test picture"), 0, 15, 0, key="why_picture")
left, right = st.columns(2)
for column, (name, explained) in zip((left, right), models.items()):
    try:
        maps = block_maps(explained.model, x[int(picture)][None], block, channels=3)
    except ValueError as err:
        column.error(str(err), icon="⚠️")
        continue
    label = _(explained.classes[int(y[int(picture)])])
    title = _("{name}, {block} (a '{label}'): ‖F(x)‖/‖x‖ = {ratio}").format(
        name=name, block=block, label=label, ratio=f"{maps.ratio:.2f}"
    )
    column.plotly_chart(block_maps_figure(maps, title), width="stretch", key=f"why_maps_{name}")
ratios = loaders.trained_and_fresh_ratios(depth, models, x[:64])
st.plotly_chart(ratio_figure(ratios), width="stretch", key="why_ratio_fig")

loaders.sources_footnote()
