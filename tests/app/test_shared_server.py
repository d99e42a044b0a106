"""A classroom on one server, in AppTest: memory bounded before a run starts, no server folders by
default, shared links with bad values say what they ignored."""

from apptest_pages import APP, open_app_page
from streamlit.testing.v1 import AppTest


def test_a_run_that_would_not_fit_in_memory_is_refused_before_it_is_queued():
    from ui.run_queue import run_queue

    before = len(run_queue().store.runs())
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-56"})
    at.number_input(key="train_size").set_value(224).run()
    at.number_input(key="train_batch").set_value(1024).run()
    at.button(key="train_start").click().run()
    assert not at.exception
    refusal = " ".join(e.value for e in at.error)
    assert "GiB" in refusal and "batch" in refusal  # says what it needs and what would fit
    assert len(run_queue().store.runs()) == before  # nothing was queued, nothing half-written


def test_no_server_folder_is_offered_unless_the_teacher_allowed_one(monkeypatch, tmp_path):
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-20"})
    assert "folder" not in at.selectbox(key="train_dataset").options
    monkeypatch.setenv("RESNET_VIZ_ALLOWED_DATA_DIR", str(tmp_path))
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-20"})
    options = at.selectbox(key="train_dataset").options
    assert any("folder" in option for option in options)


def test_a_shared_link_with_bad_values_says_what_it_ignored():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["depth"], at.query_params["preset"] = "-3", "../../etc/passwd"
    at.run()  # the session's first visit, as a shared link opens it
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "depth=-3" in warning and "preset=../../etc/passwd" in warning.replace("\\", "")
    assert at.sidebar.selectbox(key="cfg_preset").value == "ResNet-18"


def test_a_link_with_a_bad_boolean_names_it_and_keeps_the_network():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"], at.query_params["residual"], at.query_params["batchnorm"] = "ResNet-34", "NaN", "maybe"
    at.run()
    warning = " ".join(w.value for w in at.sidebar.warning)
    assert "residual=NaN" in warning and "batchnorm=maybe" in warning
    assert at.sidebar.toggle(key="cfg_residual").value is True  # the default, not a silent "false"
    assert at.session_state["cfg_batchnorm"] is True and at.sidebar.selectbox(key="cfg_preset").value == "ResNet-34"


def test_a_link_with_a_plain_boolean_still_works():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["residual"], at.query_params["batchnorm"] = "off", "False"
    at.run()
    assert not at.sidebar.warning
    assert at.sidebar.toggle(key="cfg_residual").value is False and at.session_state["cfg_batchnorm"] is False


def test_a_link_to_a_network_too_deep_to_trace_is_refused_before_tracing():
    """A shared link to a 9992-layer net kept a server's script threads tracing for minutes: refused, and said."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["preset"], at.query_params["style"], at.query_params["depth"] = "Custom depth", "cifar", "9992"
    at.run()
    assert "depth=9992" in " ".join(w.value for w in at.sidebar.warning)
    assert at.sidebar.number_input(key="cfg_depth").value == 18  # the default, never the 9992-layer net
