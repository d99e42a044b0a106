"""How a run reads on a page: its status, its stored message in the reader's language, its label in a
run picker, and the run a picker preselects."""

from __future__ import annotations

import re

from resnet_viz.i18n import N_, _

STATUS_ICONS = {"queued": "⏳", "running": "🏃", "finished": "✅", "stopped": "⏹️", "diverged": "💥", "failed": "❌"}
STATUS_LABELS = {
    "queued": N_("queued"),
    "running": N_("running"),
    "finished": N_("finished"),
    "stopped": N_("stopped"),
    "diverged": N_("diverged"),
    "failed": N_("failed"),
}
# What the training engine stores as a run's message, in English (it runs in a worker thread that has no
# user language); `run_message` shows them in the reader's language. Keep in step with resnet_viz.training.engine.
STORED_MESSAGES = (
    N_("{reason} at step {step}"),
    N_("loss became {loss} at step {step}: the learning rate is probably too high"),
    N_("{steps} steps"),
)


def status_text(status: str) -> str:
    """A run's status for a reader: its icon and its name in the reader's language ("✅ finished")."""
    return f"{STATUS_ICONS.get(status, '')} {_(STATUS_LABELS.get(status, status))}"


def run_message(message) -> str:
    """A run's stored message (English, see `STORED_MESSAGES`) in the reader's language, where it is one of
    the engine's fixed messages; anything else (an error's own text) as stored."""
    text = message if isinstance(message, str) else ""  # a missing message reads from pandas as NaN: nothing
    if not text or _(text) != text:
        return _(text) if text else ""
    for template in STORED_MESSAGES:
        parts = re.split(r"\{(\w+)\}", template)  # text, name, text, name, ..., text
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>{'[0-9]+' if part in ('step', 'steps') else '.+'})"
            for i, part in enumerate(parts)
        )
        if found := re.fullmatch(pattern, text):
            return _(template).format(**{name: run_message(value) for name, value in found.groupdict().items()})
    return text


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
