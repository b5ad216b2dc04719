"""The REST API and the app hardened in session 14 (integrator findings 1, 3, 5, 9 and 10):

1. request bodies are held to a size before they are read (``web/limits.py``): 64 KB without a login or an API
   token, ``max_request_mb`` signed in; a declared length over it is a 413 at once, a chunked body is cut at it;
3. ``Cache-Control: no-store`` on every answer but static assets (``web/caching.py``);
5. ``X-Forwarded-Host`` (and the other X-Forwarded-* headers) believed only from a trusted proxy, and the host
   only as ``public_url``'s: Gradio's ``root`` and the Admin page's invite links (``web/proxy.py``);
9. a REST path asked with another method: 405 with ``Allow`` (``web/methods.py``), not Gradio's 404;
10. ``GET /healthz``: 200 ``{"status": "ok"}``, or 503 when the database is gone (``web/health.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home

from annotation_store.outage import OUTAGE
from orchestration import Studio

PUBLIC = "https://judge.example.org"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def no_outage_left() -> Iterator[None]:
    OUTAGE.reachable()
    yield
    OUTAGE.reachable()


def _studio(home: Path, **settings: Any) -> Studio:
    return accounts_studio(home, (("alice", "annotator"), ("ada", "admin")), **settings)


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(_studio(home))


class Unread:
    """A request body that fails the test if a byte of it is read (and counts what was)."""

    def __init__(self, chunks: int = 0, size: int = 16 * 1024) -> None:
        self.allowed, self.size, self.sent = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            if self.sent >= self.allowed * self.size:
                raise AssertionError(f"the server read more than {self.sent} bytes of the body")
            self.sent += self.size
            yield b" " * self.size


def _post(app: Any, path: str, body: Unread, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:7860") as client:
            return await client.post(path, content=body, headers={"Content-Type": "application/json", **headers})

    return asyncio.run(go())


# ---------------------------------------------------------------------- 1. body sizes


def test_a_huge_anonymous_body_is_a_413_before_a_byte_is_read(studio: Studio) -> None:
    app = api_app(studio)
    answer = _post(app, "/api/v1/tokens", Unread(chunks=0), {"Content-Length": str(200 * MB)})
    assert answer.status_code == 413
    assert answer.json() == {
        "detail": "This request's body is larger than 64 KB, the limit without a login or an API token; "
        "nothing was read or stored."
    }
    assert answer.headers["connection"] == "close" and answer.headers["cache-control"] == "no-store"
    # a wrong token is no login: the same limit
    wrong = _post(app, "/api/v1/labels", Unread(0), {"Content-Length": str(MB), "Authorization": "Bearer nonsense"})
    assert wrong.status_code == 413 and "64 KB" in wrong.json()["detail"]


def test_a_chunked_anonymous_body_is_cut_at_the_limit(studio: Studio) -> None:
    body = Unread(chunks=100)  # 1.6 MB on offer
    answer = _post(api_app(studio), "/api/v1/tokens", body, {})
    assert answer.status_code == 413, answer.text
    assert "larger than 64 KB" in answer.json()["detail"]
    assert body.sent <= 64 * 1024 + body.size  # read up to the limit, then cut
    assert studio.access.token_user("anything") is None


def test_small_bodies_pass_and_a_signed_in_caller_gets_max_request_mb(studio: Studio) -> None:
    app = api_app(studio)
    with TestClient(app) as client:
        answer = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD, "label": "ci"})
        assert answer.status_code == 201, answer.text
        bearer = {"Authorization": f"Bearer {answer.json()['token']}"}
        # 200 KB (over the anonymous limit, under max_request_mb): read, and answered by the route (its 422)
        big = client.post("/api/v1/labels", headers=bearer, json={"session": "x" * (200 * 1024), "comparison_id": 1})
        assert big.status_code == 422 and "session" in big.json()["detail"]
    too_big = _post(app, "/api/v1/labels", Unread(0), {**bearer, "Content-Length": str(3 * MB)})
    assert too_big.status_code == 413
    assert (
        too_big.json()["detail"]
        == "This request's body is larger than 2 MB (max_request_mb); nothing was read or stored."
    )
    chunked = Unread(chunks=1000)
    cut = _post(app, "/api/v1/labels", chunked, bearer)
    assert cut.status_code == 413 and "2 MB (max_request_mb)" in cut.json()["detail"]
    assert chunked.sent <= 2 * MB + chunked.size


def test_max_request_mb_is_the_setting(home: Path) -> None:
    studio = _studio(home, max_request_mb=5)
    bearer = {"Authorization": f"Bearer {studio.access.api_token('alice')}"}
    try:
        app = api_app(studio)
        with TestClient(app) as client:  # 3 MB, under 5: read, and answered by the route (415: not sent as JSON)
            assert client.post("/api/v1/labels", headers=bearer, content=b"x" * (3 * MB)).status_code == 415
        over = _post(app, "/api/v1/labels", Unread(0), {**bearer, "Content-Length": str(6 * MB)})
        assert over.status_code == 413 and "5 MB (max_request_mb)" in over.json()["detail"]
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- 3, 9, 10 on the REST server


def test_private_answers_are_no_store_and_static_assets_keep_their_caching(studio: Studio) -> None:
    token = studio.access.api_token("ada")
    with TestClient(api_app(studio)) as client:
        minted = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD})
        assert minted.status_code == 201 and minted.headers["cache-control"] == "no-store"
        for path in ("/api/v1/sessions", "/api/v1/datasets", "/api/v1/comparisons/1", "/api/v1/openapi.json"):
            answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, (path, answer.text)
            assert answer.headers["cache-control"] == "no-store", path
        assert client.get("/api/v1/sessions").headers["cache-control"] == "no-store"  # a 401 too
        asset = client.get("/api/v1/docs/assets/swagger-ui.css")
        assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")


def test_a_wrong_method_on_a_rest_route_is_a_405_with_allow(studio: Studio) -> None:
    with TestClient(api_app(studio)) as client:
        _assert_405s(client)


def _assert_405s(client: TestClient) -> None:
    cases = {
        ("GET", "/api/v1/labels"): ("POST", "/api/v1/labels takes POST, not GET."),
        ("DELETE", "/api/v1/labels"): ("POST", "/api/v1/labels takes POST, not DELETE."),
        ("PATCH", "/api/v1/datasets"): ("GET, HEAD", "/api/v1/datasets takes GET, not PATCH."),
        ("PUT", "/api/v1/tokens"): ("GET, HEAD, POST", "/api/v1/tokens takes GET or POST, not PUT."),  # GET: s14 tokens
        ("POST", "/api/v1/gold/3"): ("DELETE, PUT", "/api/v1/gold/3 takes DELETE or PUT, not POST."),
    }
    for (method, path), (allow, detail) in cases.items():
        answer = client.request(method, path)
        assert answer.status_code == 405, (method, path, answer.text)
        assert answer.headers["allow"] == allow and answer.json() == {"detail": detail}
    missing = client.get("/api/v1/no-such-route")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}


def test_healthz_says_ok_and_503_while_the_database_is_gone(home: Path) -> None:
    studio = _studio(home, public_url=PUBLIC)
    away = home.with_name("home-away")
    try:
        with TestClient(api_app(studio), base_url=PUBLIC) as client:
            for host in ("judge.example.org", "10.0.0.5:7860"):  # a load balancer probes with the server's address
                ok = client.get("/healthz", headers={"Host": host})
                assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
                assert ok.headers["cache-control"] == "no-store" and ok.headers["x-content-type-options"] == "nosniff"
            assert client.get("/api/v1/sessions", headers={"Host": "10.0.0.5"}).status_code == 400  # the rest: not so
            wrong = client.post("/healthz")
            assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
            studio.store.engine.dispose()
            home.rename(away)
            down = client.get("/healthz")
            assert (down.status_code, down.json()) == (503, {"status": "database unreachable"})
            assert int(down.headers["retry-after"]) > 0 and down.headers["cache-control"] == "no-store"
            away.rename(home)
            assert client.get("/healthz").json() == {"status": "ok"}
    finally:
        if away.exists():
            away.rename(home)
        studio.store.close()


# ---------------------------------------------------------------------- 5. forwarded headers


def _echo_invite_link(forwarded_allow_ips: str) -> Any:
    """A small ASGI app behind ``TrustedProxy`` answering the Admin page's invite link for the request."""
    import gradio as gr
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    from ui.admin_sections.accounts import invite_link
    from web.proxy import TrustedProxy

    async def app(scope: Any, receive: Any, send: Any) -> None:
        link = invite_link(gr.Request(request=Request(scope, receive)), "T0K", public_url="")
        await PlainTextResponse(link)(scope, receive, send)

    return TrustedProxy(app, trusted=forwarded_allow_ips, public_origin=None)


def _get(app: Any, client: str, headers: dict[str, str]) -> str:
    async def go() -> str:
        transport = httpx.ASGITransport(app=app, client=(client, 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://studio.local:7860") as http:
            return (await http.get("/gradio_api/queue/join", headers=headers)).text

    return asyncio.run(go())


def test_the_invite_link_believes_forwarded_headers_only_from_the_trusted_proxy() -> None:
    spoof = {"X-Forwarded-Host": "evil.example.com", "X-Forwarded-Proto": "https"}
    assert _get(_echo_invite_link(""), "127.0.0.1", spoof) == "http://studio.local:7860/invite/T0K"
    app = _echo_invite_link("127.0.0.1")
    assert _get(app, "127.0.0.5", spoof) == "http://studio.local:7860/invite/T0K"  # not the proxy
    proxied = {"Host": "studio.local", "X-Forwarded-Host": "studio.local", "X-Forwarded-Proto": "https"}
    assert _get(app, "127.0.0.1", proxied) == "https://studio.local/invite/T0K"
    # the port counts too (review 2 of s14, finding 2): Host studio.local:7860 is not studio.local
    assert _get(app, "127.0.0.1", proxied | {"Host": "studio.local:7860"}) == "https://studio.local:7860/invite/T0K"
    # without public_url, a forwarded host other than the request's Host is dropped (review s14, finding 3)
    assert _get(app, "127.0.0.1", spoof) == "https://studio.local:7860/invite/T0K"


def test_gradio_root_ignores_a_forwarded_host_that_is_not_public_url(home: Path) -> None:
    from web.server import create_app

    studio = _studio(home, public_url=PUBLIC, forwarded_allow_ips="testclient")
    try:
        app = create_app(studio)
        with TestClient(app, base_url=PUBLIC) as client:
            assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 200
            proxy = {"X-Forwarded-Proto": "https"}
            spoofed = client.get("/config", headers={**proxy, "X-Forwarded-Host": "evil.example.com"})
            assert spoofed.status_code == 200 and spoofed.json()["root"] == PUBLIC
            assert spoofed.headers["cache-control"] == "no-store"
            honest = client.get("/config", headers={**proxy, "X-Forwarded-Host": "judge.example.org"})
            assert honest.json()["root"] == PUBLIC
            page = client.get("/", headers={"Accept": "text/html"})
            assert page.status_code == 200 and 'action="/login"' not in page.text
            assert page.headers["cache-control"] == "no-store"
            # finding 9 where it happened: Gradio's mount at "/" answered these 404
            _assert_405s(client)
            cookies = dict(client.cookies)
        # a client that is not the proxy: nothing it says about hosts or schemes is believed
        with TestClient(app, base_url=PUBLIC, client=("203.0.113.9", 5555), cookies=cookies) as outsider:
            outside = outsider.get("/config", headers={"X-Forwarded-Host": "evil.example.com"})
            assert outside.status_code == 200 and "evil" not in outside.json()["root"]
    finally:
        studio.store.close()
