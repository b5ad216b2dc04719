"""The app on a network, over HTTP as an attacker would try it: security headers and CORS, forged
cross-site posts, login throttling, sessions across a restart, logout and expiry, uploads confined to
the upload folder with a size cap, exports only for their owner, and 64-bit ids. Real app (uvicorn),
real SQLite; the browser version of the cross-site attack is in test_cross_site.py."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from tls_harness import make_studio, serve_studio

from orchestration.access import WRONG_LOGIN

FOREIGN = "https://evil.example"
SESSION = "Demo session"


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


@contextmanager
def _signed_in(url: str, name: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("login", data={"username": name, "password": password}).raise_for_status()
        yield client


def _call(client: httpx.Client, api_name: str, data: list[Any], **headers: str) -> tuple[int, str]:
    """A Gradio endpoint through its HTTP API: (status of the call, the streamed answer or error)."""
    started = client.post(f"gradio_api/call/{api_name}", json={"data": data}, headers=headers)
    if started.status_code != 200:
        return started.status_code, started.text
    answer = client.get(f"gradio_api/call/{api_name}/{started.json()['event_id']}")
    return answer.status_code, answer.text


def _file(path: str | Path, name: str = "data.jsonl") -> dict[str, Any]:
    return {"path": str(path), "orig_name": name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture
def app(db_path: Path):
    """The app with a 1 MB upload cap; yields (url, studio)."""
    studio = make_studio(db_path, max_upload_mb=1)
    with serve_studio(studio) as url:
        yield url, studio
    studio.store.close()


# ---------------------------------------------------------------------- headers, CORS, forged posts
def test_every_answer_forbids_framing_and_sniffing(app) -> None:
    url, studio = app
    token = studio.access.api_token("admin")
    with _signed_in(url, "rita", "rita-pass-1") as rita:
        answers = {
            "login page": httpx.get(url),
            "app page": rita.get(""),
            "REST": httpx.get(url + "api/v1/datasets", headers={"Authorization": f"Bearer {token}"}),
            "Gradio API": rita.get("config"),
        }
    assert "gradio_config" in answers["app page"].text  # signed in: the app itself
    for what, answer in answers.items():
        assert answer.status_code == 200, what
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], what
        assert answer.headers["x-frame-options"] == "DENY", what
        assert answer.headers["x-content-type-options"] == "nosniff", what
        assert answer.headers["referrer-policy"] == "same-origin", what


def test_no_credentialed_cors_for_another_origin_even_behind_a_proxy(app) -> None:
    url, _studio = app
    public_host = {"Host": "judge.example.org", "Origin": FOREIGN}  # a Host that is not localhost
    with _signed_in(url, "admin", "admin-pass-1") as admin:
        for path in ("config", "gradio_api/info", "gradio_api/token"):
            answer = admin.get(path, headers=public_host)
            assert "access-control-allow-origin" not in answer.headers, path
            assert "access-control-allow-credentials" not in answer.headers, path
        preflight = admin.options(
            "gradio_api/queue/join",
            headers={
                **public_host,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.headers.get("access-control-allow-origin") != FOREIGN
        token = admin.get("gradio_api/token")
        assert token.status_code == 404 and "judge_studio_session" not in token.text


def test_a_forged_post_from_another_site_is_refused_before_any_handler(app, db_path: Path) -> None:
    url, studio = app
    own = url.rstrip("/")
    with _signed_in(url, "admin", "admin-pass-1") as admin:
        add = ["mallory", "mallory-pass-1", "admin", "expert"]
        forged = admin.post("gradio_api/call/admin_add_account", json={"data": add}, headers={"Origin": FOREIGN})
        assert forged.status_code == 403 and "came from another site" in forged.json()["detail"]
        by_referer = admin.post(
            "gradio_api/call/admin_add_account", json={"data": add}, headers={"Referer": FOREIGN + "/prize.html"}
        )
        assert by_referer.status_code == 403
        fetch_meta = admin.post(
            "gradio_api/call/admin_add_account", json={"data": add}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert fetch_meta.status_code == 403
        assert _sql(db_path, "SELECT count(*) FROM annotators WHERE name = 'mallory'") == [(0,)]
        # from the app's own page (and from scripts, which send no Origin) it works
        status, text = _call(admin, "admin_add_account", ["trent", "trent-pass-1", "reviewer", "expert"], Origin=own)
        assert status == 200 and "event: complete" in text, text
    assert _sql(db_path, "SELECT role FROM annotators WHERE name = 'trent'") == [("reviewer",)]

    login = httpx.post(
        url + "login", data={"username": "admin", "password": "admin-pass-1"}, headers={"Origin": FOREIGN}
    )
    assert login.status_code == 403 and "judge_studio_session" not in login.headers.get("set-cookie", "")
    # a REST call with a Bearer token cannot be forged by a browser: the Origin does not matter
    token = studio.access.api_token("alice")
    rest = httpx.get(url + "api/v1/sessions", headers={"Authorization": f"Bearer {token}", "Origin": FOREIGN})
    leased = httpx.post(
        url + f"api/v1/sessions/{SESSION}/next", headers={"Authorization": f"Bearer {token}", "Origin": FOREIGN}
    )
    assert rest.status_code == 200 and leased.status_code == 200


# ---------------------------------------------------------------------- login throttling
def test_eleven_wrong_passwords_lock_the_account_even_for_the_right_one(app) -> None:
    url, _studio = app
    for _ in range(10):
        wrong = httpx.post(url + "login", data={"username": "bob", "password": "guess"})
        assert wrong.status_code == 401 and wrong.json()["detail"] == WRONG_LOGIN
    refused = httpx.post(url + "login", data={"username": "bob", "password": "bob-pass-1"})
    assert refused.status_code == 429
    assert refused.json()["detail"] == "Too many failed logins for this account; try again in 15 minutes."
    assert 800 < int(refused.headers["retry-after"]) <= 900
    assert "judge_studio_session" not in refused.headers.get("set-cookie", "")
    # the browser's form says the same on the page
    page = httpx.post(
        url + "login", data={"username": "bob", "password": "bob-pass-1"}, headers={"Accept": "text/html"}
    )
    assert page.status_code == 429 and "Too many failed logins for this account" in page.text
    # the REST token route is throttled by the same count
    token = httpx.post(url + "api/v1/tokens", json={"name": "bob", "password": "bob-pass-1"})
    assert token.status_code == 429 and "Too many failed logins" in token.json()["detail"]
    # other accounts still log in
    assert httpx.post(url + "login", data={"username": "alice", "password": "alice-pass-1"}).status_code == 200


def test_one_address_guessing_many_accounts_is_throttled_too(app) -> None:
    url, _studio = app
    for n in range(50):  # 5 x login_attempts: a team behind one NAT shares an address
        assert httpx.post(url + "api/v1/tokens", json={"name": f"nobody{n}", "password": "x"}).status_code == 401
    refused = httpx.post(url + "login", data={"username": "alice", "password": "alice-pass-1"})
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many failed logins from your address; try again in")


def test_failed_logins_are_still_counted_after_a_restart(db_path: Path) -> None:
    studio = make_studio(db_path)
    with serve_studio(studio) as url:
        for _ in range(10):
            assert httpx.post(url + "login", data={"username": "bob", "password": "guess"}).status_code == 401
    studio.store.close()
    restarted = make_studio(db_path)  # a restart (or another worker process) reads the same count
    with serve_studio(restarted) as url:
        refused = httpx.post(url + "login", data={"username": "bob", "password": "bob-pass-1"})
        assert refused.status_code == 429 and "Too many failed logins for this account" in refused.json()["detail"]
        assert httpx.post(url + "login", data={"username": "alice", "password": "alice-pass-1"}).status_code == 200
    restarted.store.close()


def test_a_token_for_a_name_and_password(app) -> None:
    url, _studio = app
    made = httpx.post(url + "api/v1/tokens", json={"name": "alice", "password": "alice-pass-1", "label": "laptop"})
    assert made.status_code == 201 and made.json()["role"] == "annotator"
    sessions = httpx.get(url + "api/v1/sessions", headers={"Authorization": f"Bearer {made.json()['token']}"})
    assert sessions.status_code == 200 and [s["name"] for s in sessions.json()][0] == SESSION


# ---------------------------------------------------------------------- sessions
def test_a_login_survives_a_restart_until_logout(db_path: Path) -> None:
    from web.sessions import COOKIE_NAME, SECRET_FILE

    studio = make_studio(db_path)
    with serve_studio(studio) as url, _signed_in(url, "alice", "alice-pass-1") as alice:
        cookie = alice.cookies[COOKIE_NAME]
        assert alice.get("gradio_api/user").json() == "alice"
    studio.store.close()
    assert not (db_path.parent / SECRET_FILE).exists()  # the signing secret is the database's (migration 0015)
    assert [name for (name,) in _sql(db_path, "SELECT name FROM app_secrets")] == ["session"]

    restarted = make_studio(db_path)  # a new process would do the same: same data folder, same database
    with serve_studio(restarted) as url:
        again = httpx.Client(base_url=url, cookies={COOKIE_NAME: cookie})
        assert again.get("gradio_api/user").json() == "alice"
        assert again.get("config").status_code == 200
        assert "gradio_config" in again.get("").text
        out = again.get("logout", headers={"Sec-Fetch-Site": "same-origin"})
        assert out.status_code == 303 and out.headers["location"] == "/login?logged_out=1"
        replayed = httpx.Client(base_url=url, cookies={COOKIE_NAME: cookie})  # a copy kept by an attacker
        assert replayed.get("gradio_api/user").json() is None
        assert replayed.get("config").status_code == 401
        assert 'name="password"' in replayed.get("").text
    restarted.store.close()


def test_an_expired_tampered_or_foreign_cookie_is_refused(app, db_path: Path, tmp_path: Path) -> None:
    from annotation_store import open_store
    from web.sessions import COOKIE_NAME, SessionSigner

    url, studio = app
    hours = studio.settings.session_hours
    store = studio.store
    old = SessionSigner(db_path.parent, hours, store, clock=lambda: 1_000_000.0).issue("admin")  # long expired
    elsewhere = open_store(tmp_path / "elsewhere" / "other.sqlite3")  # another deployment: its own secret
    other_secret = SessionSigner(tmp_path / "elsewhere", hours, elsewhere).issue("admin")
    elsewhere.close()
    fresh = SessionSigner(db_path.parent, hours, store).issue("admin")
    payload, signature = fresh.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    for value in (old, other_secret, tampered):
        client = httpx.Client(base_url=url, cookies={COOKIE_NAME: value})
        assert client.get("config").status_code == 401
        assert client.get("gradio_api/user").json() is None
    assert httpx.Client(base_url=url, cookies={COOKIE_NAME: fresh}).get("gradio_api/user").json() == "admin"
    studio.access.update_account("admin", "rita", active=False)
    rita = SessionSigner(db_path.parent, hours, store).issue("rita")
    assert httpx.Client(base_url=url, cookies={COOKIE_NAME: rita}).get("config").status_code == 401


# ---------------------------------------------------------------------- uploads and exports
def test_a_handler_never_reads_a_file_outside_the_upload_folder(app, db_path: Path, tmp_path: Path) -> None:
    url, _studio = app
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"instruction": "TOP-SECRET-LINE"}\n')
    with _signed_in(url, "admin", "admin-pass-1") as admin:
        inputs = [_file(secret), "jsonl", "stolen", "", "", "", "", ""]
        status, text = _call(admin, "admin_import", inputs)
        assert status == 403 and "was not uploaded to this app" in text and "TOP-SECRET" not in text
        dotted = [_file(f"{tmp_path}/../{tmp_path.name}/secret.jsonl"), *inputs[1:]]
        assert _call(admin, "admin_import", dotted)[0] == 403
    assert _sql(db_path, "SELECT count(*) FROM datasets WHERE name = 'stolen'") == [(0,)]


def test_uploads_are_capped_and_only_their_uploader_may_use_them(app) -> None:
    url, _studio = app
    row = json.dumps({"instruction": "hi", "response1": "a", "response2": "b", "model1": "m1", "model2": "m2"})
    with _signed_in(url, "admin", "admin-pass-1") as admin, _signed_in(url, "rita", "rita-pass-1") as rita:
        big = admin.post("gradio_api/upload", files={"files": ("big.jsonl", b"x" * (1024 * 1024 + 10))})
        assert big.status_code == 413
        (path,) = admin.post("gradio_api/upload", files={"files": ("ok.jsonl", (row + "\n").encode())}).json()
        assert admin.get(f"gradio_api/file={path}").status_code == 200
        assert rita.get(f"gradio_api/file={path}").status_code == 403
        # rita (or anyone) naming admin's upload in a call is refused; admin's own call runs
        stolen = _call(rita, "admin_import", [_file(path), "jsonl", "uploaded", "", "", "", "", ""])
        assert stolen[0] == 403 and "not one you uploaded" in stolen[1]
        status, text = _call(admin, "admin_import", [_file(path), "jsonl", "uploaded", "", "", "", "", ""])
        assert status == 200 and "was not uploaded" not in text


def test_an_export_is_downloadable_only_by_the_admin_who_made_it(app) -> None:
    url, _studio = app
    with _signed_in(url, "admin", "admin-pass-1") as admin, _signed_in(url, "rita", "rita-pass-1") as rita:
        status, text = _call(
            admin, "admin_export", ["judge-studio-demo", "wide", "csv", False, "majority", "all", [], 0, None]
        )
        assert status == 200, text
        data = json.loads(next(line[5:] for line in text.splitlines() if line.startswith("data:")))
        (exported,) = [item for item in data if isinstance(item, dict) and item.get("path")]
        own = admin.get(f"gradio_api/file={exported['path']}")
        assert own.status_code == 200 and "comparison_id" in own.text
        other = rita.get(f"gradio_api/file={exported['path']}")
        assert other.status_code == 403 and "comparison_id" not in other.text
        assert httpx.get(f"{url}gradio_api/file={exported['path']}").status_code in {401, 403}


# ---------------------------------------------------------------------- ids
@pytest.mark.parametrize("huge", [2**63, 2**64 + 5, 10**30])
def test_ids_beyond_64_bits_are_refused_with_a_message(app, huge: int) -> None:
    url, studio = app
    reviewer = {"Authorization": f"Bearer {studio.access.api_token('rita')}"}
    annotator = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    detail = httpx.get(f"{url}api/v1/comparisons/{huge}", headers=reviewer)
    assert detail.status_code == 404 and detail.json()["detail"] == f"There is no comparison with id {huge}."
    label = {"session": SESSION, "comparison_id": huge, "choice": "left", "swapped": False}
    submitted = httpx.post(url + "api/v1/labels", json=label, headers=reviewer)
    assert (
        submitted.status_code == 400 and "comparison_id must be a whole number from 1 to" in submitted.json()["detail"]
    )
    by_id = httpx.post(url + "api/v1/labels", json=label, headers=annotator)  # annotators send `item` (s15)
    assert by_id.status_code == 403
    timed = httpx.post(
        url + "api/v1/labels", json={**label, "comparison_id": 1, "time_on_item_ms": huge}, headers=annotator
    )
    assert timed.status_code == 422  # a schema error, never a 500
    assert httpx.get(f"{url}api/v1/comparisons/{huge}", headers=annotator).status_code == 403
