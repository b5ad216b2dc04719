"""Setting an account's answers aside: the one rule every counting read applies, and the admin's switch.

An admin sets aside the labels (and ratings) of a person whose answers cannot be trusted (random answers,
failed gold checks): ``annotators.labels_set_aside_at`` (migration 0021). Nothing is deleted; ``--undo`` makes
them count again. ``counted`` is the rule: the reads that feed the figures (``Store.labels``,
``label_details``, ``label_sources``, ``disagreements``, ``ratings``, the guideline labels) and the answer
flow's coverage (the session's overlap, progress, standing, unfinished items) keep only the answers for which
it holds, so a set-aside person's items go back to the pool for another annotator. The raw labels export
still lists them, marked ``set_aside`` (``label_details(..., with_set_aside=True)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from annotation_store.accounts import answer_counts, clean_name, release_leases
from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.models import Annotator, Label, Rating, utcnow


def counted(annotator_id: Any) -> ColumnElement[bool]:
    """The one rule: an answer (a row whose account id is ``annotator_id``) counts unless its account's answers
    are set aside. An uncorrelated subquery on an alias, so it fits any query, with or without ``Annotator``."""
    aside = aliased(Annotator)
    found = select(aside.id).where(aside.labels_set_aside_at.is_not(None)).correlate(None)
    condition: ColumnElement[bool] = annotator_id.not_in(found)
    return condition


def set_aside_mark(annotator_id: Any) -> ColumnElement[bool]:
    """True for an answer of an account whose answers are set aside (the raw export's ``set_aside`` column)."""
    return ~counted(annotator_id)


@dataclass(frozen=True)
class SetAside:
    """An account's answers: how many labels and ratings are stored (skips apart, as ``sessions activity`` counts
    them), how many items it skipped, and since when they are set aside (None: they count)."""

    name: str
    labels: int
    ratings: int
    set_aside_at: datetime | None
    skipped: int = 0


class SetAsideMixin(StoreBase):
    def set_labels_aside(self, name: str, *, undo: bool = False) -> tuple[SetAside, bool]:
        """Set the account's answers aside (``undo``: make them count again); nothing is deleted. Setting aside
        also ends the account's live leases, so their items go back to the pool at once. Returns the account's
        answers as they stand now and whether anything changed (False: they already were so)."""
        cleaned = clean_name(name)
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None:
                raise StoreNotFound(f"There is no account named {cleaned!r}; nothing was changed.")
            changed = (person.labels_set_aside_at is None) != undo
            if changed:
                person.labels_set_aside_at = None if undo else utcnow()
            if not undo:
                release_leases(session, person.id)
            session.flush()
            return _answers(session, person), changed

    def answers_of(self, name: str) -> SetAside:
        """The account's stored labels and ratings (set aside or not) and since when they are set aside."""
        cleaned = clean_name(name)
        with self._read() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == cleaned))
            if person is None:
                raise StoreNotFound(f"There is no account named {cleaned!r}.")
            return _answers(session, person)

    def set_aside_accounts(self) -> dict[str, datetime]:
        """Every account whose answers are set aside, with since when (naive UTC)."""
        query = select(Annotator.name, Annotator.labels_set_aside_at).where(Annotator.labels_set_aside_at.is_not(None))
        with self._read() as session:
            return {str(name): when for name, when in session.execute(query.order_by(Annotator.name)) if when}


def _answers(session: Any, person: Annotator) -> SetAside:
    """The account's stored answers and skips, counted by ``accounts.answer_counts`` (as the Accounts table)."""
    labels, ratings = answer_counts(Label, person.id), answer_counts(Rating, person.id)

    def mine(counts: Any, column: str) -> Any:
        return select(func.coalesce(func.sum(counts.c[column]), 0)).scalar_subquery()

    query = select(mine(labels, "n"), mine(ratings, "n"), mine(labels, "skipped"), mine(ratings, "skipped"))
    n_labels, n_ratings, *skips = session.execute(query).one()
    skipped = sum(int(n or 0) for n in skips)
    return SetAside(person.name, int(n_labels or 0), int(n_ratings or 0), person.labels_set_aside_at, skipped)
