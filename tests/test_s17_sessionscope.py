"""Sessions limited to named accounts (s16 campaign, finding 10): migration 0022 (``session_members``), the one
rule (``orchestration.annotation.open_to``) on the session list, leases and submits of the desks and REST, and
``judge-studio sessions members``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import api_app, closing
from test_annotation_workflow import _migrate, _schema_diff

from annotation_store.db import make_engine, sqlite_url
from errors import Forbidden, NotFound
from orchestration import Settings, Studio

NOT_OPEN = "There is no annotation session 'expert' open to you."  # an unknown session's words (s18: 404 alike)


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        return connection.execute(query, args).fetchall()


def _dataset(studio: Studio, n: int = 3) -> None:
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(n)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)


@pytest.fixture
def studio(db_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("rev", role="reviewer", password="rev-pass-1")
    s.store.create_annotator("boss", role="admin", password="boss-pass-1")
    _dataset(s)
    s.store.save_session("crowd", "tiny")
    s.store.save_session("expert", "tiny", overlap=3)
    yield from closing(s)


def _names(studio: Studio, who: str) -> list[str]:
    return [s.name for s in studio.desk.sessions(who) if s.name in ("crowd", "expert")]


def _members(studio: Studio, add: list[str], remove: list[str] | None = None) -> Any:
    from orchestration.annotation import change_session_members

    return change_session_members(studio.access, "boss", "expert", add, remove or [])


# ---------------------------------------------------------------------- migration 0022
def test_migration_0022_upgrades_a_0021_file_and_leaves_every_session_open(db_path: Path, studio: Studio) -> None:
    studio.store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0021")
        tables = {name for (name,) in _sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "session_members" not in tables and _sql(db_path, "SELECT version_num FROM alembic_version") == [
            ("0021",)
        ]
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [("0022",)]
        assert _sql(db_path, "SELECT count(*) FROM session_members") == [(0,)]
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
    again = Studio.open(Settings(home=db_path.parent))
    try:
        assert _names(again, "bob") == ["crowd", "expert"]  # no members: open to every annotator, as before
        _members(again, ["alice"])
    finally:
        again.store.close()
    with pytest.raises(sqlite3.IntegrityError):  # one row per (session, account)
        _sql(
            db_path,
            "INSERT INTO session_members (session_id, annotator_id, added_at) SELECT session_id, "
            "annotator_id, added_at FROM session_members",
        )
    _sql(db_path, "DELETE FROM annotators WHERE name = 'alice'")  # ON DELETE CASCADE
    assert _sql(db_path, "SELECT count(*) FROM session_members") == [(0,)]


# ---------------------------------------------------------------------- the rule, on the desks
def test_a_session_with_members_is_listed_and_leased_to_them_only(studio: Studio, db_path: Path) -> None:
    assert _names(studio, "bob") == ["crowd", "expert"]
    changed = _members(studio, ["alice"])
    assert changed.added == ["alice"] and changed.members == ["alice"]
    assert _sql(
        db_path, "SELECT a.name, m.added_by FROM session_members m JOIN annotators a ON a.id = m.annotator_id"
    ) == [("alice", "boss")]
    assert _names(studio, "bob") == ["crowd"]  # the picker and REST list
    assert _names(studio, "alice") == ["crowd", "expert"]
    assert _names(studio, "rev") == _names(studio, "boss") == ["crowd", "expert"]  # managers see every session
    with pytest.raises(NotFound, match=NOT_OPEN):
        studio.desk.next_item("bob", "expert")
    mine = studio.desk.next_item("alice", "expert")
    assert mine is not None and studio.desk.next_item("rev", "expert") is not None
    studio.desk.submit("alice", "expert", mine.id, "left", swapped=mine.swapped)
    _members(studio, ["bob"], ["alice"])  # alice removed: her answers stay, her session is gone from her list
    assert _names(studio, "alice") == ["crowd"]
    with pytest.raises(NotFound, match=NOT_OPEN):
        studio.desk.submit("alice", "expert", mine.id, "right", swapped=mine.swapped)
    with pytest.raises(NotFound, match=NOT_OPEN):
        studio.desk.previous("alice", "expert", None)
    assert _sql(db_path, "SELECT verdict FROM labels WHERE session_id IS NOT NULL") == [
        ("1" if not mine.swapped else "2",)
    ]
    assert studio.desk.next_item("bob", "expert") is not None
    _members(studio, [], ["bob"])  # the last member removed: open to everyone again
    assert _names(studio, "alice") == ["crowd", "expert"]


def test_unknown_names_are_refused_naming_the_known_ones_and_nothing_changes(studio: Studio, db_path: Path) -> None:
    from orchestration.annotation import change_session_members

    with pytest.raises(Exception, match=r"There is no annotation session 'nope'; sessions: .*'crowd', 'expert'"):
        change_session_members(studio.access, "boss", "nope", ["alice"], [])
    with pytest.raises(Exception, match=r"There is no account named 'zed'; accounts: 'alice', 'bob', 'boss', 'rev'"):
        _members(studio, ["alice", "zed"])
    with pytest.raises(Exception, match=r"'bob' is not a member of the session 'expert'; members: none"):
        _members(studio, [], ["bob"])
    assert _sql(db_path, "SELECT count(*) FROM session_members") == [(0,)]
    with pytest.raises(Forbidden, match="needs the admin role"):
        from orchestration.annotation import change_session_members as change

        change(studio.access, "rev", "expert", ["alice"], [])


# ---------------------------------------------------------------------- REST
def test_rest_lists_and_leases_only_sessions_open_to_the_caller(studio: Studio) -> None:
    _members(studio, ["alice"])
    alice = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    bob = {"Authorization": f"Bearer {studio.access.api_token('bob')}"}
    with TestClient(api_app(studio)) as client:
        listed = client.get("/api/v1/sessions", headers=bob)
        assert listed.status_code == 200 and "expert" not in [s["name"] for s in listed.json()]
        assert "crowd" in [s["name"] for s in listed.json()]
        assert "expert" in [s["name"] for s in client.get("/api/v1/sessions", headers=alice).json()]
        refused = client.post("/api/v1/sessions/expert/next", headers=bob)
        assert refused.status_code == 404 and NOT_OPEN in refused.text
        leased = client.post("/api/v1/sessions/expert/next", headers=alice)
        assert leased.status_code == 200, leased.text
        handle = leased.json()["item"]["item"]
        body = {"session": "expert", "item": handle, "choice": "left"}
        sneaked = client.post("/api/v1/labels", headers=bob, json=body)
        assert sneaked.status_code == 404 and NOT_OPEN in sneaked.text
        assert client.post("/api/v1/labels", headers=alice, json=body).status_code == 200


# ---------------------------------------------------------------------- CLI
def test_cli_lists_adds_and_removes_members_with_a_security_line(
    studio: Studio, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    studio.store.close()
    home = ["--home", str(db_path.parent)]
    main(["sessions", "members", "expert", *home])
    assert "Session 'expert' has no members: it is open to every annotator." in capsys.readouterr().out
    main(["sessions", "members", "expert", "--add", "alice", "bob", *home])
    out, err = capsys.readouterr()
    assert "Added: alice, bob." in out and "Session 'expert' is open to 2 members: alice, bob." in out
    assert (
        "security: session members changed: 'expert': added 'alice', 'bob', removed none (now 2 members) by "
        "'(command line)'" in err
    )
    main(["sessions", "members", "expert", "--remove", "bob", *home])
    assert "Removed: bob." in capsys.readouterr().out
    with pytest.raises(SystemExit, match="There is no annotation session 'nope'; sessions: "):
        main(["sessions", "members", "nope", *home])
    with pytest.raises(SystemExit, match="There is no account named 'zed'; accounts: "):
        main(["sessions", "members", "expert", "--add", "zed", *home])
    assert _sql(db_path, "SELECT a.name FROM session_members m JOIN annotators a ON a.id = m.annotator_id") == [
        ("alice",)
    ]


# ---------------------------------------------------------------------- the Annotate page (no browser)
def test_the_annotate_page_picker_and_start_follow_the_members(studio: Studio) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler
    from test_s12_annotflow import _component, _event

    from ui import build_ui

    _members(studio, ["alice"])
    demo = build_ui(studio)
    built = [name for name, _value in _component(demo, "annotate-session").choices]
    assert built == []  # the page sent to everyone names no session (s18: the page load fills each one's own)
    bob, alice = gr.Request(username="bob"), gr.Request(username="alice")
    load = _event(demo, "load_sessions", "annotate-session")
    assert "expert" not in [name for name, _value in by_id(load(bob, "expert"))["annotate-session"].choices]
    assert "expert" in [name for name, _value in by_id(load(alice))["annotate-session"].choices]
    with pytest.warns(UserWarning, match="open to you"):
        refused = by_id(handler(demo, "next_item")("expert", bob))
    assert refused["annotate-feedback"] == "⚠ There is no annotation session 'expert' open to you\\."
