"""Small builders several test files share: a JSONL file, the real ``judge-studio import`` run, SQL reads of a
test database (plain ``sqlite3``, so a test checks what is stored, not what the store says), and a data folder
holding a copy of the seeded database with a Studio and accounts over it, and the REST app of that Studio."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli import main
from orchestration import Settings, Studio

#: The password of the accounts ``accounts_studio`` makes.
PASSWORD = "a-long-test-password"


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


def seeded_home(seeded_db_template: Path, tmp_path: Path) -> Path:
    """``tmp_path / "home"``: a data folder holding a copy of the seeded test database (conftest's
    ``seeded_db_template``)."""
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(seeded_db_template, folder / "judge-studio.sqlite3")
    return folder


def accounts_studio(home: Path, accounts: tuple[tuple[str, str], ...], **settings: Any) -> Studio:
    """``Studio.open`` over ``home`` with ``settings``, and the ``accounts`` ((name, role), in this order) made with
    ``PASSWORD``."""
    studio = Studio.open(Settings(home=home, **settings))
    for name, role in accounts:
        studio.store.create_annotator(name, role=role, password=PASSWORD)
    return studio


def closing(studio: Studio) -> Iterator[Studio]:
    """A fixture's body: ``yield from closing(studio)`` hands ``studio`` to the test and closes its store after."""
    try:
        yield studio
    finally:
        studio.store.close()


def api_app(studio: Studio) -> Any:
    """The REST app (``web.server.create_api_app``) of ``studio``, with no Gradio UI mounted."""
    from web.server import create_api_app

    return create_api_app(studio)
