"""A run's message is stored as data (an English template and its values) and shown in each reader's language;
a store written before that (schema 2) is migrated and its messages stay readable."""

import sqlite3
from dataclasses import replace

from tiny import RES8, TINY, new_run

from resnet_viz.i18n import _, use_language
from resnet_viz.messages import Message
from resnet_viz.training.engine import train
from resnet_viz.training.signals import SERVER_STOPPED, StopSignal, stopped_at
from resnet_viz.training.store import RunStore
from ui.run_labels import run_message


def test_a_message_is_filled_in_the_readers_language_nested_values_too():
    message = stopped_at(SERVER_STOPPED, 12)
    back = Message.stored(message.template, message.values_json())
    assert back == message
    assert back.english() == "interrupted: the server stopped at step 12"
    with use_language("zh"):
        assert back.text() == _("{reason} at step {step}").format(reason=_(SERVER_STOPPED), step=12)
        assert "interrupted" not in back.text()
    assert Message("a {brace} in an error's own text").text() == "a {brace} in an error's own text"  # no values


def test_the_engines_messages_reach_each_reader_in_their_language(store):
    config = replace(TINY, steps=5)
    finished = new_run(store, RES8, config)
    train(RES8, config, store, finished)
    stop = StopSignal()
    stop.request(SERVER_STOPPED)
    stopped = new_run(store, RES8, config)
    train(RES8, config, store, stopped, stop=stop)
    runs = store.runs().set_index("id", drop=False)
    assert runs.loc[finished, "message"] == "5 steps"  # English for the command line and exports
    assert store.run(stopped)["message"] == "interrupted: the server stopped at step 0"
    with use_language("zh"):
        assert run_message(runs.loc[finished]) == _("{steps} steps").format(steps=5) != "5 steps"
        assert run_message(store.run(stopped)) == _("{reason} at step {step}").format(reason=_(SERVER_STOPPED), step=0)
    assert '"runs"' in store.export_json([finished, stopped])  # the message exports as its English text


def test_a_schema_2_store_is_migrated_and_its_old_messages_stay_readable(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    old = store.create_run("old", {}, {}, "cpu")
    plain_id = store.create_run("plain", {}, {}, "cpu")
    store.close()
    db = sqlite3.connect(path)  # what schema 2 wrote: messages filled in, no values column
    db.executescript(
        f"""
        ALTER TABLE runs DROP COLUMN message_values; ALTER TABLE runs DROP COLUMN renamed;
        UPDATE schema_version SET version = 2;
        UPDATE runs SET status = 'stopped', message = 'stopped by the user at step 7' WHERE id = {old};
        UPDATE runs SET status = 'stopped', message = 'cancelled before it started' WHERE id = {plain_id};
        """
    )
    db.close()
    store = RunStore(path)
    assert store.run(old)["message"] == "stopped by the user at step 7"
    with use_language("zh"):
        assert run_message(store.run(old)) == "stopped by the user at step 7"  # as written: readable, in English
        assert run_message(store.run(plain_id)) == _("cancelled before it started") != "cancelled before it started"
    store.set_status(old, "finished", Message("{steps} steps", {"steps": 3}))  # the new column is written
    assert store.run(old)["message"] == "3 steps"
    store.set_status(plain_id, "finished")
    assert len(store.same_experiment({}, {})) == 2
    store.rename(plain_id, "renamed")  # the other new column: a renamed run is no longer joined
    assert store.same_experiment({}, {}) == [store.run(old)]
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
    db.close()
