"""The web layer's boundary for a database that cannot be reached (``annotation_store.outage``): whatever
reads the database when it is down (a REST route, the login form, the session cookie check in the
security middleware, Gradio's login check and queue) is answered with ``UNREACHABLE_MESSAGE``, not a
plain-text ``500 Internal Server Error`` and a traceback in the log:

- the REST API (``/api/...``) and other non-browser clients: 503 ``{"detail": message}`` with ``Retry-After``;
- a browser asking for a page: a 503 page saying so (the login form, with the message, on ``/login``);
- Gradio's own API (``/gradio_api/...``, what the page's script calls): ``{"detail": message}`` with status
  500, because Gradio's page shows a 503 as "This application is currently busy" and any other status's
  ``detail`` as it is; the person sees the message and that nothing was saved.

``DatabaseOutage`` is installed twice: outermost on the app (it covers our routes and middleware) and on
the mounted Gradio app, whose own server-error handler would answer first. Other errors pass through as
before (typed errors: ``web/errors.py``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from annotation_store.outage import OUTAGE, RETRY_AFTER_S, UNREACHABLE_MESSAGE, unreachable
from annotation_store.storage import FULL, storage_problem, storage_problem_kind
from web.login import login_page
from web.pages import error_paragraph, page

#: Headers of every answer (the security middleware is inside this one and adds its own to the rest).
_HEADERS = {
    "Retry-After": str(RETRY_AFTER_S),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
log = logging.getLogger("judge_studio.database")
_AGAIN = '<p class="hint"><a href="/">Back to Judge Studio</a> (try again in a moment)</p>'


def outage_response(scope: Scope, message: str = UNREACHABLE_MESSAGE, status: int = 503) -> Response:
    """The answer to a request that found the database unreachable (see the module's docstring), or, with
    ``message`` and ``status``, its disk full (507) or its folder read-only (503)."""
    path: str = scope.get("path", "")
    if "/gradio_api/" in f"{path}/":
        return JSONResponse({"detail": message}, status_code=500, headers=_HEADERS)
    wants_page = "text/html" in Headers(scope=scope).get("accept", "")
    if wants_page and not path.startswith("/api/"):
        shown = (
            login_page(error=message, status_code=status)
            if path.rstrip("/") == "/login"
            else page("Try again in a moment", error_paragraph(message) + _AGAIN, status)
        )
        shown.headers.update(_HEADERS)
        return shown
    return JSONResponse({"detail": message}, status_code=status, headers=_HEADERS)


def storage_response(scope: Scope, exc: BaseException) -> Response | None:
    """The answer to a request whose write found the disk full (507 Insufficient Storage) or the data folder
    read-only (503), with ``annotation_store.storage``'s one line; None for any other error."""
    if (message := storage_problem(exc)) is None:
        return None
    log.warning("%s (%s %s)", message, scope.get("method", ""), _logged_path(scope.get("path", "")))
    return outage_response(scope, message, 507 if storage_problem_kind(exc) == FULL else 503)


def _logged_path(path: str) -> str:
    """The path as the log may show it: an invite link's token left out (it is a password until used)."""
    return "/invite/..." if path.startswith("/invite/") else path[:100]


class DatabaseOutage:
    """ASGI middleware: an unreachable database, raised before the answer started, becomes
    ``outage_response``, logged through ``OUTAGE`` (one line per outage, not a traceback per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if not started and (answer := storage_response(scope, exc)) is not None:
                await answer(scope, receive, send)
                return
            if started or not unreachable(exc):
                raise
            OUTAGE.refused(exc, f"{scope.get('method', '')} {_logged_path(scope.get('path', ''))}")
            await outage_response(scope)(scope, receive, send)


def install_outage_boundary(app: FastAPI) -> None:
    """``DatabaseOutage`` on ``app`` and on every FastAPI app mounted in it (the Gradio UI), and ``OUTAGE``
    watching the connections to say when the database is back. Call it after adding the middleware that
    reads the database (the security middleware), so that it wraps them."""
    for route in app.routes:
        if isinstance(route, Mount) and isinstance(route.app, FastAPI):
            route.app.add_middleware(DatabaseOutage)
    app.add_middleware(DatabaseOutage)
    OUTAGE.watch()


__all__ = ["DatabaseOutage", "install_outage_boundary", "outage_response", "storage_response"]
