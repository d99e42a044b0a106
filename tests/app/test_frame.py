"""The app's frame: the page registry and the page scripts' folder."""

import os
from pathlib import Path

from ui.registry import PAGES, page, sections

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_script_is_registered_once_and_exists():
    paths = [p.path for p in PAGES]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))
    assert [p.path for p in PAGES if p.default] == ["app_pages/home.py"]
    assert all(p.blurb for p in PAGES if not p.default)  # Home's map has a line for every other page
    assert page("app_pages/train.py").title == "Train"
    assert list(sections()) == ["Learn", "Explore the architecture", "Train and compare", "Look inside"]


def test_no_pages_folder_beside_app_py():
    """A folder named pages/ next to app.py switches Streamlit into its older multipage mode: a fresh
    server's deep link would then run the page without app.py's frame (tests/browser/test_deep_links.py)."""
    assert not (ROOT / "pages").exists()


def test_page_scripts_are_plain_scripts_run_by_app_py():
    for path in (ROOT / "app_pages").glob("*.py"):
        text = path.read_text()
        assert "sys.path" not in text and "set_page_config" not in text, path  # app.py's frame does both


def test_home_is_drawn_without_loading_torch_or_pandas():
    """Cold start: the first page a visitor sees must not wait for torch (seconds to import) or pandas (most of a
    second), picture included: the bundled models' training curves, from their curves file, as an inline SVG (a
    Plotly chart costs the browser seconds to draw on first use)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "assert any('Device:' in c.value for c in at.sidebar.caption)\n"
        "assert 'torch' not in sys.modules, 'Home loaded torch'\n"
        "assert 'pandas' not in sys.modules, 'Home loaded pandas'\n"
        "assert not at.get('plotly_chart'), 'Home draws a Plotly chart'\n"
        "pictures = [m.value for m in at.markdown if m.value.startswith('<svg')]\n"
        "assert len(pictures) == 1, pictures\n"
        "assert all(f'<title>{n} train</title>' in pictures[0] for n in ('plain-56', 'ResNet-56'))\n"
    )
    env = {**os.environ, "RESNET_VIZ_PREFETCH": "0"}  # the background import after the page (ui/prefetch.py) off
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_prefetch_imports_in_the_background_once():
    """After the first page, ui/prefetch.py imports the heavy modules in a thread (a light stand-in here)."""
    import subprocess
    import sys

    code = (
        "import sys, time\n"
        "from ui import prefetch\n"
        "assert prefetch.start(('colorsys',), delay_s=0.0, then=lambda: None)\n"
        "assert not prefetch.start(('colorsys',), delay_s=0.0, then=lambda: None)  # once per process\n"
        "deadline = time.monotonic() + 30\n"
        "while 'colorsys' not in sys.modules and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "assert 'colorsys' in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RESNET_VIZ_PREFETCH"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
