"""Single-answer grading (MT-Bench style): people and the judge rate one response 1-10.

A mixin of ``Store``. The patterns are those of pairwise labels (``Store.save_label``,
``Store.lease_next``): one current rating per (response, annotator) with a version, an append-only
event log whose idempotency keys make a retry (even a stale one) a no-op, optimistic edits with
``expected_version``, and leases with an overlap target, least-rated responses first. Judge ratings
are stored per judge run (fingerprint) and response; the score is present exactly when the output
parsed (status ``ok``), so an unparsed output is never a number.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from annotation_store.accounts import clean_name
from annotation_store.answers import Answers, least_covered, seen_key, upsert_answer
from annotation_store.errors import StoreError
from annotation_store.models import (
    CONFIDENCE_RANGE,
    PARSE_STATUSES,
    RATING_RANGE,
    Annotator,
    CandidateModel,
    Dataset,
    JudgeRating,
    JudgeRun,
    Prompt,
    Rating,
    RatingAssignment,
    RatingEvent,
    Response,
    utcnow,
)
from annotation_store.sessions import Progress

MAX_COMMENT = 10_000
MAX_TIME_ON_ITEM_MS = 7 * 24 * 3600 * 1000


RATINGS = Answers(
    row=Rating,
    event=RatingEvent,
    lease=RatingAssignment,
    item="response_id",
    event_link="rating_id",
    event_fields=("rating", "confidence", "comment", "skipped", "flagged"),
    noun="rating of response",
)


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


RATING_COLUMNS = [
    "response_id",
    "annotator",
    "rating",
    "skipped",
    "flagged",
    "confidence",
    "comment",
    "time_on_item_ms",
    "version",
    "updated_at",
    "model",
    "prompt",
    "category",
]
JUDGE_RATING_COLUMNS = ["response_id", "run_id", "judge", "profile", "score", "status", "created_at", "model"]
JUDGE_RATING_COLUMNS += ["prompt", "category"]


def _int_in(value: Any, field: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StoreError(f"The {field} must be a whole number from {low} to {high}, got {value!r}; nothing was saved.")
    return value


def _rating_values(
    rating: Any, confidence: Any, comment: Any, skipped: Any, flagged: Any, time_on_item_ms: Any
) -> dict[str, Any]:
    """Validate a rating before any SQL runs (a refusal writes nothing); messages name the field."""
    for value, field in ((skipped, "skipped"), (flagged, "flagged")):
        if not isinstance(value, bool):
            raise StoreError(f"{field} must be True or False, got {value!r}; nothing was saved.")
    if skipped and rating is not None:
        raise StoreError("A skipped response has no rating; send rating=None with skipped=True. Nothing was saved.")
    if not skipped and rating is None:
        raise StoreError(
            f"Choose a rating from {RATING_RANGE[0]} to {RATING_RANGE[1]} (or skip the response); nothing was saved."
        )
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise StoreError(f"The comment must be text of at most {MAX_COMMENT} characters; nothing was saved.")
    return {
        "rating": _int_in(rating, "rating", *RATING_RANGE),
        "confidence": _int_in(confidence, "confidence", *CONFIDENCE_RANGE),
        "comment": comment,
        "skipped": skipped,
        "flagged": flagged,
        "time_on_item_ms": _int_in(time_on_item_ms, "time on item (ms)", 0, MAX_TIME_ON_ITEM_MS),
    }


def _rating_view(session: Session, row: Rating) -> RatingView:
    name = session.scalar(select(Annotator.name).where(Annotator.id == row.annotator_id)) or ""
    return RatingView(
        row.response_id,
        name,
        row.rating,
        row.version,
        confidence=row.confidence,
        comment=row.comment,
        skipped=bool(row.skipped),
        flagged=bool(row.flagged),
        time_on_item_ms=row.time_on_item_ms,
    )


def _response_query() -> Any:
    return (
        select(
            Response.id,
            Dataset.name,
            Prompt.key,
            Prompt.category,
            Prompt.instruction,
            Prompt.input,
            Prompt.reference,
            CandidateModel.name,
            Response.text,
        )
        .join(Prompt, Response.prompt_id == Prompt.id)
        .join(Dataset, Prompt.dataset_id == Dataset.id)
        .join(CandidateModel, Response.model_id == CandidateModel.id)
    )


class RatingsMixin:
    """Single-answer ratings (people and judge) for ``Store``."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractContextManager[Session]: ...
        def _write(self) -> AbstractContextManager[Session]: ...

    # ------------------------------------------------------------------ responses
    def get_response(self, response_id: int) -> ResponseView:
        with self._read() as session:
            row = session.execute(_response_query().where(Response.id == response_id)).first()
        if row is None:
            raise StoreError(f"There is no response with id {response_id}.")
        return ResponseView(*row)

    def responses(self, dataset: str) -> list[ResponseView]:
        """Every response of ``dataset`` with its prompt, in id order."""
        with self._read() as session:
            rows = session.execute(_response_query().where(Dataset.name == dataset).order_by(Response.id)).all()
        return [ResponseView(*row) for row in rows]

    # ------------------------------------------------------------------ leases
    def lease_next_response(
        self, annotator: str, dataset: str, *, overlap: int = 1, lease_seconds: int = 900
    ) -> ResponseView | None:
        """Lease the next response of ``dataset`` to rate, or None when this annotator is done.

        As ``Store.lease_next``: one write transaction picks and leases; a live lease of the same
        annotator is handed out again (a reload does not take a second response); picked is the
        response with the fewest ratings (skips do not count) plus others' live leases, among those
        below ``overlap``, that this annotator has not rated or skipped; ties by id.
        """
        name = clean_name(annotator)
        if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
            raise StoreError(f"overlap must be a whole number of at least 1, got {overlap!r}.")
        if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, int) or lease_seconds < 0:
            raise StoreError(f"lease_seconds must be a whole number of at least 0, got {lease_seconds!r}.")
        with self._write() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreError(f"There is no dataset {dataset!r}.")
            person = session.scalar(select(Annotator).where(Annotator.name == name))
            if person is None:
                person = Annotator(name=name)
                session.add(person)
                session.flush()
            elif not person.active:
                raise StoreError(f"The account {name!r} is deactivated; ask an admin.")
            now = utcnow()
            in_dataset = select(Response.id).join(Prompt, Response.prompt_id == Prompt.id)
            in_dataset = in_dataset.where(Prompt.dataset_id == dataset_id)
            live = and_(RatingAssignment.completed_at.is_(None), RatingAssignment.lease_expires_at > now)
            assignment = session.scalars(
                select(RatingAssignment)
                .where(
                    RatingAssignment.annotator_id == person.id,
                    live,
                    RatingAssignment.response_id.in_(in_dataset),
                )
                .order_by(RatingAssignment.leased_at, RatingAssignment.id)
                .limit(1)
            ).first()
            if assignment is None:
                response_id = least_covered(session, RATINGS, Response.id, in_dataset, person.id, overlap, now)
                if response_id is None:
                    return None
                assignment = session.scalar(
                    select(RatingAssignment).where(
                        RatingAssignment.response_id == response_id, RatingAssignment.annotator_id == person.id
                    )
                )
                if assignment is None:
                    assignment = RatingAssignment(response_id=response_id, annotator_id=person.id)
                    session.add(assignment)
                assignment.leased_at = now
            assignment.lease_expires_at = now + timedelta(seconds=lease_seconds)
            session.flush()
            row = session.execute(_response_query().where(Response.id == assignment.response_id)).first()
            assert row is not None  # a foreign key
            return ResponseView(*row)

    def was_shown_response(self, response_id: int, annotator: str) -> bool:
        """Whether this annotator was ever leased (or rated) the response."""
        name = (annotator or "").strip()
        with self._read() as session:
            for model in (Rating, RatingAssignment):
                found = session.scalar(
                    select(model.id)
                    .join(Annotator, model.annotator_id == Annotator.id)
                    .where(model.response_id == response_id, Annotator.name == name)
                )
                if found is not None:
                    return True
        return False

    # ------------------------------------------------------------------ ratings
    def save_rating(
        self,
        response_id: int,
        annotator: str,
        rating: int | None,
        *,
        idempotency_key: str | None = None,
        confidence: int | None = None,
        comment: str = "",
        skipped: bool = False,
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        expected_version: int | None = None,
    ) -> RatingView:
        """Insert or change this annotator's rating of the response; every change is logged.

        Mirrors ``Store.save_label``: a repeated ``idempotency_key`` (of any earlier accepted
        submission, not only the latest) stores nothing and returns the rating as it is now, so a
        stale retry never overwrites a later edit; saving exactly what is stored adds no version;
        ``expected_version`` (0: "no rating yet") refuses an edit when the rating changed since it
        was read. A rating is 1-10, or ``skipped=True`` with ``rating=None``.
        """
        name = clean_name(annotator)
        values = _rating_values(rating, confidence, comment, skipped, flagged, time_on_item_ms)
        if idempotency_key is not None and (not isinstance(idempotency_key, str) or len(idempotency_key) > 100):
            raise StoreError("The submission key must be text of at most 100 characters; nothing was saved.")
        try:
            with self._write() as session:
                if session.get(Response, response_id) is None:
                    raise StoreError(f"There is no response with id {response_id}; the rating was not saved.")
                if idempotency_key and (seen := seen_key(session, RATINGS, idempotency_key)) is not None:
                    view = _rating_view(session, seen)
                    if (view.response_id, view.annotator) != (response_id, name):
                        raise StoreError(
                            "This submission's key was already used for another rating; reload the page "
                            "and submit again. Nothing was saved."
                        )
                    return view
                person = session.scalar(select(Annotator).where(Annotator.name == name))
                if person is None:
                    person = Annotator(name=name)
                    session.add(person)
                    session.flush()
                elif not person.active:
                    raise StoreError(f"The account {name!r} is deactivated; nothing was saved.")
                row = upsert_answer(session, RATINGS, response_id, person.id, values, idempotency_key, expected_version)
                return _rating_view(session, row)
        except IntegrityError as exc:
            raise StoreError(f"The rating could not be saved because of a concurrent write: {exc.orig}") from exc

    def rating_of(self, response_id: int, annotator: str) -> RatingView | None:
        name = (annotator or "").strip()
        with self._read() as session:
            row = session.scalar(
                select(Rating)
                .join(Annotator, Rating.annotator_id == Annotator.id)
                .where(Rating.response_id == response_id, Annotator.name == name)
            )
            return _rating_view(session, row) if row is not None else None

    def rating_history(self, annotator: str, dataset: str) -> list[int]:
        """The response ids this annotator rated or skipped in ``dataset``, latest change first."""
        query = (
            select(Rating.response_id)
            .join(Annotator, Rating.annotator_id == Annotator.id)
            .join(Response, Rating.response_id == Response.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .join(Dataset, Prompt.dataset_id == Dataset.id)
            .where(Annotator.name == (annotator or "").strip(), Dataset.name == dataset)
            .order_by(Rating.updated_at.desc(), Rating.id.desc())
        )
        with self._read() as session:
            return list(session.scalars(query))

    def ratings(self, dataset: str | None = None) -> pd.DataFrame:
        """Every current rating (skips included, ``rating`` NaN): RATING_COLUMNS."""
        query = (
            select(
                Rating.response_id,
                Annotator.name.label("annotator"),
                Rating.rating,
                Rating.skipped,
                Rating.flagged,
                Rating.confidence,
                Rating.comment,
                Rating.time_on_item_ms,
                Rating.version,
                Rating.updated_at,
                CandidateModel.name.label("model"),
                Prompt.key.label("prompt"),
                Prompt.category,
            )
            .join(Annotator, Rating.annotator_id == Annotator.id)
            .join(Response, Rating.response_id == Response.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .order_by(Rating.id)
        )
        if dataset:
            query = query.join(Dataset, Prompt.dataset_id == Dataset.id).where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=RATING_COLUMNS)

    def rating_events(self) -> pd.DataFrame:
        query = select(
            RatingEvent.rating_id,
            RatingEvent.response_id,
            RatingEvent.action,
            RatingEvent.rating,
            RatingEvent.skipped,
            RatingEvent.version,
            RatingEvent.idempotency_key,
        ).order_by(RatingEvent.id)
        columns = ["rating_id", "response_id", "action", "rating", "skipped", "version", "idempotency_key"]
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=columns)

    def rating_progress(self, annotator: str, dataset: str, overlap: int = 1) -> Progress:
        """``mine``: responses this annotator rated or skipped; ``done``: responses with ``overlap``
        ratings (skips do not count); ``total``: responses in the dataset."""
        with self._read() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreError(f"There is no dataset {dataset!r}.")
            in_dataset = (
                select(Response.id).join(Prompt, Response.prompt_id == Prompt.id).where(Prompt.dataset_id == dataset_id)
            )
            total = int(session.scalar(select(func.count()).select_from(in_dataset.subquery())) or 0)
            mine = int(
                session.scalar(
                    select(func.count())
                    .select_from(Rating)
                    .join(Annotator, Rating.annotator_id == Annotator.id)
                    .where(Annotator.name == (annotator or "").strip(), Rating.response_id.in_(in_dataset))
                )
                or 0
            )
            per_item = (
                select(Rating.response_id)
                .where(Rating.response_id.in_(in_dataset), Rating.skipped.is_(False))
                .group_by(Rating.response_id)
                .having(func.count() >= overlap)
                .subquery()
            )
            done = int(session.scalar(select(func.count()).select_from(per_item)) or 0)
        return Progress(mine=mine, done=done, total=total, overlap=overlap)

    # ------------------------------------------------------------------ judge ratings
    def rated_response_ids(self, run_id: int) -> set[int]:
        with self._read() as session:
            return set(session.scalars(select(JudgeRating.response_id).where(JudgeRating.run_id == run_id)))

    def save_judge_rating(self, run_id: int, new: NewJudgeRating) -> None:
        """Store (or replace) the run's rating of a response; a score only with status ``ok``."""
        if new.status not in PARSE_STATUSES:
            raise StoreError(f"Unknown judge status {new.status!r}; use one of {', '.join(PARSE_STATUSES)}.")
        score = new.score
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise StoreError(f"The judge's score must be a number, got {score!r}; nothing was saved.")
        if (new.status == "ok") != (score is not None):
            raise StoreError(
                f"A judge score is stored exactly when the status is 'ok'; got {score!r} with {new.status!r}."
            )
        if score is not None and not RATING_RANGE[0] <= score <= RATING_RANGE[1]:
            raise StoreError(f"The judge's score must be from {RATING_RANGE[0]} to {RATING_RANGE[1]}, got {score!r}.")
        with self._write() as session:
            if session.get(JudgeRun, run_id) is None:
                raise StoreError(f"There is no judge run with id {run_id}; nothing was saved.")
            if session.get(Response, new.response_id) is None:
                raise StoreError(f"There is no response with id {new.response_id}; nothing was saved.")
            row = session.scalar(
                select(JudgeRating).where(JudgeRating.run_id == run_id, JudgeRating.response_id == new.response_id)
            )
            if row is None:
                row = JudgeRating(run_id=run_id, response_id=new.response_id)
                session.add(row)
            for key, value in new.__dict__.items():
                setattr(row, key, value)
            row.score = None if score is None else float(score)
            row.created_at = utcnow()

    def latest_judge_rating(self, response_id: int) -> JudgeRatingView | None:
        with self._read() as session:
            found = session.execute(
                select(JudgeRating, JudgeRun.model, JudgeRun.profile)
                .join(JudgeRun, JudgeRating.run_id == JudgeRun.id)
                .where(JudgeRating.response_id == response_id)
                .order_by(JudgeRating.created_at.desc(), JudgeRating.id.desc())
                .limit(1)
            ).first()
            if found is None:
                return None
            row, model, profile = found
            return JudgeRatingView(
                row.response_id,
                row.run_id,
                model,
                profile,
                row.score,
                row.status,
                row.reason,
                row.raw_output,
                row.latency_s,
            )

    def judge_ratings(self, dataset: str | None = None) -> pd.DataFrame:
        """Every judge rating (oldest first): JUDGE_RATING_COLUMNS; ``score`` NaN unless status ok."""
        query = (
            select(
                JudgeRating.response_id,
                JudgeRating.run_id,
                JudgeRun.model.label("judge"),
                JudgeRun.profile,
                JudgeRating.score,
                JudgeRating.status,
                JudgeRating.created_at,
                CandidateModel.name.label("model"),
                Prompt.key.label("prompt"),
                Prompt.category,
            )
            .join(JudgeRun, JudgeRating.run_id == JudgeRun.id)
            .join(Response, JudgeRating.response_id == Response.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .order_by(JudgeRating.id)
        )
        if dataset:
            query = query.join(Dataset, Prompt.dataset_id == Dataset.id).where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=JUDGE_RATING_COLUMNS)
