"""What makes the app safe to put on a network, in front of every route (REST, pages and Gradio).

- **Cross-site requests are refused.** A state-changing request (anything but GET, HEAD, OPTIONS)
  that a browser sends from another origin is answered 403 before it reaches a handler: its
  ``Origin`` (or, without one, its ``Referer``) must be this app's own origin (``public_url``, or
  the scheme and Host it was sent to), and ``Sec-Fetch-Site`` must not say cross-site or same-site
  (whatever the Origin says). Each refusal is a line in the security log. Requests
  that carry ``Authorization: Bearer`` are exempt: a browser never adds that header by itself, so
  they cannot be forged by another site (and the REST API accepts nothing else).
- **No CORS at all.** The parent app configures Starlette's ``CORSMiddleware`` allowing no origin
  (the app's own pages are same-origin), which switches off Gradio's own CORS handler, the one that
  reflected any ``Origin`` with ``Access-Control-Allow-Credentials``.
- **Gradio's ``/gradio_api/token`` is gone** (it returned the session token as JSON; our session
  cookie is HttpOnly and nothing in the page needs it).
- **Only this app's Host** when ``public_url`` is set: a request naming another host (DNS rebinding:
  another site's name pointed at this server) is answered 400 before anything else runs; loopback
  names are accepted for scripts on the server and proxies that send the upstream address.
- **Pages need a login**: a browser asking for the app's page without a valid session gets the
  login form instead (Gradio's own check answers its API routes with 401).
- **Headers on every answer**: a Content-Security-Policy with ``frame-ancestors 'none'``,
  ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.access import SECURITY_LOG
from web.context import WebContext, origin_of
from web.login import login_page

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# What Gradio's page needs (checked in chromium): its inline config script, eval (it evaluates
# component templates and js_on_load with new Function), inline styles, blob:/data: images and
# workers (plots, uploads); nothing from other origins (fonts fall back to the system's).
APP_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "media-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; frame-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs: Swagger UI's files served by the app itself (web.server._local_docs) and the
# inline script that starts it; nothing from other origins.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
BLOCKED_PATHS = frozenset({"/gradio_api/token", "/gradio_api/token/"})
LOGIN_PAGES = frozenset({"/"})  # the Gradio app's page(s): without a session, the login form


def cross_site_problem(conn: HTTPConnection, web: WebContext) -> str | None:
    """Why this state-changing request looks forged by another site, or None if it does not."""
    headers = conn.headers
    if headers.get("authorization", "").lower().startswith("bearer "):
        return None
    if headers.get("sec-fetch-site") in {"cross-site", "same-site"}:  # whatever the Origin says (s12 ops 10)
        return "This request came from another site; Judge Studio only accepts its own pages."
    own = web.own_origins(conn)
    origin = headers.get("origin")
    if origin is not None:
        if origin_of(origin) in own:
            return None
        return f"This request came from another site ({origin[:100]}); Judge Studio only accepts its own pages."
    referer = headers.get("referer")
    if referer:
        if origin_of(referer) in own:
            return None
        return "This request came from another site (its Referer); Judge Studio only accepts its own pages."
    return None  # not sent by a browser (curl, gradio_client, scripts): nothing to forge


async def _send_json(send: Send, status: int, detail: Any, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    headers = {"content-type": "application/json", "content-length": str(len(body)), **COMMON_HEADERS, **(extra or {})}
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": body})


class WebSecurity:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, web: WebContext, docs_prefix: str) -> None:
        self.app = app
        self.web = web
        self.docs_prefix = docs_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        path: str = scope["path"]
        wrong_host = self.web.host_problem(conn)
        if wrong_host is not None:
            await _send_json(send, 400, wrong_host)
            return
        if path in BLOCKED_PATHS:
            await _send_json(send, 404, "Not Found")
            return
        if scope["method"] not in SAFE_METHODS:
            problem = cross_site_problem(conn, self.web)
            if problem is not None:
                SECURITY_LOG.warning(
                    "cross-site request refused: %s %.200r (Origin %.100r, Sec-Fetch-Site %.20r) from %s",
                    scope["method"],
                    path,
                    conn.headers.get("origin"),
                    conn.headers.get("sec-fetch-site"),
                    conn.client.host if conn.client else None,
                )
                await _send_json(send, 403, problem)
                return
        elif path in LOGIN_PAGES and scope["method"] in {"GET", "HEAD"} and await self.web.signed_in_user(conn) is None:
            await login_page()(scope, receive, send)
            return
        csp = DOCS_CSP if path.startswith(self.docs_prefix) else APP_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)
