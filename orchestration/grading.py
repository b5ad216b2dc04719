"""Single-answer grading sessions as a person works through them (MT-Bench style, 1-10).

One response at a time (with its prompt and the reference answer where the dataset has one), leased
from the session (``Store.lease_next_response``: overlap, least-rated first, leases that expire).
Blind sessions hide the model's name; the judge's rating of the response is revealed only in the
outcome of a submit (and only if the session reveals the judge). ← Previous reopens an earlier
rating for editing (a new version, optimistic with ``expected_version``).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotation_store import JudgeRatingView, Progress, RatingView, ResponseView, SessionView, Store, StoreError
from orchestration.access import Access


@dataclass(frozen=True)
class GradingItem:
    """One response as this annotator sees it. ``model`` is None in blind sessions."""

    session: SessionView
    response: ResponseView
    rating: RatingView | None  # their current rating when they come back to a response
    progress: Progress

    @property
    def model(self) -> str | None:
        return None if self.session.blind else self.response.model


@dataclass(frozen=True)
class GradeOutcome:
    rating: RatingView
    model: str  # revealed after the submit
    judge: JudgeRatingView | None  # only when the session reveals the judge


class GradingDesk:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def sessions(self, actor: str | None) -> list[SessionView]:
        """The active single-answer grading sessions."""
        self.access.require(actor, "annotator")
        return [s for s in self.store.sessions(active_only=True) if s.kind == "single"]

    def _session(self, name: str | None) -> SessionView:
        if not name:
            raise StoreError("Choose a grading session first.")
        found = self.store.get_session(name)
        if found.kind != "single":
            raise StoreError(f"The session {name!r} is a pairwise session: label it on the Annotate page.")
        if not found.active:
            raise StoreError(f"The session {name!r} is closed; choose another.")
        return found

    def _item(self, session: SessionView, user: str, response: ResponseView) -> GradingItem:
        return GradingItem(
            session=session,
            response=response,
            rating=self.store.rating_of(response.id, user),
            progress=self.store.rating_progress(user, session.dataset, session.overlap),
        )

    def next_item(self, actor: str | None, session_name: str | None) -> GradingItem | None:
        """Lease the next response to rate; None when this annotator is done with the session."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        response = self.store.lease_next_response(
            user.name, session.dataset, overlap=session.overlap, lease_seconds=session.lease_seconds
        )
        return self._item(session, user.name, response) if response is not None else None

    def progress(self, actor: str | None, session_name: str | None) -> Progress:
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        return self.store.rating_progress(user.name, session.dataset, session.overlap)

    def open_item(self, actor: str | None, session_name: str | None, response_id: int) -> GradingItem:
        """A response this annotator was handed before (to look at or edit their rating)."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        if not self.store.was_shown_response(response_id, user.name):
            raise StoreError(f"You have not been shown response #{response_id}.")
        response = self.store.get_response(response_id)
        if response.dataset != session.dataset:
            raise StoreError(f"Response #{response_id} is not in this session's dataset.")
        return self._item(session, user.name, response)

    def previous(self, actor: str | None, session_name: str | None, current: int | None) -> GradingItem | None:
        """The response this annotator rated before ``current`` (or their latest one), or None."""
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        ids = self.store.rating_history(user.name, session.dataset)
        if current is not None and current in ids:
            ids = ids[ids.index(current) + 1 :]
        return self.open_item(actor, session_name, ids[0]) if ids else None

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
    ) -> GradeOutcome:
        user = self.access.require(actor, "annotator")
        session = self._session(session_name)
        if not self.store.was_shown_response(response_id, user.name):
            raise StoreError(
                f"Response #{response_id} was not handed to you; press “Next” to get one. Nothing was saved."
            )
        if self.store.get_response(response_id).dataset != session.dataset:
            raise StoreError(f"Response #{response_id} is not in this session's dataset; nothing was saved.")
        saved = self.store.save_rating(
            response_id,
            user.name,
            None if skipped else rating,
            idempotency_key=idempotency_key,
            confidence=confidence,
            comment=comment or "",
            skipped=skipped,
            flagged=flagged,
            time_on_item_ms=time_on_item_ms,
            expected_version=expected_version,
        )
        judge = self.store.latest_judge_rating(response_id) if session.reveal_judge else None
        return GradeOutcome(rating=saved, model=self.store.get_response(response_id).model, judge=judge)
