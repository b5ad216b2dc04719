"""Single-answer grading (MT-Bench style): people and the judge rate one response 1-10 or 1-5.

A mixin of ``Store``. The patterns are those of pairwise labels (``Store.save_label``,
``Store.lease_next``): one current rating per (response, annotator) with a version, an append-only
event log whose idempotency keys make a retry (even a stale one) a no-op, optimistic edits with
``expected_version``, and leases with an overlap target, least-rated responses first. Judge ratings
are stored per judge run (fingerprint) and response; the score is present exactly when the output
parsed (status ``ok``), so an unparsed output is never a number. Each judge rating keeps its
profile's ``scale`` (10 or 5) and each person's rating the scale of the session it was given in
(``scales.py``: a submit outside it is refused inside the write transaction), so the two are only
compared on the same scale (``analysis.ratings``). Grading sessions may route people to the
responses the judge is least sure of (``assignment.py``); ``rating_draw_probabilities`` gives each
response's draw probability π, as ``Store.draw_probabilities`` does for comparisons.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotation_store.answers import (
    AnswerKind,
    AnswersMixin,
    Pool,
    annotator_id,
    dataset_id_of,
    first_answer,
    history_ids,
    progress,
)
from annotation_store.assignment import JUDGE_UNCERTAIN_FIRST, inclusion, session_draws, uncertain_sessions
from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.errors import StoreError
from annotation_store.models import (
    CONFIDENCE_RANGE,
    PARSE_STATUSES,
    RATING_RANGE,
    RATING_SCALES,
    AnnotationSession,
    Annotator,
    CandidateModel,
    Dataset,
    GoldRating,
    JudgeRating,
    JudgeRun,
    Prompt,
    Rating,
    RatingAssignment,
    RatingEvent,
    Response,
    utcnow,
)
from annotation_store.scales import check_in_session
from annotation_store.sessions import SESSION_DEFAULTS, find_session
from annotation_store.set_aside import counted
from annotation_store.views import GoldRatingView, JudgeRatingView, NewJudgeRating, Progress, RatingView, ResponseView

if TYPE_CHECKING:
    import pandas as pd

MAX_COMMENT = 10_000
MAX_TIME_ON_ITEM_MS = 7 * 24 * 3600 * 1000

__all__ = ["JudgeRatingView", "NewJudgeRating", "RATINGS", "RatingView", "RatingsMixin", "ResponseView"]


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
    "scale",
    "first_rating",  # the rating of its first answer that was no skip (what a gold check counts)
]
JUDGE_RATING_COLUMNS = ["response_id", "run_id", "judge", "profile", "score", "status", "created_at", "model"]
JUDGE_RATING_COLUMNS += ["prompt", "category", "scale", "rating_sd", "reason"]


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
            f"Choose a rating from {RATING_RANGE[0]} to {RATING_RANGE[1]} (1 to 5 in a 1-5 session), or skip the "
            "response; nothing was saved."
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


def rating_view(row: Rating, name: str) -> RatingView:
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


@functools.cache
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


def read_response(session: Session, response_id: int) -> ResponseView | None:
    row = session.execute(_response_query().where(Response.id == response_id)).first()
    return ResponseView(*row) if row is not None else None


def responses_in(dataset_id: int | None) -> Any:
    """A select of the response ids of a dataset (None: of every dataset)."""
    query = select(Response.id)
    if dataset_id is None:
        return query
    return query.join(Prompt, Response.prompt_id == Prompt.id).where(Prompt.dataset_id == dataset_id)


def read_latest_judge_rating(session: Session, response_id: int) -> JudgeRatingView | None:
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
        row.response_id, row.run_id, model, profile, row.score, row.status, row.reason, row.raw_output, row.latency_s
    )


def _check_rating(
    rating: Any = None,
    confidence: Any = None,
    comment: Any = "",
    skipped: Any = False,
    flagged: Any = False,
    time_on_item_ms: Any = None,
) -> dict[str, Any]:
    return _rating_values(rating, confidence, comment, skipped, flagged, time_on_item_ms)


RATINGS = AnswerKind(
    name="single",
    row=Rating,
    event=RatingEvent,
    lease=RatingAssignment,
    item="response_id",
    event_link="rating_id",
    event_fields=("rating", "confidence", "comment", "skipped", "flagged"),
    noun="rating of response",
    item_noun="Response",
    items_in=responses_in,
    read_item=read_response,
    answer_view=rating_view,
    judge_of=read_latest_judge_rating,
    judge_rows=JudgeRating,
    check=_check_rating,
    item_model=Response,
    short="rating",
    in_session=lambda pool, values: check_in_session(pool.scale, values),
    gold=GoldRating,
    gold_view=lambda row: GoldRatingView(row.response_id, row.scale, row.low, row.high, row.explanation),
    judge_answer="the judge's rating",
    model_names="the model's name",
)


class RatingsMixin(AnswersMixin, StoreBase):
    """Single-answer ratings (people and judge) for ``Store``."""

    # ------------------------------------------------------------------ responses
    def get_response(self, response_id: int) -> ResponseView:
        with self._read() as session:
            found = read_response(session, response_id)
        if found is None:
            raise StoreNotFound(f"There is no response with id {response_id}.")
        return found

    def responses(self, dataset: str) -> list[ResponseView]:
        """Every response of ``dataset`` with its prompt, in id order."""
        with self._read() as session:
            rows = session.execute(_response_query().where(Dataset.name == dataset).order_by(Response.id)).all()
        return [ResponseView(*row) for row in rows]

    # ------------------------------------------------------------------ leases
    def lease_next_response(
        self,
        annotator: str,
        dataset: str,
        *,
        overlap: int = 1,
        lease_seconds: int = SESSION_DEFAULTS["lease_seconds"],
    ) -> ResponseView | None:
        """Lease the next response of ``dataset`` to rate outside a session, or None when this annotator
        is done; the flow of ``Store.lease_next`` (least rated first, skips do not count, a reload keeps
        the lease). People work in sessions (``Store.lease``)."""
        pool = Pool(None, None, overlap, lease_seconds)
        leased = self._lease_sessionless(RATINGS, annotator, dataset, pool)
        return leased[0] if leased is not None else None

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
        values = _rating_values(rating, confidence, comment, skipped, flagged, time_on_item_ms)
        return self._save_sessionless(RATINGS, annotator, response_id, values, idempotency_key, expected_version)

    def rating_of(self, response_id: int, annotator: str) -> RatingView | None:
        name = (annotator or "").strip()
        with self._read() as session:
            row = session.scalar(
                select(Rating)
                .join(Annotator, Rating.annotator_id == Annotator.id)
                .where(Rating.response_id == response_id, Annotator.name == name)
            )
            return rating_view(row, name) if row is not None else None

    def rating_history(self, annotator: str, dataset: str) -> list[int]:
        """The response ids this annotator rated or skipped in ``dataset``, latest change first."""
        with self._read() as session:
            who = annotator_id(session, annotator)
            pool = Pool(dataset_id_of(session, dataset))
            return history_ids(session, RATINGS, pool, who, 100_000) if who is not None else []

    def ratings(self, dataset: str | None = None) -> pd.DataFrame:
        """Every current rating (skips included, ``rating`` NaN): RATING_COLUMNS."""
        import pandas as pd

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
                func.coalesce(AnnotationSession.scale, 10).label("scale"),
                first_answer(RATINGS, "rating").label("first_rating"),
            )
            .join(Annotator, Rating.annotator_id == Annotator.id)
            .outerjoin(AnnotationSession, Rating.session_id == AnnotationSession.id)
            .join(Response, Rating.response_id == Response.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .where(counted(Rating.annotator_id))
            .order_by(Rating.id)
        )
        if dataset:
            query = query.join(Dataset, Prompt.dataset_id == Dataset.id).where(Dataset.name == dataset)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=RATING_COLUMNS)

    def rating_events(self) -> pd.DataFrame:
        import pandas as pd

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
        """Progress on a whole dataset, every rating counted (see ``Store.answer_progress`` for a session)."""
        with self._read() as session:
            pool = Pool(dataset_id_of(session, dataset), overlap=overlap)
            return progress(session, RATINGS, pool, annotator_id(session, annotator))

    # ------------------------------------------------------------------ judge ratings
    def rated_response_ids(self, run_id: int) -> set[int]:
        with self._read() as session:
            return set(session.scalars(select(JudgeRating.response_id).where(JudgeRating.run_id == run_id)))

    def save_judge_rating(
        self, run_id: int, new: NewJudgeRating, *, scale: int = 10, rating_sd: float | None = None
    ) -> None:
        """Store (or replace) the run's rating of a response; a score only with status ``ok``, from 1 to
        ``scale`` (the profile's: 10 for mtbench-single, 5 for the Prometheus 2 and Selene absolute
        profiles). ``rating_sd``: the spread of the judge's rating probabilities (rating_mode 'expected')."""
        if isinstance(scale, bool) or scale not in RATING_SCALES:
            raise StoreError(f"A judge rating's scale must be 10 or 5, got {scale!r}; nothing was saved.")
        if rating_sd is not None and not 0 <= rating_sd <= (scale - 1) / 2:
            raise StoreError(f"The spread of the judge's ratings must be 0 to {(scale - 1) / 2:g}, got {rating_sd!r}.")
        if new.status not in PARSE_STATUSES:
            raise StoreError(f"Unknown judge status {new.status!r}; use one of {', '.join(PARSE_STATUSES)}.")
        score = new.score
        if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
            raise StoreError(f"The judge's score must be a number, got {score!r}; nothing was saved.")
        if (new.status == "ok") != (score is not None):
            raise StoreError(
                f"A judge score is stored exactly when the status is 'ok'; got {score!r} with {new.status!r}."
            )
        if score is not None and not RATING_RANGE[0] <= score <= scale:
            raise StoreError(f"The judge's score must be from {RATING_RANGE[0]} to {scale}, got {score!r}.")
        with self._write() as session:
            if session.get(JudgeRun, run_id) is None:
                raise StoreNotFound(f"There is no judge run with id {run_id}; nothing was saved.")
            if session.get(Response, new.response_id) is None:
                raise StoreNotFound(f"There is no response with id {new.response_id}; nothing was saved.")
            row = session.scalar(
                select(JudgeRating).where(JudgeRating.run_id == run_id, JudgeRating.response_id == new.response_id)
            )
            if row is None:
                row = JudgeRating(run_id=run_id, response_id=new.response_id)
                session.add(row)
            for key, value in new.__dict__.items():
                setattr(row, key, value)
            row.score = None if score is None else float(score)
            row.scale, row.rating_sd = scale, rating_sd
            row.created_at = utcnow()

    def latest_judge_rating(self, response_id: int) -> JudgeRatingView | None:
        with self._read() as session:
            return read_latest_judge_rating(session, response_id)

    def judge_ratings(self, dataset: str | None = None) -> pd.DataFrame:
        """Every judge rating (oldest first): JUDGE_RATING_COLUMNS; ``score`` NaN unless status ok."""
        import pandas as pd

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
                JudgeRating.scale,
                JudgeRating.rating_sd,
                JudgeRating.reason,
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

    def judge_rating_scale(self, run_id: int, response_id: int) -> int:
        """The scale (10 or 5) of the run's rating of the response; 10 when there is none."""
        with self._read() as session:
            found = session.scalar(
                select(JudgeRating.scale).where(JudgeRating.run_id == run_id, JudgeRating.response_id == response_id)
            )
            return int(found) if found is not None else 10

    def rating_draw_probabilities(self, dataset: str, session_name: str | None = None) -> pd.DataFrame:
        """response_id, draw_probability π of every response of the dataset: the probability that the
        response was drawn for people by the dataset's judge-uncertain-first grading sessions (or by
        ``session_name`` alone); see ``assignment.py`` and ``Store.draw_probabilities``. NaN for every
        response when that design does not explain the ratings (a least-annotated session, or ratings
        given outside such sessions)."""
        import pandas as pd

        with self._read() as session:
            dataset_id = dataset_id_of(session, dataset)
            if session_name is not None:
                row, on = find_session(session, session_name)
                if on != dataset:
                    raise StoreError(f"The session {session_name!r} is on {on!r}, not on {dataset!r}.")
                ids = [row.id] if row.strategy == JUDGE_UNCERTAIN_FIRST and row.kind == "single" else []
            else:
                ids = uncertain_sessions(session, dataset_id, "single")
            items = [int(i) for i in session.scalars(responses_in(dataset_id).order_by(Response.id))]
            rated = select(Rating.id).where(Rating.skipped.is_(False), Rating.response_id.in_(responses_in(dataset_id)))
            outside = rated.where(Rating.session_id.is_(None) | Rating.session_id.not_in(ids or [-1]))
            mixed = session_name is None and session.scalar(select(func.count()).select_from(outside.subquery()))
            if not ids or mixed:
                return pd.DataFrame({"response_id": items, "draw_probability": [float("nan")] * len(items)})
            never = dict.fromkeys(items, 1.0)
            for session_id in ids:
                for item, pi in inclusion(session_draws(session, session_id, "single"), items).items():
                    never[item] *= 1.0 - pi
            gold = set(session.scalars(select(GoldRating.response_id).where(GoldRating.response_id.in_(items))))
            seen = set(
                session.scalars(select(Rating.response_id).where(Rating.id.in_(rated), Rating.session_id.in_(ids)))
            )
        # gold responses are handed to everyone, not drawn: in the sample when rated there, else not
        pis = [float(i in seen) if i in gold else 1.0 - never[i] for i in items]
        return pd.DataFrame({"response_id": items, "draw_probability": pis})
