"""What a REST client and an admin creating accounts hear when something is off: refusals that say how
to get an item without pointing at a page, schema errors as one string naming the field (never the
input), 404 for an unknown dataset on every report route, an idempotency key reused for another answer,
look-alike account names, and a port already in use. The real app over HTTP (uvicorn on a free port),
real SQLite, the CLI as a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import sql_rows

from annotation_store import StoreConflict, StoreError, open_store
from orchestration import AdminDesk, SessionForm

ROOT = Path(__file__).resolve().parent.parent
SESSION = "Demo session"
DEMO = "judge-studio-demo"


@pytest.fixture
def api(live_app):
    """An httpx client per account: ``api["alice"].get("/datasets")``."""
    clients = {}
    for name in ("admin", "rita", "alice", "bob"):
        headers = {"Authorization": f"Bearer {live_app.studio.access.api_token(name)}"}
        clients[name] = httpx.Client(base_url=live_app.url + "api/v1", headers=headers, timeout=60)
    yield clients
    for client in clients.values():
        client.close()


def _lease(client: httpx.Client, session: str = SESSION) -> dict[str, Any]:
    leased = client.post(f"/sessions/{session}/next")
    assert leased.status_code == 200, leased.text
    return leased.json()["item"]


# ---------------------------------------------------------------------- messages that fit REST too
def test_refusals_say_how_to_get_an_item_over_the_api_not_only_on_the_page(api, db_path: Path) -> None:
    not_leased = api["rita"].post(
        "/labels", json={"session": SESSION, "comparison_id": 5, "choice": "left", "swapped": False}
    )
    detail = not_leased.json()["detail"]
    assert not_leased.status_code == 409 and "was not handed to you" in detail
    assert "POST /sessions/{name}/next" in detail and "press “Start / next item”" in detail  # API and page

    item = _lease(api["alice"])
    wrong = {"session": SESSION, "item": item["item"], "choice": "left"}
    (drawn,) = sql_rows(
        db_path,
        "SELECT presented_swapped FROM assignments s JOIN annotators a ON a.id = s.annotator_id WHERE a.name = ?",
        "alice",
    )
    outdated = api["alice"].post("/labels", json={**wrong, "swapped": not drawn[0]})  # an older client's field
    assert outdated.status_code == 409
    assert "outdated left/right order" in outdated.json()["detail"] and "page" not in outdated.json()["detail"]
    assert sql_rows(db_path, "SELECT count(*) FROM labels") == [(0,)]


# ---------------------------------------------------------------------- schema errors: one string, no input
def test_schema_errors_are_one_string_naming_the_field_and_never_echo_the_input(api, live_app) -> None:
    item = _lease(api["bob"])
    body = {"session": SESSION, "item": item["item"], "choice": "left"}
    huge = api["bob"].post("/labels", json={**body, "comment": "x" * 300_000})
    assert huge.status_code == 422
    detail = huge.json()["detail"]
    assert isinstance(detail, str) and "comment (in the body)" in detail and "5000 characters" in detail
    assert len(huge.content) < 1000 and "xxxxxxxxxx" not in huge.text

    maybe = api["bob"].post("/labels", json={**body, "choice": "maybe"}).json()["detail"]
    assert "choice (in the body)" in maybe and "'left', 'right', 'tie' or 'skip'" in maybe and "maybe" not in maybe
    missing = api["bob"].post("/labels", json={"session": SESSION}).json()["detail"]
    assert "choice (in the body): Field required" in missing
    neither = api["bob"].post("/labels", json={"session": SESSION, "choice": "left"}).json()["detail"]
    assert "send either `item`" in neither and "comparison_id" in neither
    broken = api["bob"].post("/labels", content=b'{"session": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["detail"].startswith(
        "The request does not fit the API: the body"
    )
    limit = api["rita"].get("/comparisons", params={"dataset": DEMO, "limit": -1})
    assert limit.status_code == 422 and "limit (query parameter)" in limit.json()["detail"]

    schema = httpx.get(live_app.url + "api/v1/openapi.json").json()
    answer_422 = schema["paths"]["/api/v1/labels"]["post"]["responses"]["422"]
    assert answer_422["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


# ---------------------------------------------------------------------- unknown datasets
@pytest.mark.parametrize("path", ["/metrics", "/report-card", "/export", "/comparisons"])
def test_an_unknown_dataset_is_404_on_every_report_route(api, path: str) -> None:
    missing = api["rita"].get(path, params={"dataset": "nope"})
    assert missing.status_code == 404, missing.text
    assert "no dataset named 'nope'" in missing.json()["detail"] and DEMO in missing.json()["detail"]
    assert api["alice"].get(path, params={"dataset": "nope"}).status_code == 403  # the role is checked first


# ---------------------------------------------------------------------- an idempotency key reused
def test_an_idempotency_key_sent_with_another_answer_is_refused(api, db_path: Path) -> None:
    item = _lease(api["bob"])
    body = {"session": SESSION, "item": item["item"], "choice": "tie"}
    key = {"Idempotency-Key": "bob-key-1"}
    assert api["bob"].post("/labels", json=body, headers=key).status_code == 200
    other = api["bob"].post("/labels", json={**body, "choice": "right"}, headers=key)
    assert other.status_code == 409
    assert (
        "already used for a different answer" in other.json()["detail"]
        and "nothing was saved" in other.json()["detail"]
    )
    skipped = api["bob"].post("/labels", json={**body, "choice": "skip"}, headers=key)
    assert skipped.status_code == 409
    # the same answer again (a retry that only differs in its comment) gets the first answer back
    retry = api["bob"].post("/labels", json={**body, "comment": "typed while retrying"}, headers=key)
    assert (
        retry.status_code == 200 and retry.json()["label"]["choice"] == "tie" and retry.json()["label"]["comment"] == ""
    )
    query = "SELECT l.verdict, l.version, l.comment FROM labels l JOIN annotators a ON a.id = l.annotator_id"
    assert sql_rows(db_path, query + " WHERE a.name = 'bob'") == [("tie", 1, "")]
    assert sql_rows(db_path, "SELECT count(*) FROM label_events") == [(1,)]


def test_a_rating_key_sent_with_another_rating_is_refused(api, live_app, db_path: Path) -> None:
    form = {"kind": "single", "scale": 10, "overlap": 1, "guidelines": "Grade it."}
    AdminDesk(live_app.studio).save_session("admin", SessionForm("Grades", DEMO, **form))
    item = _lease(api["alice"], "Grades")
    body = {"session": "Grades", "item": item["item"], "rating": 7}
    key = {"Idempotency-Key": "alice-rate-1"}
    assert api["alice"].post("/ratings", json=body, headers=key).status_code == 200
    changed = api["alice"].post("/ratings", json={**body, "rating": 3}, headers=key)
    assert changed.status_code == 409 and f"different answer on item {item['item']}" in changed.json()["detail"]
    again = api["alice"].post("/ratings", json=body, headers=key)
    assert again.status_code == 200 and again.json()["rating"]["rating"] == 7
    assert sql_rows(db_path, "SELECT rating, version FROM ratings") == [(7, 1)]


# ---------------------------------------------------------------------- account names
def test_look_alike_names_are_refused_on_the_invite_page_and_the_admin_page(live_app, db_path: Path) -> None:
    before = sql_rows(db_path, "SELECT count(*) FROM annotators")
    token = live_app.studio.access.invite("admin", role="annotator", hours=1)
    with httpx.Client() as browser:
        form = {"password": "look-alike-1", "password2": "look-alike-1"}
        upper = browser.post(f"{live_app.url}invite/{token}", data={"name": " ADMIN ", **form})
        assert upper.status_code == 409 and "looks like the existing name &#x27;admin&#x27;" in upper.text
        wide = browser.post(f"{live_app.url}invite/{token}", data={"name": "Ａｌｉｃｅ", **form})  # fullwidth
        assert wide.status_code == 409 and "&#x27;alice&#x27;" in wide.text
    admin = live_app.studio.access
    for name, says in (
        ("Bob", "looks like the existing name 'bob'"),
        ("ri\u200bta", "control or invisible character"),
        ("🙂🙂", "needs a letter or a digit"),
        ("   ", "Enter a name for the new account"),
    ):
        with pytest.raises(StoreError, match=says):
            admin.add_account("admin", name, "pass-word-1")
    assert sql_rows(db_path, "SELECT count(*) FROM annotators") == before
    assert live_app.studio.access.invite_role(token) == "annotator"  # the invite is still unused
    admin.add_account("admin", "Ünal", "pass-word-1")  # letters beyond ASCII are fine
    assert sql_rows(db_path, "SELECT name FROM annotators WHERE name = 'Ünal'") == [("Ünal",)]


def test_the_store_refuses_look_alikes_and_a_name_that_only_labelled_gets_a_password_from_an_admin(
    db_path: Path,
) -> None:
    store = open_store(db_path)
    try:
        store.create_annotator("carol", password="carol-pass-1")
        with pytest.raises(StoreConflict, match="looks like the existing name 'carol'"):
            store.create_annotator("CAROL", password="carol-pass-2")
        store.save_label(1, "Zed", "1")  # a name that labelled without an account (imports, scripts)
        # s12 ops finding 2: a new account never takes it (nor its labels); an admin gives it a password
        with pytest.raises(StoreConflict, match="There is already an account named 'Zed'"):
            store.create_annotator("Zed", password="zed-pass-1")
        store.update_account("Zed", password="zed-pass-1")  # `users set Zed --password-stdin`
        assert store.authenticate("Zed", "zed-pass-1") is not None
        with pytest.raises(StoreConflict, match="'Zed'"):
            store.create_annotator("zed", password="zed-pass-2")
        assert store.account("CAROL") is None and store.account("zed") is None
    finally:
        store.close()


def _cli(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_users_add_without_a_name_says_so_in_account_words(tmp_path: Path) -> None:
    empty = _cli(tmp_path, "users", "add", "", "--password-stdin", stdin="pass-word-1\n")
    assert empty.returncode != 0
    assert "Enter a name for the new account" in empty.stderr and "labelling" not in empty.stderr


# ---------------------------------------------------------------------- a port already in use
@pytest.mark.parametrize("command", ["serve", "serve-api"])
def test_a_busy_port_is_refused_before_anything_is_created(tmp_path: Path, command: str) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        busy = _cli(tmp_path, command, "--port", str(port))
    assert busy.returncode != 0
    assert f"Port {port} is in use (another Judge Studio?); choose another with --port." in busy.stderr
    assert "Errno" not in busy.stderr + busy.stdout and "First start" not in busy.stdout
    assert not (tmp_path / "initial-admin-password.txt").exists()
    assert not (tmp_path / "judge-studio.sqlite3").exists()
