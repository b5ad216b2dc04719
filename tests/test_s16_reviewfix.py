"""Session 16 code review (review16), findings 4-6, mended:

4. a store message about an item of *another* session ("... was handed to you in another session: answer it
   there") names it "this item" to an annotator: the handle it was given before was the item's in the session the
   request named, which the item does not have "there";
5. an address (or account) far over the failed-login limit is locked until its failures in the window drop below
   the limit (the limit-th newest ages out), and the login refusal's "try again in N minutes", its Retry-After and
   the ``users unlock`` listing say that time, not the oldest failure's;
6. a login cookie issued before its account was made is refused: an account deleted in the database and made
   again under its name takes over the old row id on SQLite (the app itself deletes no account).

Real SQLite files, the real desks, the real web app (TestClient) and the real command line; a controlled clock."""

from __future__ import annotations

import math
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home, sql_rows

from cli import main
from errors import Forbidden
from orchestration import Studio
from orchestration.access import THROTTLE_WINDOW_S, LoginThrottled
from web.sessions import COOKIE_NAME

DEMO = "judge-studio-demo"
LOCAL = "http://127.0.0.1:7860"
HTML = {"Accept": "text/html"}


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    accounts = (("ada", "admin"), ("rita", "reviewer"), ("alice", "annotator"))
    yield from closing(accounts_studio(home, accounts))


def _database(home: Path) -> Path:
    return home / "judge-studio.sqlite3"


# ---------------------------------------------------------------------- 4: another session's item
def _ids(home: Path, *names: str) -> list[int]:
    return [sql_rows(_database(home), "SELECT id FROM annotators WHERE name = ?", name)[0][0] for name in names]


def test_an_item_of_another_session_is_this_item_to_an_annotator(studio: Studio, home: Path) -> None:
    studio.store.save_session("blind", DEMO, reveal_judge=False)
    studio.store.save_session("open", DEMO, reveal_judge=True)
    item = studio.desk.next_item("alice", "blind")
    assert item is not None
    [alice_id] = _ids(home, "alice")
    [open_id] = sql_rows(_database(home), "SELECT id FROM annotation_sessions WHERE name = 'open'")[0]
    wrong = studio.desk.handles.handle(open_id, alice_id, item.id)  # what it said before: the handle in "open"
    with pytest.raises(Forbidden) as leased_elsewhere:
        studio.desk.submit("alice", "open", item.id, "left", swapped=item.swapped, idempotency_key="k1")
    assert str(leased_elsewhere.value) == (
        "This item was handed to you in another session: answer it there, where it was leased (sessions differ in "
        "what they reveal). Nothing was saved."
    )
    studio.desk.submit("alice", "blind", item.id, "left", swapped=item.swapped, idempotency_key="k2")
    with pytest.raises(Forbidden) as retried_elsewhere:  # the same submit again, in the other session
        studio.desk.submit("alice", "open", item.id, "left", swapped=item.swapped, idempotency_key="k2")
    assert str(retried_elsewhere.value) == (
        "This submission was made in another session; this item is answered there. Nothing was saved."
    )
    with pytest.raises(Forbidden) as answered_elsewhere:  # an edit in the other session
        studio.desk.submit("alice", "open", item.id, "right", swapped=item.swapped)
    assert str(answered_elsewhere.value) == (
        "You answered this item in another session (or outside one); change it there. Nothing was saved."
    )
    for said in (leased_elsewhere, retried_elsewhere, answered_elsewhere):  # neither the wrong handle nor the id
        assert wrong not in str(said.value) and f"#{item.id}" not in str(said.value)


def test_a_reviewer_is_still_told_the_id_of_another_sessions_item(studio: Studio) -> None:
    studio.store.save_session("blind", DEMO, reveal_judge=False)
    studio.store.save_session("open", DEMO, reveal_judge=True)
    item = studio.desk.next_item("rita", "blind")
    assert item is not None
    with pytest.raises(Forbidden, match=f"^Comparison #{item.id} was handed to you in another session: answer it"):
        studio.desk.submit("rita", "open", item.id, "left", swapped=item.swapped)


# ---------------------------------------------------------------------- 5: when a lock really ends
T0 = 1_900_000_000.0  # a controlled clock (epoch seconds)


def _scan(studio: Studio, address: str, first: float, burst: float, count: int) -> list[float]:
    """One failed login from ``address`` at ``first``, then ``count - 1`` more from ``burst`` on, four a second (a
    scan): their times, as the throttle's clock read them (quarter seconds: exact in a float and a timestamp)."""
    times = [first, *(burst + n / 4 for n in range(count - 1))]
    throttle, clock = studio.access.throttle, studio.access.throttle.clock
    try:
        for number, at in enumerate(times):
            throttle.clock = lambda at=at: at
            throttle.failed(f"guess{number % 7}", address)
    finally:
        throttle.clock = clock
    return times


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def test_an_address_far_over_the_limit_is_told_when_its_lock_really_ends(studio: Studio) -> None:
    throttle = studio.access.throttle
    limit = throttle.limit * throttle.ADDRESS_FACTOR  # failures in the window that lock an address (50)
    times = _scan(studio, "10.7.7.7", T0, T0 + 300, 400)
    ends = sorted(times)[-limit] + THROTTLE_WINDOW_S  # the limit-th newest failure ages out
    assert ends > times[0] + THROTTLE_WINDOW_S + 300  # far later than the oldest's (what was said before)
    now = [T0 + 400]
    throttle.clock = lambda: now[0]
    with pytest.raises(LoginThrottled) as refused:
        studio.access.sign_in("ada", PASSWORD, "10.7.7.7")
    wait = int(ends - now[0]) + 1
    minutes = math.ceil(wait / 60)
    assert str(refused.value) == f"Too many failed logins from your address; try again in {minutes} minutes."
    assert refused.value.retry_after == wait
    listed = studio.access.locked_addresses("ada")
    assert listed == {"10.7.7.7": _at(ends)}  # what `users unlock` prints
    now[0] = times[0] + THROTTLE_WINDOW_S + 60  # past the old "unlocks at": still locked, and says until when
    with pytest.raises(LoginThrottled) as still:
        studio.access.sign_in("ada", PASSWORD, "10.7.7.7")
    assert still.value.retry_after == int(ends - now[0]) + 1
    assert studio.access.locked_addresses("ada") == {"10.7.7.7": _at(ends)}
    now[0] = ends  # the limit-th newest failure is still in the window (at or after now - window)
    with pytest.raises(LoginThrottled, match="try again in 1 minute\\.$"):
        studio.access.sign_in("ada", PASSWORD, "10.7.7.7")
    now[0] = ends + 0.5  # the time said: the right password logs in
    assert studio.access.sign_in("ada", PASSWORD, "10.7.7.7").name == "ada"
    assert studio.access.locked_addresses("ada") == {}


def test_an_address_exactly_at_the_limit_unlocks_when_its_oldest_failure_ages_out(studio: Studio) -> None:
    throttle = studio.access.throttle
    limit = throttle.limit * throttle.ADDRESS_FACTOR
    times = _scan(studio, "10.7.7.8", T0, T0 + 300, limit)
    throttle.clock = lambda: T0 + 400
    assert studio.access.locked_addresses("ada") == {"10.7.7.8": _at(times[0] + THROTTLE_WINDOW_S)}


def test_an_account_far_over_the_limit_is_locked_until_the_admin_page_says(studio: Studio) -> None:
    throttle = studio.access.throttle
    times = [T0 + n for n in range(3)] + [T0 + 600 + n for n in range(3 * throttle.limit)]
    for number, at in enumerate(times):  # from many addresses, as a spread-out guesser (or a lower limit now)
        throttle.clock = lambda at=at: at
        throttle.failed("alice", f"10.0.{number}.1")
    ends = sorted(times)[-throttle.limit] + THROTTLE_WINDOW_S
    now = T0 + 700
    throttle.clock = lambda: now
    table = studio.access.accounts("ada").set_index("name")
    assert table.loc["alice", "can_log_in"] == f"locked until {_at(ends):%H:%M} UTC"
    with pytest.raises(LoginThrottled) as refused:
        studio.access.sign_in("alice", PASSWORD, "10.9.9.9")
    wait = int(ends - now) + 1
    minutes = math.ceil(wait / 60)
    assert str(refused.value) == f"Too many failed logins for this account; try again in {minutes} minutes."
    assert refused.value.retry_after == wait and wait > 12 * 60  # the oldest failure's time: 200 s from now


def test_users_unlock_prints_when_a_scanned_address_really_unlocks(
    studio: Studio, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    start = time.time()  # the command line reads the real clock
    times = _scan(studio, "10.6.6.6", start - 800, start - 110, 400)
    ends = _at(sorted(times)[-studio.access.throttle.limit * 5] + THROTTLE_WINDOW_S)
    main(["users", "unlock", "alice", "--home", str(home)])
    out = capsys.readouterr().out
    assert f"Every login from 10.6.6.6 is still refused until {ends:%H:%M} UTC at the earliest" in out, out
    assert ends - _at(times[0] + THROTTLE_WINDOW_S) > timedelta(minutes=10)  # not the oldest failure's time


# ---------------------------------------------------------------------- 6: a cookie older than its account
def _signed_in(client: TestClient) -> bool:
    return client.get("/login", headers=HTML, follow_redirects=False).status_code == 303


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert answer.status_code == 200, answer.text
    return str(client.cookies[COOKIE_NAME])


def test_a_cookie_is_refused_for_an_account_remade_on_a_deleted_accounts_row_id(studio: Studio, home: Path) -> None:
    studio.access.add_account("ada", "zed", "zeds-long-password")  # the newest account: the highest row id
    with sqlite3.connect(_database(home)) as db:  # made an hour ago
        db.execute("UPDATE annotators SET created_at = datetime(created_at, '-1 hour') WHERE name = 'zed'")
    app = api_app(studio)
    signer = app.state.web.signer
    real = signer.clock
    with TestClient(app, base_url=LOCAL) as browser:
        signer.clock = lambda: real() - 600  # logged in ten minutes ago
        try:
            cookie = _log_in(browser, "zed", "zeds-long-password")
        finally:
            signer.clock = real
        [old_id] = _ids(home, "zed")
        assert _signed_in(browser)
        with sqlite3.connect(_database(home)) as db:  # a DBA deletes the account...
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("DELETE FROM annotators WHERE name = 'zed'")
        studio.access.add_account("ada", "zed", "another-long-password", role="admin")  # ... and an admin is made
        assert _ids(home, "zed") == [old_id]  # SQLite gave the new account the deleted one's row id
        app.state.web.forget_account("zed")
        assert signer.read(cookie) is None
        assert not _signed_in(browser)  # the login page, not the new admin's session
        with TestClient(app, base_url=LOCAL) as admin:  # the new account's own login works
            _log_in(admin, "zed", "another-long-password")
            assert _signed_in(admin)


def test_a_login_right_after_its_account_was_made_works(studio: Studio) -> None:
    app = api_app(studio)
    with TestClient(app, base_url=LOCAL) as browser:
        studio.access.add_account("ada", "newcomer", "newcomers-long-password")
        cookie = _log_in(browser, "newcomer", "newcomers-long-password")
        assert app.state.web.signer.read(cookie) is not None and _signed_in(browser)


def test_the_app_has_no_way_to_delete_an_account() -> None:
    """Why finding 6 needs a DBA: no code of ours deletes an ``annotators`` row (nor a command, route or page)."""
    root = Path(__file__).resolve().parent.parent
    deletes = re.compile(r"delete\(\s*Annotator\b|DELETE\s+FROM\s+annotators", re.IGNORECASE)
    found = [
        str(path.relative_to(root))
        for package in ("annotation_store", "orchestration", "cli", "web", "ui")
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts and deletes.search(path.read_text("utf-8"))
    ]
    assert found == []
