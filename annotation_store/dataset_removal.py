"""Deleting a dataset and everything that belongs only to it, in one write transaction.

What goes: the dataset's prompts, responses and comparisons; every answer on them (labels and ratings
with their event history, leases, draws), gold marks, adjudications, judge verdicts and judge ratings;
the annotation and grading sessions on the dataset with their guideline versions; and judge runs and
candidate models that are left with nothing at all once the dataset is gone. What stays: accounts
(annotators, reviewers, admins), other datasets and everything on them, judge runs and models that
other datasets still use, saved judge prompts.

The rows are deleted child first, by explicit statements rather than by ``ON DELETE CASCADE`` (several
foreign keys, e.g. ``labels.session_id``, have none), so the same code honours the foreign keys on SQLite
and PostgreSQL alike. Counts (``DatasetContents``) are read inside the same transaction, so what is
reported is exactly what was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from annotation_store.base import StoreBase, StoreConflict, StoreNotFound
from annotation_store.models import (
    Adjudication,
    AnnotationSession,
    Assignment,
    CandidateModel,
    Comparison,
    Dataset,
    GoldLabel,
    GoldRating,
    GuidelineVersion,
    JudgeRating,
    JudgeRun,
    JudgeVerdict,
    Label,
    LabelEvent,
    Prompt,
    Rating,
    RatingAssignment,
    RatingDraw,
    RatingEvent,
    Response,
    SessionDraw,
)


@dataclass(frozen=True)
class DatasetContents:
    """What a dataset holds (what deleting it removes). ``open_sessions``: its sessions still active."""

    name: str
    prompts: int
    responses: int
    comparisons: int
    labels: int
    ratings: int
    judge_verdicts: int
    judge_ratings: int
    judge_runs: int
    gold_marks: int
    adjudications: int
    sessions: int
    open_sessions: list[str]

    def counts(self) -> dict[str, int]:
        """The counts (``DELETED_COUNTS``, in their order): what deleting the dataset removes, by kind."""
        return {name: getattr(self, name) for name in DELETED_COUNTS}


#: The counts ``DatasetContents`` holds, in its order (every field but the name and the open sessions): the one
#: list the REST answer of ``DELETE /api/v1/datasets/{name}`` (``web/routes/datasets.py``) is built from.
DELETED_COUNTS: tuple[str, ...] = tuple(
    f.name for f in fields(DatasetContents) if f.name not in ("name", "open_sessions")
)


class _Scope:
    """The id subqueries of one dataset (no id lists, so no parameter limits on big datasets)."""

    def __init__(self, dataset_id: int) -> None:
        self.prompts = select(Prompt.id).where(Prompt.dataset_id == dataset_id)
        self.responses = select(Response.id).where(Response.prompt_id.in_(self.prompts))
        self.comparisons = select(Comparison.id).where(Comparison.dataset_id == dataset_id)
        self.sessions = select(AnnotationSession.id).where(AnnotationSession.dataset_id == dataset_id)
        self.labels = select(Label.id).where(
            or_(Label.comparison_id.in_(self.comparisons), Label.session_id.in_(self.sessions))
        )
        self.ratings = select(Rating.id).where(
            or_(Rating.response_id.in_(self.responses), Rating.session_id.in_(self.sessions))
        )
        self.runs = (
            select(JudgeVerdict.run_id)
            .where(JudgeVerdict.comparison_id.in_(self.comparisons))
            .union(select(JudgeRating.run_id).where(JudgeRating.response_id.in_(self.responses)))
        )


def _count(db: Session, query: Select[Any]) -> int:
    return int(db.scalar(select(func.count()).select_from(query.subquery())) or 0)


def _contents(db: Session, dataset: Dataset) -> DatasetContents:
    s = _Scope(dataset.id)
    open_sessions = db.scalars(
        select(AnnotationSession.name)
        .where(AnnotationSession.dataset_id == dataset.id, AnnotationSession.active.is_(True))
        .order_by(AnnotationSession.name)
    ).all()
    return DatasetContents(
        name=dataset.name,
        prompts=_count(db, s.prompts),
        responses=_count(db, s.responses),
        comparisons=_count(db, s.comparisons),
        labels=_count(db, s.labels),
        ratings=_count(db, s.ratings),
        judge_verdicts=_count(db, select(JudgeVerdict.id).where(JudgeVerdict.comparison_id.in_(s.comparisons))),
        judge_ratings=_count(db, select(JudgeRating.id).where(JudgeRating.response_id.in_(s.responses))),
        judge_runs=_count(db, select(s.runs.subquery().c[0])),
        gold_marks=_count(db, select(GoldLabel.id).where(GoldLabel.comparison_id.in_(s.comparisons)))
        + _count(db, select(GoldRating.id).where(GoldRating.response_id.in_(s.responses))),
        adjudications=_count(db, select(Adjudication.id).where(Adjudication.comparison_id.in_(s.comparisons))),
        sessions=_count(db, s.sessions),
        open_sessions=list(open_sessions),
    )


def _find(db: Session, name: str) -> Dataset:
    dataset = db.scalar(select(Dataset).where(Dataset.name == name))
    if dataset is None:
        names = db.scalars(select(Dataset.name).order_by(Dataset.name)).all()
        raise StoreNotFound(f"There is no dataset named {name!r} (datasets: {', '.join(names) or 'none'}).")
    return dataset


def _delete_answers(db: Session, s: _Scope) -> None:
    """Answers and everything hanging off them: events, leases, draws, gold marks, adjudications, verdicts;
    children before their parents. A row goes when any of its conditions holds."""
    steps: list[tuple[Any, list[Any]]] = [
        (LabelEvent, [LabelEvent.label_id.in_(s.labels), LabelEvent.comparison_id.in_(s.comparisons)]),
        (Label, [Label.id.in_(s.labels)]),
        (Assignment, [Assignment.comparison_id.in_(s.comparisons), Assignment.session_id.in_(s.sessions)]),
        (SessionDraw, [SessionDraw.comparison_id.in_(s.comparisons), SessionDraw.session_id.in_(s.sessions)]),
        (Adjudication, [Adjudication.comparison_id.in_(s.comparisons)]),
        (GoldLabel, [GoldLabel.comparison_id.in_(s.comparisons)]),
        (JudgeVerdict, [JudgeVerdict.comparison_id.in_(s.comparisons)]),
        (RatingEvent, [RatingEvent.rating_id.in_(s.ratings), RatingEvent.response_id.in_(s.responses)]),
        (Rating, [Rating.id.in_(s.ratings)]),
        (
            RatingAssignment,
            [RatingAssignment.response_id.in_(s.responses), RatingAssignment.session_id.in_(s.sessions)],
        ),
        (RatingDraw, [RatingDraw.response_id.in_(s.responses), RatingDraw.session_id.in_(s.sessions)]),
        (GoldRating, [GoldRating.response_id.in_(s.responses)]),
        (JudgeRating, [JudgeRating.response_id.in_(s.responses)]),
    ]
    for model, conditions in steps:
        db.execute(delete(model).where(or_(*conditions)))


class DatasetRemovalMixin(StoreBase):
    """List datasets with what they hold, and delete one (``Store``)."""

    def dataset_contents(self, name: str) -> DatasetContents:
        """What ``name`` holds, i.e. what ``delete_dataset(name)`` would delete; StoreNotFound when unknown."""
        with self._read() as db:
            return _contents(db, _find(db, name))

    def dataset_overview(self) -> list[DatasetContents]:
        """Every dataset with what it holds, by name."""
        with self._read() as db:
            return [_contents(db, d) for d in db.scalars(select(Dataset).order_by(Dataset.name)).all()]

    def delete_dataset(self, name: str, *, force: bool = False) -> DatasetContents:
        """Delete ``name`` and everything that belongs only to it (module docstring) in one transaction,
        returning what was deleted. Refused (StoreConflict, nothing deleted) while a session on it is open,
        unless ``force``."""
        with self._write() as db:
            return delete_dataset_in(db, name, force=force)


def delete_dataset_in(db: Session, name: str, *, force: bool = False) -> DatasetContents:
    """``Store.delete_dataset`` inside the caller's transaction ``db`` (also ``delete_run_path``'s)."""
    dataset = _find(db, name)
    contents = _contents(db, dataset)
    if contents.open_sessions and not force:
        raise StoreConflict(
            f"The dataset {name!r} has open sessions ({', '.join(contents.open_sessions)}): people may be "
            "answering it now. Close them first, or delete it anyway (command line: --force; REST: force=true; "
            "Admin page: the tick); nothing was deleted."
        )
    s = _Scope(dataset.id)
    runs = set(db.scalars(s.runs).all())
    models = set(db.scalars(select(Response.model_id).where(Response.prompt_id.in_(s.prompts))).all())
    _delete_answers(db, s)
    db.execute(delete(GuidelineVersion).where(GuidelineVersion.session_id.in_(s.sessions)))
    db.execute(delete(AnnotationSession).where(AnnotationSession.dataset_id == dataset.id))
    db.execute(delete(Comparison).where(Comparison.dataset_id == dataset.id))
    db.execute(delete(Response).where(Response.prompt_id.in_(s.prompts)))
    db.execute(delete(Prompt).where(Prompt.dataset_id == dataset.id))
    db.execute(delete(Dataset).where(Dataset.id == dataset.id))
    _drop_orphans(db, runs, models)
    return contents


def _drop_orphans(db: Session, runs: set[int], models: set[int]) -> None:
    """Judge runs and candidate models the deleted dataset used that nothing uses any more."""
    for run_id in runs:
        used = db.scalar(select(JudgeVerdict.id).where(JudgeVerdict.run_id == run_id).limit(1)) or db.scalar(
            select(JudgeRating.id).where(JudgeRating.run_id == run_id).limit(1)
        )
        if used is None:
            db.execute(delete(JudgeRun).where(JudgeRun.id == run_id))
    for model_id in models:
        if db.scalar(select(Response.id).where(Response.model_id == model_id).limit(1)) is None:
            db.execute(delete(CandidateModel).where(CandidateModel.id == model_id))
