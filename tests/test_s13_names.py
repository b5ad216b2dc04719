"""Session 13 red team, finding 1: look-alike account names were accepted although the name rule said they were
not (it folded only case and width). The one rule (``annotation_store/names.py``) now compares a confusable
skeleton (Unicode TR39, from ``confusable_homoglyphs``' tables) without punctuation, collapses runs of spaces,
and refuses names that mix scripts, on every path: ``users add``, the invite sign-up page and the Admin page's
"Add account". Existing names are never changed; every existing name counts, imported annotators' included."""

from __future__ import annotations

import html
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_ids import by_id, handler
from tls_harness import make_studio, serve_studio

from annotation_store import StoreConflict, StoreError
from annotation_store.names import mixed_scripts, name_keys
from orchestration import Studio

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Zzz-pass-2024!"

#: (new name, the message that refuses it) beside the accounts admin, anna, rita, "rita x" and the imported
#: annotator "Imported-Ann" (labels, no password)
REFUSED = [
    ("\u0391DMIN", "'\u0391DMIN' looks like the existing name 'admin'"),  # Greek capital Alpha
    ("\u0430nna", "'\u0430nna' looks like the existing name 'anna'"),  # Cyrillic a
    ("r\u0456ta", "'r\u0456ta' looks like the existing name 'rita'"),  # Cyrillic i
    ("admin.", "'admin.' looks like the existing name 'admin'"),  # only punctuation added
    ("ANNA!", "'ANNA!' looks like the existing name 'anna'"),
    ("IMPORTED_ANN", "'IMPORTED_ANN' looks like the existing name 'Imported-Ann'"),  # an imported annotator's
    ("rita  x", "There is already an account named 'rita x'"),  # two spaces are one
    (
        "\u0430lex",
        "'\u0430lex' mixes Latin and Cyrillic letters, so it could pass for another name; choose a name in one script.",
    ),
]
ACCEPTED = ["Jos\u00e9", "\u674e\u96f7", "anna-2", "\u5c71\u7530\u305f\u308d\u3046"]


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _people(studio: Studio) -> None:
    for name in ("anna", "rita x"):
        studio.store.create_annotator(name, password=PASSWORD)
    studio.store.create_annotator("Imported-Ann")  # as an import makes it: no password


@pytest.fixture
def app(db_path: Path):
    studio = make_studio(db_path)  # admin, rita, alice, bob
    _people(studio)
    with serve_studio(studio) as url:
        yield url, studio
    studio.store.close()


# ---------------------------------------------------------------------- the rule itself
def test_the_keys_meet_for_look_alikes_only() -> None:
    def alike(a: str, b: str) -> bool:
        return bool(name_keys(a) & name_keys(b))

    for a, b in [
        ("admin", "\u0391DMIN"),
        ("admin", "ADMIN"),
        ("admin", "\uff41\uff44\uff4d\uff49\uff4e"),  # fullwidth
        ("anna", "\u0430nna"),
        ("bob", "\u0412\u041e\u0412"),  # all Cyrillic capitals
        ("rita x", "rita \u00a0 x"),
        ("admin", "a-d.m!in"),
    ]:
        assert alike(a, b), (a, b)
    for a, b in [("anna", "anna-2"), ("Jose", "Jos\u00e9"), ("\u674e\u96f7", "\u674e"), ("rita x", "ritax")]:
        assert not alike(a, b), (a, b)
    assert mixed_scripts("\u0430nna") == ["LATIN", "CYRILLIC"]
    for one_script in (
        "anna",
        "\u0410\u043d\u043d\u0430",
        "\u5c71\u7530\u305f\u308d\u3046",
        "Lei \u674e",
        "\u0395\u03bb\u03ad\u03bd\u03b7",
    ):
        assert mixed_scripts(one_script) is None, one_script


# ---------------------------------------------------------------------- the store and the Admin page handler
def test_look_alikes_are_refused_on_the_admin_page_and_in_the_store(app, db_path: Path) -> None:
    from ui import build_ui

    _url, studio = app
    before = _sql(db_path, "SELECT name FROM annotators ORDER BY id")
    demo = build_ui(studio)

    class AdminRequest:
        username = "admin"

    for name, says in REFUSED:
        result = by_id(handler(demo, "admin_add_account")(name, PASSWORD, "annotator", "crowd", AdminRequest()))
        shown = result["admin-accounts-result"]
        assert shown.startswith("⚠") and says in shown.replace("\\", ""), (name, shown)  # Markdown escapes off
        error = StoreConflict if "mixes" not in says else StoreError
        with pytest.raises(error, match=re.escape(says)):
            studio.store.create_annotator(name, password=PASSWORD)
    assert _sql(db_path, "SELECT name FROM annotators ORDER BY id") == before


def test_plain_distinct_names_are_still_accepted_and_spaces_are_stored_collapsed(app, db_path: Path) -> None:
    from ui import build_ui

    _url, studio = app
    demo = build_ui(studio)

    class AdminRequest:
        username = "admin"

    for name in ACCEPTED:
        result = by_id(handler(demo, "admin_add_account")(name, PASSWORD, "annotator", "crowd", AdminRequest()))
        assert result["admin-accounts-result"].startswith("Added "), (name, result["admin-accounts-result"])
    added = by_id(handler(demo, "admin_add_account")(" dora \t  lee ", PASSWORD, "annotator", "crowd", AdminRequest()))
    assert added["admin-accounts-result"].startswith("Added `dora lee` as")
    names = {row[0] for row in _sql(db_path, "SELECT name FROM annotators")}
    assert set(ACCEPTED) | {"dora lee"} <= names and "rita  x" not in names


# ---------------------------------------------------------------------- the invite sign-up page over HTTP
def test_look_alikes_are_refused_on_the_invite_page(app, db_path: Path) -> None:
    url, studio = app
    before = _sql(db_path, "SELECT count(*) FROM annotators")
    token = studio.access.invite("admin", role="annotator", hours=1)
    form = {"password": PASSWORD, "password2": PASSWORD}
    for name, says in REFUSED:
        page = httpx.post(url + f"invite/{token}", data={"name": name, **form})
        assert page.status_code == (400 if "mixes" in says else 409), (name, page.status_code)
        said = "The name 'rita x' is taken" if says.startswith("There is already") else says  # this page's words
        assert html.escape(said) in page.text, name
    assert _sql(db_path, "SELECT count(*) FROM annotators") == before
    made = httpx.post(url + f"invite/{token}", data={"name": "Jos\u00e9  Ruiz", **form})  # the invite still works
    assert made.status_code == 303 and "name=Jos%C3%A9+Ruiz" in made.headers["location"]
    assert _sql(db_path, "SELECT role FROM annotators WHERE name = ?", "Jos\u00e9 Ruiz") == [("annotator",)]


# ---------------------------------------------------------------------- users add
def _cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "JUDGE_STUDIO_SEED_DEMO": "0"}
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_look_alikes_are_refused_by_users_add(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for name in ("admin", "rita x"):
        added = _cli(home, "users", "add", name, "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
    # refused before the password is read (a short one would be refused second)
    greek = _cli(home, "users", "add", "\u0391DMIN", "--password-stdin", stdin="short\n")
    assert greek.returncode != 0 and "'\u0391DMIN' looks like the existing name 'admin'" in greek.stderr
    assert "at least" not in greek.stderr
    mixed = _cli(home, "users", "add", "\u0430nna", "--password-stdin", stdin="short\n")
    assert mixed.returncode != 0 and (
        "'\u0430nna' mixes Latin and Cyrillic letters, so it could pass for another name; choose a name in one script."
        in mixed.stderr
    )
    spaced = _cli(home, "users", "add", "rita  x", "--password-stdin", stdin=PASSWORD + "\n")
    assert spaced.returncode != 0 and "There is already an account named 'rita x'" in spaced.stderr
    fine = _cli(home, "users", "add", "anna-2", "--password-stdin", stdin=PASSWORD + "\n")
    assert fine.returncode == 0 and "Added annotator 'anna-2'" in fine.stdout
    listed = _cli(home, "users", "list").stdout
    assert [line.split("  ")[0] for line in listed.splitlines()[1:]] == ["admin", "anna-2", "rita x"]
