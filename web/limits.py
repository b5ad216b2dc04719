"""How large a request body the app reads (s14 integrator finding 1: a 200 MB anonymous ``POST /api/v1/tokens``
was read and parsed in full, the server's memory growing by 600 MB, before its 422).

``BodyLimit`` (ASGI middleware) holds every request outside Gradio's API to a limit, before its body is read:

- **without a login or an API token**: ``ANONYMOUS_BODY`` (64 KB; a token request, the login form and an
  invite form are a few hundred bytes);
- **signed in** (a valid ``Authorization: Bearer`` token or session cookie): ``max_request_mb`` (the settings
  table; the largest real bodies, a gold explanation of 20,000 characters or a review's rationale, are well
  under 1 MB even with every character escaped);
- **file uploads** (``UPLOAD_ROUTES``): ``max_upload_mb``, with an API token of the route's role (these are REST
  routes, which read no session cookie). A token of a lower role is answered the route's own 403 before the body
  is read (s14 known gap: FastAPI parsed a non-admin's whole multipart upload before the route said 403).

A ``Content-Length`` over the limit is answered ``413 {"detail": ...}`` at once, nothing read; a body without
one (chunked) is counted while it streams and cut at the limit, also with a 413. Who is signed in is only
looked up when a body could be over the anonymous limit (a declared length over it, or none), so a small
request costs nothing more. A revoked or expired API token sent to the REST API is answered its 401 (saying
when) at that point too, not the anonymous 413. Gradio's API (``/gradio_api/``) keeps its own caps
(``web/uploads.py``: anonymous calls refused before reading, 8 MB calls, ``max_upload_mb`` uploads).
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.access import AccessDenied, TokenEnded
from orchestration.admin import ADMIN
from web.context import WebContext
from web.security import _send_json
from web.sessions import COOKIE_NAME

ANONYMOUS_BODY = 64 * 1024
#: (method, path) of the routes that take a file, held to ``max_upload_mb`` instead of ``max_request_mb``, and the
#: role each needs (a token without it is refused before the body is read).
UPLOAD_ROUTES: dict[tuple[str, str], str] = {("POST", "/api/v1/datasets/import"): ADMIN}
GRADIO_API = "/gradio_api/"  # capped by web/uploads.py (FileGuard) and Gradio's max_file_size
REST_PREFIX = "/api/"  # where a revoked or expired token is answered 401 (web/routes/common.py current_user)
CHECK_THREADS = 4  # token lookups for large bodies at once


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` when a streamed body passes the limit: FastAPI passes an
    ``HTTPException`` raised while it reads the body through (any other error became a 400), and its
    handler answers 413 ``{"detail": ...}``; ``BodyLimit`` answers it where nothing else did."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail, headers={"Connection": "close"})


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def too_large(limit: int, signed_in: bool, setting: str) -> str:
    """The 413's message: the limit, and what it depends on."""
    if signed_in:
        return f"This request's body is larger than {_size(limit)} ({setting}); nothing was read or stored."
    return (
        f"This request's body is larger than {_size(limit)}, the limit without a login or an API token; "
        "nothing was read or stored."
    )


class BodyLimit:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, web: WebContext) -> None:
        self.app = app
        self.web = web
        self._checkers: anyio.CapacityLimiter | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(GRADIO_API):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == 0:
            await self.app(scope, _counting(receive, ANONYMOUS_BODY, "", signed_in=False), send)
            return
        limit, setting, signed_in = ANONYMOUS_BODY, "", False
        role = UPLOAD_ROUTES.get((scope["method"], scope["path"].rstrip("/")))
        if declared is None or declared > ANONYMOUS_BODY:
            try:
                signed_in = await self._signed_in(HTTPConnection(scope), role)
            except TokenEnded as exc:  # say the token was revoked or expired (as REST's 401 does), not the 413
                await _send_json(send, 401, str(exc), {"WWW-Authenticate": "Bearer", "Connection": "close"})
                return
            except AccessDenied as exc:  # an upload route's role (the route's own 403), its body never read
                await _send_json(send, 403, str(exc), {"Connection": "close"})
                return
            if signed_in:
                limit, setting = self._signed_in_limit(upload=role is not None)
        if declared is not None and declared > limit:
            await _send_json(send, 413, too_large(limit, signed_in, setting), {"Connection": "close"})
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _counting(receive, limit, setting, signed_in=signed_in), watched)
        except BodyTooLarge as exc:  # read by something that let it through (FastAPI's routes answer it)
            if started:
                raise
            await _send_json(send, 413, exc.detail, {"Connection": "close"})

    def _signed_in_limit(self, *, upload: bool) -> tuple[int, str]:
        settings = self.web.studio.settings
        if upload:
            return max(1, settings.max_upload_mb) * 1024 * 1024, "max_upload_mb"
        return max(1, settings.max_request_mb) * 1024 * 1024, "max_request_mb"

    async def _signed_in(self, conn: HTTPConnection, role: str | None = None) -> bool:
        """Whether the request carries a valid API token or session cookie (read off the event loop);
        ``TokenEnded`` for a revoked or expired API token sent to the REST API. With ``role`` (an upload route):
        only an API token counts, and ``AccessDenied`` when its account lacks the role."""
        authorization = conn.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            if self._checkers is None:
                self._checkers = anyio.CapacityLimiter(CHECK_THREADS)
            token = authorization[7:].strip()
            check = self.web.studio.access.token_checked
            try:
                found = await anyio.to_thread.run_sync(check, token, role, limiter=self._checkers)
            except TokenEnded:
                if conn.url.path.startswith(REST_PREFIX):
                    raise
                found = None
            if found is not None:
                return True
        if role is None and conn.cookies.get(COOKIE_NAME):
            return await self.web.signed_in_user(conn) is not None
        return False


def _content_length(scope: Scope) -> int | None:
    """The declared body length: 0 for a request without a body (neither ``Content-Length`` nor
    ``Transfer-Encoding``: most GETs), None for one whose length is not known before it is read (chunked)."""
    chunked = False
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
        chunked = chunked or name == b"transfer-encoding"
    return None if chunked else 0


def _counting(receive: Receive, limit: int, setting: str, *, signed_in: bool) -> Receive:
    """``receive`` that counts the body's bytes and raises ``BodyTooLarge`` past ``limit``."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(too_large(limit, signed_in, setting))
        return message

    return counted


__all__ = ["ANONYMOUS_BODY", "UPLOAD_ROUTES", "BodyLimit", "BodyTooLarge", "too_large"]
