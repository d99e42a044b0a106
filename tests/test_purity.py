"""resnet_viz is a pure library: importing it (and all its modules) never imports streamlit."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_library_never_imports_streamlit():
    package = ROOT / "resnet_viz"
    modules = sorted(
        ".".join(p.relative_to(package).with_suffix("").parts)
        for p in package.rglob("*.py")
        if p.stem not in ("__init__", "__main__")
    )
    assert "figures.gradients" in modules  # subpackages are imported too
    code = "import sys, importlib\n"
    code += "".join(f"importlib.import_module('resnet_viz.{m}')\n" for m in modules)
    code += "assert 'streamlit' not in sys.modules, 'streamlit was imported'\nprint(len(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for path in (ROOT / "resnet_viz").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text, path
        # Imports go one way: the app (ui/, app_pages/) uses the library, never the reverse.
        assert "from ui" not in text and "import ui" not in text, path


def test_public_api():
    import resnet_viz

    names = ("ResNetSpec", "build_resnet", "layer_table", "stage_table", "shortcut_table", "pick_device")
    for name in names + ("attribute", "load_image", "overlay", "load_pretrained", "load_run_model"):
        assert name in resnet_viz.__all__ and hasattr(resnet_viz, name)


def test_spec_module_does_not_import_torch():
    # The home page draws before torch loads: the sidebar's spec handling must stay torch-free.
    code = "import sys\nfrom resnet_viz.nets.spec import ResNetSpec\nassert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
