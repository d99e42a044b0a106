"""A session's fair share of the one training queue, as the Train page says it (AppTest)."""

from apptest_pages import open_app_page


def test_a_launch_past_the_sessions_share_is_refused_with_a_readable_message(monkeypatch):
    from ui.run_queue import run_queue

    queue = run_queue()
    monkeypatch.setattr(queue, "runs_per_owner", 1)
    at = open_app_page("app_pages/train.py", {"preset": "CIFAR ResNet-56"})
    at.number_input(key="train_steps").set_value(5000).run()
    at.button(key="train_start").click().run()
    run_id = int(queue.store.runs().iloc[0]["id"])
    try:
        at.button(key="train_start").click().run()
        assert not at.exception
        assert any("each session may have 1 at once" in e.value for e in at.error)
        assert int(queue.store.runs().iloc[0]["id"]) == run_id  # nothing new was queued
    finally:
        queue.stop(run_id)
        assert queue.wait(timeout=120)
