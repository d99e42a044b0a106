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


def identity_insertion_section() -> None:
    """The Degradation lab's "can a plain net learn the identity?" section (He et al. 2015, Sec. 1 and 3.1): pick a
    finished plain run, deepen it with identity or random blocks, train both further and compare."""
    from .run_labels import run_label

    st.divider()
    st.subheader(_("Can a plain net learn the identity?"))
    st.markdown(
        _(
            "The paper's argument (Sec. 1): take a trained shallow net and add layers that are *identity mappings*: "
            "the deeper net has the same training error, so a deeper net *can* be as good. That deeper plain nets "
            'train worse means *"solvers might have difficulties in approximating identity mappings by multiple '
            'nonlinear layers"* (Sec. 3.1). Test it: append plain blocks to each stage of one of your trained plain '
            "nets, initialised as the exact identity or at random, and train both a little further, the same way. The "
            "added blocks' BatchNorms keep fixed statistics (a learnt scale and shift, not each batch's mean and "
            "variance), so the identity blocks are exactly the identity in training mode too; the random blocks' "
            "statistics are measured once on training images."
        )
    )
    plain_done = trained_plain_runs(run_queue().store.runs())
    if plain_done.empty:
        st.caption(_("Launch a comparison above: its finished plain nets can then be deepened here."))
        return
    c1, c2, c3 = st.columns([3, 1, 1])
    plain_labels = {int(r["id"]): run_label(r) for r in plain_done.to_dict("records")}
    base_id = c1.selectbox(_("Trained plain net"), list(plain_labels), format_func=plain_labels.get, key="deg_id_run")
    extra = c2.number_input(_("Blocks added per stage"), 1, 10, 2, key="deg_id_extra")
    more_steps = c3.number_input(_("Further steps"), 10, 1000, 40, step=10, key="deg_id_steps")
    if st.button(_("Deepen and train both"), key="deg_id_go", icon=":material/science:"):
        st.session_state["deg_id_shown"] = (int(base_id), int(extra), int(more_steps))
    shown = st.session_state.get("deg_id_shown")
    if shown and shown[0] in plain_labels:
        finished_at = str(plain_done.set_index("id").loc[shown[0], "finished_at"])
        identity_result(shown[0], finished_at, shown[1], shown[2])
