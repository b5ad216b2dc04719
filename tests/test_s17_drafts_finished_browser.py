"""A false "Not confirmed ... may not have been saved" banner after the last item's Submit was saved but its answer
lost on the way back (s17 review finding 3, ``static/drafts.js``: ``dropFinished``).

The draft stays marked unsent; after the reload the banner names Start, and Start shows the done screen. Before,
nothing removed that draft and the banner came back every 0.7 s; now the done screen drops the session's unsent
drafts. The fixtures are those of tests/test_s16_outage_submit_browser.py (the app served on a real port)."""

from __future__ import annotations

import pytest
from test_s16_outage_submit_browser import DRAFTS, NO_BANNER, Server, app  # noqa: F401

pytestmark = [pytest.mark.browser]

NOT_CONFIRMED = """() => (document.querySelector('#annotate-unsent[role=alert]')?.innerText || '').startsWith(
  'Not confirmed: the server did not answer your last Submit, so it may not have been saved.'
)"""
LOST = """(answer) => {
  const key = Object.keys(sessionStorage).find((k) => k.includes('judge-studio-draft'));
  const draft = JSON.parse(sessionStorage[key]);
  sessionStorage[key] = JSON.stringify({ ...draft, choice: answer, unsent: 'lost' });
}"""


def test_the_done_screen_drops_the_saved_last_items_unsent_draft(app: Server) -> None:  # noqa: F811
    from test_browser_answers import browser_page
    from test_s13_draft_browser import _start

    desk = app.studio.desk
    for _ in range(2):  # every item but the last one answered already
        item = desk.next_item("alice", "Crowd")
        desk.submit("alice", "Crowd", item.id, "left", swapped=item.swapped)
    with browser_page(app.url, "alice", "alice-pass-1") as page:
        _start(page, "Crowd")
        page.locator("#label-2").click()
        page.wait_for_function(f"{DRAFTS}.length === 1")
        # the Submit reached the server and was stored; its answer was lost on the way back
        last = desk.next_item("alice", "Crowd")
        desk.submit("alice", "Crowd", last.id, "right", swapped=last.swapped)
        page.evaluate(LOST, "right")
        page.reload()
        page.wait_for_function(NOT_CONFIRMED, timeout=20000)  # the false banner, as the review saw it

        page.locator("#start-labelling").click()
        page.wait_for_function("document.querySelector('#annotate-header').innerText.includes('Thank you')")
        page.wait_for_function(NO_BANNER, arg="annotate")
        page.wait_for_function(f"{DRAFTS}.length === 0")
        page.wait_for_timeout(2000)  # before: the banner came back at the next check, 0.7 s later
        assert page.evaluate(NO_BANNER, "annotate")
