"""The "Not saved" note of a Grade answer is seen whichever tab is open (s17 cardpolish; NOTES s16 "Left undone").

The banner of an unsent answer (static/drafts.js) sits above the feedback line of the answer's own tab; after the
outage the page reloads by itself and opens on Annotate, so a Grade answer's banner was out of sight. Now a note at
the top of the page, outside the tabs (static/unreachable.js, role=alert), names the Grade tab until it is opened.
The outage is real (tests/test_s16_outage_submit_browser.py's server, stopped and started again)."""

from __future__ import annotations

import pytest
from test_s16_outage_submit_browser import DRAFTS, NOT_SAVED, Server, after_reload, app  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser]

PAGE_NOTE = "() => document.querySelector('#page-unsent[role=alert]')?.innerText || ''"
TOP_NOTE = (
    "Not saved: your last Submit on the Grade tab did not reach the server. Your answer is kept in this tab: "
    "open the Grade tab, press “Start / next response” and press Submit again."
)


def test_a_grade_answer_not_saved_is_named_at_the_page_top_after_the_reload(app: Server) -> None:  # noqa: F811
    from test_browser_answers import browser_page
    from test_s13_draft_browser import _start

    banner = "(a) => (document.querySelector(`#${a[0]}-unsent[role=alert]`)?.innerText || '') === a[1]"
    with browser_page(app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        _start(page, "Grades", "grade", "start-grading")
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 5")
        page.locator("#grade-rating input[value='4']").check()
        page.locator("#grade-comment textarea").fill("rated during the outage")
        page.wait_for_function(f"{DRAFTS}.length === 1")
        app.down()
        page.locator("#submit-rating").click()
        page.wait_for_function(banner, arg=["grade", NOT_SAVED])
        assert page.evaluate(PAGE_NOTE) == ""  # the Grade tab is open: its own banner says it, once

        app.up()  # Gradio reloads the page by itself: it opens on Annotate
        page.wait_for_function("document.readyState === 'complete' && !document.querySelector('#grade-unsent')")
        page.wait_for_function(f"({PAGE_NOTE})() === {TOP_NOTE!r}", timeout=20000)
        box = page.locator("#page-unsent").bounding_box()
        assert box is not None and box["y"] < 50  # at the top of the page, above the tabs
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function(banner, arg=["grade", after_reload("Start / next response")], timeout=20000)
        page.wait_for_function("!document.querySelector('#page-unsent')")  # the tab's own banner says the rest
