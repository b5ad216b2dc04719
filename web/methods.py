"""A REST path asked with a method it does not take: 405 with ``Allow``, not 404 (s14 integrator finding 9).

Starlette answers 405 itself only when no later route matches the path, but Gradio is mounted at ``/`` after
the REST routes and matches everything, so ``GET /api/v1/labels`` got Gradio's ``404 {"detail": "Not Found"}``
and an integrator concluded that the route did not exist. ``install_method_answers`` adds one last route under
``/api/v1`` (before Gradio is mounted): a path that one of the REST routes serves with other methods is
answered ``405 {"detail": "/api/v1/labels takes POST, not GET."}`` with ``Allow``; any other path ``404``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match, Mount
from starlette.types import Scope

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods (of ``METHODS``) that one of the app's routes, Gradio's mount and this catch-all aside, serves
    the request's path with, sorted."""
    found = []
    for method in METHODS:
        asked = {**scope, "method": method}
        for route in app.router.routes:
            if isinstance(route, Mount) or getattr(route, "name", None) == _NAME:
                continue
            if route.matches(asked)[0] == Match.FULL:
                found.append(method)
                break
    return sorted(found)


_NAME = "wrong_method"


def install_method_answers(app: FastAPI, prefix: str) -> None:
    """The catch-all route described in the module's docstring, for paths under ``prefix``. Add it after the
    REST routes and before anything mounted at ``/``."""

    async def wrong_method(request: Request) -> JSONResponse:
        path, method = request.url.path, request.method
        allowed = allowed_methods(app, request.scope)
        if not allowed or method in allowed:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        takes = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
        detail = f"{path[:200]} takes {takes}, not {method[:20]}."
        return JSONResponse({"detail": detail}, status_code=405, headers={"Allow": ", ".join(allowed)})

    app.add_api_route(
        prefix.rstrip("/") + "/{rest:path}",
        wrong_method,
        methods=METHODS,
        include_in_schema=False,
        name=_NAME,
    )


__all__ = ["allowed_methods", "install_method_answers"]
