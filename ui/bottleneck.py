"""The Architecture page's "Why the bottleneck": a bottleneck net against two basic-block twins of the
same depth (He et al. 2015, Sec. 4.1), cached, with what the numbers say."""

from __future__ import annotations

import streamlit as st

from resnet_viz import i18n
from resnet_viz.formatting import human
from resnet_viz.i18n import _
from resnet_viz.nets.spec import ResNetSpec

from .architecture import computing
from .architecture_tables import BLOCK_LABELS
from .text import translated_columns


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_designs(spec: ResNetSpec, input_size: int, language: str):
    """`costs.bottleneck_vs_basic` for a bottleneck spec (meta device: no memory used)."""
    from resnet_viz.nets.costs import bottleneck_vs_basic

    with i18n.use_language(language):
        return bottleneck_vs_basic(spec, input_size)


@st.cache_data(show_spinner=False, max_entries=16)
def bottleneck_figure(spec: ResNetSpec, input_size: int, language: str):
    from resnet_viz.figures.costs import design_costs

    with i18n.use_language(language):
        title = _("{depth} layers, three block designs").format(depth=spec.depth)
        return design_costs(bottleneck_designs(spec, input_size, language), title=title)


def bottleneck_example(spec: ResNetSpec, input_size: int) -> tuple[ResNetSpec, int]:
    """The bottleneck net to show for ``spec``: itself, or for a basic-block net the papers' bottleneck
    net of its style (ResNet-50 at 224 px, the pre-activation CIFAR ResNet-164 at 32 px)."""
    if spec.block == "bottleneck":
        return spec, input_size
    if spec.style == "imagenet":
        return ResNetSpec.from_depth(50, stride_on=spec.stride_on), 224
    return ResNetSpec.from_depth(164, style="cifar", block="bottleneck", unit="preact"), 32


def bottleneck_tab(spec: ResNetSpec, input_size: int, language: str) -> None:
    """The paper's reason for the bottleneck, the three designs' costs (figure and table), and the findings."""
    deep, deep_size = bottleneck_example(spec, input_size)
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
    with computing(deep, _("Tracing {net} and two basic-block twins of the same depth")):
        designs = bottleneck_designs(deep, deep_size, language)
        figure = bottleneck_figure(deep, deep_size, language)
        st.plotly_chart(figure, width="stretch", key="arch_bneck_fig")
    st.dataframe(_displayable_designs(designs), hide_index=True, width="stretch")
    st.markdown(_findings(deep, designs))


def _displayable_designs(designs):
    """`bottleneck_vs_basic` for the screen: block names translated, tuples joined, counts human-readable."""
    shown = designs.assign(
        block=designs["block"].map(lambda b: _(BLOCK_LABELS[b])),
        layers=designs["layers"].map(lambda t: " / ".join(map(str, t))),
        widths=designs["widths"].map(lambda t: " / ".join(map(str, t))),
        params=designs["params"].map(human),
        macs=designs["macs"].map(human),
        activations=designs["activations"].map(human),
    ).rename(columns={"layers": _("blocks per stage"), "widths": _("output widths"), "macs": _("multiply-adds")})
    return translated_columns(shown)


def _findings(deep: ResNetSpec, designs) -> str:
    """What the three designs' costs say, as ratios to the bottleneck net's own."""
    base, narrow, wide = designs.iloc[0], designs.iloc[1], designs.iloc[2]
    return _(
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
