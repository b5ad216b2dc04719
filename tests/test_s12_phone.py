"""On a phone (390 x 844, session 12, task "sessions"): the Grade page's rating row is part of the sticky
answer bar (it stayed behind, up the page, while only Submit / Skip followed the screen), and the Annotate
page shows one "Your answer" control, the sticky choice buttons (the radio that repeated them is hidden
from sight, still read by screen readers and still set by the buttons). Debian chromium through
Playwright, the real app over a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_browser_answers import browser_page
from test_browser_keyboard import _saved, _start

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
DEMO = "judge-studio-demo"
BOX = "(s) => { const r = document.querySelector(s).getBoundingClientRect(); return [r.top, r.bottom, r.height]; }"
LABELS = (
    "[...document.querySelectorAll('#grade-rating label')]"
    ".map(l => { const r = l.getBoundingClientRect(); return [r.top, r.bottom]; })"
)


def _start_grading(page: Any, session: str) -> None:
    page.get_by_role("tab", name="Grade").click()
    picker = page.locator("#grade-session input")
    for _attempt in range(20):  # the page's load event sets the picker a moment after the tab shows
        picker.fill(session)
        picker.press("Enter")
        page.wait_for_timeout(300)
        if picker.input_value() == session:
            break
    page.locator("#start-grading").click()
    page.wait_for_function("document.querySelector('#grade-header').innerText.includes('Item ')")  # s15 blindids
    page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 10")


def test_on_a_phone_the_rating_row_stays_on_screen_above_submit(live_app: Any, db_path: Path) -> None:
    live_app.studio.store.save_session("Phone grades", DEMO, kind="single")
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.set_viewport_size(PHONE)
        _start_grading(page, "Phone grades")
        # scrolled so that the response's last line is at the screen's bottom: the rating row is still there
        page.evaluate(
            "() => { const r = document.querySelector('#grade-response').getBoundingClientRect();"
            " window.scrollBy(0, r.bottom - window.innerHeight); }"
        )
        page.wait_for_timeout(300)
        assert page.evaluate("window.scrollY") > 300
        submit_top = page.evaluate(BOX, ".js-submit-bar:has(#submit-rating)")[0]
        labels = page.evaluate(LABELS)
        assert len(labels) == 10
        for top, bottom in labels:  # every rating on screen, none under the Submit / Skip bar
            assert top >= 0 and bottom <= submit_top + 1 <= PHONE["height"] + 1, (labels, submit_top)
        assert page.evaluate(BOX, "#grade-rating")[2] < 170  # two rows of five, its name on one line
        page.locator("#grade-rating label").filter(has_text="7").first.click()
        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated 7/10')")
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT r.rating FROM ratings r JOIN annotators a ON a.id = r.annotator_id WHERE a.name = 'alice'"
        ).fetchall() == [(7,)]


def test_on_a_phone_the_annotate_page_shows_one_your_answer_control(live_app: Any, db_path: Path) -> None:
    live_app.studio.store.save_session("Phone pairs", DEMO, randomize_order=False)
    with browser_page(live_app.url, "bob", "bob-pass-1") as page:
        page.set_viewport_size(PHONE)
        header = _start(page, "Phone pairs")
        page.wait_for_timeout(300)
        # the radio that repeated the buttons takes no room on screen; the buttons are the one answer control
        assert page.evaluate(BOX, ".form:has(> #annotate-choice)")[2] <= 1  # its box, which clips it
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.form:has(> #annotate-choice)')).clipPath")
            != "none"
        )
        for button in ("#label-1", "#label-tie", "#label-2"):
            top, bottom, _height = page.evaluate(BOX, button)
            assert top >= 0 and bottom <= PHONE["height"], (button, top, bottom)
        # still one named group for a screen reader, and still the answer the buttons set: Enter submits it
        assert page.get_by_role("radiogroup", name="Your answer").count() == 1
        page.locator("#label-2").click()
        page.wait_for_function("document.querySelector('#annotate-choice input:checked')?.value === 'right'")
        page.keyboard.press("Enter")
        _saved(page, "Right is better", header)
        page.set_viewport_size({"width": 1200, "height": 900})  # a wide window shows the radio as before
        page.wait_for_timeout(300)
        assert page.evaluate(BOX, ".form:has(> #annotate-choice)")[2] > 40
    with sqlite3.connect(db_path) as db:
        assert db.execute(
            "SELECT l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'bob'"
        ).fetchall() == [("2",)]
