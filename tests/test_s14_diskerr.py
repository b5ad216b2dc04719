"""A full disk and a read-only data folder (s14 steward, findings 2 and 6): one line naming the cause, the place
and what happened to the data, on the CLI, over REST and in the UI; commands that only read work on a read-only
folder.

The disk fills for real: every new SQLite connection gets ``PRAGMA max_page_count`` at the size the file has, so
the next page written fails with SQLITE_FULL, as a full disk does. A read-only folder is real where the machine
lets us mount one (``unshare -rm``: a user namespace with a tmpfs remounted read-only); elsewhere the folder is
made to look read-only to the store (``storage.writable``), since tests run as root and root writes past 0555.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import Pool

from annotation_store import storage
from cli import main
from orchestration import DEMO_SESSION, Settings, Studio

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LLMBAR = DATA / "llmbar_mt_bench" / "dataset.json"
FULL_LINE = "is full; nothing was imported (the import is all or nothing). Free space and run it again."


@pytest.fixture
def disk_full() -> Iterator[None]:
    """While active, every new SQLite connection may not grow its file (SQLITE_FULL on the next new page)."""

    def cap(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count={max(pages, 1)}")

    event.listen(Pool, "connect", cap)
    yield
    event.remove(Pool, "connect", cap)


def _home(tmp_path: Path, seeded_db_template: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(seeded_db_template, home / "judge-studio.sqlite3")
    return home


def _count(home: Path, table: str) -> int:
    with sqlite3.connect(home / "judge-studio.sqlite3") as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.mark.skipif(not LLMBAR.is_file(), reason="needs ../shared/data")
def test_a_full_disk_during_import_is_one_line_and_nothing_is_imported(
    tmp_path: Path, seeded_db_template: Path, disk_full: None, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, seeded_db_template)
    prompts_before = _count(home, "prompts")
    with pytest.raises(SystemExit) as ended:
        main(["import", str(LLMBAR), "--format", "llmbar-dataset", "--home", str(home), "--no-progress"])
    said = str(ended.value.code)
    assert said == f"judge-studio: The disk holding {home / 'judge-studio.sqlite3'} {FULL_LINE}"
    assert "Traceback" not in capsys.readouterr().err
    assert _count(home, "prompts") == prompts_before  # all or nothing


def test_a_full_disk_over_rest_is_a_507_with_the_sentence_and_no_label_is_stored(
    tmp_path: Path, seeded_db_template: Path
) -> None:
    from fastapi.testclient import TestClient

    from web.server import create_api_app

    home = _home(tmp_path, seeded_db_template)
    studio = Studio.open(Settings(home=home))
    studio.store.create_annotator("alice", role="annotator", password="alice-pass-1")
    token = studio.access.api_token("alice")
    bearer = {"Authorization": f"Bearer {token}"}
    labels_before = _count(home, "labels")
    try:
        with TestClient(create_api_app(studio)) as client:
            item = client.post(f"/api/v1/sessions/{DEMO_SESSION}/next", headers=bearer).json()["item"]
            with _full(studio):
                answer = client.post(
                    "/api/v1/labels",
                    headers=bearer,
                    json={"session": DEMO_SESSION, "item": item["item"], "choice": "left"},
                )
            assert answer.status_code == 507, answer.text
            assert answer.json() == {
                "detail": f"The disk holding {home / 'judge-studio.sqlite3'} is full; nothing was saved. "
                "Free space and try again."
            }
    finally:
        studio.store.close()
    assert _count(home, "labels") == labels_before


class _full:
    """The store's writes refused the way SQLite refuses them on a full disk (a label fits in a page the file
    already has, so ``max_page_count`` alone would not stop it)."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    @staticmethod
    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")

    def __enter__(self) -> None:
        event.listen(self.studio.store.engine, "before_cursor_execute", self.refuse)

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.studio.store.engine, "before_cursor_execute", self.refuse)


def test_the_ui_boundary_shows_the_sentence_not_something_went_wrong(tmp_path: Path) -> None:
    from ui.errors import as_bug

    path = tmp_path / "judge-studio.sqlite3"
    storage.remember(path)
    full = OperationalError("INSERT ...", {}, sqlite3.OperationalError("database or disk is full"))
    shown = as_bug(test_the_ui_boundary_shows_the_sentence_not_something_went_wrong, full)
    assert shown.message == f"The disk holding {path} is full; nothing was saved. Free space and try again."


def test_a_write_refused_by_a_read_only_file_names_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "judge-studio.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    said = storage.storage_problem(refused.value, path, nothing="nothing was written", on_cli=True)
    assert said == (
        f"The data folder {tmp_path} is read-only: nothing was written. Commands that only read "
        "(datasets list, datasets runs, sessions activity, export, metrics, report, backup) still work. "
        "Make it writable, or use another folder (--home)."
    )
    # "unable to open database file" is read-only only when the folder is there and not writable
    cannot = sqlite3.OperationalError("unable to open database file")
    assert storage.storage_problem(cannot, path) is None  # writable: an outage (annotation_store/outage.py)
    assert storage.storage_problem(cannot, tmp_path / "gone" / "judge-studio.sqlite3") is None
    monkeypatch.setattr(storage, "writable", lambda _path: False)
    assert storage.storage_problem(cannot, path) == (
        f"The data folder {tmp_path} is read-only: nothing was saved. Make it writable, or use another folder (--home)."
    )


def test_reading_commands_open_a_read_only_folder_read_only(
    tmp_path: Path, seeded_db_template: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, seeded_db_template)
    monkeypatch.setattr(storage, "writable", lambda _path: False)
    monkeypatch.setattr(storage, "read_only_mount", lambda _path: True)  # immutable=1 only there (review s14, 4)
    main(["datasets", "list", "--home", str(home)])
    out, err = capsys.readouterr()
    assert "judge-studio-demo" in out
    assert f"judge-studio: note: Opened {home / 'judge-studio.sqlite3'} read-only" in err
    target = tmp_path / "wide.jsonl"
    main(["export", "--dataset", "judge-studio-demo", "--kind", "wide", "-o", str(target), "--home", str(home)])
    assert "Exported" in capsys.readouterr().err and len(target.read_text().splitlines()) > 0
    assert not Path(f"{home / 'judge-studio.sqlite3'}-wal").exists()  # immutable: no -wal or -shm made


_IN_NAMESPACE = textwrap.dedent(
    """
    set -e
    mount -t tmpfs -o size=20m tmpfs "$ROOT"
    mkdir "$ROOT/home" && cp "$TEMPLATE" "$ROOT/home/judge-studio.sqlite3"
    mount -o remount,ro "$ROOT"
    run() { "$PY" -c 'import sys; from cli import main; main(sys.argv[1:])' "$@" --home "$ROOT/home"; }
    set +e
    run datasets list > "$OUT/list.txt" 2> "$OUT/list.err"; echo "$?" > "$OUT/list.rc"
    run export --dataset judge-studio-demo --kind wide -o "$OUT/wide.jsonl" > /dev/null 2>&1
    echo "$?" > "$OUT/export.rc"
    run import "$DATA" --format llmbar-dataset --no-progress > /dev/null 2> "$OUT/import.err"
    echo "$?" > "$OUT/import.rc"
    """
)


def test_a_really_read_only_folder_reads_and_refuses_writes_in_one_line(
    tmp_path: Path, seeded_db_template: Path
) -> None:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-rm", "true"], check=False).returncode:
        pytest.skip("no user namespaces here to mount a read-only folder")
    (tmp_path / "mnt").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    env = {
        "ROOT": str(tmp_path / "mnt"),
        "TEMPLATE": str(seeded_db_template),
        "OUT": str(out),
        "PY": sys.executable,
        "DATA": str(LLMBAR),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    subprocess.run(["unshare", "-rm", "bash", "-c", _IN_NAMESPACE], env=env, check=True, timeout=300)
    home = tmp_path / "mnt" / "home"
    assert (out / "list.rc").read_text().strip() == "0" and "demo" in (out / "list.txt").read_text()
    assert "read-only" in (out / "list.err").read_text()
    assert (out / "export.rc").read_text().strip() == "0"
    assert [json.loads(line) for line in (out / "wide.jsonl").read_text().splitlines()]
    assert (out / "import.rc").read_text().strip() == "1"
    assert (out / "import.err").read_text().strip() == (
        f"judge-studio: The data folder {home} is read-only: nothing was imported (the import is all or nothing). "
        "Commands that only read (datasets list, datasets runs, sessions activity, export, metrics, report, backup) "
        "still work. "
        "Make it writable, or use another folder (--home)."
    )
