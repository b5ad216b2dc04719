"""A draft never undoes a newer answer (s13 newfeat finding 1): ``static/drafts.js`` wrote a draft as soon as
← Previous showed an earlier answer, with nothing changed; after the answer was changed elsewhere (another tab,
REST: version 2) the next ← Previous put that old draft back under a header saying "(version 2)", and Submit
saved it as version 3 without a word. Now a draft is written only after the person changes something, it
records the version the item showed, and it is put back only onto that version: a newer stored answer wins and
the feedback line says the draft was dropped. The login page clears the tab's drafts (``/logout`` typed).
Debian's chromium on the app without a judge (``live_app``), so answers stay editable."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import two_model_dataset
from test_browser_answers import browser_page
from test_browser_keyboard import CHECKED, _saved
from test_s13_draft_browser import DRAFT_KEYS, PAIRS, SHOWS, _number, _start

from web.login import LOGIN_CSP

pytestmark = [pytest.mark.browser]

ELSEWHERE = "changed elsewhere (API)"
COMMENT_IS = "(c) => document.querySelector('#annotate-comment textarea').value === c"
FEEDBACK = "document.querySelector('#annotate-feedback').innerText"
DROPPED = "Your unsent draft was dropped: this answer was changed elsewhere (version 2)."


def _id(db_path: Path, handle: str) -> int:
    """The comparison ``handle`` names for alice in "Crowd" (annotators are told no ids: s15 blindids)."""
    from annotation_store import open_store
    from orchestration.item_handles import HandleBook

    store = open_store(db_path)
    try:
        return HandleBook(store, "pairwise", "comparison").resolve("alice", "Crowd", handle)
    finally:
        store.close()


def _label(db_path: Path, comparison: str) -> tuple[Any, ...]:
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT l.verdict, l.comment, l.version FROM labels l JOIN annotators a ON a.id = l.annotator_id "
            "WHERE a.name = 'alice' AND l.comparison_id = ?",
            (_id(db_path, comparison),),
        ).fetchone()
    return tuple(row)


def _answer_first(live_app: Any, page: Any) -> str:
    """Alice answers the first comparison "right" (version 1); the second one is on screen after. Returns its
    handle."""
    first = _start(page, "Crowd")
    page.locator("#label-2").click()
    page.wait_for_function(CHECKED, arg="right")
    page.locator("#annotate-comment textarea").fill("alice on first")
    page.locator("#submit-label").click()
    _saved(page, "Right is better", first)
    return _number(first)


def _previous(page: Any, number: str, version: int) -> None:
    page.wait_for_function("!document.querySelector('#previous-item').disabled")
    page.locator("#previous-item").click()
    page.wait_for_function(SHOWS, arg=number)
    page.wait_for_function(
        "(v) => document.querySelector('#annotate-header').innerText.includes(`(version ${v})`)", arg=version
    )


def _setup(live_app: Any) -> None:
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False, reveal_judge=False, gold_rate=0)


def test_previous_without_a_change_writes_no_draft_and_the_newer_answer_wins(live_app: Any) -> None:
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _answer_first(live_app, page)
        _previous(page, first, 1)
        page.wait_for_function(CHECKED, arg="right")
        page.wait_for_timeout(1500)  # the restore settles (about a second); the page is left too
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        assert page.evaluate(DRAFT_KEYS) == [], "nothing was changed: no draft"

        # alice changes it elsewhere (another tab, REST): version 2
        live_app.studio.store.save_label(_id(live_app.db_path, first), "alice", "1", comment=ELSEWHERE)
        page.locator("#start-labelling").click()  # the leased second comparison
        page.wait_for_function(f"(n) => !({SHOWS.split('=> ', 1)[1]})", arg=first)
        _previous(page, first, 2)
        page.wait_for_function(CHECKED, arg="left")
        page.wait_for_function(COMMENT_IS, arg=ELSEWHERE)
        page.wait_for_timeout(1200)
        page.wait_for_function(CHECKED, arg="left")  # still the stored answer, not an old draft
        assert page.locator("#annotate-comment textarea").input_value() == ELSEWHERE

        page.locator("#submit-label").click()  # the same answer: no new version
        page.wait_for_function(f"{FEEDBACK}.includes('was kept')")
    assert _label(live_app.db_path, first) == ("1", ELSEWHERE, 2)


def test_a_draft_made_on_an_older_version_is_dropped_with_a_note(live_app: Any) -> None:
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _answer_first(live_app, page)
        _previous(page, first, 1)
        page.locator("#label-tie").click()
        page.wait_for_function(CHECKED, arg="tie")
        page.locator("#annotate-comment textarea").fill("my unsent edit")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        stored = json.loads(page.evaluate(f"sessionStorage.getItem({DRAFT_KEYS}[0])"))
        # (the confidence and the flag are kept too since session 14: "0" is "–", none chosen)
        assert stored == {"choice": "tie", "comment": "my unsent edit", "confidence": "0", "flagged": False, "base": 1}

        live_app.studio.store.save_label(_id(live_app.db_path, first), "alice", "1", comment=ELSEWHERE)  # version 2
        page.reload()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Crowd'")
        _previous(page, first, 2)
        page.wait_for_function(f"(t) => {FEEDBACK}.includes(t)", arg=DROPPED)
        page.wait_for_function(CHECKED, arg="left")
        page.wait_for_function(COMMENT_IS, arg=ELSEWHERE)
        page.wait_for_timeout(1200)
        page.wait_for_function(CHECKED, arg="left")
        assert page.evaluate(DRAFT_KEYS) == [], "the dropped draft is gone"
        assert page.evaluate("document.querySelector('#annotate-feedback b, #annotate-feedback img') === null")

        page.locator("#submit-label").click()
        page.wait_for_function(f"{FEEDBACK}.includes('was kept')")
    assert _label(live_app.db_path, first) == ("1", ELSEWHERE, 2), "the newer answer was not overwritten"


def test_a_real_change_on_the_shown_version_survives_a_reload(live_app: Any) -> None:
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _answer_first(live_app, page)
        _previous(page, first, 1)
        page.locator("#label-tie").click()
        page.wait_for_function(CHECKED, arg="tie")
        page.locator("#annotate-comment textarea").fill("kept edit")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")

        page.reload()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Crowd'")
        _previous(page, first, 1)
        page.wait_for_function(CHECKED, arg="tie")
        page.wait_for_function(COMMENT_IS, arg="kept edit")
        assert "dropped" not in page.evaluate(FEEDBACK)
        page.locator("#submit-label").click()
        page.wait_for_function(f"{FEEDBACK}.includes('Saved')")
        verdict, comment, version = _label(live_app.db_path, first)
        assert (comment, version) == ("kept edit", 2) and verdict != "1"


def test_the_login_page_clears_the_drafts_of_the_tab(live_app: Any) -> None:
    """``/logout`` typed (no click on the Log out link): the login page it ends on removes the draft."""
    _setup(live_app)
    assert "script-src 'sha256-" in LOGIN_CSP and "'unsafe-inline'" not in LOGIN_CSP.split("style-src")[0]
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        _start(page, "Crowd")
        page.locator("#label-2").click()
        page.locator("#annotate-comment textarea").fill("PRIVATE")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        page.goto(live_app.url.rstrip("/") + "/logout")  # typed: the confirmation page
        assert page.evaluate(DRAFT_KEYS) != [], "the confirmation page keeps it (Back to Judge Studio)"
        page.locator("form[action='/logout'] button").first.click()
        page.wait_for_url("**/login**")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 0")
