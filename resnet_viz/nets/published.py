"""The papers' published numbers, from one data file: ``assets/paper_numbers.json``.

Each entry is one printed table (or part of one): ``source`` ("He et al. 2015, Table 1"), ``what``,
``unit`` and ``values``, keyed by depth or network name; ``None`` marks a run the paper reports as
failing to converge. `paper` checks our computed numbers against them; `labs` and the app's pages show
them beside the user's runs. Torch-free.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ..assets import ASSETS_DIR
from ..i18n import N_, _

PAPER_NUMBERS = ASSETS_DIR / "paper_numbers.json"
# The ``source`` of every entry, marked for translation (the data file holds them in English).
SOURCES = (
    N_("He et al. 2015, Abstract"),
    N_("He et al. 2015, Table 1"),
    N_("He et al. 2015, Table 2"),
    N_("He et al. 2015, Table 3"),
    N_("He et al. 2015, Table 6"),
    N_("He et al. 2016 (Identity Mappings)"),
    N_("He et al. 2016 (Identity Mappings), Table 1"),
    N_("He et al. 2016 (Identity Mappings), Table 2"),
)


@cache
def published() -> dict[str, dict[str, Any]]:
    """Every entry of ``assets/paper_numbers.json`` (read once; treat the result as read-only)."""
    with open(PAPER_NUMBERS, encoding="utf-8") as f:
        data = json.load(f)
    return {key: entry for key, entry in data.items() if isinstance(entry, dict)}


def values(key: str) -> dict[str, float | None]:
    """An entry's values by name, e.g. ``values("table2_top1_error")["ResNet-34"] == 25.03``."""
    return dict(_entry(key)["values"])


def by_depth(key: str) -> dict[int, float | None]:
    """An entry keyed by depth, with int keys: ``by_depth("table1_gmacs")[50] == 3.8``."""
    return {int(depth): value for depth, value in _entry(key)["values"].items()}


def source(key: str) -> str:
    """Where an entry is printed, in the current language: ``source("table6_params_m") == "He et al. 2015, Table 6"``
    in English (the data file's text), "He 等 2015，表 6" in Chinese."""
    return _(_entry(key)["source"])


def _entry(key: str) -> dict[str, Any]:
    entries = published()
    if key not in entries:
        raise KeyError(f"No published entry {key!r}; the entries are: {', '.join(entries)}.")
    return entries[key]
