"""A consistent copy of the SQLite database while servers run (``judge-studio backup FILE``).

Copying ``judge-studio.sqlite3`` with ``cp`` (or a file-level backup tool) loses what is still in its
``-wal`` file: the last committed transactions live there until a checkpoint moves them into the main
file (s12: a copy held 3333 labels of 3389). SQLite's online backup API reads the database as one read
transaction (WAL included) and writes every page into the copy, while writers go on.

The copy holds everything the database does, the key that signs login cookies included, so it is made
readable by its owner only (0600), written beside its final name and renamed into place only once it is
complete and checked. It is left in rollback-journal mode: one self-contained file, no ``-wal`` beside it.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from annotation_store.db import shown_url
from annotation_store.errors import StoreError
from annotation_store.storage import read_only_uri


@dataclass(frozen=True)
class BackupResult:
    source: Path
    target: Path
    size: int  # bytes


def sqlite_path(location: str) -> Path | None:
    """The SQLite file a database setting names (a path or a ``sqlite:///`` URL), or None for another database."""
    if "://" not in location:
        return Path(location).expanduser()
    url = make_url(location)
    if url.get_backend_name() != "sqlite":
        return None
    return Path(url.database or "").expanduser()


def pg_dump_hint(location: str, target: str | Path) -> str:
    """The ``pg_dump`` command for a PostgreSQL database: its password never printed (``shown_url``, then
    the mask dropped: pg_dump reads it from PGPASSWORD or ~/.pgpass), in a subshell with ``umask 077`` so
    the dump is made 0600 like a SQLite backup (pg_dump itself makes it 0644, readable by everyone: s13)."""
    plain = make_url(location).set(drivername="postgresql").render_as_string(hide_password=False)
    shown = shown_url(plain).replace(":***@", "@")
    return (
        f"judge-studio backup copies SQLite files; for PostgreSQL use pg_dump (password from PGPASSWORD or "
        f"~/.pgpass): (umask 077 && pg_dump --format=custom --file {shlex.quote(str(target))} '{shown}'). "
        "umask 077 makes the dump readable by you only: it holds every password hash and the key that signs "
        "login cookies. Nothing was written."
    )


def backup_sqlite(location: str, target: str | Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database ``location`` to ``target`` (mode 0600), consistent while others write."""
    source = sqlite_path(location)
    if source is None:
        raise StoreError(pg_dump_hint(location, target))
    if not source.is_file():
        raise StoreError(f"There is no database at {source}; nothing was written.")
    final = Path(target).expanduser()
    if final.resolve() in {source.resolve(), Path(f"{source}-wal").resolve(), Path(f"{source}-shm").resolve()}:
        raise StoreError(f"{final} is the database itself; name another file. Nothing was written.")
    if final.is_dir():
        raise StoreError(f"{final} is a folder; name the backup file, e.g. {final / 'judge-studio.sqlite3'}.")
    if final.exists() and not overwrite:
        raise StoreError(f"{final} exists; choose another name or add --force to replace it. Nothing was written.")
    if not final.parent.is_dir():
        raise StoreError(f"The folder {final.parent} does not exist; nothing was written.")
    partial = final.with_name(f".{final.name}.partial-{os.getpid()}")
    try:
        _copy(source, partial)
        os.replace(partial, final)
    finally:
        for leftover in (partial, Path(f"{partial}-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return BackupResult(source=source, target=final, size=final.stat().st_size)


def _copy(source: Path, partial: Path) -> None:
    """The backup API into ``partial`` (created 0600 before SQLite opens it), then checked."""
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    # read-only: a backup never creates, migrates or checkpoints the live database
    # (on a read-only folder: immutable, since SQLite cannot make the -shm file there; storage.read_only_uri)
    src = sqlite3.connect(read_only_uri(source.resolve()), uri=True, timeout=30)
    dest = sqlite3.connect(partial)
    try:
        src.backup(dest)  # every page in one step: one read transaction, so one consistent state
        dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal next to the copy
        found = dest.execute("PRAGMA quick_check").fetchone()[0]
        if found != "ok":
            raise StoreError(f"The copy failed SQLite's check ({found}); nothing was written.")
    except sqlite3.Error as exc:
        raise StoreError(f"The backup of {source} failed: {exc}. Nothing was written.") from exc
    finally:
        dest.close()
        src.close()
    with open(partial, "rb") as copy:
        os.fsync(copy.fileno())
