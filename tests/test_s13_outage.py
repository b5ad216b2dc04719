"""The database stopping while the app serves (s13 pgteam finding 2): every REST call got a plain-text
``500 Internal Server Error``, the browser showed "Could not parse server response" and nothing said the
answer was not saved, and the log got a traceback per request. Now: REST answers 503 ``{"detail": ...}``
with ``Retry-After``, the login page and the app page say it, Gradio's API calls and the UI handlers show
the same sentence, the log gets one line per outage, and everything works again once the database is back.

The outage is real: the SQLite file's folder is moved away after the engine's connections are closed, so
the next connection fails with "unable to open database file", as a stopped PostgreSQL fails to connect.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from sqlalchemy import create_engine
from sqlalchemy.exc import IntegrityError, OperationalError

from annotation_store.outage import OUTAGE, UNREACHABLE_MESSAGE, Outage, unreachable
from orchestration import DEMO_SESSION, Settings, Studio

OUTAGE_LOG = "judge_studio.database"


class Database:
    """The studio's SQLite file in a folder of its own, which ``down`` moves away and ``up`` brings back."""

    def __init__(self, home: Path, studio: Studio) -> None:
        self.home, self.studio = home, studio
        self.away = home.with_name(home.name + "-away")

    @property
    def file(self) -> Path:
        return self.home / "judge-studio.sqlite3"

    def down(self) -> None:
        self.studio.store.engine.dispose()  # no pooled connection to the old file survives
        self.home.rename(self.away)

    def up(self) -> None:
        self.away.rename(self.home)

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.file) as connection:
            return connection.execute(query).fetchall()


@pytest.fixture(autouse=True)
def no_outage_left() -> Iterator[None]:
    """``OUTAGE`` is the process's: no test starts in (or leaves) an outage another one began."""
    OUTAGE.reachable()
    yield
    OUTAGE.reachable()


@pytest.fixture
def db(seeded_db_template: Path, tmp_path: Path) -> Iterator[Database]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(seeded_db_template, home / "judge-studio.sqlite3")
    studio = Studio.open(Settings(home=home))
    for name, role in (("alice", "annotator"), ("admin", "admin")):
        studio.store.create_annotator(name, role=role, password=f"{name}-pass-1")
    database = Database(home, studio)
    yield database
    if not home.exists() and database.away.exists():
        database.up()
    studio.store.close()


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == OUTAGE_LOG]


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_rest_and_the_login_page_answer_503_with_the_message_then_work_again(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from web.server import create_api_app

    caplog.set_level(logging.INFO)
    token = db.studio.access.api_token("alice")
    bearer = {"Authorization": f"Bearer {token}"}
    with TestClient(create_api_app(db.studio)) as client:
        assert client.get("/api/v1/sessions", headers=bearer).status_code == 200
        db.down()
        answers = [
            client.get("/api/v1/sessions", headers=bearer),
            client.post(f"/api/v1/sessions/{DEMO_SESSION}/next", headers=bearer),
            client.post("/api/v1/labels", headers=bearer, json={"session": DEMO_SESSION, "comparison_id": 1}),
            client.post("/api/v1/tokens", json={"name": "alice", "password": "alice-pass-1"}),
            client.post("/login", data={"username": "alice", "password": "alice-pass-1"}),  # gradio_client's login
        ]
        for answer in answers:
            assert answer.status_code == 503, (answer.request.url, answer.text)
            assert answer.headers["content-type"] == "application/json"
            assert answer.json() == {"detail": UNREACHABLE_MESSAGE}
            assert int(answer.headers["retry-after"]) > 0
        # a browser: the login form with the message (a 503, not a plain-text 500)
        page = {"Accept": "text/html"}
        for shown in (
            client.get("/login", headers=page),
            client.post("/login", headers=page, data={"username": "alice", "password": "alice-pass-1"}),
        ):
            assert shown.status_code == 503 and shown.headers["content-type"].startswith("text/html")
            assert UNREACHABLE_MESSAGE in shown.text and 'action="/login"' in shown.text
        for _ in range(30):  # a client retrying in a loop
            assert client.get("/api/v1/sessions", headers=bearer).status_code == 503
        # one warning for the whole outage, no traceback
        lines = _outage_lines(caplog)
        assert len(lines) == 1 and lines[0].levelno == logging.WARNING
        assert "not reachable" in lines[0].getMessage() and "unable to open database file" in lines[0].getMessage()
        assert _tracebacks(caplog) == []

        db.up()
        assert client.get("/api/v1/sessions", headers=bearer).status_code == 200
        assert client.post("/api/v1/tokens", json={"name": "alice", "password": "alice-pass-1"}).status_code == 201
        assert client.get("/login", headers=page).status_code == 200
    back = _outage_lines(caplog)[-1].getMessage()
    assert "reachable again" in back and "37 requests refused" in back  # 5 + 2 + 30


def test_the_app_page_and_gradio_s_api_say_the_answer_was_not_saved(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from web import create_app
    from web.outage import DatabaseOutage

    app = create_app(db.studio)
    gradio_app = next(route.app for route in app.routes if getattr(route, "path", None) == "")
    assert DatabaseOutage in [m.cls for m in gradio_app.user_middleware]  # behind Gradio's own 500 handler too
    with TestClient(app) as client:
        assert client.post("/login", data={"username": "alice", "password": "alice-pass-1"}).status_code == 200
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200
        db.down()
        page = client.get("/", headers={"Accept": "text/html"})  # the session cookie is checked in the database
        assert page.status_code == 503 and UNREACHABLE_MESSAGE in page.text
        # what the page's script posts for "Submit": Gradio shows a JSON answer's detail as the error (it read
        # the plain-text 500 as "Could not parse server response: SyntaxError ...")
        join = client.post("/gradio_api/queue/join", json={"fn_index": 0, "data": [], "session_hash": "s-1"})
        assert join.status_code == 500 and join.json() == {"detail": UNREACHABLE_MESSAGE}
        assert client.get("/gradio_api/login_check").json() == {"detail": UNREACHABLE_MESSAGE}
        assert len(_outage_lines(caplog)) == 1 and _tracebacks(caplog) == []
        db.up()
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_a_ui_handler_says_nothing_was_saved_and_the_retry_after_the_outage_is_stored(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from ui import build_ui

    demo = build_ui(db.studio)
    alice = gr.Request(username="alice")
    next_item, submit = handler(demo, "next_item"), handler(demo, "submit_label")
    first = next_item(DEMO_SESSION, alice)
    page = demo_states(demo)
    state = {name: first.get(component, component.value) for name, component in page.items()}
    shown = state["shown_id"]
    answer = ("submit", DEMO_SESSION, shown, state["shown_swapped"], state["shown_at"], state["shown_version"])
    answer += ("key-1", "left", 0, False, "")
    db.down()
    for _ in range(10):  # pressing Submit again and again
        with pytest.raises(gr.Error) as refused:
            submit(*answer, alice)
        assert refused.value.message == UNREACHABLE_MESSAGE  # not "Something went wrong on the server"
    with pytest.raises(gr.Error) as on_load:
        handler(demo, "previous_item")(DEMO_SESSION, shown, alice)
    assert on_load.value.message == UNREACHABLE_MESSAGE
    assert len(_outage_lines(caplog)) == 1 and _tracebacks(caplog) == []
    db.up()
    assert db.sql("SELECT count(*) FROM labels WHERE idempotency_key = 'key-1'") == [(0,)]  # nothing was saved
    done = by_id(submit(*answer, alice))
    assert "annotate-feedback" in done
    assert db.sql("SELECT count(*) FROM labels WHERE idempotency_key = 'key-1'") == [(1,)]


def demo_states(demo: gr.Blocks) -> dict[str, Any]:
    """The Annotate page's per-tab states (the inputs of its Submit after the session and the item id)."""
    submit = next(f for f in demo.fns.values() if f.api_name == "submit_label")
    names = ("what", "session", "shown_id", "shown_swapped", "shown_at", "shown_version", "shown_key")
    return dict(zip(names, submit.inputs, strict=False))


def test_only_connection_failures_count_as_unreachable() -> None:
    import psycopg

    engine = create_engine("postgresql+psycopg://js@127.0.0.1:1/judgestudio")
    with pytest.raises(OperationalError) as refused:  # PostgreSQL not listening: what a stopped server gives
        engine.connect()
    assert unreachable(refused.value)
    assert unreachable(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))
    assert unreachable(sqlite3.OperationalError("unable to open database file"))
    # contention, constraints and bugs stay what they were
    assert not unreachable(sqlite3.OperationalError("database is locked"))
    assert not unreachable(psycopg.errors.LockNotAvailable("could not obtain lock"))
    assert not unreachable(psycopg.errors.SerializationFailure("could not serialize access"))
    assert not unreachable(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not unreachable(KeyError("column"))


def test_a_long_outage_is_one_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    outage = Outage(logging.getLogger(OUTAGE_LOG), clock=lambda: now[0])
    down = sqlite3.OperationalError("unable to open database file")
    for second in range(0, 150):  # a refused request every second for two and a half minutes
        now[0] = float(second)
        outage.refused(down)
    outage.reachable()
    said = [r.getMessage() for r in _outage_lines(caplog)]
    assert len(said) == 4, said  # at 0 s, 60 s, 120 s, and when it is back
    assert "still not reachable after 60 s" in said[1] and "60 requests refused in the last 60 s" in said[1]
    assert "reachable again after 149 s (150 requests refused)" in said[3]
