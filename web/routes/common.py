"""What every REST router shares: the prefix, the Bearer-token caller, the studio, id bounds and the
label shapes that both the sessions and the labels routes answer with."""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from annotation_store import ComparisonView, LabelView
from annotation_store.answers import ASK_NEXT
from errors import Conflict, InvalidInput, NotFound
from orchestration import Studio, User
from orchestration.access import TokenEnded
from orchestration.annotation import presented_choice
from orchestration.item_handles import ItemRef
from web.errors import UnknownParameter

API_PREFIX = "/api/v1"
MAX_ID = 2**63 - 1  # ids are 64-bit signed integers in every database we support


class Problem(BaseModel):
    detail: str = Field(description="what went wrong, in words a person can act on")


_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}

#: Every error status a REST route can answer, with what it means; ``answers`` picks a route's own.
STATUS_NOTES: dict[int, str] = {
    400: "a request you can fix (the message says how)",
    401: "no, an unknown, a revoked or an expired API token",
    403: "your role may not do this",
    404: "no such dataset, session, comparison or response",
    409: "the request clashes with what is stored now",
    413: "the body is larger than the server reads (nothing was read)",
    415: "the body was not sent as JSON: send it with Content-Type: application/json",
    422: "the request does not fit the schema: the message names the field or query parameter (a wrong type, "
    "a field or query parameter the route does not take, a body that is not valid JSON)",
    429: "too many failed logins lately (Retry-After says when to try again)",
    503: "the database cannot be reached, or the judge is not loaded; try again after Retry-After seconds",
}
#: Statuses every route can answer: a request that does not fit (422) and a database that cannot be reached (503).
ALWAYS = (422, 503)


def answers(*codes: int, notes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of one route: the error statuses it can answer (``codes``, plus ``ALWAYS``),
    each with its meaning (``notes`` words one for this route, say what a 404 is of), and the
    ``Retry-After`` header where the answer carries one (429, 503)."""
    table: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, *ALWAYS}):
        entry: dict[str, Any] = {"model": Problem, "description": (notes or {}).get(code, STATUS_NOTES[code])}
        if code in (429, 503):
            entry["headers"] = _RETRY_AFTER
        table[code] = entry
    return table


#: Every status but 413, 415 and 429, for a router not yet giving each route its own (``answers``).
ERRORS = answers(400, 401, 403, 404, 409)

#: The 404 of a route whose query names a dataset.
DATASET_404 = {404: "no such dataset"}

#: What a JSON body adds: too large (413) and not sent as JSON (415).
BODY = (413, 415)

#: The statuses of submitting an answer, ``POST /labels`` and ``POST /ratings`` alike (a JSON body; 409 for an item
#: not leased to you, or an answer that may no longer change).
SUBMIT_ANSWERS = answers(
    400,
    401,
    403,
    404,
    409,
    *BODY,
    notes={
        403: "your role may not do this, or an annotator sent an id (annotators send `item`)",
        404: "no such session open to you (unknown, or limited to members you are not one of: the same answer), or no "
        "item with that handle among the items handed to you there",
        409: "not handed to you, or no longer yours to change (the message says why)",
    },
)

_bearer = HTTPBearer(auto_error=False, description="an API token: `judge-studio users token NAME`")


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.web.studio
    return studio


def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The account of the Bearer token; 401 without a valid one (REST never reads the session cookie,
    so no other site can make a browser call it), and a 401 that says so for a revoked or an expired one. The
    token's number is kept on ``request.state.api_token_id`` (``DELETE /tokens/current``)."""
    try:
        caller = get_studio(request).access.token_caller(credentials.credentials) if credentials is not None else None
    except TokenEnded as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    if caller is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Send a valid API token as 'Authorization: Bearer <token>' (judge-studio users token NAME).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.api_token_id = caller.token_id
    return caller.user


Caller = Annotated[User, Depends(current_user)]


_QUERY_NAMES: dict[int, tuple[str, ...]] = {}


def _query_names(route: Any) -> tuple[str, ...]:
    """The query parameters ``route`` declares, its dependencies' included (read once per route)."""
    key = id(route)
    if key not in _QUERY_NAMES:
        _QUERY_NAMES[key] = tuple(dict.fromkeys(_declared(getattr(route, "dependant", None))))
    return _QUERY_NAMES[key]


def _declared(dependant: Any) -> Iterator[str]:
    """The query parameters' names of a FastAPI ``Dependant`` and its sub-dependencies."""
    if dependant is None:
        return
    yield from (param.alias for param in dependant.query_params)
    for sub in dependant.dependencies:
        yield from _declared(sub)


def known_query_only(request: Request) -> None:
    """422 for a query parameter the route does not declare, naming it and the ones it takes: a typo'd or
    unsupported filter (``?category=math``) must not look as if it worked. Every REST router runs it
    (``api_router``), so no route lists its parameters twice."""
    allowed = _query_names(request.scope.get("route"))
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in allowed]
    if unknown:
        raise UnknownParameter(unknown, allowed)


def api_router(tag: str) -> APIRouter:
    """A REST router: the ``/api/v1`` prefix, its OpenAPI tag and the unknown-query-parameter check.
    Each route gives its own error statuses with ``responses=answers(...)``."""
    return APIRouter(prefix=API_PREFIX, tags=[tag], dependencies=[Depends(known_query_only)])


class RequestIn(BaseModel):
    """The base of every REST request body: types as declared (``true`` is not 1, ``"75"`` is not a number)
    and no field the model does not name (a typo'd field is 422 naming it, not silently dropped)."""

    model_config = ConfigDict(strict=True, extra="forbid")


StudioDep = Annotated[Studio, Depends(get_studio)]


def comparison_id_or_404(comparison_id: int) -> int:
    if not 1 <= comparison_id <= MAX_ID:
        raise NotFound(f"There is no comparison with id {comparison_id}.")
    return comparison_id


@contextmanager
def unknown_as_not_handed(studio: Studio, session: str, item: ItemRef, actor: str | None = None) -> Iterator[None]:
    """A submit of an item that does not exist answers as one that exists but was not leased to the caller
    (409, the store's wording): a 404 for one and a 409 for the other told which ids exist. An unknown
    session, or one not open to ``actor`` (the caller), is still a 404 that names it. ``item``: the item as the
    caller named it (its handle, or the id a reviewer sent)."""
    try:
        yield
    except NotFound:
        kind = "pairwise" if item.noun == "comparison" else "single"
        desk = studio.desk if kind == "pairwise" else studio.grading
        desk.require_session(session, actor)  # NotFound: the session is what is unknown (to them), and says so
        raise Conflict(f"{item.title} was not handed to you, so nothing was saved; {ASK_NEXT[kind]}.") from None


def comparison_id_or_400(comparison_id: int) -> int:
    if not 1 <= comparison_id <= MAX_ID:
        raise InvalidInput(f"comparison_id must be a whole number from 1 to {MAX_ID}; got {comparison_id}.")
    return comparison_id


class ComparisonTextOut(BaseModel):
    """What a reviewer sees of a comparison: its texts and both models (``/comparisons/{id}``,
    ``/reviews/{id}`` add labels and judge opinions)."""

    id: int
    dataset: str
    prompt_key: str
    category: str
    instruction: str
    input: str
    reference: str | None
    model1: str
    model2: str
    response1: str
    response2: str


def comparison_text(c: ComparisonView) -> dict[str, Any]:
    """The fields of ``ComparisonTextOut`` from a stored comparison."""
    return {name: getattr(c, name) for name in ComparisonTextOut.model_fields}


class AnswerExtrasIn(RequestIn):
    """What a label and a rating carry besides the answer itself (``LabelIn``, ``RatingIn``)."""

    confidence: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=5000)
    flagged: bool = False
    time_on_item_ms: int | None = Field(default=None, ge=0, le=MAX_ID)
    expected_version: int | None = Field(
        default=None, ge=0, le=MAX_ID, description="edit only if your answer is still this version (0: none yet)"
    )

    def extras(self) -> dict[str, Any]:
        """These fields as the desks' ``submit`` keyword arguments."""
        return {name: getattr(self, name) for name in AnswerExtrasIn.model_fields}


class ProgressOut(BaseModel):
    """Your progress and the session's. Every item of the session's dataset counts alike here, gold checks
    included (the lead's sessions table counts them apart): an answer or skip of a gold check moves these numbers
    as any other does, so they never tell you which item was one."""

    mine: int = Field(description="items you answered or skipped in this session (gold checks included)")
    done: int = Field(description="items with `overlap` answers in this session (skips do not count)")
    total: int = Field(description="items in the session's dataset, gold checks included: `mine` is never above it")
    overlap: int


#: ``item`` in the answers: how an item is named to the caller (``orchestration.item_handles``).
ITEM_OUT = (
    "the item's handle for you: send it back as `item` with your answer. Annotators are never told an item's "
    "database id (in a blind session the ids' order told which models are compared); a handle differs from "
    "person to person and stays the same for you in this session"
)
#: ``item`` in the submit bodies.
ITEM_IN = (
    "the `item` of the lease you answer (from POST /sessions/{name}/next); send it or, reviewers and admins, the id"
)


class LabelOut(BaseModel):
    item: str = Field(description=ITEM_OUT)
    comparison_id: int | None = Field(description="the comparison's id for reviewers and admins; null for annotators")
    annotator: str
    choice: Literal["left", "right", "tie", "skip"] = Field(
        description="the answer in the order you saw (canonical order, left = response 1, when the order was not "
        "recorded). Neither the stored verdict about response 1 and 2 nor the left/right order is given to the "
        "annotator: with the choice they would tell which side is the dataset's response 1 (reviewers read both "
        "from GET /comparisons/{id} and the exports)"
    )
    version: int
    confidence: int | None
    comment: str
    flagged: bool
    time_on_item_ms: int | None


def label_out(label: LabelView, ref: ItemRef) -> LabelOut:
    """The label on the item ``ref`` names, as its author reads it (the id only for reviewers and admins)."""
    # an unknown order (imported label) gives the choice in canonical order: left = response 1
    choice = "skip" if label.skipped else presented_choice(label.verdict, bool(label.presented_swapped))
    return LabelOut(
        item=ref.handle,
        comparison_id=label.comparison_id if ref.sees_id else None,
        annotator=label.annotator,
        choice=choice or "skip",  # type: ignore[arg-type]
        version=label.version,
        confidence=label.confidence,
        comment=label.comment,
        flagged=label.flagged,
        time_on_item_ms=label.time_on_item_ms,
    )
