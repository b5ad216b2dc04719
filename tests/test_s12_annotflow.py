"""The Annotate / Grade pages as a crowd lead's annotators met them (session 12, task "annotflow"; crowd
findings 1, 12, 13), without a browser: the real Gradio handlers over a real SQLite file, and the real HTTP
login page.

- The picker has no value and Start / Previous are greyed out until the page load has set the person's
  session (a Start in that first second leased an item of the demo session under the real session's name);
  the load keeps a session already picked.
- Picking another session while an item is on screen takes the item off the page (one session's name over
  another session's item), and says how to get it back.
- The guidelines show as soon as a session is picked, before Start.
- The login page names the first admin's password only while no one else can log in, never after an
  invite sign-up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import two_model_dataset
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler

from orchestration import DEMO_SESSION, Settings, Studio

PAIRS = "flow-pairs"
ALICE = gr.Request(username="alice")


def _component(demo: gr.Blocks, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def _event(demo: gr.Blocks, name: str, output_id: str) -> Any:
    for block_fn in demo.fns.values():
        outputs = [getattr(c, "elem_id", None) for c in block_fn.outputs]
        if getattr(block_fn.fn, "__name__", "") == name and output_id in outputs:
            return block_fn.fn
    raise AssertionError(f"no event {name!r} with output {output_id!r}")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("alice", password="alice-pass-1")
    two_model_dataset(s.store, PAIRS, n=3)
    return s


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def test_start_is_greyed_out_until_the_load_has_set_the_session(demo: gr.Blocks, studio: Studio) -> None:
    # the session is opened after the page was built (as an admin does on a running server)
    studio.store.save_session("Crowd", PAIRS, guidelines="Prefer the **shorter** answer.")
    pages = (("annotate", "start-labelling", "previous-item"), ("grade", "start-grading", "previous-rating"))
    for prefix, start, previous in pages:
        assert _component(demo, f"{prefix}-session").value is None  # no built-in value shown for a second
        assert _component(demo, start).interactive is False
        assert _component(demo, previous).interactive is False
    loaded = by_id(_event(demo, "load_sessions", "annotate-session")(ALICE))
    assert loaded["annotate-session"].value == "Crowd"
    assert loaded["start-labelling"]["interactive"] is True and loaded["previous-item"]["interactive"] is True
    # the guidelines are there before Start (finding 12: the panel was empty until the first item)
    assert "Prefer the **shorter** answer." in loaded["annotate-guidelines"]
    assert "Guidelines, version 1" in loaded["annotate-guidelines"]
    # a session picked before the load came back stays picked
    kept = by_id(_event(demo, "load_sessions", "annotate-session")(ALICE, DEMO_SESSION))
    assert kept["annotate-session"].value == DEMO_SESSION
    assert "Guidelines" in kept["annotate-guidelines"] and "shorter" not in kept["annotate-guidelines"]
    typo = by_id(_event(demo, "load_sessions", "annotate-session")(ALICE, "no such session"))
    assert typo["annotate-session"].value == "Crowd"


def test_picking_a_session_shows_its_guidelines_before_start(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("Crowd", PAIRS, guidelines="Prefer the **shorter** answer.")
    chosen = _event(demo, "session_chosen", "annotate-guidelines")
    shown = by_id(chosen("Crowd", None, ALICE))
    assert "Prefer the **shorter** answer." in shown["annotate-guidelines"]
    assert by_id(chosen("no such session", None, ALICE))["annotate-guidelines"] == ""
    assert list(chosen("Crowd", None, gr.Request(username=None)).values()) == [gr.skip()]  # no role: nothing


def test_picking_another_session_takes_the_item_off_the_page(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("Crowd", PAIRS, guidelines="Crowd rules.")
    item = by_id(handler(demo, "next_item")("Crowd", ALICE))
    shown_id = handler_updates(demo, "Crowd")["id"]  # Start again: the same (leased) comparison
    assert item["annotate-header"].startswith("## Item **")  # alice: the item's handle (s15 blindids)
    chosen = _event(demo, "session_chosen", "annotate-guidelines")
    same = chosen("Crowd", shown_id, ALICE, "Crowd")
    assert list(same.values()) == [gr.skip()]  # the item's own session: the item stays
    moved = by_id(chosen(DEMO_SESSION, shown_id, ALICE, "Crowd"))
    assert moved["annotate-header"].startswith("_Choose the session above")
    handle = studio.desk.open_item("alice", "Crowd", shown_id).ref.handle
    assert f"Item {handle} of Crowd stays yours" in moved["annotate-feedback"]
    assert moved["submit-label"]["interactive"] is False and moved["label-1"]["interactive"] is False
    assert "Crowd rules." not in moved["annotate-guidelines"]
    # the lease holds: back to "Crowd", Start hands out the same comparison
    again = by_id(handler(demo, "next_item")("Crowd", ALICE))
    assert again["annotate-header"] == item["annotate-header"]


def handler_updates(demo: gr.Blocks, session: str) -> dict[str, Any]:
    """The item Start hands alice in ``session`` now (her lease: the same one again), as {"id": ...}."""
    updates = handler(demo, "next_item")(session, ALICE)
    states = [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))]
    return {"id": states[0], "session": states[-1]}


def test_the_shown_item_records_its_session(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("Crowd", PAIRS)
    shown = handler_updates(demo, "Crowd")
    assert isinstance(shown["id"], int) and shown["session"] == "Crowd"


# ---------------------------------------------------------------------- finding 13: the login page
FIRST_START = "First start: the server printed the admin password"


def test_the_login_page_names_the_admin_password_only_on_a_first_start(tmp_path: Path) -> None:
    from web import create_app

    studio = Studio.open(Settings(home=tmp_path))
    studio.access.ensure_admin(tmp_path)
    with TestClient(create_app(studio)) as client:
        assert FIRST_START in client.get("/login").text  # only the first admin can log in yet
        studio.store.create_annotator("eva", password="eva-pass-12")  # an account made (here: as an invite does)
        after_invite = client.get("/login?created=1&name=eva").text
        assert "Your account was created" in after_invite and FIRST_START not in after_invite
        assert FIRST_START not in client.get("/login").text  # someone else can log in: the admin has been here
        assert FIRST_START not in client.get("/login?logged_out=1").text
        assert re.search(r"Log in with the name and password an admin gave you", client.get("/login").text)
