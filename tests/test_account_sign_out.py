"""Signing one account out everywhere (``annotators.signed_out_at``, migration 0016): a new password, a
deactivation, ``judge-studio users sign-out NAME`` and the Admin page's "Sign out everywhere" end that
account's browser logins on every app server and revoke its API tokens, for good (reactivating brings
neither back), while other accounts keep theirs and a fresh login works at once. Real HTTP apps over
one database (a SQLite file, and a real PostgreSQL server where installed), the real command line as a
subprocess, and the migration down and up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_ids import by_id
from sqlalchemy import inspect, text
from test_annotation_workflow import HEAD, _migrate, _schema_diff
from test_revoked_sessions import database, second_server, signed_in_user  # noqa: F401  (fixture)
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)
from tls_harness import make_studio, serve_studio

from annotation_store import open_store
from annotation_store.db import make_engine, sqlite_url
from web.sessions import COOKIE_NAME

ROOT = Path(__file__).resolve().parent.parent


def _cli(home: Path, location: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``judge-studio users ...`` as an admin runs it on the server machine."""
    return subprocess.run(
        [sys.executable, "app.py", "users", *args, "--home", str(home), "--database-url", location],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("JUDGE_STUDIO_")},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _login(url: str, name: str, password: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("login", data={"username": name, "password": password}).raise_for_status()
        return client.cookies[COOKIE_NAME]


def _api_status(url: str, token: str) -> int:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
        return api.get("api/v1/datasets").status_code


def _token(location: str, name: str) -> str:
    store = open_store(location)
    try:
        return store.create_api_token(name, label="test")
    finally:
        store.close()


@pytest.fixture
def shared_db(database: str) -> str:  # noqa: F811  (test_revoked_sessions' fixture: a SQLite file, then PostgreSQL)
    """The seeded database both servers share: a SQLite file path, or a PostgreSQL URL."""
    return database


# ---------------------------------------------------------------------- a new password
def test_a_new_password_ends_the_accounts_logins_and_tokens_on_every_server(
    shared_db: str, db_path: Path, tmp_path: Path
) -> None:
    location = shared_db
    studio = make_studio(db_path, database_url=location)
    try:
        with serve_studio(studio) as url_a, second_server(location, tmp_path / "machine-b") as url_b:
            cookie, token = _login(url_a, "bob", "bob-pass-1"), _token(location, "bob")
            other_cookie, other_token = _login(url_b, "alice", "alice-pass-1"), _token(location, "alice")
            assert signed_in_user(url_b, cookie) == "bob" and _api_status(url_b, token) == 200

            done = _cli(tmp_path / "cli-home", location, "set", "bob", "--password-stdin", stdin="bob-new-pass-2\n")
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip().startswith("Updated 'bob'; its browser logins ended on every app server")
            assert "1 API token was revoked" in done.stdout

            for url in (url_a, url_b):  # at once, no refresh period: every use reads signed_out_at
                assert signed_in_user(url, cookie) is None
                assert _api_status(url, token) == 401
                assert signed_in_user(url, other_cookie) == "alice" and _api_status(url, other_token) == 200
            with httpx.Client(base_url=url_a, timeout=60) as client:
                old = client.post("login", data={"username": "bob", "password": "bob-pass-1"})
                assert old.status_code == 401
            fresh = _login(url_b, "bob", "bob-new-pass-2")  # right after the change, on the other server too
            assert signed_in_user(url_a, fresh) == "bob"
            assert _api_status(url_a, _token(location, "bob")) == 200  # a new token works
    finally:
        studio.store.close()


def test_the_admin_pages_set_password_and_sign_out_everywhere_end_logins_and_tokens(db_path: Path) -> None:
    from ui import build_ui

    studio = make_studio(db_path)
    try:
        demo = build_ui(studio)
        with serve_studio(studio) as url:
            cookie, token = _login(url, "alice", "alice-pass-1"), _token(str(db_path), "alice")
            shown = _admin_event(demo, "admin_set_password", ["alice", "alice-new-pass-2"])
            assert "its browser logins ended on every server and 1 API token was revoked" in shown
            assert signed_in_user(url, cookie) is None and _api_status(url, token) == 401

            cookie = _login(url, "alice", "alice-new-pass-2")
            token = _token(str(db_path), "alice")
            shown = _admin_event(demo, "admin_account_sign_out", ["alice", "annotator"])
            assert shown.startswith("`alice` is signed out: its browser logins ended")
            assert signed_in_user(url, cookie) is None and _api_status(url, token) == 401
            assert signed_in_user(url, _login(url, "alice", "alice-new-pass-2")) == "alice"  # the password stays
    finally:
        studio.store.close()


def _admin_event(demo: gr.Blocks, api_name: str, inputs: list[Any]) -> str:
    """The Accounts section's result line after an event run as Gradio runs it, by the admin."""
    import asyncio

    block_fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    out = asyncio.run(demo.call_function(block_fn, list(inputs), requests=gr.Request(username="admin")))
    result: str = by_id(out["prediction"])["admin-accounts-result"]
    return result


# ---------------------------------------------------------------------- deactivation
def test_reactivating_an_account_does_not_bring_back_its_old_login_or_token(db_path: Path) -> None:
    from orchestration import AdminDesk

    studio = make_studio(db_path)
    try:
        desk = AdminDesk(studio)
        with serve_studio(studio) as url:
            cookie, token = _login(url, "bob", "bob-pass-1"), _token(str(db_path), "bob")
            assert desk.update_account("admin", "bob", active=False) == 1
            assert signed_in_user(url, cookie) is None and _api_status(url, token) == 401
            assert desk.update_account("admin", "bob", active=True) is None  # reactivating signs nobody out
            assert signed_in_user(url, cookie) is None and _api_status(url, token) == 401
            assert signed_in_user(url, _login(url, "bob", "bob-pass-1")) == "bob"
            assert _api_status(url, _token(str(db_path), "bob")) == 200
            assert desk.update_account("admin", "bob", role="reviewer") is None  # a role change signs nobody out
            assert signed_in_user(url, _login(url, "bob", "bob-pass-1")) == "bob"
        rows = sqlite3.connect(db_path).execute(
            "SELECT revoked, count(*) FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id "
            "WHERE a.name = 'bob' GROUP BY revoked ORDER BY revoked"
        )
        assert rows.fetchall() == [(0, 1), (1, 1)]
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- users sign-out NAME
def test_users_sign_out_ends_one_accounts_logins_and_tokens_and_no_one_elses(db_path: Path, tmp_path: Path) -> None:
    studio = make_studio(db_path)
    try:
        with serve_studio(studio) as url:
            alice = (_login(url, "alice", "alice-pass-1"), _token(str(db_path), "alice"), _token(str(db_path), "alice"))
            bob = (_login(url, "bob", "bob-pass-1"), _token(str(db_path), "bob"))
            done = _cli(tmp_path / "cli-home", str(db_path), "sign-out", "alice")
            assert done.returncode == 0, done.stderr
            assert done.stdout.startswith("Signed out 'alice': its browser logins ended on every app server")
            assert "2 API tokens were revoked" in done.stdout
            assert signed_in_user(url, alice[0]) is None
            assert [_api_status(url, token) for token in alice[1:]] == [401, 401]
            assert signed_in_user(url, bob[0]) == "bob" and _api_status(url, bob[1]) == 200
            assert signed_in_user(url, _login(url, "alice", "alice-pass-1")) == "alice"  # the password stays

            unknown = _cli(tmp_path / "cli-home", str(db_path), "sign-out", "nobody")
            assert unknown.returncode != 0 and "There is no account named 'nobody'" in unknown.stderr
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- migration 0016
def test_migration_0016_down_and_up_on_sqlite_keeps_accounts_labels_and_tokens(db_path: Path) -> None:
    store = open_store(db_path)
    store.create_annotator("kept", password="kept-pass-1")
    store.create_api_token("kept", label="kept")
    store.close()

    def counts() -> list[Any]:
        with sqlite3.connect(db_path) as connection:
            return [connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES]

    before = counts()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0015")
        columns = {c["name"] for c in inspect(engine).get_columns("annotators")}
        assert "signed_out_at" not in columns and "active" in columns
        assert counts() == before  # no rebuild of annotators: nothing cascaded away
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert counts() == before
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


TABLES = ("annotators", "labels", "api_tokens")


def test_migration_0016_down_and_up_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    try:
        _migrate(engine, "downgrade", "0015")
        assert "signed_out_at" not in {c["name"] for c in inspect(engine).get_columns("annotators")}
        _migrate(engine, "upgrade", "head")
        assert "signed_out_at" in {c["name"] for c in inspect(engine).get_columns("annotators")}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    finally:
        engine.dispose()
