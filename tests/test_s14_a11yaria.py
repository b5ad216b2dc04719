"""Session 14, task "a11yaria", without a browser: what the pages say and hold.

- Finding 10: Submit on a final answer opened with ← Previous moves on and stores nothing; the feedback said
  "Saved Left is better on comparison #N (version 1)", which read as saved again. It now says the answer was
  kept, and the database still holds version 1.
- Finding 12: the invite page puts the focus on "Your name", and after an error on the field in error (marked
  aria-invalid); after the sign-up the login page focuses the password (the name is filled in).
- Finding 15: the login and invite pages have dark-mode colours.
- Finding 7: the item's title is an H2, "Instruction" and "Input" are H3.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from test_answer_page_screens import _read, _state, demo, studio  # noqa: F401 (fixtures)

from orchestration import Settings, Studio


def test_submit_on_a_final_answer_says_it_was_kept_not_saved(demo: gr.Blocks, studio: Studio) -> None:  # noqa: F811
    alice = gr.Request(username="alice")
    shown = _state(handler(demo, "next_item")("One", alice))
    submit = handler(demo, "submit_label")
    first = by_id(submit("submit", "One", shown, False, 1.0, 0, "k-1", "left", 0, False, "", alice))
    handle = studio.desk.open_item("alice", "One", shown).ref.handle  # alice is told a handle (s15 blindids)
    assert f"Saved **Left is better** on item {handle} (version 1)" in first["annotate-feedback"]
    back = by_id(handler(demo, "previous_item")("One", None, alice))
    assert "your answer (version 1) is final" in back["annotate-header"]
    again = by_id(submit("submit", "One", shown, False, 1.0, 1, "k-2", "left", 0, False, "", alice))
    said = _read(again["annotate-feedback"])
    assert said.startswith("Moved on; your final answer (version 1) was kept."), said
    assert "Saved" not in said
    label = studio.desk.previous("alice", "One", None).label
    assert label is not None and label.version == 1 and label.verdict is not None  # nothing new was written


def test_a_rating_kept_as_it_was_is_not_called_rated_again(demo: gr.Blocks, studio: Studio) -> None:  # noqa: F811
    studio.store.save_session("Rate", "one pair", kind="single", overlap=1)
    alice = gr.Request(username="alice")
    shown = _state(handler(demo, "next_response")("Rate", alice))
    submit = handler(demo, "submit_rating")
    submit("submit", "Rate", shown, False, 1.0, 0, "r-1", "7", 0, False, "", alice)
    handler(demo, "previous_rating")("Rate", None, alice)
    again = by_id(submit("submit", "Rate", shown, False, 1.0, 1, "r-2", "7", 0, False, "", alice))
    said = _read(again["grade-feedback"])
    assert said.startswith("Moved on; your final rating (version 1) was kept."), said


def test_the_item_title_is_a_heading_and_instruction_a_subheading(demo: gr.Blocks) -> None:  # noqa: F811
    shown = by_id(handler(demo, "next_item")("One", gr.Request(username="alice")))
    assert shown["annotate-header"].startswith("## Item **")  # alice, an annotator: the item's handle
    assert shown["annotate-prompt"].startswith("### Instruction\n\n")


@pytest.fixture
def web(db_path: Path) -> Any:
    from web import create_app

    opened = Studio.open(Settings(home=db_path.parent))
    opened.store.create_annotator("admin", role="admin", kind="expert", password="admin-pass-1")
    with TestClient(create_app(opened)) as client:
        client.studio = opened  # type: ignore[attr-defined]
        yield client
    opened.store.close()


def _autofocused(html_text: str) -> list[str]:
    return re.findall(r'<input id="(\w+)"[^>]*\sautofocus', html_text)


def _invalid(html_text: str) -> list[str]:
    return re.findall(r'<input id="(\w+)"[^>]*aria-invalid="true"', html_text)


def test_invite_page_focuses_the_name_then_the_field_in_error(web: Any) -> None:
    token = web.studio.access.invite("admin", role="annotator", kind="expert", hours=1)
    form = web.get(f"/invite/{token}")
    assert _autofocused(form.text) == ["name"] and _invalid(form.text) == []
    origin = {"origin": str(web.base_url).rstrip("/")}
    fields = {"name": "newbie", "password": "long-pass-1", "password2": "long-pass-2"}
    differ = web.post(f"/invite/{token}", data=fields, headers=origin)
    assert "The two passwords differ" in differ.text
    assert _autofocused(differ.text) == ["password"] and _invalid(differ.text) == ["password", "password2"]
    short = web.post(f"/invite/{token}", data={**fields, "password": "x", "password2": "x"}, headers=origin)
    assert _autofocused(short.text) == ["password"], short.text
    taken = web.post(f"/invite/{token}", data={**fields, "name": "admin", "password2": "long-pass-1"}, headers=origin)
    assert _autofocused(taken.text) == ["name"] and _invalid(taken.text) == ["name"], taken.text
    created = web.post(
        f"/invite/{token}", data={**fields, "password2": "long-pass-1"}, headers=origin, follow_redirects=False
    )
    login = web.get(created.headers["location"])
    assert 'value="newbie"' in login.text and _autofocused(login.text) == ["password"]
    assert _autofocused(web.get("/login").text) == ["username"]  # nothing filled in: the name first


def test_login_and_invite_pages_have_dark_mode_colours(web: Any) -> None:
    page = web.get("/login").text
    dark = page.split("@media (prefers-color-scheme: dark)", 1)
    assert len(dark) == 2 and "background" in dark[1] and "color-scheme: dark" in dark[1]
    assert 'style="background:#fef3c7' not in web.get("/login?logged_out=1").text  # the notice's colours are CSS
