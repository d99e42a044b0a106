"""Architecture: the paper's Table 1 for the chosen network, every layer, and the cost per stage."""

import streamlit as st

from resnet_viz.formatting import human
from resnet_viz.i18n import N_, _, language
from resnet_viz.nets.spec import IMAGENET_LATER
from ui import architecture as loaders
from ui import citations as sources
from ui.architecture_tables import displayable, displayable_checks, displayable_stages, matches_search, stage_label
from ui.bottleneck import bottleneck_tab
from ui.picker import current_choice, spec_at_depth
from ui.text import translated

PLACEMENT_NOTE = N_(
    "The paper (v1, Table 1) puts a bottleneck's stride on its first 1x1; torchvision (v1.5) puts it on the 3x3, "
    "which then works on the full-size map: more multiply-adds (ResNet-50: 4.09 G against 3.86 G) for about "
    "0.5 % better top-1 (NVIDIA's ResNet50 v1.5 description; torchvision's documentation gives no such figure). "
    "ResNet-18 and -34 have no 1x1 on the main path, so their count is the same either way; "
    "the paper's 1.8 and 3.6 G are the plain / option-A nets' counts (3.64 G for 34 layers), without the "
    "projections of option B. Only ResNet-50's 3.8 is truncated (3.86 G)."
)

spec, size = current_choice().require()
lang = language()

st.title(_("Architecture"))
st.caption(
    _("**{net}** at {size}x{size} input · shapes are written H x W x C as in the paper").format(
        net=spec.display_name, size=size
    )
)

with loaders.computing(spec, _("Tracing {net}: every layer's shape, parameters and memory")):
    layers = loaders.layer_table(spec, size)
    stages = loaders.stage_table(spec, size, lang)
    params, train_bytes, too_big = loaders.memory_verdict(spec, size, lang)
    blocks = loaders.block_summary(spec, size, lang)
total = stages.iloc[-1]
c1, c2, c3, c4 = st.columns(4)
c1.metric(
    _("Weighted layers"), spec.depth, help=_("Convolutions on the main path plus the fc layer, as the paper counts.")
)
c2.metric(_("Parameters"), human(total["params"]))
c3.metric(_("Multiply-adds per image"), human(total["macs"]), help=_("Convolutions and fc, the paper's 'FLOPs'."))
c4.metric(
    _("Memory to train (batch 1)"), human(train_bytes, "B"), help=_("Weights + gradients + activations, float32.")
)
if too_big:
    st.warning(
        _("{problem} The tables below are still exact: they are computed without building it.").format(problem=too_big),
        icon="⚠️",
    )

tab_table1, tab_layers, tab_cost, tab_bottleneck = st.tabs(
    [_("Table 1"), _("Every layer"), _("Cost per stage"), _("Why the bottleneck")]
)

with tab_table1:
    mode = st.radio(
        _("Show"),
        ["This network", "Side by side, like the paper"],
        format_func=translated(
            {"This network": N_("This network"), "Side by side, like the paper": N_("Side by side, like the paper")}
        ),
        horizontal=True,
        key="arch_mode",
    )
    if mode == "This network":
        st.dataframe(displayable_stages(stages), hide_index=True, width="stretch")
        checks = loaders.paper_checks(spec, size, lang)
        if len(checks):
            st.markdown(_("**Checked against the published figures**"))
            st.dataframe(displayable_checks(checks), hide_index=True, width="stretch")
        else:
            st.caption(
                _(
                    "No published figure applies to this exact configuration (the papers give Table 1 "
                    "multiply-adds for the v1 stride placement at 224x224, and parameter counts for the "
                    "CIFAR nets with option A)."
                )
            )
        if spec.style == "imagenet" and IMAGENET_LATER.get(spec.depth) == (spec.block, spec.layers):
            st.caption(
                _(
                    "ResNet-{depth} is built as in the Identity Mappings paper's ImageNet results (Table 5): "
                    "{layers} bottleneck blocks per stage, the layout of the Torch code those results were "
                    "trained with (facebook/fb.resnet.torch); the paper prints no parameter or multiply-add count."
                ).format(depth=spec.depth, layers=list(spec.layers))
            )
    else:
        if spec.style == "imagenet":
            choices, default = [18, 34, 50, 101, 152], [18, 34, 50, 101, 152]
        else:
            choices, default = [20, 32, 44, 56, 110, 164, 1001, 1202], [20, 32, 44, 56, 110]
        depths = st.multiselect(_("Depths"), choices, default=default, key=f"arch_depths_{spec.style}")
        compare = []
        for depth in depths:
            try:
                compare.append(spec_at_depth(spec, depth))
            except ValueError as err:
                st.warning(_("{depth} layers: {problem}").format(depth=depth, problem=err))
        if compare:
            with st.spinner(_("Tracing the networks…")):
                table1 = loaders.side_by_side(tuple(compare), size, lang)
            st.dataframe(table1, width="stretch")
    if spec.style == "imagenet":
        st.caption(
            _("Two sources print ImageNet multiply-adds, and they count different networks. {note}").format(
                note=_(PLACEMENT_NOTE)
            )
        )

with tab_layers:
    f1, f2, f3, f4 = st.columns([2, 2, 2, 2])
    view = f1.radio(
        _("Rows"),
        ["Blocks (collapsed)", "Every layer"],
        format_func=translated({"Blocks (collapsed)": N_("Blocks (collapsed)"), "Every layer": N_("Every layer")}),
        key="arch_view",
        help=_("Collapsed: one row per residual block, so ResNet-152 and -1202 stay readable."),
    )
    stage_names = list(stages["stage"].iloc[:-1])
    stage_filter = f2.multiselect(
        _("Stage"),
        stage_names,
        format_func={name: stage_label(name) for name in stage_names}.get,
        key="arch_stage",
    )
    type_filter = f3.multiselect(_("Layer type"), sorted(layers["type"].unique()), key="arch_type")
    search = f4.text_input(_("Search by name"), key="arch_search", placeholder=_("e.g. layer3.5 or downsample"))
    max_block = int(layers["block"].max()) if layers["block"].notna().any() else 1
    block_range = st.slider(
        _("Blocks within each stage"), 1, max(max_block, 2), (1, max(max_block, 2)), key="arch_blocks"
    )

    table = layers if view == "Every layer" else blocks
    mask = table["block"].isna() | table["block"].between(*block_range)
    if stage_filter:
        mask &= table["stage"].isin(stage_filter)
    if type_filter:  # collapsed: a block row (its type reads "Block (n layers)") stands for its layers
        mask &= table["type"].isin(type_filter) if view == "Every layer" else table["block"].notna()
    if search:
        mask &= matches_search(table, layers, search)
    filtered = table[mask]

    t1, t2, t3 = st.columns(3)
    t1.metric(_("Rows shown"), _("{shown} of {total}").format(shown=f"{len(filtered):,}", total=f"{len(table):,}"))
    t2.metric(_("Parameters (shown rows)"), human(filtered["params"].sum()))
    t3.metric(_("Multiply-adds (shown rows)"), human(filtered["macs"].sum()))
    display = displayable(filtered)
    st.dataframe(
        display,
        hide_index=True,
        width="stretch",
        height=min(600, 38 + 35 * len(display)),
        column_config={
            _("name"): st.column_config.TextColumn(_("name"), width="medium"),  # "layer1.0.downsample.0" whole
            _("params"): st.column_config.NumberColumn(_("params"), format="localized"),
            _("macs"): st.column_config.NumberColumn(_("multiply-adds"), format="localized"),
        },
    )
    st.download_button(
        _("Download as CSV"),
        display.to_csv(index=False).encode(),
        file_name=f"{spec.name.replace(' ', '_')}_{size}px_layers.csv",
        mime="text/csv",
        key="arch_csv",
    )

with tab_cost:
    st.plotly_chart(loaders.stage_cost_figure(spec, size, lang), width="stretch")
    st.caption(
        _(
            "Parameters pile up in the last stages (wide layers on small maps) while multiply-adds are "
            "spread more evenly: each stage halves the map and doubles the width, which keeps the cost "
            "per layer roughly constant (He et al. 2015, Sec. 3.3)."
        )
    )

with tab_bottleneck:
    bottleneck_tab(spec, size, lang)

sources.footnote(
    [
        _(
            "{paper}: Table 1 (stages, blocks and 'FLOPs', i.e. multiply-adds, at 224x224), Sec. 3.3 "
            "(halving the map doubles the filters, keeping the cost per layer), Table 6 (CIFAR parameters)."
        ).format(paper=sources.RESNET),
        _("{paper}: Sec. 5 (pre-activation ResNet-164 and -1001 parameters).").format(paper=sources.IDENTITY),
        _("{source}: parameter counts and GFLOPS in its weights metadata.").format(source=sources.TORCHVISION),
        _(
            "{source}: v1.5 (stride on the 3x3) is about 0.5 % more accurate in top-1 than v1, at about 5 % fewer "
            "images per second."
        ).format(source=sources.NVIDIA),
    ]
)
