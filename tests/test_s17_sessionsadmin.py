"""s17 sessionsadmin: the Admin page's and REST's doors to session membership (``judge-studio sessions members``)
and to the labels per person and day (``judge-studio sessions activity``), admins only. The Admin sections'
handlers are called directly (no browser); REST through the ASGI test client; real SQLite files."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, api_app, closing
from test_s17_activity import seed_campaign

from errors import StudioError
from orchestration import Settings, Studio
from orchestration.activity import activity_csv, read_activity
from orchestration.annotation import session_members
from ui.admin_sections.session_members import (
    activity_section,
    members_section,
    session_choices,
    wire_activity,
    wire_members,
)

OPEN = "Session 'Campaign A' has no members: it is open to every annotator."


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=tmp_path))
    seed_campaign(s.store)  # alice, bob, ann4 (annotators); sessions "Campaign A" and "Other" on "tiny"
    s.store.create_annotator("ada", role="admin", password=PASSWORD)
    s.store.create_annotator("rev", role="reviewer", password=PASSWORD)
    s.store.create_annotator("gone", password=PASSWORD)
    s.store.update_account("gone", active=False)
    yield from closing(s)


def _page(studio: Studio) -> tuple[gr.Blocks, Any, Any]:
    with gr.Blocks() as demo:
        members, activity = members_section(), activity_section()
        wire_members(members, studio)
        wire_activity(activity, studio)
    return demo, members, activity


def _as(name: str) -> gr.Request:
    return gr.Request(username=name)


def _choices(update: Any) -> list[Any]:
    return [value for _label, value in update.choices]


def _members(studio: Studio) -> list[str]:
    return session_members(studio.access, "ada", "Campaign A")


# ---------------------------------------------------------------------- Admin page: who may work in a session
def test_the_admin_lists_adds_and_removes_members_with_the_clis_messages(
    studio: Studio, caplog: pytest.LogCaptureFixture
) -> None:
    demo, members, activity = _page(studio)
    picked = by_id(session_choices(studio, _as("ada"), members, activity))
    every = ["Demo session", "Demo grading session", "Campaign A", "Other"]  # Studio.open seeds the demo ones
    assert _choices(picked["admin-members-session"]) == _choices(picked["admin-activity-session"]) == every

    show, save = handler(demo, "admin_session_members"), handler(demo, "admin_change_session_members")
    shown = by_id(show("Campaign A", _as("ada")))
    assert shown["admin-members-listed"] == "Session 'Campaign A' has no members: it is open to every annotator\\."
    assert _choices(shown["admin-members-add"]) == ["alice", "ann4", "bob"]  # active annotators only
    assert _choices(shown["admin-members-remove"]) == []

    with caplog.at_level(logging.INFO, logger="judge_studio.security"):
        done = by_id(save("Campaign A", ["alice", "bob"], [], _as("ada")))
    assert done["admin-members-result"] == (
        "Added: alice, bob\\.  \nSession 'Campaign A' is open to 2 members: alice, bob\\."
    )
    assert done["admin-members-listed"] == "Session 'Campaign A' is open to 2 members: alice, bob\\."
    assert _choices(done["admin-members-add"]) == ["ann4"] and _choices(done["admin-members-remove"]) == [
        "alice",
        "bob",
    ]
    assert _members(studio) == ["alice", "bob"]
    assert "session members changed: 'Campaign A'" in caplog.text and "by 'ada'" in caplog.text

    again = by_id(save("Campaign A", ["alice"], ["bob"], _as("ada")))
    assert again["admin-members-result"] == (
        "Already members: alice\\.  \nRemoved: bob\\.  \nSession 'Campaign A' is open to 1 member: alice\\."
    )
    last = by_id(save("Campaign A", [], ["alice"], _as("ada")))
    assert last["admin-members-result"].endswith(
        "it is open to every annotator\\.  \nNote: with its last member removed, the session is open to every "
        "annotator again\\."
    )
    assert _members(studio) == []


def test_member_mistakes_are_said_in_the_result_line_and_change_nothing(studio: Studio) -> None:
    demo, _members_section, _activity = _page(studio)
    save = handler(demo, "admin_change_session_members")
    by_id(save("Campaign A", ["alice"], [], _as("ada")))
    nothing = by_id(save("Campaign A", [], [], _as("ada")))
    assert nothing == {
        "admin-members-result": "⚠ Pick accounts to add or members to remove, then click Save members\\."
    }
    stranger = by_id(save("Campaign A", ["bob"], ["ann4"], _as("ada")))["admin-members-result"]
    assert stranger.startswith("⚠ 'ann4' is not a member of the session 'Campaign A'; members: 'alice'")
    assert _members(studio) == ["alice"]  # all or nothing: bob was not added either
    unknown = by_id(handler(demo, "admin_session_members")("Nope", _as("ada")))["admin-members-listed"]
    assert "There is no annotation session 'Nope'; sessions: 'Campaign A', 'Demo grading session'" in unknown


@pytest.mark.parametrize("who", ["alice", "rev", None])
def test_the_members_and_activity_handlers_refuse_anyone_but_an_admin(studio: Studio, who: str | None) -> None:
    demo, members, activity = _page(studio)
    refused = by_id(handler(demo, "admin_change_session_members")("Campaign A", ["bob"], [], _as(who)))
    assert refused["admin-members-result"].startswith("⚠ ") and set(refused) == {"admin-members-result"}
    listed = by_id(handler(demo, "admin_session_members")("Campaign A", _as(who)))
    assert set(listed) == {"admin-members-listed"} and "member" not in listed["admin-members-listed"]
    assert (
        "needs the admin role" in refused["admin-members-result"] or "not logged in" in refused["admin-members-result"]
    )
    with pytest.raises(gr.Error):
        handler(demo, "admin_session_activity")("Campaign A", "person", "", "", _as(who))
    with pytest.raises(StudioError):  # the page load checks the role before it; orchestration refuses anyway
        session_choices(studio, _as(who), members, activity)
    assert _members(studio) == []


# ---------------------------------------------------------------------- Admin page: activity
def test_the_admin_sees_the_activity_table_and_downloads_it_as_csv(studio: Studio) -> None:
    demo, _members_section, _activity = _page(studio)
    show = handler(demo, "admin_session_activity")
    shown = by_id(show("Campaign A", "person", "", "", _as("ada")))
    assert shown["admin-activity-said"] == (  # the command line's total line (s17 campaign 2, finding 9)
        "Labels in session 'Campaign A', per person, all days\\. Total: 4 labels, 1 skipped, 1 set aside, "
        "gold checks 1 of 2 right\\."
    )
    table = shown["admin-activity-table"]
    assert list(table.columns) == [
        "annotator",
        "labels",
        "skipped",
        "set aside",
        "gold checks",
        "gold right",
        "gold accuracy",
        "first label (UTC)",
        "last label (UTC)",
    ]
    rows = {row["annotator"]: row for row in table.to_dict("records")}
    assert [rows["alice"][c] for c in ("labels", "skipped", "set aside", "gold right", "gold accuracy")] == [
        2,
        1,
        0,
        1,
        1.0,
    ]
    assert (rows["bob"]["gold right"], rows["ann4"]["set aside"], rows["ann4"]["gold accuracy"]) == (0, 1, "–")
    with open(shown["admin-activity-file"], encoding="utf-8", newline="") as handle:
        downloaded = list(csv.DictReader(handle))
    assert {r["annotator"]: r["labels"] for r in downloaded} == {"alice": "2", "ann4": "0", "bob": "2"}
    assert list(downloaded[0]) == list(
        activity_csv(read_activity(studio.store, session="Campaign A")).split("\n")[0].split(",")
    )

    by_day = by_id(show("Campaign A", "day", "2026-11-03", "", _as("ada")))
    assert by_day["admin-activity-table"].to_dict("records")[0]["day (UTC)"] == "2026-11-03"
    assert "2026\\-11\\-03 to today \\(UTC days, both included\\)" in by_day["admin-activity-said"]
    empty = by_id(show("Campaign A", "person", "2027-01-01", "", _as("ada")))
    assert empty["admin-activity-said"].startswith("No labels in session 'Campaign A'")
    assert empty["admin-activity-file"] is None and empty["admin-activity-table"].empty
    with pytest.raises(gr.Error, match="From takes a day as YYYY-MM-DD"):
        show("Campaign A", "person", "yesterday", "", _as("ada"))
    with pytest.raises(gr.Error, match="Choose a session"):
        show(None, "person", "", "", _as("ada"))


# ---------------------------------------------------------------------- REST
def _bearer(studio: Studio, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.access.api_token(name, days=1)}"}


def test_rest_members_get_and_put(studio: Studio) -> None:
    admin = _bearer(studio, "ada")
    with TestClient(api_app(studio)) as client:
        got = client.get("/api/v1/sessions/Campaign A/members", headers=admin)
        assert got.status_code == 200, got.text
        assert got.json() == {"session": "Campaign A", "members": [], "open_to_everyone": True, "message": OPEN}
        put = client.put("/api/v1/sessions/Campaign A/members", headers=admin, json={"add": ["bob", "alice"]})
        assert put.status_code == 200, put.text
        assert put.json() == {
            "session": "Campaign A",
            "members": ["alice", "bob"],
            "open_to_everyone": False,
            "message": "Added: bob, alice. Session 'Campaign A' is open to 2 members: alice, bob.",
            "added": ["bob", "alice"],
            "already": [],
            "removed": [],
        }
        assert _members(studio) == ["alice", "bob"]
        removed = client.put("/api/v1/sessions/Campaign A/members", headers=admin, json={"remove": ["bob"]}).json()
        assert (removed["removed"], removed["members"]) == (["bob"], ["alice"])

        unknown = client.get("/api/v1/sessions/Nope/members", headers=admin)
        assert unknown.status_code == 404 and "sessions: 'Campaign A', 'Demo" in unknown.json()["detail"]
        nobody = client.put("/api/v1/sessions/Campaign A/members", headers=admin, json={"add": ["zed"]})
        assert nobody.status_code == 404
        assert nobody.json()["detail"].startswith("There is no account named 'zed'; accounts: 'ada', 'alice'")
        empty = client.put("/api/v1/sessions/Campaign A/members", headers=admin, json={})
        assert empty.status_code == 400 and "Nothing to change" in empty.json()["detail"]
        typo = client.put("/api/v1/sessions/Campaign A/members", headers=admin, json={"members": ["bob"]})
        assert typo.status_code == 422 and "members" in typo.json()["detail"]
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert _members(studio) == ["alice"]
    put_codes = set(paths["/api/v1/sessions/{name}/members"]["put"]["responses"])
    assert {"400", "401", "403", "404", "413", "415", "422", "503"} <= put_codes
    assert {"401", "403", "404"} <= set(paths["/api/v1/sessions/{name}/activity"]["get"]["responses"])


def test_rest_activity(studio: Studio) -> None:
    admin = _bearer(studio, "ada")
    with TestClient(api_app(studio)) as client:
        got = client.get("/api/v1/sessions/Campaign A/activity", headers=admin)
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["session"], body["by"], body["since"], body["until"]) == ("Campaign A", "person", None, None)
        alice = next(row for row in body["rows"] if row["annotator"] == "alice")
        assert alice == {
            "annotator": "alice",
            "labels": 2,
            "skipped": 1,
            "set_aside": 0,
            "gold_checks": 1,
            "gold_right": 1,
            "gold_accuracy": 1.0,
            "first_label_at": "2026-11-02T09:30:00Z",
            "last_label_at": "2026-11-03T23:59:00Z",
        }
        days = client.get(
            "/api/v1/sessions/Campaign A/activity", headers=admin, params={"by": "day", "until": "2026-11-02"}
        ).json()
        assert [(row["day"], row["labels"]) for row in days["rows"]] == [("2026-11-02", 2)]
        assert "annotator" not in days["rows"][0] and days["until"] == "2026-11-02"

        bad_day = client.get("/api/v1/sessions/Campaign A/activity", headers=admin, params={"since": "11/02"})
        assert bad_day.status_code == 400 and "since takes a day as YYYY-MM-DD" in bad_day.json()["detail"]
        bad_by = client.get("/api/v1/sessions/Campaign A/activity", headers=admin, params={"by": "week"})
        assert bad_by.status_code == 422 and "person-day" in bad_by.json()["detail"]
        backwards = client.get(
            "/api/v1/sessions/Campaign A/activity", headers=admin, params={"since": "2026-11-03", "until": "2026-11-02"}
        )
        assert backwards.status_code == 400 and "before it starts" in backwards.json()["detail"]
        unknown = client.get("/api/v1/sessions/Nope/activity", headers=admin)
        assert unknown.status_code == 404 and "'Campaign A'" in unknown.json()["detail"]


@pytest.mark.parametrize("who", ["alice", "rev"])
def test_rest_members_and_activity_are_admin_only(studio: Studio, who: str) -> None:
    lower = _bearer(studio, who)
    with TestClient(api_app(studio)) as client:
        for method, path, body in (
            ("GET", "/api/v1/sessions/Campaign A/members", None),
            ("PUT", "/api/v1/sessions/Campaign A/members", {"add": [who]}),
            ("GET", "/api/v1/sessions/Campaign A/activity", None),
        ):
            assert client.request(method, path, headers=lower, json=body).status_code == 403, (method, path)
            nobody = client.request(method, path, json=body)
            assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    assert _members(studio) == []


# ---------------------------------------------------------------------- the whole page: wiring and role markup
def test_the_admin_page_loads_the_pickers_and_a_lower_role_gets_none_of_the_sections_words(studio: Studio) -> None:
    import copy

    from ui import build_ui
    from web.role_markup import strip_config

    demo = build_ui(studio)
    load = next(
        f
        for f in demo.fns.values()
        if {"admin-members-session", "admin-activity-session", "admin-sessions"}
        <= {getattr(o, "elem_id", None) for o in f.outputs}
    )
    loaded = by_id(load.fn("tiny", _as("ada")))
    assert "Campaign A" in _choices(loaded["admin-members-session"]) and "Other" in _choices(
        loaded["admin-activity-session"]
    )
    refused = by_id(load.fn("tiny", _as("alice")))
    assert "admin-members-session" not in refused  # a non-admin's page load reads no session

    words = ("Who may work in a session", "Accounts to add (active annotators)", "Members to remove", "Show activity")
    config = demo.config
    for word in words:
        assert word in str(config), word
    lowered = copy.deepcopy(config)
    strip_config(lowered, ["tab-admin"])  # what web.role_markup sends an annotator or a reviewer
    assert not [word for word in words if word in str(lowered)]
    kept = {c["props"].get("elem_id"): c for c in lowered["components"]}
    assert kept["admin-members-add"]["props"]["choices"] == [] and kept["admin-members-add"]["type"] == "dropdown"


def test_the_csv_download_makes_a_formula_looking_name_text(studio: Studio) -> None:
    """A name from an imported label file may start with "="; a spreadsheet opening the download must not run it."""
    from sqlalchemy import update

    from annotation_store.models import Annotator

    with studio.store._write() as session:
        session.execute(update(Annotator).where(Annotator.name == "bob").values(name="=HYPERLINK(1)"))
    demo, _members_section, _activity = _page(studio)
    shown = by_id(handler(demo, "admin_session_activity")("Campaign A", "person", "", "", _as("ada")))
    with open(shown["admin-activity-file"], encoding="utf-8", newline="") as handle:
        names = [row["annotator"] for row in csv.DictReader(handle)]
    assert "'=HYPERLINK(1)" in names and "=HYPERLINK(1)" in list(shown["admin-activity-table"]["annotator"])
