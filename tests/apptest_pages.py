"""Open one page of the app in Streamlit's AppTest, the way a browser would: through app.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def open_app_page(page: str, query: dict | None = None, state: dict | None = None, timeout: float = 120) -> AppTest:
    """Run app.py with URL parameters ``query`` and session state ``state``, then switch to ``page``.

    The first run is the session's first visit (the sidebar picker reads the URL then); the second
    draws ``page`` under app.py's frame, as `st.navigation` routes it.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def launch_and_finish(at: AppTest, prefix: str, button: str) -> None:
    """Launch a page's runs at 8 px for 20 steps (widgets ``prefix``_size / _steps, button ``button``), wait for
    them to end and rerun the page, with no exception on the way."""
    from ui.run_queue import run_queue

    at.number_input(key=f"{prefix}_size").set_value(8)
    at.number_input(key=f"{prefix}_steps").set_value(20)
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    assert run_queue().wait(timeout=300)
    at.run()
    assert not at.exception, at.exception
