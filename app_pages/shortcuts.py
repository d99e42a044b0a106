"""Shortcuts: the whole network with every shortcut drawn beside it, and the inside of any block."""

import streamlit as st

from resnet_viz.i18n import _, language
from resnet_viz.nets import published
from resnet_viz.nets.spec import VARIANT_LABELS, ResNetSpec
from resnet_viz.training.labs import PAPER_OPTION_ERRORS, option_specs
from ui import architecture as loaders
from ui import citations as sources
from ui.architecture_tables import displayable
from ui.block_prose import block_explanation, highway_note, projections_at_depth_note, shape_change_explanation
from ui.labs import comparison_picker, error_table, lab_group, lab_groups
from ui.launch import budget_caption, launch_button
from ui.live import live
from ui.picker import current_choice, just_changed
from ui.run_queue import active_runs
from ui.training_settings import ensure_dataset, training_settings

OPTIONS_GROUP = "options"  # prefix of the A / B / C comparison's run groups in the store


def options_result(group: str) -> None:
    """The A / B / C runs of ``group``: progress, errors, curves."""
    from resnet_viz.figures.training import training_curves

    runs, metrics, summary = lab_group(group)
    if summary.empty:
        return
    error_table(summary)
    st.plotly_chart(training_curves(metrics, runs), width="stretch", key="opt_curves")
    st.caption(
        _(
            "Short runs on small images: compare the order and the gaps, not the paper's absolute numbers. The "
            "paper's gaps are half a point of top-1 error on ImageNet after 600k steps."
        )
    )


spec, size = current_choice().require()
lang = language()

st.title(_("Shortcuts"))
st.caption(_("**{net}** at {size}x{size} input").format(net=spec.display_name, size=size))

with loaders.computing(spec, _("Tracing {net} and pricing shortcut options A, B and C")):
    shortcuts = loaders.shortcut_table(spec, size, lang)
    costs = loaders.option_costs(spec, size, lang) if spec.residual else None
    layers = loaders.layer_table(spec, size)
counts = shortcuts["kind"].value_counts()
m1, m2, m3, m4 = st.columns(4)
if spec.residual:
    m1.metric(_("Residual blocks"), len(shortcuts))
else:
    m1.metric(_("Blocks"), len(shortcuts), help=_("The same blocks as the residual network, without their additions."))
    m1.caption(_("no shortcuts: plain network"))
m2.metric(_("Identity (solid)"), int(counts.get("identity", 0)))
m3.metric(_("Projection (dashed)"), int(counts.get("projection", 0)))
m4.metric(_("Zero-padding (dotted)"), int(counts.get("zero_pad", 0)))

diagram_col, text_col = st.columns([3, 2], gap="large")
with text_col:
    fold = st.toggle(
        _("Fold repeated identical blocks"),
        value=True,
        key="sc_fold",
        help=_("Runs of identical blocks are drawn once, marked x n. Unfold to see every block."),
    )
    if not spec.residual:
        st.info(
            _(
                "This is a **plain** network: the same layers with no shortcut additions, so no arcs are "
                "drawn. Turn *Residual connections* on in the sidebar to see them appear."
            ),
            icon="ℹ️",
        )
    else:
        st.markdown(_("**Why do the shapes change where they do?**"))
        st.markdown(shape_change_explanation(spec, shortcuts))
        if spec.shortcut_variant != "identity":
            st.caption(
                _(
                    "Shortcut variant: **{variant}** (Identity Mappings, Fig. 2). Its gates or scales act on every "
                    "shortcut; the paper found that anything but a clean identity makes deep ResNets harder to "
                    "optimise (Identity Mappings, Table 1)."
                ).format(variant=_(VARIANT_LABELS[spec.shortcut_variant]))
            )
with diagram_col, loaders.computing(spec, _("Drawing {blocks} blocks of {net}")):
    st.plotly_chart(loaders.shortcut_figure(spec, size, fold, lang), width="stretch", key="sc_diagram")
if costs is not None:  # full width: the rules are sentences, too wide for the text column
    st.markdown(_("**What each shortcut option costs, computed for this network**"))
    st.dataframe(
        costs,
        hide_index=True,
        width="stretch",
        column_config={_("rule"): st.column_config.TextColumn(_("rule"), width="large")},
    )
st.markdown(highway_note())

st.divider()
st.subheader(_("Inside a block"))
if shortcuts.empty:
    st.caption(_("This network has no residual blocks."))
else:
    labels = dict(zip(shortcuts["block"], shortcuts["paper_name"]))
    default = shortcuts.index[shortcuts["input_shape"] != shortcuts["output_shape"]]
    if just_changed("stride_on"):  # show a block where the stride's placement makes a difference
        strided = shortcuts[[i[1:] != o[1:] for i, o in zip(shortcuts["input_shape"], shortcuts["output_shape"])]]
        if len(strided):
            st.session_state["sc_block"] = strided["block"].iloc[0]
    block = st.selectbox(
        _("Block"),
        list(labels),
        index=int(default[0]) if len(default) else 0,
        format_func=lambda b: f"{labels[b]} ({b})",
        key="sc_block",
    )
    fig_col, about_col = st.columns([3, 2], gap="large")
    with fig_col:
        st.plotly_chart(loaders.block_figure(spec, size, block, lang), width="stretch", key="sc_block_fig")
    with about_col:
        st.markdown(block_explanation(spec))
        inside = layers[layers["name"].str.startswith(block + ".")].drop(columns=["stage", "block"])
        st.dataframe(displayable(inside), hide_index=True, width="stretch")

st.divider()
st.subheader(_("Options A, B and C, trained side by side (Table 3)"))
st.markdown(
    _(
        "The paper trained ResNet-34 with each option on ImageNet: top-1 error {a} % (A), {b} % (B), {c} % (C) "
        "({source}, 10-crop validation). B is slightly better than A, which the authors attribute to A's "
        "zero-padded dimensions having no residual learning; C is marginally better than B, from the extra "
        'parameters of its 13 extra projections. Their conclusion: *"the small differences among A/B/C indicate '
        'that projection shortcuts are not essential for addressing the degradation problem"*, so they keep '
        "identity shortcuts, which cost nothing, and use B only for the 50+ layer nets. The cost of each option "
        "for the network in the sidebar is in the table above."
    ).format(
        a=PAPER_OPTION_ERRORS["A"],
        b=PAPER_OPTION_ERRORS["B"],
        c=PAPER_OPTION_ERRORS["C"],
        source=published.source("table3_top1_error"),
    )
)
st.caption(projections_at_depth_note())
lab_base = spec if spec.style == "cifar" else ResNetSpec.from_depth(20, style="cifar")
if lab_base is spec:
    lab_note = _(
        "The comparison below trains **{net}** with options A, B and C on the same data, seed and budget "
        "(the network in the sidebar)."
    )
else:
    lab_note = _(
        "The comparison below trains **{net}** with options A, B and C on the same data, seed and budget "
        "(ImageNet-sized nets are too slow for a CPU lab)."
    )
st.caption(lab_note.format(net=lab_base.display_name))
option_nets = option_specs(lab_base)
with st.expander(_("Set up the comparison"), expanded=True):
    settings = training_settings("opt", option_nets[0])
    ready = ensure_dataset(settings)
    budget_caption(option_nets, settings)
    launch_button(
        _("Launch A / B / C"),
        "opt_launch",
        option_nets,
        settings,
        [f"{s.name.replace(' (CIFAR)', '')} option {s.shortcut}" for s in option_nets],
        group=OPTIONS_GROUP,
        disabled=not ready,
    )
option_groups = lab_groups(OPTIONS_GROUP)
if option_groups:
    option_group = comparison_picker(option_groups, "opt_launch", key="opt_group_pick")
    live(lambda: options_result(option_group), lambda: not active_runs(option_group).empty)

sources.footnote(
    [
        _(
            "{paper}: Sec. 3.3 (options A and B at increasing dimensions), Sec. 4.1 and Table 3 (option C), "
            "Table 1 (down-sampling by conv3_1, conv4_1, conv5_1 with stride 2)."
        ).format(paper=sources.RESNET),
        _("{paper}: Sec. 2 (highway networks: gated shortcuts against identity shortcuts).").format(
            paper=sources.RESNET
        ),
        _("{paper}: Fig. 2 and Table 1 (shortcut variants: scaling, gating, 1x1 conv, dropout).").format(
            paper=sources.IDENTITY
        ),
        f"{sources.TORCHVISION}.",
    ]
)
