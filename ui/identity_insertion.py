"""The 'can a plain net learn the identity?' experiment on a trained plain run: the cached run and its result."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import _

from .run_queue import run_queue


@st.cache_data(show_spinner=False, max_entries=8)
def identity_table(run_id: int, finished_at: str, extra: int, steps: int):
    """`identity_insertion.run_identity_experiment` of one finished run (``finished_at`` keys the cache)."""
    from resnet_viz.probes.identity_insertion import run_identity_experiment

    return run_identity_experiment(run_queue().store, run_id, extra=extra, steps=steps)


def trained_plain_runs(runs):
    """The finished plain basic-block runs of a `RunStore.runs` frame: the nets the experiment can deepen."""

    def plain_basic(spec) -> bool:
        return isinstance(spec, dict) and not spec.get("residual", True) and spec.get("block") == "basic"

    return runs[(runs["status"] == "finished") & runs["spec"].map(plain_basic)]


def identity_result(run_id: int, finished_at: str, extra: int, steps: int) -> None:
    """Train the two deepened nets (cached), draw their curves and say what they show."""
    from resnet_viz.figures.training import identity_insertion_figure
    from resnet_viz.probes.identity_insertion import identity_verdict

    with st.spinner(_("Training the two deeper nets…"), show_time=True):
        table = identity_table(run_id, finished_at, extra, steps)
    st.plotly_chart(identity_insertion_figure(table), width="stretch", key="deg_id_fig")
    first = table[table["step"] == 0].set_index("init")["train_error"]
    last = table.groupby("init").last()["train_error"]
    fields = {
        "identity_start": f"{100 * first['identity']:.1f}",
        "shallow": f"{100 * first['shallow']:.1f}",
        "random_start": f"{100 * first['random']:.1f}",
        "steps": steps,
        "identity_end": f"{100 * last['identity']:.1f}",
        "random_end": f"{100 * last['random']:.1f}",
    }
    st.markdown(
        _(
            "Right after the insertion, the identity blocks leave the training error at {identity_start} % "
            "(the shallow net's: {shallow} %); random blocks put it at {random_start} %. After {steps} more "
            "steps: identity {identity_end} %, random {random_end} %."
        ).format(**fields)
    )
    st.markdown(identity_verdict(table))
