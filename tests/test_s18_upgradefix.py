"""An old home upgraded to this version (s18 upgrader's findings 1, 2, 8, 9 and the version line):

1. an older database that cannot be upgraded here (a read-only folder) is refused at open in one line naming its
   migration, the one this version needs and what to do (it printed a 70-line traceback per reading command);
2. the upgrade says, in one line on stderr, what it does before it starts (nothing when there is nothing to do), and
   Ctrl-C during it says the database was left as it was (it is: the migrations run in one transaction);
3. ``judge-studio --version`` names the database schema (checked in test_s18_pyapi.py without Alembic or pandas);
4. ``judge-studio sessions list``: the sessions as the Admin page's table lists them, without pandas or Alembic;
5. imported labels: the labels export leaves ``created_at`` empty and gives the import time in ``updated_at``, the
   time the metrics' "they carry their import time" speaks of (by design, also on a fresh import).

The older databases are made by migrating a new one and downgrading it with Alembic (as test_s18_lightstore.py).
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_s16_light_cli import ROOT, _loaded
from test_s18_lightstore import LIGHT

from annotation_store import open_store, storage
from annotation_store.db import MIGRATIONS, head_revision, make_engine, sqlite_url, upgrade_to_head
from cli import main

OLD = "0015"  # the upgrader's old home
DB = "judge-studio.sqlite3"


def _downgraded(path: Path, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = make_engine(sqlite_url(path))
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def old_template(tmp_path_factory: pytest.TempPathFactory, seeded_db_template: Path) -> Path:
    """The demo database with one account, taken back to migration 0015."""
    path = tmp_path_factory.mktemp("old") / DB
    shutil.copy(seeded_db_template, path)
    store = open_store(path)
    try:
        store.create_annotator("ada", password="ada-pass-1")
    finally:
        store.close()
    _downgraded(path, OLD)
    return path


@pytest.fixture
def old_home(tmp_path: Path, old_template: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(old_template, home / DB)
    return home


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


# ---------------------------------------------------------------------- 1: read-only and behind: one line at open
@pytest.mark.parametrize(
    "argv",
    [
        ["metrics", "--dataset", "judge-studio-demo"],
        ["export", "--dataset", "judge-studio-demo", "--kind", "labels", "-o", "labels.csv"],
        ["sessions", "activity"],
        ["sessions", "list"],
        ["users", "list"],  # a writing command's open: the same line, before anything is tried
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_an_older_database_in_a_read_only_folder_is_refused_in_one_line(
    old_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    monkeypatch.setattr(storage, "writable", lambda _path: False)
    monkeypatch.setattr(storage, "read_only_mount", lambda _path: True)
    monkeypatch.chdir(old_home.parent)
    with pytest.raises(SystemExit) as ended:
        main([*argv, "--home", str(old_home)])
    said = str(ended.value.code)
    assert said == (
        f"judge-studio: The database {old_home / DB} is read-only here, and its tables are at migration {OLD} while "
        f"this version of Judge Studio needs {head_revision()}: it cannot be upgraded where it cannot be written, and "
        "nothing was read. Copy it to a folder you can write to (judge-studio backup "
        f"/writable/folder/judge-studio.sqlite3 --home {old_home}) and run the command with --home /writable/folder: "
        "the copy is upgraded there, the original stays as it is. Or open it with the version of Judge Studio that "
        "made it."
    )
    assert "Traceback" not in capsys.readouterr().err
    assert _revision(old_home / DB) == OLD


def test_the_advised_backup_copy_stays_old_and_is_upgraded_where_it_is_written(
    old_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    main(["backup", str(copy / DB), "--home", str(old_home)])
    assert _revision(copy / DB) == OLD  # the backup of a not-yet-upgraded home does not upgrade it
    capsys.readouterr()
    main(["sessions", "list", "--home", str(copy)])
    out, err = capsys.readouterr()
    assert f"from migration {OLD} to {head_revision()}" in err
    assert _revision(copy / DB) == head_revision() and _revision(old_home / DB) == OLD


# ---------------------------------------------------------------------- 2: one line before migrating, none after
def test_the_upgrade_says_one_line_first_and_nothing_once_done(
    old_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["users", "list", "--home", str(old_home)])
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"Upgrading the database at {old_home / DB} from migration {OLD} to {head_revision()}; this can take a minute "
        "on a large database, and needs free space about its size. Interrupting leaves it as it was."
    ]
    assert "ada" in out and _revision(old_home / DB) == head_revision()
    main(["users", "list", "--home", str(old_home)])
    assert capsys.readouterr().err == ""


def test_a_new_database_is_made_without_an_upgrade_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(sqlite_url(tmp_path / DB))
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()
    assert capsys.readouterr().err == ""


_CTRL_C = textwrap.dedent(
    """
    import os, signal, sys, time
    from alembic import command
    from cli import main

    real = command.upgrade

    def upgrade_then_ctrl_c(*args, **kwargs):
        real(*args, **kwargs)  # every migration run, the transaction not committed yet
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(30)

    command.upgrade = upgrade_then_ctrl_c
    main(sys.argv[1:])
    """
)


def test_ctrl_c_during_the_upgrade_says_the_database_was_left_as_it_was(old_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C, "users", "list", "--home", str(old_home)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1] == (
        "judge-studio: interrupted. The database upgrade was stopped before it finished: the database at "
        f"{old_home / DB} was left as it was (migration {OLD}); the next command upgrades it again."
    )
    assert _revision(old_home / DB) == OLD
    with sqlite3.connect(old_home / DB) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM annotators WHERE name = 'ada'").fetchone() == (1,)


# ---------------------------------------------------------------------- 4: sessions list
ROUND_1 = "Round \x1b[31m1"  # a name with a control character (an escape that would recolour the terminal)


@pytest.fixture
def sessions_home(tmp_path: Path, seeded_db_template: Path) -> Path:
    home = tmp_path / "sessions"
    home.mkdir()
    shutil.copy(seeded_db_template, home / DB)
    store = open_store(home / DB)
    try:
        store.create_annotator("ada", password="ada-pass-1")
        store.create_session(ROUND_1, "judge-studio-demo", ["ada"], overlap=2)
        store.save_session("Grades", "judge-studio-demo", kind="single", scale=5)
        store.save_session("Grades", "judge-studio-demo", active=False)
    finally:
        store.close()
    return home


def test_sessions_list_prints_every_session_as_the_admin_table_reads_them(sessions_home: Path) -> None:
    loaded, done = _loaded(sessions_home, "sessions", "list", heavy=LIGHT)
    assert done.returncode == 0 and "EXIT=" not in done.stderr, done.stderr
    assert loaded == [], f"judge-studio sessions list imported {loaded}"
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["name", "dataset", "kind", "state", "who", "may", "work", "items", "done"]
    store = open_store(sessions_home / DB)
    try:
        names = [s.name for s in store.sessions()]
        totals = {s.name: store.session_standing(s.name).total for s in store.sessions()}
    finally:
        store.close()
    assert len(lines) == 1 + len(names)
    shown = {line.split("  ")[0].strip(): line for line in lines[1:]}
    assert "\x1b" not in done.stdout  # a name's control characters are not sent to the terminal
    round_1 = next(line for name, line in shown.items() if name.startswith("Round"))
    assert "pairwise" in round_1 and " open " in round_1 and "members only (1)" in round_1
    assert round_1.endswith(f"0 of {totals[ROUND_1]}")
    grades = shown["Grades"]
    assert "grading 1-5" in grades and "closed" in grades and "everyone" in grades
    assert grades.endswith(f"0 of {totals['Grades']}")


def test_sessions_list_with_no_sessions_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    main(["sessions", "list", "--home", str(tmp_path)])
    assert capsys.readouterr().out.strip() == (
        "No sessions yet: make one on the Admin page or with `judge-studio sessions create`."
    )


# ---------------------------------------------------------------------- 5: imported labels' times in the export
def test_imported_labels_export_their_import_time_as_updated_at_and_no_created_at(
    tmp_path: Path, shared_data: Path
) -> None:
    records = json.loads((shared_data / "pandalm" / "testset-v1.json").read_text("utf-8"))[:4]
    source = tmp_path / "testset-v1.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    home = tmp_path / "imported"
    main(["import", str(source), "--format", "pandalm-testset", "--no-progress", "--home", str(home)])
    with sqlite3.connect(home / DB) as db:
        stored = dict(
            db.execute(
                "SELECT l.comparison_id || '/' || a.name, l.created_at FROM labels l "
                "JOIN annotators a ON a.id = l.annotator_id WHERE l.session_id IS NULL"
            ).fetchall()
        )
    assert len(stored) == 12  # 4 comparisons, 3 annotators
    target = tmp_path / "labels.csv"
    dataset = "pandalm-testset-v1"
    main(["export", "--dataset", dataset, "--kind", "labels", "-o", str(target), "--home", str(home)])
    rows = [r for r in csv.DictReader(target.open(encoding="utf-8")) if r["rater_kind"] == "human"]
    assert [r["imported"] for r in rows] == ["true"] * 12
    for row in rows:
        assert row["created_at"] == ""  # when the person gave it is not known: only when it was imported
        assert row["updated_at"][:19].replace("T", " ") == stored[f"{row['comparison_id']}/{row['rater']}"][:19]
