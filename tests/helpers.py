"""Small builders several test files share: a JSONL file, the real ``judge-studio import`` run, and SQL reads of a
test database (plain ``sqlite3``, so a test checks what is stored, not what the store says)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from cli import main


def jsonl_file(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` to ``path``, one JSON object a line; returns ``path``."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def cli_import(
    home: Path, file: Path, *args: str, capsys: pytest.CaptureFixture[str], fmt: str = ""
) -> tuple[str, str]:
    """Run ``judge-studio import`` (format: ``fmt``, else the file's suffix); returns (what it printed, the
    one-line error or "")."""
    try:
        main(["import", str(file), "--format", fmt or file.suffix.lstrip("."), "--home", str(home), *args])
    except SystemExit as exit_:
        return capsys.readouterr().out, str(exit_.code)
    return capsys.readouterr().out, ""


def home_rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` reads from the database in ``home`` (none while no database was created)."""
    database = home / "judge-studio.sqlite3"
    if not database.exists():
        return []
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


def sql_rows(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    """The rows ``query`` (with ``args``) reads from the SQLite database at ``path``."""
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()
