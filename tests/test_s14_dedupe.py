"""Session 14 "dedupe": code written twice, merged into one place, with what users see kept as it was.

- the Admin page's invites and API tokens are one "table with a Revoke by number" (``ui.admin_sections.invites``
  ``revoke_block`` / ``wire_revoke``): the same elements, buttons, events and notes as before;
- one walk over an exception's causes (``annotation_store.outage.causes``) for the outage and the storage rules;
- one ``responses=`` for ``POST /labels`` and ``POST /ratings`` (``web.routes.common.SUBMIT_ANSWERS``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import accounts_studio, api_app, closing, seeded_home, sql_rows
from sqlalchemy.exc import DisconnectionError, OperationalError

from annotation_store.outage import causes, unreachable
from annotation_store.storage import FULL, storage_problem_kind
from orchestration import AdminDesk, Studio

RLO = "\u202e"


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(accounts_studio(home, (("alice", "annotator"), ("ada", "admin"))))


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _choices(dropdown: Any) -> dict[Any, str]:
    return {value: label for label, value in dropdown.choices}


def _accounts_lists(studio: Studio) -> tuple[gr.Blocks, gr.Markdown]:
    from ui.admin_sections.invites import invites_block, wire_invites
    from ui.admin_sections.tokens import tokens_block, wire_tokens

    desk = AdminDesk(studio)
    with gr.Blocks() as demo:
        result = gr.Markdown(elem_id="admin-result")
        wire_invites(invites_block(), desk, result)
        wire_tokens(tokens_block(), desk, result)
    return demo, result


# ---------------------------------------------------------------------- D1: the Admin page's two revoke sections
def test_both_revoke_sections_keep_their_elements_buttons_and_events(studio: Studio) -> None:
    demo, _ = _accounts_lists(studio)
    blocks = {getattr(b, "elem_id", None): b for b in demo.blocks.values()}
    for noun, table_label, pick_label in (
        ("invite", "Open invite links", "Invite to revoke"),
        ("token", "API tokens", "API token to revoke"),
    ):
        assert blocks[f"admin-{noun}s"].label == table_label
        assert blocks[f"admin-{noun}-pick"].label == pick_label
        assert blocks[f"admin-revoke-{noun}"].value == f"Revoke {noun}"
        assert blocks[f"admin-{noun}s-refresh"].value == f"Refresh {noun}s"
        assert handler(demo, f"admin_{noun}s") is not None and handler(demo, f"admin_revoke_{noun}") is not None
    assert list(blocks["admin-tokens"].headers) == ["account", "id", "label", "created", "expires", "last_used"]
    assert list(blocks["admin-invites"].headers) == ["id", "role", "kind", "created_by", "created", "expires"]


def test_the_admin_page_lists_api_tokens_and_revokes_the_one_picked(studio: Studio, home: Path) -> None:
    demo, _ = _accounts_lists(studio)
    kept = studio.access.api_token("alice", label="laptop")
    studio.access.api_token("alice", label=f"{RLO}evil")
    listed = by_id(handler(demo, "admin_tokens")(_as("ada")))
    assert list(listed["admin-tokens"]["label"]) == ["laptop", f"{RLO}evil"]
    labels = _choices(listed["admin-token-pick"])
    number = int(listed["admin-tokens"]["id"][1])
    assert labels[number].startswith(f"#{number} · alice · ") and RLO not in labels[number]  # shown_choices
    assert listed["admin-token-pick"].value is None

    revoke = handler(demo, "admin_revoke_token")  # (picked, the number a first click asked about, request)
    asked = by_id(revoke(number, None, _as("ada")))  # the first click asks (s14 tokenpolish)
    assert asked == {"admin-tokens-result": asked["admin-tokens-result"], None: number}
    done = by_id(revoke(number, number, _as("ada")))
    note = done["admin-tokens-result"]
    assert note.startswith(f"Revoked API token #{number} (") and note.endswith(" of `alice`: it no longer works.")
    assert list(done["admin-tokens"]["label"]) == ["laptop"] and number not in _choices(done["admin-token-pick"])
    database = home / "judge-studio.sqlite3"
    assert sql_rows(database, "SELECT revoked FROM api_tokens WHERE id = ?", number) == [(1,)]
    assert studio.access.token_user(kept) is not None

    nothing = by_id(revoke(None, None, _as("ada")))
    assert nothing == {
        "admin-tokens-result": "⚠ Choose the API token to revoke \\(the list shows the tokens that still work\\)\\.",
        None: None,
    }
    first = int(listed["admin-tokens"]["id"][0])
    refused = by_id(revoke(first, first, _as("alice")))
    assert set(refused) == {"admin-tokens-result", None} and refused["admin-tokens-result"].startswith("⚠ ")
    assert sql_rows(database, "SELECT count(*) FROM api_tokens WHERE revoked") == [(1,)]
    with pytest.raises(gr.Error):
        handler(demo, "admin_tokens")(_as("alice"))


def test_the_admin_page_revokes_an_invite_through_the_same_section(studio: Studio) -> None:
    demo, _ = _accounts_lists(studio)
    desk = AdminDesk(studio)
    desk.invite("ada", "annotator", "skilled", 24)
    invite = desk.open_invites("ada")[0]
    nothing = by_id(handler(demo, "admin_revoke_invite")("", _as("ada")))
    assert nothing == {
        "admin-result": "⚠ Choose the invite to revoke \\(the list shows the links that still work\\)\\."
    }
    done = by_id(handler(demo, "admin_revoke_invite")(invite.id, _as("ada")))
    assert done["admin-result"] == (
        f"Revoked invite #{invite.id} (an `annotator` link for a `skilled` annotator, made by `ada`, valid until "
        f"{invite.expires_at:%Y-%m-%d %H:%M} UTC): it no longer works."
    )
    assert done["admin-invites"].empty and _choices(done["admin-invite-pick"]) == {}


# ---------------------------------------------------------------------- D4: one walk over an exception's causes
def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("INSERT INTO labels ...", {}, orig)


def test_causes_walks_the_driver_error_the_cause_and_groups_each_once() -> None:
    driver = sqlite3.OperationalError("database or disk is full")
    outer = _wrapped(driver)
    try:
        raise RuntimeError("the answer could not be stored") from outer
    except RuntimeError as exc:
        top = exc
    group = BaseExceptionGroup("task group", [top, top])
    assert list(causes(top)) == [top, outer, driver]
    assert list(causes(group)) == [group, top, outer, driver]
    assert list(causes(group, groups=False)) == [group]


def test_the_outage_and_storage_rules_both_read_through_the_chain() -> None:
    full = _wrapped(sqlite3.OperationalError("database or disk is full"))
    try:
        raise RuntimeError("wrapped") from full
    except RuntimeError as exc:
        assert storage_problem_kind(exc) == FULL
        assert not unreachable(exc)
    gone = _wrapped(sqlite3.OperationalError("unable to open database file"))
    try:
        raise RuntimeError("wrapped") from gone
    except RuntimeError as exc:
        assert unreachable(exc)
        assert unreachable(BaseExceptionGroup("task group", [exc]))
    assert unreachable(DisconnectionError("lost"))
    # the storage rule does not look inside exception groups (as before the merge)
    assert storage_problem_kind(BaseExceptionGroup("task group", [full])) is None


# ---------------------------------------------------------------------- D8: one responses= for both submits
def test_labels_and_ratings_submits_document_the_same_statuses(studio: Studio) -> None:
    with TestClient(api_app(studio)) as client:
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    labels = paths["/api/v1/labels"]["post"]["responses"]
    ratings = paths["/api/v1/ratings"]["post"]["responses"]
    errors = {code: answer["description"] for code, answer in labels.items() if code.startswith(("4", "5"))}
    assert errors == {
        "400": "a request you can fix (the message says how)",
        "401": "no, an unknown, a revoked or an expired API token",
        "403": "your role may not do this, or an annotator sent an id (annotators send `item`)",
        "404": "no such session open to you (unknown, or limited to members you are not one of: the same answer), or "
        "no item with that handle among the items handed to you there",
        "409": "not handed to you, or no longer yours to change (the message says why)",
        "413": "the body is larger than the server reads (nothing was read)",
        "415": "the body was not sent as JSON: send it with Content-Type: application/json",
        "422": labels["422"]["description"],
        "503": "the database cannot be reached, or the judge is not loaded; try again after Retry-After seconds",
    }
    assert {code: answer["description"] for code, answer in ratings.items() if code in errors} == errors
    assert "Retry-After" in labels["503"]["headers"] and "Retry-After" in ratings["503"]["headers"]
