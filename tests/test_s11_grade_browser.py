"""In the browser (session 11, task "grade"): before Start the Grade page's rating row shows the chosen
session's scale (the page load sets the picker; a 1-5 session read "1-10 ... 0 = 10" until Start), both
pages say where the first item appears, and the Report card shows no empty figure frames before its
button is pressed. Debian chromium through Playwright, the real app."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_answers import browser_page

pytestmark = [pytest.mark.browser]

RATINGS = "document.querySelectorAll('#grade-rating input').length"


def test_the_grade_page_shows_the_chosen_session_scale_before_start(live_app: Any) -> None:
    live_app.studio.store.save_session("Grade five", "judge-studio-demo", kind="single", scale=5)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        assert "press “Start / next item”" in page.locator("#annotate-header").inner_text()
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("document.querySelector('#grade-session input')?.value === 'Grade five'")
        page.wait_for_function(f"{RATINGS} === 5")
        row = page.locator("#grade-rating").inner_text()
        assert "Your rating, 1-5" in row and "keys 1-5" in row and "0 = 10" not in row
        assert "press “Start / next response”" in page.locator("#grade-header").inner_text()
        picker = page.locator("#grade-session input")  # another session: the row follows it
        picker.fill("Demo grading session")
        picker.press("Enter")
        page.wait_for_function(f"{RATINGS} === 10")
        assert "keys 1-9, 0 = 10" in page.locator("#grade-rating").inner_text()


def test_the_report_card_has_no_empty_figure_frames_before_its_button(live_app: Any) -> None:
    from test_s17_cardpolish import _runs

    _runs(live_app.studio.store)  # a judged demo (no judge run: the card says so and shows no frame, s18 dashclean)
    with browser_page(live_app.url, "rita", "rita-pass-1") as page:
        page.get_by_role("tab", name="Report card").click()
        page.locator("#card-show").wait_for()
        assert page.locator("#card-reliability").count() == 0 or not page.locator("#card-reliability").is_visible()
        page.wait_for_function("document.querySelector('#card-dataset input')?.value?.length > 0")
        page.locator("#card-show").click()
        page.locator("#card-reliability").wait_for(state="visible", timeout=60_000)
        page.locator("#card-corrected").wait_for(state="visible")
