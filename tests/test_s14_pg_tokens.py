"""API tokens on a real PostgreSQL server (session 14): the token-expiry migration (and session 15's revocation
time, 0020) goes down and up again with a token row kept, and the last-use stamp on a request's path gives up at
once while another process holds the database's write lock (``SET LOCAL lock_timeout``), as it does on SQLite
(tests/test_s14_reviewfix.py)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text
from test_annotation_workflow import HEAD, _migrate
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from annotation_store import open_store
from annotation_store.db import PG_WRITE_LOCK_KEY, make_engine


def test_migration_0019_down_and_up_on_postgresql_keeps_a_token(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    try:
        store.create_annotator("bot", role="annotator", password="a-long-test-password")
        store.create_api_token("bot", "ci")
    finally:
        store.close()
    engine = make_engine(url)
    try:
        _migrate(engine, "downgrade", "0018")
        assert "expires_at" not in {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        _migrate(engine, "upgrade", "head")
        columns = {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        assert {"expires_at", "last_used_at"} <= columns
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            expires = connection.execute(text("SELECT expires_at FROM api_tokens")).scalars().all()
        assert len(expires) == 1 and expires[0] is not None  # the old token got an expiry at the upgrade
    finally:
        engine.dispose()


def test_migration_0020_down_and_up_on_postgresql_keeps_a_revoked_token(request: pytest.FixtureRequest) -> None:
    """Session 15 (tokens2): ``api_tokens.revoked_at`` is stamped on revoking, dropped by the downgrade, and back
    after the upgrade (NULL for the token revoked before it: its 401 says only that it was revoked)."""
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    try:
        store.create_annotator("bot", role="annotator", password="a-long-test-password")
        info, secret = store.new_api_token("bot", "ci")
        assert store.revoke_api_token(info.id) is not None
        bearer = store.token_bearer(secret)
        assert bearer is not None and bearer.revoked and bearer.revoked_at is not None
    finally:
        store.close()
    engine = make_engine(url)
    try:
        _migrate(engine, "downgrade", "0019")
        assert "revoked_at" not in {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
            assert connection.execute(text("SELECT revoked, revoked_at FROM api_tokens")).all() == [(True, None)]
    finally:
        engine.dispose()


def test_the_last_use_stamp_does_not_wait_for_a_writer_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    other = make_engine(url)
    try:
        store.create_annotator("bot", role="annotator", password="a-long-test-password")
        info, _secret = store.new_api_token("bot", "ci")
        held, release = threading.Event(), threading.Event()

        def hold_the_write_lock() -> None:  # an import or a judge batch in another process
            with other.connect() as connection, connection.begin():
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})")
                held.set()
                release.wait(10)

        writer = threading.Thread(target=hold_the_write_lock)
        writer.start()
        try:
            assert held.wait(10)
            started = time.monotonic()
            wrote = store.touch_api_token(info.id, datetime.now(UTC).replace(tzinfo=None))
            took = time.monotonic() - started
        finally:
            release.set()
            writer.join()
        assert wrote is False and took < 2.0  # gave up at once; a later request stamps it
        later = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)
        assert store.touch_api_token(info.id, later) is True
    finally:
        other.dispose()
        store.close()
