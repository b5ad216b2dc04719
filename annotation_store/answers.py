"""The one writer of a person's answer on an item, shared by pairwise labels and single-answer ratings.

Both keep one current row per (item, annotator), an append-only event log that remembers every
accepted submission's idempotency key, optimistic edits by version and a lease that is completed by
the answer. ``Answers`` says which tables and columns play those parts; ``seen_key`` and
``upsert_answer`` run inside the caller's write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from annotation_store.errors import StoreError
from annotation_store.models import utcnow


@dataclass(frozen=True)
class Answers:
    row: Any  # the current answers' model (Label, Rating)
    event: Any  # its event log (LabelEvent, RatingEvent)
    lease: Any  # its leases (Assignment, RatingAssignment)
    item: str  # the item's column: "comparison_id" / "response_id"
    event_link: str  # the event's column pointing at the row: "label_id" / "rating_id"
    event_fields: tuple[str, ...]  # the answer's values the event log keeps
    noun: str  # "label on comparison" / "rating of response", for messages


def seen_key(session: Session, t: Answers, key: str) -> Any:
    """The answer an earlier accepted submission with this key wrote, else None."""
    found = session.scalar(
        select(t.row).join(t.event, getattr(t.event, t.event_link) == t.row.id).where(t.event.idempotency_key == key)
    )
    return found if found is not None else session.scalar(select(t.row).where(t.row.idempotency_key == key))


def upsert_answer(
    session: Session,
    t: Answers,
    item_id: int,
    annotator_id: int,
    values: dict[str, Any],
    idempotency_key: str | None,
    expected_version: int | None,
) -> Any:
    """Create or change the answer, log the change and complete the lease; returns the row.

    Saving exactly what is stored writes nothing. ``expected_version`` (0: "no answer yet") refuses
    an edit when the answer changed since it was read.
    """
    row = session.scalar(select(t.row).where(getattr(t.row, t.item) == item_id, t.row.annotator_id == annotator_id))
    current = row.version if row is not None else 0
    if expected_version is not None and current != expected_version:
        raise StoreError(
            f"Your {t.noun} #{item_id} was changed elsewhere (now version {current}, you edited version "
            f"{expected_version}); reload it and edit again. Nothing was saved."
        )
    if row is None:
        row = t.row(**{t.item: item_id}, annotator_id=annotator_id, idempotency_key=idempotency_key, **values)
        session.add(row)
        action = "created"
    elif all(getattr(row, key) == value for key, value in values.items()):
        return row
    else:
        row.version, row.updated_at, row.idempotency_key = row.version + 1, utcnow(), idempotency_key
        for key, value in values.items():
            setattr(row, key, value)
        action = "changed"
    session.flush()
    session.add(
        t.event(
            **{t.event_link: row.id, t.item: item_id},
            annotator_id=annotator_id,
            action=action,
            version=row.version,
            idempotency_key=idempotency_key,
            **{k: values[k] for k in t.event_fields},
        )
    )
    session.execute(  # a lease on this item is done once the annotator has answered
        update(t.lease)
        .where(
            getattr(t.lease, t.item) == item_id,
            t.lease.annotator_id == annotator_id,
            t.lease.completed_at.is_(None),
        )
        .values(completed_at=utcnow())
    )
    session.flush()
    return row


def least_covered(
    session: Session, t: Answers, item_id: Any, candidates: Any, annotator_id: int, overlap: int, now: datetime
) -> int | None:
    """The item to lease next: among ``candidates`` (a select of item ids), the one with the fewest
    answers (skips do not count) plus other people's live leases, below ``overlap``, that this
    annotator has not answered or skipped yet; ties by id. ``item_id`` is the items' id column."""
    item = t.item
    done = (
        select(getattr(t.row, item).label("item"), func.count().label("n"))
        .where(t.row.skipped.is_(False))
        .group_by(getattr(t.row, item))
        .subquery()
    )
    leased = (
        select(getattr(t.lease, item).label("item"), func.count().label("n"))
        .where(t.lease.completed_at.is_(None), t.lease.lease_expires_at > now, t.lease.annotator_id != annotator_id)
        .group_by(getattr(t.lease, item))
        .subquery()
    )
    mine = select(getattr(t.row, item)).where(t.row.annotator_id == annotator_id)
    covered = func.coalesce(done.c.n, 0) + func.coalesce(leased.c.n, 0)
    return session.scalar(
        select(item_id)
        .outerjoin(done, done.c.item == item_id)
        .outerjoin(leased, leased.c.item == item_id)
        .where(item_id.in_(candidates), item_id.not_in(mine), covered < overlap)
        .order_by(covered, item_id)
        .limit(1)
    )
