"""Long responses, phones and 200% zoom with the keyboard only (session 14, task "a11yscroll"; a11y findings
1, 2, 3, 13, 14), in Debian's chromium through Playwright, on the real app over a real SQLite file.

- A long response box is a Tab stop (a named region: "Left response", "Right response") even when it holds
  a code block's "Copy code" button, and PageDown / ArrowDown scroll it; ArrowLeft there is no "← Previous".
- A long web address wraps inside the box; a long code line scrolls sideways, its block a Tab stop too.
- On a phone (375 x 812) pressing 1 leaves the page where it was (it jumped to the hidden "Your answer"
  radio near the top), and that hidden radio is no Tab stop.
- At 200% zoom (640 x 450) the comment box reached with Tab is not under the sticky Submit / Skip bar.
- On a phone the Grade page's rating label wraps instead of ending in "…".

One server for the module; each test signs in as its own account (no test submits an answer)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LiveApp, serve_app
from test_browser_answers import browser_page
from test_browser_keyboard import CHECKED, HEADER

from annotation_store import open_store

pytestmark = [pytest.mark.browser]

ESSAY = "\n\n".join(f"Paragraph {i}: " + "This answer goes on about the topic at hand. " * 8 for i in range(25))
ADDRESS = "https://example.com/" + "a" * 280
CODE = "```python\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)  # " + "x" * 200 + "\n```"
FOCUSED = "document.activeElement && document.activeElement.id"
IN_BOX = "(id) => !!document.activeElement && !!document.activeElement.closest('#' + id)"


@pytest.fixture(scope="module")
def long_app(seeded_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """The app with a pairwise session ("Long") and a 1-10 grading session ("Long grades") of responses
    with a long address, a long code line and 25 paragraphs, in both responses of every comparison."""
    path = tmp_path_factory.mktemp("a11yscroll") / "judge-studio.sqlite3"
    shutil.copy(seeded_db_template, path)
    store = open_store(path)
    text = {m: f"{ADDRESS}\n\n{CODE}\n\n{m} says:\n\n{ESSAY}" for m in ("model-a", "model-b")}
    prompts = [{"id": f"q{i}", "instruction": f"Write at length {i}", "responses": text} for i in range(3)]
    data = {"name": "long", "models": [{"name": "model-a"}, {"name": "model-b"}], "prompts": prompts}
    assert store.seed_dataset(data, pairs_per_prompt=1)
    store.save_session("Long", "long", randomize_order=False)
    store.save_session("Long grades", "long", kind="single", scale=10)
    store.close()
    with serve_app(path) as app:
        yield app


def _tab_until(page: Any, test: str, arg: Any = None, presses: int = 60) -> None:
    for _press in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(test, arg):
            return
    raise AssertionError(f"Tab never reached {test} {arg}")


def _start_by_keyboard(page: Any) -> str:
    page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Long'")
    page.wait_for_function("!document.querySelector('#start-labelling').disabled")
    _tab_until(page, f"() => {FOCUSED} === 'start-labelling'")
    page.keyboard.press("Enter")
    # an annotator's item by its handle, a reviewer's by its number (s15 blindids)
    page.wait_for_function(f"/^\\s*(Comparison #\\d+|Item [A-Z2-7]+)/.test({HEADER})")
    page.wait_for_function(f"{FOCUSED} === 'annotate-header'")
    page.wait_for_timeout(300)  # the responses laid out
    return str(page.locator("#annotate-header").inner_text())


def test_tab_reaches_each_long_response_and_pagedown_scrolls_it(long_app: LiveApp) -> None:
    with browser_page(long_app.url, "alice", "alice-pass-1") as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        header = _start_by_keyboard(page)
        for box, name in (("annotate-response-1", "Left response"), ("annotate-response-2", "Right response")):
            _tab_until(page, "(id) => document.activeElement.matches('#' + id + ' [role=region]')", box)
            region = page.evaluate(
                "() => { const e = document.activeElement, s = getComputedStyle(e);"
                " return [e.getAttribute('aria-label'), e.scrollHeight > e.clientHeight + 500, s.outlineStyle]; }"
            )
            assert region == [name, True, "solid"], region  # named, long, and a visible focus ring
            for key in ("PageDown", "PageDown", "ArrowDown"):
                page.keyboard.press(key)
            page.wait_for_function("document.activeElement.scrollTop > 400")  # about 86% of it was out of reach
            page.keyboard.press("ArrowLeft")  # inside a box the arrows scroll: no "← Previous"
            page.wait_for_timeout(300)
            assert page.locator("#annotate-header").inner_text() == header
            # the code block in it: a Tab stop of its own that scrolls sideways; the address wraps
            _tab_until(page, "(id) => document.activeElement.matches('#' + id + ' pre')", box)
            assert page.evaluate("document.activeElement.scrollWidth > document.activeElement.clientWidth")
            page.keyboard.press("ArrowRight")
            page.wait_for_function("document.activeElement.scrollLeft > 0")
            prose = page.locator(f"#{box} .prose[role=region]")
            assert prose.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the long address runs out of the box"


PHONE = {"width": 375, "height": 812}


def test_on_a_phone_key_1_keeps_the_place_and_the_hidden_radio_is_no_tab_stop(long_app: LiveApp) -> None:
    with browser_page(long_app.url, "bob", "bob-pass-1") as page:
        page.set_viewport_size(PHONE)
        _start_by_keyboard(page)
        right = page.locator("#annotate-response-2").evaluate("e => e.getBoundingClientRect().top + window.scrollY")
        page.evaluate("(y) => window.scrollTo(0, y)", right - 100)  # reading the Right response
        page.wait_for_timeout(200)
        before = page.evaluate("window.scrollY")
        assert before > 800
        page.locator("#annotate-header").focus()  # the focus where Start left it, but the page scrolled by hand
        page.evaluate("(y) => window.scrollTo(0, y)", before)
        page.keyboard.press("1")
        page.wait_for_function(CHECKED, arg="left")
        page.wait_for_timeout(300)
        assert abs(page.evaluate("window.scrollY") - before) < 5  # it jumped to the top (1427 -> 254)
        assert page.locator("#label-1").get_attribute("aria-pressed") == "true"  # the choice on screen
        # the radio that repeats the buttons is hidden: no Tab stop on it (focus landed on nothing visible)
        stops = []
        for _press in range(40):
            page.keyboard.press("Tab")
            stops.append(page.evaluate("!!document.activeElement.closest('#annotate-choice')"))
        assert not any(stops)
        assert page.get_by_role("radiogroup", name="Your answer").count() == 1  # still read by screen readers
        page.set_viewport_size({"width": 1200, "height": 900})  # a wide window shows it, a Tab stop again
        page.wait_for_timeout(300)
        assert page.locator("#annotate-choice input[value=left]").get_attribute("tabindex") is None


def test_at_200_percent_zoom_the_focused_comment_is_not_under_the_sticky_bar(long_app: LiveApp) -> None:
    with browser_page(long_app.url, "rita", "rita-pass-1") as page:
        page.set_viewport_size({"width": 640, "height": 450})
        _start_by_keyboard(page)
        _tab_until(page, IN_BOX, "annotate-comment")
        page.wait_for_timeout(300)
        comment, bars = page.evaluate(
            "() => { const t = document.activeElement.getBoundingClientRect();"
            " const bars = [...document.querySelectorAll('#tab-annotate .js-answer-bar')]"
            "   .map(b => b.getBoundingClientRect()).filter(r => r.height > 0);"
            " return [[t.top, t.bottom], bars.map(r => [r.top, r.bottom])]; }"
        )
        assert comment[0] >= 0
        for top, bottom in bars:  # below the comment box, or above it (the choice row in its own place)
            assert comment[1] <= top + 1 or bottom <= comment[0] + 1, (comment, bars)


def test_on_a_phone_the_grade_pages_rating_label_wraps(long_app: LiveApp) -> None:
    with browser_page(long_app.url, "admin", "admin-pass-1") as page:
        page.set_viewport_size(PHONE)
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function("document.querySelector('#grade-session input')?.value === 'Long grades'")
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 10")
        label = page.locator("#grade-rating [data-testid=block-info]")
        assert "0 = 10; Enter submits)" in label.inner_text()
        assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().right <= 375")
        assert label.evaluate("e => e.getBoundingClientRect().height > parseFloat(getComputedStyle(e).lineHeight)")
