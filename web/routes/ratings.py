"""``POST /api/v1/ratings``: submit (or change) your rating of a leased response in a grading session
(single-answer, 1-10 or 1-5), or skip it; idempotent with a key, as ``POST /labels`` is.

The same rules as the Grade page (``GradingDesk`` -> ``Store.submit``, checked inside its write
transaction): the response must be leased to you in this session (409 once the lease expired and the
session's overlap is reached by others), be in the session's dataset (403), and the rating on the
session's scale (400, the message names the scale). The judge's rating comes back only when the
session reveals the judge; the model's name (``model``) where the Grade page names it after the answer
(``orchestration.annotation.names_after``: a blind session that reveals the judge, whose rating then can no
longer be changed, or an open session's answer), so a rating locked "because the model's name was shown" was.
"""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
from typing import ClassVar

from pydantic import BaseModel, Field

from annotation_store import JudgeRatingView, RatingView
from errors import InvalidInput
from orchestration import GradeOutcome
from orchestration.item_handles import ItemRef
from web.routes.common import (
    ITEM_OUT,
    MAX_ID,
    SUBMIT_ANSWERS,
    Caller,
    ProgressOut,
    StudioDep,
    api_router,
    unknown_as_not_handed,
)
from web.routes.labels import IdempotencyKey, ItemIn, scoped_idempotency_key

router = api_router("annotation")


class RatingIn(ItemIn):
    id_field: ClassVar[str] = "response_id"
    session: str = Field(max_length=200)
    response_id: int | None = Field(
        default=None, description=f"1 to {MAX_ID}; reviewers and admins only (annotators send `item`: 403)"
    )
    rating: int | None = Field(
        default=None,
        description="1 to the session's scale (10 or 5: see the item's `scale`); null when you skip. A rating "
        "outside the session's scale is refused (400) and nothing is saved",
    )
    skipped: bool = Field(
        default=False, description="skip the response (send no rating); a skip does not count towards the overlap"
    )


class RatingOut(BaseModel):
    item: str = Field(description=ITEM_OUT)
    response_id: int | None = Field(description="the response's id for reviewers and admins; null for annotators")
    annotator: str
    rating: int | None = Field(description="null when skipped")
    skipped: bool
    version: int
    confidence: int | None
    comment: str
    flagged: bool
    time_on_item_ms: int | None


class JudgeRatingOut(BaseModel):
    judge_model: str
    score: float | None = Field(description="null when the judge's output had no rating (see `status`)")
    scale: int = Field(description="the judge rated 1..scale")
    status: str
    reason: str


class GoldRatingOut(BaseModel):
    correct: bool | None = Field(description="whether your rating is in the known range; null when you skipped")
    low: int = Field(description="the lowest right rating")
    high: int = Field(description="the highest right rating")
    explanation: str


class RatingSubmitOut(BaseModel):
    rating: RatingOut
    scale: int = Field(description="the session's: ratings are 1..scale")
    judge: JudgeRatingOut | None = Field(description="only when the session reveals the judge")
    model: str | None = Field(
        default=None,
        description="the response's model, where the Grade page names it after this answer (an open session's "
        "answer; in a blind session only where it reveals the judge, and never after a skip)",
    )
    progress: ProgressOut | None = Field(description="yours and the session's, after this submit")
    gold: GoldRatingOut | None = Field(default=None, description="feedback on a gold (attention-check) response")


def rating_out(rating: RatingView, ref: ItemRef) -> RatingOut:
    """The rating of the response ``ref`` names, as its author reads it (the id only for reviewers and admins)."""
    return RatingOut(
        item=ref.handle,
        response_id=rating.response_id if ref.sees_id else None,
        annotator=rating.annotator,
        rating=rating.rating,
        skipped=rating.skipped,
        version=rating.version,
        confidence=rating.confidence,
        comment=rating.comment,
        flagged=rating.flagged,
        time_on_item_ms=rating.time_on_item_ms,
    )


def _judge_out(judge: JudgeRatingView | None, scale: int) -> JudgeRatingOut | None:
    if judge is None:
        return None
    return JudgeRatingOut(
        judge_model=judge.judge_model, score=judge.score, scale=scale, status=judge.status, reason=judge.reason
    )


def _submit_out(outcome: GradeOutcome) -> RatingSubmitOut:
    progress = ProgressOut(**vars(outcome.progress)) if outcome.progress is not None else None
    return RatingSubmitOut(
        rating=rating_out(outcome.rating, outcome.ref),
        scale=outcome.scale,
        judge=_judge_out(outcome.judge, outcome.judge_scale),
        model=outcome.model,
        progress=progress,
        gold=_gold_out(outcome),
    )


def _gold_out(outcome: GradeOutcome) -> GoldRatingOut | None:
    gold = outcome.gold
    if gold is None:
        return None
    return GoldRatingOut(correct=outcome.gold_correct, low=gold.low, high=gold.high, explanation=gold.explanation)


def response_id_or_400(response_id: int) -> int:
    """Ids are 64-bit: a larger one is a mistake the caller can fix, not an unknown response."""
    if not 1 <= response_id <= MAX_ID:
        raise InvalidInput(f"response_id must be a whole number from 1 to {MAX_ID}; got {response_id}.")
    return response_id


def _rating_or_skip(body: RatingIn) -> int | None:
    """The rating to store; a skip that also sends a rating is refused (the desk would drop the rating)."""
    if body.skipped and body.rating is not None:
        raise InvalidInput(
            f"Send either a rating or skipped=true, not both (got rating {body.rating} with skipped=true); "
            "nothing was saved."
        )
    return body.rating


@router.post(
    "/ratings",
    response_model=RatingSubmitOut,
    responses=SUBMIT_ANSWERS,
)
def submit_rating(
    user: Caller, studio: StudioDep, body: RatingIn, idempotency_key: IdempotencyKey = None
) -> RatingSubmitOut:
    """Submit (or change) your rating of a leased response in a grading session, or skip it (annotator+), named by
    its `item` (the handle your lease gave; an unknown one is 404 naming it) or, reviewers and admins, by
    `response_id` (from an annotator: 403). An id that does not exist answers 409 like one not leased to you, as
    ``POST /labels`` does."""
    chosen = studio.grading.chosen(user.name, body.session, handle=body.item, item_id=body.response_id)
    if body.item is None:  # a reviewer's id: a larger one is a mistake to fix, not an unknown response
        response_id_or_400(chosen.id)
    with unknown_as_not_handed(studio, body.session, chosen, user.name):
        outcome = studio.grading.submit(
            user.name,
            body.session,
            chosen.id,
            _rating_or_skip(body),
            skipped=body.skipped,
            idempotency_key=scoped_idempotency_key(user.name, idempotency_key),
            **body.extras(),
        )
    return _submit_out(outcome)
