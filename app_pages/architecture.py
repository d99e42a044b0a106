"""Architecture: the paper's Table 1 for the chosen network, every layer, and the cost per stage."""

import streamlit as st

from resnet_viz.formatting import human
from resnet_viz.i18n import N_, _, language
from resnet_viz.nets.spec import ResNetSpec
from ui import architecture as loaders
from ui import citations as sources
from ui.picker import current_choice, spec_at_depth
from ui.text import translated, translated_columns

PLACEMENT_NOTE = N_(
    "The paper (v1, Table 1) puts a bottleneck's stride on its first 1x1; torchvision (v1.5) puts it on the 3x3, "
    "which then works on the full-size map: more multiply-adds (ResNet-50: 4.09 G against 3.86 G) for about "
    "0.5 % better top-1. ResNet-18 and -34 have no 1x1 on the main path, so their count is the same either way; "
    "the paper's 1.8 and 3.6 G are the plain / option-A nets' counts (3.64 G for 34 layers), without the "
    "projections of option B. Only ResNet-50's 3.8 is truncated (3.86 G)."
)

spec, size = current_choice().require()
key, lang = spec.to_json(), language()

st.title(_("Architecture"))
st.caption(
    _("**{net}** at {size}x{size} input · shapes are written H x W x C as in the paper").format(
        net=spec.display_name, size=size
    )
)

with loaders.computing(spec, _("Tracing {net}: every layer's shape, parameters and memory")):
    layers = loaders.layer_table(key, size)
    stages = loaders.stage_table(key, size, lang)
    params, train_bytes, too_big = loaders.memory_verdict(key, size, lang)
    blocks = loaders.block_summary(key, size, lang)
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
        shown = stages.assign(
            stage=stages["stage"].map(loaders.stage_label),
            blocks=stages["blocks"].map(lambda n: str(n) if n else ""),
            params=stages["params"].map(human),
            macs=stages["macs"].map(human),
        ).rename(columns={"stage": _("layer name"), "output_size": _("output size"), "macs": _("multiply-adds")})
        st.dataframe(translated_columns(shown), hide_index=True, width="stretch")
        checks = loaders.paper_checks(key, size, lang)
        if len(checks):
            st.markdown(_("**Checked against the published figures**"))
            st.dataframe(loaders.displayable_checks(checks), hide_index=True, width="stretch")
        else:
            st.caption(
                _(
                    "No published figure applies to this exact configuration (the papers give Table 1 "
                    "multiply-adds for the v1 stride placement at 224x224, and parameter counts for the "
                    "CIFAR nets with option A)."
                )
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
                table1 = loaders.side_by_side(tuple(s.to_json() for s in compare), size, lang)
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
        format_func={name: loaders.stage_label(name) for name in stage_names}.get,
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
        mask &= table["name"].str.contains(search, case=False, regex=False)
    filtered = table[mask]

    t1, t2, t3 = st.columns(3)
    t1.metric(_("Rows shown"), _("{shown} of {total}").format(shown=f"{len(filtered):,}", total=f"{len(table):,}"))
    t2.metric(_("Parameters (shown rows)"), human(filtered["params"].sum()))
    t3.metric(_("Multiply-adds (shown rows)"), human(filtered["macs"].sum()))
    display = loaders.displayable(filtered)
    st.dataframe(
        display,
        hide_index=True,
        width="stretch",
        height=min(600, 38 + 35 * len(display)),
        column_config={
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
    st.plotly_chart(loaders.stage_cost_figure(key, size, lang), width="stretch")
    st.caption(
        _(
            "Parameters pile up in the last stages (wide layers on small maps) while multiply-adds are "
            "spread more evenly: each stage halves the map and doubles the width, which keeps the cost "
            "per layer roughly constant (He et al. 2015, Sec. 3.3)."
        )
    )

with tab_bottleneck:
    if spec.block == "bottleneck":
        deep, deep_size = spec, size
    elif spec.style == "imagenet":
        deep, deep_size = ResNetSpec.from_depth(50, stride_on=spec.stride_on), 224
    else:
        deep, deep_size = ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact"), 32
    if deep is not spec:
        st.caption(
            _("{net} uses basic blocks; shown here: **{deep}** at {size}x{size}.").format(
                net=spec.display_name, deep=deep.display_name, size=deep_size
            )
        )
    st.markdown(
        _(
            "> *The three layers are 1×1, 3×3, and 1×1 convolutions, where the 1×1 layers are responsible for "
            "reducing and then increasing (restoring) dimensions, leaving the 3×3 layer a bottleneck with smaller "
            "input/output dimensions.*\n\n"
            "He et al. 2015, Sec. 4.1, *Deeper Bottleneck Architectures*. They adopt it for the 50-, 101- and "
            "152-layer nets because of the training time they could afford; in Fig. 5 a bottleneck block on 256-d "
            "maps has about the time complexity of a basic block on 64-d maps."
        )
    )
    with loaders.computing(deep, _("Tracing {net} and two basic-block twins of the same depth")):
        designs = loaders.bottleneck_designs(deep.to_json(), deep_size, lang)
        figure = loaders.bottleneck_figure(deep.to_json(), deep_size, lang)
        st.plotly_chart(figure, width="stretch", key="arch_bneck_fig")
    base, narrow, wide = designs.iloc[0], designs.iloc[1], designs.iloc[2]
    shown = designs.assign(
        block=designs["block"].map(lambda b: _(loaders.BLOCK_LABELS[b])),
        layers=designs["layers"].map(lambda t: " / ".join(map(str, t))),
        widths=designs["widths"].map(lambda t: " / ".join(map(str, t))),
        params=designs["params"].map(human),
        macs=designs["macs"].map(human),
        activations=designs["activations"].map(human),
    ).rename(columns={"layers": _("blocks per stage"), "widths": _("output widths"), "macs": _("multiply-adds")})
    st.dataframe(translated_columns(shown), hide_index=True, width="stretch")
    st.markdown(
        _(
            "Computed for {depth} layers: basic blocks at the bottleneck's **output** width ({wide_depth} "
            "layers) would need {wide_macs}x the multiply-adds and {wide_params}x the parameters. Basic blocks at "
            "the **inner** width are closer in cost ({narrow_macs}x the multiply-adds, {narrow_params}x the "
            "parameters, {narrow_activations}x the activations) but carry maps 4x narrower. The 1x1 convolutions "
            "buy width cheaply; the price is more activations to keep for training than the narrow basic net."
        ).format(
            depth=deep.depth,
            wide_depth=wide["depth"],
            wide_macs=f"{wide['macs'] / base['macs']:.0f}",
            wide_params=f"{wide['params'] / base['params']:.0f}",
            narrow_macs=f"{narrow['macs'] / base['macs']:.1f}",
            narrow_params=f"{narrow['params'] / base['params']:.1f}",
            narrow_activations=f"{narrow['activations'] / base['activations']:.1f}",
        )
    )

sources.footnote(
    [
        _(
            "{paper}: Table 1 (stages, blocks and 'FLOPs', i.e. multiply-adds, at 224x224), Sec. 3.3 "
            "(halving the map doubles the filters, keeping the cost per layer), Table 6 (CIFAR parameters)."
        ).format(paper=sources.RESNET),
        _("{paper}: Sec. 5 (pre-activation ResNet-164 and -1001 parameters).").format(paper=sources.IDENTITY),
        _("{source}: parameter counts and GFLOPS in its weights metadata.").format(source=sources.TORCHVISION),
    ]
)
