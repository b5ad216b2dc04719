"""``POST /api/v1/labels``: submit (or change) your label on a leased comparison; idempotent with a key."""

# No ``from __future__ import annotations``: FastAPI reads the handlers' annotations at run time.
import hashlib
from typing import Annotated, ClassVar, Literal

from fastapi import Header
from pydantic import BaseModel, Field, model_validator

from orchestration import SubmitOutcome
from orchestration.item_handles import HANDLE_PATTERN
from web.routes.common import (
    ITEM_IN,
    MAX_ID,
    SUBMIT_ANSWERS,
    AnswerExtrasIn,
    Caller,
    LabelOut,
    StudioDep,
    api_router,
    comparison_id_or_400,
    label_out,
    unknown_as_not_handed,
)

router = api_router("annotation")


class ItemIn(AnswerExtrasIn):
    """A submit's item: ``item`` (its handle) or, from reviewers and admins, its id (``id_field``)."""

    id_field: ClassVar[str] = "comparison_id"  # the id field: ``LabelIn``'s comparison_id, ``RatingIn``'s response_id
    item: str | None = Field(default=None, pattern=HANDLE_PATTERN, description=ITEM_IN)

    @model_validator(mode="after")
    def one_item(self) -> "ItemIn":
        if (self.item is None) == (getattr(self, self.id_field) is None):
            raise ValueError(f"send either `item` (the handle POST /sessions/{{name}}/next gave) or `{self.id_field}`")
        return self


class LabelIn(ItemIn):
    session: str = Field(max_length=200)
    comparison_id: int | None = Field(
        default=None, description=f"1 to {MAX_ID}; reviewers and admins only (annotators send `item`: 403)"
    )
    choice: Literal["left", "right", "tie", "skip"] = Field(description="about what you were shown")
    swapped: bool | None = Field(
        default=None,
        description="optional, for older clients: the left/right order is the one your lease drew (a value "
        "that differs from it is 409); leave it out",
    )


class JudgeRevealOut(BaseModel):
    judge_model: str
    verdict: Literal["1", "2", "tie"] | None = Field(description="null when uncertain or unparsed (see `status`)")
    choice: Literal["left", "right", "tie"] | None = Field(description="the judge's verdict in your left/right terms")
    status: str = Field(description='"ok", "uncertain" (as the report counts it: no win, no tie) or why none')
    uncertain: bool = Field(description="top two probabilities closer than the server's `uncertain_margin`")
    leaning: Literal["1", "2", "tie"] | None = Field(description="an uncertain verdict's side (else null)")
    leaning_choice: Literal["left", "right", "tie"] | None = Field(description="`leaning` in your left/right terms")
    probabilities: dict[str, float] | None = Field(description='{"1", "2", "tie"}; null when the judge gave none')
    reason: str


class GoldOut(BaseModel):
    correct: bool | None
    choice: Literal["left", "right", "tie"] | None
    explanation: str


class ModelsOut(BaseModel):
    left_model: str = Field(description="the model whose response you saw on the left")
    right_model: str


class SubmitOut(BaseModel):
    label: LabelOut
    judge: JudgeRevealOut | None = Field(description="only when the session reveals the judge")
    models: ModelsOut | None = Field(
        default=None,
        description="the two models, where the Annotate page names them after this answer: in an open session "
        "after an answer (null after a skip: the item named them already); in a blind session only where it "
        "reveals the judge (this label then can no longer be changed: the names were shown), never after a skip",
    )
    gold: GoldOut | None = Field(description="feedback on an attention-check item")
    notice: str = Field(
        default="",
        description="e.g. 'The guidelines changed (version 3): ...' when the session's guidelines changed while "
        "you had the item (your label records the version in force when it was handed to you); '' otherwise",
    )


def _submit_out(outcome: SubmitOutcome) -> SubmitOut:
    judge = None
    if outcome.judge is not None:
        unsure = outcome.judge_uncertain  # as the report's rows: verdict moves to ``leaning``, status "uncertain"
        judge = JudgeRevealOut(
            judge_model=outcome.judge.judge_model,
            verdict=None if unsure else outcome.judge.verdict,  # type: ignore[arg-type]
            choice=None if unsure else outcome.judge_choice,  # type: ignore[arg-type]
            status="uncertain" if unsure else outcome.judge.status,
            uncertain=unsure,
            leaning=outcome.judge.verdict if unsure else None,  # type: ignore[arg-type]
            leaning_choice=outcome.judge_choice if unsure else None,  # type: ignore[arg-type]
            probabilities=outcome.judge.probabilities,
            reason=outcome.judge.reason,
        )
    gold = None
    if outcome.gold_verdict is not None:
        gold = GoldOut(
            correct=outcome.gold_correct,
            choice=outcome.gold_choice,  # type: ignore[arg-type]
            explanation=outcome.gold_explanation,
        )
    models = None
    if outcome.names and outcome.item is not None:  # the page's rule (``names_after``), from one place
        models = ModelsOut(left_model=outcome.item.left_model, right_model=outcome.item.right_model)
    label = label_out(outcome.label, outcome.ref)
    return SubmitOut(label=label, judge=judge, models=models, gold=gold, notice=outcome.notice)


def scoped_idempotency_key(user: str, key: str | None) -> str | None:
    """Keys are per user (two clients may both send "1"), and the stored column is 100 characters (the
    ratings route scopes its keys the same way: ``web.routes.ratings``)."""
    if not key:
        return None
    return "api:" + hashlib.sha256(f"{user}\n{key}".encode()).hexdigest()


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="send the same key when you retry: the answer is stored once and the same one comes back",
    ),
]


@router.post(
    "/labels",
    response_model=SubmitOut,
    responses=SUBMIT_ANSWERS,
)
def submit_label(user: Caller, studio: StudioDep, body: LabelIn, idempotency_key: IdempotencyKey = None) -> SubmitOut:
    """Submit (or change) your label on a leased comparison (annotator+), named by its `item` (the handle your lease
    gave; an unknown one is 404 naming it) or, reviewers and admins, by `comparison_id` (from an annotator: 403).
    An id that does not exist answers 409 like one not leased to you, so the answer does not tell which ids exist."""
    chosen = studio.desk.chosen(user.name, body.session, handle=body.item, item_id=body.comparison_id)
    if body.item is None:  # a reviewer's id: a larger one is a mistake to fix, not an unknown comparison
        comparison_id_or_400(chosen.id)
    with unknown_as_not_handed(studio, body.session, chosen, user.name):
        outcome = studio.desk.submit(
            user.name,
            body.session,
            chosen.id,
            body.choice,
            swapped=body.swapped,
            idempotency_key=scoped_idempotency_key(user.name, idempotency_key),
            **body.extras(),
        )
    return _submit_out(outcome)
