"""Single-answer grading sessions (MT-Bench style, 1-10): the answer desk with the 'single' kind.

One response at a time (with its prompt and the reference answer where the dataset has one), leased
from the session like every answer (``Store.lease``: overlap per session, least-rated first, leases
that expire). Blind sessions hide the model's name; the judge's rating of the response is revealed
only in the outcome of a submit (and only if the session reveals the judge). ← Previous reopens an
earlier rating for editing (a new version, optimistic with ``expected_version``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation_store import JudgeRatingView, Progress, RatingView, ResponseView, SessionView, Store, Submitted, Turn
from orchestration.access import Access
from orchestration.annotation import AnswerDesk


@dataclass(frozen=True)
class GradingItem:
    """One response as this annotator sees it. ``model`` is None in blind sessions."""

    session: SessionView
    response: ResponseView
    rating: RatingView | None  # their current rating when they come back to a response
    progress: Progress

    @property
    def id(self) -> int:
        return self.response.id

    @property
    def model(self) -> str | None:
        return None if self.session.blind else self.response.model


@dataclass(frozen=True)
class GradeOutcome:
    rating: RatingView
    model: str  # revealed after the submit
    judge: JudgeRatingView | None  # only when the session reveals the judge
    progress: Progress | None = None  # after the submit
    next: GradingItem | None = None  # the next lease, when asked for with the submit


class Single:
    """Single-answer ratings: one response, rated 1-10 or skipped."""

    name = "single"

    def item(self, turn: Turn) -> GradingItem:
        return GradingItem(turn.session, turn.item, turn.answer, turn.progress)

    def outcome(self, submitted: Submitted, answer: dict[str, Any]) -> GradeOutcome:
        return GradeOutcome(
            rating=submitted.answer,
            model=submitted.item.model,
            judge=submitted.judge,
            progress=submitted.progress,
            next=self.item(submitted.next) if submitted.next is not None else None,
        )


SINGLE = Single()


class GradingDesk(AnswerDesk[GradingItem, GradeOutcome]):
    """The desk for single-answer ratings (the Grade page)."""

    def __init__(self, store: Store, access: Access) -> None:
        super().__init__(store, access, SINGLE)

    def submit(
        self,
        actor: str | None,
        session_name: str | None,
        response_id: int,
        rating: int | None,
        *,
        skipped: bool = False,
        confidence: int | None = None,
        comment: str = "",
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        then_next: bool = False,
    ) -> GradeOutcome:
        answer = {
            "rating": None if skipped else rating,
            "skipped": skipped,
            "confidence": confidence,
            "comment": comment or "",
            "flagged": flagged,
            "time_on_item_ms": time_on_item_ms,
        }
        return self.answer(
            actor,
            session_name,
            response_id,
            answer,
            idempotency_key=idempotency_key,
            expected_version=expected_version,
            then_next=then_next,
        )
