"""The store's behaviour on PostgreSQL and on SQLite, through the same code and the same assertions.

Every test here runs twice: on a copy of the seeded SQLite file, and on a fresh database of a real
PostgreSQL server that the tests start themselves (see ``postgres.py``; skipped with the reason when
Debian's ``postgresql`` package is not installed). Each PostgreSQL test gets its own database, copied
from a seeded template, so ids (comparisons 1..126) and counts are the same as on SQLite. Assertions
read the tables through the store's engine with plain SQL, not through the store's own readers.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from postgres import PostgresServer, find_bin_dir
from sqlalchemy import text
from test_concurrency import check_database, run_session_race, run_thread_writers

from annotation_store import DEMO_DATASET_NAME, NewVerdict, Store, StoreError, load_demo_dataset, open_store

TEMPLATE = "judge_studio_seeded"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for the whole session, stopped and deleted at the end."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server not found (no /usr/lib/postgresql/*/bin/initdb): "
            "`make system-deps` or `apt-get install postgresql` installs it"
        )
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed (pip install 'psycopg[binary]')")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """A database migrated and seeded through the store itself: proves both work on PostgreSQL."""
    store = open_store(pg_server.create_database(TEMPLATE))
    assert store.engine.dialect.name == "postgresql"
    assert store.seed_dataset(load_demo_dataset()) is True
    store.close()  # CREATE DATABASE ... TEMPLATE needs the template without connections
    return TEMPLATE


@pytest.fixture
def pg_url(pg_server: PostgresServer, pg_template: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:16]}"
    url = pg_server.create_database(name, template=pg_template)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest) -> str:
    """Where a fresh seeded demo database lives: a SQLite file path or a ``postgresql+psycopg://`` URL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("db_path"))
    url = str(request.getfixturevalue("pg_url"))
    assert url.startswith("postgresql+psycopg://")
    return url


@pytest.fixture
def any_store(location: str) -> Iterator[Store]:
    store = open_store(location)
    yield store
    store.close()


def _sql(store: Store, query: str, **params: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query), params)]


def test_schema_is_migrated_to_head(any_store: Store) -> None:
    assert _sql(any_store, "SELECT version_num FROM alembic_version") == [(_head_revision(),)]
    assert any_store.engine.dialect.name in {"sqlite", "postgresql"}


def test_demo_dataset_is_seeded_once(any_store: Store) -> None:
    data = load_demo_dataset()
    assert any_store.seed_dataset(data) is False
    assert _sql(any_store, "SELECT count(*) FROM prompts") == [(len(data["prompts"]),)]
    assert _sql(any_store, "SELECT min(id), max(id), count(*) FROM comparisons") == [
        (1, 3 * len(data["prompts"]), 3 * len(data["prompts"]))
    ]
    assert _sql(any_store, "SELECT count(*) FROM candidate_models") == [(len(data["models"]),)]
    table = any_store.comparison_table(DEMO_DATASET_NAME)
    assert len(table) == 3 * len(data["prompts"]) and table["model1"].nunique() == len(data["models"])


def test_label_is_written_at_once_and_changes_are_versioned(any_store: Store) -> None:
    first = any_store.next_unlabelled("alice")
    assert first is not None
    any_store.save_label(first.id, "alice", "1")
    assert _sql(any_store, "SELECT verdict, version FROM labels WHERE comparison_id = :c", c=first.id) == [("1", 1)]
    changed = any_store.save_label(first.id, "alice", "tie")
    assert changed.version == 2
    again = any_store.save_label(first.id, "alice", "tie")  # same verdict: no new version, no event
    assert again == changed
    assert _sql(any_store, "SELECT count(*) FROM labels") == [(1,)]
    assert _sql(any_store, "SELECT action, verdict, version FROM label_events ORDER BY id") == [
        ("created", "1", 1),
        ("changed", "tie", 2),
    ]


def test_same_idempotency_key_stores_once(any_store: Store) -> None:
    item = any_store.next_unlabelled("bob")
    assert item is not None
    a = any_store.save_label(item.id, "bob", "2", idempotency_key="k-1")
    b = any_store.save_label(item.id, "bob", "2", idempotency_key="k-1")
    assert a == b
    assert _sql(any_store, "SELECT idempotency_key, version FROM labels") == [("k-1", 1)]
    assert _sql(any_store, "SELECT count(*) FROM label_events") == [(1,)]


def test_next_item_skips_mine_and_prefers_least_labelled(any_store: Store) -> None:
    first = any_store.next_unlabelled("alice")
    assert first is not None
    any_store.save_label(first.id, "alice", "1")
    second = any_store.next_unlabelled("alice")
    assert second is not None and second.id != first.id
    bob_item = any_store.next_unlabelled("bob", DEMO_DATASET_NAME)
    assert bob_item is not None and bob_item.id != first.id


@pytest.mark.parametrize(
    ("comparison_id", "annotator", "verdict", "message"),
    [
        (1, "", "1", "annotator name"),
        (1, "carol", "A", "not one of"),
        (99999, "carol", "1", "no comparison with id 99999"),
        (1, "x" * 101, "1", "at most 100"),
    ],
)
def test_bad_labels_are_refused_with_a_clear_message_and_nothing_is_written(
    any_store: Store, comparison_id: int, annotator: str, verdict: str, message: str
) -> None:
    any_store.save_label(2, "dave", "1")
    with pytest.raises(StoreError, match=message):
        any_store.save_label(comparison_id, annotator, verdict, idempotency_key="refused")
    assert _sql(any_store, "SELECT comparison_id, verdict, idempotency_key FROM labels") == [(2, "1", None)]
    assert _sql(any_store, "SELECT name FROM annotators") == [("dave",)]
    assert _sql(any_store, "SELECT count(*) FROM label_events") == [(1,)]


def test_restart_keeps_labels_and_verdicts(location: str) -> None:
    store = open_store(location)
    store.save_label(3, "erin", "2")
    run = store.ensure_judge_run("fp-1", {"model": "m", "profile": "pandalm"})
    assert store.ensure_judge_run("fp-1", {"model": "m", "profile": "pandalm"}) == run
    store.save_verdict(run, NewVerdict(3, "1", "ok", reason="because", p_1=0.7, p_2=0.2, p_tie=0.1))
    store.close()
    reopened = open_store(location)
    assert reopened.seed_dataset(load_demo_dataset()) is False
    labels = "SELECT l.comparison_id, a.name, l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id"
    assert _sql(reopened, labels) == [(3, "erin", "2")]
    assert _sql(reopened, "SELECT comparison_id, verdict, status, reason FROM judge_verdicts") == [
        (3, "1", "ok", "because")
    ]
    verdict = reopened.latest_verdict(3)
    assert verdict is not None and (verdict.verdict, verdict.reason) == ("1", "because")
    assert verdict.probabilities == pytest.approx({"1": 0.7, "2": 0.2, "tie": 0.1})
    assert reopened.labels()[["comparison_id", "annotator", "verdict"]].values.tolist() == [[3, "erin", "2"]]
    reopened.close()


def test_verdict_status_must_fit_verdict(any_store: Store) -> None:
    run = any_store.ensure_judge_run("fp-2", {"model": "m", "profile": "pandalm"})
    with pytest.raises(StoreError, match="does not fit"):
        any_store.save_verdict(run, NewVerdict(1, "tie", "unparsed"))
    any_store.save_verdict(run, NewVerdict(1, None, "unparsed", raw_output="gibberish"))
    assert _sql(any_store, "SELECT verdict, status, raw_output FROM judge_verdicts") == [
        (None, "unparsed", "gibberish")
    ]
    any_store.save_verdict(run, NewVerdict(1, "2", "ok"))  # a re-run replaces the verdict in place
    assert _sql(any_store, "SELECT verdict, status FROM judge_verdicts") == [("2", "ok")]
    assert any_store.judged_comparison_ids(run) == {1}


def test_bad_dataset_is_refused_whole(any_store: Store) -> None:
    data = {
        "name": "broken",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [
            {"id": "p1", "instruction": "Say hi", "responses": {"a": "hi", "b": "hello"}},
            {"id": "p2", "instruction": "Say bye", "responses": {"a": "bye"}},
        ],
    }
    with pytest.raises(StoreError, match=r"prompts\[1\]: no response text for model b\."):
        any_store.seed_dataset(data)
    assert _sql(any_store, "SELECT count(*) FROM datasets WHERE name = 'broken'") == [(0,)]
    assert _sql(any_store, "SELECT count(*) FROM prompts WHERE key = 'p1'") == [(0,)]
    assert _sql(any_store, "SELECT count(*) FROM candidate_models WHERE name IN ('a', 'b')") == [(0,)]


def test_concurrent_first_writes_of_one_label_create_it_once(any_store: Store) -> None:
    """Many threads send the very first label of one (comparison, annotator) at the same moment."""
    go = threading.Event()
    answers: list[Any] = []
    errors: list[str] = []
    lock = threading.Lock()

    def first_write(index: int) -> None:
        go.wait()
        try:
            view = any_store.save_label(7, "newcomer", ("1", "2", "tie")[index % 3], idempotency_key=f"first-{index}")
            with lock:
                answers.append(view)
        except Exception as exc:  # asserted empty below
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=first_write, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _sql(any_store, "SELECT count(*) FROM annotators WHERE name = 'newcomer'") == [(1,)]
    (label,) = _sql(any_store, "SELECT verdict, version FROM labels WHERE comparison_id = 7")
    events = _sql(any_store, "SELECT action, verdict, version FROM label_events WHERE comparison_id = 7 ORDER BY id")
    assert [e[2] for e in events] == list(range(1, len(events) + 1))
    assert [e[0] for e in events] == ["created"] + ["changed"] * (len(events) - 1)
    assert events[-1][1:] == label
    assert {(a.verdict, a.version) for a in answers} == {e[1:] for e in events}


def test_concurrent_writers_lose_and_duplicate_nothing(any_store: Store) -> None:
    """The shared workload of ``test_concurrency.py`` with 24 threads on one Store."""
    outcomes = run_thread_writers(any_store, n=24, rounds=10, seed=7)
    summary = check_database(any_store.engine, outcomes)
    assert summary["calls"] > 24 * 10


def test_annotation_workflow_on_both_backends(any_store: Store) -> None:
    """Migration 0003's schema through the store: leases, label extras, adjudication (issue #4)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from annotation_store.models import Base

    with any_store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    a = any_store.lease_next("ann", overlap=1, seed=3)
    b = any_store.lease_next("ben", overlap=1, seed=3)
    assert a is not None and b is not None and a[0].id != b[0].id
    any_store.save_label(a[0].id, "ann", None, rating=9, confidence=3, presented_swapped=a[1], time_on_item_ms=5)
    assert _sql(any_store, "SELECT verdict, rating, confidence, skipped FROM labels") == [(None, 9, 3, False)]
    assert _sql(any_store, "SELECT count(*) FROM assignments WHERE completed_at IS NOT NULL") == [(1,)]
    with pytest.raises(StoreError, match="rating must be a whole number from 1 to 10"):
        any_store.save_label(b[0].id, "ben", None, rating=11)
    any_store.create_annotator("rev", role="reviewer", password="pw-123456")
    assert any_store.authenticate("rev", "pw-123456") is not None
    assert any_store.authenticate("rev", "nope") is None
    with pytest.raises(StoreError, match="may not adjudicate"):
        any_store.adjudicate(a[0].id, "ann", "1", "because")
    any_store.adjudicate(a[0].id, "rev", "1", "because")
    any_store.adjudicate(a[0].id, "rev", "tie", "on second thought")
    assert _sql(any_store, "SELECT verdict, rationale FROM adjudications") == [("tie", "on second thought")]
    any_store.save_label(b[0].id, "ben", "1")
    any_store.save_label(b[0].id, "ann", "2")
    assert list(any_store.disagreements()["comparison_id"]) == [b[0].id]


def test_fifty_annotators_never_exceed_k_per_session(any_store: Store) -> None:
    """The session rules hold under 50 simultaneous annotators with expiring leases, on both engines."""
    run_session_race(any_store, 50)


def test_fifty_annotators_never_exceed_k_in_judge_uncertain_first_sessions(any_store: Store) -> None:
    """The same race in sessions that draw judge-uncertain-first (on PostgreSQL they lock the whole
    session rather than the item, as their draw probabilities need the pool as it is)."""
    run_session_race(any_store, 50, strategy="judge-uncertain-first")


def test_session_rules_refuse_with_typed_errors(any_store: Store) -> None:
    from errors import Conflict, Forbidden

    any_store.save_session("blind", DEMO_DATASET_NAME, reveal_judge=False)
    any_store.save_session("open", DEMO_DATASET_NAME)
    turn = any_store.lease("pairwise", "ann", "blind")
    assert turn is not None
    with pytest.raises(Forbidden, match="another session"):
        any_store.submit("pairwise", "ann", "open", turn.item.id, swapped=turn.swapped, verdict="1")
    with pytest.raises(Conflict, match="not handed to you"):
        any_store.submit("pairwise", "ben", "blind", turn.item.id, swapped=turn.swapped, verdict="1")
    done = any_store.submit("pairwise", "ann", "blind", turn.item.id, swapped=turn.swapped, verdict="1")
    assert done.judge is None and _sql(any_store, "SELECT count(*) FROM labels WHERE session_id IS NOT NULL") == [(1,)]
    with pytest.raises(StoreError, match="30 seconds"):
        any_store.save_session("zero", DEMO_DATASET_NAME, lease_seconds=0)


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from annotation_store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_annotators_write_side_by_side_and_each_item_one_at_a_time(pg_url: str) -> None:
    """On PostgreSQL, a writer busy with one item (holding what a submit of it holds) does not hold up
    the session's other annotators: they are handed another item at once. A second write on that item
    waits for it, and so does a database-wide write (a settings change), which waits for every
    session writer."""
    from annotation_store.db import PG_WRITE_LOCK_KEY, lock_key

    store = open_store(pg_url)
    try:
        store.save_session("a", DEMO_DATASET_NAME, overlap=1, randomize_order=False)
        (session_id,) = _sql(store, "SELECT id FROM annotation_sessions WHERE name = 'a'")[0]
        held = store.lease("pairwise", "ann", "a")
        assert held is not None
        done: dict[str, Any] = {}
        with store.engine.connect() as busy:  # another process, half-way through a write on ann's item
            busy.execute(text(f"SELECT pg_advisory_xact_lock_shared({PG_WRITE_LOCK_KEY})"))
            busy.execute(text(f"SELECT pg_advisory_xact_lock({lock_key('comparison_id', session_id, held.item.id)})"))
            other = threading.Thread(target=lambda: done.update(bob=store.lease("pairwise", "bob", "a")))
            other.start()
            other.join(timeout=20)
            assert not other.is_alive(), "an annotator waited for a writer busy with someone else's item"
            assert done["bob"] is not None and done["bob"].item.id != held.item.id

            def submit() -> None:
                done["ann"] = store.submit("pairwise", "ann", "a", held.item.id, swapped=held.swapped, verdict="1")

            same = threading.Thread(target=submit)
            same.start()
            same.join(timeout=1.5)
            assert same.is_alive() and "ann" not in done, "two writers on one item at once"
            settings = threading.Thread(target=lambda: done.update(c=store.save_session("c", DEMO_DATASET_NAME)))
            settings.start()
            settings.join(timeout=1.5)
            assert settings.is_alive() and "c" not in done, "a database-wide write ran beside a session's writer"
            busy.rollback()
        same.join(timeout=20)
        settings.join(timeout=20)
        assert done["ann"].answer.verdict == "1" and done["c"].name == "c"
        assert _sql(store, "SELECT comparison_id FROM labels") == [(held.item.id,)]
    finally:
        store.close()
