"""The Annotate and Grade pages for keyboard, phone and screen-reader users in Debian's chromium (s11 a11y
findings 1-7): Enter on a control focused from the keyboard is that control's own, Log out stays in the
tab, each radio widget is one named group with arrow keys, the feedback line is a live region, a chosen
answer shows on its button and scrolls into view, the done screen greys out its buttons, and typing in
the session picker replaces its name. On the app without a judge (``live_app``), with the helpers of
``test_browser_answers`` and ``test_browser_keyboard``."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_answers import _open_session, browser_page
from test_browser_keyboard import CHECKED, HEADER, _labels, _saved, _start, grading_page

pytestmark = [pytest.mark.browser]

FEEDBACK = "document.querySelector('#annotate-feedback').innerText"


def test_enter_on_a_control_focused_from_the_keyboard_is_its_own_not_a_submit(live_app: Any) -> None:
    """Finding 1: with an answer chosen, Enter on a focused Previous, tab, Guidelines or Log out submitted
    the answer (a failed gold check, the next item) instead of doing what the control says."""
    live_app.studio.store.save_session("Keys", "judge-studio-demo", randomize_order=False, reveal_judge=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _start(page, "Keys")
        page.keyboard.press("1")
        page.wait_for_function(CHECKED, arg="left")
        page.evaluate("document.activeElement.blur()")  # nothing focused: Enter submits
        page.keyboard.press("Enter")
        header = _saved(page, "Left is better", header)
        # the next item takes the focus to its header one frame after it is shown (static/show_feedback.js);
        # on a loaded machine that frame came after the Previous focused below and Enter submitted (CI, s14)
        page.wait_for_function("document.activeElement?.id === 'annotate-header'")

        page.keyboard.press("2")  # chosen, then Previous by the keyboard: Enter goes back, nothing saved
        page.wait_for_function(CHECKED, arg="right")
        page.locator("#previous-item").focus()
        page.keyboard.press("Enter")
        page.wait_for_function(f"{HEADER}.includes('editing your earlier answer (version 1)')")
        assert _labels(live_app.db_path, "alice") == [("1", 1)]

        page.keyboard.press("t")  # the Guidelines accordion opens
        page.wait_for_function(CHECKED, arg="tie")
        page.locator("#annotate-guidelines-box > button").focus()
        page.keyboard.press("Enter")
        page.locator("#annotate-guidelines").wait_for(state="visible")

        page.get_by_role("tab", name="Grade").focus()  # a tab switches the page
        page.keyboard.press("Enter")
        page.locator("#start-grading").wait_for(state="visible")
        assert _labels(live_app.db_path, "alice") == [("1", 1)]

        page.get_by_role("tab", name="Annotate").focus()
        page.keyboard.press("Enter")
        page.locator("#start-labelling").wait_for(state="visible")
        assert page.evaluate(CHECKED, "tie")  # the choice is still there
        page.get_by_role("link", name="Log out").focus()  # the link is followed, in this tab
        page.keyboard.press("Enter")
        page.wait_for_url("**/login**")
        assert len(page.context.pages) == 1
    assert _labels(live_app.db_path, "alice") == [("1", 1)]


def test_log_out_leaves_in_the_same_tab(live_app: Any) -> None:
    """Finding 2: Gradio's Markdown gave the link target=_blank, so a second tab logged out and this one
    still looked signed in."""
    with browser_page(live_app.url, "bob", "bob-pass-1") as page:
        link = page.get_by_role("link", name="Log out")
        assert link.get_attribute("target") is None
        link.click()
        page.wait_for_url("**/login**")
        assert len(page.context.pages) == 1
        page.goto(live_app.url)  # signed out here: the app asks for a login again
        page.get_by_role("button", name="Login").wait_for()


def test_a_rating_row_is_one_named_group_with_arrow_keys(live_app: Any) -> None:
    """Finding 3: every radio had a name of its own ("radio 1 of 1", a Tab stop each, no arrow keys), and
    rating 3 and confidence 3 could not be told apart. Finding 4: the outcome line is a live region."""
    with grading_page(live_app, "alice", "alice-pass-1") as page:
        rating = page.get_by_role("radiogroup", name="Your rating, 1-5", exact=False)
        confidence = page.get_by_role("radiogroup", name="Confidence (optional)")
        rating.get_by_role("radio", name="2", exact=True).click()
        page.keyboard.press("ArrowRight")  # the arrow moves the choice within the group
        page.wait_for_function("document.querySelector('#grade-rating input[value=\"3\"]')?.checked === true")
        assert rating.get_by_role("radio", name="3", exact=True).is_checked()
        assert not confidence.get_by_role("radio", name="3", exact=True).is_checked()
        assert confidence.get_by_role("radio", name="No confidence given").is_checked()  # not "en dash"
        page.keyboard.press("Tab")  # one Tab stop per group: the rating row is left for Confidence
        assert page.evaluate("document.activeElement.closest('#grade-confidence') !== null")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated 3/5')")
        # the outcome is said by the page's one live region (s14 a11yaria: the feedback line read Gradio's timers)
        page.wait_for_function("document.getElementById('js-announce')?.textContent.includes('Rated 3/5')")
        assert page.locator("#js-announce").get_attribute("aria-live") == "polite"


def test_a_chosen_answer_shows_and_the_done_screen_greys_out_its_buttons(live_app: Any) -> None:
    """Finding 5: pressing 1 changed nothing in view; finding 6: on the done screen the choice buttons and
    Submit stayed live and Submit said "press Start"; finding 7: typing in the picker appended to it."""
    one = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"m-a": "hi\n\n" * 80, "m-b": "hello"}}],
    }
    assert live_app.studio.store.seed_dataset(one, pairs_per_prompt=1)
    live_app.studio.store.save_session("A one", "tiny", randomize_order=False)
    with browser_page(live_app.url, "bob", "bob-pass-1") as page:
        page.set_viewport_size({"width": 1280, "height": 800})
        picker = page.locator("#annotate-session input")
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'A one'")
        page.locator("#start-labelling").focus()
        page.keyboard.press("Shift+Tab")  # into the picker: its name is selected, so typing replaces it
        page.keyboard.type("Demo")
        assert picker.input_value() == "Demo"
        page.keyboard.press("Escape")
        _open_session(page, "A one")
        header = page.locator("#annotate-header").inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("2")
        page.wait_for_function(CHECKED, arg="right")
        assert page.locator("#label-2").get_attribute("aria-pressed") == "true"
        assert page.locator("#label-1").get_attribute("aria-pressed") == "false"
        page.wait_for_function(
            "() => { const r = document.querySelector('#annotate-choice').getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }"
        )
        page.keyboard.press("Enter")
        done = _saved(page, "Right is better", header)
        assert "Thank you" in done, done
        for button in ("#label-1", "#label-tie", "#label-2", "#submit-label", "#skip-item"):
            assert page.locator(button).is_disabled(), button
        page.keyboard.press("1")
        page.wait_for_timeout(300)
        assert not page.evaluate(CHECKED, "left")
    assert _labels(live_app.db_path, "bob") == [("2", 1)]
