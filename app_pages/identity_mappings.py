"""Identity-mappings lab: which residual unit and which shortcut train best (He et al. 2016)."""

import streamlit as st

from resnet_viz.i18n import _  # noqa: E402
from resnet_viz.nets import published  # noqa: E402
from resnet_viz.nets.spec import SHORTCUT_VARIANTS, UNIT_LABELS, UNITS, VARIANT_LABELS  # noqa: E402
from resnet_viz.training.labs import (
    IDENTITY_CONFIG,
    IDENTITY_LAB_DEPTH,
    PAPER_SHORTCUT_ERRORS,
    PAPER_UNIT_ERRORS,
    shortcut_specs,
    unit_specs,
    variant_verdict,
)
from ui import citations as sources
from ui.labs import comparison_picker, lab_group, lab_groups, sweep_caption
from ui.launch import budget_caption, launch_button
from ui.live import live
from ui.precomputed import variants_ahead
from ui.run_queue import active_runs
from ui.training_settings import ensure_dataset, training_settings
from ui.unit_depths import no_dropout_note, show_unit_depths, why_these_units_hurt

st.title(_("Identity-mappings lab"))
st.markdown(
    _(
        "He et al. (2016) asked what the shortcut and the residual unit should look like. Their answer: keep "
        "the shortcut a **clean identity** (anything that scales, gates or convolves it hampers the signal "
        "and the gradient), and move BN and ReLU **before** the convolutions (full pre-activation). Train the "
        "variants side by side here; the paper's CIFAR-10 figures for ResNet-110 are drawn in a panel of their own: "
        "they come from 64k steps on CIFAR-10, so only the order can be compared, not the numbers."
    )
)

tab_units, tab_shortcuts = st.tabs([_("Residual units (Table 2)"), _("Shortcut variants (Table 1)")])


def lab(kind: str, choices: list[str], english_labels: dict, paper: dict, make_specs) -> None:
    """One comparison: pick variants, launch them together, see them against the paper's errors.

    ``english_labels`` (value -> N_-marked English label) name the variants; run names stay English, the
    labels shown are translated.
    """
    labels = {value: _(label) for value, label in english_labels.items()}
    picked = st.multiselect(_("Variants"), choices, default=choices, format_func=labels.get, key=f"im_{kind}_pick")
    depth = st.select_slider(
        _("Depth (CIFAR, 6n+2)"), [8, 14, 20, 26, 32, 44, 56, 110], value=IDENTITY_LAB_DEPTH, key=f"im_{kind}_depth"
    )
    settings = training_settings(f"im_{kind}", make_specs(depth, choices[:1])[0], lab=IDENTITY_CONFIG)
    ready = ensure_dataset(settings)
    specs = make_specs(depth, picked)
    if specs:
        budget_caption(specs, settings)
    names = [english_labels[p] for p in picked]
    launch = f"im_{kind}_go"
    launch_button(
        _("Launch the comparison"),
        launch,
        specs,
        settings,
        names,
        group=f"identity-{kind}",
        disabled=not (ready and picked),
    )
    groups = lab_groups(f"identity-{kind}")
    paper_text = {labels[k]: (f"{v} %" if v is not None else _("fails to converge")) for k, v in paper.items()}
    st.markdown(
        _("**The paper (ResNet-110, CIFAR-10 test error):** {errors}").format(
            errors="; ".join(f"{k}: {v}" for k, v in paper_text.items())
        )
    )
    st.caption(
        _(
            "The original unit's {mean} % is the mean of 5 runs, as in {source} ({mean} ± {std} %); the best of "
            "those runs, {best} %, is the figure the Degradation lab quotes."
        ).format(source=published.source("table6_resnet110_runs"), **published.values("table6_resnet110_runs"))
    )
    ahead, mine = st.columns(2, gap="large") if groups else (st.container(), None)
    with ahead:
        st.markdown(_("#### Run ahead of time"))
        variants_ahead(kind, labels, paper, labels[choices[0]])
    if not groups:
        st.caption(_("Launch a comparison to see your own runs beside these."))
        return
    with mine:
        st.markdown(_("#### Your comparison, live"))
        group = comparison_picker(groups, launch, key=f"im_{kind}_g")
        sweep_caption(group)
        results(kind, group, labels, paper, labels[choices[0]])


def results(kind: str, group: str, labels: dict, paper: dict, reference: str) -> None:
    """The group's runs in progress, the variants against the paper's numbers, and their curves."""

    def draw() -> None:
        from resnet_viz.figures.training import training_curves, variant_bars

        runs, metrics, summary = lab_group(group)
        summary = summary.sort_values("id")  # launch order: the order of the paper's panel (the store: newest first)
        column = "unit" if kind == "units" else "shortcut_variant"
        summary["label"] = summary[column].map(labels)
        published = {labels[k]: v for k, v in paper.items() if v is not None and labels[k] in set(summary["label"])}
        st.plotly_chart(
            variant_bars(summary.fillna({"train_error": 0, "test_error": 0}), published),
            width="stretch",
            key=f"im_{kind}_bars",
        )
        finished = summary[summary["status"].isin(["finished", "stopped", "diverged"])]
        for line in variant_verdict(finished, reference):
            st.markdown(f"- {line}")
        st.plotly_chart(training_curves(metrics, runs), width="stretch", key=f"im_{kind}_curves")
        st.caption(
            _(
                "Your runs are short and on small images, so absolute errors differ from the paper's; compare the "
                "order of the variants, and only where the difference is larger than the stated margin. Variants "
                "that block the identity path (scaling, gating, 1x1 conv, dropout) should train slower; with very "
                "few steps the differences may still be small."
            )
        )

    live(draw, lambda: not active_runs(group).empty)


with tab_units:
    show_unit_depths()
    why_these_units_hurt()
    lab("units", list(UNITS), UNIT_LABELS, PAPER_UNIT_ERRORS, lambda d, v: unit_specs(d, v))
with tab_shortcuts:
    no_dropout_note()
    lab(
        "shortcuts",
        list(SHORTCUT_VARIANTS),
        VARIANT_LABELS,
        PAPER_SHORTCUT_ERRORS,
        lambda d, v: shortcut_specs(d, v),
    )

sources.footnote(
    [
        _(
            "{source}: Sec. 3 and Table 1 (shortcut variants: constant scaling, exclusive and shortcut-only gating, "
            "1x1 conv, dropout; ResNet-110 on CIFAR-10), Sec. 4 and Table 2 (residual-unit orderings; ResNet-110 "
            "and -164), Fig. 2 and 4 (the variants drawn)."
        ).format(source=sources.IDENTITY),
        _("{source}: Sec. 4.2 (the CIFAR-10 networks and training schedule these variants start from).").format(
            source=sources.RESNET
        ),
    ]
)
