"""Issue #4's annotation workflow on real SQLite files: migration 0003, logins, richer labels, leases,
adjudication and the disagreement queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from annotation_store import NewVerdict, Store, StoreError, hash_password, open_store, verify_password
from annotation_store.db import MIGRATIONS, WRITE, make_engine, sqlite_url
from annotation_store.models import Base

HEAD = "0022"  # the newest migration; checked against the scripts below


def _sql(path: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, params).fetchall()


def _migrate(engine: Engine, action: str, revision: str) -> None:
    """``alembic upgrade/downgrade <revision>`` on the engine, the way ``db.upgrade_to_head`` runs it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**WRITE).begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, Base.metadata))


def _expire_leases(db_path: Path) -> None:
    _sql(db_path, "UPDATE assignments SET lease_expires_at = '2000-01-01 00:00:00'")


# ---------------------------------------------------------------------- schema and migrations
def test_models_and_migrations_agree(store: Store) -> None:
    """Autogenerate finds nothing to do: migration 0003 creates exactly what models.py declares."""
    assert _schema_diff(store.engine) == []
    assert ScriptDirectory(str(MIGRATIONS)).get_current_head() == HEAD
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def test_migrations_go_down_to_0002_and_up_again_keeping_the_data(db_path: Path, store: Store) -> None:
    store.save_label(1, "alice", "1")
    store.save_label(1, "alice", "2")
    store.save_label(2, "bob", None, rating=7)  # cannot exist at 0002: removed by the downgrade
    store.save_verdict(store.ensure_judge_run("fp", {"model": "m"}), NewVerdict(1, "1", "ok", p_1=0.5))
    store.lease_next("carol")
    store.close()
    counts = (
        "SELECT (SELECT count(*) FROM comparisons), (SELECT count(*) FROM responses), (SELECT count(*) FROM prompts)"
    )
    before = _sql(db_path, counts)
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0002")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [("0002",)]
        assert _sql(db_path, counts) == before  # no cascade from rebuilt parent tables
        assert _sql(db_path, "SELECT comparison_id, verdict, version FROM labels") == [(1, "2", 2)]
        assert _sql(db_path, "SELECT verdict, version FROM label_events ORDER BY id") == [("1", 1), ("2", 2)]
        tables = {name for (name,) in _sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not {"assignments", "adjudications"} & tables
        assert "password_hash" not in {row[1] for row in _sql(db_path, "PRAGMA table_info(annotators)")}
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert _sql(db_path, counts) == before
        assert _sql(db_path, "SELECT comparison_id, verdict, version, comment, skipped FROM labels") == [
            (1, "2", 2, "", 0)
        ]
        assert _sql(db_path, "SELECT count(*) FROM label_events") == [(2,)]
        assert _sql(db_path, "PRAGMA foreign_key_check") == []
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- credentials
def test_password_hash_round_trip() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and len(stored.split("$")) == 6
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert hash_password("correct horse") != stored  # a fresh salt every time
    assert not verify_password("x", "scrypt$not$a$hash$at$all")
    assert not verify_password("x", None)


def test_accounts_log_in_and_no_plaintext_is_stored(store: Store, db_path: Path) -> None:
    made = store.create_annotator("rita", role="reviewer", kind="expert", password="s3cret-pass")
    assert (made.role, made.kind, made.active, made.has_password) == ("reviewer", "expert", True, True)
    ((stored,),) = _sql(db_path, "SELECT password_hash FROM annotators WHERE name = 'rita'")
    assert "s3cret-pass" not in stored and verify_password("s3cret-pass", stored)
    assert store.authenticate("rita", "s3cret-pass") == made
    assert store.authenticate("rita", "wrong") is None
    assert store.authenticate("nobody", "s3cret-pass") is None
    with pytest.raises(StoreError, match="already an account"):
        store.create_annotator("rita", password="another-pass-9")
    with pytest.raises(StoreError, match="Role 'boss'"):
        store.create_annotator("sam", role="boss")
    with pytest.raises(StoreError, match="Kind 'robot'"):
        store.create_annotator("sam", kind="robot")
    with pytest.raises(sqlite3.IntegrityError, match="annotator_role_value"):
        _sql(db_path, "UPDATE annotators SET role = 'boss' WHERE name = 'rita'")


# ---------------------------------------------------------------------- label extras
def test_label_extras_are_stored_and_logged(store: Store, db_path: Path) -> None:
    extras: dict[str, Any] = {
        "confidence": 4,
        "comment": "close call",
        "flagged": True,
        "time_on_item_ms": 12_000,
        "presented_swapped": True,
    }
    view = store.save_label(3, "alice", "1", **extras)
    assert (view.confidence, view.comment, view.flagged, view.time_on_item_ms, view.presented_swapped) == tuple(
        extras.values()
    )
    assert store.save_label(3, "alice", "1", **extras) == view  # nothing changed: no new version, no event
    assert store.save_label(3, "alice", "1", **{**extras, "confidence": 5}).version == 2  # any field counts
    rated = store.save_label(4, "alice", None, rating=8)
    assert (rated.verdict, rated.rating) == (None, 8)
    assert _sql(db_path, "SELECT comparison_id, verdict, rating, confidence, comment, flagged FROM label_events") == [
        (3, "1", None, 4, "close call", 1),
        (3, "1", None, 5, "close call", 1),
        (4, None, 8, None, "", 0),
    ]
    # a plain call behaves as before and resets nothing it was not asked to
    assert store.save_label(5, "bob", "tie") == store.save_label(5, "bob", "tie")
    assert list(store.labels()["comparison_id"]) == [3, 5]  # labels() lists pairwise verdicts only


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": None, "rating": 11}, "rating must be a whole number from 1 to 10"),
        ({"verdict": None, "rating": 0}, "rating must be a whole number from 1 to 10"),
        ({"verdict": "1", "confidence": 0}, "confidence must be a whole number from 1 to 5"),
        ({"verdict": "1", "confidence": 6}, "confidence must be a whole number from 1 to 5"),
        ({"verdict": "1", "time_on_item_ms": -1}, "time on item"),
        ({"verdict": "1", "rating": 5}, "exactly one of a verdict"),
        ({"verdict": None}, "exactly one of a verdict"),
        ({"verdict": "1", "skipped": True}, "skipped item has no verdict"),
        ({"verdict": "1", "flagged": "yes"}, "flagged must be True or False"),
        ({"verdict": "1", "comment": 3}, "comment must be text"),
    ],
)
def test_bad_label_extras_are_refused_and_nothing_is_written(
    store: Store, db_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    verdict = kwargs.pop("verdict")
    with pytest.raises(StoreError, match=message):
        store.save_label(6, "dora", verdict, **kwargs)
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM annotators") == [(0,)]


def test_database_refuses_a_label_with_both_verdict_and_rating(store: Store, db_path: Path) -> None:
    store.save_label(7, "erin", "1")
    with pytest.raises(sqlite3.IntegrityError, match="label_verdict_or_rating"):
        _sql(db_path, "UPDATE labels SET rating = 3")
    with pytest.raises(sqlite3.IntegrityError, match="label_rating_range"):
        _sql(db_path, "UPDATE labels SET verdict = NULL, rating = 11")


def test_skip_and_flag(store: Store, db_path: Path) -> None:
    skipped = store.save_label(8, "fay", None, skipped=True, flagged=True, comment="response 2 is cut off")
    assert (skipped.verdict, skipped.rating, skipped.skipped, skipped.flagged) == (None, None, True, True)
    assert _sql(db_path, "SELECT verdict, rating, skipped, flagged, comment FROM labels") == [
        (None, None, 1, 1, "response 2 is cut off")
    ]
    answered = store.save_label(8, "fay", "2")  # coming back to a skipped item is a change
    assert (answered.version, answered.skipped, answered.flagged, answered.comment) == (2, False, False, "")
    assert _sql(db_path, "SELECT action, verdict, skipped FROM label_events ORDER BY id") == [
        ("created", None, 1),
        ("changed", "2", 0),
    ]


# ---------------------------------------------------------------------- leases
def test_live_leases_keep_annotators_apart_with_overlap_1(store: Store, db_path: Path) -> None:
    total = _sql(db_path, "SELECT count(*) FROM comparisons")[0][0]
    a = store.lease_next("ann", overlap=1, seed=1)
    b = store.lease_next("ben", overlap=1, seed=1)
    assert a is not None and b is not None
    assert a[0].id != b[0].id
    assert store.lease_next("ann", overlap=1, seed=1) == a  # a reload returns the same live lease
    store.save_label(a[0].id, "ann", "1", presented_swapped=a[1])
    assert _sql(db_path, "SELECT completed_at IS NOT NULL FROM assignments WHERE comparison_id = ?", a[0].id) == [(1,)]
    seen = {a[0].id, b[0].id}
    for _ in range(5):
        item = store.lease_next("ann", overlap=1)
        assert item is not None and item[0].id not in seen  # never ben's live lease, never a labelled item
        store.save_label(item[0].id, "ann", "2")
        seen.add(item[0].id)
    assert _sql(db_path, "SELECT count(*) FROM assignments") == [(7,)]
    assert total > 7


def _one_item_dataset(store: Store) -> int:
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"m-a": "hi", "m-b": "hello"}}],
    }
    assert store.seed_dataset(data, pairs_per_prompt=1)
    return int(store.comparison_table("tiny")["id"].iloc[0])


def test_overlap_decides_how_many_may_share_an_item(store: Store) -> None:
    only = _one_item_dataset(store)
    a = store.lease_next("ann", "tiny", overlap=1)
    assert a is not None and a[0].id == only
    assert store.lease_next("ben", "tiny", overlap=1) is None  # ann's lease is live
    b = store.lease_next("ben", "tiny", overlap=2)
    assert b is not None and b[0].id == only  # with overlap 2 both may
    assert store.lease_next("cat", "tiny", overlap=2) is None
    store.save_label(only, "ann", "1")
    assert store.lease_next("ann", "tiny", overlap=3) is None  # never an item one labelled already
    c = store.lease_next("cat", "tiny", overlap=3)
    assert c is not None and c[0].id == only


def test_least_covered_items_come_first(store: Store) -> None:
    a = store.lease_next("ann", overlap=2)
    b = store.lease_next("ben", overlap=2)
    assert a is not None and b is not None and a[0].id != b[0].id  # spread before doubling up


def test_an_expired_lease_returns_the_item(store: Store, db_path: Path) -> None:
    a = store.lease_next("ann")
    assert a is not None
    b = store.lease_next("ben")
    assert b is not None and b[0].id != a[0].id  # ann's lease is live
    _expire_leases(db_path)  # a tab left open past the lease
    handed = set()  # items are handed out in each person's own order: someone gets ann's item back
    for n in range(200):
        c = store.lease_next(f"p{n}")
        if c is None or c[0].id == a[0].id:
            break
        handed.add(c[0].id)
    assert c is not None and c[0].id == a[0].id


def test_presented_order_is_stored_and_reproducible(store: Store, db_path: Path) -> None:
    orders = []
    for i in range(12):
        item = store.lease_next(f"person-{i}", overlap=12, seed=42)
        assert item is not None
        orders.append(item[1])
    assert set(orders) == {True, False}  # randomised
    stored = [bool(v) for (v,) in _sql(db_path, "SELECT presented_swapped FROM assignments ORDER BY id")]
    assert stored == orders
    _expire_leases(db_path)
    again = store.lease_next("person-0", overlap=12, seed=7)  # a re-lease keeps the order once shown
    assert again is not None and again[1] == orders[0]
    plain = store.lease_next("no-random", overlap=12, randomize_order=False)
    assert plain is not None and plain[1] is False


def test_lease_arguments_are_checked(store: Store) -> None:
    with pytest.raises(StoreError, match="overlap"):
        store.lease_next("ann", overlap=0)
    with pytest.raises(StoreError, match="lease_seconds"):
        store.lease_next("ann", lease_seconds=-1)
    with pytest.raises(StoreError, match="at least 30"):  # 0 s leases expired at once: k was overshot
        store.lease_next("ann", lease_seconds=0)
    with pytest.raises(StoreError, match="no dataset"):
        store.lease_next("ann", "missing")


# ---------------------------------------------------------------------- adjudication and disagreements
def test_adjudication_needs_a_reviewer_and_is_editable(store: Store, db_path: Path) -> None:
    store.create_annotator("plain")
    store.create_annotator("rev", role="reviewer")
    with pytest.raises(StoreError, match="may not adjudicate"):
        store.adjudicate(1, "plain", "1", "because")
    with pytest.raises(StoreError, match="may not adjudicate"):
        store.adjudicate(1, "stranger", "1", "because")
    with pytest.raises(StoreError, match="rationale"):
        store.adjudicate(1, "rev", "1", "   ")
    assert _sql(db_path, "SELECT count(*) FROM adjudications") == [(0,)]
    first = store.adjudicate(1, "rev", "1", "response 1 follows the format")
    store.create_annotator("boss", role="admin")
    edited = store.adjudicate(1, "boss", "tie", "both miss the point")
    assert (edited.verdict, edited.reviewer, edited.created_at) == ("tie", "boss", first.created_at)
    assert edited.updated_at >= first.updated_at
    assert store.adjudication(1) == edited
    assert _sql(db_path, "SELECT comparison_id, verdict, rationale FROM adjudications") == [
        (1, "tie", "both miss the point")
    ]


def test_disagreements_between_annotators_and_with_the_judge(store: Store) -> None:
    store.save_label(1, "ann", "1")
    store.save_label(1, "ben", "2")  # annotators disagree
    store.save_label(2, "ann", "tie")
    store.save_label(2, "ben", "tie")  # they agree, and so does the judge
    store.save_label(3, "ann", "1")  # the judge says otherwise
    store.save_label(4, "ann", None, rating=5)  # no verdict: not compared
    run = store.ensure_judge_run("fp", {"model": "judge"})
    store.save_verdict(run, NewVerdict(2, "tie", "ok"))
    store.save_verdict(run, NewVerdict(3, "2", "ok"))
    store.create_annotator("rev", role="reviewer")
    store.adjudicate(1, "rev", "2", "ben is right")
    table = store.disagreements()
    assert list(table["comparison_id"]) == [1, 3]
    first, third = table.to_dict("records")
    assert first["labels"] == {"ann": "1", "ben": "2"} and first["annotators_disagree"] and not first["judge_disagrees"]
    assert first["adjudication"] == "2"
    assert third["judge_verdict"] == "2" and third["judge_disagrees"] and not third["annotators_disagree"]
    assert {"dataset", "category", "model1", "model2"} <= set(table.columns)
    assert store.disagreements("no such dataset").empty


def test_a_reopened_store_keeps_workflow_data(db_path: Path, store: Store) -> None:
    store.create_annotator("rev", role="reviewer", password="pw-123456")
    store.adjudicate(2, "rev", "1", "clear")
    store.close()
    reopened = open_store(db_path)
    try:
        assert reopened.authenticate("rev", "pw-123456") is not None
        adjudication = reopened.adjudication(2)
        assert adjudication is not None and adjudication.verdict == "1"
    finally:
        reopened.close()
