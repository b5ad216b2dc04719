"""``/api/v1/responses``: a dataset's single responses (grading, 1-10 or 1-5) with model names, the judge's
ratings and people's ratings (reviewers and admins: annotators must not be anchored by them). The
pairwise counterpart is ``/comparisons``; the reader is ``orchestration.grading`` (``response_page``,
``response_detail``), which asks ``Access.require`` for the reviewer role first."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, Field

from orchestration.grading import MAX_RESPONSE_PAGE, JudgeRatingRecord, response_detail, response_page
from web.routes.common import DATASET_404, MAX_ID, Caller, StudioDep, answers, api_router

router = api_router("data")


class JudgeRunRatingOut(BaseModel):
    run_id: int = Field(description="the judge run (one per judge model, profile and prompt)")
    judge_model: str
    profile: str = Field(description="the judge profile, e.g. mtbench-single or prometheus2-absolute")
    rating: float | None = Field(description="the judge's rating, 1 to `scale`; null unless status is ok")
    status: str = Field(description="ok, unparsed, truncated or error")
    scale: int = Field(description="the top of the judge's scale: 10 or 5")
    rating_sd: float | None = Field(
        description="the spread of the judge's rating probabilities, where stored (rating mode 'expected')"
    )
    reason: str = Field(description="the judge's explanation (plain text; empty when it gave none)")


class ResponseSummaryOut(BaseModel):
    id: int
    dataset: str
    prompt_key: str
    category: str
    model: str = Field(description="the model that wrote the response")
    instruction: str
    judge: JudgeRunRatingOut | None = Field(description="the judge's latest rating; null when not rated by a judge")
    people_ratings: int = Field(description="how many people rated it (skips not counted)")


class ResponsePageOut(BaseModel):
    dataset: str
    total: int = Field(description="responses in the dataset")
    limit: int
    offset: int
    items: list[ResponseSummaryOut]


class PersonRatingOut(BaseModel):
    annotator: str
    rating: int | None = Field(description="1 to `scale`; null when skipped")
    scale: int = Field(description="the scale of the session it was given in (10 outside sessions)")
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    version: int = Field(description="how many times this rating was saved")


class ResponseOut(BaseModel):
    id: int
    dataset: str
    prompt_key: str
    category: str
    instruction: str
    input: str
    reference: str | None
    model: str = Field(description="the model that wrote the response")
    response: str = Field(description="the response text")
    judge: JudgeRunRatingOut | None = Field(description="the judge's latest rating, as in the list")
    judge_ratings: list[JudgeRunRatingOut] = Field(description="every judge run's rating, oldest first")
    ratings: list[PersonRatingOut] = Field(description="every person's current rating")


def _judge_out(record: JudgeRatingRecord | None) -> JudgeRunRatingOut | None:
    return JudgeRunRatingOut(**vars(record)) if record is not None else None


@router.get("/responses", response_model=ResponsePageOut, responses=answers(401, 403, 404, notes=DATASET_404))
def responses(
    user: Caller,
    studio: StudioDep,
    dataset: Annotated[str, Query(description="dataset name", max_length=200)],
    limit: Annotated[int, Query(ge=1, le=MAX_RESPONSE_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ResponsePageOut:
    """A page of a dataset's responses with model names, the judge's latest rating and how many people
    rated each (reviewer+)."""
    page = response_page(studio.access, user.name, dataset, limit=limit, offset=offset)
    items = [
        ResponseSummaryOut(
            id=item.response.id,
            dataset=item.response.dataset,
            prompt_key=item.response.prompt_key,
            category=item.response.category,
            model=item.response.model,
            instruction=item.response.instruction,
            judge=_judge_out(item.judge),
            people_ratings=item.people,
        )
        for item in page.items
    ]
    return ResponsePageOut(dataset=page.dataset, total=page.total, limit=page.limit, offset=page.offset, items=items)


@router.get(
    "/responses/{response_id}",
    response_model=ResponseOut,
    responses=answers(401, 403, 404, notes={404: "no such response"}),
)
def response(
    user: Caller, studio: StudioDep, response_id: Annotated[int, Path(ge=1, le=MAX_ID, description=f"1 to {MAX_ID}")]
) -> ResponseOut:
    """One response: its prompt, reference, text and model, every judge run's rating and every person's
    rating (reviewer+; an annotator gets 403 for any id, known or not)."""
    detail = response_detail(studio.access, user.name, response_id)
    r = detail.response
    return ResponseOut(
        id=r.id,
        dataset=r.dataset,
        prompt_key=r.prompt_key,
        category=r.category,
        instruction=r.instruction,
        input=r.input,
        reference=r.reference,
        model=r.model,
        response=r.text,
        judge=_judge_out(detail.judge),
        judge_ratings=[JudgeRunRatingOut(**vars(j)) for j in detail.judge_ratings],
        ratings=[PersonRatingOut(**vars(p)) for p in detail.ratings],
    )
