"""Figures draw results; they never import torch (the probes' result types are for type checking only)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "resnet_viz" / "figures"


def test_no_figures_module_imports_torch():
    modules = sorted(p.stem for p in FIGURES.glob("*.py") if p.stem != "__init__")
    code = "; ".join(f"import resnet_viz.figures.{m}" for m in modules) + "; import sys; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False", modules
