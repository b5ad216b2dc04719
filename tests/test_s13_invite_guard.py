"""Session 13 red team, findings 3 and 4. (3) Invite links made on the Admin page ignored ``public_url`` (an admin
on an SSH tunnel got an ``http://127.0.0.1:…`` link) while ``users invite`` and the start banner use it. (4) Wrong
invite links were neither throttled nor logged: a scan was invisible to the fail2ban recipe. They are now counted
per address in the logins' throttle table (429 with Retry-After after ``login_attempts`` wrong links in 15
minutes) and logged at WARNING with the address, never the token."""

from __future__ import annotations

import logging
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_ids import by_id, handler
from tls_harness import make_studio, serve_studio

SECURITY = "judge_studio.security"
FAIL2BAN = re.compile(r"security: (login|invite link) failed .* from (?P<host>\S+)$")


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


class Tunnelled:
    """An admin on an SSH tunnel: the page was reached as http://127.0.0.1:7934."""

    username = "admin"
    headers = {"host": "127.0.0.1:7934"}
    url = "http://127.0.0.1:7934/gradio_api/queue/join"


# ---------------------------------------------------------------------- 3: public_url on the Admin page
def test_the_admin_pages_invite_link_uses_public_url_when_set(db_path: Path) -> None:
    from ui import build_ui

    studio = make_studio(db_path, public_url="https://judge.example.org/")
    made = by_id(handler(build_ui(studio), "admin_invite")("annotator", "crowd", 24, Tunnelled()))
    link = made["admin-invite-link"]
    assert link.startswith("https://judge.example.org/invite/") and "127.0.0.1" not in link
    assert studio.access.invite_role(link.rsplit("/", 1)[1]) == "annotator"  # the link's token works
    studio.store.close()


def test_without_public_url_the_link_names_the_host_the_admin_came_from(db_path: Path) -> None:
    from ui import build_ui

    studio = make_studio(db_path)
    made = by_id(handler(build_ui(studio), "admin_invite")("annotator", "crowd", 24, Tunnelled()))
    assert made["admin-invite-link"].startswith("http://127.0.0.1:7934/invite/")
    studio.store.close()


# ---------------------------------------------------------------------- 4: wrong links throttled and logged
def test_wrong_invite_links_are_throttled_per_address_and_logged(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    studio = make_studio(db_path)  # login_attempts 10 (the default)
    good = studio.access.invite("admin", role="annotator", hours=1)
    guesses = [secrets.token_urlsafe(32) for _ in range(10)]
    form = {"name": "scanner", "password": "scan-pass-123", "password2": "scan-pass-123"}
    with serve_studio(studio) as url:
        for n, token in enumerate(guesses):  # GET and POST alike count
            answer = httpx.get(url + f"invite/{token}") if n % 2 else httpx.post(url + f"invite/{token}", data=form)
            assert answer.status_code == 410, n
        for locked in (httpx.get(url + f"invite/{guesses[0]}"), httpx.get(url + f"invite/{good}")):
            assert locked.status_code == 429 and 800 < int(locked.headers["retry-after"]) <= 900
            assert "Too many unknown, used or expired invite links from your address" in locked.text
        taken = httpx.post(url + f"invite/{good}", data={**form, "name": "newbie"})  # the right link, too
        assert taken.status_code == 429
        # logins from the same address are a separate count
        assert httpx.post(url + "login", data={"username": "bob", "password": "bob-pass-1"}).status_code == 200
    assert _sql(db_path, "SELECT count(*) FROM login_failures WHERE key = 'invite:127.0.0.1'") == [(10,)]
    assert _sql(db_path, "SELECT count(*) FROM annotators WHERE name IN ('scanner', 'newbie')") == [(0,)]
    assert studio.access.invite_role(good) == "annotator"  # not used up
    lines = [record.getMessage() for record in caplog.records if record.name == SECURITY]
    assert lines.count("invite link failed (unknown, used or expired) from 127.0.0.1") == 10
    assert lines.count("invite link refused (locked: too many wrong invite links) from 127.0.0.1") == 3
    assert not any(token in line for line in lines for token in (good, *guesses))
    hosts = {m["host"] for line in lines if (m := FAIL2BAN.search("security: " + line))}
    assert hosts == {"127.0.0.1"}  # the SECURITY.md fail2ban filter sees the scan
    studio.store.close()


def test_a_used_link_counts_but_a_person_with_one_good_link_is_never_locked(db_path: Path) -> None:
    studio = make_studio(db_path)
    token = studio.access.invite("admin", role="annotator", hours=1)
    with serve_studio(studio) as url:
        for _ in range(12):  # reloading the form of a good link is no failure
            assert httpx.get(url + f"invite/{token}").status_code == 200
        form = {"name": "newbie", "password": "newbie-pass-1", "password2": "newbie-pass-1"}
        assert httpx.post(url + f"invite/{token}", data=form).status_code == 303
        assert httpx.get(url + f"invite/{token}").status_code == 410  # used: one failure
    assert _sql(db_path, "SELECT count(*) FROM login_failures WHERE key = 'invite:127.0.0.1'") == [(1,)]
    studio.store.close()
