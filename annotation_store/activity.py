"""Who labelled how much, and when: pairwise labels counted per person, per UTC day or both, in one session, one
dataset or everywhere (``judge-studio sessions activity``; ``orchestration/activity.py`` shapes the rows).

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

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from annotation_store.answers import first_answer
from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.errors import StoreError
from annotation_store.labels import LABELS
from annotation_store.models import AnnotationSession, Annotator, Comparison, Dataset, GoldLabel, Label
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


class ActivityMixin(StoreBase):
    def label_activity(
        self,
        *,
        session_name: str | None = None,
        dataset: str | None = None,
        by: str = "person",
        since: date | None = None,
        until: date | None = None,
    ) -> list[ActivityRow]:
        """The labels of ``session_name`` (or of ``dataset``, or of every dataset) grouped ``by`` person, day or
        both (``GROUPINGS``), given from ``since`` to ``until`` (UTC days, both included). Raises StoreNotFound for
        an unknown session or dataset, naming the ones there are."""
        if by not in GROUPINGS:
            raise StoreError(f"Unknown grouping {by!r}; choose one of {', '.join(GROUPINGS)}.")
        _checked_span(since, until)
        day = func.date(Label.created_at)
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
        keys: list[Any] = []
        if by in ("person", "person-day"):
            keys.append(Annotator.name)
        if by in ("day", "person-day"):
            keys.append(day)
        query = (
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
            .group_by(*keys)
            .order_by(*keys)
        )
        if since is not None:
            query = query.where(Label.created_at >= datetime.combine(since, datetime.min.time()))
        if until is not None:
            query = query.where(Label.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time()))
        with self._read() as session:
            if session_name is not None:
                held = session.execute(
                    select(AnnotationSession.id, AnnotationSession.kind).where(AnnotationSession.name == session_name)
                ).first()
                found = held[0] if held is not None else None
                if held is not None and held[1] != LABELS.name:
                    raise StoreError(
                        f"{session_name!r} is a grading session: its ratings are not counted here yet (this counts "
                        "pairwise labels); see the Dashboard's ratings section or `export --kind ratings`."
                    )
                if found is None:
                    names = session.scalars(select(AnnotationSession.name).order_by(AnnotationSession.name)).all()
                    listed = ", ".join(repr(name) for name in names) or "none yet"
                    raise StoreNotFound(f"There is no session named {session_name!r} (sessions: {listed}).")
                query = query.where(Label.session_id == found)
            elif dataset is not None:
                found = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
                if found is None:
                    names = session.scalars(select(Dataset.name).order_by(Dataset.name)).all()
                    listed = ", ".join(repr(name) for name in names) or "none yet"
                    raise StoreNotFound(f"There is no dataset named {dataset!r} (datasets: {listed}).")
                query = query.join(Comparison, Label.comparison_id == Comparison.id).where(
                    Comparison.dataset_id == found
                )
            rows = session.execute(query).all()
        return [_row(tuple(row), by) for row in rows]


def _row(values: tuple[Any, ...], by: str) -> ActivityRow:
    name = str(values[0]) if by in ("person", "person-day") else None
    rest = values[1:] if by in ("person", "person-day") else values
    day = _day_text(rest[0]) if by in ("day", "person-day") else None
    counts = rest[1:] if by in ("day", "person-day") else rest
    labels, skipped, aside, gold, right = (int(value or 0) for value in counts[:5])
    return ActivityRow(name, day, labels, skipped, aside, gold, right, counts[5], counts[6])
