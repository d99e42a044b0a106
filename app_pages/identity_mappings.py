"""Identity-mappings lab: which residual unit and which shortcut train best (He et al. 2016)."""

import time

import streamlit as st

from resnet_viz.labs import PAPER_SHORTCUT_ERRORS, PAPER_UNIT_ERRORS, shortcut_specs, summarize, unit_specs  # noqa: E402
from resnet_viz.spec import SHORTCUT_VARIANTS, UNITS  # noqa: E402
from ui import training
from ui.picker import UNIT_LABELS, VARIANT_LABELS

st.title("Identity-mappings lab")
st.markdown(
    "He et al. (2016) asked what the shortcut and the residual unit should look like. Their answer: keep "
    "the shortcut a **clean identity** (anything that scales, gates or convolves it hampers the signal "
    "and the gradient), and move BN and ReLU **before** the convolutions (full pre-activation). Train the "
    "variants side by side here; the paper's CIFAR-10 figures for ResNet-110 are shown beside yours."
)

tab_units, tab_shortcuts = st.tabs(["Residual units (Table 2)", "Shortcut variants (Table 1)"])
store = training.run_queue().store


def lab(kind: str, choices: list[str], labels: dict, paper: dict, make_specs) -> None:
    picked = st.multiselect("Variants", choices, default=choices, format_func=labels.get, key=f"im_{kind}_pick")
    depth = st.select_slider("Depth (CIFAR, 6n+2)", [8, 14, 20, 26, 32, 44, 56, 110], value=20, key=f"im_{kind}_depth")
    settings = training.training_settings(f"im_{kind}", make_specs(depth, choices[:1])[0])
    ready = training.ensure_dataset(settings)
    if st.button("Launch the comparison", type="primary", disabled=not (ready and picked), key=f"im_{kind}_go"):
        group = f"identity-{kind} {time.strftime('%Y-%m-%d %H:%M:%S')}"
        if training.start_runs(make_specs(depth, picked), settings, [labels[p] for p in picked], group=group):
            st.session_state[f"im_{kind}_group"] = group
    groups = [g for g in store.runs()["group"].dropna().unique() if str(g).startswith(f"identity-{kind}")]
    paper_text = {labels[k]: (f"{v} %" if v is not None else "fails to converge") for k, v in paper.items()}
    st.markdown(
        "**The paper (ResNet-110, CIFAR-10 test error):** " + "; ".join(f"{k}: {v}" for k, v in paper_text.items())
    )
    if not groups:
        st.caption("Launch a comparison to see the results here.")
        return
    current = st.session_state.get(f"im_{kind}_group")
    group = st.selectbox(
        "Comparison", groups, index=groups.index(current) if current in groups else 0, key=f"im_{kind}_g"
    )
    results(kind, group, labels, paper)


def results(kind: str, group: str, labels: dict, paper: dict) -> None:
    @st.fragment(run_every=1.5)
    def live() -> None:
        from resnet_viz.figures.training import training_curves, variant_bars

        runs = store.runs(group=group)
        metrics = store.metrics(runs["id"].tolist())
        summary = summarize(runs, metrics)
        column = "unit" if kind == "units" else "shortcut_variant"
        summary["label"] = summary[column].map(labels)
        steps = training.total_steps(runs.iloc[0].to_dict(), metrics[metrics["run_id"] == runs.iloc[0]["id"]])
        st.progress(
            min(summary["last_step"].sum() / (steps * len(summary)), 1.0),
            text=", ".join(
                f"{r['label']}: {training.STATUS_ICONS.get(r['status'], '')}" for _, r in summary.iterrows()
            ),
        )
        published = {labels[k]: v for k, v in paper.items() if v is not None and labels[k] in set(summary["label"])}
        st.plotly_chart(
            variant_bars(summary.fillna({"train_error": 0, "test_error": 0}), published),
            width="stretch",
            key=f"im_{kind}_bars",
        )
        st.plotly_chart(training_curves(metrics, runs), width="stretch", key=f"im_{kind}_curves")
        st.caption(
            "Your runs are short and on small images, so absolute errors differ from the paper's; compare the "
            "order of the variants. Variants that block the identity path (scaling, gating, 1x1 conv, dropout) "
            "should train slower; with very few steps the differences may still be small."
        )

    live()


with tab_units:
    lab("units", list(UNITS), UNIT_LABELS, PAPER_UNIT_ERRORS, lambda d, v: unit_specs(d, v))
with tab_shortcuts:
    lab(
        "shortcuts",
        list(SHORTCUT_VARIANTS),
        VARIANT_LABELS,
        PAPER_SHORTCUT_ERRORS,
        lambda d, v: shortcut_specs(d, v),
    )
