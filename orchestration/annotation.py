"""Annotation sessions as a person works through them: lease the next comparison, show it in the
annotator's left/right order, take their answer back to canonical order, reveal the judge and gold
feedback after the submit, go back and edit earlier labels.

Presented order: ``swapped`` means response 2 is shown on the left. The annotator answers about
what they see ("left", "right", "tie" or "skip"); ``canonical_verdict`` maps it back, so the stored
verdict is always about (response 1, response 2) and the order shown is stored beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotation_store import (
    ComparisonView,
    LabelView,
    Progress,
    SessionView,
    Store,
    StoreError,
    VerdictView,
)
from orchestration.access import Access

CHOICES = ("left", "right", "tie", "skip")


def canonical_verdict(choice: str, swapped: bool) -> str | None:
    """The stored verdict (about response 1 and 2) for a choice about what was shown; None for a skip."""
    if choice not in CHOICES:
        raise StoreError(f"Answer {choice!r} is not one of {', '.join(CHOICES)}.")
    if choice in ("tie", "skip"):
        return None if choice == "skip" else "tie"
    left_is_1 = not swapped
    return "1" if (choice == "left") == left_is_1 else "2"


def presented_choice(verdict: str | None, swapped: bool) -> str | None:
    """The inverse of ``canonical_verdict``: how a stored verdict reads on screen."""
    if verdict is None:
        return None
    if verdict == "tie":
        return "tie"
    return "left" if (verdict == "1") != swapped else "right"


@dataclass(frozen=True)
class AnnotationItem:
    """One comparison as this annotator sees it."""

    session: SessionView
    comparison: ComparisonView
    swapped: bool
    is_gold: bool
    label: LabelView | None  # their current label when they come back to an item
    progress: Progress

    @property
    def left(self) -> str:
        return self.comparison.response2 if self.swapped else self.comparison.response1

    @property
    def right(self) -> str:
        return self.comparison.response1 if self.swapped else self.comparison.response2

    @property
    def left_model(self) -> str:
        return self.comparison.model2 if self.swapped else self.comparison.model1

    @property
    def right_model(self) -> str:
        return self.comparison.model1 if self.swapped else self.comparison.model2


@dataclass(frozen=True)
class SubmitOutcome:
    label: LabelView
    choice: str  # as the annotator saw it
    judge: VerdictView | None  # only when the session reveals it
    judge_choice: str | None  # the judge's verdict in the annotator's left/right terms
    gold_verdict: str | None  # the gold answer (canonical) when the item is gold
    gold_choice: str | None
    gold_explanation: str
    gold_correct: bool | None


class AnnotationDesk:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def sessions(self, actor: str | None) -> list[SessionView]:
        self.access.require(actor, "annotator")
        return [s for s in self.store.sessions(active_only=True) if s.kind == "pairwise"]

    def _session(self, name: str | None) -> SessionView:
        if not name:
            raise StoreError("Choose an annotation session first.")
        found = self.store.get_session(name)
        if found.kind != "pairwise":
            raise StoreError(f"The session {name!r} grades single responses: open it on the Grade page.")
        if not found.active:
            raise StoreError(f"The session {name!r} is closed; choose another.")
        return found

    def _item(self, session: SessionView, user: str, comparison: ComparisonView, swapped: bool) -> AnnotationItem:
        return AnnotationItem(
            session=session,
            comparison=comparison,
            swapped=swapped,
            is_gold=self.store.gold(comparison.id) is not None,
            label=self.store.label_of(comparison.id, user),
            progress=self.store.progress(user, session.dataset, session.overlap),
        )

    def next_item(self, actor: str | None, session_name: str | None) -> AnnotationItem | None:
        """Lease the next comparison (see ``Store.lease_next``); None when this annotator is done."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        leased = self.store.lease_next(
            user.name,
            session.dataset,
            overlap=session.overlap,
            lease_seconds=session.lease_seconds,
            randomize_order=session.randomize_order,
            gold_rate=session.gold_rate,
        )
        if leased is None:
            return None
        comparison, swapped = leased
        return self._item(session, user.name, comparison, swapped)

    def progress(self, actor: str | None, session_name: str | None) -> Progress:
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        return self.store.progress(user.name, session.dataset, session.overlap)

    def open_item(self, actor: str | None, session_name: str | None, comparison_id: int) -> AnnotationItem:
        """An item this annotator labelled before (to look at or edit it), in the order they saw it."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        swapped = self.store.presented_swapped(comparison_id, user.name)
        if swapped is None:
            raise StoreError(f"You have not been shown comparison #{comparison_id}.")
        comparison = self.store.get_comparison(comparison_id)
        if comparison.dataset != session.dataset:
            raise StoreError(f"Comparison #{comparison_id} is not in this session's dataset.")
        return self._item(session, user.name, comparison, swapped)

    def previous(self, actor: str | None, session_name: str | None, current: int | None) -> AnnotationItem | None:
        """The label this annotator gave before ``current`` (or their latest one), or None."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        history = self.store.history(user.name, session.dataset, limit=1000)
        ids = [h.comparison_id for h in history]
        if current is not None and current in ids:
            later = ids.index(current)
            ids = ids[later + 1 :]
        return self.open_item(actor, session_name, ids[0]) if ids else None

    def submit(
        self,
        actor: str | None,
        session_name: str | None,
        comparison_id: int,
        choice: str,
        *,
        swapped: bool,
        confidence: int | None = None,
        comment: str = "",
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> SubmitOutcome:
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        shown = self.store.presented_swapped(comparison_id, user.name)
        if shown is None:
            raise StoreError(
                f"Comparison #{comparison_id} was not handed to you; press “Next” to get an item. Nothing was saved."
            )
        if shown != swapped:
            raise StoreError("The page shows an outdated left/right order; reload it. Nothing was saved.")
        verdict = canonical_verdict(choice, swapped)
        label = self.store.save_label(
            comparison_id,
            user.name,
            verdict,
            idempotency_key=idempotency_key,
            confidence=confidence,
            comment=comment or "",
            skipped=choice == "skip",
            flagged=flagged,
            time_on_item_ms=time_on_item_ms,
            presented_swapped=swapped,
            expected_version=expected_version,
        )
        judge = self.store.latest_verdict(comparison_id) if session.reveal_judge else None
        gold = self.store.gold(comparison_id)
        gold_verdict = gold[0] if gold else None
        return SubmitOutcome(
            label=label,
            choice=choice,
            judge=judge,
            judge_choice=presented_choice(judge.verdict, swapped) if judge else None,
            gold_verdict=gold_verdict,
            gold_choice=presented_choice(gold_verdict, swapped),
            gold_explanation=gold[1] if gold else "",
            gold_correct=(label.verdict == gold_verdict) if gold and not label.skipped else None,
        )
