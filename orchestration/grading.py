"""Single-answer grading sessions (1-10 MT-Bench style, or 1-5 Prometheus 2 style): the answer desk
with the 'single' kind, and the judge that rates a session's dataset against the session's rubric.

One response at a time (with its prompt and the reference answer where the dataset has one), leased
from the session like every answer (``Store.lease``: overlap per session, least-rated first, leases
that expire). Blind sessions hide the model's name; the judge's rating of the response is revealed
only in the outcome of a submit (and only if the session reveals the judge). ← Previous reopens an
earlier rating for editing (a new version, optimistic with ``expected_version``).

Scales and rubrics (``annotation_store.scales``): each item carries its session's ``scale`` (the page
offers 1..scale; the store refuses anything else) and ``rubric``. A 1-5 session without a rubric of its
own uses upstream's default (prometheus-eval's ``helpfulness`` rubric, ``DEFAULT_RUBRIC_TEXT``); the
store keeps it empty and ``session_rubric`` resolves it, here where the judge's rubrics are known.
``rating_profile`` is how the session's rubric reaches a rubric-using judge profile
(``prometheus2-absolute``, ``selene-absolute``): ``judge_runtime.with_rubric`` puts it into the prompt,
so it is part of the prompt-template hash and a run under another rubric is a judge run of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annotation_store import (
    GoldRatingView,
    JudgeRatingView,
    Progress,
    RatingView,
    ResponseView,
    SessionView,
    Store,
    StoreError,
    Submitted,
    Turn,
)
from judge_runtime import Judge, JudgeResult, get_profile, get_rubric, with_rubric
from judge_runtime.profiles import Profile
from orchestration.access import Access
from orchestration.annotation import AnswerDesk, Namer, names_after
from orchestration.catalog import require_dataset
from orchestration.item_handles import ItemRef

DEFAULT_RUBRIC_TEXT = get_rubric("helpfulness").score_rubric()  # prometheus-eval's default, as upstream


def session_rubric(scale: int, rubric: str) -> str:
    """The rubric a session's annotators and judge get: its own, else on a 1-5 session upstream's default
    (``DEFAULT_RUBRIC_TEXT``), else none ('')."""
    if rubric.strip():
        return rubric
    return DEFAULT_RUBRIC_TEXT if scale == 5 else ""


def profile_scale(profile: Profile) -> int:
    """The top of a single-answer profile's scale: 10 (mtbench-single) or 5 (Prometheus 2, Selene)."""
    return int(profile.score_range[1]) if hasattr(profile, "score_range") else 10


def rating_profile(name: str, scale: int | None = None, rubric: str = "") -> Profile:
    """The single-answer profile ``name`` for a session of ``scale`` with ``rubric`` (None: no session).

    A profile whose scale is not the session's is refused (its ratings could not be compared with the
    session's); a rubric-using profile gets the session's rubric (``session_rubric``); a profile without
    a rubric slot (``mtbench-single``) is used as it is."""
    try:
        profile = get_profile(name)
    except ValueError as exc:
        raise StoreError(str(exc)) from None
    if profile.kind != "single":
        raise StoreError(f"Profile {name!r} compares two responses; rating needs a single-answer profile.")
    if scale is None:
        return profile
    if profile_scale(profile) != scale:
        fitting = "mtbench-single" if scale == 10 else "prometheus2-absolute or selene-absolute"
        raise StoreError(
            f"Profile {name!r} rates 1-{profile_scale(profile)} but the session rates 1-{scale}: use {fitting}."
        )
    text = session_rubric(scale, rubric)
    if hasattr(profile, "rubric") and text:
        try:
            return with_rubric(profile, text)  # type: ignore[type-var]  # a rubric-using profile
        except ValueError as exc:
            raise StoreError(f"The session's rubric cannot be given to {name!r}: {exc}") from None
    return profile


def rating_sd(result: JudgeResult, scale: int) -> float | None:
    """The standard deviation of the judge's rating probabilities (rating_mode 'expected'), the spread
    that judge-uncertain-first grading sessions read (``annotation_store.assignment``); None without
    them. Probabilities outside 1..scale are left out and the rest renormalised."""
    probabilities = {r: p for r, p in (result.rating_probabilities or {}).items() if 1 <= r <= scale and p > 0}
    total = sum(probabilities.values())
    if total <= 0:
        return None
    mean = sum(r * p for r, p in probabilities.items()) / total
    variance = sum(p * (r - mean) ** 2 for r, p in probabilities.items()) / total
    return min(math.sqrt(variance), (scale - 1) / 2)


def with_profile(judge: Judge, profile: Profile) -> Judge:
    """``judge`` (already set to ``profile.name``) grading with ``profile`` itself (a rubric filled in): see
    ``Judge.with_profile``, which refuses a backend whose fingerprint would not record the rubric."""
    return judge.with_profile(profile)


@dataclass(frozen=True)
class GradingItem:
    """One response as this annotator sees it. ``model`` is None in blind sessions."""

    session: SessionView
    response: ResponseView
    rating: RatingView | None  # their current rating when they come back to a response
    progress: Progress
    ref: ItemRef  # how the page and REST name it to this person: by id, or for an annotator by its handle
    scale: int = 10  # the session rates 1..scale
    rubric: str = ""  # the session's rubric (resolved: the default on a 1-5 session without one); untrusted
    rubric_is_default: bool = False  # ``rubric`` is the default of a 1-5 session without its own
    final: str = ""  # why ``rating`` can no longer be changed (something was revealed after it); '': it can

    @property
    def id(self) -> int:
        return self.response.id

    @property
    def model(self) -> str | None:
        return None if self.session.blind else self.response.model


@dataclass(frozen=True)
class GradeOutcome:
    rating: RatingView
    model: str | None  # named after the submit (``names_after``; None: not, e.g. after a skip)
    judge: JudgeRatingView | None  # only when the session reveals the judge
    ref: ItemRef  # the response rated, as this person is told of it (``ItemRef``)
    progress: Progress | None = None  # after the submit
    next: GradingItem | None = None  # the next lease, when asked for with the submit
    scale: int = 10  # the session's
    judge_scale: int = 10  # the judge's rating is 1..judge_scale
    gold: GoldRatingView | None = None  # the known answer when the response is gold in this session
    judge_revealed: bool = False  # the session showed the judge's rating after this answer (None: it had none)

    @property
    def gold_correct(self) -> bool | None:
        """Whether the rating is in the gold range; None when not gold or skipped."""
        if self.gold is None or self.rating.skipped:
            return None
        return self.gold.accepts(self.rating.rating)


class Single:
    """Single-answer ratings: one response, rated 1..scale or skipped (the session's scale and rubric
    are read with each item)."""

    name = "single"
    noun = "response"

    def __init__(self, store: Store) -> None:
        self.store = store

    def _grading(self, session: SessionView) -> tuple[int, str, bool]:
        """(scale, the rubric graders get, whether it is a 1-5 session's default): see ``session_rubric``."""
        found = self.store.session_grading(session.name)
        scale, own = int(found["scale"]), str(found["rubric"])
        return scale, session_rubric(scale, own), scale == 5 and not own.strip()

    def item(self, turn: Turn, ref: ItemRef) -> GradingItem:
        scale, rubric, is_default = self._grading(turn.session)
        return GradingItem(
            turn.session, turn.item, turn.answer, turn.progress, ref, scale, rubric, is_default, ref.said(turn.final)
        )

    def outcome(self, submitted: Submitted, answer: dict[str, Any], name: Namer) -> GradeOutcome:
        judge, following = submitted.judge, submitted.next
        return GradeOutcome(
            rating=submitted.answer,
            model=submitted.item.model if names_after(submitted) else None,
            judge=judge,
            ref=name(submitted.session, submitted.item.id),
            progress=submitted.progress,
            next=self.item(following, name(following.session, following.item.id)) if following is not None else None,
            scale=self._grading(submitted.session)[0],
            judge_scale=self.store.judge_rating_scale(judge.run_id, judge.response_id) if judge is not None else 10,
            gold=submitted.gold if isinstance(submitted.gold, GoldRatingView) else None,
            judge_revealed=submitted.reveal,
        )


class GradingDesk(AnswerDesk[GradingItem, GradeOutcome]):
    """The desk for single-answer ratings (the Grade page)."""

    def __init__(self, store: Store, access: Access) -> None:
        super().__init__(store, access, Single(store))

    def scale_and_rubric(self, session_name: str) -> tuple[int, str, bool]:
        """A grading session's scale, the rubric graders (and a rubric-using judge) get, and whether that rubric
        is the default of a 1-5 session without its own (what the Grade page and the REST sessions show)."""
        stored = self.store.session_grading(session_name)
        scale, own = int(stored["scale"]), str(stored["rubric"])
        return scale, session_rubric(scale, own), scale == 5 and not own.strip()

    def scale_of(self, actor: str | None, session_name: str | None) -> int | None:
        """The rating scale of the open grading session ``session_name`` (annotator+), so the Grade page's
        rating row follows the session chosen before any response is leased; None when there is no such
        open session (a typed name, or one closed since): the page then names no scale."""
        found = [s.scale for s in self.sessions(actor) if s.name == session_name]
        return int(found[0]) if found else None

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


# ---------------------------------------------------------------------- reviewers' read (REST /responses)
MAX_RESPONSE_PAGE = 500


@dataclass(frozen=True)
class JudgeRatingRecord:
    """One judge run's rating of a response as a reviewer reads it; ``rating`` is None unless ``status`` is
    ok."""

    run_id: int
    judge_model: str
    profile: str
    rating: float | None
    status: str
    scale: int
    rating_sd: float | None
    reason: str


@dataclass(frozen=True)
class PersonRating:
    annotator: str
    rating: int | None  # None: skipped
    scale: int  # the scale of the session it was given in (10 outside sessions)
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str  # untrusted
    version: int


@dataclass(frozen=True)
class ResponseSummary:
    response: ResponseView
    judge: JudgeRatingRecord | None  # the latest judge rating (``Store.latest_judge_rating``)
    people: int  # current ratings by people, skips not counted


@dataclass(frozen=True)
class ResponsePage:
    dataset: str
    total: int
    limit: int
    offset: int
    items: list[ResponseSummary]


@dataclass(frozen=True)
class ResponseDetail:
    response: ResponseView
    judge: JudgeRatingRecord | None  # the latest, as in the list
    judge_ratings: list[JudgeRatingRecord]  # every run's, oldest first
    ratings: list[PersonRating]


def _value(value: Any) -> Any:
    """None for a missing cell (None or NaN) of a store frame, else the value."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _judge_record(row: Mapping[Any, Any]) -> JudgeRatingRecord:
    """A row of ``Store.judge_ratings`` as a record."""
    score, spread = _value(row["score"]), _value(row["rating_sd"])
    return JudgeRatingRecord(
        run_id=int(row["run_id"]),
        judge_model=str(row["judge"]),
        profile=str(row["profile"]),
        rating=None if score is None else float(score),
        status=str(row["status"]),
        scale=int(row["scale"]),
        rating_sd=None if spread is None else float(spread),
        reason=str(row["reason"] or ""),
    )


def _judge_runs(store: Store, dataset: str) -> dict[int, list[JudgeRatingRecord]]:
    """response id -> its judge ratings, oldest first (the last is the latest, as
    ``Store.latest_judge_rating`` orders them), for every response of the dataset: one read."""
    runs: dict[int, list[JudgeRatingRecord]] = {}
    for row in store.judge_ratings(dataset).sort_values("created_at", kind="stable").to_dict("records"):
        runs.setdefault(int(row["response_id"]), []).append(_judge_record(row))
    return runs


def response_page(access: Access, actor: str | None, dataset: str, *, limit: int = 50, offset: int = 0) -> ResponsePage:
    """One page of a dataset's responses in id order, each with the judge's latest rating and how many
    people rated it (reviewer+: annotators must not be anchored by the judge or see model names)."""
    access.require(actor, "reviewer")
    if not 1 <= limit <= MAX_RESPONSE_PAGE:
        raise StoreError(f"limit must be between 1 and {MAX_RESPONSE_PAGE}.")
    if offset < 0:
        raise StoreError("offset must be 0 or more.")
    store = access.store
    require_dataset(store, dataset)
    responses = store.responses(dataset)
    runs = _judge_runs(store, dataset)
    people = store.ratings(dataset)
    counts = people[~people["skipped"].astype(bool)]["response_id"].astype(int).value_counts().to_dict()
    items = [
        ResponseSummary(r, runs[r.id][-1] if runs.get(r.id) else None, int(counts.get(r.id, 0)))
        for r in responses[offset : offset + limit]
    ]
    return ResponsePage(dataset=dataset, total=len(responses), limit=limit, offset=offset, items=items)


def response_detail(access: Access, actor: str | None, response_id: int) -> ResponseDetail:
    """One response with everything a reviewer reads: texts, model, every judge run's rating and every
    person's rating (reviewer+; the role is checked before the id is looked up, so an annotator learns
    nothing about which ids exist)."""
    access.require(actor, "reviewer")
    store = access.store
    response = store.get_response(response_id)
    runs = _judge_runs(store, response.dataset).get(response_id, [])
    latest = runs[-1] if runs else None
    people = store.ratings(response.dataset)
    ratings = [
        PersonRating(
            annotator=str(r["annotator"]),
            rating=None if _value(r["rating"]) is None else int(r["rating"]),
            scale=int(r["scale"]),
            skipped=bool(r["skipped"]),
            flagged=bool(r["flagged"]),
            confidence=None if _value(r["confidence"]) is None else int(r["confidence"]),
            comment=str(r["comment"] or ""),
            version=int(r["version"]),
        )
        for r in people[people["response_id"] == response_id].to_dict("records")
    ]
    return ResponseDetail(response=response, judge=latest, judge_ratings=runs, ratings=ratings)
