"""The web layer's one error boundary: typed errors (``errors``) become HTTP status codes here and
nowhere else. Every REST route raises (or lets through) a ``StudioError``; this module turns it into
``{"detail": "<the message>"}`` with the status its type stands for, so no handler picks a status by
itself and no status is chosen by reading an English message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response

from errors import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn, StudioError, Unavailable
from judge_runtime import JudgeInputError, JudgeLoadError
from orchestration.access import LoginThrottled

# Most specific first: a class that is both (say NotFound and Conflict) gets the first match.
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (LoginThrottled, status.HTTP_429_TOO_MANY_REQUESTS),
    (NotSignedIn, status.HTTP_401_UNAUTHORIZED),
    (Forbidden, status.HTTP_403_FORBIDDEN),
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
    (Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (JudgeLoadError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (InvalidInput, status.HTTP_400_BAD_REQUEST),
    (JudgeInputError, status.HTTP_400_BAD_REQUEST),
)

#: The errors a caller can act on; anything else is a bug and stays a 500 (logged by the server).
HANDLED: tuple[type[Exception], ...] = (StudioError, JudgeInputError, JudgeLoadError)


def status_of(exc: Exception) -> int:
    """The HTTP status of a typed error (400 for a plain ``StudioError``)."""
    for kind, code in STATUS_OF:
        if isinstance(exc, kind):
            return code
    return status.HTTP_400_BAD_REQUEST


def error_response(exc: Exception) -> JSONResponse:
    """``{"detail": message}`` with the status of the error's type (and the headers it implies)."""
    code = status_of(exc)
    headers: dict[str, str] = {}
    if code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, LoginThrottled):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)


async def _handle(_request: Request, exc: Exception) -> Response:
    return error_response(exc)


def install_error_boundary(app: FastAPI) -> None:
    """Register the mapping for every route of ``app`` (the mounted Gradio app has its own)."""
    handler = cast(Callable[[Request, Exception], Awaitable[Response]], _handle)
    for kind in HANDLED:
        app.add_exception_handler(kind, handler)
