"""``judge-studio backup FILE``: a consistent copy of the SQLite database, safe while servers run."""

from __future__ import annotations

import argparse

from cli.options import add_settings
from settings import Settings


def add_backup(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Copy the SQLite database to FILE while servers keep running (SQLite's backup API: what is still in "
        "the -wal file is included, which a plain cp misses). The copy is made readable by you only (0600): it "
        "holds every account and the key that signs login cookies. For PostgreSQL it prints the pg_dump command."
    )
    add_settings(parser, "backup")
    parser.add_argument("file", metavar="FILE", help="where to write the copy, e.g. /backups/js-$(date +%%F).sqlite3")
    parser.add_argument("--force", action="store_true", help="replace FILE when it exists")


def backup_command(settings: Settings, args: argparse.Namespace) -> None:
    from annotation_store.backup import backup_sqlite

    done = backup_sqlite(settings.database, args.file, overwrite=args.force)
    print(
        f"Backed up {done.source} to {done.target} ({done.size / 1e6:.1f} MB, mode 0600). To restore: stop the "
        "servers, put the copy in the database's place, remove its -wal and -shm files, start again."
    )
