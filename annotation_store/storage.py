"""A disk that is full or a data folder that is read-only: how to recognise it and the one line a user reads.

SQLite says "database or disk is full" (``SQLITE_FULL``) when a write finds no room, and "attempt to write a
readonly database" or, at ``PRAGMA journal_mode=WAL`` on a read-only folder, "unable to open database file"
when it may not write (s14 steward: both ended the CLI in a 71-line traceback). ``storage_problem(exc)`` is the
one rule every interface asks (the CLI's boundary in ``cli/__init__.py``, ``web/outage.py`` for HTTP,
``ui/errors.py`` for the pages): a sentence naming the cause, the place and what happened to the data, or
None for anything else. Nothing was written in either case: the transaction was not committed.

"unable to open database file" counts as read-only only when the file or its folder is in fact not writable;
otherwise it stays an outage (``annotation_store/outage.py``).

A read-only data folder can still be read: ``read_only_url`` opens the SQLite file with ``mode=ro`` (and, on a
read-only mount, ``immutable=1`` when no write-ahead log is left beside it, because SQLite cannot make the -shm
file there), and ``open_store(..., reading=True)`` uses it, skipping the migrations.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from annotation_store.outage import causes

FULL = "full"
READ_ONLY = "read-only"

#: The commands that only read the database (``open_store(..., reading=True)``).
READING_COMMANDS = "datasets list, datasets runs, sessions activity, export, metrics, report, backup"

_FULL_TEXT = ("database or disk is full",)
_READ_ONLY_TEXT = ("attempt to write a readonly database",)
_CANNOT_OPEN_TEXT = ("unable to open database file",)
# PostgreSQL's disk_full and the class 53 "insufficient resources" codes about storage.
_PG_FULL = ("53100",)

# The SQLite file this process opened last (``open_store``): the place a message names when its caller does not
# know it (the web and UI boundaries; a server opens one store).
_opened: list[Path] = []


def sqlite_path(location: str | Path | None) -> Path | None:
    """The SQLite file of a database setting (a path or a ``sqlite:///`` URL), or None (PostgreSQL, memory)."""
    if location is None:
        return None
    text = str(location)
    if "://" in text:
        if not text.startswith("sqlite"):
            return None
        database = make_url(text).database or ""
        if database.startswith("file:"):
            database = database[5:].split("?")[0]
        text = database
    if not text or text == ":memory:":
        return None
    return Path(text).expanduser().resolve()


def remember(location: str | Path) -> None:
    """Note the SQLite file this process opened (``open_store``), for messages that do not name one."""
    path = sqlite_path(location)
    if path is not None:
        _opened[:] = [path]


def writable(path: Path) -> bool:
    """Whether this process may write the SQLite file and make its -wal/-shm files beside it (``access(2)``: a
    read-only mount says no even to root)."""
    folder_ok = os.access(path.parent, os.W_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def read_only_mount(path: Path) -> bool:
    """Whether the file system holding ``path`` (or its folder) is mounted read-only (``ST_RDONLY``): nobody can
    be writing the database there."""
    where = path if path.exists() else path.parent
    try:
        return bool(os.statvfs(where).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def read_only_uri(path: Path) -> str:
    """SQLite's URI that opens ``path`` for reading only: ``mode=ro``, and, on a read-only mount with no write-ahead
    log beside the file, ``immutable=1`` (SQLite cannot create the -shm file there; with a -wal file left behind,
    its -shm is there too and ``mode=ro`` reads the log's pages). Anywhere else ``mode=ro`` alone, even where this
    process may not write: another user's server may be writing it, and ``immutable=1`` would read stale pages
    (review s14, finding 4); a folder this process cannot write without a -shm file is then "unable to open"."""
    wal = Path(f"{path}-wal")
    frozen = read_only_mount(path) and not (wal.exists() and wal.stat().st_size > 0)
    return f"file:{quote(str(path))}?mode=ro{'&immutable=1' if frozen else ''}"


def read_only_url(path: Path) -> str:
    """``read_only_uri`` as a SQLAlchemy URL (``open_store(..., reading=True)``)."""
    return f"sqlite:///{read_only_uri(path)}&uri=true"


def _kind_of(found: BaseException) -> str | None:
    """FULL, READ_ONLY or ``"cannot open"`` for one driver exception (no chain)."""
    if isinstance(found, OSError):
        return {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY}.get(found.errno or 0)
    if isinstance(found, sqlite3.Error):
        text = str(found).lower()
        name = getattr(found, "sqlite_errorname", "") or ""
        if name == "SQLITE_FULL" or text.startswith(_FULL_TEXT):
            return FULL
        if name.startswith("SQLITE_READONLY") or text.startswith(_READ_ONLY_TEXT):
            return READ_ONLY
        return "cannot open" if text.startswith(_CANNOT_OPEN_TEXT) else None
    state = getattr(found, "sqlstate", None) or getattr(found, "pgcode", None)
    return FULL if state in _PG_FULL else None


def _kind(exc: BaseException) -> str | None:
    """The first kind ``_kind_of`` finds in ``exc`` or what it was raised from (``outage.causes``)."""
    for found in causes(exc, groups=False):
        if not isinstance(found, DBAPIError) and (kind := _kind_of(found)) is not None:
            return kind
    return None


def _place(location: str | Path | None) -> Path | None:
    return sqlite_path(location) if location is not None else (_opened[0] if _opened else None)


def storage_problem_kind(exc: BaseException, location: str | Path | None = None) -> str | None:
    """FULL, READ_ONLY or None: what ``storage_problem`` recognises in ``exc`` (for an HTTP status)."""
    kind = _kind(exc)
    if kind == "cannot open":  # a read-only folder, or an outage (a missing or vanished folder)
        path = _place(location)
        # a folder that is gone is an outage (outage.py), one that is there but not writable is read-only
        return READ_ONLY if path is not None and path.parent.is_dir() and not writable(path) else None
    return kind


def storage_problem(
    exc: BaseException,
    location: str | Path | None = None,
    *,
    nothing: str = "nothing was saved",
    again: str = "try again",
    on_cli: bool = False,
) -> str | None:
    """The one line for a full disk or a read-only data folder behind ``exc`` (anywhere in its chain), or None.

    ``location``: the database setting (default: the SQLite file this process opened); ``nothing``: what
    happened to the data ("nothing was imported (the import is all or nothing)"); ``again``: what to do once
    there is room; ``on_cli``: name the commands that still work on a read-only folder."""
    kind = storage_problem_kind(exc, location)
    if kind is None:
        return None
    path = _place(location)
    if kind == FULL:
        where = f"The disk holding {path}" if path is not None else "The database's disk"
        return f"{where} is full; {nothing}. Free space and {again}."
    folder = f"The data folder {path.parent}" if path is not None else "The database's folder"
    reading = f" Commands that only read ({READING_COMMANDS}) still work." if on_cli else ""
    return f"{folder} is read-only: {nothing}.{reading} Make it writable, or use another folder (--home)."


__all__ = [
    "FULL",
    "READING_COMMANDS",
    "READ_ONLY",
    "read_only_mount",
    "read_only_uri",
    "read_only_url",
    "remember",
    "sqlite_path",
    "storage_problem",
    "storage_problem_kind",
    "writable",
]
