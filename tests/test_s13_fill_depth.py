"""A session's fill order (``annotation_sessions.fill``, migration 0018): "breadth" (the default, today's
least-annotated-first order: every item gets one answer before any gets a second) or "depth" (the most
covered item still short of the overlap first, so items reach k answers one after another and agreement
shows early). Shown by what the database holds (leases and labels), on SQLite and PostgreSQL; the
migration down and up; a bad value refused with a message; the Admin page's form and table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import two_model_dataset
from gradio_ids import by_id, handler
from sqlalchemy import inspect, text
from test_annotation_workflow import HEAD, _migrate, _schema_diff
from test_store_postgres import location, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)

from annotation_store import Store, StoreError, open_store
from annotation_store.assignment import JUDGE_UNCERTAIN_FIRST
from annotation_store.db import make_engine, sqlite_url
from orchestration import Settings, Studio

DATA = "fill-small"
PEOPLE = ("alice", "bob", "carol")


@pytest.fixture
def any_store(location: str) -> Iterator[Store]:  # noqa: F811  (a SQLite file, then PostgreSQL)
    store = open_store(location)
    yield store
    store.close()


def _leases(store: Store, session: str) -> list[tuple[str, int]]:
    """(annotator, comparison) of every lease of the session, in the order they were taken."""
    query = text(
        "SELECT a.name, s.comparison_id FROM assignments s JOIN annotators a ON a.id = s.annotator_id "
        "JOIN annotation_sessions x ON x.id = s.session_id WHERE x.name = :name ORDER BY s.id"
    )
    with store.engine.connect() as connection:
        return [(str(n), int(c)) for n, c in connection.execute(query, {"name": session})]


def _labellers(store: Store, session: str) -> dict[int, list[str]]:
    """comparison -> who labelled it in the session (skips aside), from the labels table."""
    query = text(
        "SELECT l.comparison_id, a.name FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        "JOIN annotation_sessions x ON x.id = l.session_id WHERE x.name = :name AND NOT l.skipped ORDER BY a.name"
    )
    found: dict[int, list[str]] = {}
    with store.engine.connect() as connection:
        for item, name in connection.execute(query, {"name": session}):
            found.setdefault(int(item), []).append(str(name))
    return found


def _next(store: Store, name: str, session: str) -> int:
    turn = store.lease("pairwise", name, session)
    assert turn is not None, f"{name} got nothing"
    return int(turn.item.id)


def _label(store: Store, name: str, session: str, item: int) -> None:
    store.submit("pairwise", name, session, item, verdict="tie")


def _team_of_three(store: Store, session: str) -> list[int]:
    """Alice and Bob ask, Carol asks, Alice answers and asks again, Bob answers: the items each got."""
    a1, b1, c1 = (_next(store, who, session) for who in PEOPLE)
    _label(store, "alice", session, a1)
    a2 = _next(store, "alice", session)
    _label(store, "bob", session, b1)
    return [a1, b1, c1, a2]


def test_depth_fills_one_item_to_the_overlap_before_the_next(any_store: Store) -> None:
    ids = two_model_dataset(any_store, DATA, n=5)
    saved = any_store.save_session("deep", DATA, overlap=2, fill="depth", randomize_order=False)
    assert saved.fill == "depth" and any_store.get_session("deep").fill == "depth"
    a1, b1, c1, a2 = _team_of_three(any_store, "deep")
    assert b1 == a1  # Bob gets the item Alice holds (her live lease counts), not a fresh one
    assert c1 != a1 and c1 in ids  # Alice's item has its two people: Carol starts the next
    assert a2 == c1  # Alice joins Carol's item rather than opening a third
    assert _leases(any_store, "deep") == [("alice", a1), ("bob", a1), ("carol", c1), ("alice", c1)]
    assert _labellers(any_store, "deep") == {a1: ["alice", "bob"]}  # two answers on one item: agreement shows
    # never the same item twice to one person: Bob's next is neither his own nor Carol's full item
    b2 = _next(any_store, "bob", "deep")
    assert b2 not in (a1, c1)


def test_breadth_keeps_todays_least_annotated_order(any_store: Store) -> None:
    two_model_dataset(any_store, DATA, n=5)
    saved = any_store.save_session("wide", DATA, overlap=2, randomize_order=False)  # no fill given: breadth
    assert saved.fill == "breadth"
    a1, b1, c1, a2 = _team_of_three(any_store, "wide")
    assert len({a1, b1, c1, a2}) == 4  # every lease a fresh item while fresh ones are left
    assert _labellers(any_store, "wide") == {a1: ["alice"], b1: ["bob"]}  # one answer each, no overlap yet


def test_a_bad_fill_value_is_refused_with_a_message_and_nothing_is_saved(store: Store) -> None:
    with pytest.raises(StoreError, match=r"fill order must be 'breadth' \(every item .*'depth'.*got 'deep'"):
        store.save_session("bad", "judge-studio-demo", fill="deep")
    with pytest.raises(StoreError, match="fill order must be"):
        store.save_session("bad", "judge-studio-demo", fill=None)
    assert "bad" not in {s.name for s in store.sessions()}
    store.save_session("plain", "judge-studio-demo", fill="depth")
    with pytest.raises(StoreError, match="'depth' works with the least-annotated strategy only"):
        store.save_session("plain", "judge-studio-demo", strategy=JUDGE_UNCERTAIN_FIRST)
    assert store.session_assignment("plain")["strategy"] != JUDGE_UNCERTAIN_FIRST  # the refused save changed nothing
    assert store.get_session("plain").fill == "depth"


# ---------------------------------------------------------------------- migration 0018
def _fill_column(engine: Any) -> dict[str, Any] | None:
    return next((c for c in inspect(engine).get_columns("annotation_sessions") if c["name"] == "fill"), None)


COPIED = (
    "dataset_id, kind, overlap, blind, reveal_judge, randomize_order, lease_seconds, gold_rate, guidelines, active, "
    "created_at"
)


def test_migration_0018_down_and_up_on_sqlite_gives_old_sessions_breadth(db_path: Path) -> None:
    store = open_store(db_path)
    store.save_session("deep", "judge-studio-demo", overlap=2, fill="depth")
    store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0017")
        assert _fill_column(engine) is None
        with sqlite3.connect(db_path) as db:  # a session made before the column existed
            db.execute(
                f"INSERT INTO annotation_sessions (name, {COPIED}) SELECT 'older', {COPIED} "
                "FROM annotation_sessions WHERE name = 'deep'"
            )
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            rows = connection.execute(text("SELECT name, fill FROM annotation_sessions ORDER BY name")).all()
        assert dict(rows)["older"] == "breadth" and dict(rows)["deep"] == "breadth"  # the downgrade forgot depth
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
    store = open_store(db_path)
    try:
        assert store.get_session("older").fill == "breadth"
    finally:
        store.close()


def test_migration_0018_down_and_up_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    store.save_session("deep", "judge-studio-demo", overlap=2, fill="depth")
    store.close()
    engine = make_engine(url)
    try:
        _migrate(engine, "downgrade", "0017")
        assert _fill_column(engine) is None
        _migrate(engine, "upgrade", "head")
        column = _fill_column(engine)
        assert column is not None and column["nullable"] is False
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert connection.execute(text("SELECT fill FROM annotation_sessions WHERE name = 'deep'")).scalar() == (
                "breadth"
            )
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- the Admin page
def test_the_admin_form_saves_loads_and_lists_the_fill_order(db_path: Path) -> None:
    from ui import build_ui

    studio = Studio.open(Settings(home=db_path.parent))
    studio.store.create_annotator("ada", role="admin", password="correct horse battery")
    demo = build_ui(studio)
    fill = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "admin-session-fill")
    assert fill.value == "breadth" and "Depth: items are filled to the overlap one after another" in fill.info
    save = handler(demo, "admin_save_session")
    form = ("Deep", "judge-studio-demo", 2, 900, 0.0, True, True, True, True, "", "pairwise", None, None)
    request = gr.Request(username="ada")
    saved = by_id(save(*form, request, None, None, "depth"))
    table = saved["admin-sessions"].set_index("name")
    assert table.loc["Deep", "fill"] == "depth (fill each item first)"
    assert studio.store.get_session("Deep").fill == "depth"
    assert by_id(handler(demo, "admin_session")("Deep", request))["admin-session-fill"] == "depth"
    save(*form, request)  # an older script without the fill field: the session keeps its own
    assert studio.store.get_session("Deep").fill == "depth"
    with pytest.raises(gr.Error, match="fill order must be 'breadth'"):
        save(*form, request, None, None, "sideways")
