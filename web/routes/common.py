"""What every REST router shares: the prefix, the Bearer-token caller, the studio, id bounds and the
label shapes that both the sessions and the labels routes answer with."""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from annotation_store import ComparisonView, LabelView
from annotation_store.answers import ASK_NEXT
from errors import Conflict, InvalidInput, NotFound
from orchestration import Studio, User
from orchestration.annotation import presented_choice

API_PREFIX = "/api/v1"
MAX_ID = 2**63 - 1  # ids are 64-bit signed integers in every database we support


class Problem(BaseModel):
    detail: str = Field(description="what went wrong, in words a person can act on")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no or an unknown API token"},
    403: {"model": Problem, "description": "your role may not do this"},
    400: {"model": Problem, "description": "a request you can fix (the message says how)"},
    404: {"model": Problem, "description": "no such dataset, session, comparison or response"},
    409: {"model": Problem, "description": "the request clashes with what is stored now"},
    422: {"model": Problem, "description": "the request does not fit the schema (the message names the fields)"},
}

_bearer = HTTPBearer(auto_error=False, description="an API token: `judge-studio users token NAME`")


def get_studio(request: Request) -> Studio:
    studio: Studio = request.app.state.web.studio
    return studio


def current_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The account of the Bearer token; 401 without a valid one (REST never reads the session cookie,
    so no other site can make a browser call it)."""
    user = get_studio(request).access.token_user(credentials.credentials) if credentials is not None else None
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Send a valid API token as 'Authorization: Bearer <token>' (judge-studio users token NAME).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


Caller = Annotated[User, Depends(current_user)]
StudioDep = Annotated[Studio, Depends(get_studio)]


def comparison_id_or_404(comparison_id: int) -> int:
    if not 1 <= comparison_id <= MAX_ID:
        raise NotFound(f"There is no comparison with id {comparison_id}.")
    return comparison_id


@contextmanager
def unknown_as_not_handed(studio: Studio, session: str, noun: str, item_id: int) -> Iterator[None]:
    """A submit of an item that does not exist answers as one that exists but was not leased to the caller
    (409, the store's wording): a 404 for one and a 409 for the other told which ids exist. An unknown
    session is still a 404 that names it."""
    try:
        yield
    except NotFound:
        kind = "pairwise" if noun == "Comparison" else "single"
        desk = studio.desk if kind == "pairwise" else studio.grading
        desk.require_session(session)  # NotFound: the session is what is unknown, and says so
        raise Conflict(f"{noun} #{item_id} was not handed to you, so nothing was saved; {ASK_NEXT[kind]}.") from None


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


class AnswerExtrasIn(BaseModel):
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
    mine: int = Field(description="comparisons you answered in this session's dataset")
    done: int = Field(description="comparisons with `overlap` labels")
    total: int
    overlap: int


class LabelOut(BaseModel):
    comparison_id: int
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


def label_out(label: LabelView) -> LabelOut:
    # an unknown order (imported label) gives the choice in canonical order: left = response 1
    choice = "skip" if label.skipped else presented_choice(label.verdict, bool(label.presented_swapped))
    return LabelOut(
        comparison_id=label.comparison_id,
        annotator=label.annotator,
        choice=choice or "skip",  # type: ignore[arg-type]
        version=label.version,
        confidence=label.confidence,
        comment=label.comment,
        flagged=label.flagged,
        time_on_item_ms=label.time_on_item_ms,
    )
