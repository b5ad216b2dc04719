"""A Submit pressed while the app server was down (session 16, "outagesubmit").

The answer was not saved and Gradio's "Connection to the server was lost" toast was the only sign of it; the draft
of the answer had been removed at the click, so a quick restart (Gradio reloads the page when the server is back)
lost the choice and the comment too. Now the page says in a banner (role=alert, above the feedback line) that the
answer was not saved and is kept in the tab; after the reload the banner names Start, Start puts the answer back
marked "Not saved yet", and Submit saves it (``static/unreachable.js``, ``static/drafts.js``).

The outage is real: the app is served by uvicorn on a fixed port, stopped, and a new server of the same app is
started on that port over the same database; Debian's chromium does the clicking."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import APP_ACCOUNTS, free_port, two_model_dataset

pytestmark = [pytest.mark.browser]

NOT_SAVED = (
    "Not saved: the server could not be reached. Your answer is kept in this tab; "
    "press Submit again when the server is back."
)


def after_reload(start: str) -> str:
    return (
        "Not saved: your last Submit did not reach the server. Your answer is kept in this tab: "
        f"press “{start}” to get the item back, then press Submit."
    )


PUT_BACK = (
    "Not saved yet: your answer was put back from this tab because your last Submit did not reach the server. "
    "Press Submit to save it."
)
DRAFTS = "Object.keys(sessionStorage).filter(k => k.includes('judge-studio-draft')).map(k => sessionStorage[k])"
BANNER = "(a) => (document.querySelector(`#${a[0]}-unsent[role=alert]`)?.innerText || '') === a[1]"
NO_BANNER = "(p) => !document.querySelector(`#${p}-unsent`)"


class Server:
    """The whole app (``web.create_app``) served by uvicorn on one port, stopped and started again. The server runs
    in one event loop of its own thread throughout: the app is built once (seconds) and the restarted server serves
    it, so its asyncio objects stay in the loop they were made in. Stopped, the port refuses connections."""

    def __init__(self, studio: Any, db_path: Path) -> None:
        from web import create_app

        self.studio, self.db_path = studio, db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.app = create_app(studio)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"uvicorn-{self.port}", daemon=True)
        self.thread.start()
        self.server: Any = None
        self.serving: Any = None

    def up(self) -> None:
        import uvicorn

        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="on", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.serving = asyncio.run_coroutine_threadsafe(self.server.serve(), self.loop)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.server.started and httpx.get(self.url, timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.serving.done() or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start on {self.url}")
            time.sleep(0.1)

    @property
    def running(self) -> bool:
        return self.serving is not None and not self.serving.done()

    def down(self) -> None:
        self.server.should_exit = True
        self.serving.result(timeout=30)
        with pytest.raises(httpx.ConnectError):
            httpx.get(self.url, timeout=5)

    def close(self) -> None:
        if self.running:
            self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def app(db_path: Path) -> Iterator[Server]:
    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=db_path.parent))
    for name, (password, role) in APP_ACCOUNTS.items():
        kind = "crowd" if role == "annotator" else "expert"
        studio.store.create_annotator(name, role=role, kind=kind, password=password)
    two_model_dataset(studio.store, "outage-pairs", n=3)
    studio.store.save_session("Crowd", "outage-pairs", randomize_order=False, reveal_judge=False, gold_rate=0)
    studio.store.save_session("Grades", "outage-pairs", kind="single", scale=5, randomize_order=False)
    server = Server(studio, db_path)
    server.up()
    try:
        yield server
    finally:
        server.close()
        studio.store.close()


def _labels(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        query = "SELECT l.verdict, l.comment, l.version FROM labels l JOIN annotators a ON a.id = l.annotator_id"
        return db.execute(query + " WHERE a.name = 'alice'").fetchall()


def _drafts(page: Any) -> list[dict[str, Any]]:
    return [json.loads(draft) for draft in page.evaluate(DRAFTS)]


def test_a_submit_while_the_server_is_down_says_not_saved_and_saves_after_the_restart(app: Server) -> None:
    from test_browser_answers import browser_page
    from test_browser_keyboard import CHECKED
    from test_s13_draft_browser import _start

    with browser_page(app.url, "alice", "alice-pass-1") as page:
        item = _start(page, "Crowd")
        page.locator("#label-2").click()
        page.locator("#annotate-comment textarea").fill("written before the restart")
        page.wait_for_function(f"{DRAFTS}.length === 1")

        app.down()
        page.locator("#submit-label").click()
        page.wait_for_function(BANNER, arg=["annotate", NOT_SAVED])
        # Gradio's own notice comes (a toast, gone after the reload) and the page's later checks run: the banner stays
        page.wait_for_function("document.body.innerText.includes('Connection to the server was lost')")
        page.wait_for_timeout(2600)
        assert page.evaluate(BANNER, ["annotate", NOT_SAVED])
        assert page.locator("#annotate-unsent").is_visible()
        assert [d["unsent"] for d in _drafts(page)] == ["refused"]
        assert page.evaluate(CHECKED, "right")  # the answer is still on the page
        assert page.locator("#annotate-comment textarea").input_value() == "written before the restart"
        assert _labels(app.db_path) == []

        app.up()  # Gradio finds the server again and reloads the page
        page.wait_for_function(BANNER, arg=["annotate", after_reload("Start / next item")], timeout=20000)
        assert page.evaluate(f"{DRAFTS}.length") == 1

        assert _start(page, "Crowd") == item
        page.wait_for_function(CHECKED, arg="right")
        page.wait_for_function(
            "document.querySelector('#annotate-comment textarea').value === 'written before the restart'"
        )
        page.wait_for_function(BANNER, arg=["annotate", PUT_BACK])

        page.locator("#submit-label").click()
        page.wait_for_function("document.querySelector('#annotate-feedback').innerText.includes('Saved')")
        page.wait_for_function(NO_BANNER, arg="annotate")
        page.wait_for_function(f"{DRAFTS}.length === 0")
    assert _labels(app.db_path) == [("2", "written before the restart", 1)]  # Right: model B


def _ratings(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        query = "SELECT r.rating, r.comment, r.version FROM ratings r JOIN annotators a ON a.id = r.annotator_id"
        return db.execute(query + " WHERE a.name = 'alice'").fetchall()


def test_the_grade_page_keeps_a_rating_submitted_twice_during_the_outage_and_saves_it_after(app: Server) -> None:
    from test_browser_answers import browser_page
    from test_s13_draft_browser import _start

    rated = "(v) => document.querySelector(`#grade-rating input[value='${v}']`)?.checked === true"
    with browser_page(app.url, "alice", "alice-pass-1") as page:
        page.get_by_role("tab", name="Grade").click()
        item = _start(page, "Grades", "grade", "start-grading")
        page.wait_for_function("document.querySelectorAll('#grade-rating input').length === 5")
        page.keyboard.press("4")  # the rating's key, as the shortcuts have it
        page.wait_for_function(rated, arg="4")
        page.locator("#grade-comment textarea").fill("rated during the outage")
        page.wait_for_function(f"{DRAFTS}.length === 1")

        app.down()
        page.locator("#grade-header").focus()
        page.keyboard.press("Enter")  # Submit, by its key
        page.wait_for_function(BANNER, arg=["grade", NOT_SAVED])
        page.wait_for_function("document.body.innerText.includes('Connection to the server was lost')")
        page.locator("#submit-rating").click()  # again, while the server is still down (Gradio knows it is)
        # kept, marked as not sent again (Gradio sends nothing while it has lost the server: the page tells after 2.5 s)
        page.wait_for_function(f"{DRAFTS}.length === 1 && JSON.parse({DRAFTS}[0]).unsent === 'refused'")
        assert page.evaluate(BANNER, ["grade", NOT_SAVED])
        assert [(d["choice"], d["comment"], d["unsent"]) for d in _drafts(page)] == [
            ("4", "rated during the outage", "refused")
        ]
        assert _ratings(app.db_path) == []

        app.up()
        page.wait_for_function("document.readyState === 'complete' && !document.querySelector('#grade-unsent')")
        page.get_by_role("tab", name="Grade").click()
        page.wait_for_function(BANNER, arg=["grade", after_reload("Start / next response")], timeout=20000)
        assert _start(page, "Grades", "grade", "start-grading") == item
        page.wait_for_function(rated, arg="4")
        page.wait_for_function(BANNER, arg=["grade", PUT_BACK])
        page.locator("#submit-rating").click()
        page.wait_for_function("document.querySelector('#grade-feedback').innerText.includes('Rated')")
        page.wait_for_function(NO_BANNER, arg="grade")
        page.wait_for_function(f"{DRAFTS}.length === 0")
    assert _ratings(app.db_path) == [(4, "rated during the outage", 1)]
