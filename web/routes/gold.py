"""``/api/v1/gold`` and ``/api/v1/gold-responses``: the gold (attention-check) items over HTTP, as a lead's
script marks them: list them, mark one or change its mark, unmark one.

``/gold`` holds comparisons of pairwise sessions (an answer of 1, 2 or tie); ``/gold-responses`` holds
responses of grading sessions (a scale, 10 or 5, and the range of right ratings, ``low`` to ``high``).
Admins only. Gold answers must never reach annotators (one who read them would pass every attention
check), so every handler goes through ``orchestration.AdminDesk``, which asks ``Access.require`` for
the admin role before it reads or writes anything: an annotator or a reviewer gets 403 even for an id
that does not exist or is out of range, or a range that is wrong.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from annotation_store.gold_ratings import gold_range_problem
from errors import InvalidInput
from orchestration import AdminDesk
from orchestration.admin import ADMIN
from web.routes.common import (
    BODY,
    DATASET_404,
    MAX_ID,
    Caller,
    RequestIn,
    StudioDep,
    answers,
    api_router,
    comparison_id_or_400,
)

router = api_router("gold")

Verdict = Literal["1", "2", "tie"]
MAX_EXPLANATION = 20_000


def admin_desk(studio: StudioDep) -> AdminDesk:
    """The Admin page's desk: every method checks the admin role first."""
    return AdminDesk(studio)


Desk = Annotated[AdminDesk, Depends(admin_desk)]


class GoldMarkOut(BaseModel):
    comparison_id: int
    dataset: str
    verdict: Verdict = Field(description="the right answer, about response 1 and 2 (canonical order)")
    explanation: str = Field(description="what annotators read after a wrong answer")


class GoldListOut(BaseModel):
    dataset: str | None = Field(description="the dataset asked for; null: every dataset")
    total: int = Field(description="gold comparisons with this filter")
    items: list[GoldMarkOut]


class GoldMarkIn(RequestIn):
    verdict: str = Field(max_length=20, description='the right answer: "1", "2" or "tie"')
    explanation: str = Field(
        max_length=MAX_EXPLANATION, description="why that answer is right (required; annotators see it after a miss)"
    )


class GoldRemovedOut(BaseModel):
    answers_kept: int = Field(
        description="answers people gave on it: they stay, as ordinary labels that count toward the overlap"
    )


def _checked(desk: AdminDesk, user: str, comparison_id: int) -> int:
    """``comparison_id`` once the caller is known to be an admin (an annotator learns nothing, not even
    that an id is out of range); 400 when it cannot be a 64-bit id."""
    if not 1 <= comparison_id <= MAX_ID:
        desk.access.require(user, ADMIN)
        comparison_id_or_400(comparison_id)
    return comparison_id


def _marks(desk: AdminDesk, user: str, dataset: str | None = None, number: int | None = None) -> list[GoldMarkOut]:
    rows = desk.gold_marks(user, dataset, number).to_dict("records")
    return [
        GoldMarkOut(
            comparison_id=int(row["comparison_id"]),
            dataset=str(row["dataset"]),
            verdict=row["verdict"],
            explanation=str(row["explanation"]),
        )
        for row in rows
    ]


@router.get("/gold", response_model=GoldListOut, responses=answers(401, 403, 404, notes=DATASET_404))
def gold_list(
    user: Caller,
    desk: Desk,
    dataset: Annotated[
        str | None, Query(description="dataset name; leave out for every dataset", max_length=200)
    ] = None,
) -> GoldListOut:
    """Every gold comparison (of one dataset) with its answer and explanation (admin)."""
    items = _marks(desk, user.name, dataset or None)
    return GoldListOut(dataset=dataset or None, total=len(items), items=items)


@router.put(
    "/gold/{comparison_id}",
    response_model=GoldMarkOut,
    responses=answers(400, 401, 403, 404, *BODY, notes={404: "no such comparison"}),
)
def gold_set(user: Caller, desk: Desk, comparison_id: int, body: GoldMarkIn) -> GoldMarkOut:
    """Mark a comparison as gold, or change its answer or explanation; returns the stored mark (admin).
    Sessions with a gold rate hand it out as an attention check from then on."""
    number = _checked(desk, user.name, comparison_id)
    desk.set_gold(user.name, number, body.verdict, body.explanation)
    return _marks(desk, user.name, number=number)[0]


@router.delete(
    "/gold/{comparison_id}",
    response_model=GoldRemovedOut,
    responses=answers(400, 401, 403, 404, notes={404: "no such comparison, or it is not gold"}),
)
def gold_remove(user: Caller, desk: Desk, comparison_id: int) -> GoldRemovedOut:
    """Unmark a gold comparison (admin). The answers people gave on it stay, as ordinary labels: it is
    back in the normal pool, where they count toward the overlap, and gold accuracy no longer counts it."""
    return GoldRemovedOut(answers_kept=desk.remove_gold(user.name, _checked(desk, user.name, comparison_id)))


# ---------------------------------------------------------------------- gold responses (grading sessions)


class GoldResponseOut(BaseModel):
    response_id: int
    dataset: str
    model: str = Field(description="the model that wrote the response")
    scale: Literal[10, 5] = Field(description="sessions on this scale (1-10 or 1-5) hand it out as a check")
    low: int = Field(description="the lowest right rating")
    high: int = Field(description="the highest right rating")
    explanation: str = Field(description="what graders read after a rating outside low..high")


class GoldResponseListOut(BaseModel):
    dataset: str | None = Field(description="the dataset asked for; null: every dataset")
    total: int = Field(description="gold responses with this filter")
    items: list[GoldResponseOut]


class GoldResponseIn(RequestIn):
    scale: int = Field(description="10 or 5: the scale of the grading sessions that check it")
    low: int = Field(description="the lowest right rating, 1 to scale")
    high: int = Field(description="the highest right rating, low to scale (low = high: one right rating)")
    explanation: str = Field(
        max_length=MAX_EXPLANATION,
        description="why those ratings are right (required; graders see it after a rating outside them)",
    )


class GoldResponseRemovedOut(BaseModel):
    ratings_kept: int = Field(
        description="ratings people gave it: they stay, as ordinary ratings that count toward the overlap"
    )


def _response_checked(desk: AdminDesk, user: str, response_id: int) -> int:
    """``response_id`` once the caller is known to be an admin; 400 when it cannot be a 64-bit id."""
    if not 1 <= response_id <= MAX_ID:
        desk.access.require(user, ADMIN)
        raise InvalidInput(f"response_id must be a whole number from 1 to {MAX_ID}; got {response_id}.")
    return response_id


def _gold_responses(
    desk: AdminDesk, user: str, dataset: str | None = None, number: int | None = None
) -> list[GoldResponseOut]:
    rows = desk.gold_ratings(user, dataset, number).to_dict("records")
    return [
        GoldResponseOut(
            response_id=int(row["response_id"]),
            dataset=str(row["dataset"]),
            model=str(row["model"]),
            scale=int(row["scale"]),  # type: ignore[arg-type]  # the store holds 10 or 5 only
            low=int(row["low"]),
            high=int(row["high"]),
            explanation=str(row["explanation"]),
        )
        for row in rows
    ]


@router.get("/gold-responses", response_model=GoldResponseListOut, responses=answers(401, 403, 404, notes=DATASET_404))
def gold_responses_list(
    user: Caller,
    desk: Desk,
    dataset: Annotated[
        str | None, Query(description="dataset name; leave out for every dataset", max_length=200)
    ] = None,
) -> GoldResponseListOut:
    """Every gold response (of one dataset) with its scale, right range and explanation (admin)."""
    items = _gold_responses(desk, user.name, dataset or None)
    return GoldResponseListOut(dataset=dataset or None, total=len(items), items=items)


@router.put(
    "/gold-responses/{response_id}",
    response_model=GoldResponseOut,
    responses=answers(400, 401, 403, 404, *BODY, notes={404: "no such response"}),
)
def gold_response_set(user: Caller, desk: Desk, response_id: int, body: GoldResponseIn) -> GoldResponseOut:
    """Mark a response as gold on a scale with the right ratings low..high, or change its mark; returns
    the stored mark (admin). Grading sessions on that scale with a gold rate hand it out from then on;
    a wrong range is 400 naming the field (scale, low or high)."""
    number = _response_checked(desk, user.name, response_id)
    desk.access.require(user.name, ADMIN)  # before the range is looked at: a grader learns nothing
    problem = gold_range_problem(body.scale, body.low, body.high)
    if problem is not None:
        raise InvalidInput(f"Field {problem[0]!r}: {problem[1]}; nothing was saved.")
    desk.set_gold_rating(user.name, number, body.scale, body.low, body.high, body.explanation)
    return _gold_responses(desk, user.name, number=number)[0]


@router.delete(
    "/gold-responses/{response_id}",
    response_model=GoldResponseRemovedOut,
    responses=answers(400, 401, 403, 404, notes={404: "no such response, or it is not gold"}),
)
def gold_response_remove(user: Caller, desk: Desk, response_id: int) -> GoldResponseRemovedOut:
    """Unmark a gold response (admin). The ratings people gave it stay, as ordinary ratings: it is back
    in the normal pool, where they count toward the overlap."""
    kept = desk.remove_gold_rating(user.name, _response_checked(desk, user.name, response_id))
    return GoldResponseRemovedOut(ratings_kept=kept)
