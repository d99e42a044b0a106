"""Messages kept as data: an English template (a msgid marked with ``N_``) and the values that fill it.

A training run's status message is written by the worker thread, which has no reader and no language, and
read later by every user of the server, each in their own language. So the run store keeps the template and
its values apart (`RunStore.set_status`), and each page fills in the template's translation (`Message.text`).
Nothing ever has to turn English text back into a template.

A value may be a `Message` itself (a stop's reason inside "{reason} at step {step}"): it is translated too.
Any other value (a number, an error's own text) is shown as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .i18n import _


@dataclass(frozen=True)
class Message:
    """``template`` (English, a msgid) filled with ``values``; `text` in the reader's language, `english` for logs."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """In the current language (`resnet_viz.i18n.language`)."""
        return self._fill(_(self.template), lambda m: m.text())

    def english(self) -> str:
        """In English, as the command line and exports print it."""
        return self._fill(self.template, lambda m: m.english())

    def _fill(self, template: str, render) -> str:
        if not self.values:
            return template  # no placeholders to fill: braces in it (an error's text) stay as they are
        return template.format(**{k: render(v) if isinstance(v, Message) else v for k, v in self.values.items()})

    def values_json(self) -> str | None:
        """The values as JSON text (None when there are none), nested messages as ``{"template", "values"}``."""
        return json.dumps(_plain(self.values)) if self.values else None

    @classmethod
    def stored(cls, template: str | None, values_json: str | None) -> Message | None:
        """The message a store row holds (`values_json`'s inverse); None when the row has no message."""
        if template is None:
            return None
        return cls(template, _message_values(json.loads(values_json)) if values_json else {})

    @classmethod
    def of(cls, message: str | Message | None) -> Message | None:
        """``message`` as a `Message` (a plain string is a template without values)."""
        return cls(message) if isinstance(message, str) else message


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: {"template": v.template, "values": _plain(v.values)} if isinstance(v, Message) else v
        for k, v in values.items()
    }


def _message_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: Message(v["template"], _message_values(v["values"])) if isinstance(v, dict) and "template" in v else v
        for k, v in values.items()
    }
