"""Session 14's known gaps closed in session 15 (tokens2):

1. a revoked API token's 401 says it was revoked, and when (``api_tokens.revoked_at``, migration 0020), wherever it
   was revoked (``DELETE /tokens/{id}``, ``DELETE /tokens/current``, ``users revoke-token``, ``users sign-out``, a
   deactivation, a new password); an unknown token keeps the generic 401;
2. a non-admin's upload to ``POST /api/v1/datasets/import`` is refused (403) before its body is read;
3. with ``public_url``, a Host naming its host on another port is refused, as ``X-Forwarded-Host`` is.

Real SQLite files, the real ASGI app, the real migrations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home
from sqlalchemy import inspect, text
from starlette.requests import HTTPConnection
from test_annotation_workflow import _migrate, _schema_diff

from annotation_store import open_store
from annotation_store.accounts import token_digest
from annotation_store.db import make_engine, sqlite_url
from cli import main
from orchestration import Studio
from web.context import WebContext
from web.proxy import FORWARDED_HOST, TrustedProxy
from web.sessions import COOKIE_NAME

GENERIC_401 = "Send a valid API token as 'Authorization: Bearer <token>' (judge-studio users token NAME)."
REVOKED = re.compile(
    r"This API token was revoked on (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ); ask for a new one \(POST /api/v1/tokens\)\."
)
MB = 1024 * 1024


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    accounts = (("alice", "annotator"), ("bob", "annotator"), ("ada", "admin"))
    yield from closing(accounts_studio(home, accounts, max_upload_mb=64))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sql(studio: Studio, query: str, **params: Any) -> list[Any]:
    with studio.store.engine.begin() as connection:
        result = connection.execute(text(query), params)
        return list(result.all()) if result.returns_rows else []


def _revoked_at(studio: Studio, token: str) -> datetime | None:
    ((at,),) = _sql(studio, "SELECT revoked_at FROM api_tokens WHERE token_hash = :h", h=token_digest(token))
    return datetime.fromisoformat(at) if at is not None else None


def _says_revoked(client: TestClient, token: str, studio: Studio) -> None:
    """The token's next request is the revoked 401, naming the moment stored in ``revoked_at``."""
    answer = client.get("/api/v1/sessions", headers=_bearer(token))
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer", answer.text
    said = REVOKED.fullmatch(answer.json()["detail"])
    assert said is not None, answer.json()["detail"]
    stored = _revoked_at(studio, token)
    assert stored is not None and abs(stored - _now()) < timedelta(minutes=1)
    assert said.group(1) == f"{stored:%Y-%m-%dT%H:%M:%S}Z"


# ---------------------------------------------------------------------- 1. a revoked token says so, and when
def test_a_token_revoked_over_rest_says_when_and_an_unknown_one_stays_generic(studio: Studio) -> None:
    with TestClient(api_app(studio)) as client:
        one, current = (
            client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD}).json() for _ in range(2)
        )
        assert client.delete(f"/api/v1/tokens/{one['id']}", headers=_bearer(current["token"])).status_code == 200
        _says_revoked(client, one["token"], studio)
        assert client.delete("/api/v1/tokens/current", headers=_bearer(current["token"])).status_code == 200
        _says_revoked(client, current["token"], studio)
        unknown = client.get("/api/v1/sessions", headers=_bearer("js_not-a-token"))
        assert unknown.status_code == 401 and unknown.json()["detail"] == GENERIC_401
        spec = client.get("/api/v1/openapi.json").json()
    described = spec["paths"]["/api/v1/sessions"]["get"]["responses"]["401"]["description"]
    assert described == "no, an unknown, a revoked or an expired API token"


def test_every_other_way_of_revoking_stamps_the_time_and_the_401_says_it(studio: Studio, home: Path) -> None:
    by_cli = studio.access.api_token("alice", label="cli")
    signed_out = studio.access.api_token("bob", label="laptop")
    main(["users", "revoke-token", str(studio.access.my_tokens("alice")[0].id), "--home", str(home)])
    main(["users", "sign-out", "bob", "--home", str(home)])
    deactivated = studio.access.api_token("bob", label="left")
    studio.access.update_account("ada", "bob", active=False)
    new_password = studio.access.api_token("alice", label="old password")
    studio.access.update_account("ada", "alice", password="another-long-password")
    with TestClient(api_app(studio)) as client:
        for token in (by_cli, signed_out, deactivated, new_password):
            _says_revoked(client, token, studio)


def test_a_token_revoked_before_migration_0020_says_only_that(studio: Studio) -> None:
    token = studio.access.api_token("alice")
    _sql(studio, "UPDATE api_tokens SET revoked = 1, revoked_at = NULL")
    with TestClient(api_app(studio)) as client:
        answer = client.get("/api/v1/sessions", headers=_bearer(token))
        big = client.post("/api/v1/labels", content=b"x" * (200 * 1024), headers=_bearer(token))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "This API token was revoked; ask for a new one (POST /api/v1/tokens)."
    # a body over the anonymous 64 KB: the same 401 from the body limit, not its 413, nothing read
    assert big.status_code == 401 and big.json()["detail"] == answer.json()["detail"]
    assert studio.access.token_user(token) is None


def test_an_expired_token_signed_out_later_still_says_it_expired(studio: Studio) -> None:
    token = studio.access.api_token("alice", days=1)
    _sql(studio, "UPDATE api_tokens SET expires_at = '2026-03-01 12:00:00'")
    assert studio.access.sign_out_account("ada", "alice") == 0  # no live token was revoked
    with TestClient(api_app(studio)) as client:
        answer = client.get("/api/v1/sessions", headers=_bearer(token))
    assert answer.status_code == 401 and answer.json()["detail"].startswith("This API token expired on 2026-03-01")
    assert _sql(studio, "SELECT revoked, revoked_at FROM api_tokens") == [(0, None)]


def test_migration_0020_goes_down_and_up_keeping_revoked_tokens(db_path: Path) -> None:
    store = open_store(db_path)
    try:
        store.create_annotator("old", role="annotator", password=PASSWORD)
        info, _secret = store.new_api_token("old", "ci")
        assert store.revoke_api_token(info.id) is not None
    finally:
        store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0019")
        assert "revoked_at" not in {c["name"] for c in inspect(engine).get_columns("api_tokens")}
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT revoked, revoked_at FROM api_tokens")).all() == [(1, None)]
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- 2. a non-admin's upload: 403 before reading
def _post_upload(app: Any, headers: dict[str, str], chunks: int) -> tuple[int, str, int]:
    """POST ``chunks`` MB of multipart body to ``/api/v1/datasets/import`` straight through the ASGI app; the
    status, the answer's body and how many body bytes the app read."""
    read, sent = 0, 0
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        nonlocal read, sent
        if sent >= chunks:
            return {"type": "http.disconnect"}
        sent += 1
        read += MB
        return {"type": "http.request", "body": b"\0" * MB, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/datasets/import",
        "raw_path": b"/api/v1/datasets/import",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    anyio.run(app, scope, receive, send)
    return answer["status"], answer["body"].decode(), read


MULTIPART = {"Content-Type": "multipart/form-data; boundary=xyz"}


def test_an_annotators_30_mb_upload_is_refused_before_it_is_read(studio: Studio) -> None:
    app = api_app(studio)
    headers = {**MULTIPART, **_bearer(studio.access.api_token("alice"))}
    declared = _post_upload(app, {**headers, "Content-Length": str(30 * MB)}, chunks=30)
    assert declared == (403, '{"detail": "This needs the admin role; \'alice\' is annotator."}', 0)
    chunked = _post_upload(app, {**headers, "Transfer-Encoding": "chunked"}, chunks=30)
    assert chunked == declared  # no length declared: refused all the same, nothing read
    # an admin's session cookie is no API token (REST reads none): the anonymous limit, nothing read
    cookie = {**MULTIPART, "Cookie": f"{COOKIE_NAME}={app.state.web.signer.issue('ada')}"}
    status, body, read = _post_upload(app, {**cookie, "Content-Length": str(30 * MB)}, chunks=30)
    assert (status, read) == (413, 0) and "the limit without a login or an API token" in body


def test_an_upload_with_a_revoked_token_is_its_401_and_an_admins_is_read(studio: Studio) -> None:
    app = api_app(studio)
    token = studio.access.api_token("ada")
    studio.access.revoke_my_token("ada", studio.access.my_tokens("ada")[0].id)
    status, body, read = _post_upload(app, {**MULTIPART, **_bearer(token), "Content-Length": str(2 * MB)}, chunks=2)
    assert (status, read) == (401, 0) and "This API token was revoked on " in body
    admin = {**MULTIPART, **_bearer(studio.access.api_token("ada")), "Content-Length": str(2 * MB)}
    status, body, read = _post_upload(app, admin, chunks=2)
    assert status == 400 and read > 0  # an admin's body is read (and this one is no multipart: 400)


# ---------------------------------------------------------------------- 3. the Host's port counts
def _host_problem(public_origin: str, host: str) -> str | None:
    web = WebContext(studio=None, signer=None, upload_dir=Path("."), public_origin=public_origin)  # type: ignore[arg-type]
    return web.host_problem(HTTPConnection({"type": "http", "headers": [(b"host", host.encode())]}))


@pytest.mark.parametrize(
    ("public", "host", "kept"),
    [
        ("https://studio.example.org", "studio.example.org", True),
        ("https://studio.example.org", "Studio.Example.org:443", True),
        ("https://studio.example.org", "studio.example.org:8443", False),
        ("https://studio.example.org", "studio.example.org:80", False),
        ("https://studio.example.org:8443", "studio.example.org:8443", True),
        ("https://studio.example.org:8443", "studio.example.org", False),
        ("http://studio.example.org", "studio.example.org:80", True),
        ("https://studio.example.org", "evil.example", False),
    ],
)
def test_the_host_and_the_forwarded_host_follow_one_rule(public: str, host: str, kept: bool) -> None:
    problem = _host_problem(public, host)
    assert (problem is None) is kept
    if not kept:
        netloc = public.split("://")[1]
        assert problem == f"This server answers only for {netloc} (public_url), not for the host {host!r}."
    proxy = TrustedProxy(app=None, trusted="127.0.0.1", public_origin=public)  # type: ignore[arg-type]
    wanted, scheme = proxy._wanted_host({}, [], believed=True)
    assert proxy._kept(FORWARDED_HOST, host.encode(), True, wanted, scheme) is kept


@pytest.mark.parametrize("host", ["localhost:7860", "127.0.0.1", "127.0.0.1:9", "[::1]:8080"])
def test_loopback_stays_allowed_on_any_port(host: str) -> None:
    assert _host_problem("https://studio.example.org", host) is None


def test_the_app_refuses_the_public_name_on_another_port(home: Path) -> None:
    studio = accounts_studio(home, (), public_url="https://studio.example.org")
    try:
        with TestClient(api_app(studio)) as client:
            wrong = client.get("/api/v1/openapi.json", headers={"Host": "studio.example.org:8443"})
            right = client.get("/api/v1/openapi.json", headers={"Host": "studio.example.org"})
        assert wrong.status_code == 400 and right.status_code == 200
        assert wrong.json()["detail"] == (
            "This server answers only for studio.example.org (public_url), not for the host 'studio.example.org:8443'."
        )
    finally:
        studio.store.close()
