"""Who labelled how much, and when: pairwise labels counted per person, per UTC day or both, in one session, one
dataset or everywhere (``judge-studio sessions activity``; ``orchestration/activity.py`` shapes the rows). A grading
session's ratings are counted the same way (``Store.answer_activity`` says which: "labels" or "ratings"): ratings
that count, skips, ratings of accounts set aside, first and last; no gold checks.

One SQL ``GROUP BY`` over the current labels (SQLite and PostgreSQL alike): answers that count (``set_aside.counted``),
skips, answers of accounts whose answers are set aside, gold checks taken and those answered right, and the first and
last time a label was given (``labels.created_at``, naive UTC, so the day is ``date(created_at)`` on both engines).

A gold check is the rule of the Dashboard's Annotators table (``analysis.inter_annotator.annotator_table``, which
``tests/test_s17_activity.py`` compares against): an answer (no skip) on a comparison marked gold that was given in a
session, shown in a recorded left/right order, or saved once the comparison was gold, scored by the label's first answer
that was no skip (``answers.first_answer``). Unlike the Dashboard, set-aside accounts' checks are counted too, so a
manager sees why someone was set aside.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from annotation_store.answers import first_answer
from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.errors import StoreError
from annotation_store.labels import LABELS
from annotation_store.models import AnnotationSession, Annotator, Comparison, Dataset, GoldLabel, Label, Rating
from annotation_store.set_aside import counted

#: How the rows are grouped: per person, per UTC day, or per person and day.
GROUPINGS = ("person", "day", "person-day")


@dataclass(frozen=True)
class ActivityRow:
    """One group's labels: ``annotator`` (None when grouped by day only), ``day`` (YYYY-MM-DD, UTC; None when grouped
    by person only), ``labels`` (answers that count), ``skipped``, ``set_aside`` (answers of an account whose answers
    are set aside: given, but left out of every figure), ``gold`` (gold checks taken) and ``gold_right``, and the
    first and last time a label (or skip) was given (naive UTC)."""

    annotator: str | None
    day: str | None
    labels: int
    skipped: int
    set_aside: int
    gold: int
    gold_right: int
    first: datetime
    last: datetime


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _day_text(value: Any) -> str:
    """``date(created_at)``: a ``date`` on PostgreSQL, 'YYYY-MM-DD' text on SQLite."""
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _checked_span(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and until < since:
        raise StoreError(f"The range ends ({until}) before it starts ({since}); nothing to count.")


def _label_query(keys: list[Any]) -> Any:
    """Labels per ``keys``: counted, skipped, set aside, gold checks, right, first, last (module docstring)."""
    answered = Label.skipped.is_(False)
    keep = counted(Label.annotator_id)
    check = and_(
        GoldLabel.id.is_not(None),
        answered,
        or_(
            Label.session_id.is_not(None),
            Label.presented_swapped.is_not(None),
            Label.created_at >= GoldLabel.created_at,
        ),
    )
    right = and_(check, func.coalesce(first_answer(LABELS, "verdict"), Label.verdict) == GoldLabel.verdict)
    return (
        select(
            *keys,
            _count(and_(answered, keep)),
            _count(Label.skipped.is_(True)),
            _count(and_(answered, ~keep)),
            _count(check),
            _count(right),
            func.min(Label.created_at),
            func.max(Label.created_at),
        )
        .join(Annotator, Label.annotator_id == Annotator.id)
        .outerjoin(GoldLabel, GoldLabel.comparison_id == Label.comparison_id)
    )


def _rating_query(keys: list[Any]) -> Any:
    """A grading session's ratings per ``keys``, in the label query's columns: counted, skipped, set aside, no gold
    checks (0, 0: gold ratings are scored by the Dashboard, not here), first, last."""
    answered = Rating.skipped.is_(False)
    keep = counted(Rating.annotator_id)
    return select(
        *keys,
        _count(and_(answered, keep)),
        _count(Rating.skipped.is_(True)),
        _count(and_(answered, ~keep)),
        literal(0),
        literal(0),
        func.min(Rating.created_at),
        func.max(Rating.created_at),
    ).join(Annotator, Rating.annotator_id == Annotator.id)


def _keys(by: str, day: Any) -> list[Any]:
    keys: list[Any] = []
    if by in ("person", "person-day"):
        keys.append(Annotator.name)
    if by in ("day", "person-day"):
        keys.append(day)
    return keys


def _within(query: Any, created_at: Any, since: date | None, until: date | None) -> Any:
    if since is not None:
        query = query.where(created_at >= datetime.combine(since, datetime.min.time()))
    if until is not None:
        query = query.where(created_at < datetime.combine(until + timedelta(days=1), datetime.min.time()))
    return query


def _not_found(session: Session, what: str, name: str, column: Any) -> StoreNotFound:
    names = session.scalars(select(column).order_by(column)).all()
    listed = ", ".join(repr(found) for found in names) or "none yet"
    return StoreNotFound(f"There is no {what} named {name!r} ({what}s: {listed}).")


class ActivityMixin(StoreBase):
    def answer_activity(
        self,
        *,
        session_name: str | None = None,
        dataset: str | None = None,
        by: str = "person",
        since: date | None = None,
        until: date | None = None,
    ) -> tuple[str, list[ActivityRow]]:
        """The labels of ``session_name`` (or of ``dataset``, or of every dataset) grouped ``by`` person, day or
        both (``GROUPINGS``), given from ``since`` to ``until`` (UTC days, both included), as ("labels", rows); a
        grading session's ratings, the same way, as ("ratings", rows) (``ActivityRow.labels``: the ratings that
        count; no gold checks). Raises StoreNotFound for an unknown session or dataset, naming the ones there are."""
        if by not in GROUPINGS:
            raise StoreError(f"Unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}.")
        _checked_span(since, until)
        with self._read() as session:
            if session_name is not None:
                held = session.execute(
                    select(AnnotationSession.id, AnnotationSession.kind).where(AnnotationSession.name == session_name)
                ).first()
                if held is None:
                    raise _not_found(session, "session", session_name, AnnotationSession.name)
                if held[1] != LABELS.name:
                    keys = _keys(by, func.date(Rating.created_at))
                    query = _rating_query(keys).where(Rating.session_id == held[0])
                    query = _within(query, Rating.created_at, since, until).group_by(*keys).order_by(*keys)
                    return "ratings", [_row(tuple(row), by) for row in session.execute(query).all()]
            keys = _keys(by, func.date(Label.created_at))
            query = _within(_label_query(keys), Label.created_at, since, until)
            if session_name is not None and held is not None:
                query = query.where(Label.session_id == held[0])
            elif dataset is not None:
                found = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
                if found is None:
                    raise _not_found(session, "dataset", dataset, Dataset.name)
                query = query.join(Comparison, Label.comparison_id == Comparison.id).where(
                    Comparison.dataset_id == found
                )
            rows = session.execute(query.group_by(*keys).order_by(*keys)).all()
        return "labels", [_row(tuple(row), by) for row in rows]


def _row(values: tuple[Any, ...], by: str) -> ActivityRow:
    name = str(values[0]) if by in ("person", "person-day") else None
    rest = values[1:] if by in ("person", "person-day") else values
    day = _day_text(rest[0]) if by in ("day", "person-day") else None
    counts = rest[1:] if by in ("day", "person-day") else rest
    labels, skipped, aside, gold, right = (int(value or 0) for value in counts[:5])
    return ActivityRow(name, day, labels, skipped, aside, gold, right, counts[5], counts[6])
