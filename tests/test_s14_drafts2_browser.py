"""Three gaps of the answer drafts (``static/drafts.js``) closed in session 14 ("drafts2"):

1. a draft kept the chosen answer and the comment, not the confidence or the flag: a reload lost them;
2. a skipped item's header showed no version, so a draft written on it was put back even after the item had been
   answered and skipped again elsewhere (it looked current): the header now shows the skip's version
   ("you skipped this earlier (version 1)") and the draft is dropped with the note;
3. a tab left open on the app page after its login ended kept its drafts until it next called the server, and a
   tab whose browser was since logged in as another account kept the first account's drafts: the page asks
   ``GET /login/state`` (``web/login_state.py``) when it is shown again, gets the focus, on a timer and before a
   draft is put back, and removes every draft when the login has ended or is another account's.

Debian's chromium on the app without a judge (``live_app``) and a real SQLite file; what the page shows after a
reload and the rows the submits wrote."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from _chromium import fresh_context
from conftest import two_model_dataset
from test_browser_answers import CHROMIUM, browser_page
from test_browser_keyboard import CHECKED, _saved
from test_s13_draft_browser import DRAFT_KEYS, PAIRS, SHOWS, _number, _start

from ui.layout import draft_owner
from web.sessions import COOKIE_NAME

FEEDBACK = "document.querySelector('#annotate-feedback').innerText"
HEADER = "document.querySelector('#annotate-header').innerText"
SURE = "(a) => document.querySelector(`#${a[0]}-confidence input[value='${a[1]}']`)?.checked === true"
FLAGGED = "(a) => document.querySelector(`#${a[0]}-flag input[type=checkbox]`)?.checked === a[1]"
DROPPED = "Your unsent draft was dropped: this answer was changed elsewhere (version 3)."
SECRET = "PRIVATE unsent note of alice"
# the draft script's check every minute (CHECK_EVERY_MS), every second instead (before the page's scripts run)
MINUTE_IS_A_SECOND = (
    "(() => { const every = window.setInterval; "
    "window.setInterval = (f, ms, ...rest) => every(f, ms === 60000 ? 1000 : ms, ...rest); })()"
)


def _row(db_path: Path, table: str, item: str, name: str = "alice") -> tuple[Any, ...] | None:
    """(answer, confidence, flagged, comment, version, skipped) of ``name``'s current answer on ``item``, the handle
    the page named it by (annotators are told no ids: s15 blindids) in "Crowd" (labels) or "Grades" (ratings)."""
    answer, column = ("verdict", "comparison_id") if table == "labels" else ("rating", "response_id")
    item_id = _id(db_path, table, item, name)
    query = (
        f"SELECT t.{answer}, t.confidence, t.flagged, t.comment, t.version, t.skipped FROM {table} t "
        f"JOIN annotators a ON a.id = t.annotator_id WHERE a.name = ? AND t.{column} = ?"
    )
    with sqlite3.connect(db_path) as db:
        row = db.execute(query, (name, item_id)).fetchone()
    return tuple(row) if row is not None else None


def _id(db_path: Path, table: str, handle: str, name: str = "alice") -> int:
    """The id of the item ``handle`` names for ``name`` in "Crowd" (labels) or "Grades" (ratings)."""
    from annotation_store import open_store
    from orchestration.item_handles import HandleBook

    kind, noun, session = ("pairwise", "comparison", "Crowd") if table == "labels" else ("single", "response", "Grades")
    store = open_store(db_path)
    try:
        return HandleBook(store, kind, noun).resolve(name, session, handle)
    finally:
        store.close()


def _setup(live_app: Any, **extra: Any) -> None:
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Crowd", PAIRS, randomize_order=False, reveal_judge=False, gold_rate=0, **extra)


def _stored(page: Any) -> dict[str, Any]:
    page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
    return dict(json.loads(page.evaluate(f"sessionStorage.getItem({DRAFT_KEYS}[0])")))


@contextmanager
def two_tabs(url: str, name: str, password: str) -> Iterator[tuple[Any, Any]]:
    """Two tabs of one browser (one cookie jar, a sessionStorage each), the first logged in to the app."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with fresh_context(viewport={"width": 1400, "height": 1000}) as context:  # of the shared chromium
        page, other = context.new_page(), context.new_page()
        page.goto(url)
        page.locator("input[type=text]").first.fill(name)
        page.locator("input[type=password]").first.fill(password)
        page.get_by_role("button", name="Login").click()
        page.locator("#start-labelling").wait_for()
        yield page, other


def _previous(page: Any, number: str, words: str) -> None:
    page.wait_for_function("!document.querySelector('#previous-item').disabled")
    page.locator("#previous-item").click()
    page.wait_for_function(SHOWS, arg=number)
    page.wait_for_function(f"(w) => {HEADER}.includes(w)", arg=words)


# ---------------------------------------------------------------------- 1: the confidence and the flag
@pytest.mark.browser
def test_the_confidence_and_the_flag_survive_a_reload_and_are_submitted(live_app: Any) -> None:
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        header = _start(page, "Crowd")
        page.locator("#label-2").click()
        page.wait_for_function(CHECKED, arg="right")
        page.locator("#annotate-confidence input[value='4']").click()
        page.locator("#annotate-flag input[type=checkbox]").click()
        page.wait_for_function(FLAGGED, arg=["annotate", True])
        page.wait_for_function(f"JSON.parse(sessionStorage.getItem({DRAFT_KEYS}[0]) || '{{}}').flagged === true")
        assert _stored(page) == {"choice": "right", "comment": "", "confidence": "4", "flagged": True, "base": "new"}

        page.reload()
        again = _start(page, "Crowd")
        assert _number(again) == _number(header)
        page.wait_for_function(CHECKED, arg="right")
        page.wait_for_function(SURE, arg=["annotate", "4"])
        page.wait_for_function(FLAGGED, arg=["annotate", True])
        page.wait_for_timeout(800)  # the restore's checks: still as the draft said
        assert page.evaluate(SURE, ["annotate", "4"]) and page.evaluate(FLAGGED, ["annotate", True])

        page.locator("#submit-label").click()
        _saved(page, "Right is better", again)
    assert _row(live_app.db_path, "labels", _number(header)) == ("2", 4, 1, "", 1, 0)


@pytest.mark.browser
def test_unflagging_an_earlier_answer_is_kept_and_saved_as_its_next_version(live_app: Any) -> None:
    """The flag and confidence taken back on an earlier answer (← Previous): a draft of the whole answer, put back
    after a reload onto the version it was written on, and submitted as version 2."""
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _start(page, "Crowd")
        page.locator("#label-1").click()
        page.locator("#annotate-confidence input[value='5']").click()
        page.locator("#annotate-flag input[type=checkbox]").click()
        page.locator("#annotate-comment textarea").fill("broken markup")
        page.wait_for_function(FLAGGED, arg=["annotate", True])
        page.locator("#submit-label").click()
        _saved(page, "Left is better", first)
        assert _row(live_app.db_path, "labels", _number(first)) == ("1", 5, 1, "broken markup", 1, 0)

        _previous(page, _number(first), "(version 1)")
        page.wait_for_function(FLAGGED, arg=["annotate", True])
        page.wait_for_function(SURE, arg=["annotate", "5"])
        page.wait_for_timeout(1200)  # the restore settles: nothing changed, no draft
        assert page.evaluate(DRAFT_KEYS) == []
        page.locator("#annotate-flag input[type=checkbox]").click()  # not broken after all
        page.locator("#annotate-confidence input[value='2']").click()
        page.locator("#annotate-comment textarea").fill("")
        page.wait_for_function(f"JSON.parse(sessionStorage.getItem({DRAFT_KEYS}[0]) || '{{}}').confidence === '2'")
        page.wait_for_function(f"JSON.parse(sessionStorage.getItem({DRAFT_KEYS}[0]) || '{{}}').comment === ''")
        assert _stored(page) == {"choice": "left", "comment": "", "confidence": "2", "flagged": False, "base": 1}

        page.reload()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Crowd'")
        _previous(page, _number(first), "(version 1)")
        page.wait_for_function(FLAGGED, arg=["annotate", False])
        page.wait_for_function(SURE, arg=["annotate", "2"])
        page.wait_for_function("document.querySelector('#annotate-comment textarea').value === ''")
        page.wait_for_timeout(800)
        assert page.evaluate(FLAGGED, ["annotate", False]) and page.evaluate(SURE, ["annotate", "2"])
        page.locator("#submit-label").click()
        page.wait_for_function(f"{FEEDBACK}.includes('Saved')")
    assert _row(live_app.db_path, "labels", _number(first)) == ("1", 2, 0, "", 2, 0)


@pytest.mark.browser
def test_the_grade_page_keeps_a_confidence_and_a_flag_without_a_rating(live_app: Any) -> None:
    two_model_dataset(live_app.studio.store, PAIRS, n=3)
    live_app.studio.store.save_session("Grades", PAIRS, kind="single", scale=5, randomize_order=False)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        header = _start(page, "Grades", "grade", "start-grading")
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 5")
        page.locator("#grade-confidence input[value='3']").click()
        page.locator("#grade-flag input[type=checkbox]").click()
        page.wait_for_function(f"JSON.parse(sessionStorage.getItem({DRAFT_KEYS}[0]) || '{{}}').flagged === true")
        assert _stored(page) == {"choice": None, "comment": "", "confidence": "3", "flagged": True, "base": "new"}

        page.reload()
        page.get_by_role("tab", name="Grade").click()
        again = _start(page, "Grades", "grade", "start-grading")
        assert _number(again) == _number(header)
        page.wait_for_function(SURE, arg=["grade", "3"])
        page.wait_for_function(FLAGGED, arg=["grade", True])
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 5")
        page.locator("#grade-rating input[value='2']").click()
        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated')")
    assert _row(live_app.db_path, "ratings", _number(header)) == (2, 3, 1, "", 1, 0)


# ---------------------------------------------------------------------- 2: a skipped item's version
@pytest.mark.browser
def test_a_draft_on_a_skipped_item_is_dropped_once_it_was_answered_and_skipped_again_elsewhere(
    live_app: Any,
) -> None:
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        first = _start(page, "Crowd")
        page.locator("#skip-item").click()
        page.wait_for_function(f"{FEEDBACK}.includes('Skipped item')")
        page.wait_for_function(f"(b) => {HEADER} !== b", arg=first)
        _previous(page, _number(first), "you skipped this earlier (version 1)")  # the skip's version, shown
        page.locator("#label-tie").click()
        page.wait_for_function(CHECKED, arg="tie")
        page.locator("#annotate-comment textarea").fill("a draft on my skip")
        page.wait_for_function(f"JSON.parse(sessionStorage.getItem({DRAFT_KEYS}[0]) || '{{}}').comment !== ''")
        assert _stored(page)["base"] == 1

        # elsewhere (another tab, REST): answered (version 2), then skipped again (version 3)
        store, cid = live_app.studio.store, _id(live_app.db_path, "labels", _number(first))
        store.save_label(cid, "alice", "1", comment="answered elsewhere")
        store.save_label(cid, "alice", None, skipped=True)
        assert _row(live_app.db_path, "labels", _number(first))[4:] == (3, 1)

        page.reload()
        page.wait_for_function("document.querySelector('#annotate-session input')?.value === 'Crowd'")
        _previous(page, _number(first), "you skipped this earlier (version 3)")
        page.wait_for_function(f"(t) => {FEEDBACK}.includes(t)", arg=DROPPED)
        page.wait_for_timeout(1200)
        assert page.evaluate("document.querySelectorAll('#annotate-choice input:checked').length") == 0
        assert page.locator("#annotate-comment textarea").input_value() == ""
        assert page.evaluate(DRAFT_KEYS) == [], "the outdated draft is gone"
    assert _row(live_app.db_path, "labels", _number(first))[3:] == ("", 3, 1), "the stored skip is as it was"


# ---------------------------------------------------------------------- 3: the login ended, the tab left open
def test_login_state_says_whether_the_cookie_holds_and_is_never_cached(live_app: Any) -> None:
    with httpx.Client(base_url=live_app.url, timeout=60) as client:
        anonymous = client.get("login/state")
        assert anonymous.status_code == 401 and anonymous.json() == {"signed_in": False}
        assert anonymous.headers["cache-control"] == "no-store"
        client.post("login", data={"username": "alice", "password": "alice-pass-1"}).raise_for_status()
        signed_in = client.get("login/state")
        assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"
        assert signed_in.json() == {"signed_in": True, "account": draft_owner("alice")}
        assert "alice" not in signed_in.text
        cookie = client.cookies[COOKIE_NAME]
        assert client.post("login/state").status_code in (404, 405)  # GET only (a POST is the mounted UI's 404)
    live_app.studio.store.sign_out_account("alice")
    with httpx.Client(base_url=live_app.url, cookies={COOKIE_NAME: cookie}, timeout=60) as client:
        assert client.get("login/state").status_code == 401


@pytest.mark.browser
def test_a_tab_left_open_drops_its_drafts_once_the_login_ended(live_app: Any) -> None:
    """The login ends while the tab is left on the page (here: signed out everywhere by an admin); the tab's next
    check (its timer: every minute, here every second) removes the draft without any Gradio call."""
    _setup(live_app)
    with browser_page(live_app.url, "alice", "alice-pass-1") as page:
        page.add_init_script(MINUTE_IS_A_SECOND)
        page.reload()
        _start(page, "Crowd")
        page.locator("#label-2").click()
        page.locator("#annotate-comment textarea").fill(SECRET)
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        page.wait_for_timeout(2500)
        assert len([u for u in page.fetched if u.endswith("/login/state")]) >= 1, "the timer asked"
        assert len(page.evaluate(DRAFT_KEYS)) == 1, "the login holds: the draft stays"

        live_app.studio.store.sign_out_account("alice")
        asked = len([u for u in page.fetched if u.endswith("/login/state")])
        page.wait_for_function(f"{DRAFT_KEYS}.length === 0")
        assert len([u for u in page.fetched if u.endswith("/login/state")]) > asked
        page.locator("#annotate-comment textarea").fill(SECRET + " more")  # still typing: nothing is kept now
        page.wait_for_timeout(600)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        assert page.evaluate(DRAFT_KEYS) == []
        assert not [u for u in page.fetched if u.endswith("/login?signed_out=1")], "only the drafts went"


@pytest.mark.browser
def test_a_tab_of_an_account_no_longer_signed_in_drops_its_drafts_on_focus(live_app: Any) -> None:
    """alice's tab keeps a draft; in another tab of the same browser alice logs out and bob logs in. Back in
    alice's tab (the focus) the draft goes: it would have been put onto bob's items otherwise."""
    _setup(live_app, overlap=2, fill="depth")
    with two_tabs(live_app.url, "alice", "alice-pass-1") as (page, other):
        _start(page, "Crowd")
        page.locator("#label-2").click()
        page.locator("#annotate-comment textarea").fill(SECRET)
        page.wait_for_function(f"{DRAFT_KEYS}.length === 1")
        other.goto(live_app.url)
        other.locator("#logout-link").click()
        other.wait_for_url("**/login**")
        other.locator("input[type=text]").first.fill("bob")
        other.locator("input[type=password]").first.fill("bob-pass-1")
        other.get_by_role("button", name="Login").click()
        other.locator("#start-labelling").wait_for()
        assert len(page.evaluate(DRAFT_KEYS)) == 1, "the other tab's login page cleared only its own storage"

        page.bring_to_front()
        page.evaluate("window.dispatchEvent(new Event('focus'))")
        page.wait_for_function(f"{DRAFT_KEYS}.length === 0")
        assert page.locator("#annotate-comment textarea").input_value() == SECRET, "the page itself is left as is"
