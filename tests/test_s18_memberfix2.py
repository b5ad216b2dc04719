"""review18 findings 1, 3, 5, 7, 10, 11 and the Review page's relabel fix (session 18, helper memberfix2).

1. ``sessions create --members`` saves the session and its members in ONE store transaction
   (``Store.create_session``): a failure on the way saves nothing (no session left open to everyone), and a name in
   use is refused inside that transaction (not by a read before an upsert).
3. ``sessions activity`` / ``members`` / ``create`` print names through ``cli.data.terminal_lines``: an imported
   name holding ESC does not reach the terminal.
5. The submit routes' OpenAPI 404 says that a session limited to members answers as an unknown one.
7. Who a session with members shuts out is one threshold (``sessions.sees_every_session`` / ``MEMBER_ROLES``):
   the leases released and the accounts offered on the Admin page follow it; ``GROUPINGS`` is one list.
10. A deactivated account is told so before "no session open to you" (the REST submit by handle's early check).
11. Downloads (the activity CSV, the Admin export) go into one per-process folder that is pruned.
R. The Review page's "Labels from" with no comparison open returns a value Gradio accepts and changes nothing.
"""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from helpers import PASSWORD, cli_import, jsonl_file
from test_s17_activity import seed_campaign

from cli import main
from errors import Unavailable
from orchestration import AdminDesk, Settings, Studio

ESC = "\x1b"
EVIL = "evil\x1b[31mRED\x1b[0m"
ROWS = [
    {"instruction": f"Q{i}", "response1": f"a{i}", "response2": f"b{i}", "model1": "A", "model2": "B"} for i in range(3)
]


def _refused(argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    return str(exit_.value.code)


def _db(home: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        return db.execute(query).fetchall()


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with dataset 'camp' and annotator 'crowd1'."""
    made = tmp_path / "home"
    made.mkdir()
    assert cli_import(made, jsonl_file(tmp_path / "items.jsonl", ROWS), "--dataset", "camp", capsys=capsys)[1] == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("crowd1-pass-1\n"))
    main(["users", "add", "crowd1", "--role", "annotator", "--password-stdin", "--home", str(made)])
    capsys.readouterr()
    return made


# ---------------------------------------------------------------------- 1. one transaction
def test_a_failure_while_adding_the_members_saves_no_session(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import annotation_store.sessions as sessions

    def locked(*_args: Any) -> list[str]:
        raise Unavailable("database is locked")

    monkeypatch.setattr(sessions, "_member_names", locked)  # the members step fails after the session's insert
    said = _refused(["sessions", "create", "paid", "--dataset", "camp", "--members", "crowd1", "--home", str(home)])
    assert "database is locked" in said
    assert _db(home, "SELECT name FROM annotation_sessions WHERE name = 'paid'") == []  # not left open to everyone
    assert _db(home, "SELECT count(*) FROM session_members") == [(0,)]


def test_a_name_in_use_is_refused_inside_the_transaction_not_overwritten(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    at = ["--home", str(home)]
    main(["sessions", "create", "paid", "--dataset", "camp", "--overlap", "2", *at])
    monkeypatch.setattr(AdminDesk, "sessions", lambda _self, _actor: [])  # a read made before the other create
    said = _refused(["sessions", "create", "paid", "--dataset", "camp", "--overlap", "5", "--members", "crowd1", *at])
    assert "A session named 'paid' already exists; change it on the Admin page. Nothing was saved." in said
    assert _db(home, "SELECT overlap FROM annotation_sessions WHERE name = 'paid'") == [(2,)]
    assert _db(home, "SELECT count(*) FROM session_members") == [(0,)]


def test_the_members_come_with_the_session_and_are_security_logged(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["sessions", "create", "paid", "--dataset", "camp", "--members", "crowd1", "--home", str(home)])
    said = capsys.readouterr()
    assert "Open only to: crowd1." in said.out
    assert (
        "session members changed: 'paid': added 'crowd1', removed none (now 1 member) by '(command line)'" in said.err
    )
    rows = _db(
        home,
        "SELECT s.name, a.name, m.added_by FROM session_members m JOIN annotation_sessions s ON s.id = m.session_id "
        "JOIN annotators a ON a.id = m.annotator_id",
    )
    assert rows == [("paid", "crowd1", "(command line)")]


def test_an_unknown_member_saves_nothing_in_the_stores_words(home: Path) -> None:
    said = _refused(["sessions", "create", "paid", "--dataset", "camp", "--members", "crowd1", "nobody", "--home",
                     str(home)])  # fmt: skip
    assert "There is no account named 'nobody'" in said and "Nothing was changed." in said
    assert _db(home, "SELECT count(*) FROM annotation_sessions WHERE name = 'paid'") == [(0,)]


# ---------------------------------------------------------------------- 3. names on a terminal
@pytest.fixture
def evil_home(tmp_path: Path) -> Path:
    """'tiny' with one label by an imported, password-less account whose name holds terminal escapes."""
    studio = Studio.open(Settings(home=tmp_path))
    seed_campaign(studio.store)
    ids = [int(i) for i in studio.store.comparison_table("tiny")["id"]]
    studio.store.save_label(ids[3], EVIL, "1")
    studio.store.close()
    return tmp_path


def test_activity_members_and_create_print_no_escape_codes(evil_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    at = ["--home", str(evil_home)]
    main(["sessions", "activity", "--dataset", "tiny", *at])
    table = capsys.readouterr().out
    assert "evil" in table and ESC not in table
    main(["sessions", "members", "Other", "--add", EVIL, *at])
    added = capsys.readouterr()
    assert "Added: evil" in added.out and ESC not in added.out
    main(["sessions", "members", "Other", *at])
    listed = capsys.readouterr().out
    assert "is open to 1 member: evil" in listed and ESC not in listed
    main(["sessions", "create", "paid", "--dataset", "tiny", "--members", EVIL, *at])
    created = capsys.readouterr()
    assert "Open only to: evil" in created.out and ESC not in created.out
    assert ESC not in created.err  # the security log line names it with repr()
    main(["sessions", "activity", "--dataset", "tiny", "--format", "json", *at])
    assert ESC not in capsys.readouterr().out  # JSON escapes it ("\u001b"): the data as stored


# ---------------------------------------------------------------------- 5. the REST description
def test_the_submit_routes_say_a_members_only_session_is_a_404() -> None:
    from web.routes.common import SUBMIT_ANSWERS

    assert "limited to members you are not one of" in SUBMIT_ANSWERS[404]["description"]


# ---------------------------------------------------------------------- 7. one threshold
def test_who_a_members_only_session_shuts_out_is_one_threshold(tmp_path: Path) -> None:
    import annotation_store.sessions as sessions
    import orchestration.session_admin as session_admin
    from annotation_store.accounts import ROLE_RANK

    assert sessions.MEMBER_ROLES == ("annotator",)
    assert [r for r in ROLE_RANK if sessions.sees_every_session(r)] == ["reviewer", "admin"]
    assert session_admin.MEMBER_ROLES is sessions.MEMBER_ROLES  # the Admin page's list of who may be added
    studio = Studio.open(Settings(home=tmp_path))
    try:
        seed_campaign(studio.store)
        studio.store.save_session("Fresh", "tiny", overlap=3)
        studio.store.create_annotator("ada", role="admin", password=PASSWORD)
        studio.store.create_annotator("rev", role="reviewer", password=PASSWORD)
        studio.store.create_annotator("carl", password=PASSWORD)
        assert studio.desk.next_item("rev", "Fresh") is not None
        assert studio.desk.next_item("carl", "Fresh") is not None
        assert session_admin.active_annotators(studio.access, "ada") == ["alice", "ann4", "bob", "carl"]
        changed = studio.store.change_session_members("Fresh", ["alice"], [])
        assert changed.released == {"carl": 1}  # the reviewer keeps the item: they work in every session
    finally:
        studio.store.close()


def test_groupings_is_one_list() -> None:
    from annotation_store.activity import GROUPINGS
    from cli.sessions import GROUPINGS as CLI_GROUPINGS
    from ui.admin_sections import session_members

    assert CLI_GROUPINGS == GROUPINGS  # the CLI's copy (kept for a fast --help) is the store's list
    assert session_members.GROUPINGS is GROUPINGS


def test_nothing_uses_sessions_for_everyone() -> None:
    from orchestration.annotation import AnswerDesk

    assert not hasattr(AnswerDesk, "sessions_for_everyone")


# ---------------------------------------------------------------------- 10. deactivated first
def test_a_deactivated_account_hears_it_is_deactivated_not_that_the_session_is_closed_to_it(tmp_path: Path) -> None:
    from orchestration.access import AccessDenied

    studio = Studio.open(Settings(home=tmp_path))
    try:
        seed_campaign(studio.store)
        studio.store.create_annotator("ada", role="admin", password=PASSWORD)
        studio.store.change_session_members("Other", ["alice"], [])
        studio.store.update_account("bob", active=False)
        for asked in (
            lambda: studio.desk.chosen("bob", "Other", handle="ABCDEFGHJK", item_id=None),  # REST submit by handle
            lambda: studio.desk.require_session("Other", "bob"),
            lambda: studio.desk.next_item("bob", "Other"),
        ):
            with pytest.raises(AccessDenied, match="deactivated"):
                asked()
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- 11. downloads pruned
def test_downloads_share_one_folder_and_old_ones_are_removed(tmp_path: Path) -> None:
    from orchestration import downloads

    first = downloads.download_path("a-activity.csv")
    first.write_text("x", encoding="utf-8")
    second = downloads.download_path("a-activity.csv")
    assert first.parent.parent == second.parent.parent == downloads.downloads_folder()
    assert first != second  # two downloads of one name never share a file
    old = time.time() - downloads.KEEP_SECONDS - 60
    os.utime(first.parent, (old, old))
    downloads.download_path("b.csv")
    assert not first.parent.exists() and second.parent.exists()
    assert oct(downloads.downloads_folder().stat().st_mode & 0o777) == "0o700"


def test_the_admin_export_and_the_activity_csv_are_downloads(tmp_path: Path) -> None:
    from orchestration import downloads
    from ui.admin_sections.session_members import _csv_file

    studio = Studio.open(Settings(home=tmp_path))
    try:
        seed_campaign(studio.store)
        studio.store.create_annotator("ada", role="admin", password=PASSWORD)
        target, _rows = AdminDesk(studio).export("ada", "tiny", "labels", "csv")
        csv_file = Path(_csv_file("Campaign A", "a,b\n"))
    finally:
        studio.store.close()
    folder = downloads.downloads_folder()
    assert target.parent.parent == folder and csv_file.parent.parent == folder
    assert csv_file.name == "Campaign_A-activity.csv"


def test_gradio_clears_its_copies_on_the_same_schedule(tmp_path: Path) -> None:
    from orchestration.downloads import KEEP_SECONDS
    from ui import build_ui

    studio = Studio.open(Settings(home=tmp_path))
    try:
        assert build_ui(studio).delete_cache == (600, KEEP_SECONDS)
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- R. Review: "Labels from" with nothing open
def test_labels_from_with_no_comparison_open_is_a_value_gradio_takes_and_changes_nothing(tmp_path: Path) -> None:
    from ui import build_ui

    studio = Studio.open(Settings(home=tmp_path))
    try:
        seed_campaign(studio.store)
        studio.store.create_annotator("rev", role="reviewer", password=PASSWORD)
        demo = build_ui(studio)
        block_fn = next(f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "relabel")
        assert block_fn.fn is not None
        result = block_fn.fn(None, gr.Request(username="rev"), "everyone")
        shown = asyncio.run(demo.postprocess_data(block_fn, result, None))  # raised "didn't return enough" with {}
    finally:
        studio.store.close()
    assert len(shown) == len(block_fn.outputs)
    assert all(value == {"__type__": "update"} for value in shown), shown  # every output left as it is
