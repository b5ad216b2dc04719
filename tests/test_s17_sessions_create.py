"""``judge-studio sessions create`` (s17 campaign2 finding 3): a campaign script can make its sessions as the Admin
page does (the same checks and messages), limited to its people with ``--members``; a name in use is refused, as
are a bad setting and an unreadable guidelines file, and nothing is saved."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from helpers import cli_import, jsonl_file

from cli import main

ROWS = [
    {"instruction": f"Q{i}", "response1": f"a{i}", "response2": f"b{i}", "model1": "A", "model2": "B"} for i in range(3)
]


def _sessions(home: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        return db.execute(
            "SELECT name, overlap, fill, gold_rate, blind, guidelines FROM annotation_sessions"
        ).fetchall()


def _refused(argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return str(exit_.value.code)


def test_a_script_creates_a_limited_session_and_mistakes_save_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    assert cli_import(home, jsonl_file(tmp_path / "items.jsonl", ROWS), "--dataset", "camp", capsys=capsys)[1] == ""
    at = ["--home", str(home)]
    monkeypatch.setattr("sys.stdin", io.StringIO("crowd1-pass-1\n"))
    main(["users", "add", "crowd1", "--role", "annotator", "--password-stdin", *at])
    guidelines = tmp_path / "guide.md"
    guidelines.write_text("Pick the more helpful answer.", encoding="utf-8")
    capsys.readouterr()
    main(["sessions", "create", "Crowd round", "--dataset", "camp", "--overlap", "2", "--fill", "depth",
          "--gold-rate", "0", "--guidelines-file", str(guidelines), "--members", "crowd1", *at])  # fmt: skip
    out = capsys.readouterr().out
    assert "Created session 'Crowd round' on 'camp': pairwise, overlap 2, depth fill, gold rate 0" in out
    assert "Open only to: crowd1." in out
    assert _sessions(home)[-1][:4] == ("Crowd round", 2, "depth", 0.0)
    assert _sessions(home)[-1][5] == "Pick the more helpful answer."
    before = _sessions(home)
    again = _refused(["sessions", "create", "Crowd round", "--dataset", "camp", *at])
    assert "already exists; change it on the Admin page. Nothing was saved." in again
    assert "gold rate" in _refused(["sessions", "create", "Other", "--dataset", "camp", "--gold-rate", "0.9", *at])
    assert "Cannot read --guidelines-file" in _refused(
        ["sessions", "create", "Other", "--dataset", "camp", "--guidelines-file", str(tmp_path / "none.md"), *at]
    )
    unknown = _refused(["sessions", "create", "Other", "--dataset", "camp", "--members", "crowd1", "nobody", *at])
    # the store's words, as the Admin page and ``sessions members`` say them (s18: one rule, one message)
    assert "There is no account named 'nobody'; accounts: " in unknown and "Nothing was changed." in unknown
    assert _sessions(home) == before
