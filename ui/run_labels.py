"""How a run reads on a page: its status, its stored message in the reader's language, its label in a
run picker, and the run a picker preselects."""

from __future__ import annotations

from resnet_viz.i18n import N_, _
from resnet_viz.messages import Message

STATUS_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "stopped": "⏹️", "diverged": "💥", "failed": "❌"}
STATUS_LABELS = {
    "queued": N_("queued"),
    "running": N_("running"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "diverged": N_("diverged"),
    "failed": N_("failed"),
}


def status_text(status: str) -> str:
    """A run's status for a reader: its icon and its name in the reader's language ("✅ finished")."""
    return f"{STATUS_ICONS.get(status, '')} {_(STATUS_LABELS.get(status, status))}"


def run_message(run) -> str:
    """A run's message (a `RunStore.runs` row or `run` dict) in the reader's language: the store keeps it as an
    English template and its values (`resnet_viz.messages.Message`); "" when the run has none."""
    message = run["message_data"]
    return message.text() if isinstance(message, Message) else ""


def run_label(run) -> str:
    """ "#5 plain-20 (digits) · ✅ finished · 300 steps · 26 Nov 14:02": tells runs of the same name apart."""
    config = run["config"] if isinstance(run["config"], dict) else {}
    when = str(run.get("finished_at") or run.get("created_at") or "")[:16].replace("T", " ")
    return _("#{id} {name} ({dataset}) · {status} · {steps} steps · {when}").format(
        id=run["id"],
        name=run["name"],
        dataset=config.get("dataset", "?"),
        status=status_text(run["status"]),
        steps=int(run.get("last_step") or 0),
        when=when,
    )


def newest_finished(run_ids: list[int], runs) -> int:
    """The index in ``run_ids`` to preselect: the newest finished run, else the newest run."""
    finished = runs[runs["status"] == "finished"]["id"].tolist()
    candidates = [i for i in run_ids if i in finished] or run_ids
    return run_ids.index(max(candidates))
