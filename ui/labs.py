"""A lab's comparisons on a page: picking one, its runs with their metrics, and its table of errors."""

from __future__ import annotations

import streamlit as st

from resnet_viz.i18n import N_, _

from .live import progress_rows
from .run_labels import STATUS_LABELS
from .run_queue import ACTIVE_STATUSES, all_runs, run_metrics

ERROR_TABLE_HEADERS = {
    "name": N_("name"),
    "status": N_("status"),
    "last_step": N_("last_step"),
    "train_loss": N_("train_loss"),
    "train_error": N_("train error %"),
    "test_error": N_("test error %"),
}


def lab_groups(prefix: str) -> list[str]:
    """The run groups in the store whose name starts with ``prefix`` (a lab's comparisons), oldest first."""
    return [g for g in all_runs()["group"].dropna().unique() if str(g).startswith(prefix)]


def comparison_picker(groups: list[str], launch_key: str, key: str) -> str:
    """A "Comparison" select box over ``groups`` that shows the one `launch_button` ``launch_key`` just queued."""
    launched = st.session_state.get(f"{launch_key}_group")
    # A select box with a key keeps its choice across reruns and ignores ``index``: move it to a new launch once.
    if launched in groups and st.session_state.get(f"{key}_moved_to") != launched:
        st.session_state[key] = launched
        st.session_state[f"{key}_moved_to"] = launched
    if st.session_state.get(key) not in groups:
        st.session_state[key] = groups[0]
    return st.selectbox(_("Comparison"), groups, key=key)


def lab_group(group: str, progress: bool = True):
    """A lab comparison's (runs, metrics, summary); with ``progress``, first draws its runs in progress.

    Returns the runs of ``group`` (`RunStore.runs`), their metrics and `labs.summarize`'s one row per run.
    """
    from resnet_viz.training.labs import summarize

    runs = all_runs(group)
    metrics = run_metrics(runs)
    active = runs[runs["status"].isin(ACTIVE_STATUSES)]
    if progress and len(active):
        progress_rows(active)
    return runs, metrics, summarize(runs, metrics)


def error_table(summary, columns: tuple[str, ...] = ("name", "status", "last_step", "train_error", "test_error")):
    """A lab's runs (a `labs.summarize` frame) as a table, errors in % to one decimal."""
    table = summary[list(columns)].copy()
    if "status" in table:
        table["status"] = table["status"].map(lambda status: _(STATUS_LABELS.get(status, status)))
    for column in ("train_error", "test_error"):
        table[column] = (100 * table[column]).round(1)
    for column in ("train_loss", "train_error", "test_error"):  # not measured yet: blank, not a grey "None"
        if column in table:
            table[column] = table[column].map(lambda v: "" if v != v or v is None else f"{v:.4g}")
    st.dataframe(
        table.rename(columns={column: _(label) for column, label in ERROR_TABLE_HEADERS.items()}),
        hide_index=True,
        width="stretch",
    )


def sweep_caption(group: str) -> None:
    """Under a lab's comparison picker: how a sweep from the command line behaves (its Stop is elsewhere)."""
    from resnet_viz.training.labs import is_sweep_group

    if is_sweep_group(group):
        st.caption(
            _(
                "A sweep started from the command line (`python -m resnet_viz sweep`), perhaps on a Ray cluster: it "
                "updates here live, and is stopped where it was started (Ctrl+C), not with the Stop button."
            )
        )
