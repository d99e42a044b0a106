"""Where the project's files live: the repository root, and ``assets/`` in it (sample photos, the papers'
numbers, the bundled models)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = REPO_ROOT / "assets"
