"""Session 17 campaign test 2 fixes (tester "campaign2"): a removed member's leases go back to the pool
(finding 1), one count of labels (finding 2), the uncertain-margin note (finding 6), a future ``--since``
(finding 8), the Admin activity total (finding 9)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import closing

from orchestration import Settings, Studio


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _dataset(studio: Studio, n: int = 4) -> None:
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(n)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)


@pytest.fixture
def studio(db_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("crowd1", "crowd2"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("boss", role="admin", password="boss-pass-1")
    _dataset(s)
    s.store.save_session("crowd", "tiny", overlap=2)
    yield from closing(s)


def _live_leases(path: Path, who: str) -> int:
    """The person's leases still running (a released one ends now: its expiry is no longer ahead)."""
    rows = _sql(
        path,
        "SELECT a.lease_expires_at FROM assignments a JOIN annotators p ON p.id = a.annotator_id "
        "WHERE p.name = ? AND a.completed_at IS NULL",
        who,
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    return sum(datetime.fromisoformat(str(expires)).replace(tzinfo=None) > now for (expires,) in rows)


# ---------------------------------------------------------------------- finding 1
def test_removing_a_member_releases_the_item_they_held_in_that_session(db_path: Path, studio: Studio) -> None:
    from orchestration.annotation import change_session_members
    from orchestration.session_admin import change_said

    change_session_members(studio.access, "boss", "crowd", ["crowd1", "crowd2"], [])
    assert studio.desk.next_item("crowd2", "crowd") is not None
    assert _live_leases(db_path, "crowd2") == 1
    changed = change_session_members(studio.access, "boss", "crowd", [], ["crowd2"])
    assert _live_leases(db_path, "crowd2") == 0
    assert changed.released == {"crowd2": 1}
    said = change_said("crowd", changed)
    assert "Released 1 item crowd2 held: they may no longer work in the session." in said


def test_removing_the_last_member_opens_the_session_and_keeps_the_lease(db_path: Path, studio: Studio) -> None:
    from orchestration.annotation import change_session_members

    change_session_members(studio.access, "boss", "crowd", ["crowd2"], [])
    assert studio.desk.next_item("crowd2", "crowd") is not None
    changed = change_session_members(studio.access, "boss", "crowd", [], ["crowd2"])
    assert changed.released == {} and changed.members == []
    assert _live_leases(db_path, "crowd2") == 1  # open to everyone again: crowd2 may still answer it


def test_the_cli_says_which_items_went_back(db_path: Path, studio: Studio, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    studio.store.change_session_members("crowd", ["crowd1", "crowd2"], [])
    assert studio.desk.next_item("crowd2", "crowd") is not None
    main(["sessions", "members", "crowd", "--home", str(db_path.parent), "--remove", "crowd2"])
    assert "Released 1 item crowd2 held" in capsys.readouterr().out
    assert _live_leases(db_path, "crowd2") == 0


# ---------------------------------------------------------------------- finding 2
def _answer(studio: Studio, db_path: Path, who: str, answers: int, skips: int) -> None:
    """``who`` labels ``answers`` of dataset tiny's comparisons and skips the next ``skips``."""
    tiny = "SELECT c.id FROM comparisons c JOIN datasets d ON d.id = c.dataset_id WHERE d.name = 'tiny' ORDER BY c.id"
    for i, (comparison_id,) in enumerate(_sql(db_path, tiny)[: answers + skips]):
        skipped = i >= answers
        studio.store.save_label(comparison_id, who, None if skipped else "1", skipped=skipped)


def test_users_list_counts_labels_and_skips_apart(
    db_path: Path, studio: Studio, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    _answer(studio, db_path, "crowd1", 3, 1)
    main(["users", "list", "--home", str(db_path.parent)])
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    header = rows["name"]
    crowd1 = dict(zip(header, rows["crowd1"], strict=True))
    assert (crowd1["labels"], crowd1["skipped"], crowd1["ratings"]) == ("3", "1", "0")


def test_the_set_aside_message_counts_skips_apart(db_path: Path, studio: Studio) -> None:
    from orchestration.admin import set_aside_text, set_labels_aside, still_counting

    _answer(studio, db_path, "crowd2", 3, 1)
    assert still_counting(studio.access, "crowd2", on_page=False).startswith("crowd2's 3 labels, 1 skipped still count")
    found, changed = set_labels_aside(studio.access, "boss", "crowd2")
    assert (found.labels, found.skipped) == (3, 1)
    assert set_aside_text(found, changed, False).startswith("crowd2's 3 labels, 1 skipped are set aside")
    found, changed = set_labels_aside(studio.access, "boss", "crowd2", undo=True)
    assert set_aside_text(found, changed, True).startswith("crowd2's 3 labels, 1 skipped count again")


# ---------------------------------------------------------------------- finding 6
def test_an_uncertain_margin_on_a_people_only_export_says_it_changes_nothing(
    db_path: Path, studio: Studio, tmp_path: Path
) -> None:
    from orchestration.datasets import ExportPeople, export_dataset_summary

    _answer(studio, db_path, "crowd1", 3, 0)
    out = tmp_path / "dpo.jsonl"
    given = export_dataset_summary(studio.store, "tiny", "dpo", output=out, people=ExportPeople(uncertain_margin=0.3))
    assert given.rows == 3
    assert "--uncertain-margin changes nothing here: no row of this export carries a judge verdict." in given.note
    plain = export_dataset_summary(studio.store, "tiny", "dpo", output=out, people=ExportPeople())
    assert "--uncertain-margin" not in plain.note


# ---------------------------------------------------------------------- findings 8 and 9
def test_activity_since_a_day_still_ahead_says_so_instead_of_a_backwards_range(studio: Studio) -> None:
    from datetime import date

    from orchestration.activity import activity_text, read_activity

    ahead = read_activity(studio.store, session="crowd", since=date(2999, 1, 1))
    assert activity_text(ahead) == "No labels in session 'crowd' (from 2999-01-01; that day has not come yet)."
    both = read_activity(studio.store, session="crowd", since=date(2999, 1, 1), until=date(2999, 1, 5))
    assert (
        activity_text(both) == "No labels in session 'crowd' (2999-01-01 to 2999-01-05; 2999-01-01 has not come yet)."
    )


def test_the_admin_activity_headline_is_the_command_lines_title_and_total(studio: Studio) -> None:
    from orchestration.activity import activity_headline, activity_text, read_activity

    for who in ("crowd1", "crowd2"):
        item = studio.desk.next_item(who, "crowd")
        assert item is not None
        studio.desk.submit(who, "crowd", item.id, "left", swapped=item.swapped)
    studio.store.set_labels_aside("crowd2")
    found = read_activity(studio.store, session="crowd")
    headline = activity_headline(found)
    total = activity_text(found).splitlines()[-1]
    assert total == "Total: 1 label, 0 skipped, 1 set aside, no gold checks"
    assert headline == f"Labels in session 'crowd', per person, all days. {total}."


# ---------------------------------------------------------------------- finding 7
def test_serve_on_a_folder_set_up_from_the_command_line_does_not_alarm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    import cli.commands as commands
    from orchestration.datasets import open_data_store

    settings = Settings(home=tmp_path)
    store = open_data_store(settings)  # as `judge-studio import` makes it: no demo seeded
    store.seed_dataset({"name": "camp", "models": [{"name": "a"}, {"name": "b"}], "prompts": []})
    store.close()
    demo_judged: list[object] = []
    monkeypatch.setattr(commands, "judge_demo_logged", lambda *args: demo_judged.append(args))
    monkeypatch.setattr(commands, "refuse_busy_port", lambda host, port: None)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    commands.serve(settings)
    shown = capsys.readouterr()
    assert demo_judged == []  # nothing to judge: no background failure to report
    assert commands.NO_DEMO_DATASET in shown.out
    assert "failed in the background" not in shown.out + shown.err
