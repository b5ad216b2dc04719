"""The store's light commands load neither pandas nor Alembic (s18 lightstore). ``users list`` took 1.8 s of CPU:
``orchestration.access`` imported ``annotation_store``, whose modules imported pandas at the top, and every open of
the store imported Alembic to find the database already at the newest migration. pandas is now imported by the
store's functions that build a DataFrame, ``users list`` reads plain rows (``Access.account_rows``), and
``upgrade_to_head`` reads the newest revision from the migration files (``db.head_revision``) and imports Alembic
only when the database is behind it (or new)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_s16_light_cli import HEAVY, ROOT, _loaded

from annotation_store import open_store
from annotation_store.db import MIGRATIONS, head_revision, make_engine, sqlite_url, stored_revision, upgrade_to_head

LIGHT = (*HEAVY, "pandas", "alembic", "numpy", "networkx", "plotly", "transformers")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose database is at the newest migration, with one account (its first open migrated it)."""
    folder = tmp_path_factory.mktemp("lightstore")
    store = open_store(f"sqlite:///{folder / 'judge-studio.sqlite3'}")
    try:
        store.create_annotator("ada", password="ada-pass-1")
    finally:
        store.close()
    return folder


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["users", "list"], "ada   annotator  crowd  True    True"),
        (["users", "tokens", "ada"], "ada"),
        (["datasets", "list"], ""),
        (["sessions", "activity"], ""),
        (["sessions", "members", "nosuch"], ""),
        (["gold", "list"], "No gold comparisons."),  # s18 leftovers: plain rows, as users list
        (["users", "invites"], "No open invite links"),  # s18 leftovers: Access.open_invites
        (["evaluate", "--help"], "usage: judge-studio evaluate"),
        (["judge", "--help"], "usage: judge-studio judge"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_the_store_commands_load_neither_pandas_nor_alembic(home: Path, argv: list[str], shown: str) -> None:
    loaded, done = _loaded(home, *argv, heavy=LIGHT)
    assert loaded == [], f"judge-studio {' '.join(argv)} imported {loaded}"
    assert shown in done.stdout + done.stderr
    if argv[:2] != ["sessions", "members"]:  # an unknown session is an error; it still loads nothing heavy
        assert done.returncode == 0 and "EXIT=" not in done.stderr, done.stderr


def test_users_list_prints_the_same_table_as_before(home: Path) -> None:
    """The plain rows print as the DataFrame did: a header, names left-aligned, True/False, the set-aside column."""
    _loaded_, done = _loaded(home, "users", "list")
    assert done.stdout.splitlines() == [
        "name  role       kind   active  can_log_in  labels  ratings  skipped  labels_set_aside",
        "ada   annotator  crowd  True    True        0       0        0        no",
    ]


def test_the_newest_revision_read_from_the_files_is_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_database_behind_is_still_migrated_on_its_first_open(tmp_path: Path) -> None:
    """The other side: a database at an older revision (here 0021, before session members) is upgraded by the
    next command, which then does import Alembic; the one after it does not."""
    from alembic import command
    from alembic.config import Config

    path = tmp_path / "judge-studio.sqlite3"
    engine = make_engine(sqlite_url(path))
    try:
        upgrade_to_head(engine)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0021")
        assert stored_revision(engine) == "0021"
    finally:
        engine.dispose()
    first, done = _loaded(tmp_path, "users", "list", heavy=("alembic",))
    assert done.returncode == 0, done.stderr
    assert first == ["alembic"]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head_revision(),)]
        assert db.execute("SELECT count(*) FROM session_members").fetchall() == [(0,)]
    again, _done = _loaded(tmp_path, "users", "list", heavy=("alembic",))
    assert again == []


def test_a_new_database_is_made_by_the_migrations(tmp_path: Path) -> None:
    loaded, done = _loaded(tmp_path, "users", "list", heavy=("alembic",))
    assert done.returncode == 0 and loaded == ["alembic"], done.stderr
    engine = make_engine(sqlite_url(tmp_path / "judge-studio.sqlite3"))
    try:
        assert stored_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_the_admin_page_table_is_still_a_dataframe_with_its_columns(home: Path) -> None:
    script = (
        "import sys\nfrom annotation_store import open_store\nfrom orchestration.access import Access\n"
        "from orchestration.admin import accounts_marked\n"
        f"store = open_store({str('sqlite:///' + str(home / 'judge-studio.sqlite3'))!r})\n"
        "table = accounts_marked(Access(store).local_admin(), None)\n"
        "print(list(table.columns), table['active'].dtype, table['can_log_in'].dtype)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("]")[0] + "]" == str(
        ["name", "role", "kind", "active", "can_log_in", "labels", "ratings", "skipped", "labels_set_aside"]
    )
    assert done.stdout.split("]")[1].split() == ["bool", "bool"]
