"""A reload keeps the answer being written (session 13, "invitesdraft"): the chosen answer and the comment on the
Annotate page, the rating and the comment on the Grade page, were gone after a reload. ``static/drafts.js`` keeps
a draft in the tab's sessionStorage, keyed by the page, the account, the session and the item's number; it comes
back when the same item is shown again, as text (``.value``), and is removed on submit, so the next item starts
empty. Debian's chromium on the app without a judge (``live_app``) and a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import two_model_dataset
from test_browser_answers import browser_page
from test_browser_keyboard import CHECKED, _saved

pytestmark = [pytest.mark.browser]

PAIRS = "draft-pairs"
COMMENT = "<b>not bold</b> <img src=x onerror=window.__drafted=1> half-written"
DRAFT_KEYS = "Object.keys(sessionStorage).filter(k => k.includes('judge-studio-draft'))"
GRADE_HEADER = "document.querySelector('#grade-header').innerText"


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(query, args).fetchall()


def _number(header: str) -> str:
    """ "Item 7KQ2MXA3FZ · …" -> "7KQ2MXA3FZ" (annotators see an item's handle, not its number: s15 blindids)."""
    return header.split()[1]


SHOWS = "(n) => (document.querySelector('#annotate-header').innerText.match(/^\\s*Item\\s+(\\S+)/) || [])[1] === n"


def _start(page: Any, session: str, prefix: str = "annotate", start: str = "start-labelling") -> str:
    """After a (re)load: wait for the picker to show ``session``, press Start, return the item's header."""
    page.wait_for_function(f"document.querySelector('#{prefix}-session input')?.value === '{session}'")
    page.wait_for_function(f"!document.querySelector('#{start}').disabled")
    page.locator(f"#{start}").click()
    page.wait_for_function(f"document.querySelector('#{prefix}-header').innerText.includes('Item ')")
    return str(page.locator(f"#{prefix}-header").inner_text())


def _nothing_restored(page: Any, prefix: str, answer: str) -> None:
    page.wait_for_timeout(1200)  # the draft script tries for about a second
    assert page.evaluate(f"document.querySelectorAll('#{answer} input:checked').length") == 0
    assert page.locator(f"#{prefix}-comment textarea").input_value() == ""


def test_a_reload_keeps_the_chosen_answer_and_comment_until_submit(live_app: Any) -> None:
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _start(page, "Crowd")
        page.locator("#label-2").click()
        page.wait_for_function(CHECKED, arg="right")
        page.locator("#annotate-comment textarea").fill(COMMENT)
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")  # written while typing, not only on leaving

        page.reload()
        again = _start(page, "Crowd")
        assert _number(again) == _number(header), "the lease holds: Start shows the same comparison"
        page.wait_for_function(CHECKED, arg="right")
        box = page.locator("#annotate-comment textarea")
        page.wait_for_function("(c) => document.querySelector('#annotate-comment textarea').value === c", arg=COMMENT)
        assert box.input_value() == COMMENT
        assert page.evaluate("window.__drafted === undefined && !document.querySelector('#annotate-comment b')")

        page.locator("#submit-label").click()
        nxt = _saved(page, "Right is better", again)
        assert _number(nxt) != _number(header)
        assert page.evaluate(DRAFT_KEYS) == [], "the submitted item's draft is gone"
        _nothing_restored(page, "annotate", "annotate-choice")

        page.reload()
        after = _start(page, "Crowd")
        assert _number(after) == _number(nxt), "the next comparison, still leased"
        _nothing_restored(page, "annotate", "annotate-choice")
        assert page.evaluate(DRAFT_KEYS) == []
    # the restored comment reached the server with the submit, as typed
    assert _sql(
        live_app.db_path,
        "SELECT l.verdict, l.comment FROM labels l JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'alice'",
    ) == [("2", COMMENT)]


def test_a_draft_is_never_put_onto_another_item(live_app: Any) -> None:
    """A draft written for one comparison stays with it: ← Previous to an earlier answer and Start to a
    new comparison show their own answers, and a draft planted for another session's item is ignored."""
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False)
    with browser_page(live_app.url, "bob", "bob-pass-1") as page:
        first = _start(page, "Crowd")
        page.locator("#label-1").click()
        page.wait_for_function(CHECKED, arg="left")
        page.locator("#submit-label").click()
        second = _saved(page, "Left is better", first)
        page.locator("#label-2").click()
        page.wait_for_function(CHECKED, arg="right")
        page.locator("#annotate-comment textarea").fill("about the second one")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        # a draft under another session's name for the same number: never used here
        page.evaluate(
            "(k) => sessionStorage.setItem(k, JSON.stringify({choice: 'tie', comment: 'other session'}))",
            json.dumps(["judge-studio-draft", "annotate", "x", "Other", _number(first)]),
        )

        page.reload()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Crowd'")
        page.wait_for_function("!document.querySelector('#previous-item').disabled")
        page.locator("#previous-item").click()  # the first comparison, answered "left", no comment
        page.wait_for_function(SHOWS, arg=_number(first))
        page.wait_for_function(CHECKED, arg="left")
        page.wait_for_timeout(1200)
        assert page.locator("#annotate-comment textarea").input_value() == ""
        page.wait_for_function(CHECKED, arg="left")  # the second item's draft did not land here

        page.locator("#start-labelling").click()  # back to the second comparison (still leased): its draft
        page.wait_for_function(SHOWS, arg=_number(second))
        page.wait_for_function(CHECKED, arg="right")
        page.wait_for_function("document.querySelector('#annotate-comment textarea').value === 'about the second one'")


def test_the_grade_page_keeps_the_rating_and_comment_over_a_reload(live_app: Any) -> None:
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Grades", PAIRS, kind="single", scale=5, randomize_order=False)
    checked = '(v) => document.querySelector(`#grade-rating input[value="${v}"]`)?.checked'
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        header = _start(page, "Grades", "grade", "start-grading")
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 5")
        page.locator("#grade-rating input[value='4']").click()
        page.wait_for_function(checked, arg="4")
        page.locator("#grade-comment textarea").fill("too long")

        page.reload()
        page.get_by_role("tab", name="Grade").click()
        again = _start(page, "Grades", "grade", "start-grading")
        assert _number(again) == _number(header)
        page.wait_for_function(checked, arg="4")
        page.wait_for_function("document.querySelector('#grade-comment textarea').value === 'too long'")

        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated 4/5')")
        page.wait_for_function(f"(h) => {GRADE_HEADER} !== h", arg=again)
        nxt = str(page.locator("#grade-header").inner_text())
        page.reload()
        page.get_by_role("tab", name="Grade").click()
        after = _start(page, "Grades", "grade", "start-grading")
        assert _number(after) == _number(nxt) != _number(header)
        _nothing_restored(page, "grade", "grade-rating")
    assert _sql(
        live_app.db_path,
        "SELECT r.rating, r.comment FROM ratings r JOIN annotators a ON a.id = r.annotator_id WHERE a.name = 'alice'",
    ) == [(4, "too long")]
