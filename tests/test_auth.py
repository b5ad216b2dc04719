"""Logging in: the UI behind the login page, one-time invite links, the first admin's password,
and the ``judge-studio users`` command line. Real app over HTTP, real SQLite, real subprocesses."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from annotation_store import Store, open_store
from orchestration.access import WRONG_LOGIN

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def _store(path: Path) -> Iterator[Store]:
    store = open_store(path)
    try:
        yield store
    finally:
        store.close()


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _login(url: str, name: str, password: str) -> httpx.Response:
    """What the login form (and ``gradio_client``) sends."""
    return httpx.post(url + "login", data={"username": name, "password": password})


# ---------------------------------------------------------------------- the UI needs a login
def test_the_ui_and_its_endpoints_refuse_callers_who_are_not_logged_in(live_app) -> None:
    with pytest.raises(ValueError, match="credentials were not provided"):
        Client(live_app.url, verbose=False)
    page = httpx.get(live_app.url)
    assert page.status_code == 200 and 'name="password"' in page.text and "gradio_config" not in page.text
    assert "atlas-13b-chat" not in page.text  # no app config, no data, only the login form
    for method, path in (("GET", "config"), ("GET", "gradio_api/info"), ("POST", "gradio_api/queue/join")):
        refused = httpx.request(method, live_app.url + path, json={} if method == "POST" else None)
        assert refused.status_code == 401, path


def test_a_wrong_password_is_refused_and_the_right_one_logs_in(live_app, app_accounts: dict[str, str]) -> None:
    wrong = _login(live_app.url, "alice", "not-her-password")
    assert wrong.status_code == 401 and wrong.json()["detail"] == WRONG_LOGIN
    assert _login(live_app.url, "nobody", "alice-pass-1").status_code == 401
    with pytest.raises(ValueError, match="Could not login"):
        Client(live_app.url, auth=("alice", "not-her-password"), verbose=False)

    with httpx.Client(base_url=live_app.url) as browser:
        assert browser.post("login", data={"username": "alice", "password": app_accounts["alice"]}).status_code == 200
        assert browser.get("config").status_code == 200
        assert browser.get("gradio_api/user").json() == "alice"
    client = Client(live_app.url, auth=("rita", app_accounts["rita"]), verbose=False)
    assert "/show_comparison" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]


def test_a_deactivated_account_cannot_log_in(live_app, app_accounts: dict[str, str]) -> None:
    live_app.studio.access.update_account("admin", "bob", active=False)
    assert _login(live_app.url, "bob", app_accounts["bob"]).status_code == 401


# ---------------------------------------------------------------------- invite links
def test_an_invite_link_creates_an_account_once(live_app, db_path: Path, app_accounts: dict[str, str]) -> None:
    token = live_app.studio.access.invite("admin", role="reviewer", kind="expert", hours=1)
    link = f"{live_app.url}invite/{token}"
    with httpx.Client() as browser:  # not logged in: the invite page is outside the login
        form = browser.get(link)
        assert form.status_code == 200 and "as a reviewer" in form.text and 'name="password2"' in form.text
        assert (
            form.headers["referrer-policy"] == "same-origin"
            and "default-src 'none'" in (form.headers["content-security-policy"])
        )

        differ = browser.post(link, data={"name": "nina", "password": "nina-pass-1", "password2": "nina-pass-2"})
        assert differ.status_code == 400 and "The two passwords differ" in differ.text
        taken = browser.post(link, data={"name": "alice", "password": "nina-pass-1", "password2": "nina-pass-1"})
        assert taken.status_code == 409 and "The name &#x27;alice&#x27; is taken" in taken.text
        hostile = "<script>alert(1)</script>"
        short = browser.post(link, data={"name": hostile, "password": "short", "password2": "short"})
        assert short.status_code == 400 and "at least 8 characters" in short.text
        assert hostile not in short.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in short.text
        assert _sql(db_path, "SELECT count(*) FROM annotators WHERE name IN ('nina', ?)", hostile) == [(0,)]

        created = browser.post(link, data={"name": "nina", "password": "nina-pass-1", "password2": "nina-pass-1"})
        assert created.status_code == 303 and created.headers["location"] == "/login?created=1&name=nina"
        welcome = browser.get(live_app.url + created.headers["location"].lstrip("/")).text
        assert "Your account was created; log in" in welcome and 'value="nina"' in welcome

        again = browser.post(link, data={"name": "nino", "password": "nino-pass-1", "password2": "nino-pass-1"})
        assert again.status_code == 410 and "unknown, already used or expired" in again.text
        assert browser.get(link).status_code == 410
        assert browser.get(f"{live_app.url}invite/made-up-token").status_code == 410

    assert _sql(db_path, "SELECT name, role, kind, active FROM annotators WHERE name IN ('nina', 'nino')") == [
        ("nina", "reviewer", "expert", 1)
    ]
    assert _login(live_app.url, "nina", "nina-pass-1").status_code == 200
    Client(live_app.url, auth=("nina", "nina-pass-1"), verbose=False)  # logs in as a user would
    # alice's account was not touched by the attempt to take her name
    assert _login(live_app.url, "alice", app_accounts["alice"]).status_code == 200


# ---------------------------------------------------------------------- the first start
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_start_creates_the_admin_prints_the_password_once_and_writes_it_mode_600(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path)}
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--host", "0.0.0.0", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        output = log.read_text()
        found = re.search(r"Log in as admin / (\S+) \(also in (.+initial-admin-password\.txt)\)", output)
        assert found, output
        password, path = found.group(1), Path(found.group(2))
        assert path == tmp_path / "initial-admin-password.txt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().split() == ["admin", password]
        assert "put Judge Studio behind an HTTPS reverse proxy" in output  # 0.0.0.0 is allowed, with a warning
        assert _login(f"http://127.0.0.1:{port}/", "admin", password).status_code == 200
        assert _login(f"http://127.0.0.1:{port}/", "admin", password + "x").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert output.count("Log in as admin") == 1
    with _store(tmp_path / "judge-studio.sqlite3") as store:
        assert store.has_admin() and store.account("admin")[2] == "admin"


# ---------------------------------------------------------------------- judge-studio users
def _users(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "users", *args],
        cwd=ROOT,
        env={**os.environ, "JUDGE_STUDIO_HOME": str(home)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_command_adds_lists_changes_invites_and_issues_tokens(tmp_path: Path) -> None:
    """One test, few subprocesses: each ``app.py`` start imports the whole store (seconds)."""
    added = _users(
        tmp_path, "add", "carol", "--role", "reviewer", "--kind", "expert", "--password-stdin", stdin="carol-pass-1\n"
    )
    assert added.returncode == 0, added.stderr
    assert "Added reviewer 'carol' (expert annotator)" in added.stdout
    dan = _users(tmp_path, "add", "dan", "--password-stdin", stdin="dan-pass-1\n")
    assert dan.returncode == 0 and "Added annotator 'dan' (crowd annotator)." in dan.stdout
    boss = _users(tmp_path / "other", "add", "boss", "--role", "admin", "--password-stdin", stdin="boss-pass-1\n")
    assert "Added admin 'boss'. Database:" in boss.stdout  # not "(crowd)": an admin is no crowd worker
    short = _users(tmp_path, "add", "erin", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "at least 8 characters" in short.stderr
    as_argument = _users(tmp_path, "add", "erin", "--password", "erin-pass-1")
    assert as_argument.returncode == 2  # a password is never taken from the command line

    listed = _users(tmp_path, "list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows == [
        ["name", "role", "kind", "active", "can_log_in", "labels", "ratings", "skipped", "labels_set_aside"],
        ["carol", "reviewer", "expert", "True", "True", "0", "0", "0", "no"],
        ["dan", "annotator", "crowd", "True", "True", "0", "0", "0", "no"],
    ]
    database = tmp_path / "judge-studio.sqlite3"
    hashes = _sql(database, "SELECT password_hash FROM annotators WHERE name = 'carol'")
    assert "carol-pass-1" not in hashes[0][0]

    changed = _users(
        tmp_path, "set", "dan", "--role", "reviewer", "--active", "no", "--password-stdin", stdin="dan-pass-2\n"
    )
    assert changed.returncode == 0, changed.stderr
    assert _sql(database, "SELECT role, active FROM annotators WHERE name = 'dan'") == [("reviewer", 0)]

    invited = _users(tmp_path, "invite", "--role", "reviewer", "--hours", "2", "--port", "8123")
    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:8123/invite/[A-Za-z0-9_-]{40,}", link), link
    token = _users(tmp_path, "token", "carol")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("js_") and "shown once" in token.stderr

    with _store(database) as store:
        assert store.authenticate("carol", "carol-pass-1") is not None
        assert store.authenticate("carol", "carol-pass-2") is None
        assert store.authenticate("dan", "dan-pass-2") is None  # deactivated
        assert store.account("erin") is None
        assert store.invite_role(link.rsplit("/", 1)[1]) == "reviewer"
        assert store.token_holder(secret) == ("carol", "reviewer", "expert")
