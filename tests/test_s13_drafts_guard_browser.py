"""Drafts belong to one account (s13 redteam finding 2): ``static/drafts.js`` keyed a draft by the displayed
"Signed in as" text, so two accounts whose names display alike (``rita  x`` / ``rita x``) restored each other's
draft in one tab, and a draft outlived Log out. Now a draft is keyed by the opaque account value the server writes
into the Log out link (``ui.layout.draft_owner``), all drafts go when Log out is pressed, and another account's
drafts go as soon as the page knows who is signed in. Debian's chromium on ``live_app``."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import two_model_dataset
from test_browser_answers import browser_page
from test_browser_keyboard import CHECKED
from test_s13_draft_browser import DRAFT_KEYS, PAIRS, _nothing_restored, _number, _start

from ui.layout import draft_owner, log_out_link

pytestmark = [pytest.mark.browser]

SECRET = "PRIVATE note of alice"


def _login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(password)
    page.get_by_role("button", name="Login").click()
    page.locator("#start-labelling").wait_for()


def _draft(page: Any) -> str:
    header = _start(page, "Crowd")
    page.locator("#label-2").click()
    page.wait_for_function(CHECKED, arg="right")
    page.locator("#annotate-comment textarea").fill(SECRET)
    page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
    return header


def _comparison(live_app: Any, name: str, header: str) -> int:
    """The comparison ``header``'s handle names for ``name`` in "Crowd" (handles differ per person: s15 blindids)."""
    from orchestration.item_handles import HandleBook

    return HandleBook(live_app.studio.store, "pairwise", "comparison").resolve(name, "Crowd", _number(header))


def _crowd(live_app: Any) -> None:
    """Two people per item, one item order: bob is handed the comparison alice left a draft on."""
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False, overlap=2, fill="depth")


def test_the_owner_value_is_opaque_and_tells_look_alike_names_apart() -> None:
    assert draft_owner("rita  x") != draft_owner("rita x")
    assert draft_owner("alice") == draft_owner("alice")
    owner = draft_owner('<img src=x onerror=alert(1)>"')
    assert owner.isalnum() and "alice" not in draft_owner("alice")
    assert f'data-account="{owner}"' in log_out_link('<img src=x onerror=alert(1)>"')


def test_log_out_clears_the_draft_and_the_next_account_finds_nothing(live_app: Any) -> None:
    _crowd(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _draft(page)
        keys = page.evaluate(DRAFT_KEYS)
        assert "Signed in as" not in keys[0] and "alice" not in keys[0]
        assert draft_owner("alice") in keys[0]

        page.locator("#logout-link").click()
        page.wait_for_url("**/login**")
        assert page.evaluate(DRAFT_KEYS) == [], "Log out leaves no draft in the tab"

        _login(page, live_app.url, "bob", "bob-pass-1")
        again = _start(page, "Crowd")
        assert _comparison(live_app, "bob", again) == _comparison(live_app, "alice", header), (
            "the same comparison, so a leaked draft would land on it"
        )
        _nothing_restored(page, "annotate", "annotate-choice")
        assert SECRET not in page.content()


def test_another_accounts_draft_is_dropped_without_a_log_out(live_app: Any) -> None:
    """The session ended some other way (the address /logout typed, the cookie expired): the draft was still
    written when the page was left, and goes as soon as another account is signed in in that tab."""
    _crowd(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _draft(page)
        page.goto(live_app.url.rstrip("/") + "/logout")  # typed: no click on the link
        page.locator("form[action='/logout'] button, form[action='/logout'] input[type=submit]").first.click()
        page.wait_for_url("**/login**")
        kept = page.evaluate(DRAFT_KEYS)
        # (a draft under the old display-text key, as written before this fix, is never read either)
        page.evaluate(
            "(k) => sessionStorage.setItem(k, JSON.stringify({choice: 'left', comment: 'old style'}))",
            '["judge-studio-draft","annotate","Signed in as bob (annotator)","Crowd",'
            + str(_comparison(live_app, "alice", header))
            + "]",
        )

        _login(page, live_app.url, "bob", "bob-pass-1")
        again = _start(page, "Crowd")
        assert _comparison(live_app, "bob", again) == _comparison(live_app, "alice", header)
        _nothing_restored(page, "annotate", "annotate-choice")
        left = page.evaluate(DRAFT_KEYS)
        assert all(draft_owner("alice") not in key for key in left), (kept, left)
        assert all("Signed in as" not in key for key in left)

        # bob's own draft still works
        page.locator("#label-1").click()
        page.wait_for_function(CHECKED, arg="left")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        page.reload()
        _start(page, "Crowd")
        page.wait_for_function(CHECKED, arg="left")
