"""Session members, session 18 (s17 "Left undone", review17b 4, and session 16's list):

- the member check runs inside the store's lease / submit / reopen transaction (``sessions.find_session_in_force``
  reads it with the session's row), so a member removed in the same instant gets nothing in, on SQLite and
  PostgreSQL; a submit is one write transaction again (``tests/test_submit_cost.py``);
- a session limited to members the caller is not one of answers as an unknown one: the same 404 and words
  ("There is no annotation session 'X' open to you."), over REST and on the pages, closed or open;
- ``sessions create --members`` refuses an unknown name by the store's rule, in the Admin page's words;
- the first admin's creation is in the security log like any other account's, and its login is logged as any other.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing
from test_s17_sessionscope import _dataset, _members
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from annotation_store.sessions import MemberScope
from errors import NotFound
from orchestration import Studio
from orchestration.access import SECURITY_LOG

ACCOUNTS = (("boss", "admin"), ("rev", "reviewer"), ("alice", "annotator"), ("bob", "annotator"))
NOT_OPEN = "There is no annotation session 'expert' open to you."


def _made(home: Path, **settings: Any) -> Studio:
    made = accounts_studio(home, ACCOUNTS, **settings)
    _dataset(made)
    made.store.save_session("crowd", "tiny")
    made.store.save_session("expert", "tiny", overlap=3)
    return made


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    yield from closing(_made(tmp_path))


@pytest.fixture
def pg_studio(pg_url: str, tmp_path: Path) -> Iterator[Studio]:  # noqa: F811  (pg_url: the fixture above)
    yield from closing(_made(tmp_path, database_url=pg_url))


def _labels(studio: Studio) -> int:
    from sqlalchemy import text

    with studio.store.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM labels WHERE session_id IS NOT NULL")).scalar_one())


def _stale_scope(monkeypatch: pytest.MonkeyPatch, studio: Studio) -> None:
    """Any separate read of the member scope says "a member": what a read just before the removal saw."""
    monkeypatch.setattr(studio.store, "member_scope", lambda _name, _who: MemberScope(True, True, "annotator"))


# ---------------------------------------------------------------------- the check inside the transaction
def _removed_in_the_same_instant(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    _members(studio, ["alice", "bob"])
    held = studio.desk.next_item("alice", "expert")
    assert held is not None
    studio.desk.submit("alice", "expert", held.id, "left", swapped=held.swapped)
    mine = studio.desk.next_item("alice", "expert")
    assert mine is not None
    _members(studio, [], ["alice"])  # removed: a read made before this said she was a member
    _stale_scope(monkeypatch, studio)
    before = _labels(studio)
    for refused in (
        lambda: studio.desk.next_item("alice", "expert"),
        lambda: studio.desk.submit("alice", "expert", mine.id, "right", swapped=mine.swapped),
        lambda: studio.desk.submit("alice", "expert", held.id, "tie", swapped=held.swapped),  # an edit
        lambda: studio.desk.open_item("alice", "expert", held.id),
        lambda: studio.desk.previous("alice", "expert", None),
    ):
        with pytest.raises(NotFound, match=NOT_OPEN):
            refused()
    assert _labels(studio) == before  # nothing got in
    assert studio.desk.next_item("bob", "expert") is not None  # a member still works there
    assert studio.desk.next_item("rev", "expert") is not None  # and a reviewer


def test_a_member_removed_in_the_same_instant_gets_nothing_in(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    _removed_in_the_same_instant(studio, monkeypatch)


def test_a_member_removed_in_the_same_instant_gets_nothing_in_on_postgresql(
    pg_studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    _removed_in_the_same_instant(pg_studio, monkeypatch)


def test_the_grading_desk_checks_members_in_its_transaction_too(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio.store.save_session("graded", "tiny", kind="single")
    from orchestration.annotation import change_session_members

    change_session_members(studio.access, "boss", "graded", ["alice"], [])
    _stale_scope(monkeypatch, studio)
    with pytest.raises(NotFound, match="There is no annotation session 'graded' open to you."):
        studio.grading.next_item("bob", "graded")
    assert studio.grading.next_item("alice", "graded") is not None


# ---------------------------------------------------------------------- 404 alike
def test_a_non_member_gets_the_unknown_sessions_404_over_rest(studio: Studio) -> None:
    _members(studio, ["alice"])
    bob = {"Authorization": f"Bearer {studio.access.api_token('bob')}"}
    alice = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    with TestClient(api_app(studio)) as client:
        unknown = client.post("/api/v1/sessions/nope/next", headers=bob)
        limited = client.post("/api/v1/sessions/expert/next", headers=bob)
        assert unknown.status_code == limited.status_code == 404
        assert unknown.json()["detail"] == "There is no annotation session 'nope' open to you."
        assert limited.json()["detail"] == NOT_OPEN
        leased = client.post("/api/v1/sessions/expert/next", headers=alice).json()["item"]
        for body in (
            {"session": "expert", "item": leased["item"], "choice": "left"},  # alice's handle
            {"session": "expert", "item": "7KQ2MXA3FZ", "choice": "left"},  # a made-up one
        ):
            sneaked = client.post("/api/v1/labels", headers=bob, json=body)
            assert sneaked.status_code == 404 and sneaked.json()["detail"] == NOT_OPEN
        studio.store.save_session("expert", "tiny", active=False)  # closed: still not told it exists
        closed = client.post("/api/v1/sessions/expert/next", headers=bob)
        assert closed.status_code == 404 and closed.json()["detail"] == NOT_OPEN
        assert client.post("/api/v1/sessions/expert/next", headers=alice).status_code == 409  # a member: closed
    assert _labels(studio) == 0


def test_a_reviewer_answers_by_id_in_a_session_limited_to_others(studio: Studio) -> None:
    _members(studio, ["alice"])
    item = studio.desk.next_item("rev", "expert")
    assert item is not None
    rev = {"Authorization": f"Bearer {studio.access.api_token('rev')}"}
    body = {"session": "expert", "comparison_id": item.id, "choice": "left", "swapped": item.swapped}
    with TestClient(api_app(studio)) as client:
        assert client.post("/api/v1/labels", headers=rev, json=body).status_code == 200
    assert _labels(studio) == 1


# ---------------------------------------------------------------------- sessions create --members
def test_sessions_create_refuses_an_unknown_member_in_the_admin_pages_words(
    studio: Studio, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main
    from orchestration.annotation import change_session_members

    with pytest.raises(NotFound) as on_the_page:  # the Admin page's (and `sessions members`') refusal
        change_session_members(studio.access, "boss", "crowd", ["alice", "nobody"], [])
    studio.store.close()
    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "sessions",
                "create",
                "Other",
                "--dataset",
                "tiny",
                "--members",
                "alice",
                "nobody",
                "--home",
                str(tmp_path),
            ]
        )
    said = str(exit_.value.code)
    assert str(on_the_page.value) in said
    assert "There is no account named 'nobody'; accounts: 'alice', 'bob', 'boss', 'rev'. Nothing was changed." in said
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM annotation_sessions WHERE name = 'Other'").fetchone() == (0,)


# ---------------------------------------------------------------------- the first admin
class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def security_lines() -> Iterator[list[str]]:
    handler, level = _Lines(), SECURITY_LOG.level
    SECURITY_LOG.addHandler(handler)
    SECURITY_LOG.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        SECURITY_LOG.removeHandler(handler)
        SECURITY_LOG.setLevel(level)


def test_the_first_admin_is_logged_when_made_and_when_it_logs_in(tmp_path: Path, security_lines: list[str]) -> None:
    from orchestration import Settings

    studio = Studio.open(Settings(home=tmp_path))
    try:
        password = studio.access.ensure_admin(tmp_path)
        assert password is not None
        path = tmp_path / "initial-admin-password.txt"
        assert security_lines == [f"account created: 'admin' (admin, expert) by '(first start)' (password in {path})"]
        assert password not in " ".join(security_lines)
        studio.access.sign_in("admin", password, "127.0.0.1")
        assert security_lines[-1] == "login: 'admin' (admin) from 127.0.0.1"  # as any other account's login
        with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:  # no admin left (by hand): made again
            db.execute("UPDATE annotators SET role = 'annotator' WHERE name = 'admin'")
        again = studio.access.ensure_admin(tmp_path)
        assert again is not None and again != password
        assert security_lines[-1] == (
            f"account changed: 'admin': role admin, active, new password by '(first start)' (password in {path})"
        )
    finally:
        studio.store.close()


def test_serve_writes_the_first_admins_line_to_the_servers_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.commands import first_admin
    from orchestration import Settings
    from web.server import log_config

    studio = Studio.open(Settings(home=tmp_path))
    try:
        assert first_admin(studio, studio.settings, log_config()) is not None
        assert "security: account created: 'admin' (admin, expert) by '(first start)'" in capsys.readouterr().err
    finally:
        studio.store.close()  # the loggers the server's log config set: put back by tests/conftest.py
