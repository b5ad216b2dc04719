"""Servers for the network tests: the app with chosen settings, a TLS-terminating reverse proxy in
front of it (what nginx does in a deployment: HTTPS outside, X-Forwarded-Proto/-For added, Host
kept), a static "other site" over TLS, and a self-signed certificate made with ``openssl``."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from conftest import APP_ACCOUNTS, free_port

HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"proxy-connection", b"te"}


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1 and localhost, valid one day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
        + ["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )
    return cert, key


class ReverseProxy:
    """An ASGI app forwarding every HTTP request to ``upstream`` and streaming the answer back."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.http: httpx.AsyncClient | None = None  # made in the server's event loop, then reused

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        client = scope.get("client") or ("127.0.0.1", 0)
        headers += [(b"x-forwarded-proto", b"https"), (b"x-forwarded-for", client[0].encode())]
        query = scope["query_string"].decode()
        url = self.upstream + scope["raw_path"].decode() + (f"?{query}" if query else "")
        if self.http is None:
            self.http = httpx.AsyncClient(timeout=None, limits=httpx.Limits(max_connections=50))
        request = self.http.build_request(scope["method"], url, headers=headers, content=body)
        response = await self.http.send(request, stream=True)
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


def static_site(pages: dict[str, str]) -> Any:
    """An ASGI app serving fixed HTML pages by path (the attacker's site)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        text = pages.get(scope["path"])
        status = 200 if text is not None else 404
        body = (text or "not found").encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})

    return app


@contextmanager
def serve(app: Any, port: int, **config: Any) -> Iterator[uvicorn.Server]:
    """``app`` with uvicorn on 127.0.0.1:port in a thread, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"nothing started on port {port}")
        time.sleep(0.05)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def make_studio(db_path: Path, **settings: Any) -> Any:
    """A Studio over ``db_path`` (its folder is the data folder) with the test accounts."""
    from orchestration import Settings, Studio

    studio = Studio.open(Settings(home=db_path.parent, **settings))
    for name, (password, role) in APP_ACCOUNTS.items():
        if studio.store.account(name) is None:
            studio.store.create_annotator(
                name, role=role, kind="crowd" if role == "annotator" else "expert", password=password
            )
    return studio


@contextmanager
def serve_studio(studio: Any, port: int | None = None) -> Iterator[str]:
    """``web.create_app(studio)`` over plain HTTP; yields its URL (ending with "/")."""
    from web import create_app

    port = port or free_port()
    with serve(create_app(studio), port, lifespan="on", timeout_graceful_shutdown=2):
        yield f"http://127.0.0.1:{port}/"
