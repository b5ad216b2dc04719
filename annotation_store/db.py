"""Engine set-up and migrations.

SQLite gets WAL, a busy timeout and foreign keys on every connection, and write transactions take
the write lock up front (``BEGIN IMMEDIATE``) so two writers never deadlock half-way through: the
second one waits for the first instead of failing with "database is locked". PostgreSQL works with
the same code through a ``postgresql+psycopg://`` URL: there a write transaction takes a
transaction-scoped advisory lock up front, because under PostgreSQL's READ COMMITTED the store's
read-then-write upserts would otherwise race (two first writes of one label hit the unique
constraint; two changes both write version n + 1).

Two levels of that lock, so that annotation sessions do not wait for each other on PostgreSQL:

- ``WRITE``: the database-wide lock, exclusive (imports, settings, accounts, adjudications: the same
  one-writer-at-a-time rule as SQLite's).
- ``IN_SESSION``: the database-wide lock shared, then, once the transaction has read which session it
  answers in, that session's own lock, exclusive (``hold_session``). Leasing and submitting in one
  session stay one at a time, so the overlap k is exact per session, as the store's rules need; two
  sessions write side by side. What two sessions share is one person's answer per item and their
  lease row per item, and the unique constraints on those refuse the rare clash (one person answering
  the same item in two sessions at the same instant) as a conflict; everything else a session's
  write touches is its own (its leases, answers, draws, progress). Locks are always taken in that
  order (database, then session), so they cannot deadlock each other.

On SQLite both are ``BEGIN IMMEDIATE``: one writer at a time, whatever the session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = {"judge_studio_write": True}
IN_SESSION = {"judge_studio_write": "session"}
# Keys of the PostgreSQL advisory locks that write transactions hold; any constants work, they only have to
# be the same for every Judge Studio process on the database (advisory locks are per database). The
# session locks are (PG_SESSION_LOCK_SPACE, session id), in the two-integer key space, apart from the
# one-bigint key of the database-wide lock.
PG_WRITE_LOCK_KEY = 0x4A53545752  # the bytes "JSTWR"
PG_SESSION_LOCK_SPACE = 0x4A535353  # the bytes "JSSS"
PG_POOL_SIZE = 24


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        # Enough pooled connections for every thread that may be in a transaction at once (REST's
        # ``api_threads``, the UI's event workers): past the pool's size SQLAlchemy opens a connection per
        # transaction and closes it after, and a PostgreSQL connection costs a process fork and a login.
        engine = create_engine(url, pool_pre_ping=True, pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_SIZE)
        if engine.dialect.name == "postgresql":

            @event.listens_for(engine, "begin")
            def _on_begin_postgresql(connection: Any) -> None:
                # Released by COMMIT or ROLLBACK; a second writer waits here, before it has read anything.
                write = connection.get_execution_options().get("judge_studio_write", False)
                if write:
                    shared = "_shared" if write == "session" else ""
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock{shared}({PG_WRITE_LOCK_KEY})").close()

        return engine
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("judge_studio_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def hold_session(connection: Any, session_id: int) -> None:
    """In an ``IN_SESSION`` write transaction on PostgreSQL, take the lock of session ``session_id``
    (waits for that session's other writer; held until COMMIT or ROLLBACK). Nothing elsewhere: an
    exclusive transaction holds the whole database already, and SQLite has one writer at a time."""
    if connection.dialect.name != "postgresql":
        return
    if connection.get_execution_options().get("judge_studio_write", False) == "session":
        lock = f"SELECT pg_advisory_xact_lock({PG_SESSION_LOCK_SPACE}, {int(session_id)})"
        connection.exec_driver_sql(lock).close()


def upgrade_to_head(engine: Engine) -> None:
    """Run the Alembic migrations up to the newest revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**WRITE).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
