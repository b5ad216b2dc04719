"""``GET /healthz``: what a proxy or load balancer probes (s14 integrator finding 10).

``200 {"status": "ok"}`` when the database answers a trivial query (``Studio.check_database``), ``503
{"status": "database unreachable"}`` (with ``Retry-After``) when it does not (``annotation_store.outage``
decides what counts as unreachable) or takes longer than ``CHECK_TIMEOUT_S``. Nothing else is revealed: no
version, no counts, no error text. No login is needed, and any Host is answered (a load balancer probes with
the server's own address, which ``public_url``'s Host check would refuse): ``Health`` (ASGI middleware) answers
before the security middleware, with its headers and ``Cache-Control: no-store``. Other methods get 405.
"""

from __future__ import annotations

import json

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from annotation_store.outage import OUTAGE, RETRY_AFTER_S, unreachable
from orchestration import Studio
from web.security import COMMON_HEADERS

HEALTH_PATH = "/healthz"
CHECK_TIMEOUT_S = 5.0
CHECK_THREADS = 2  # probes of a database that hangs wait for these, not for new threads
OK = {"status": "ok"}
DOWN = {"status": "database unreachable"}


class Health:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp, studio: Studio) -> None:
        self.app = app
        self.studio = studio
        self._checkers: anyio.CapacityLimiter | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").rstrip("/") != HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in {"GET", "HEAD"}:
            detail = {"detail": f"{HEALTH_PATH} takes GET (or HEAD), not {scope['method'][:20]}."}
            await _answer(send, 405, detail, {"Allow": "GET, HEAD"}, head=False)
            return
        up = await self._database_answers()
        extra = {} if up else {"Retry-After": str(RETRY_AFTER_S)}
        await _answer(send, 200 if up else 503, OK if up else DOWN, extra, head=scope["method"] == "HEAD")

    async def _database_answers(self) -> bool:
        if self._checkers is None:
            self._checkers = anyio.CapacityLimiter(CHECK_THREADS)
        with anyio.move_on_after(CHECK_TIMEOUT_S):
            try:
                await anyio.to_thread.run_sync(
                    self.studio.check_database, limiter=self._checkers, abandon_on_cancel=True
                )
            except Exception as exc:
                if not unreachable(exc):
                    raise
                OUTAGE.refused(exc, f"GET {HEALTH_PATH}")
                return False
            return True
        return False  # no answer within CHECK_TIMEOUT_S


async def _answer(send: Send, status: int, payload: dict[str, str], extra: dict[str, str], *, head: bool) -> None:
    body = json.dumps(payload).encode("utf-8")
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body)),
        "cache-control": "no-store",
        **COMMON_HEADERS,
        **extra,
    }
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


__all__ = ["HEALTH_PATH", "Health"]
