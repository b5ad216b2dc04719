"""Invite numbers (session 13, fresh-eyes "newfeat" findings 2-5): a revoked invite used to be deleted, so SQLite
gave its number to the next invite and ``users revoke-invite 4`` run twice stopped a brand-new link. Revoked
invites now stay as rows (expired at the moment of revoking): numbers are never reused, and revoking a number
again says it was done already. A new invite's number is shown on the Admin page, by ``users invite`` and in the
security log; a refused "Create invite link" empties the link box, and an emptied "Valid for" field is refused
instead of silently making a 72-hour link. The CLI's revoke line says what the page's says (one formatter)."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from cli import main
from errors import Conflict, NotFound
from orchestration import AdminDesk, Settings, Studio
from orchestration.access import SECURITY_LOG

PASSWORD = "a-long-test-password"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=None)
    s.store.create_annotator("ada", role="admin", password=PASSWORD)
    return s


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def test_a_revoked_number_is_never_given_again_and_revoking_it_twice_changes_nothing(
    studio: Studio, db_path: Path
) -> None:
    desk = AdminDesk(studio)
    for _ in range(4):
        desk.invite("ada", "annotator", "crowd", 24)
    first, second, third, fourth = (i.id for i in desk.open_invites("ada"))
    desk.revoke_invite("ada", second)
    desk.revoke_invite("ada", fourth)  # the last row: SQLite used to give its id to the next invite

    made, token = desk.new_invite("ada", "annotator", "expert", 24)
    assert made.id > fourth and made.kind == "expert"
    assert [i.id for i in desk.open_invites("ada")] == [first, third, made.id]

    with pytest.raises(Conflict, match=rf"Invite #{fourth} was already revoked or expired .*nothing changed"):
        desk.revoke_invite("ada", fourth)  # shell history, or a second admin repeating the step
    assert studio.access.invite_role(token) == "annotator", "the new link still works"
    assert [i.id for i in desk.open_invites("ada")] == [first, third, made.id]

    # the revoked rows are kept, no longer open: expired at the moment they were revoked
    rows = _sql(db_path, "SELECT id, used_at FROM invites ORDER BY id")
    assert rows == [(n, None) for n in (first, second, third, fourth, made.id)]
    used = desk.invite("ada", "reviewer", "crowd", 24)
    studio.access.accept_invite(used, "newbie", "a-long-new-password")
    (used_id,) = [n for (n,) in _sql(db_path, "SELECT id FROM invites WHERE used_at IS NOT NULL")]
    with pytest.raises(Conflict, match=rf"Invite #{used_id} was already used; nothing changed"):
        desk.revoke_invite("ada", used_id)
    with pytest.raises(NotFound, match="There is no invite #999"):
        desk.revoke_invite("ada", 999)


def test_the_new_number_is_on_the_page_and_in_the_log(
    studio: Studio, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ui import build_ui

    caplog.set_level(logging.INFO, logger=SECURITY_LOG.name)
    demo = build_ui(studio)
    created = by_id(handler(demo, "admin_invite")("reviewer", "expert", 24, _as("ada")))
    ((number,),) = _sql(db_path, "SELECT id FROM invites")
    note = created["admin-accounts-result"]
    assert re.fullmatch(
        rf"Invite #{number} for a new `reviewer` \(`expert` annotator\) created, valid until "
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d UTC; it works once\. To stop it, revoke #{number} below\.",
        note,
    ), note
    assert "/invite/" in created["admin-invite-link"]
    lines = [r.getMessage() for r in caplog.records if r.name == SECURITY_LOG.name]
    assert f"invite created: #{number} reviewer (expert) valid 24 hours, by 'ada'" in lines


@pytest.mark.parametrize(
    ("hours", "said"),
    [(3000, "at most 90 days"), (-1, "more than 0 hours"), (None, "Enter how many hours the link is valid")],
)
def test_a_refused_create_empties_the_link_box(studio: Studio, db_path: Path, hours: Any, said: str) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    create = handler(demo, "admin_invite")
    assert "/invite/" in by_id(create("annotator", "crowd", 0.01, _as("ada")))["admin-invite-link"]
    refused = by_id(create("annotator", "crowd", hours, _as("ada")))
    assert refused["admin-invite-link"] == "", "the earlier link must not stay under 'shown once; send it'"
    assert refused["admin-accounts-result"].startswith("⚠ ") and said in refused["admin-accounts-result"]
    assert len(_sql(db_path, "SELECT id FROM invites")) == 1, "an empty field makes no 72-hour link"


def test_the_cli_names_the_number_and_revokes_with_the_pages_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = ["--home", str(tmp_path), "--base-url", "https://j.example.org"]
    main(["users", "invite", "--kind", "skilled", *home])
    out, err = capsys.readouterr()
    assert re.fullmatch(r"https://j\.example\.org/invite/[A-Za-z0-9_-]{40,}", out.strip()), "the link alone on stdout"
    found = re.search(r"Invite #(\d+) \(annotator, skilled, valid 72 hours until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", err)
    assert found, err
    number = found.group(1)
    assert f"`judge-studio users revoke-invite {number}` stops it" in err

    main(["users", "revoke-invite", number, "--home", str(tmp_path)])
    said = capsys.readouterr().out
    assert re.fullmatch(
        rf"Revoked invite #{number} \(an annotator link for a skilled annotator, made by \(command line\), valid until "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\): it no longer works\.\n",
        said,
    ), said
    main(["users", "invite", *home])
    capsys.readouterr()
    main(["users", "invites", "--home", str(tmp_path)])
    (row,) = capsys.readouterr().out.splitlines()[1:]
    assert row.split()[0] != number, "the revoked number is not given again"
    with pytest.raises(SystemExit, match=f"Invite #{number} was already revoked or expired"):
        main(["users", "revoke-invite", number, "--home", str(tmp_path)])
