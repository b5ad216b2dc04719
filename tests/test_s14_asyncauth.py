"""Two gaps of docs/NOTES.md closed in session 14 ("asyncauth").

1. The session-cookie check (``WebContext.user_of``: is the login logged out, is the account active) ran inside
   the async middleware (``WebSecurity`` on ``/``, ``FileGuard`` on ``/gradio_api/``) and Gradio's login check,
   so a PostgreSQL connect that hung stopped the event loop: every other request, static files and other
   people's included, waited until the connect gave up (psycopg's default: 130 s). The check now runs in a
   worker thread (``WebContext.signed_in_user``), and PostgreSQL connects give up after
   ``PG_CONNECT_TIMEOUT_S`` (10 s), which is an outage (503) like a refused connection.
2. The ``users`` commands that change accounts and invites wrote no security log line (only ``serve`` and
   ``serve-api`` set the log up): they now print the servers' lines on stderr, ``by '(command line)'``.
"""

from __future__ import annotations

import ast
import asyncio
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from annotation_store import db
from annotation_store.outage import OUTAGE, UNREACHABLE_MESSAGE, unreachable
from cli import main
from orchestration import Settings, Studio
from orchestration.access import SECURITY_LOG
from web.sessions import COOKIE_NAME

ROOT = Path(__file__).resolve().parent.parent
HANG_S = 5.0
SOON_S = 2.5  # well within HANG_S, on a loaded 2-core machine too
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def no_outage_left() -> Iterator[None]:
    OUTAGE.reachable()
    yield
    OUTAGE.reachable()


@pytest.fixture
def studio(db_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=None)
    s.store.create_annotator("alice", role="annotator", password=PASSWORD)
    s.store.create_annotator("ada", role="admin", password=PASSWORD)
    yield s
    s.store.close()


def _hanging_lookup(studio: Studio, monkeypatch: pytest.MonkeyPatch, who: str) -> None:
    """``who``'s cookie check hangs for ``HANG_S`` seconds, as a PostgreSQL connect to a host that dropped its
    packets does; everyone else's is answered as before."""
    real = studio.store.browser_session_ended

    def lookup(session_id: str, name: str, issued_at: Any, account_id: int) -> bool:
        if name == who:
            time.sleep(HANG_S)
        return real(session_id, name, issued_at, account_id)

    monkeypatch.setattr(studio.store, "browser_session_ended", lookup)


async def _while_one_hangs(app: Any, slow: tuple[str, dict[str, str]], fast: list[str]) -> tuple[float, float, int]:
    """Start the hanging request, then the others; (seconds until the others were all answered, seconds until
    the hanging one was, the hanging one's status)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:7860") as client:
        started = time.monotonic()
        hanging = asyncio.create_task(client.get(slow[0], headers=slow[1]))
        await asyncio.sleep(0.2)  # the hanging request is inside its cookie check now
        answers = await asyncio.gather(*(client.get(path) for path in fast))
        others = time.monotonic() - started
        assert all(a.status_code < 500 for a in answers), [(a.request.url, a.status_code) for a in answers]
        assert not hanging.done(), "the hanging request was answered before the others: nothing was tested"
        answer = await hanging
        return others, time.monotonic() - started, answer.status_code


def test_a_hanging_cookie_check_on_the_page_does_not_hold_up_other_requests(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.server import create_api_app

    app = create_api_app(studio)
    cookie = app.state.web.signer.issue("alice")
    _hanging_lookup(studio, monkeypatch, "alice")
    slow = ("/", {"Cookie": f"{COOKIE_NAME}={cookie}", "Accept": "text/html"})
    others, hanging, status = asyncio.run(
        _while_one_hangs(app, slow, ["/login", "/api/v1/docs", "/api/v1/docs/assets/swagger-ui.css"])
    )
    assert others < SOON_S, f"the login page and static files waited {others:.1f} s for another person's cookie check"
    assert hanging >= HANG_S and status == 200, "the hanging one is still answered, once its check ends"


def test_a_hanging_cookie_check_on_gradios_api_does_not_hold_up_other_requests(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.responses import PlainTextResponse

    from web.server import create_api_app
    from web.uploads import FileGuard

    web = create_api_app(studio).state.web
    guarded = FileGuard(PlainTextResponse("served"), web=web)  # the guard every /gradio_api/ call passes
    cookie = web.signer.issue("alice")
    _hanging_lookup(studio, monkeypatch, "alice")
    slow = ("/gradio_api/info", {"Cookie": f"{COOKIE_NAME}={cookie}"})
    others, hanging, status = asyncio.run(_while_one_hangs(guarded, slow, ["/static/page.css", "/gradio_api/info"]))
    assert others < SOON_S, f"other requests waited {others:.1f} s for another person's cookie check"
    assert hanging >= HANG_S and status == 200


def test_gradios_login_check_and_the_middleware_never_run_the_database_check_on_the_event_loop() -> None:
    """``user_of`` reads the database: no ``async def`` in ``web/`` may call it (``signed_in_user`` hands it to a
    thread), and Gradio gets the async one as its ``auth_dependency`` (Gradio awaits an awaitable answer)."""
    offenders = []
    for path in sorted((ROOT / "web").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                called = node.func if isinstance(node, ast.Call) else None
                if isinstance(called, ast.Attribute) and called.attr in {"user_of", "_active_account"}:
                    offenders.append(f"{path.name}:{node.lineno} {function.name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "auth_dependency":
                assert isinstance(node.value, ast.Attribute) and node.value.attr == "signed_in_user", path.name
    assert offenders == []


def test_an_unreachable_database_during_the_threaded_cookie_check_is_still_503_at_once(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from web.server import create_api_app

    app = create_api_app(studio)
    cookie = app.state.web.signer.issue("alice")

    def refused(*_args: Any) -> bool:
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open database file"))

    monkeypatch.setattr(studio.store, "browser_session_ended", refused)
    with TestClient(app) as client:
        client.cookies.set(COOKIE_NAME, cookie)
        started = time.monotonic()
        page = client.get("/", headers={"Accept": "text/html"})
        api = client.get("/", headers={"Accept": "application/json"})
    assert time.monotonic() - started < 5
    assert page.status_code == 503 and UNREACHABLE_MESSAGE in page.text
    assert api.status_code == 503 and api.json() == {"detail": UNREACHABLE_MESSAGE}


# ---------------------------------------------------------------------- the PostgreSQL connect timeout


def test_a_postgresql_connect_that_hangs_gives_up_and_is_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the TCP connection and never answers (as a stuck host or a half-open firewall
    does): psycopg alone waits 130 s; the engine gives up after ``PG_CONNECT_TIMEOUT_S``."""
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.setattr(db, "PG_CONNECT_TIMEOUT_S", 2)  # psycopg's least
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://judge:secret@127.0.0.1:{silent.getsockname()[1]}/judge"
        engine = db.make_engine(url)
        failed: list[BaseException] = []

        def connect() -> None:
            try:
                engine.connect().close()
            except Exception as exc:
                failed.append(exc)

        worker = threading.Thread(target=connect, daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(timeout=15)
        waited = time.monotonic() - started
        assert not worker.is_alive(), "the connect still hangs after 15 s"
    assert waited < 8, waited
    (exc,) = failed
    assert unreachable(exc), "a connect that timed out is an outage (503), like a refused one"
    said = db.unreachable_error(url, exc)
    assert said is not None and "connection timeout expired" in str(said) and "secret" not in str(said)


def test_the_connect_timeout_can_be_set_in_the_url_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    assert db.pg_connect_args({}) == {"connect_timeout": db.PG_CONNECT_TIMEOUT_S}
    assert 5 <= db.PG_CONNECT_TIMEOUT_S <= 10
    assert db.pg_connect_args({"connect_timeout": "30"}) == {}, "the URL's ?connect_timeout=30 wins"
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "45")
    assert db.pg_connect_args({}) == {}, "libpq's PGCONNECT_TIMEOUT wins"
    engine = db.make_engine("postgresql://judge@127.0.0.1:1/judge?connect_timeout=30")
    assert engine.url.query["connect_timeout"] == "30"


# ---------------------------------------------------------------------- the users commands' security log

LINE = r"INFO: {{4}} \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d security: {}"


def _security_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if " security: " in line]


def test_users_commands_print_the_security_log_lines_the_admin_page_writes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = ["--home", str(tmp_path)]
    handlers, level = list(SECURITY_LOG.handlers), SECURITY_LOG.level

    def run(*args: str, stdin: str | None = None) -> list[str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", _Lines(stdin))
        main(["users", *args, *home])
        return _security_lines(capsys.readouterr().err)

    said = {
        "add": run("add", "bob", "--role", "reviewer", "--password-stdin", stdin=PASSWORD),
        "set": run("set", "bob", "--role", "annotator", "--kind", "expert"),
        "password": run("set", "bob", "--password-stdin", stdin=PASSWORD + "-2"),
        "invite": run("invite", "--base-url", "https://j.example.org"),
        "unlock": run("unlock", "bob"),
        "sign-out": run("sign-out", "bob"),
        "everyone": run("sign-out-everyone"),
        "list": run("list"),
    }
    (invite,) = said["invite"]
    number = re.search(r"invite created: #(\d+) ", invite).group(1)  # type: ignore[union-attr]
    said["revoke"] = run("revoke-invite", number)
    expected = {
        "add": r"account created: 'bob' \(reviewer, crowd\) by '\(command line\)'",
        "set": r"account changed: 'bob': .*role annotator.* by '\(command line\)'",
        "password": r"account changed: 'bob': .*password.* by '\(command line\)'",
        "invite": rf"invite created: #{number} annotator \(crowd\) valid 72 hours, by '\(command line\)'",
        "unlock": r"account unlocked: 'bob' \(0 failed logins forgotten\) by '\(command line\)'",
        "sign-out": r"account signed out everywhere: 'bob' \(0 API tokens\) by '\(command line\)'",
        "everyone": r"every browser session signed out \(users sign-out-everyone\) by '\(command line\)'",
        "revoke": rf"invite revoked: #{number} \(annotator, crowd\) by '\(command line\)'",
    }
    for task, pattern in expected.items():
        assert len(said[task]) == 1 and re.fullmatch(LINE.format(pattern), said[task][0]), (task, said[task])
    assert said["list"] == [], "reading changes nothing and logs nothing"
    assert all(PASSWORD not in line for lines in said.values() for line in lines)
    assert SECURITY_LOG.handlers == handlers and SECURITY_LOG.level == level, "the logger is left as it was"


def test_revoke_invite_in_its_own_process_prints_the_line(tmp_path: Path) -> None:
    """As an operator runs it: a fresh process with no logging set up (the line used to be dropped there)."""
    studio = Studio.open(Settings(home=tmp_path), judge_loader=None)
    made, _link = studio.access.local_admin().new_invite(None, role="annotator", kind="skilled", hours=24)
    studio.store.close()
    done = subprocess.run(
        [sys.executable, "app.py", "users", "revoke-invite", str(made.id), "--home", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _security_lines(done.stderr) == [
        line
        for line in done.stderr.splitlines()
        if re.fullmatch(LINE.format(rf"invite revoked: #{made.id} \(annotator, skilled\) by '\(command line\)'"), line)
    ]
    assert len(_security_lines(done.stderr)) == 1, done.stderr
    assert "security:" not in done.stdout, "stdout stays the command's own answer, for scripts"


class _Lines:
    """A stdin holding one line (``--password-stdin``)."""

    def __init__(self, text: str) -> None:
        self._lines = [text + "\n"]

    def readline(self) -> str:
        return self._lines.pop(0) if self._lines else ""

    def isatty(self) -> bool:
        return False
