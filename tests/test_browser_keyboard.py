"""The Annotate and Grade pages' keyboard and layout in Debian's chromium (s8 annotator findings 1, 5, 8,
11, 13): Enter submits once an answer is chosen wherever the focus is, Start does not wipe a choice,
number keys pick a rating, a phone scrolls to the feedback after a submit, and right-to-left responses
read right-aligned. On the app without a judge (``live_app``), with the helpers of
``test_browser_answers``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_browser_answers import browser_page

pytestmark = [pytest.mark.browser]

HEADER = "document.querySelector('#annotate-header').innerText"
CHECKED = "(v) => [...document.querySelectorAll('#annotate-choice input')].some(i => i.checked && i.value === v)"


def _labels(db_path: Path, name: str) -> list[tuple[str | None, int]]:
    with sqlite3.connect(db_path) as db:
        return db.execute(
            "SELECT l.verdict, l.version FROM labels l JOIN annotators a ON a.id = l.annotator_id "
            "WHERE a.name = ? ORDER BY l.id",
            (name,),
        ).fetchall()


def _start(page: Any, session: str) -> str:
    """The picker starts on ``session`` (the first real session, not the demo: finding 11); Start takes
    its first item. Returns the header."""
    page.wait_for_function("(s) => document.querySelector('#annotate-session input')?.value === s", arg=session)
    page.locator("#start-labelling").click()
    page.wait_for_function(f"{HEADER}.includes('Item ')")  # an annotator: the item's handle (s15 blindids)
    return str(page.locator("#annotate-header").inner_text())


def _saved(page: Any, what: str, before: str) -> str:
    """Wait for "Saved <what>" and the next item's header; returns the new header."""
    page.wait_for_function(
        "(w) => document.querySelector('#annotate-feedback').innerText.includes('Saved ' + w)", arg=what
    )
    page.wait_for_function(f"(b) => {HEADER} !== b", arg=before)
    return str(page.locator("#annotate-header").inner_text())


def test_enter_submits_after_a_click_on_start_a_choice_button_or_previous(live_app: Any) -> None:
    """Finding 1: each of these used to hand Enter to the focused button (Start reloaded the item and
    wiped the choice; "2" and Previous were clicked again) and nothing was saved."""
    # nothing is revealed after an answer, so an answer stays open to editing (← Previous)
    live_app.studio.store.save_session("Keys", "judge-studio-demo", randomize_order=False, reveal_judge=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _start(page, "Keys")  # the mouse click leaves the focus on Start
        page.keyboard.press("1")
        page.wait_for_function(CHECKED, arg="left")
        page.keyboard.press("Enter")
        header = _saved(page, "Left is better", header)
        assert _labels(live_app.db_path, "alice") == [("1", 1)]

        page.locator("#label-2").click()  # a choice button, then Enter
        page.wait_for_function(CHECKED, arg="right")
        page.keyboard.press("Enter")
        header = _saved(page, "Right is better", header)

        page.keyboard.press("t")  # Start while a choice is on screen: the choice stays, and the page says so
        page.wait_for_function(CHECKED, arg="tie")
        page.locator("#start-labelling").click()
        page.wait_for_function("document.querySelector('#annotate-feedback').innerText.includes('Still item')")
        assert page.locator("#annotate-header").inner_text() == header
        assert page.evaluate(CHECKED, "tie")
        page.keyboard.press("Enter")  # focus on Start still
        header = _saved(page, "Tie", header)

        page.locator("#previous-item").click()  # Previous, then 2 and Enter: the edit is saved
        page.get_by_text("editing your earlier answer (version 1)", exact=False).wait_for()
        page.keyboard.press("2")
        page.wait_for_function(CHECKED, arg="right")
        page.keyboard.press("Enter")
        page.get_by_text("(version 2)", exact=False).first.wait_for()
    assert _labels(live_app.db_path, "alice") == [("1", 1), ("2", 1), ("2", 2)]


@contextmanager
def grading_page(live_app: Any, name: str, password: str, session: str = "Grade five") -> Iterator[Any]:
    """A 1-5 grading session ``session`` on the demo data, opened before ``name`` signs in; their page on the
    Grade tab, its picker on that session, Start pressed: the first response is on screen."""
    live_app.studio.store.save_session(session, "judge-studio-demo", kind="single", scale=5)
    with browser_page(live_app.url, name, password) as page:
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("(s) => document.querySelector('#grade-session input')?.value === s", arg=session)
        page.locator("#start-grading").click()
        page.wait_for_function("document.querySelector('#grade-header').innerText.includes('Item ')")
        yield page


def test_a_number_key_picks_the_rating_and_enter_submits_on_the_grade_page(live_app: Any) -> None:
    """Finding 8: number keys did nothing and Enter on the focused rating radio was ignored."""
    with grading_page(live_app, "alice", "alice-pass-1") as page:
        assert "keys 1-5" in page.locator("#grade-rating").inner_text()  # the hint names the keys
        page.locator("#grade-rating input[value='2']").click()  # the focus on a rating radio
        page.keyboard.press("9")  # not on a 1-5 scale: nothing changes
        page.keyboard.press("4")
        page.wait_for_function("document.querySelector('#grade-rating input[value=\"4\"]')?.checked === true")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated 4/5')")
    with sqlite3.connect(live_app.db_path) as db:
        assert db.execute(
            "SELECT r.rating, r.version FROM ratings r JOIN annotators a ON a.id = r.annotator_id "
            "WHERE a.name = 'alice'"
        ).fetchall() == [(4, 1)]


def test_on_a_phone_the_feedback_is_on_screen_after_a_submit(live_app: Any) -> None:
    """Finding 5: at 390x844 the page stayed at the bottom and the feedback was 600 px above the screen."""
    live_app.studio.store.save_session("Phone", "judge-studio-demo", randomize_order=False)
    with browser_page(live_app.url, "bob", "bob-pass-1") as page:
        page.set_viewport_size({"width": 390, "height": 844})
        header = _start(page, "Phone")
        page.locator("#label-1").click()
        page.wait_for_function(CHECKED, arg="left")
        # Submit now stays on a phone's screen (s11 polish): scroll to the end, where it sits in its own place
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        assert page.evaluate("window.scrollY") > 400
        page.locator("#submit-label").click()
        _saved(page, "Left is better", header)
        page.wait_for_function(
            "() => { const f = document.querySelector('#annotate-feedback').getBoundingClientRect();"
            " const h = document.querySelector('#annotate-header').getBoundingClientRect();"
            " return f.top >= 0 && h.bottom <= window.innerHeight; }"
        )


def test_a_right_to_left_response_reads_right_aligned(live_app: Any) -> None:
    """Finding 13: Arabic and Hebrew responses were left-aligned; each paragraph now takes its own
    direction (the text still goes through ui/render.py: tags show as text)."""
    arabic = "باريس هي عاصمة فرنسا <b>"
    data = {
        "name": "rtl data",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [{"id": "q1", "instruction": "عاصمة فرنسا؟", "responses": {"a": arabic, "b": "Paris."}}],
    }
    assert live_app.studio.store.seed_dataset(data, pairs_per_prompt=1)
    live_app.studio.store.save_session("RTL", "rtl data", randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        _start(page, "RTL")
        side = "1" if "باريس" in page.locator("#annotate-response-1").inner_text() else "2"
        paragraph = page.locator(f"#annotate-response-{side} p").first
        assert "<b>" in paragraph.inner_text()  # escaped: the tag shows as text
        # the text's right edge sits at the paragraph's right edge (left-aligned text ends far from it)
        gap = paragraph.evaluate(
            "p => { const r = document.createRange(); r.selectNodeContents(p);"
            " return p.getBoundingClientRect().right - r.getBoundingClientRect().right; }"
        )
        assert gap < 20, gap
        english = page.locator(f"#annotate-response-{'2' if side == '1' else '1'} p").first
        left_gap = english.evaluate(
            "p => { const r = document.createRange(); r.selectNodeContents(p);"
            " return r.getBoundingClientRect().left - p.getBoundingClientRect().left; }"
        )
        assert left_gap < 20, left_gap  # left-to-right text stays left-aligned
