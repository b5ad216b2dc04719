"""The key that signs browser logins lives in the database (``app_secrets``, migration 0015), shared by
every app server of a deployment: two live servers with different data folders on one database (a
SQLite file, and a real PostgreSQL server where installed) accept each other's cookies; an older
version's ``session-secret`` is adopted at the upgrade without logging anybody out; ``judge-studio
users sign-out-everyone`` ends every browser login on every server while API tokens keep working; two
servers starting at once agree on one secret; the migration goes down and up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, inspect, text
from test_annotation_workflow import HEAD, _migrate, _schema_diff
from test_revoked_sessions import database, second_server, signed_in_user  # noqa: F401  (fixture)
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)
from tls_harness import make_studio, serve_studio

from annotation_store import Store, StoreError, open_store
from annotation_store.db import make_engine, sqlite_url
from web.sessions import COOKIE_NAME, IMPORTED_SUFFIX, SECRET_FILE, SECRET_REFRESH_S, SessionSigner

ROOT = Path(__file__).resolve().parent.parent
HOURS = 12.0
SIGNED_OUT = "Every browser session on every app server of this database is signed out"


def _rows(location: str, query: str) -> list[tuple[Any, ...]]:
    """Plain SQL on the shared database (a SQLite file path or a PostgreSQL URL)."""
    engine = make_engine(location if "://" in location else sqlite_url(location))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def _login(url: str, name: str = "alice", password: str = "alice-pass-1") -> str:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("login", data={"username": name, "password": password}).raise_for_status()
        return client.cookies[COOKIE_NAME]


def _old_cookie(secret: str, name: str, account_id: int | None = None) -> str:
    """A login cookie as versions before 0015 issued it, signed with the data folder's ``session-secret``: without
    an account id (as they were), or with ``account_id`` (the format since s15, which names the account by id)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    body: dict[str, Any] = {"u": name, "s": secrets.token_urlsafe(16), "t": int(time.time())}
    if account_id is not None:
        body["i"] = account_id
    payload = b64(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    return f"{payload}.{b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())}"


@contextmanager
def _server_a(db_path: Path, location: str) -> Iterator[str]:
    studio = make_studio(db_path, database_url=location)
    try:
        with serve_studio(studio) as url:
            yield url
    finally:
        studio.store.close()


def _still_taken(url: str, cookie: str) -> bool:
    """Whether the app at ``url`` still takes ``cookie`` for someone (one request: ``signed_in_user`` asks twice
    and checks the two answers agree, which they need not while a sign-out is reaching this server, as seen in
    CI: the user answered, then the config refused)."""
    with httpx.Client(base_url=url, cookies={COOKIE_NAME: cookie}, timeout=60) as client:
        return client.get("gradio_api/user").json() is not None


def _refused_within(seconds: float, urls: list[str], cookie: str) -> float:
    """How long until every server in ``urls`` refuses ``cookie`` (fails after ``seconds``)."""
    start = time.monotonic()
    while any(_still_taken(url, cookie) for url in urls):
        assert time.monotonic() - start < seconds, f"the cookie still works after {seconds} s"
        time.sleep(0.25)
    return time.monotonic() - start


@pytest.fixture
def shared_db(database: str) -> str:  # noqa: F811  (test_revoked_sessions' fixture: a SQLite file, then PostgreSQL)
    """The seeded database both servers share: a SQLite file path, or a PostgreSQL URL."""
    return database


# ---------------------------------------------------------------------- several servers
def test_a_login_on_one_server_is_accepted_by_another_with_its_own_data_folder(
    shared_db: str, db_path: Path, tmp_path: Path
) -> None:
    machine_b = tmp_path / "machine-b"
    with _server_a(db_path, shared_db) as url_a, second_server(shared_db, machine_b) as url_b:
        from_a, from_b = _login(url_a), _login(url_b, "bob", "bob-pass-1")
        assert signed_in_user(url_b, from_a) == "alice"
        assert signed_in_user(url_a, from_b) == "bob"
    assert not (db_path.parent / SECRET_FILE).exists() and not (machine_b / SECRET_FILE).exists()
    ((name, value),) = _rows(shared_db, "SELECT name, value FROM app_secrets")
    assert name == "session" and len(value) == 64


# ---------------------------------------------------------------------- the upgrade
def test_an_older_versions_secret_file_is_adopted_and_its_cookies_without_an_id_refused(
    shared_db: str, db_path: Path
) -> None:
    home = db_path.parent
    old_secret = secrets.token_hex(32)
    (home / SECRET_FILE).write_text(old_secret + "\n")
    cookie = _old_cookie(old_secret, "alice")
    for _start in ("upgrade", "restart"):
        with _server_a(db_path, shared_db) as url:
            # a cookie of those versions names no account id: refused since s15 (everyone logs in once again) ...
            assert signed_in_user(url, cookie) is None
            # ... though the secret is adopted: signed with it and naming alice's id, a cookie works
            [(alice,)] = _rows(shared_db, "SELECT id FROM annotators WHERE name = 'alice'")
            assert signed_in_user(url, _old_cookie(old_secret, "alice", alice)) == "alice"
        assert not (home / SECRET_FILE).exists()
        assert (home / (SECRET_FILE + IMPORTED_SUFFIX)).read_text().strip() == old_secret
        assert _rows(shared_db, "SELECT name, value FROM app_secrets") == [("session", old_secret)]


def test_a_second_servers_different_file_is_not_used_and_a_warning_names_it(
    db_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(db_path)
    try:
        store.create_annotator("alice", role="annotator", password="alice-pass-1")  # a cookie names an account
        deployment = SessionSigner(db_path.parent, HOURS, store)  # the first server: a new secret
        machine_b = tmp_path / "machine-b"
        machine_b.mkdir()
        own = secrets.token_hex(32)
        (machine_b / SECRET_FILE).write_text(own)
        with caplog.at_level(logging.WARNING, logger="web.sessions"):
            b = SessionSigner(machine_b, HOURS, store)
        (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.startswith(f"{machine_b / SECRET_FILE} is not used: the database holds another session")
        assert "\n" not in warning
        assert b.read(deployment.issue("alice")) is not None  # the database's secret wins
        assert b.read(_old_cookie(own, "alice")) is None
        assert (machine_b / SECRET_FILE).read_text() == own  # left for the admin to delete
    finally:
        store.close()


def test_an_unusable_old_file_stops_the_start_with_its_name(db_path: Path) -> None:
    (db_path.parent / SECRET_FILE).write_text("short\n")
    store = open_store(db_path)
    try:
        with pytest.raises(ValueError, match=r"session-secret \(an older version's session secret\) is 5 characters"):
            SessionSigner(db_path.parent, HOURS, store)
        assert _rows(str(db_path), "SELECT count(*) FROM app_secrets") == [(0,)]
    finally:
        store.close()


# ---------------------------------------------------------------------- signing everybody out
def _sign_out_everyone(home: Path, location: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "users", "sign-out-everyone", "--home", str(home), "--database-url", location],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("JUDGE_STUDIO_")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sign_out_everyone_refuses_old_cookies_on_every_server_and_api_tokens_still_work(
    shared_db: str, db_path: Path, tmp_path: Path
) -> None:
    with _server_a(db_path, shared_db) as url_a, second_server(shared_db, tmp_path / "machine-b") as url_b:
        cookie = _login(url_a)
        store = open_store(shared_db)
        try:
            token = store.create_api_token("rita", label="test")
        finally:
            store.close()
        assert signed_in_user(url_b, cookie) == "alice"

        done = _sign_out_everyone(tmp_path / "cli-home", shared_db)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(SIGNED_OUT) and done.stdout.strip().endswith("API tokens still work.")
        waited = _refused_within(SECRET_REFRESH_S + 10, [url_a, url_b], cookie)
        assert waited <= SECRET_REFRESH_S + 10
        with httpx.Client(base_url=url_b, cookies={COOKIE_NAME: cookie}, timeout=60) as replayed:
            assert 'name="password"' in replayed.get("").text  # B shows the login form
        for url in (url_a, url_b):
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:
                assert api.get("api/v1/datasets").status_code == 200
        fresh = _login(url_b)  # signing in again works, on every server
        assert signed_in_user(url_a, fresh) == "alice"


def test_a_server_still_on_the_old_secret_accepts_a_cookie_signed_with_the_new_one_at_once(db_path: Path) -> None:
    """After a sign-out, the server that reads the new secret first signs new logins with it; another
    server, before its next scheduled read, reads the secret again on the signature mismatch."""
    here, there = open_store(db_path), open_store(db_path)  # two servers' connections
    try:
        for name in ("alice", "bob"):  # a cookie names an account
            here.create_annotator(name, role="annotator", password=f"{name}-pass-1")
        slow, fast = SessionSigner(db_path.parent, HOURS, here), SessionSigner(db_path.parent, HOURS, there)
        old = slow.issue("alice")
        there.rotate_shared_secret("session")
        fast.key.reload()  # this server has read the new secret already
        new = fast.issue("bob")
        found = slow.read(new)
        assert found is not None and found.name == "bob"
        assert slow.read(old) is None and fast.read(old) is None
    finally:
        here.close()
        there.close()


def test_api_tokens_are_stored_as_digests_not_signed_with_the_session_secret(store: Store) -> None:
    store.create_annotator("alice", role="annotator", kind="crowd", password="alice-pass-1")
    token = store.create_api_token("alice")
    store.rotate_shared_secret("session")
    assert store.token_holder(token) == ("alice", "annotator", "crowd")
    with store.engine.connect() as connection:
        assert token not in {row[0] for row in connection.execute(text("SELECT token_hash FROM api_tokens"))}


# ---------------------------------------------------------------------- servers starting at once
@pytest.mark.parametrize("adopt", [None, "a" * 64], ids=["new", "adopted"])
def test_two_servers_starting_at_once_agree_on_one_secret(shared_db: str, adopt: str | None) -> None:
    """Both find no row, both insert (held at a barrier until each has read): the primary key lets one
    win and the other reads the winner's value."""
    stores = [open_store(shared_db), open_store(shared_db)]  # two processes' engines
    barrier = threading.Barrier(2, timeout=30)
    inserts: list[str] = []
    got: list[str] = []

    def hold_after_first_read(engine: Any) -> None:
        first = [True]

        def after(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if statement.startswith("SELECT app_secrets.value") and first[0]:
                first[0] = False
                barrier.wait()

        def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if statement.startswith("INSERT INTO app_secrets"):  # the loser's fails: counted before it runs
                inserts.append(statement)

        event.listen(engine, "after_cursor_execute", after)
        event.listen(engine, "before_cursor_execute", before)

    def start(store: Store, adopt_here: str | None) -> None:
        got.append(store.shared_secret("session", adopt=adopt_here))

    try:
        for store in stores:
            hold_after_first_read(store.engine)
        threads = [threading.Thread(target=start, args=(s, a)) for s, a in zip(stores, (adopt, None), strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(inserts) == 2  # a real race: both tried to store their own value
        assert len(got) == 2 and got[0] == got[1]
        assert _rows(shared_db, "SELECT name, value FROM app_secrets") == [("session", got[0])]
        assert stores[0].shared_secret("session", adopt="b" * 64) == got[0]  # a stored value always wins
    finally:
        for store in stores:
            store.close()


def test_bad_names_and_values_are_refused_with_what_is_wrong(store: Store) -> None:
    with pytest.raises(StoreError, match="A shared secret's name is 1 to 64 characters, not ''"):
        store.shared_secret("")
    with pytest.raises(StoreError, match="The secret to adopt as 'session' must be 1 to 128 characters"):
        store.shared_secret("session", adopt="x" * 129)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM app_secrets")).scalar() == 0


# ---------------------------------------------------------------------- migration 0015
def test_migration_0015_down_and_up_on_sqlite(db_path: Path) -> None:
    store = open_store(db_path)
    store.shared_secret("session")
    store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0014")
        assert _rows(str(db_path), "SELECT version_num FROM alembic_version") == [("0014",)]
        assert "app_secrets" not in inspect(engine).get_table_names()
        _migrate(engine, "upgrade", "head")
        assert _rows(str(db_path), "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert _rows(str(db_path), "SELECT count(*) FROM app_secrets") == [(0,)]
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_migration_0015_down_and_up_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    try:
        _migrate(engine, "downgrade", "0014")
        assert "app_secrets" not in inspect(engine).get_table_names()
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert connection.execute(text("SELECT count(*) FROM app_secrets")).scalar() == 0
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
