"""Logouts are recorded in the database (``revoked_sessions``, migration 0013), so every app server of a
deployment refuses a logged-out cookie: two live apps over one database (SQLite file, and a real
PostgreSQL server where installed), a restart, the import of an older version's
``revoked-sessions.json``, the purge of expired rows, the cost of the check per request, and the
migration up and down."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import APP_ACCOUNTS
from sqlalchemy import event, inspect, text
from test_annotation_workflow import HEAD, _migrate, _schema_diff
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)
from tls_harness import make_studio, serve_studio

from annotation_store import Store, StoreError, open_store
from annotation_store.db import make_engine, sqlite_url
from web.sessions import COOKIE_NAME, IMPORTED_SUFFIX, REVOKED_FILE, SessionSigner

HOURS = 12.0
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _accounts(store: Store, *names: str) -> None:
    """The test accounts ``names`` (``APP_ACCOUNTS``' passwords and roles): a cookie is valid only for an account."""
    for name in names:
        password, role = APP_ACCOUNTS[name]
        store.create_annotator(name, role=role, password=password)


def signed_in_user(url: str, cookie: str) -> str | None:
    """Who the app at ``url`` takes the bearer of ``cookie`` for (None: not signed in)."""
    with httpx.Client(base_url=url, cookies={COOKIE_NAME: cookie}, timeout=60) as client:
        user = client.get("gradio_api/user").json()
        assert client.get("config").status_code == (200 if user else 401)
        return user


@contextmanager
def second_server(database: str, home: Path) -> Iterator[str]:
    """Another app server on another machine: its own data folder (nothing copied into it: the
    signing secret is the database's, migration 0015), the same database."""
    from orchestration import Settings, Studio

    home.mkdir()
    studio = Studio.open(Settings(home=home, database_url=database))
    try:
        with serve_studio(studio) as url:
            yield url
    finally:
        studio.store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, db_path: Path) -> str:
    """The seeded demo database both servers share: a SQLite file, or a PostgreSQL database (skipped
    with the reason when no PostgreSQL server is installed)."""
    return str(db_path) if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


# ---------------------------------------------------------------------- several servers, restarts
def test_a_logout_on_one_server_refuses_the_cookie_on_another(database: str, db_path: Path, tmp_path: Path) -> None:
    first = make_studio(db_path, database_url=database)
    try:
        with (
            serve_studio(first) as url_a,
            second_server(database, tmp_path / "machine-b") as url_b,
            httpx.Client(base_url=url_a, timeout=60) as alice,
        ):
            alice.post("login", data={"username": "alice", "password": "alice-pass-1"}).raise_for_status()
            cookie = alice.cookies[COOKIE_NAME]
            assert signed_in_user(url_b, cookie) == "alice"  # the same login works on both servers
            out = alice.get("logout", headers=SAME_ORIGIN)
            assert out.status_code == 303 and out.headers["location"] == "/login?logged_out=1"
            assert signed_in_user(url_a, cookie) is None
            assert signed_in_user(url_b, cookie) is None  # a copy of the cookie is refused on B too
            with httpx.Client(base_url=url_b, cookies={COOKIE_NAME: cookie}) as replayed:
                assert 'name="password"' in replayed.get("").text  # B shows the login form
    finally:
        first.store.close()
    assert not (db_path.parent / REVOKED_FILE).exists()  # nothing is kept in the data folder any more


def test_an_older_versions_logouts_are_imported_once_and_survive_restarts(db_path: Path) -> None:
    home = db_path.parent
    store = open_store(db_path)
    _accounts(store, "alice")  # a cookie names an account that holds its name (s15)
    signer = SessionSigner(home, HOURS, store)
    logged_out, still_in = signer.issue("alice"), signer.issue("alice")
    found = signer.read(logged_out)
    assert found is not None
    store.close()
    # what a version before 0013 left behind after that logout (and one whose cookie has expired)
    old_file = home / REVOKED_FILE
    old_file.write_text(json.dumps({found.session_id: found.expires_at(HOURS), "expired-id": 1_000_000.0}))

    for _start in ("upgrade", "restart"):
        studio = make_studio(db_path)
        try:
            with serve_studio(studio) as url:
                assert signed_in_user(url, logged_out) is None
                assert signed_in_user(url, still_in) == "alice"
        finally:
            studio.store.close()
        assert not old_file.exists() and (home / (REVOKED_FILE + IMPORTED_SUFFIX)).exists()
        assert _sql(db_path, "SELECT session_id FROM revoked_sessions") == [(found.session_id,)]


def test_an_unreadable_old_file_stops_the_start_with_its_name(db_path: Path) -> None:
    (db_path.parent / REVOKED_FILE).write_text('["not", "an object"]')
    store = open_store(db_path)
    try:
        with pytest.raises(ValueError, match=r"revoked-sessions\.json \(logged-out sessions of an older version\)"):
            SessionSigner(db_path.parent, HOURS, store)
    finally:
        store.close()
    assert (db_path.parent / REVOKED_FILE).exists()  # kept for the operator to fix or delete


# ---------------------------------------------------------------------- the table
def test_expired_rows_are_purged_on_logout_and_a_logout_is_idempotent(db_path: Path) -> None:
    now = [1_900_000_000.0]
    store = open_store(db_path)
    _accounts(store, "alice", "bob")
    try:
        signer = SessionSigner(db_path.parent, 1.0, store, clock=lambda: now[0])
        first = signer.issue("alice")
        first_id = signer.read(first).session_id  # type: ignore[union-attr]
        assert signer.revoke(first) is not None
        assert signer.read(first) is None
        assert _sql(db_path, "SELECT session_id, expires_at FROM revoked_sessions") == [
            (first_id, "2030-03-17 18:46:40.000000")  # login + 1 hour, naive UTC like every timestamp here
        ]
        now[0] += 3600 + 1  # the first cookie has expired: its row is of no more use
        second = signer.issue("bob")
        second_id = signer.read(second).session_id  # type: ignore[union-attr]
        assert signer.revoke(second) is not None
        assert _sql(db_path, "SELECT session_id FROM revoked_sessions") == [(second_id,)]
        later, before = datetime(2030, 3, 17, 20), datetime(2030, 3, 17, 18)
        store.revoke_browser_sessions({second_id: later}, forget_before=before)  # another server, same logout
        assert _sql(db_path, "SELECT session_id FROM revoked_sessions") == [(second_id,)]
        with pytest.raises(StoreError, match="A session id is 1 to 64 characters, not 65; nothing was saved"):
            store.revoke_browser_sessions({"x" * 65: later}, forget_before=before)
    finally:
        store.close()


def test_each_check_is_one_primary_key_read_and_only_revoked_answers_are_remembered(db_path: Path) -> None:
    store, elsewhere = open_store(db_path), open_store(db_path)  # two processes' connections
    _accounts(store, "alice")
    statements: list[str] = []

    def queries(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):  # SQLite's explicit transaction
            statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", queries)
    try:
        here = SessionSigner(db_path.parent, HOURS, store)
        there = SessionSigner(db_path.parent, HOURS, elsewhere)
        cookie = here.issue("alice")
        for _ in range(2):  # "not revoked" is asked every time, never remembered
            statements.clear()
            assert here.read(cookie) is not None
            assert len(statements) == 1 and "FROM revoked_sessions" in statements[0]
            assert "WHERE revoked_sessions.session_id = " in statements[0]
        assert there.revoke(cookie) is not None  # the logout happens in the other process
        statements.clear()
        assert here.read(cookie) is None and len(statements) == 1
        statements.clear()
        assert here.read(cookie) is None and statements == []  # revoked is remembered: it never goes back
    finally:
        store.close()
        elsewhere.close()


# ---------------------------------------------------------------------- migration 0013
def test_migration_0013_down_and_up_on_sqlite(db_path: Path) -> None:
    store = open_store(db_path)
    _accounts(store, "alice")
    SessionSigner(db_path.parent, HOURS, store).revoke(SessionSigner(db_path.parent, HOURS, store).issue("alice"))
    store.close()
    assert _sql(db_path, "SELECT count(*) FROM revoked_sessions") == [(1,)]
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0012")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [("0012",)]
        assert "revoked_sessions" not in inspect(engine).get_table_names()
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert _sql(db_path, "SELECT count(*) FROM revoked_sessions") == [(0,)]
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_migration_0013_down_and_up_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    try:
        assert {ix["name"] for ix in inspect(engine).get_indexes("revoked_sessions")} == {
            "ix_revoked_sessions_expires_at"
        }
        _migrate(engine, "downgrade", "0012")
        assert "revoked_sessions" not in inspect(engine).get_table_names()
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert connection.execute(text("SELECT count(*) FROM revoked_sessions")).scalar() == 0
    finally:
        engine.dispose()
