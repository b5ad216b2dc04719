"""The access-control auditor's findings 2-5 of session 15, mended:

2. a login cookie names its account by id as well as by name: after a rename done in the database and a new account
   (an admin) given the old name, the old cookie is refused; a cookie of an older version (no id) is refused too;
3. a deactivated account's login answers as a wrong password does, whatever the password (no password oracle), on
   the login form and ``POST /api/v1/tokens`` alike, with a hint to ask an admin;
4. an address locked by failed logins can be unlocked (``users unlock --address IP``), ``users unlock NAME`` says
   which addresses are still locked and how, and X-Forwarded-For from a peer that is not trusted is warned about
   once per peer;
5. ``HEAD`` is answered as ``GET`` without the body on the app's own pages and REST routes (it was 405).

Real SQLite files, the real web apps (TestClient) and the real command line."""

from __future__ import annotations

import base64
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home, sql_rows

from cli import main
from orchestration import Studio
from orchestration.access import WRONG_LOGIN, LoginThrottled, WrongPassword
from web.sessions import COOKIE_NAME

LOCAL = "http://127.0.0.1:7860"
HTML = {"Accept": "text/html"}
SECURITY = "judge_studio.security"


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(accounts_studio(home, (("ada", "admin"), ("ren", "annotator"), ("bob", "annotator"))))


def _database(home: Path) -> Path:
    return home / "judge-studio.sqlite3"


def _signed_in(client: TestClient) -> bool:
    """Whether the client's cookie is a working login: ``GET /login`` sends a signed-in browser on to the app."""
    answer = client.get("/login", headers=HTML, follow_redirects=False)
    return answer.status_code == 303


def _log_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    answer = client.post("/login", data={"username": name, "password": password}, follow_redirects=False)
    assert answer.status_code == 200, answer.text
    return str(client.cookies[COOKIE_NAME])


def _payload(cookie: str) -> dict[str, Any]:
    text = cookie.split(".")[0]
    found: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return found


# ---------------------------------------------------------------------- 2: the cookie names the account by id
def test_an_old_cookie_is_refused_after_its_name_went_to_a_new_admin(studio: Studio, home: Path) -> None:
    app = api_app(studio)
    with TestClient(app, base_url=LOCAL) as browser:
        cookie = _log_in(browser, "ren")
        [(ren_id,)] = sql_rows(_database(home), "SELECT id FROM annotators WHERE name = 'ren'")
        assert _signed_in(browser)
        # the auditor's steps: the row renamed in the database, then a new admin given the old name
        with sqlite3.connect(_database(home)) as db:
            db.execute("UPDATE annotators SET name = 'ren-renamed' WHERE name = 'ren'")
        studio.access.add_account("ada", "ren", "another-long-password", role="admin")
        app.state.web.forget_account("ren")  # as after ACCOUNT_CHECK_S seconds
        assert not _signed_in(browser)  # the login page again, not the new admin's session
        page = browser.get("/login", headers=HTML, follow_redirects=False)
        assert page.status_code == 200 and 'name="password"' in page.text
        assert app.state.web.signer.read(cookie) is None
        assert _payload(cookie)["i"] == ren_id and _payload(cookie)["u"] == "ren"  # the cookie names both
        # the new admin's own login works, and names the new account
        with TestClient(app, base_url=LOCAL) as admin:
            fresh = _log_in(admin, "ren", "another-long-password")
            assert _payload(fresh)["i"] != ren_id and _signed_in(admin)


def test_a_cookie_of_an_older_version_without_an_id_is_refused(studio: Studio) -> None:
    app = api_app(studio)
    signer = app.state.web.signer
    with TestClient(app, base_url=LOCAL) as browser:
        body = {key: value for key, value in _payload(_log_in(browser, "bob")).items() if key != "i"}
        payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        old = f"{payload}.{signer._signature(signer.key.current(), payload)}"  # signed right, as older versions did
        browser.cookies.clear()
        browser.cookies.set(COOKIE_NAME, old)
        assert signer.read(old) is None and not _signed_in(browser)
        browser.cookies.clear()
        _log_in(browser, "bob")  # logging in once again is all it takes
        assert _signed_in(browser)


# ---------------------------------------------------------------------- 3: no password oracle
def test_a_deactivated_account_answers_as_a_wrong_password_on_both_doors(studio: Studio, home: Path) -> None:
    studio.access.update_account("ada", "bob", active=False)
    for password in (PASSWORD, "not-bobs-password"):
        with pytest.raises(WrongPassword, match=f"^{re.escape(WRONG_LOGIN)}$"):
            studio.access.sign_in("bob", password, "10.0.0.1")
    with TestClient(api_app(studio), base_url=LOCAL) as client:
        answers = [
            client.post("/api/v1/tokens", json={"name": "bob", "password": password})
            for password in (PASSWORD, "not-bobs-password")
        ]
        assert [a.status_code for a in answers] == [401, 401]
        assert answers[0].json() == answers[1].json() == {"detail": WRONG_LOGIN}
        pages = [
            client.post("/login", data={"username": "bob", "password": password}, headers=HTML).text
            for password in (PASSWORD, "not-bobs-password")
        ]
    for page in pages:
        assert "Incorrect name or password. If your account was deactivated, ask an admin." in page
        assert "is deactivated" not in page
    assert sql_rows(_database(home), "SELECT count(*) FROM login_failures WHERE key = 'account:bob'") == [(6,)]


# ---------------------------------------------------------------------- 4: the address lock
def _users(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    """``judge-studio users ARGS --home HOME``: (what it printed, the one-line error or "")."""
    try:
        main(["users", *args, "--home", str(home)])
    except SystemExit as exit_:
        return capsys.readouterr().out, str(exit_.code)
    return capsys.readouterr().out, ""


def test_users_unlock_names_the_locked_address_and_unlock_address_lifts_it(
    studio: Studio, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in range(50):  # the auditor's 50 failed logins from one address, over several names
        studio.access.throttle.failed(f"guess{number % 7}", "10.9.8.7")
    with pytest.raises(LoginThrottled, match="from your address"):
        studio.access.sign_in("ada", PASSWORD, "10.9.8.7")
    out, error = _users(home, capsys, "unlock", "ada")
    assert error == ""
    assert "Unlocked 'ada': 0 failed logins forgotten." in out
    assert re.search(
        r"Every login from 10\.9\.8\.7 is still refused until \d\d:\d\d UTC at the earliest \(too many failed "
        r"logins from that address, whichever account they named\); "
        r"`judge-studio users unlock --address 10\.9\.8\.7` unlocks it\.",
        out,
    ), out
    with pytest.raises(LoginThrottled):  # an account's unlock leaves the address lock, and says so above
        studio.access.sign_in("ada", PASSWORD, "10.9.8.7")
    out, error = _users(home, capsys, "unlock", "--address", " 10.9.8.7 ")
    assert error == "" and out == "Unlocked the address 10.9.8.7: 50 failed logins forgotten.\n"
    assert sql_rows(_database(home), "SELECT count(*) FROM login_failures WHERE key LIKE 'address:%'") == [(0,)]
    assert studio.access.sign_in("ada", PASSWORD, "10.9.8.7").name == "ada"
    assert "still refused" not in _users(home, capsys, "unlock", "ada")[0]


def test_users_unlock_lists_several_locked_addresses_and_refuses_what_is_no_address(
    studio: Studio, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for address in ("10.0.0.2", "2001:db8::5"):
        for number in range(50):
            studio.access.throttle.failed(f"x{number}", address)
    for number in range(49):  # one short of the lock: not listed
        studio.access.throttle.failed(f"y{number}", "10.0.0.3")
    out, _error = _users(home, capsys, "unlock", "bob")
    assert "Every login from these addresses is still refused" in out
    assert "10.0.0.2 until " in out and "2001:db8::5 until " in out and "10.0.0.3" not in out
    assert "`judge-studio users unlock --address IP` unlocks one." in out
    out, error = _users(home, capsys, "unlock", "--address", "2001:0db8:0:0::5")  # another spelling of the address
    assert "Unlocked the address 2001:db8::5: 50 failed logins forgotten." in out
    assert "Every login from 10.0.0.2 is still refused" in out
    _out, error = _users(home, capsys, "unlock", "--address", "bob")
    assert error.endswith(
        "'bob' is not an IP address (such as 127.0.0.1 or ::1) nor a locked address; the security log names the "
        "address of each failed login. Nothing was changed."
    )
    for number in range(50):  # a proxy trusted with "*" lets the client write any address (review A 1)
        studio.access.throttle.failed(f"z{number}", "not-an-ip")
    out, error = _users(home, capsys, "unlock", "--address", "not-an-ip")
    assert error == "" and "Unlocked the address not-an-ip: 50 failed logins forgotten." in out
    _out, error = _users(home, capsys, "unlock")
    assert "Name the account (`users unlock NAME`) or the address (`users unlock --address IP`)." in error


def test_x_forwarded_for_from_an_untrusted_peer_is_warned_about_once_per_peer(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    studio = accounts_studio(home, (), forwarded_allow_ips="10.0.0.5")
    caplog.set_level(logging.INFO, logger=SECURITY)
    try:
        app = api_app(studio)
        forwarded = {"X-Forwarded-For": "198.51.100.9"}
        for peer in ("10.0.0.6", "10.0.0.6", "10.0.0.7", "10.0.0.5"):  # 10.0.0.5 is the trusted proxy
            with TestClient(app, base_url=LOCAL, client=(peer, 4000)) as client:
                client.get("/healthz", headers=forwarded)
                client.get("/healthz", headers=forwarded)
        with TestClient(app, base_url=LOCAL, client=("10.0.0.8", 4000)) as client:
            client.get("/healthz")  # no X-Forwarded-For: nothing to say
    finally:
        studio.store.close()
    warned = [r.getMessage() for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert [line.split()[2] for line in warned] == ["10.0.0.6", "10.0.0.7"]
    assert warned[0].startswith(
        "requests from 10.0.0.6 carry X-Forwarded-For, but 10.0.0.6 is not in "
        "forwarded_allow_ips (--forwarded-allow-ips, JUDGE_STUDIO_FORWARDED_ALLOW_IPS)"
    )
    assert "every client behind it has its address" in warned[0] and "locks every account" in warned[0]
    assert all(r.levelno == logging.WARNING for r in caplog.records if "X-Forwarded-For" in r.getMessage())


# ---------------------------------------------------------------------- 5: HEAD
def test_head_is_answered_as_get_without_the_body(studio: Studio) -> None:
    token = studio.access.api_token("bob", label="head")
    with TestClient(api_app(studio), base_url=LOCAL) as client:
        get, head = client.get("/login", headers=HTML), client.head("/login", headers=HTML)
        assert head.status_code == get.status_code == 200 and head.content == b""
        for header in ("content-type", "content-length", "content-security-policy", "cache-control"):
            assert head.headers[header] == get.headers[header], header
        bearer = {"Authorization": f"Bearer {token}"}
        rest = client.head("/api/v1/datasets", headers=bearer)
        assert rest.status_code == 200 and rest.content == b""
        assert (
            rest.headers["content-length"] == client.get("/api/v1/datasets", headers=bearer).headers["content-length"]
        )
        assert client.head("/api/v1/datasets").status_code == 401  # the same refusal as GET's
        assert client.head("/api/v1/openapi.json").status_code == 200
        wrong = client.post("/api/v1/datasets", headers=bearer)
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
        assert wrong.json() == {"detail": "/api/v1/datasets takes GET, not POST."}
        posted = client.head("/api/v1/labels", headers=bearer)  # POST only: still a 405 naming it
        assert posted.status_code == 405 and posted.headers["allow"] == "POST"


def test_head_logout_logs_nobody_out(studio: Studio) -> None:
    with TestClient(api_app(studio), base_url=LOCAL) as browser:
        _log_in(browser, "bob")
        same = {"Sec-Fetch-Site": "same-origin"}
        assert browser.head("/logout", headers=same).status_code == 200
        assert _signed_in(browser)
        assert browser.get("/logout", headers=same, follow_redirects=False).status_code == 303  # GET still does
        assert not _signed_in(browser)


def test_head_login_on_the_app_server_is_the_login_page_not_gradios_405(studio: Studio) -> None:
    from web.server import create_app

    with TestClient(create_app(studio), base_url=LOCAL) as client:
        get, head = client.get("/login", headers=HTML), client.head("/login", headers=HTML)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
    assert "'unsafe-eval'" not in head.headers["content-security-policy"]  # the login page's, not the app page's
