"""Where the project's data files live: ``assets/`` at the repository root (sample photos, papers' numbers)."""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"
