"""The web layer's one error boundary: typed errors (``errors``) become HTTP status codes here and
nowhere else. Every REST route raises (or lets through) a ``StudioError``; this module turns it into
``{"detail": "<the message>"}`` with the status its type stands for, so no handler picks a status by
itself and no status is chosen by reading an English message. A request that does not fit the schema
(FastAPI's ``RequestValidationError``) stays a 422, also with one string ``detail``: which field and what is
wrong, never the input itself (a 300 KB comment is not sent back). Every body that is not valid JSON is that
422 with one wording (FastAPI's own 400 for invalid UTF-8 or too deep nesting included); a body sent with
another Content-Type than JSON is 415 saying which header to send; a query parameter the route does not
take is 422 naming it (``UnknownParameter``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request, params, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from errors import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn, StudioError, Unavailable
from judge_runtime import JudgeInputError, JudgeLoadError
from orchestration.access import LoginThrottled


class UnknownParameter(InvalidInput):
    """A query parameter the route does not take (``web.routes.common.known_query_only``): 422 naming it and
    the ones the route takes, so a typo'd filter does not look as if it worked."""

    def __init__(self, unknown: Sequence[str], allowed: Sequence[str]) -> None:
        names = ", ".join(_quoted(name) for name in list(unknown)[:MAX_LISTED])
        noun = "parameter" if len(unknown) == 1 else "parameters"
        takes = f"this route takes: {', '.join(allowed)}" if allowed else "this route takes none"
        super().__init__(f"The request does not fit the API: unknown query {noun} {names}; {takes}.")


def _quoted(name: str) -> str:
    """A name the client sent, quoted and cut to 40 characters (never a whole long input)."""
    return repr(name if len(name) <= 40 else name[:40] + "…")


# Most specific first: a class that is both (say NotFound and Conflict) gets the first match.
STATUS_OF: tuple[tuple[type[Exception], int], ...] = (
    (UnknownParameter, status.HTTP_422_UNPROCESSABLE_CONTENT),
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
            parts.append(not_json(_decode_problem(error)))
            continue
        message = str(error.get("msg", "is not valid"))[:MAX_MESSAGE]
        if error.get("type") == "extra_forbidden":
            message = "this route takes no such field"
        parts.append(f"{where}: {message}")
    more = len(errors) - MAX_LISTED
    tail = f" (and {more} more)" if more > 0 else ""
    return "The request does not fit the API: " + "; ".join(parts) + tail + "."


def not_json(problem: str) -> str:
    """The one wording of a body that is not valid JSON, whatever the parser tripped on."""
    return f"the body is not valid JSON ({problem})"


def _decode_problem(error: Any) -> str:
    """What ``json.loads`` said and where (FastAPI's ``json_invalid`` error keeps the character offset)."""
    loc = list(error.get("loc", ()))
    said = str((error.get("ctx") or {}).get("error", "not JSON"))[:MAX_MESSAGE]
    return f"{said} at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else said


#: Why FastAPI could not read a body (it answers these 400 "There was an error parsing the body"; a body
#: that is not JSON is a 422 like every other, as the README says).
_UNREADABLE: tuple[tuple[type[BaseException], str], ...] = (
    (UnicodeError, "it is not UTF-8 text"),
    (RecursionError, "it is nested too deeply"),
)

JSON_ONLY = "Send the body as JSON with Content-Type: application/json"


FORM_ONLY = "Send the body as multipart/form-data (the file in the field 'file')"


def _takes_form(request: Request) -> bool:
    """Whether the request's route reads a form (``File``/``Form`` parameters: the REST import), not JSON."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    return any(isinstance(field.field_info, params.Form) for field in getattr(dependant, "body_params", ()))


def not_sent_as_json(request: Request) -> str:
    """The 415's message: which header to send (JSON, or a form for the import route), and what this request
    said (its media type only)."""
    wanted = FORM_ONLY if _takes_form(request) else JSON_ONLY
    sent = request.headers.get("content-type", "").split(";")[0].strip()
    if not sent:
        return f"{wanted}; this request sent no Content-Type."
    shown = "".join(ch for ch in sent[:60] if ch.isprintable())
    return f"{wanted}; this request sent {shown!r}."


def _unprocessable(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _handle(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError):
        sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
        wrong_form = _takes_form(request) and sent not in ("multipart/form-data", "application/x-www-form-urlencoded")
        if wrong_form or (isinstance(exc.body, bytes | bytearray) and exc.body):  # JSON is read for JSON types only
            return JSONResponse(
                {"detail": not_sent_as_json(request)}, status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
            )
        return _unprocessable(validation_detail(exc.errors()))
    if isinstance(exc, StarletteHTTPException):
        cause = exc.__cause__
        if (
            exc.status_code == status.HTTP_400_BAD_REQUEST
            and cause is not None
            and not isinstance(cause, StarletteHTTPException)
        ):
            problem = next((words for kind, words in _UNREADABLE if isinstance(cause, kind)), "it could not be read")
            return _unprocessable(f"The request does not fit the API: {not_json(problem)}.")
        return await http_exception_handler(request, exc)
    return error_response(exc)


def install_error_boundary(app: FastAPI) -> None:
    """Register the mapping for every route of ``app`` (the mounted Gradio app has its own). FastAPI's own
    ``HTTPException`` answers stay as they are, but for a body it could not parse (invalid UTF-8, JSON
    nested too deeply): that is a 422 with the same wording as other invalid JSON."""
    handler = cast(Callable[[Request, Exception], Awaitable[Response]], _handle)
    for kind in (*HANDLED, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, handler)
