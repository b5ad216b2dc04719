"""Engine set-up and migrations.

SQLite gets WAL, a busy timeout and foreign keys on every connection, and write transactions take
the write lock up front (``BEGIN IMMEDIATE``) so two writers never deadlock half-way through: the
second one waits for the first instead of failing with "database is locked". PostgreSQL works with
the same code through a ``postgresql+psycopg://`` URL: there a write transaction takes a
transaction-scoped advisory lock up front, the same one-writer-at-a-time rule as SQLite's, because
under PostgreSQL's READ COMMITTED the store's read-then-write upserts would otherwise race (two first
writes of one label hit the unique constraint; two changes both write version n + 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = {"judge_studio_write": True}
# Key of the PostgreSQL advisory lock that write transactions hold; any constant works, it only has to be
# the same for every Judge Studio process on the database (advisory locks are per database).
PG_WRITE_LOCK_KEY = 0x4A53545752  # the bytes "JSTWR"


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "postgresql":

            @event.listens_for(engine, "begin")
            def _on_begin_postgresql(connection: Any) -> None:
                # Released by COMMIT or ROLLBACK; a second writer waits here, before it has read anything.
                if connection.get_execution_options().get("judge_studio_write", False):
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_WRITE_LOCK_KEY})").close()

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


def upgrade_to_head(engine: Engine) -> None:
    """Run the Alembic migrations up to the newest revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**WRITE).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
