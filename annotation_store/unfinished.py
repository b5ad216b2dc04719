"""A session's unfinished items, one by one, for its lead: every item of the session's dataset with fewer
than ``overlap`` answers in the session (skips do not count), with its prompt, its answers and skips so far
and who holds a live lease on it now. ``Standing`` (``answers.py``) counts the same items; this names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from annotation_store.answers import AnswerKind, AnswersMixin, gold_items, live
from annotation_store.models import Annotator, Prompt, utcnow
from annotation_store.sessions import find_session_in_force
from annotation_store.set_aside import counted

#: How much of an item's instruction is listed (the rest is cut, with "…").
INSTRUCTION_START = 80


@dataclass(frozen=True)
class Holder:
    """A live lease on an item: who holds it (account name) and since when (the store's naive UTC)."""

    name: str
    since: datetime


@dataclass(frozen=True)
class UnfinishedItem:
    """One item of a session that does not have ``needed`` answers yet (``Store.session_unfinished``)."""

    item_id: int  # a comparison (pairwise session) or a response (grading session)
    prompt_key: str
    instruction: str  # its first ``INSTRUCTION_START`` characters, "…" when cut
    answers: int  # answers in this session (skips do not count)
    needed: int  # the session's overlap
    skips: int  # skips in this session (each one owed an answer only by the person who skipped)
    leased_to: tuple[Holder, ...]  # live leases now, oldest first


@dataclass(frozen=True)
class Unfinished:
    """``total`` unfinished items of the session (``kind`` "pairwise" or "single"); ``items``: the first
    ``limit`` of them in item order (all of them without a limit). Gold items are not among them (people get
    them at the gold rate, not to the overlap): ``gold`` says how many the dataset has."""

    session: str
    kind: str
    overlap: int
    total: int
    items: tuple[UnfinishedItem, ...]
    gold: int = 0


def _unfinished_query(kind: AnswerKind, session_id: int, dataset_id: int, overlap: int, scale: int) -> Any:
    """(item id, prompt key, instruction start, answers, skips) of the session's items below ``overlap``, gold
    items left out (``gold_items``: handed out at the gold rate, never to the overlap)."""
    item = kind.of(kind.row)
    here = kind.row.session_id == session_id
    answers = (
        select(item.label("item"), func.count().label("n"))
        .where(here, kind.row.skipped.is_(False), counted(kind.row.annotator_id))
        .group_by(item)
        .subquery()
    )
    skips = select(item.label("item"), func.count().label("n")).where(here, kind.row.skipped.is_(True)).group_by(item)
    skipped = skips.subquery()
    model = kind.item_model
    answered = func.coalesce(answers.c.n, 0)
    start = func.substr(Prompt.instruction, 1, INSTRUCTION_START + 1)
    query = (
        select(model.id, Prompt.key, start, answered, func.coalesce(skipped.c.n, 0))
        .join(Prompt, model.prompt_id == Prompt.id)
        .outerjoin(answers, answers.c.item == model.id)
        .outerjoin(skipped, skipped.c.item == model.id)
        .where(Prompt.dataset_id == dataset_id, answered < overlap)
        .order_by(model.id)
    )
    return query.where(model.id.not_in(gold_items(kind, scale))) if kind.gold is not None else query


def _gold_count(session: Any, kind: AnswerKind, dataset_id: int, scale: int) -> int:
    """How many of the dataset's items are gold in a pool of this ``scale``."""
    if kind.gold is None:
        return 0
    items = kind.items_in(dataset_id)
    query = select(func.count()).select_from(gold_items(kind, scale).where(kind.of(kind.gold).in_(items)).subquery())
    return int(session.scalar(query) or 0)


def _cut(text: str | None) -> str:
    text = text or ""
    return text[:INSTRUCTION_START] + "…" if len(text) > INSTRUCTION_START else text


class UnfinishedMixin(AnswersMixin):
    def session_unfinished(self, session_name: str, limit: int | None = None) -> Unfinished:
        """The session's items (open or closed session, either kind) that still lack answers, with their
        answers, skips and live leases (``UnfinishedItem``), in item order; ``limit``: list at most that
        many (``total`` still counts them all). Three SELECTs in one read transaction."""
        with self._read() as session:
            row, _dataset, _version = find_session_in_force(session, session_name)
            k = self._kind(row.kind)
            query = _unfinished_query(k, row.id, row.dataset_id, row.overlap, int(row.scale))
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            found = session.execute(query.limit(limit) if limit is not None else query).all()
            ids = [int(r[0]) for r in found]
            holders: dict[int, list[Holder]] = {}
            if ids:
                leases = session.execute(
                    select(k.of(k.lease), Annotator.name, k.lease.leased_at)
                    .join(Annotator, Annotator.id == k.lease.annotator_id)
                    .where(k.lease.session_id == row.id, live(k, utcnow()), k.of(k.lease).in_(ids))
                    .order_by(k.lease.leased_at, k.lease.id)
                )
                for item_id, name, since in leases:
                    holders.setdefault(int(item_id), []).append(Holder(str(name), since))
            items = tuple(
                UnfinishedItem(
                    item_id=int(item_id),
                    prompt_key=str(key),
                    instruction=_cut(start),
                    answers=int(answered),
                    needed=int(row.overlap),
                    skips=int(skips),
                    leased_to=tuple(holders.get(int(item_id), ())),
                )
                for item_id, key, start, answered, skips in found
            )
            gold = _gold_count(session, k, row.dataset_id, int(row.scale))
            return Unfinished(session_name, row.kind, int(row.overlap), total, items, gold)
