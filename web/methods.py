"""A REST path asked with a method it does not take: 405 with ``Allow``, not 404 (s14 integrator finding 9).

Starlette answers 405 itself only when no later route matches the path, but Gradio is mounted at ``/`` after
the REST routes and matches everything, so ``GET /api/v1/labels`` got Gradio's ``404 {"detail": "Not Found"}``
and an integrator concluded that the route did not exist. ``install_method_answers`` adds one last route under
``/api/v1`` (before Gradio is mounted): a path that one of the REST routes serves with other methods is
answered ``405 {"detail": "/api/v1/labels takes POST, not GET."}`` with ``Allow``; any other path ``404``.

``HEAD`` is answered as ``GET`` without the body (``HeadAsGet``) on every path one of the app's own routes serves
with ``GET`` (the login, logout and invite pages, ``/login/state``, every REST ``GET`` route, the API docs): FastAPI
routes take only the methods they name, so ``HEAD /login`` fell through to the mounted Gradio app and got its
``405`` with the app page's CSP (s15 rolesec, finding 5), and uptime and link checkers reported the login page
broken. Gradio's own paths are left to Gradio (it answers ``HEAD /`` itself).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Mount, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods (of ``METHODS``) that one of the app's routes, Gradio's mount and this catch-all aside, serves
    the request's path with, sorted."""
    found = {method for method in METHODS if _served(app.router, scope, method)}
    if "GET" in found:
        found.add("HEAD")  # answered as GET without the body (``HeadAsGet``)
    return sorted(found)


def _served(router: Router, scope: Scope, method: str) -> bool:
    """Whether one of ``router``'s own routes (Gradio's mount and the catch-all aside) serves the request's path
    with ``method``."""
    asked = {**scope, "method": method}
    for route in router.routes:
        if isinstance(route, Mount) or getattr(route, "name", None) == _NAME:
            continue
        if route.matches(asked)[0] == Match.FULL:
            return True
    return False


#: The scope key ``HeadAsGet`` sets on a HEAD it passes on as GET (``web/login.py``: ``HEAD /logout`` logs nobody out).
HEAD_ASKED = "judge_studio.head"


class HeadAsGet:
    """ASGI middleware: a ``HEAD`` request to a path that one of ``router``'s own routes serves with ``GET`` runs as
    that ``GET`` (its status and headers, ``Content-Length`` included) and its body is not sent. See the module's
    docstring."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or not _served(self.router, scope, "GET"):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body: nothing is sent until its end
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET", HEAD_ASKED: True}, receive, headers_only)


_NAME = "wrong_method"


def install_method_answers(app: FastAPI, prefix: str) -> None:
    """The catch-all route described in the module's docstring, for paths under ``prefix``. Add it after the
    REST routes and before anything mounted at ``/``."""

    async def wrong_method(request: Request) -> JSONResponse:
        path, method = request.url.path, request.method
        allowed = allowed_methods(app, request.scope)
        if not allowed or method in allowed:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        named = [m for m in allowed if m != "HEAD" or "GET" not in allowed]  # GET's HEAD goes without saying
        takes = " or ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
        detail = f"{path[:200]} takes {takes}, not {method[:20]}."
        return JSONResponse({"detail": detail}, status_code=405, headers={"Allow": ", ".join(allowed)})

    app.add_api_route(
        prefix.rstrip("/") + "/{rest:path}",
        wrong_method,
        methods=METHODS,
        include_in_schema=False,
        name=_NAME,
    )


__all__ = ["HEAD_ASKED", "HeadAsGet", "allowed_methods", "install_method_answers"]
