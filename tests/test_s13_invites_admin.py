"""Invite links on the Admin page (session 13, "invitesdraft"): until now the open invites could be listed and
revoked only with ``judge-studio users invites`` / ``users revoke-invite``. The Accounts section now shows the
links that still work (number, role, kind, who made it, when, until when; never a token), refreshed after
"Create invite link", and revokes the one picked with a note naming it. Everything goes through
``AdminDesk``, which refuses anyone but an admin. Handlers are called directly over a copy of the seeded
database, as the page calls them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, event_output_ids, handler

from errors import Conflict, Forbidden
from orchestration import AdminDesk, Settings, Studio

PASSWORD = "a-long-test-password"
RLO = "\u202e"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=None)
    for name, role in (("ann", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _choices(dropdown: Any) -> dict[Any, str]:
    return {value: label for label, value in dropdown.choices}


def _page_load(demo: gr.Blocks) -> Any:
    found = [f.fn for f in demo.fns.values() if getattr(f.fn, "__qualname__", "") == "admin_tab.<locals>.on_page_load"]
    assert found, "the Admin page fills its tables on load"
    return found[0]


# ---------------------------------------------------------------------- orchestration
def test_the_desk_lists_open_invites_without_tokens_and_revokes_one(studio: Studio, db_path: Path) -> None:
    desk = AdminDesk(studio)
    kept = desk.invite("ada", "annotator", "skilled", 24)
    revoked = desk.invite("ada", "reviewer", "expert", 48)
    used = desk.invite("ada", "annotator", "crowd", 24)
    studio.access.accept_invite(used, "newbie", "a-long-new-password")

    listed = desk.open_invites("ada")
    assert [(i.role, i.kind, i.created_by) for i in listed] == [
        ("annotator", "skilled", "ada"),
        ("reviewer", "expert", "ada"),
    ]
    assert all(i.expires_at > i.created_at for i in listed)
    assert not any(token in repr(listed) for token in (kept, revoked, used))

    gone = desk.revoke_invite("ada", listed[1].id)
    assert (gone.id, gone.role) == (listed[1].id, "reviewer")
    assert [i.id for i in desk.open_invites("ada")] == [listed[0].id]
    assert studio.access.invite_role(revoked) is None and studio.access.invite_role(kept) == "annotator"
    with pytest.raises(Conflict, match=f"Invite #{gone.id} was already revoked or expired"):
        desk.revoke_invite("ada", gone.id)

    for outsider in ("rita", "ann", None):
        with pytest.raises(Forbidden):
            desk.open_invites(outsider)
        with pytest.raises(Forbidden):
            desk.revoke_invite(outsider, listed[0].id)
    # the revoked row stays (its number is never given again), expired at the moment it was revoked
    assert _sql(db_path, "SELECT id FROM invites WHERE used_at IS NULL ORDER BY id") == [(i.id,) for i in listed]


# ---------------------------------------------------------------------- the page
def test_creating_an_invite_lists_it_and_revoking_it_names_it(studio: Studio, db_path: Path) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    assert event_output_ids(demo, "admin_invite") == [
        "admin-invite-link",
        "admin-accounts-result",
        "admin-invites",
        "admin-invite-pick",
    ]
    loaded = by_id(_page_load(demo)("judge-studio-demo", _as("ada")))
    assert loaded["admin-invites"].empty and _choices(loaded["admin-invite-pick"]) == {}

    created = by_id(handler(demo, "admin_invite")("annotator", "skilled", 24, _as("ada")))
    token = created["admin-invite-link"].rsplit("/", 1)[1]
    table: pd.DataFrame = created["admin-invites"]
    assert list(table.columns) == ["id", "role", "kind", "created_by", "created", "expires"]
    (number,) = [row for (row,) in _sql(db_path, "SELECT id FROM invites")]
    assert created["admin-accounts-result"].startswith(
        f"Invite #{number} for a new `annotator` (`skilled` annotator) created, valid until "
    )
    row = table.iloc[0].to_dict()
    assert (row["id"], row["role"], row["kind"], row["created_by"]) == (number, "annotator", "skilled", "ada")
    assert row["created"].endswith(" UTC") and row["expires"].endswith(" UTC")
    labels = _choices(created["admin-invite-pick"])
    assert list(labels) == [number] and labels[number].startswith(f"#{number} · annotator (skilled) · by ada · until ")
    assert token not in table.to_csv() and token not in repr(labels)

    # a second one, made on the command line (no creator): both listed on the next page load
    other = studio.store.create_invite(role="reviewer", kind="expert", hours=1)
    loaded = by_id(_page_load(demo)("judge-studio-demo", _as("ada")))
    assert list(loaded["admin-invites"]["created_by"]) == ["ada", "(command line)"]
    assert other not in loaded["admin-invites"].to_csv()

    done = by_id(handler(demo, "admin_revoke_invite")(number, _as("ada")))
    note = done["admin-accounts-result"]
    assert note.startswith(f"Revoked invite #{number} (an `annotator` link for a `skilled` annotator, made by `ada`")
    assert note.endswith("it no longer works.")
    assert list(done["admin-invites"]["role"]) == ["reviewer"] and number not in _choices(done["admin-invite-pick"])
    assert done["admin-invite-pick"].value is None
    assert studio.access.invite_role(token) is None and studio.access.invite_role(other) == "reviewer"

    again = by_id(handler(demo, "admin_revoke_invite")(number, _as("ada")))
    assert again["admin-accounts-result"].startswith(f"⚠ Invite \\#{number} was already revoked or expired")
    nothing = by_id(handler(demo, "admin_revoke_invite")(None, _as("ada")))
    assert "Choose the invite to revoke" in nothing["admin-accounts-result"] and set(nothing) == {
        "admin-accounts-result"
    }
    assert len(_sql(db_path, "SELECT id FROM invites")) == 2  # the revoked one is kept, no longer open


def test_the_invite_list_and_revoke_refuse_non_admins(studio: Studio, db_path: Path) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    AdminDesk(studio).invite("ada", "admin", "expert", 24)
    ((number,),) = _sql(db_path, "SELECT id FROM invites")
    for outsider in ("rita", "ann"):
        refused = by_id(handler(demo, "admin_revoke_invite")(number, _as(outsider)))
        assert list(refused) == ["admin-accounts-result"], "nothing but the note changes"
        assert "needs the admin role" in refused["admin-accounts-result"]
        with pytest.raises(gr.Error, match="needs the admin role"):
            handler(demo, "admin_invites")(_as(outsider))
        loaded = by_id(_page_load(demo)("judge-studio-demo", _as(outsider)))
        assert loaded["admin-invites"].empty and "admin-invite-pick" not in loaded
        assert loaded["admin-notice"] == "_This page is for admins._"
    refused = by_id(handler(demo, "admin_revoke_invite")(number, None))
    assert list(refused) == ["admin-accounts-result"]
    assert _sql(db_path, "SELECT id FROM invites") == [(number,)], "the invite still works"
    listed = by_id(handler(demo, "admin_invites")(_as("ada")))
    assert list(listed["admin-invites"]["id"]) == [number]


def test_a_creators_name_is_shown_as_text(studio: Studio, db_path: Path) -> None:
    """An account name from an older database (bidi control, markup) in the table, the picker and the note."""
    from ui import build_ui

    demo = build_ui(studio)
    studio.store.create_annotator("mallory", role="admin", password=PASSWORD)
    AdminDesk(studio).invite("mallory", "annotator", "crowd", 24)
    evil = f"<img src=x onerror=alert(1)>{RLO}evil"
    _sql(db_path, "UPDATE annotators SET name = ? WHERE name = 'mallory'", evil)
    ((number,),) = _sql(db_path, "SELECT id FROM invites")

    demo_table = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "admin-invites")
    listed = by_id(handler(demo, "admin_invites")(_as("ada")))
    shown = demo_table.postprocess(listed["admin-invites"])
    cell = shown.data[0][3]
    assert cell == "<img src=x onerror=alert(1)>⟨U+202E⟩evil", "a plain-text cell, the control as a marker"
    label = _choices(listed["admin-invite-pick"])[number]
    assert RLO not in label and "⟨U+202E⟩evil" in label

    note = by_id(handler(demo, "admin_revoke_invite")(number, _as("ada")))["admin-accounts-result"]
    assert RLO not in note and "made by `<img src=x onerror=alert(1)>⟨U+202E⟩evil`" in note
