"""s15 expert tester, findings 1 and 2.

1. The same item answered in a second tab left the first tab stuck: every Submit there was refused with "… was
   changed elsewhere …; open it again to see it as it is now, then edit. Nothing was saved." and the page stayed
   as it was (only ← Previous got out; the message named no control). Now the refused Submit shows the item as it
   is stored now (the stored answer chosen, its version, editable as ← Previous shows it) and says so: Submit then
   keeps it and moves on, or a new choice changes it. REST answers the same sentence (one message, with the
   version stored now), and the Grade page shares the path.
2. After a server outage Gradio reloads the page: the item is gone, and Submit said "Press Start first: there is
   no comparison on screen". A page loaded while the tab keeps a draft for the session picked now says so and
   names Start; the "nothing on screen" line names Start as the way back.
Handlers in process (``gradio_ids.handler``) and Debian's chromium on the app without a judge (``live_app``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import two_model_dataset
from gradio_ids import by_id, handler
from test_rest_api import SESSION, api  # noqa: F401 (the REST clients fixture)

from annotation_store import StoreChanged
from orchestration import Settings, Studio

SENTENCE = "was changed elsewhere (in another tab, window or program) after you opened it here: it is version 1 now."
NEXT_STEP = "It is shown as it is now: Submit keeps it and moves on; choose again, then Submit, to change it."


@pytest.fixture
def studio(db_path: Path) -> Studio:
    studio = Studio.open(Settings(home=db_path.parent))
    studio.store.create_annotator("alice", role="annotator", password="alice-pass-1")
    data = {
        "name": "two pairs",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [
            {"id": "q1", "instruction": "Say hi", "responses": {"a": "hi", "b": "hello"}},
            {"id": "q2", "instruction": "Say bye", "responses": {"a": "bye", "b": "goodbye"}},
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    # blind, nothing revealed after an answer: answers stay open to edits
    studio.store.save_session("Pairs", "two pairs", overlap=1, randomize_order=False, reveal_judge=False)
    studio.store.save_session("Grades", "two pairs", kind="single", overlap=1, reveal_judge=False)
    return studio


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _states(updates: dict[Any, Any]) -> list[Any]:
    """The page's per-tab states in order: shown_id, swapped, shown_at, version, key, session."""
    return [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))]


def _read(markdown: str) -> str:
    return markdown.replace("\\", "")


def _rows(studio: Studio, query: str) -> list[tuple[Any, ...]]:
    with studio.store.engine.begin() as connection:
        return [tuple(r) for r in connection.exec_driver_sql(query).fetchall()]


def test_a_submit_refused_for_a_second_tab_shows_the_item_as_stored_and_the_next_submit_moves_on(
    demo: gr.Blocks, studio: Studio
) -> None:
    alice = gr.Request(username="alice")
    next_item, submit = handler(demo, "next_item"), handler(demo, "submit_label")
    shown = _states(next_item("Pairs", alice))[0]  # tab 1
    assert _states(next_item("Pairs", alice))[0] == shown  # tab 2: the same item (the same lease)
    submit("submit", "Pairs", shown, False, 1.0, 0, "tab-2", "tie", 0, False, "from tab 2", alice)

    refused = submit("submit", "Pairs", shown, False, 1.0, 0, "tab-1", "right", 0, False, "", alice)
    seen = by_id(refused)
    note = _read(seen["annotate-feedback"])
    assert SENTENCE in note and "Nothing was saved." in note and NEXT_STEP in note
    assert "open it again" not in note
    assert "(version 1)" in seen["annotate-header"] and "editing your earlier answer" in seen["annotate-header"]
    assert seen["annotate-choice"]["value"] == "tie" and seen["annotate-choice"]["interactive"] is True
    assert seen["annotate-comment"]["value"] == "from tab 2"
    states = _states(refused)
    assert states[0] == shown and states[3] == 1  # the page now submits for version 1

    # Submit as shown: kept, and on to the next item (it used to be refused again and again)
    kept = by_id(submit("submit", "Pairs", shown, False, 1.0, 1, states[4], "tie", 0, False, "from tab 2", alice))
    assert "was kept" in kept["annotate-feedback"] and "(version" not in kept["annotate-header"]
    assert _rows(studio, "SELECT verdict, version, comment FROM labels") == [("tie", 1, "from tab 2")]


def test_a_new_choice_after_the_refusal_changes_the_stored_answer(demo: gr.Blocks, studio: Studio) -> None:
    alice = gr.Request(username="alice")
    next_item, submit = handler(demo, "next_item"), handler(demo, "submit_label")
    shown = _states(next_item("Pairs", alice))[0]
    submit("submit", "Pairs", shown, False, 1.0, 0, "tab-2", "tie", 0, False, "", alice)
    states = _states(submit("submit", "Pairs", shown, False, 1.0, 0, "tab-1", "right", 0, False, "", alice))
    saved = by_id(submit("submit", "Pairs", shown, False, 1.0, states[3], states[4], "right", 0, False, "", alice))
    assert "Saved **Right is better**" in saved["annotate-feedback"] and "(version 2)" in saved["annotate-feedback"]
    assert _rows(studio, "SELECT verdict, version FROM labels") == [("2", 2)]


def test_the_grade_page_shares_the_path(demo: gr.Blocks, studio: Studio) -> None:
    alice = gr.Request(username="alice")
    next_item, submit = handler(demo, "next_response"), handler(demo, "submit_rating")
    shown = _states(next_item("Grades", alice))[0]
    submit("submit", "Grades", shown, False, 1.0, 0, "tab-2", "7", 0, False, "", alice)
    refused = by_id(submit("submit", "Grades", shown, False, 1.0, 0, "tab-1", "3", 0, False, "", alice))
    note = _read(refused["grade-feedback"])
    assert SENTENCE in note and NEXT_STEP in note and "(version 1)" in refused["grade-header"]
    assert _rows(studio, "SELECT rating, version FROM ratings") == [(7, 1)]


def test_the_store_and_rest_say_the_same_sentence(studio: Studio) -> None:
    """One message: the store's refusal (what REST answers as 409's detail) is the sentence the page starts with."""
    item = studio.desk.next_item("alice", "Pairs")
    assert item is not None
    studio.desk.submit("alice", "Pairs", item.id, "tie", swapped=item.swapped, expected_version=0)
    with pytest.raises(StoreChanged) as refused:
        studio.desk.submit("alice", "Pairs", item.id, "left", swapped=item.swapped, expected_version=0)
    assert refused.value.version == 1 and SENTENCE in str(refused.value) and "Nothing was saved." in str(refused.value)
    assert "#" not in str(refused.value)  # an annotator is told the item's handle, never its id


def test_rest_answers_409_with_the_sentence(api: Any, live_app: Any) -> None:  # noqa: F811
    """REST: a stale ``expected_version`` is 409 with the same sentence (the version stored now in it)."""
    live_app.studio.store.save_session(SESSION, "judge-studio-demo", reveal_judge=False)  # edits stay open
    leased = api["bob"].post(f"/sessions/{SESSION}/next").json()
    body = {"session": SESSION, "item": leased["item"]["item"], "choice": "tie"}
    assert api["bob"].post("/labels", json={**body, "expected_version": 0}).status_code == 200
    stale = api["bob"].post("/labels", json={**body, "choice": "left", "expected_version": 0})
    assert stale.status_code == 409 and SENTENCE in stale.json()["detail"]


def test_submit_with_nothing_on_screen_names_start_as_the_way_back(demo: gr.Blocks) -> None:
    alice = gr.Request(username="alice")
    for api_name, feedback, start in (
        ("submit_label", "annotate-feedback", "Start / next item"),
        ("submit_rating", "grade-feedback", "Start / next response"),
    ):
        note = _read(
            by_id(handler(demo, api_name)("submit", "Pairs", None, False, 0.0, 0, "k", "left", 0, False, "", alice))[
                feedback
            ]
        )
        assert f"Press “{start}” to get one; after a reload it brings back" in note and "Nothing was saved" in note


# ---------------------------------------------------------------------- in the browser
PAIRS = "expert-pairs"
FEEDBACK = "document.querySelector('#annotate-feedback').innerText"
HEADER = "document.querySelector('#annotate-header').innerText"
RESUME = "You were answering an item of Crowd: press “Start / next item” to get it back; your unsent answer is kept."


def _start(page: Any, session: str) -> str:
    """After a (re)load: the picker on ``session``, Start pressed; returns the item's header (an annotator's
    "Item 7KQ2MXA3FZ", a reviewer's "Comparison #3")."""
    page.wait_for_function("(s) => document.querySelector('#annotate-session input')?.value === s", arg=session)
    page.wait_for_function("!document.querySelector('#start-labelling').disabled")
    page.locator("#start-labelling").click()
    page.wait_for_function(f"/^\\s*(Comparison #\\d+|Item [A-Z2-7]+)/.test({HEADER})")
    return str(page.locator("#annotate-header").inner_text())


def _labels(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT comparison_id, verdict, version FROM labels ORDER BY id").fetchall()


@pytest.mark.browser
def test_a_second_tab_no_longer_leaves_the_first_stuck(live_app: Any) -> None:
    from test_browser_answers import browser_page
    from test_browser_keyboard import CHECKED

    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False, reveal_judge=False, gold_rate=0)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _start(page, "Crowd")
        # the same login in a second tab (its cookie): the same item, answered Tie there
        context = page.context.browser.new_context(storage_state=page.context.storage_state())
        second = context.new_page()
        second.goto(live_app.url)
        assert _start(second, "Crowd").split("·")[0] == first.split("·")[0]
        second.locator("#label-tie").click()
        second.wait_for_function(CHECKED, arg="tie")
        second.locator("#submit-label").click()
        second.wait_for_function(f"{FEEDBACK}.includes('Saved')")

        page.bring_to_front()
        page.locator("#label-2").click()
        page.wait_for_function(CHECKED, arg="right")
        page.keyboard.press("Enter")
        page.wait_for_function(f"{FEEDBACK}.includes('changed elsewhere')")
        assert NEXT_STEP in page.evaluate(FEEDBACK)
        page.wait_for_function(f"{HEADER}.includes('(version 1)')")
        page.wait_for_function(CHECKED, arg="tie")  # the stored answer, chosen

        page.keyboard.press("Enter")  # Submit moves on now, keeping tab 2's answer
        page.wait_for_function(f"{FEEDBACK}.includes('was kept')")
        page.wait_for_function(f"(b) => !{HEADER}.includes('(version') && {HEADER} !== b", arg=first)
    assert [(v, n) for _, v, n in _labels(live_app.db_path)] == [("tie", 1)]


@pytest.mark.browser
def test_a_reloaded_page_says_the_draft_is_kept_and_start_brings_it_back(live_app: Any) -> None:
    from test_browser_answers import browser_page
    from test_browser_keyboard import CHECKED
    from test_s13_draft_browser import DRAFT_KEYS

    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False, reveal_judge=False, gold_rate=0)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _start(page, "Crowd")
        page.wait_for_timeout(300)
        assert RESUME not in page.evaluate(FEEDBACK)  # no hint while an item is on screen
        page.locator("#label-2").click()
        page.locator("#annotate-comment textarea").fill("half-written")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")

        page.reload()  # what Gradio does by itself when the server is back after an outage
        said = "(t) => (document.querySelector('#annotate-feedback')?.innerText || '').includes(t)"
        page.wait_for_function(said, arg=RESUME)
        assert page.locator("#annotate-feedback b, #annotate-feedback img").count() == 0

        page.locator("#submit-label").click()  # Submit first, as the expert did: the line names Start
        page.wait_for_function(f"{FEEDBACK}.includes('to get one; after a reload it brings back')")

        page.locator("#start-labelling").click()
        page.wait_for_function("(b) => document.querySelector('#annotate-header').innerText === b", arg=first)
        page.wait_for_function(CHECKED, arg="right")
        page.wait_for_function("document.querySelector('#annotate-comment textarea').value === 'half-written'")
        page.wait_for_timeout(900)
        assert RESUME not in page.evaluate(FEEDBACK)  # the item is back: the hint is gone
