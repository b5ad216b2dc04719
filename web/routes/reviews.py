"""``/api/v1/reviews`` and ``/api/v1/adjudications``: the Review page over HTTP. The disagreement queue,
one comparison with everything a reviewer reads before deciding, and the final label with a rationale.

Reviewers and admins only: every handler goes through ``orchestration.ReviewDesk``, which asks
``Access.require`` for the reviewer role before it reads or writes anything (the page's check), and
the store checks the role again inside the adjudication's write transaction.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field

from annotation_store import AdjudicationView
from orchestration import ReviewDesk, ReviewItem
from orchestration.catalog import MAX_PAGE
from orchestration.review import MAX_RATIONALE, item_scope_line
from web.routes.common import (
    BODY,
    MAX_ID,
    Caller,
    ComparisonTextOut,
    RequestIn,
    StudioDep,
    answers,
    api_router,
    comparison_id_or_400,
    comparison_text,
)
from web.routes.metrics import LABELS_FROM

router = api_router("review")

Verdict = Literal["1", "2", "tie"]
Reason = Literal["people disagree", "judge disagrees", "no majority; judge sides with one"]  # ``queue_reasons``


def review_desk(studio: StudioDep) -> ReviewDesk:
    """The Review page's desk (``Studio.review``)."""
    return studio.review


Desk = Annotated[ReviewDesk, Depends(review_desk)]


class QueueItemOut(BaseModel):
    comparison_id: int
    dataset: str
    category: str
    model1: str
    model2: str
    labels: dict[str, Verdict] = Field(description="annotator -> their current pairwise verdict (skips left out)")
    n_labels: int = Field(description="how many annotators gave a verdict")
    judge_verdict: Verdict | None = Field(description="the latest original-order judge verdict; null when not judged")
    reasons: list[Reason] = Field(
        description="why it is in the queue: 'judge disagrees' is with the people's majority (with no majority: "
        "with every side that tied)"
    )
    adjudication: Verdict | None = Field(description="the final label a reviewer set so far; null when none")


class LabelsFromOut(BaseModel):
    """Whose labels the queue reads, as ``/metrics`` says it in its ``labels_from``."""

    scope: Literal["all", "session", "imported"]
    session: str | None = Field(description="the session whose labels count; null unless scope is session")
    labels: int = Field(description="pairwise labels in the scope")
    annotators: int = Field(description="annotators who gave them")
    imported_labels: int = Field(description="labels given in no session (imported), whatever the scope")
    imported_annotators: int
    line: str | None = Field(description="the reports' line on whose labels count; null: all, none imported")


class ReviewQueueOut(BaseModel):
    dataset: str | None = Field(description="the dataset asked for; null: every dataset")
    kind: str = Field(description="the disagreement filter applied")
    open_only: bool
    labels_from: LabelsFromOut = Field(description="whose labels the disagreements are read from")
    total: int = Field(description="comparisons in the queue with these filters")
    limit: int
    offset: int
    items: list[QueueItemOut]


class ReviewLabelOut(BaseModel):
    annotator: str
    kind: str = Field(description="the annotator's kind: crowd, expert, ...")
    verdict: Verdict | None = Field(description="null when skipped")
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    version: int
    updated_at: datetime | None


class JudgeOpinionOut(BaseModel):
    run_id: int
    judge: str = Field(description="the judge model")
    profile: str
    swapped: bool = Field(description="judged with response 2 shown first (the verdict is still about 1 and 2)")
    verdict: Verdict | None = Field(description="canonical order; null unless status is ok")
    status: str = Field(description="ok, unparsed or truncated")
    reason: str
    reference: str
    probabilities: dict[str, float] | None = Field(
        default=None, description="this verdict's probabilities (canonical order), when the judge gave them"
    )


class GoldOut(BaseModel):
    verdict: Verdict = Field(description="the gold answer of this attention-check item")
    explanation: str


class AdjudicationOut(BaseModel):
    comparison_id: int
    reviewer: str
    verdict: Verdict = Field(description="the final label: the people's label of this comparison in every report")
    rationale: str
    created_at: datetime
    updated_at: datetime


class ItemLabelsFromOut(BaseModel):
    """Whose labels an item lists (``labels_from``), counted on this comparison."""

    scope: Literal["all", "session", "imported"]
    session: str | None = Field(description="the session whose labels are listed; null unless scope is session")
    labels: int = Field(description="this comparison's current labels in the scope (the ones listed, skips included)")
    outside: int = Field(description="this comparison's current labels outside the scope (not listed)")
    imported_labels: int = Field(
        description="this comparison's labels given in no session (imported), whatever the scope"
    )
    line: str = Field(description="the Review page's line: which labels are listed and how many lie outside")


class ReviewItemOut(ComparisonTextOut):
    labels: list[ReviewLabelOut] = Field(
        description="the annotators' current labels in the labels_from scope (every annotator's by default)"
    )
    labels_from: ItemLabelsFromOut = Field(description="whose labels are listed, and how many lie outside")
    judge_opinions: list[JudgeOpinionOut] = Field(description="every judge run, in both orders where judged")
    adjudication: AdjudicationOut | None
    gold: GoldOut | None = Field(description="set when the comparison is a gold (attention-check) item")


class AdjudicationIn(RequestIn):
    comparison_id: int = Field(description=f"1 to {MAX_ID}")
    verdict: str = Field(max_length=20, description='the final label: "1", "2" or "tie" (as on the Review page)')
    rationale: str = Field(max_length=MAX_RATIONALE, description="why this is the final label (required)")


def adjudication_out(saved: AdjudicationView) -> AdjudicationOut:
    return AdjudicationOut(
        comparison_id=saved.comparison_id,
        reviewer=saved.reviewer,
        verdict=saved.verdict,  # type: ignore[arg-type]
        rationale=saved.rationale,
        created_at=saved.created_at,
        updated_at=saved.updated_at,
    )


def _gold_out(gold: tuple[str, str] | None) -> GoldOut | None:
    if gold is None:
        return None
    return GoldOut(verdict=gold[0], explanation=gold[1])  # type: ignore[arg-type]


def item_out(found: ReviewItem) -> ReviewItemOut:
    c = found.comparison
    opinions = [JudgeOpinionOut(**vars(o)) for o in found.opinions]  # each stored verdict's own probabilities
    return ReviewItemOut(
        **comparison_text(c),
        labels=[ReviewLabelOut(**vars(row)) for row in found.label_rows()],
        labels_from=ItemLabelsFromOut(
            scope=found.scope.kind,  # type: ignore[arg-type]
            session=found.scope.session,
            labels=found.scope.labels,
            outside=found.outside,
            imported_labels=found.scope.imported_labels,
            line=item_scope_line(found),
        ),
        judge_opinions=opinions,
        adjudication=adjudication_out(found.adjudication) if found.adjudication is not None else None,
        gold=_gold_out(found.gold),
    )


@router.get(
    "/reviews",
    response_model=ReviewQueueOut,
    responses=answers(400, 401, 403, 404, notes={404: "no such dataset or labels_from session"}),
)
def review_queue(
    user: Caller,
    desk: Desk,
    dataset: Annotated[
        str | None, Query(description="dataset name; leave out for every dataset", max_length=200)
    ] = None,
    kind: Annotated[
        Literal["any", "people disagree", "judge disagrees"], Query(description="which disagreements to list")
    ] = "any",
    open_only: Annotated[bool, Query(description="only comparisons without a final label yet")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    labels_from: Annotated[str | None, Query(description=LABELS_FROM, max_length=210)] = None,
) -> ReviewQueueOut:
    """The review queue as the Review page lists it: comparisons where annotators disagree with each
    other or with the judge (reviewer+), among the labels ``labels_from`` keeps (as ``/metrics``
    takes it; without a dataset a session is looked up on every dataset)."""
    found = desk.queue(user.name, dataset, open_only=open_only, kind=kind, labels_from=labels_from, strict=True)
    entries = found.entries()
    page = entries[offset : offset + limit]
    return ReviewQueueOut(
        dataset=dataset or None,
        kind=kind,
        open_only=open_only,
        labels_from=LabelsFromOut.model_validate(found.scope.as_dict()),
        total=len(entries),
        limit=limit,
        offset=offset,
        items=[QueueItemOut(**vars(e), n_labels=len(e.labels)) for e in page],
    )


@router.get(
    "/reviews/{comparison_id}",
    response_model=ReviewItemOut,
    responses=answers(400, 401, 403, 404, notes={404: "no such comparison or labels_from session"}),
)
def review_item(
    user: Caller,
    desk: Desk,
    comparison_id: Annotated[int, Path(ge=1, le=MAX_ID, description=f"1 to {MAX_ID}")],
    labels_from: Annotated[str | None, Query(description=LABELS_FROM, max_length=210)] = None,
) -> ReviewItemOut:
    """One comparison as the Review page opens it: both responses, the labels in ``labels_from``'s scope
    (as ``/reviews`` takes it; a session must be on the comparison's dataset) with their annotators and how
    many lie outside it, every judge opinion and the final label so far (reviewer+)."""
    return item_out(desk.item(user.name, comparison_id, labels_from=labels_from))


@router.post(
    "/adjudications",
    response_model=AdjudicationOut,
    responses=answers(400, 401, 403, 404, *BODY, notes={404: "no such comparison"}),
)
def adjudicate(user: Caller, desk: Desk, body: AdjudicationIn) -> AdjudicationOut:
    """Set (or change) the final label of a comparison, with a rationale; returns what was stored
    (reviewer+). It replaces the people's majority in every report."""
    saved = desk.adjudicate(user.name, comparison_id_or_400(body.comparison_id), body.verdict, body.rationale)
    return adjudication_out(saved)
