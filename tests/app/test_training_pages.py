"""The first ten minutes in the app (AppTest): what a new user hits on the training pages."""

import pytest
from apptest_pages import open_app_page

from resnet_viz.training.store import RunStore


@pytest.fixture
def queue():
    from ui.run_queue import run_queue

    q = run_queue()
    yield q
    q.wait(timeout=300)


def number_input(at, key: str):
    return at.number_input(key=key)


def test_train_defaults_follow_the_network_until_edited():
    at = open_app_page("app_pages/train.py")  # ResNet-18: ImageNet style, 32 px at least
    assert at.text_input(key="train_name").value == "ResNet-18" and number_input(at, "train_size").value == 32
    at.sidebar.selectbox(key="cfg_preset").set_value("CIFAR ResNet-20").run()
    assert at.text_input(key="train_name").value == "ResNet-20 (CIFAR)" and number_input(at, "train_size").value == 16
    at.text_input(key="train_name").set_value("my own name").run()
    at.sidebar.selectbox(key="cfg_preset").set_value("CIFAR ResNet-32").run()
    assert at.text_input(key="train_name").value == "my own name"  # edited: kept
    assert number_input(at, "train_size").value == 16


def test_degradation_lab_limits_come_from_its_own_networks():
    at = open_app_page("app_pages/degradation.py")  # the sidebar shows ResNet-18 (min 32 px)
    size = number_input(at, "deg_size")
    assert size.value == 16 and size.min == 4
    assert any(c.value.startswith("Budget: 4 runs x 300 steps") for c in at.caption)


def test_the_run_that_starts_is_the_one_on_screen_even_after_streamlit_dropped_widget_state(queue):
    """Streamlit deletes the state of widgets a script run did not draw: on a page switch, and (its issue
    10805) during a timed fragment rerun. The settings come back as the user left them, not at defaults."""
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-20"})
    number_input(at, "train_steps").set_value(10).run()
    number_input(at, "train_size").set_value(8).run()
    at.toggle(key="train_augment").set_value(True).run()
    at.switch_page("app_pages/architecture.py").run()  # the training widgets are not drawn here
    at.switch_page("app_pages/train.py").run()
    assert at.sidebar.selectbox(key="cfg_preset").value == "CIFAR ResNet-20"
    assert number_input(at, "train_steps").value == 10 and number_input(at, "train_size").value == 8
    assert at.toggle(key="train_augment").value is True
    at.button(key="train_start").click().run()
    assert not at.exception
    run = RunStore(queue.store.path).runs().iloc[0]
    assert run["spec"]["layers"] == [3, 3, 3] and run["spec"]["residual"] and run["spec"]["norm"] == "batch"
    assert run["config"]["steps"] == 10 and run["config"]["input_size"] == 8 and run["config"]["augment"]


@pytest.mark.slow
def test_every_tab_sees_every_run_in_progress_and_can_stop_it(queue):
    starter = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-56"})
    number_input(starter, "train_steps").set_value(5000).run()
    starter.text_input(key="train_name").set_value("long run").run()
    starter.button(key="train_start").click().run()
    run_id = int(queue.store.runs().iloc[0]["id"])
    other = open_app_page("app_pages/train.py")  # another tab: a new session
    assert any("long run" in m.value for m in other.markdown)
    assert any("step" in p.proto.text or "waiting" in p.proto.text for p in other.get("progress"))
    other.button(key=f"stop_{run_id}").click().run()
    assert queue.wait(timeout=120)
    assert queue.store.run(run_id)["status"] == "stopped"
    other.run()
    assert any("stopped by the user" in m.value for m in other.markdown) or queue.store.run(run_id)["message"]


def test_run_pickers_tell_runs_apart_and_preselect_the_newest_finished(queue):
    import pandas as pd

    from ui.run_labels import newest_finished, run_label

    rows = [
        dict(id=1, name="plain-20", status="finished", config={"dataset": "digits"}, last_step=300,
             created_at="2026-11-26T10:00:00", finished_at="2026-11-26T10:05:00"),
        dict(id=5, name="plain-20", status="stopped", config={"dataset": "digits"}, last_step=40,
             created_at="2026-11-26T11:00:00", finished_at="2026-11-26T11:01:00"),
        dict(id=7, name="plain-20", status="queued", config={"dataset": "digits"}, last_step=0,
             created_at="2026-11-26T12:00:00", finished_at=None),
    ]  # fmt: skip
    fake = pd.DataFrame(rows)
    labels = [run_label(row) for row in fake.to_dict("records")]
    assert len(set(labels)) == 3
    assert "finished" in labels[0] and "300 steps" in labels[0] and "2026-11-26 10:05" in labels[0]
    assert newest_finished([7, 5, 1], fake) == 2  # the newest finished run, not the queued one


EDITED = {"train_steps": 123, "train_seed": 5, "train_batch": 32, "train_lr_sgd": 0.05, "train_warmup": 7}
EDITED["train_wd"] = 0.001


def shown_in_browser(widget):
    """What a browser that lost this widget (it was not drawn in the previous run) shows once it is drawn again:
    the value the server sends with it, else the widget's own default (a number input's minimum)."""
    return widget.proto.value if widget.proto.set_value else widget.proto.default


@pytest.mark.slow
@pytest.mark.parametrize(
    "start, invalid, valid",
    [
        (dict(style="cifar", depth="14"), ("cfg_depth", 21), ("cfg_depth", 14)),  # a depth typed on the way to 14
        (dict(style="imagenet", depth="18"), ("cfg_style", "cifar"), ("cfg_depth", 20)),  # style switched at 18
    ],
)
def test_settings_keep_their_values_across_an_invalid_network(start, invalid, valid):
    at = open_app_page("app_pages/train.py", {"preset": "Custom depth", **start})
    for key, value in EDITED.items():
        number_input(at, key).set_value(value).run()
    for key, value in (invalid, valid):
        widget = at.sidebar.number_input(key=key) if key == "cfg_depth" else at.sidebar.radio(key=key)
        widget.set_value(value).run()
        assert bool(at.error) == ((key, value) == invalid)  # the page stops on the invalid network, then draws again
    shown = {key: shown_in_browser(number_input(at, key)) for key in EDITED}
    assert shown == pytest.approx(EDITED)


def test_a_missing_run_message_reads_as_nothing_never_nan():
    import pandas as pd

    from ui.run_labels import run_message

    runs = pd.DataFrame({"id": [1, 2], "message_data": [float("nan"), None]})  # runs with no message
    assert [run_message(run) for run in runs.to_dict("records")] == ["", ""]
