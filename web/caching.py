"""No cache keeps a private answer (s14 integrator finding 3: the signed-in page, ``/config``, every REST answer
and the token answer, whose body is a bearer secret, had no ``Cache-Control``, so a shared proxy or cache may
store them).

``NoStore`` (ASGI middleware) sets ``Cache-Control: no-store`` on every answer except the static assets
(``STATIC_PREFIXES``: Gradio's scripts, styles and icons, and the API docs' Swagger UI files), which keep the
caching their server gives them. A ``Cache-Control`` the handler set is replaced: only ``no-store`` keeps an
answer out of every cache (``no-cache`` and ``private`` still let a browser or a proxy store it).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = "no-store"
#: Paths whose answers are the same for everyone and may be cached (Gradio's and Swagger UI's files).
STATIC_PREFIXES = (
    "/assets/",
    "/static/",
    "/svelte/",
    "/favicon.ico",
    "/theme.css",
    "/robots.txt",
    "/manifest.json",
    "/pwa_icon",
    "/gradio_api/theme.css",
    "/gradio_api/custom_component/",
    "/api/v1/docs/assets/",
)


def is_static(path: str) -> bool:
    return path.startswith(STATIC_PREFIXES)


class NoStore:
    """The ASGI middleware described in the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_static(scope.get("path", "")):
            await self.app(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, no_store)


__all__ = ["NO_STORE", "STATIC_PREFIXES", "NoStore", "is_static"]
