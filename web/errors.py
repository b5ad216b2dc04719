"""The web layer's one error boundary: typed errors (``errors``) become HTTP status codes here and
nowhere else. Every REST route raises (or lets through) a ``StudioError``; this module turns it into
``{"detail": "<the message>"}`` with the status its type stands for, so no handler picks a status by
itself and no status is chosen by reading an English message. A request that does not fit the schema
(FastAPI's ``RequestValidationError``) stays a 422, also with one string ``detail``: which field and what is
wrong, never the input itself (a 300 KB comment is not sent back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
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


#: How many schema errors one 422 lists, and how long each message may be (they never hold the input,
#: but a custom validator's message could quote it).
MAX_LISTED, MAX_MESSAGE = 5, 200
_PLACES = {"body": "in the body", "query": "query parameter", "path": "in the path", "header": "header"}


def validation_detail(errors: Sequence[Any]) -> str:
    """One sentence per schema error: the field, where it was sent and pydantic's message (say
    "Input should be 'left', 'right', 'tie' or 'skip'"); the ``input`` pydantic keeps is left out."""
    parts = []
    for error in list(errors)[:MAX_LISTED]:
        loc = [str(part) for part in error.get("loc", ())]
        place = _PLACES.get(loc[0], "") if loc else ""
        field = ".".join(loc[1:] if place else loc)
        where = f"{field} ({place})" if field and place else field or place or "the request"
        if error.get("type") == "json_invalid":
            where = "the body"
        message = str(error.get("msg", "is not valid"))[:MAX_MESSAGE]
        parts.append(f"{where}: {message}")
    more = len(errors) - MAX_LISTED
    tail = f" (and {more} more)" if more > 0 else ""
    return "The request does not fit the API: " + "; ".join(parts) + tail + "."


async def _handle(_request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError):
        detail = validation_detail(exc.errors())
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return error_response(exc)


def install_error_boundary(app: FastAPI) -> None:
    """Register the mapping for every route of ``app`` (the mounted Gradio app has its own)."""
    handler = cast(Callable[[Request, Exception], Awaitable[Response]], _handle)
    for kind in (*HANDLED, RequestValidationError):
        app.add_exception_handler(kind, handler)
