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
- ``IN_SESSION`` (leasing and submitting in a session): the database-wide lock shared, then finer
  ones, exclusive, taken by ``annotation_store/answers.py`` once it knows the session, the person and
  the item: the person's lock in that session (one request of theirs at a time), the lock of the item
  they submit, and, when it hands out the next item, the lock of that item, tried without waiting
  (``try_lock``: an item someone else is busy with is passed over for the next one). The overlap k is
  checked under the item's lock, so it stays exact while annotators of one session write side by
  side. Sessions that draw at random (judge-uncertain-first: the draw's probability needs the whole
  pool as it is) take the session's lock instead (``hold_session``). What two sessions share is one
  person's answer per item and their lease row per item, and the unique constraints on those refuse
  the rare clash (one person answering the same item in two sessions at the same instant) as a
  conflict.

On SQLite both are ``BEGIN IMMEDIATE``: one writer at a time, whatever the session.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from annotation_store.outage import pg_state_unreachable
from errors import Unavailable

MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = {"judge_studio_write": True}
IN_SESSION = {"judge_studio_write": "session"}
# A best-effort shared write that never waits for the write lock (a token's last-use stamp on a REST read):
# SQLite's BEGIN IMMEDIATE and PostgreSQL's locks give up at once when another writer holds them
# (``OperationalError``: the caller skips the write).
NOWAIT_IN_SESSION = {"judge_studio_write": "session", "judge_studio_nowait": True}
SQLITE_BUSY_TIMEOUT_MS = 30000
PG_NOWAIT_LOCK_TIMEOUT = "50ms"
# Keys of the PostgreSQL advisory locks that write transactions hold; any constants work, they only have to
# be the same for every Judge Studio process on the database (advisory locks are per database). The
# session locks are (PG_SESSION_LOCK_SPACE, session id), in the two-integer key space, apart from the
# one-bigint key of the database-wide lock.
PG_WRITE_LOCK_KEY = 0x4A53545752  # the bytes "JSTWR"
PG_SESSION_LOCK_SPACE = 0x4A535353  # the bytes "JSSS"
PG_POOL_SIZE = 24
# How long opening a PostgreSQL connection may take before it fails (psycopg's own default is 130 s, the
# operating system's TCP give-up time): a server that drops packets (a firewall, a host that went away)
# otherwise holds each request that needs a new connection for two minutes. Failing after this many seconds
# is an outage like a refused connection (503, ``annotation_store/outage.py``). A ``connect_timeout`` in
# the database URL (``...?connect_timeout=30``) or the ``PGCONNECT_TIMEOUT`` environment variable wins.
PG_CONNECT_TIMEOUT_S = 10


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


# The password of a URL SQLAlchemy cannot read: from the first ":" after the user name to the last "@".
_PASSWORD_IN_URL = re.compile(r"(://[^:/@]*):.*@")


def shown_url(location: str | Path) -> str:
    """The database setting as it may be printed or logged: a URL with its password as ``***``
    (``postgresql+psycopg://js:***@host:5432/db``), a SQLite path as it is. Every message that names the
    database goes through this one function (s13: ``serve``'s banner and every command's "Database:" line
    printed the password, so it sat in server logs and on shared screens)."""
    text = str(location)
    if "://" not in text:
        return text
    try:
        url = make_url(text)
    except Exception:  # not a URL SQLAlchemy reads (the message about it names it): mask by hand
        return _PASSWORD_IN_URL.sub(r"\1:***@", text)
    if "@" in (url.host or ""):  # an unescaped "@" in the password: part of it was read as the host
        return _PASSWORD_IN_URL.sub(r"\1:***@", text)
    return url.render_as_string(hide_password=True)


def _password_in_host(location: str) -> bool:
    try:
        return "@" in (make_url(location).host or "")
    except Exception:
        return False


def unreachable_error(location: str | Path, exc: BaseException) -> Unavailable | None:
    """The one-line error for a database server that cannot be reached or refuses the login (SQLAlchemy's
    ``OperationalError`` on PostgreSQL: connection refused, no such host, wrong password, no such role or
    database), naming the database without its password; None for any other error (a lock timeout, a
    serialization failure; SQLite's errors). The CLI's error boundary and ``open_store`` use it."""
    if not isinstance(exc, OperationalError) or "://" not in str(location) or str(location).startswith("sqlite"):
        return None
    state = getattr(exc.orig, "sqlstate", None)  # None: the connection itself failed (psycopg sets none)
    if not pg_state_unreachable(state, opening=True):
        return None
    lines = [line.strip() for line in str(exc.orig or exc).splitlines() if line.strip()]
    said = (lines[0] if lines else type(exc).__name__).rstrip(".")
    if _password_in_host(str(location)):  # the driver's line names that "host": a piece of the password
        said = 'the password holds an "@", which ends it early: write it as %40 in the URL'
    return Unavailable(
        f"Could not reach the database at {shown_url(location)}: {said}. "
        "Is the server running and are the name and password right?"
    )


def private_sqlite_file(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (0600), in folders made 0700 where they are
    missing: the file holds the key that signs login cookies (``app_secrets``), so a copy of it lets one
    forge a cookie for any active account. SQLite creates the -wal and -shm files with the database
    file's mode, so they follow. A file or folder that already exists is left as it is (the owner may
    have chosen its mode: a group-readable team folder, a backup job); ``loose_permissions`` says so."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # another process made it first
            continue
    with contextlib.suppress(FileExistsError):  # SQLite takes an empty file as a new database
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def loose_permissions(location: str) -> str | None:
    """A warning when the SQLite database (or its -wal/-shm file) can be read or written by other users of
    this machine, else None (PostgreSQL, a missing file, or a system without POSIX modes). Said once at
    serve; files are not changed behind the owner's back."""
    if os.name != "posix" or ("://" in location and not location.startswith("sqlite")):
        return None
    path = Path(make_url(location).database or "") if "://" in location else Path(location).expanduser()
    loose = [f for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if f.is_file() and f.stat().st_mode & 0o077]
    if not loose:
        return None
    modes = ", ".join(f"{f.name} {f.stat().st_mode & 0o777:o}" for f in loose)
    return (
        f"Warning: other users of this machine can read the database ({modes}), which holds the key that "
        f"signs login cookies: with a copy they could sign in as anyone. Run: chmod 600 {path}* && "
        f"chmod 700 {path.parent}"
    )


def pg_connect_args(query: Mapping[str, Any]) -> dict[str, Any]:
    """What ``make_engine`` adds to a PostgreSQL connection's parameters: ``connect_timeout``
    (``PG_CONNECT_TIMEOUT_S``) unless the URL's query or ``PGCONNECT_TIMEOUT`` sets one."""
    if "connect_timeout" in query or os.environ.get("PGCONNECT_TIMEOUT", "").strip():
        return {}
    return {"connect_timeout": PG_CONNECT_TIMEOUT_S}


def make_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        parsed = make_url(url)
        if parsed.drivername in {"postgresql", "postgres"}:  # psycopg (3) is the driver installed, whatever
            parsed = parsed.set(drivername="postgresql+psycopg")  # SQLAlchemy's default (2.0: psycopg2)
        # Enough pooled connections for every thread that may be in a transaction at once (REST's
        # ``api_threads``, the UI's event workers): past the pool's size SQLAlchemy opens a connection per
        # transaction and closes it after, and a PostgreSQL connection costs a process fork and a login.
        engine = create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=PG_POOL_SIZE,
            max_overflow=PG_POOL_SIZE,
            connect_args=pg_connect_args(parsed.query),
        )
        if engine.dialect.name == "postgresql":

            @event.listens_for(engine, "begin")
            def _on_begin_postgresql(connection: Any) -> None:
                # Released by COMMIT or ROLLBACK; a second writer waits here, before it has read anything.
                write = connection.get_execution_options().get("judge_studio_write", False)
                if write:
                    if connection.get_execution_options().get("judge_studio_nowait", False):
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{PG_NOWAIT_LOCK_TIMEOUT}'").close()
                    shared = "_shared" if write == "session" else ""
                    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock{shared}({PG_WRITE_LOCK_KEY})").close()

        return engine
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_sqlite_file(Path(database).expanduser())
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    read_only = "mode=ro" in url

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        if not read_only:  # a read-only file keeps the journal mode it has (storage.read_only_url)
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        write = options.get("judge_studio_write", False)
        if not (write and options.get("judge_studio_nowait", False)):
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        connection.exec_driver_sql("PRAGMA busy_timeout=0")  # busy: fail at once, not after 30 s
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:  # the lock is held (or not taken): the pooled connection waits as usual again
            connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")

    return engine


def _in_session(connection: Any) -> bool:
    """An ``IN_SESSION`` write transaction on PostgreSQL (elsewhere the locks below are no-ops: an
    exclusive transaction holds the whole database already, and SQLite has one writer at a time)."""
    options = connection.get_execution_options()
    return connection.dialect.name == "postgresql" and options.get("judge_studio_write", False) == "session"


def hold_session(connection: Any, session_id: int) -> None:
    """The lock of the whole session ``session_id`` (sessions that draw at random: ``answers.session_pool``);
    waits for that session's other writers, held until COMMIT or ROLLBACK."""
    if _in_session(connection):
        lock = f"SELECT pg_advisory_xact_lock({PG_SESSION_LOCK_SPACE}, {int(session_id)})"
        connection.exec_driver_sql(lock).close()


# Tags of the finer locks in the one-bigint key space: (tag, session, id) packed into one positive bigint,
# never equal to PG_WRITE_LOCK_KEY (its tag bits are 0).
_LOCK_TAGS = {"person": 1, "comparison_id": 2, "response_id": 3}


def lock_key(what: str, session_id: int | None, ident: int) -> int:
    return (_LOCK_TAGS[what] << 56) | ((int(session_id or 0) & 0xFFFFFF) << 32) | (int(ident) & 0xFFFFFFFF)


def finer_locks(connection: Any) -> bool:
    """Whether this transaction locks people and items one by one (``hold``, ``try_lock``)."""
    return _in_session(connection)


def hold(connection: Any, session_id: int | None, *locks: tuple[str, int]) -> None:
    """Wait for and take, in the order given and in one round trip, the locks of a person
    (``("person", id)``) and of an item (``("comparison_id", id)``, ``("response_id", id)``) in a
    session, until COMMIT or ROLLBACK. A transaction waits for at most one person's and then one item's
    lock, in that order, and only tries the others (``try_lock``): whoever holds a lock it waits for is
    never itself waiting, so these locks cannot deadlock."""
    if _in_session(connection):
        calls = ", ".join(f"pg_advisory_xact_lock({lock_key(what, session_id, ident)})" for what, ident in locks)
        connection.exec_driver_sql(f"SELECT {calls}").close()  # evaluated left to right


def try_lock(connection: Any, what: str, session_id: int | None, ident: int) -> Any:
    """A SQL expression that takes that lock if nobody holds it (true), else does not wait (false); on
    other engines, true. Read what it guards in a later statement (a statement's snapshot predates it)."""
    from sqlalchemy import func, true

    return func.pg_try_advisory_xact_lock(lock_key(what, session_id, ident)) if _in_session(connection) else true()


# A migration's ``revision`` and ``down_revision`` lines (``revision: str = "0022"``); a merge (a tuple of down
# revisions) or any other form matches nothing, and ``head_revision`` then leaves the answer to Alembic.
_REVISION_LINE = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(?:None|[\"']([^\"'\n]+)[\"'])\s*$", re.M)


@functools.cache
def head_revision() -> str | None:
    """The newest migration's revision id, read from the files in ``migrations/versions`` without importing
    Alembic (about 0.4 s of every command's start-up): the one revision no other names as its
    ``down_revision``. None when the files are not that simple (a merge, a branch): ask Alembic then."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found or found["revision"] is None:
            return None
        revisions.add(found["revision"])
        if found["down_revision"] is not None:
            downs.add(found["down_revision"])
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and downs <= revisions else None


def stored_revision(engine: Engine) -> str | None:
    """The revision the database's tables are at (Alembic's ``alembic_version``), None for a new database; a
    database stamped with several heads gives them joined by "+", which no migration file is named, so the caller
    leaves the decision to Alembic (review18c 5: the first row alone could match the head)."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = sorted(str(row) for row in connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return "+".join(rows) if rows else None


def known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this version's migrations (its file ``migrations/versions/<revision>_*.py``):
    a database at an unknown one was made by a newer version of Judge Studio."""
    import glob

    return any((MIGRATIONS / "versions").glob(f"{glob.escape(revision)}_*.py"))


def where_shown(engine: Engine) -> str:
    """The database an engine opens, as messages name it: a SQLite file's path, a URL without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database or "").removeprefix("file:").split("?")[0]
    return url.render_as_string(hide_password=True)


def upgrade_notice(where: str, stored: str, head: str) -> str:
    """The one line every command and ``serve`` print on stderr before migrating an existing database."""
    return (
        f"Upgrading the database at {where} from migration {stored} to {head}; this can take a minute on a large "
        "database, and needs free space about its size. Interrupting leaves it as it was."
    )


# The upgrade running now, (database, stored revision), for what Ctrl-C says (``upgrade_interrupted_note``).
_UPGRADING: list[tuple[str, str]] = []


def upgrade_interrupted_note() -> str:
    """What Ctrl-C adds after "interrupted." while an upgrade runs ('' otherwise): the migrations run in one
    transaction, which SQLite and PostgreSQL roll back when the process ends inside it."""
    if not _UPGRADING:
        return ""
    where, stored = _UPGRADING[-1]
    return (
        f"The database upgrade was stopped before it finished: the database at {where} was left as it was "
        f"(migration {stored}); the next command upgrades it again."
    )


def upgrade_to_head(engine: Engine) -> None:
    """Run the Alembic migrations up to the newest revision (idempotent). A database already at the newest
    revision (``head_revision``, read without Alembic) is left alone without importing Alembic at all. Before
    migrating an existing database it prints one line on stderr (``upgrade_notice``), read again under the
    write lock: of two processes starting together only the one that migrates says so."""
    head = head_revision()
    if head is not None and stored_revision(engine) == head:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = head or ScriptDirectory.from_config(config).get_current_head()
    try:
        with engine.execution_options(**WRITE).begin() as connection:
            has_version = inspect(connection).has_table("alembic_version")
            stored = (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar() if has_version else None
            )
            if stored is not None and stored != head and known_revision(stored):
                print(upgrade_notice(where_shown(engine), stored, str(head)), file=sys.stderr, flush=True)
                _UPGRADING.append((where_shown(engine), stored))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except KeyboardInterrupt:  # raised by code (the CLI's Ctrl-C handler ends the process and says the note itself)
        if note := upgrade_interrupted_note():
            print(note, file=sys.stderr, flush=True)
        raise
    finally:
        _UPGRADING.clear()
