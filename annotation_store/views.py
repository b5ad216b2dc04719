"""What the store hands out and takes in: plain frozen dataclasses, never ORM objects, so that a caller
cannot lazily trigger SQL after the transaction is over. Shared by every entity module of the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ComparisonView:
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


@dataclass(frozen=True)
class ResponseView:
    """One response with its prompt, as a grader sees it (``model`` is for non-blind sessions)."""

    id: int
    dataset: str
    prompt_key: str
    category: str
    instruction: str
    input: str
    reference: str | None
    model: str
    text: str


@dataclass(frozen=True)
class VerdictView:
    comparison_id: int
    run_id: int
    judge_model: str
    profile: str
    verdict: str | None
    status: str
    reason: str
    reference: str
    raw_output: str
    latency_s: float
    probabilities: dict[str, float] | None = None


@dataclass(frozen=True)
class NewVerdict:
    """A judge verdict to store, in canonical order (``verdict`` is None unless ``status == 'ok'``)."""

    comparison_id: int
    verdict: str | None
    status: str
    reason: str = ""
    reference: str = ""
    raw_output: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    swapped: bool = False
    p_1: float | None = None
    p_2: float | None = None
    p_tie: float | None = None


@dataclass(frozen=True)
class JudgeRunView:
    run_id: int
    model: str
    profile: str
    fingerprint_key: str
    fingerprint: dict[str, Any]


@dataclass(frozen=True)
class NewJudgeRating:
    """A judge's rating to store: ``score`` (1-10) is set iff ``status == 'ok'``."""

    response_id: int
    score: float | None
    status: str
    reason: str = ""
    raw_output: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0


@dataclass(frozen=True)
class JudgeRatingView:
    response_id: int
    run_id: int
    judge_model: str
    profile: str
    score: float | None
    status: str
    reason: str
    raw_output: str
    latency_s: float


@dataclass(frozen=True)
class LabelView:
    """A stored label. ``verdict`` is None for a rating-only label or a skip."""

    comparison_id: int
    annotator: str
    verdict: str | None
    version: int
    rating: int | None = None
    confidence: int | None = None
    comment: str = ""
    skipped: bool = False
    flagged: bool = False
    time_on_item_ms: int | None = None
    presented_swapped: bool | None = False  # None: the order it was shown in is not known (imported)


@dataclass(frozen=True)
class RatingView:
    response_id: int
    annotator: str
    rating: int | None  # None: skipped
    version: int
    confidence: int | None = None
    comment: str = ""
    skipped: bool = False
    flagged: bool = False
    time_on_item_ms: int | None = None


@dataclass(frozen=True)
class AnnotatorView:
    """An annotator account, without its password hash (which never leaves the store)."""

    id: int
    name: str
    role: str
    kind: str
    active: bool
    has_password: bool


@dataclass(frozen=True)
class AdjudicationView:
    comparison_id: int
    reviewer: str
    verdict: str
    rationale: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SessionView:
    name: str
    dataset: str
    kind: str
    overlap: int
    blind: bool
    reveal_judge: bool
    randomize_order: bool
    lease_seconds: int
    gold_rate: float
    guidelines: str
    active: bool
    guideline_version: int | None = None  # the version of ``guidelines`` (``GuidelineVersion``); None: unsaved
    scale: int = 10  # a grading session's rating scale (10: 1-10, 5: 1-5); pairwise sessions keep 10, unused
    fill: str = "breadth"  # the order items are handed out in: "breadth" or "depth" (``sessions.FILL_ORDERS``)
    id: int | None = None  # the session's row id (what annotators' item handles are keyed by: ``Handed``)


@dataclass(frozen=True)
class Progress:
    """``mine``: items this annotator has answered (answers and skips) in the session (or dataset);
    ``done``: items with at least ``overlap`` answers there; ``total``: items in the dataset.

    The annotator's own numbers: gold items count here like any other, in all three (``Standing``, the lead's,
    counts them apart). Counted apart, an answer or a skip that left ``mine`` or ``done`` alone would tell the
    annotator that item was gold (after a skip nothing else tells them, and a skipped item comes back); counted
    in, ``mine`` never exceeds ``total`` and ``total`` is ``Standing.total + Standing.gold`` (s17 smallgaps)."""

    mine: int
    done: int
    total: int
    overlap: int


@dataclass(frozen=True)
class Standing:
    """Where a session stands, for its lead (``Store.session_standing``): ``done`` of ``total`` items have
    ``overlap`` answers (skips do not count), and why each other item is not done. Counted over the
    people taking part (active accounts with an answer, skip or lease in the session):

    - ``leased``: someone holds a live lease on it now (a deactivated person's lease is released);
    - ``skipped``: nobody holds it, every person taking part has answered or skipped it, and at least
      one skipped it (only those who skipped it can still finish it: they are offered it again once);
    - ``needs_people``: nobody holds it and every person taking part answered it (new people are needed);
    - ``waiting``: someone taking part has not seen it yet (it comes to them by itself).
    With nobody taking part yet (``started`` False) every open item is ``waiting``. Gold items are not among
    ``total``: ``gold`` of them, with ``gold_answers`` answers in the session (people get them at the gold rate,
    not to the overlap)."""

    done: int
    total: int
    overlap: int
    leased: int = 0
    skipped: int = 0
    needs_people: int = 0
    waiting: int = 0
    started: bool = True
    gold: int = 0
    gold_answers: int = 0

    def text(self) -> str:
        """ "57 of 60 done; 2 left only to people who skipped them, 1 leased" (the parts that are not 0), then
        the gold checks apart: "4 gold checks apart (answered 21 times)"."""
        return self._text() + self._gold_text()

    def _gold_text(self) -> str:
        if not self.gold:
            return ""
        checks = "1 gold check" if self.gold == 1 else f"{self.gold} gold checks"
        times = {0: "not answered yet", 1: "answered once"}.get(
            self.gold_answers, f"answered {self.gold_answers} times"
        )
        return f"; {checks} apart ({times})"

    def _text(self) -> str:
        each = "1 answer" if self.overlap == 1 else f"{self.overlap} answers"
        head = f"{self.done} of {self.total} done ({each} each)"
        if not self.started:
            return f"{head}; nobody has started yet"
        them = "it" if self.skipped == 1 else "them"
        parts = [
            f"{self.skipped} left only to people who skipped {them}" if self.skipped else "",
            f"{self.leased} leased" if self.leased else "",
            f"{self.needs_people} answered by everyone taking part (needs new people)" if self.needs_people else "",
            f"{self.waiting} waiting for people who have not seen {'it' if self.waiting == 1 else 'them'}"
            if self.waiting
            else "",
        ]
        said = ", ".join(part for part in parts if part)
        return f"{head}; {said}" if said else head


@dataclass(frozen=True)
class HistoryItem:
    comparison_id: int
    verdict: str | None
    skipped: bool
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class Turn:
    """One item as one annotator is to see it in one session: a fresh lease, or one they go back to.

    ``item`` is a ComparisonView (pairwise) or a ResponseView (single); ``swapped``: response 2 is
    shown on the left (pairwise only); ``answer``: their current LabelView / RatingView, if any."""

    session: SessionView
    item: Any
    swapped: bool
    is_gold: bool
    answer: Any
    progress: Progress
    # why ``answer`` can no longer be changed (something was revealed after it: ``answers.final_reason``); '': it can
    final: str = ""


@dataclass(frozen=True)
class Handed:
    """One person in one session (``Store.handed_item``): the session's and the person's row ids (None: no such
    account yet), and the item asked about when it was handed to them there (leased or answered; else None).
    What ``orchestration.item_handles`` makes annotators' item handles from and resolves a handle with."""

    session_id: int
    person_id: int | None
    item: int | None = None


@dataclass(frozen=True)
class GoldRatingView:
    """A gold response's known answer: a rating from ``low`` to ``high`` on the 1-``scale`` scale is right."""

    response_id: int
    scale: int
    low: int
    high: int
    explanation: str

    def accepts(self, rating: int | None) -> bool:
        return rating is not None and self.low <= rating <= self.high

    @property
    def answer(self) -> str:
        """The right answer as a grader reads it: "2" or "1-2"."""
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Submitted:
    """What one accepted submit wrote and may show: the answer as stored, the item answered (for
    its model names), the judge's opinion only when the session reveals it, the known answer of a
    gold item (pairwise: (verdict, explanation); ratings: ``GoldRatingView``), and (when asked for) the
    next lease, None when done."""

    session: SessionView
    item: Any
    swapped: bool
    answer: Any
    judge: Any
    gold: tuple[str, str] | GoldRatingView | None
    progress: Progress
    next: Turn | None = None
    # the answer was no skip and the session reveals after an answer: the judge's (in ``judge``) and, in a
    # blind session, the item's model names may be shown; after a skip nothing is
    reveal: bool = False
    # the guideline version the answer was recorded under (the one in force when its item was handed out);
    # older than ``session.guideline_version``: the guidelines changed while the annotator had the item
    answered_under: int | None = None
