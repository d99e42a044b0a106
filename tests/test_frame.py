"""The app's frame: the page registry, and the one place that relies on Streamlit's private API."""

from pathlib import Path

from ui import frame
from ui.registry import PAGES, page, sections

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_script_is_registered_once_and_exists():
    paths = [p.path for p in PAGES]
    assert len(paths) == len(set(paths))
    assert sorted(paths) == sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    assert [p.path for p in PAGES if p.default] == ["pages/home.py"]
    assert all(p.blurb for p in PAGES if not p.default)  # Home's map has a line for every other page
    assert page("pages/train.py").title == "Train"
    assert list(sections()) == ["Learn", "Explore the architecture", "Train and compare", "Look inside"]


def test_streamlit_still_has_the_switch_the_deep_link_hand_off_uses():
    """ui/frame.py hands a fresh server's deep link back to app.py through these private names.

    If this fails after a Streamlit upgrade, find the new way (tests/browser/test_deep_links.py shows
    the behaviour that must be kept) and change `uses_legacy_pages_mode` / `leave_legacy_pages_mode`.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    assert "uses_pages_directory" in vars(PagesManager), "Streamlit removed PagesManager.uses_pages_directory"
    assert get_script_run_ctx(suppress_warning=True) is None  # no script run here
    assert frame.uses_legacy_pages_mode() is False  # outside a script run there is nothing to hand back


def test_no_page_runs_on_its_own_any_more():
    for path in (ROOT / "pages").glob("*.py"):
        text = path.read_text()
        assert "sys.path" not in text and "standalone" not in text, path
        assert "frame.enter()" in text, f"{path} must start with frame.enter() (deep-link hand-off)"
