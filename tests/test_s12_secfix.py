"""Session 12's ops tester behind an HTTPS proxy (security part, findings 1-3, 5, 6, 8-12): CSV cells with a
bare CR, names of imported annotators taken on every path, unlocking a locked account, the security log,
password rules, Gradio calls to no function, Markdown images, Sec-Fetch-Site, GET /logout, Retry-After."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import markdown_it
import pandas as pd
import pytest
from tls_harness import make_studio, serve_studio

from annotation_store import Store, StoreError
from interchange.exporters import export
from orchestration.access import Access
from orchestration.admin import AdminDesk
from ui.render import safe_markdown

ROOT = Path(__file__).resolve().parents[1]
SECURITY = "judge_studio.security"


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _cli(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture
def app(db_path: Path):
    studio = make_studio(db_path)
    with serve_studio(studio) as url:
        yield url, studio
    studio.store.close()


# ---------------------------------------------------------------------- 1: a bare CR in a CSV cell
def test_a_bare_carriage_return_stays_in_its_cell(store: Store) -> None:
    models = ("m-a", "m-b")
    prompts = [
        {"id": "x1", "instruction": "plain", "responses": {"m-a": "one", "m-b": "two"}},
        {"id": "x2", "instruction": "tab", "responses": {"m-a": "\t=1+1", "m-b": "\r=2+2"}},
        {"id": "x3", "instruction": "crlf", "responses": {"m-a": "a\r\nb", "m-b": '=HYPERLINK("x")'}},
    ]
    assert store.seed_dataset(
        {"name": "evil-ds", "models": [{"name": m} for m in models], "prompts": prompts}, pairs_per_prompt=1
    )
    stream = io.StringIO()
    rows = export(store, "evil-ds", "wide", "csv", stream)
    text = stream.getvalue()
    assert rows == 3
    table = pd.read_csv(io.StringIO(text))
    assert len(table) == 3  # was 4: the row split at the bare CR
    assert not any(str(cell).startswith(("=", "+", "-", "@")) for cell in table.to_numpy().ravel())
    assert sorted(table["comparison_id"]) == sorted(int(i) for i in store.comparison_table("evil-ds")["id"])
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert len(parsed) == 4 and {"'\r=2+2", "'\t=1+1", '\'=HYPERLINK("x")', "a\r\nb"} <= set(sum(parsed, []))


# ---------------------------------------------------------------------- 2: every existing name is taken
def test_an_imported_annotators_name_is_taken_on_every_path(app, db_path: Path) -> None:
    url, studio = app
    studio.store.create_annotator("ann2")  # as an import makes it: labels, no password
    with pytest.raises(StoreError, match="There is already an account named 'ann2'"):
        studio.access.local_admin().add_account(None, "ann2", "fresh-pass-9")  # `users add`
    with pytest.raises(StoreError, match="There is already an account named 'ann2'"):
        AdminDesk(studio).add_account("admin", "ann2", "fresh-pass-9", "admin", "expert")  # Admin → Add account
    token = studio.access.invite("admin")
    form = {"name": "ann2", "password": "fresh-pass-9", "password2": "fresh-pass-9"}
    taken = httpx.post(url + f"invite/{token}", data=form)
    assert taken.status_code == 409 and "The name &#x27;ann2&#x27; is taken" in taken.text
    assert _sql(db_path, "SELECT role, password_hash FROM annotators WHERE name = 'ann2'") == [("annotator", None)]
    assert httpx.post(url + "login", data={"username": "ann2", "password": "fresh-pass-9"}).status_code == 401
    # the invite is still good for a name of one's own
    made = httpx.post(url + f"invite/{token}", data={**form, "name": "ann3"})
    assert made.status_code == 303 and "name=ann3" in made.headers["location"]


# ---------------------------------------------------------------------- 3, 5, 12: locking, unlocking, the log
def test_a_password_reset_unlocks_and_the_log_tells_the_story(app, caplog: pytest.LogCaptureFixture) -> None:
    url, studio = app
    caplog.set_level(logging.INFO, logger=SECURITY)
    for _ in range(10):
        assert httpx.post(url + "login", data={"username": "bob", "password": "guess"}).status_code == 401
    form = {"username": "bob", "password": "bob-pass-1"}
    locked = httpx.post(url + "login", data=form, headers={"Accept": "text/html"})
    assert locked.status_code == 429 and 800 < int(locked.headers["retry-after"]) <= 900  # 12: the form's too
    table = studio.access.accounts("admin").set_index("name")
    assert str(table.loc["bob", "can_log_in"]).startswith("locked until ")
    assert isinstance(table.loc["alice", "can_log_in"], bool) and table.loc["alice", "can_log_in"]
    studio.access.update_account("admin", "bob", password="bob-new-pass-2")  # Admin page / users set
    assert httpx.post(url + "login", data={"username": "bob", "password": "bob-new-pass-2"}).status_code == 200
    assert bool(studio.access.accounts("admin").set_index("name").loc["bob", "can_log_in"])
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert lines.count("login failed (wrong name or password) for 'bob' from 127.0.0.1") == 10
    assert "login refused (locked: too many failed logins) for 'bob' from 127.0.0.1" in lines
    assert "account changed: 'bob': password set (failed logins cleared) by 'admin'" in lines
    assert "login: 'bob' (annotator) from 127.0.0.1" in lines
    assert not any("bob-pass-1" in line or "bob-new-pass-2" in line or "guess" in line for line in lines)


def test_deactivated_accounts_cannot_log_in_in_the_list(store: Store) -> None:
    store.create_annotator("dora", password="dora-pass-1")
    store.create_annotator("dave", password="dave-pass-1")
    access = Access(store).local_admin()
    access.update_account(None, "dave", active=False)
    table = access.accounts(None).set_index("name")
    assert bool(table.loc["dora", "can_log_in"]) and not bool(table.loc["dave", "can_log_in"])


def test_users_unlock_and_list_on_the_command_line(db_path: Path) -> None:
    store = make_studio(db_path).store
    for _ in range(10):
        Access(store).throttle.failed("bob", None)
    store.close()
    listed = _cli(db_path.parent, "users", "list")
    assert listed.returncode == 0, listed.stderr
    bob = next(line for line in listed.stdout.splitlines() if line.startswith("bob "))
    assert "locked until " in bob and " UTC" in bob
    unlocked = _cli(db_path.parent, "users", "unlock", "bob")
    assert unlocked.returncode == 0 and "Unlocked 'bob': 10 failed logins forgotten." in unlocked.stdout
    assert _sql(db_path, "SELECT count(*) FROM login_failures WHERE key = 'account:bob'") == [(0,)]
    taken = _cli(db_path.parent, "users", "add", "bob", "--password-stdin", stdin="bob-pass-77\n")
    assert taken.returncode != 0 and "There is already an account named 'bob'" in taken.stderr


def test_account_and_invite_events_are_logged(app, caplog: pytest.LogCaptureFixture) -> None:
    url, studio = app
    caplog.set_level(logging.INFO, logger=SECURITY)
    admin = AdminDesk(studio)
    admin.add_account("admin", "nora", "nora-pass-1", "reviewer", "expert")
    studio.access.update_account("admin", "nora", role="admin")
    studio.access.update_account("admin", "nora", active=False)
    token = studio.access.invite("admin", role="reviewer")
    form = {"name": "newbie", "password": "newbie-pass-1", "password2": "newbie-pass-1"}
    assert httpx.post(url + f"invite/{token}", data=form).status_code == 303
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert "account created: 'nora' (reviewer, expert) by 'admin'" in lines
    assert "account changed: 'nora': role admin by 'admin'" in lines
    assert "account changed: 'nora': active False by 'admin'" in lines
    assert any(re.fullmatch(r"invite created: #\d+ reviewer \(crowd\) valid 72 hours, by 'admin'", x) for x in lines)
    assert "invite used: new account 'newbie' (reviewer) from 127.0.0.1" in lines
    spare = studio.access.invite("admin", role="annotator", kind="skilled")
    (opened,) = admin.open_invites("admin")
    admin.revoke_invite("admin", opened.id)
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert f"invite revoked: #{opened.id} (annotator, skilled) by 'admin'" in lines
    assert not any(secret in line or "pass-1" in line for line in lines for secret in (token, spare))


# ---------------------------------------------------------------------- 6: password rules
@pytest.mark.parametrize(
    ("password", "said"),
    [
        ("        ", "only spaces"),
        ("aaaaaaaa", "one character repeated"),
        ("12345678", "commonest"),
        ("Password", "commonest"),
        ("carl-smith", "own name"),
        ("short", "at least 8 characters"),
    ],
)
def test_weak_passwords_are_refused_on_every_path(app, db_path: Path, password: str, said: str) -> None:
    url, studio = app
    with pytest.raises(StoreError, match=said):
        AdminDesk(studio).add_account("admin", "carl-smith", password, "admin", "expert")
    with pytest.raises(StoreError, match=said):
        studio.access.local_admin().add_account(None, "carl-smith", password)
    studio.store.create_annotator("long-name-1", password="long-name-pass-1")
    with pytest.raises(StoreError, match=said):
        studio.access.update_account("admin", "long-name-1", password=password if said != "own name" else "Long-Name-1")
    token = studio.access.invite("admin")
    form = {"name": "carl-smith", "password": password, "password2": password}
    page = httpx.post(url + f"invite/{token}", data=form)
    assert page.status_code == 400 and said in page.text
    assert _sql(db_path, "SELECT count(*) FROM annotators WHERE name = 'carl-smith'") == [(0,)]


# ---------------------------------------------------------------------- 8, 10, 11: the web's guards
def test_a_call_to_no_function_is_refused_in_one_line(app, caplog: pytest.LogCaptureFixture) -> None:
    url, _studio = app
    with httpx.Client(base_url=url, timeout=60) as alice:
        alice.post("login", data={"username": "alice", "password": "alice-pass-1"}).raise_for_status()
        config = alice.get("config").json()
        idle = [d["id"] for d in config["dependencies"] if not d.get("backend_fn")][:1]
        for index in (*idle, 999_999, "0"):
            body = {"data": [], "fn_index": index, "session_hash": "s12secfix"}
            answer = alice.post("gradio_api/queue/join", json=body)
            assert answer.status_code == 400 and "no such server function" in answer.json()["detail"]
    assert not any("Traceback" in (record.exc_text or "") for record in caplog.records)


def test_sec_fetch_site_cross_site_is_refused_even_with_our_origin(app, caplog: pytest.LogCaptureFixture) -> None:
    url, _studio = app
    caplog.set_level(logging.INFO, logger=SECURITY)
    own = url.rstrip("/")
    headers = {"Origin": own, "Sec-Fetch-Site": "cross-site"}
    login = httpx.post(url + "login", data={"username": "alice", "password": "alice-pass-1"}, headers=headers)
    assert login.status_code == 403 and "another site" in login.json()["detail"]
    ok = httpx.post(url + "login", data={"username": "alice", "password": "alice-pass-1"}, headers={"Origin": own})
    assert ok.status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert any(line.startswith("cross-site request refused: POST '/login'") and "cross-site" in line for line in lines)


def test_get_logout_from_another_site_only_asks(app) -> None:
    url, _studio = app
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as alice:
        alice.post("login", data={"username": "alice", "password": "alice-pass-1"}).raise_for_status()
        for headers in ({}, {"Sec-Fetch-Site": "cross-site"}, {"Referer": "https://evil.example/"}):
            asked = alice.get("logout", headers=headers)
            assert asked.status_code == 200 and 'action="/logout"' in asked.text and "Log out" in asked.text
            assert alice.get("config").status_code == 200  # still signed in
        same = alice.get("logout", headers={"Referer": url + "?view=annotate"})  # a browser without Sec-Fetch-*
        assert same.status_code == 303 and same.headers["location"] == "/login?logged_out=1"
        assert alice.get("config").status_code == 401


# ---------------------------------------------------------------------- 9: Markdown images
def test_markdown_images_in_untrusted_text_show_as_text() -> None:
    text = "Look ![img](http://evil.example/p.png?leak=1) and ![x][r]\n\n[r]: http://evil.example/q.png\n\n`![c](d)`"
    shown = markdown_it.MarkdownIt().render(safe_markdown(text))
    assert "<img" not in shown
    assert "![img](http://evil.example/p.png?leak=1)" in shown  # the alt text and the address, as text
    assert "<code>![c](d)</code>" in shown  # code stays literal
