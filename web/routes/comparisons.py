"""``/api/v1/comparisons``: a dataset's comparisons with model names, the judge's latest verdict and
every label (reviewers and admins: annotators must not be anchored by them)."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from annotation_store import VerdictView
from orchestration.catalog import MAX_PAGE, comparison_detail, comparison_page
from web.routes.common import (
    DATASET_404,
    MAX_ID,
    Caller,
    ComparisonTextOut,
    StudioDep,
    answers,
    api_router,
    comparison_id_or_404,
    comparison_text,
)

router = api_router("data")


class ComparisonSummaryOut(BaseModel):
    id: int
    dataset: str
    prompt_key: str
    category: str
    model1: str
    model2: str
    instruction: str
    judge_verdict: Literal["1", "2", "tie"] | None = Field(description="latest judge verdict, canonical order")
    judge_status: str | None = Field(description="ok, unparsed or truncated; null when not judged")
    labels: int = Field(description="current pairwise labels by people")


class ComparisonPageOut(BaseModel):
    dataset: str
    total: int
    limit: int
    offset: int
    items: list[ComparisonSummaryOut]


class JudgeOut(BaseModel):
    run_id: int
    judge_model: str
    profile: str
    verdict: Literal["1", "2", "tie"] | None
    status: str
    reason: str
    reference: str
    probabilities: dict[str, float] | None = None


class LabelDetailOut(BaseModel):
    annotator: str
    verdict: Literal["1", "2", "tie"] | None
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    presented_swapped: bool | None = Field(
        description="response 2 was shown on the left; null: the order was not recorded (an imported label)"
    )
    version: int


class ComparisonOut(ComparisonTextOut):
    judge: JudgeOut | None
    labels: list[LabelDetailOut]


def _judge_out(v: VerdictView) -> JudgeOut:
    return JudgeOut(
        run_id=v.run_id,
        judge_model=v.judge_model,
        profile=v.profile,
        verdict=v.verdict,  # type: ignore[arg-type]
        status=v.status,
        reason=v.reason,
        reference=v.reference,
        probabilities=v.probabilities,
    )


@router.get("/comparisons", response_model=ComparisonPageOut, responses=answers(401, 403, 404, notes=DATASET_404))
def comparisons(
    user: Caller,
    studio: StudioDep,
    dataset: Annotated[str, Query(description="dataset name", max_length=200)],
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ComparisonPageOut:
    """A page of a dataset's comparisons with model names and the judge's latest verdict (reviewer+)."""
    page = comparison_page(studio.access, user.name, dataset, limit=limit, offset=offset)
    return ComparisonPageOut(
        dataset=page.dataset,
        total=page.total,
        limit=page.limit,
        offset=page.offset,
        items=[ComparisonSummaryOut(**vars(item)) for item in page.items],
    )


@router.get(
    "/comparisons/{comparison_id}",
    response_model=ComparisonOut,
    responses=answers(401, 403, 404, notes={404: "no such comparison"}),
)
def comparison(user: Caller, studio: StudioDep, comparison_id: int) -> ComparisonOut:
    """One comparison: both responses, models, the judge's latest verdict and every label (reviewer+)."""
    if not 1 <= comparison_id <= MAX_ID:
        studio.access.require(user.name, "reviewer")  # an annotator learns nothing, not even "no such id"
        comparison_id_or_404(comparison_id)
    detail = comparison_detail(studio.access, user.name, comparison_id)
    c = detail.comparison
    return ComparisonOut(
        **comparison_text(c),
        judge=_judge_out(detail.judge) if detail.judge is not None else None,
        labels=[LabelDetailOut(**vars(label)) for label in detail.labels],
    )
