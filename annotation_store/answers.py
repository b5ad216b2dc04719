"""The one answer flow: lease, submit, history and progress for every kind of answer a person gives.

Pairwise labels (a verdict on a comparison) and single-answer ratings (1-10 on one response) are
the same flow over different tables: one current answer per (item, annotator) with a version, an
append-only event log that remembers every accepted submission's idempotency key, optimistic edits,
and leases that keep people working at once on different items. ``AnswerKind`` says which tables and
columns play those parts (``labels.LABELS``, ``ratings.RATINGS``); the functions here run inside the
caller's transaction and ``AnswersMixin`` gives ``Store`` its public methods.

Where items are drawn from and counted is a ``Pool``: one annotation session (coverage counted per
session: two sessions on one dataset never share a pool), or, for the sessionless calls kept for
scripts and imports, a whole dataset. A submit in a session counts only when, inside the write
transaction: the item is in the session's dataset; it is leased to this annotator in this session
(or they edit their own answer given in this session); and the session's overlap k is not exceeded
(an expired lease whose item was meanwhile taken by others is refused). So no path (UI, REST, CLI)
can overshoot k or carry a judge's answer from a session that reveals it into one that hides it.
"""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from annotation_store.accounts import Account, clean_name
from annotation_store.assignment import (
    ASSIGNMENT_DEFAULTS,
    JUDGE_UNCERTAIN_FIRST,
    Draw,
    choose,
    log_draw,
    refuse_set_aside,
)
from annotation_store.base import StoreBase, StoreChanged, StoreConflict, StoreForbidden, StoreNotFound
from annotation_store.db import finer_locks, hold, hold_session, try_lock
from annotation_store.errors import StoreError, WrongSessionKind
from annotation_store.guidelines import guideline_version_at
from annotation_store.models import LEASE_MIN_SECONDS, AnnotationSession, Annotator, AppSecret, Dataset, utcnow
from annotation_store.sessions import DEPTH, SESSION_DEFAULTS, find_session, find_session_in_force, session_view
from annotation_store.set_aside import counted
from annotation_store.views import Handed, Progress, SessionView, Standing, Submitted, Turn

MAX_KEY = 100  # the idempotency_key columns' length
# A caller's role check (``orchestration``'s desks): raises to refuse the account (None: no such account).
Admit = Callable[[Account | None], None]


@dataclass(frozen=True)
class AnswerKind:
    """The tables and columns of one kind of answer, and how to read its items and answers."""

    name: str  # the session kind it answers: "pairwise" | "single"
    row: Any  # the current answers' model (Label, Rating)
    event: Any  # its event log (LabelEvent, RatingEvent)
    lease: Any  # its leases (Assignment, RatingAssignment)
    item: str  # the item's column: "comparison_id" / "response_id"
    event_link: str  # the event's column pointing at the row: "label_id" / "rating_id"
    event_fields: tuple[str, ...]  # the answer's values the event log keeps
    noun: str  # "label on comparison" / "rating of response", for messages
    item_noun: str  # "Comparison" / "Response"
    items_in: Callable[[Any], Any]  # a select of the item ids of a dataset id or bound parameter (None: all)
    read_item: Callable[[Session, int], Any]  # the item's view (ComparisonView / ResponseView) or None
    answer_view: Callable[[Any, str], Any]  # a row and its annotator's name -> LabelView / RatingView
    judge_of: Callable[[Session, int], Any]  # the latest judge opinion on the item, or None
    check: Callable[..., dict[str, Any]]  # validates an answer's values before any SQL runs
    item_model: Any  # the items' model (Comparison, Response)
    short: str  # "label" / "rating"
    ordered: bool = False  # a left/right order is drawn per (item, annotator) and kept on the lease
    # gold items (attention checks): the model of their known answers (GoldLabel, GoldRating; None: no gold
    # for this kind), keyed by the same item column, and the view of one known answer given after a submit
    gold: Any = None
    gold_view: Callable[[Any], Any] | None = None
    # the answer checked against its session inside the write transaction (ratings: the session's scale)
    in_session: Callable[[Pool, dict[str, Any]], None] | None = None
    # what a session that reveals the judge shows after an answer, for messages: the judge's answer, and in a
    # blind session also the model name(s)
    judge_answer: str = "the judge's verdict"
    model_names: str = "the model names"
    # the judge's answers' model (JudgeVerdict, JudgeRating), keyed by the same item column: whether the item
    # had one when an answer was saved (``judged_when``), so a refused edit names only what was shown
    judge_rows: Any = None

    def of(self, model: Any) -> Any:
        """The item column of ``model`` (the answers', events' or leases' table)."""
        return getattr(model, self.item)


@dataclass(frozen=True)
class Pool:
    """Where items are drawn from and counted: a session (``session_id``), or sessionless (None), a
    dataset (``dataset_id``; None: every item)."""

    dataset_id: int | None
    session_id: int | None = None
    overlap: int = SESSION_DEFAULTS["overlap"]
    lease_seconds: int = SESSION_DEFAULTS["lease_seconds"]
    randomize_order: bool = SESSION_DEFAULTS["randomize_order"]
    gold_rate: float = SESSION_DEFAULTS["gold_rate"]
    seed: int | None = None
    strategy: str = str(ASSIGNMENT_DEFAULTS["strategy"])  # see ``assignment.py``
    audit_rate: float = float(str(ASSIGNMENT_DEFAULTS["audit_rate"]))
    scale: int = 10  # grading sessions: ratings are 1..scale (``scales.py``)
    fill: str = SESSION_DEFAULTS["fill"]  # "breadth": least covered first; "depth": most covered short of k first


# How a person gets their next item, in words that fit the page and the REST API alike (both raise these
# messages): the page button of each kind is named as ui/annotate.py and ui/grading.py label it.
ASK_NEXT = {
    "pairwise": "get your next item (on the page, press “Start / next item”; over the API, POST /sessions/{name}/next)",
    "single": "get your next item (on the page, press “Start / next response”; over the API, POST "
    "/sessions/{name}/next)",
}
# Messages that depend on the page a session kind is answered on.
CHOOSE = {"pairwise": "Choose an annotation session first.", "single": "Choose a grading session first."}
ANSWERED_ON = {
    "pairwise": "is a pairwise session: label it on the Annotate page (over the API, POST /api/v1/labels)",
    "single": "grades single responses: rate them on the Grade page (over the API, POST /api/v1/ratings)",
}


# ---------------------------------------------------------------------- pools and people
def session_pool(
    session: Session, kind: AnswerKind, name: str | None, account: str | None = None
) -> tuple[Pool, SessionView]:
    """The open session ``name`` of this kind, as a pool and a view; else a message saying why not. With
    ``account``: only a session open to that account (``sessions.open_to``, read in the same SELECT, so inside
    the caller's transaction); any other is refused as an unknown one, before its kind or state is told."""
    if not name:
        raise StoreError(CHOOSE[kind.name])
    row, dataset, version = find_session_in_force(session, name, account)
    if row.strategy == JUDGE_UNCERTAIN_FIRST:  # draws need the pool as it is: the whole session's lock
        hold_session(session.connection(), row.id)
    if row.kind != kind.name:
        raise WrongSessionKind(f"The session {name!r} {ANSWERED_ON[row.kind]}.", row.kind)
    if not row.active:
        raise StoreConflict(f"The session {name!r} is closed; choose another.")
    pool = Pool(
        dataset_id=row.dataset_id,
        session_id=row.id,
        overlap=row.overlap,
        lease_seconds=row.lease_seconds,
        randomize_order=bool(row.randomize_order),
        gold_rate=float(row.gold_rate),
        fill=row.fill,
        strategy=row.strategy,
        audit_rate=float(row.audit_rate),
        scale=int(row.scale),
    )
    return pool, session_view(row, dataset, version)


def person(session: Session, name: str, *, create: bool = True, admit: Admit | None = None) -> Annotator | None:
    """The active annotator called ``name`` (created when new, for the sessionless calls). ``admit``:
    the caller's role check, run on the account as read here, inside the write transaction (so the
    caller needs no read transaction of its own before it); it raises to refuse, and with it no
    account is created."""
    found = session.scalar(select(Annotator).where(Annotator.name == name))
    if admit is not None:
        admit(account_of(found))
        create = False
    if found is None and create:
        found = Annotator(name=name)
        session.add(found)
        session.flush()
    elif found is not None and not found.active:
        raise StoreForbidden(f"The account {name!r} is deactivated; ask an admin. Nothing was saved.")
    return found


def account_of(row: Annotator | None) -> Account | None:
    """(id, name, role, kind, active) of an annotator row, as ``Store.account`` gives it."""
    return (row.id, row.name, row.role, row.kind, bool(row.active)) if row is not None else None


def in_pool(column: Any, pool: Pool) -> ColumnElement[bool]:
    """Rows (answers, leases) that count in this pool: its session's, or all of them without one."""
    return column == pool.session_id if pool.session_id is not None else true()


def live(kind: AnswerKind, now: Any) -> ColumnElement[bool]:
    return kind.lease.completed_at.is_(None) & (kind.lease.lease_expires_at > now)


def check_lease_args(overlap: Any, lease_seconds: Any, minimum: int) -> None:
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
        raise StoreError(f"overlap must be a whole number of at least 1, got {overlap!r}.")
    if isinstance(lease_seconds, bool) or not isinstance(lease_seconds, int) or lease_seconds < minimum:
        raise StoreError(
            f"lease_seconds must be a whole number of at least {minimum}, got {lease_seconds!r}: a shorter "
            "lease expires while people still read, and their items go to someone else."
        )


# ---------------------------------------------------------------------- leases
def _held(session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime) -> Any:
    """This annotator's live lease in the pool (a reload must not take a second item), or None."""
    query = select(kind.lease).where(kind.lease.annotator_id == person_id, live(kind, now))
    if pool.session_id is not None:
        query = query.where(kind.lease.session_id == pool.session_id)
    elif pool.dataset_id is not None:
        query = query.where(kind.of(kind.lease).in_(kind.items_in(pool.dataset_id)))
    return session.scalars(query.order_by(kind.lease.leased_at, kind.lease.id).limit(1)).first()


def _not_for_me(kind: AnswerKind, session_id: Any, person_id: Any, now: Any) -> Any:
    """Items this annotator may not be handed: answered or skipped (in any session: one answer per
    item and person), or leased to them live in another session. ``session_id`` None: sessionless."""
    mine = select(kind.of(kind.row)).where(kind.row.annotator_id == person_id)
    if session_id is None:
        return mine
    elsewhere = select(kind.of(kind.lease)).where(
        kind.lease.annotator_id == person_id,
        live(kind, now),
        kind.lease.session_id.is_distinct_from(session_id),
    )
    return mine.union(elsewhere)


# The pool query's bound parameters; their values come from ``_pool_params`` on every execution.
_P_SESSION: BindParameter[Any] = bindparam("pool_session")
_P_PERSON: BindParameter[Any] = bindparam("pool_person")
_P_NOW: BindParameter[Any] = bindparam("pool_now")
_P_OVERLAP: BindParameter[Any] = bindparam("pool_overlap")
_P_DATASET: BindParameter[Any] = bindparam("pool_dataset")
_P_SCALE: BindParameter[Any] = bindparam("pool_scale")
_P_MUL: BindParameter[Any] = bindparam("pool_mul", type_=BigInteger)  # ``hand_out_order``'s per-person keys
_P_ADD: BindParameter[Any] = bindparam("pool_add", type_=BigInteger)
# A prime above every item id: ``hand_out_key`` maps ids into 0..ORDER_PRIME-1 with 64-bit products only.
ORDER_PRIME = 2_147_483_647


def _gold_on(query: Any, kind: AnswerKind, scale: Any) -> Any:
    """``query`` over the gold model kept to the marks that count in a pool of this rating ``scale`` (a
    value or a bound parameter): every gold comparison; gold responses marked on that scale (a response
    marked gold on 1-10 is an ordinary item in a 1-5 session)."""
    return query.where(kind.gold.scale == scale) if hasattr(kind.gold, "scale") else query


def gold_items(kind: AnswerKind, scale: Any) -> Any:
    """A select of the ids of the items that are gold in a pool of this ``scale``."""
    return _gold_on(select(kind.of(kind.gold)), kind, scale)


def hand_out_key(item: Any) -> Any:
    """The SQL sort key that orders equally covered items for one (session, person): y = (id * mul + add)
    mod p, then y * y mod p (``_P_MUL``/``_P_ADD`` drawn per session and person from ``_gold_salt``). In id
    order a gold item stood out as the one out of sequence (#127, #141, #128); an affine map alone
    would still step through ids by a fixed stride, the square scrambles that. Plain integer arithmetic
    below 2**63, so SQLite and PostgreSQL sort alike."""
    y = (item * _P_MUL + _P_ADD) % ORDER_PRIME
    return (y * y) % ORDER_PRIME


def _build_pool_query(
    kind: AnswerKind, in_session: bool, in_dataset: bool, shuffled: bool = False, depth: bool = False
) -> Any:
    """(item id, covered) of the items an annotator may be handed: covered = answers in the pool (skips
    do not count) plus other people's live leases there, below the overlap, not barred for them. Gold
    comparisons are not in the pool (``gold_due`` hands them out). Least covered first, or with
    ``depth`` (a session's fill "depth") most covered first, so items reach the overlap one after
    another. ``shuffled``: equally covered items in the person's own order (``hand_out_key``), else by
    id (what judge-uncertain-first draws from)."""
    session_id = _P_SESSION if in_session else None
    here = (lambda column: column == _P_SESSION) if in_session else (lambda _column: true())
    done = (
        select(kind.of(kind.row).label("item"), func.count().label("n"))
        .where(kind.row.skipped.is_(False), here(kind.row.session_id), counted(kind.row.annotator_id))
        .group_by(kind.of(kind.row))
        .subquery()
    )
    leased = (
        select(kind.of(kind.lease).label("item"), func.count().label("n"))
        .where(
            live(kind, _P_NOW),
            kind.lease.annotator_id != _P_PERSON,
            here(kind.lease.session_id),
            counted(kind.lease.annotator_id),
        )
        .group_by(kind.of(kind.lease))
        .subquery()
    )
    candidates = kind.items_in(_P_DATASET if in_dataset else None).subquery()
    covered = func.coalesce(done.c.n, 0) + func.coalesce(leased.c.n, 0)
    query = (
        select(candidates.c.id, covered.label("covered"))
        .outerjoin(done, done.c.item == candidates.c.id)
        .outerjoin(leased, leased.c.item == candidates.c.id)
        .where(candidates.c.id.not_in(_not_for_me(kind, session_id, _P_PERSON, _P_NOW)), covered < _P_OVERLAP)
    )
    ties = (hand_out_key(candidates.c.id), candidates.c.id) if shuffled else (candidates.c.id,)
    query = query.order_by(covered.desc() if depth else covered, *ties)
    if kind.gold is not None:
        query = query.where(candidates.c.id.not_in(gold_items(kind, _P_SCALE)))
    return query


_POOL_QUERIES: dict[tuple[str, bool, bool, int | None, bool], Any] = {}
# With item locks (PostgreSQL): how many of the least covered items one pick looks at, and how often it
# looks again when others are busy with all of them, before it asks the annotator to press Next again.
CANDIDATES, PICK_ROUNDS = 16, 40


def _pool_query(kind: AnswerKind, pool: Pool, *, first: int | None) -> Any:
    """The pool query of ``_build_pool_query`` for this kind and pool shape (``first``: limited to that
    many rows), built once per process: building and cache-keying that statement cost more Python
    inside the write transaction than running it. Only the statement is kept, never data: its
    values are bound on each execution (``_pool_params``). A limited query (``least_covered``) hands
    equally covered items out in the person's own order; the whole pool (judge-uncertain-first's draw)
    comes in id order, as that draw expects. A limited query of a depth pool (fill "depth") puts the most
    covered items first."""
    depth = first is not None and pool.fill == DEPTH
    shape = (kind.name, pool.session_id is not None, pool.dataset_id is not None, first, depth)
    query = _POOL_QUERIES.get(shape)
    if query is None:
        query = _build_pool_query(kind, shape[1], shape[2], shuffled=first is not None, depth=depth)
        query = _POOL_QUERIES[shape] = query.limit(first) if first else query
    return query


def _pool_params(pool: Pool, person_id: int, now: datetime, order: tuple[int, int] = (1, 0)) -> dict[str, Any]:
    """The pool query's values; ``order``: (mul, add) of ``hand_out_key`` (``hand_out_order``)."""
    return {
        "pool_mul": order[0],
        "pool_add": order[1],
        "pool_session": pool.session_id,
        "pool_person": person_id,
        "pool_now": now,
        "pool_overlap": pool.overlap,
        "pool_dataset": pool.dataset_id,
        "pool_scale": pool.scale,
    }


def least_covered(session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime) -> int | None:
    """The item to lease next in a least-annotated pool: the one with the fewest answers and others'
    live leases (fill "depth": the most, still short of the overlap), ties in this person's own order
    (``hand_out_order``). With item locks, the first such item nobody else is busy with (the first free
    of ``CANDIDATES`` in that order), its coverage counted again under its lock (the pool query's count
    may predate a lease just taken)."""
    params = _pool_params(pool, person_id, now, hand_out_order(session, pool, person_id))
    if not finer_locks(session.connection()):
        return session.scalar(_pool_query(kind, pool, first=1), params)
    for round_ in range(PICK_ROUNDS):
        rows = session.execute(_pool_query(kind, pool, first=CANDIDATES), params).all()
        if not rows:
            return None
        for item_id, _covered in rows:
            if _free_for_me(session, kind, pool, item_id, person_id, now):
                return int(item_id)
        time.sleep(0.002 * (round_ + 1))  # everyone else is busy with these items: look again shortly
    raise StoreConflict("Many annotators are being handed items at this moment; ask for the next item again (“Next”).")


def uncertain_first(session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime) -> Draw | None:
    """The draw of a judge-uncertain-first pool (audit share or the judge's least certain item)."""
    found = session.execute(_pool_query(kind, pool, first=None), _pool_params(pool, person_id, now))
    rows = [(int(item), int(covered)) for item, covered in found]
    return choose(session, pool.dataset_id, rows, pool.audit_rate, kind.name)


def answered_count(session: Session, kind: AnswerKind, pool: Pool, person_id: int) -> int:
    """How many items this annotator answered or skipped in the pool."""
    return int(session.scalar(_answered_query(kind, pool, person_id)) or 0)


def _answered_query(kind: AnswerKind, pool: Pool, person_id: int) -> Any:
    query = select(func.count()).select_from(kind.row).where(kind.row.annotator_id == person_id)
    if pool.session_id is not None:
        query = query.where(kind.row.session_id == pool.session_id)
    elif pool.dataset_id is not None:
        query = query.where(kind.of(kind.row).in_(kind.items_in(pool.dataset_id)))
    return query


GOLD_SECRET = "gold-positions"  # app_secrets row: salts gold positions in sessions without a seed
_GOLD_SALTS: dict[str, str] = {}  # database URL -> that secret, once read back from the database


def new_salt() -> str:
    """A fresh random ``GOLD_SECRET`` (a function of its own so that tests can pin it: with a random one
    per database, which items a test's people are handed, and so its figures, differed from run to run)."""
    return secrets.token_hex(32)


def _gold_salt(session: Session, pool: Pool) -> str:
    """What gold positions and picks are drawn from: the pool's seed (reproducible), else a random
    secret kept in the database (``GOLD_SECRET``), so every app server of a deployment draws the same
    positions for one annotator and nobody can work them out from the code. Read once per process
    and database (cached only once read back, i.e. committed), so a lease costs no extra query."""
    if pool.seed is not None:
        return f"seed:{pool.seed}"
    bind = session.get_bind()
    key = str(bind.engine.url)  # an Engine or a Connection: both know their engine
    if key in _GOLD_SALTS:
        return _GOLD_SALTS[key]
    stored = session.scalar(select(AppSecret.value).where(AppSecret.name == GOLD_SECRET))
    if stored is not None:
        _GOLD_SALTS[key] = stored
        return stored
    value = new_salt()
    try:
        with session.begin_nested():  # a server made it at the same moment: theirs wins
            session.add(AppSecret(name=GOLD_SECRET, value=value))
    except IntegrityError:
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == GOLD_SECRET)) or value
    return value


def gold_block(rate: float, n: int) -> tuple[int, int, int]:
    """(block, first count in it, its length) of answered count ``n``: block b holds the counts n with
    floor(n * rate) == b, i.e. about 1/rate items each (in exact fractions: a float product can land
    just below an integer and shift a block)."""
    exact = Fraction(rate).limit_denominator(10_000)
    block = math.floor(n * exact)
    first = math.ceil(block / exact)
    return block, first, math.ceil((block + 1) / exact) - first


def gold_due(
    session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime, answered: int | None = None
) -> int | None:
    """The gold item to hand out now, or None. With gold rate r > 0 the annotator's answered count
    runs through blocks of about 1/r items, and exactly one item of each block is gold (so their share
    of gold is r) while any gold they have not seen is left. Which slot of the block, and which of
    their unseen gold items, is drawn per (session, annotator, block) (``_gold_salt``): graders
    cannot learn or tell each other "the 10th is a test" or "#17 is gold". Gold items ignore the
    overlap: everyone may see them. ``answered``: their answered count when the caller has just
    read it in this transaction."""
    rate = pool.gold_rate
    if kind.gold is None or rate <= 0:
        return None
    n = answered if answered is not None else answered_count(session, kind, pool, person_id)
    block, first, length = gold_block(rate, n)
    draw = random.Random(f"{_gold_salt(session, pool)}:{pool.session_id}:{person_id}:{block}")
    if n - first != draw.randrange(length):
        return None
    item = kind.of(kind.gold)
    query = gold_items(kind, pool.scale).where(
        item.in_(kind.items_in(pool.dataset_id)), item.not_in(_not_for_me(kind, pool.session_id, person_id, now))
    )
    unseen = sorted(session.scalars(query))
    return draw.choice(unseen) if unseen else None


def hand_out_order(session: Session, pool: Pool, person_id: int) -> tuple[int, int]:
    """(mul, add) of ``hand_out_key`` for this (session, person): drawn from the database's secret (or the
    pool's seed) like the gold positions, so it is stable for the person (the same item again after a
    lease expired), differs between people, and cannot be worked out from the code."""
    draw = random.Random(f"{_gold_salt(session, pool)}:order:{pool.session_id}:{pool.dataset_id}:{person_id}")
    return draw.randrange(1, ORDER_PRIME), draw.randrange(ORDER_PRIME)


def draw_order(pool: Pool, item_id: int, person_id: int) -> bool:
    """Left/right order for one (item, annotator): reproducible with a seed, else truly random."""
    if not pool.randomize_order:
        return False
    if pool.seed is None:
        return secrets.randbits(1) == 1
    return random.Random(f"{pool.seed}:{item_id}:{person_id}").random() < 0.5


def _pick(
    session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime, answered: int | None
) -> tuple[int | None, Any, bool]:
    """The item to lease next, how it was drawn in a judge-uncertain-first session (else None), and
    whether it is a gold item (only ``gold_due`` hands those out: the pool query excludes them)."""
    uncertain = pool.strategy == JUDGE_UNCERTAIN_FIRST and pool.session_id is not None
    item_id = gold_due(session, kind, pool, person_id, now, answered)
    if item_id is not None:
        return item_id, ("gold", 1.0) if uncertain else None, True
    if not uncertain:
        return least_covered(session, kind, pool, person_id, now), None, False
    draw = uncertain_first(session, kind, pool, person_id, now)
    if draw is None:
        return None, None, False
    assert pool.session_id is not None
    log_draw(session, pool.session_id, person_id, draw, kind.name)
    return draw.item_id, (draw.drawn_by, draw.probability), False


@dataclass(frozen=True)
class Leased:
    """A lease as ``take_lease`` returns it. ``picked``: drawn just now, so the annotator has no answer
    on the item (``_not_for_me`` excluded those) and ``gold`` says whether it is a gold item; else
    (their live lease again) both are unknown and read by ``make_turn``."""

    row: Any
    picked: bool = False
    gold: bool = False


def lease(session: Session, kind: AnswerKind, pool: Pool, person_id: int) -> Any:
    """Lease the next item to the annotator (their live lease again, if they hold one); returns the
    lease row, or None when nothing is left for them. Pick and lease are one write transaction."""
    taken = take_lease(session, kind, pool, person_id)
    return taken.row if taken is not None else None


def take_lease(
    session: Session, kind: AnswerKind, pool: Pool, person_id: int, answered: int | None = None
) -> Leased | None:
    """``lease``, saying what the pick already knows (``Leased``). ``answered``: the annotator's
    answered count in the pool when the caller has just read it in this transaction (``gold_due``). A set-aside
    account is refused (``assignment.refuse_set_aside``)."""
    refuse_set_aside(session, person_id)
    now = utcnow()
    held = _held(session, kind, pool, person_id, now)
    if held is not None:
        held.lease_expires_at = now + timedelta(seconds=pool.lease_seconds)
        session.flush()
        return Leased(held)
    item_id, drawn, gold = _pick(session, kind, pool, person_id, now, answered)
    if item_id is None:  # nothing fresh is left: a skip of theirs that still needs an answer, once
        return _offer_skipped(session, kind, pool, person_id, now)
    mine = (kind.of(kind.lease) == item_id) & (kind.lease.annotator_id == person_id)
    held = session.scalar(select(kind.lease).where(mine))
    if held is None:  # a lease that expired earlier keeps its row and its presented order
        held = kind.lease(**{kind.item: item_id}, annotator_id=person_id)
        if kind.ordered:
            held.presented_swapped = draw_order(pool, item_id, person_id)
        session.add(held)
    held.leased_at, held.session_id = now, pool.session_id
    if hasattr(kind.lease, "draw_probability"):  # judge-uncertain-first sessions draw with a probability
        held.drawn_by, held.draw_probability = drawn if drawn is not None else (None, None)
    held.lease_expires_at = now + timedelta(seconds=pool.lease_seconds)
    session.flush()
    return Leased(held, picked=True, gold=gold)


# ---------------------------------------------------------------------- skipped items
# A skip means "not now": it stays open (the person may answer it later, ``final_reason``) and does not
# count towards the overlap k. The rule, the same for comparisons and responses:
# - while a person has fresh items (the pool query), skips never come back: they are done with those;
# - once nothing fresh is left, /next hands them back their own skips **that still need an answer**
#   (fewer than k answers in the session, counting others' live leases), oldest skip first, each
#   **once**: a skipped item counts as offered again when its lease was taken after the skip
#   (``lease.leased_at > answer.created_at``), so skipping it a second time means "I cannot answer
#   this" and it never comes back by itself (no endless loop of skips);
# - skips that still need an answer after that are named on the done screen and in the REST
#   ``message`` (``open_skips``): the person reaches them with ← Previous or POST /labels (/ratings)
#   with the item's id; the lead sees them in the session's standing (``session_standing``).
def open_skip_ids(session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime, offer: bool) -> list:
    """This person's skips in the session that still need an answer (fewer than k answers by others),
    oldest skip first. ``offer``: only those not offered to them again yet, with others' live leases
    counted too (what ``_offer_skipped`` may hand out now)."""
    row, lease = kind.row, kind.lease
    query = select(kind.of(row)).where(
        row.annotator_id == person_id,
        row.session_id == pool.session_id,
        row.skipped.is_(True),
        _others_expr(kind, pool, kind.of(kind.row), person_id, now, leases=offer) < pool.overlap,
    )
    if offer:
        again = select(lease.id).where(
            kind.of(lease) == kind.of(row), lease.annotator_id == person_id, lease.leased_at > row.created_at
        )
        query = query.where(~again.exists())
    return [int(item) for item in session.scalars(query.order_by(row.updated_at, row.id))]


def _offer_skipped(session: Session, kind: AnswerKind, pool: Pool, person_id: int, now: datetime) -> Leased | None:
    """Lease back the oldest skip of this person that still needs an answer and was not offered again yet
    (see the rule above), or None. Its lease row is reused (its order and draw probability kept: the
    answer still answers the draw that first handed the item out); ``Leased.picked`` is False, so the
    turn carries their skip (the page edits that answer, version and all)."""
    if pool.session_id is None:
        return None
    for item_id in open_skip_ids(session, kind, pool, person_id, now, offer=True):
        if finer_locks(session.connection()) and not _free_for_me(session, kind, pool, item_id, person_id, now):
            continue  # someone else is being handed it at this moment
        held = session.scalar(
            select(kind.lease).where(kind.of(kind.lease) == item_id, kind.lease.annotator_id == person_id)
        )
        if held is None:  # a skip written without a lease (older data): a lease in the order it was seen
            held = kind.lease(**{kind.item: item_id}, annotator_id=person_id)
            if kind.ordered:
                held.presented_swapped = bool(
                    getattr(current_answer(session, kind, item_id, person_id), "presented_swapped", False)
                )
            session.add(held)
        held.leased_at, held.session_id, held.completed_at = now, pool.session_id, None
        held.lease_expires_at = now + timedelta(seconds=pool.lease_seconds)
        session.flush()
        return Leased(held)
    return None


# ---------------------------------------------------------------------- the session rules of a submit
def _others_expr(kind: AnswerKind, pool: Pool, item: Any, person_id: int, now: datetime, leases: bool) -> Any:
    """Answers of others on the item in this session (skips do not count), plus, with ``leases``,
    their live leases on it: one SQL expression (both counts in one round trip). ``item``: an item's
    id, or the outer query's item column (``kind.of(kind.row)``: correlated, once per row)."""
    other = aliased(kind.row)
    answers = (
        select(func.count())
        .select_from(other)
        .where(
            kind.of(other) == item,
            other.session_id == pool.session_id,
            other.skipped.is_(False),
            other.annotator_id != person_id,
            counted(other.annotator_id),
        )
        .scalar_subquery()
    )
    if not leases:
        return answers
    held = (
        select(func.count())
        .select_from(kind.lease)
        .where(
            kind.of(kind.lease) == item,
            kind.lease.session_id == pool.session_id,
            kind.lease.annotator_id != person_id,
            live(kind, now),
            counted(kind.lease.annotator_id),
        )
        .scalar_subquery()
    )
    return answers + held


def _others(session: Session, kind: AnswerKind, pool: Pool, item_id: int, person_id: int, now: datetime, leases: bool):
    return int(session.scalar(select(_others_expr(kind, pool, item_id, person_id, now, leases))) or 0)


def _free_for_me(session: Session, kind: AnswerKind, pool: Pool, item_id: int, person_id: int, now: datetime) -> bool:
    """Take the item's lock if nobody holds it and, under it, count its coverage again: whether the
    item may be leased to this annotator now. Two statements, not one: a statement reads the database
    as it was when the statement began, so a count in the statement that takes the lock could miss a
    lease committed by the lock's previous holder a moment before."""
    if not session.scalar(select(try_lock(session.connection(), kind.item, pool.session_id, item_id))):
        return False
    return _others(session, kind, pool, item_id, person_id, now, leases=True) < pool.overlap


def gold_row(session: Session, kind: AnswerKind, pool: Pool, item_id: int) -> Any:
    """The item's known answer when it is gold in this pool (``gold_items``), else None."""
    if kind.gold is None:
        return None
    return session.scalar(_gold_on(select(kind.gold).where(kind.of(kind.gold) == item_id), kind, pool.scale))


def check_turn(
    session: Session,
    kind: AnswerKind,
    pool: Pool,
    person_id: int,
    item_id: int,
    row: Any,
    counts: bool,
    is_gold: bool | None = None,
) -> Any:
    """Refuse a submit that is not this annotator's to make in this session; returns their lease.

    ``row``: their current answer on the item (None: a first answer); ``counts``: the new answer
    counts towards the overlap (not a skip); ``is_gold``: whether the item is gold, when the caller
    has read it in this transaction (None: read here when needed)."""
    noun, now = kind.item_noun, utcnow()
    held = session.scalar(
        select(kind.lease).where(kind.of(kind.lease) == item_id, kind.lease.annotator_id == person_id)
    )
    if row is not None and row.session_id != pool.session_id:
        raise StoreForbidden(
            f"You answered {noun.lower()} #{item_id} in another session (or outside one); change it there. "
            "Nothing was saved."
        )
    if row is None and held is None:
        raise StoreConflict(f"{noun} #{item_id} was not handed to you, so nothing was saved; {ASK_NEXT[kind.name]}.")
    if row is None and held is not None and held.session_id != pool.session_id:
        raise StoreForbidden(
            f"{noun} #{item_id} was handed to you in another session: answer it there, where it was leased "
            "(sessions differ in what they reveal). Nothing was saved."
        )
    if is_gold is None and counts and (row is None or row.skipped):
        is_gold = gold_row(session, kind, pool, item_id) is not None
    if counts and (row is None or row.skipped) and not is_gold:
        still_mine = held is not None and held.completed_at is None and held.lease_expires_at > now
        taken = _others(session, kind, pool, item_id, person_id, now, leases=not still_mine)
        if taken >= pool.overlap:
            raise StoreConflict(
                f"{noun} #{item_id} is taken: your lease on it expired and it now has its {pool.overlap} "
                f"answer{'' if pool.overlap == 1 else 's'} in this session from others (finished or in progress). "
                f"Nothing was saved; {ASK_NEXT[kind.name]}."
            )
    return held


# ---------------------------------------------------------------------- writing an answer
def seen_key(session: Session, kind: AnswerKind, key: str) -> Any:
    """The answer an earlier accepted submission with this key wrote, else None."""
    link = getattr(kind.event, kind.event_link)
    found = session.scalar(
        select(kind.row).join(kind.event, link == kind.row.id).where(kind.event.idempotency_key == key)
    )
    return found if found is not None else session.scalar(select(kind.row).where(kind.row.idempotency_key == key))


def current_answer(session: Session, kind: AnswerKind, item_id: int, person_id: int) -> Any:
    return session.scalar(select(kind.row).where(kind.of(kind.row) == item_id, kind.row.annotator_id == person_id))


def key_and_current(
    session: Session, kind: AnswerKind, key: str | None, item_id: int, person_id: int
) -> tuple[Any, Any]:
    """(``seen_key(key)``, ``current_answer(item, person)``) in one SELECT: the answers matching either
    are at most three rows (both key columns are unique, and so is (item, person)), each flagged with
    what it matched; an event's key wins over a row's, as in ``seen_key``."""
    mine = (kind.of(kind.row) == item_id) & (kind.row.annotator_id == person_id)
    if not key:
        return None, current_answer(session, kind, item_id, person_id)
    link = getattr(kind.event, kind.event_link)
    by_event = kind.row.id.in_(select(link).where(kind.event.idempotency_key == key))
    by_row = kind.row.idempotency_key == key
    query = select(kind.row, by_event.label("by_event"), by_row.label("by_row"), mine.label("mine"))
    rows = session.execute(query.where(or_(by_event, by_row, mine))).all()
    seen = next((r[0] for r in rows if r.by_event), None) or next((r[0] for r in rows if r.by_row), None)
    return seen, next((r[0] for r in rows if r.mine), None)


def changed_elsewhere(kind: AnswerKind, item_id: int, version: int) -> str:
    """The one refusal of an edit made for an answer version that is no longer stored (the pages and REST alike):
    what happened and which version is stored now (the pages then show it; REST sends it as ``expected_version``)."""
    now = f"it is version {version} now" if version else "it has no answer now"
    return (
        f"Your {kind.noun} #{item_id} was changed elsewhere (in another tab, window or program) after you opened "
        f"it here: {now}. Nothing was saved."
    )


def upsert_answer(
    session: Session,
    kind: AnswerKind,
    row: Any,
    ids: tuple[int, int, int | None],
    values: dict[str, Any],
    idempotency_key: str | None,
    expected_version: int | None,
    held: Any = ...,
) -> Any:
    """Create or change the answer ``row`` (None: create) of ``ids`` = (item, annotator, session), log
    the change and complete the lease; returns the row. Saving what is stored writes nothing, the time on
    the item aside (``_same_answer``): a skip skipped again, on the page (which measures a new time) or
    over REST (which sends none), is the same answer, not a new version, so both keep one rule;
    ``expected_version`` (0: "no answer yet") refuses an edit when the answer changed since it was read.
    ``held``: the annotator's lease row on the item as read in this transaction (None: they have none;
    there is at most one per item and person), completed through the ORM instead of a bulk UPDATE."""
    item_id, person_id, session_id = ids
    current = row.version if row is not None else 0
    if expected_version is not None and current != expected_version:
        raise StoreChanged(changed_elsewhere(kind, item_id, current), current)
    if row is None:
        row = kind.row(**{kind.item: item_id}, annotator_id=person_id, session_id=session_id, **values)
        row.idempotency_key = idempotency_key
        session.add(row)
        action = "created"
    elif _same_answer(row, values):
        if held is not ... and held is not None and held.completed_at is None:  # a skip offered again, skipped
            held.completed_at = utcnow()  # again as it was: the lease is done all the same
        if row.skipped:  # no new version, but the newest for "← Previous" (it orders by the last save), as
            row.updated_at = utcnow()  # the done screen sends people back to their skips that way
        return row
    else:
        row.version, row.updated_at, row.idempotency_key = row.version + 1, utcnow(), idempotency_key
        for key, value in values.items():
            setattr(row, key, value)
        action = "changed"
    session.flush()
    fields = {k: values[k] for k in kind.event_fields}
    event = kind.event(**{kind.event_link: row.id, kind.item: item_id}, annotator_id=person_id, **fields)
    event.action, event.version, event.idempotency_key = action, row.version, idempotency_key
    session.add(event)
    if held is not ...:  # a lease on this item is done once the annotator has answered
        if held is not None and held.completed_at is None:
            held.completed_at = utcnow()
    else:
        session.execute(
            update(kind.lease)
            .where(
                kind.of(kind.lease) == item_id, kind.lease.annotator_id == person_id, kind.lease.completed_at.is_(None)
            )
            .values(completed_at=utcnow())
        )
    session.flush()
    return row


def checked_key(key: Any) -> str | None:
    if key is not None and (not isinstance(key, str) or len(key) > MAX_KEY):
        raise StoreError(f"The submission key must be text of at most {MAX_KEY} characters; nothing was saved.")
    return key or None


# ---------------------------------------------------------------------- reading progress and history
def progress(session: Session, kind: AnswerKind, pool: Pool, person_id: int | None) -> Progress:
    """``mine``: items this annotator answered or skipped in the pool; ``done``: items with at least
    ``overlap`` answers there (skips do not count); ``total``: items in the dataset. One SELECT of
    three counts (one round trip: a submit reads it inside its write transaction)."""
    items = kind.items_in(pool.dataset_id)
    total = select(func.count()).select_from(items.subquery())
    mine = _answered_query(kind, pool, person_id) if person_id is not None else None
    per_item = (
        select(kind.of(kind.row))
        .where(kind.row.skipped.is_(False), in_pool(kind.row.session_id, pool), counted(kind.row.annotator_id))
        .group_by(kind.of(kind.row))
        .having(func.count() >= pool.overlap)
    )
    if pool.session_id is None:
        per_item = per_item.where(kind.of(kind.row).in_(items))
    done = select(func.count()).select_from(per_item.subquery())
    counts = [q.scalar_subquery() for q in (total, mine, done) if q is not None]
    found = session.execute(select(*counts)).one()
    n_total, n_done = int(found[0] or 0), int(found[-1] or 0)
    n_mine = int(found[1] or 0) if mine is not None else 0
    return Progress(mine=n_mine, done=n_done, total=n_total, overlap=pool.overlap)


def standing(session: Session, kind: AnswerKind, pool: Pool, now: datetime) -> Standing:
    """``Standing`` of a session pool: its items, answers, skips and live leases read once, sorted here. Gold
    items are counted apart (``Standing.gold``): each person gets them at the gold rate, whatever the overlap
    (``gold_due``), so they are neither "done" nor "waiting" (s16 campaign 7: gold #127 "1 of 3" needing answers)."""
    gold = set(session.scalars(gold_items(kind, pool.scale))) if kind.gold is not None else set()
    every = [int(i) for i in session.scalars(kind.items_in(pool.dataset_id))]
    items = [i for i in every if i not in gold]
    rows = session.execute(
        select(kind.of(kind.row), kind.row.annotator_id, kind.row.skipped).where(
            kind.row.session_id == pool.session_id, counted(kind.row.annotator_id)
        )
    ).all()
    leases = session.execute(  # a set-aside account's lease holds nothing for anyone (s17 review finding 5)
        select(kind.of(kind.lease), kind.lease.annotator_id).where(
            kind.lease.session_id == pool.session_id, live(kind, now), counted(kind.lease.annotator_id)
        )
    ).all()
    taking_part = {int(who) for _item, who, *_rest in [*rows, *leases]}
    if taking_part:
        active = select(Annotator.id).where(Annotator.id.in_(taking_part), Annotator.active.is_(True))
        taking_part = {int(who) for who in session.scalars(active)}
    seen: dict[int, set[int]] = {}  # item -> people taking part who answered or skipped it (in any session)
    if taking_part:
        mine = select(kind.of(kind.row), kind.row.annotator_id).where(
            kind.row.annotator_id.in_(taking_part), kind.of(kind.row).in_(kind.items_in(pool.dataset_id))
        )
        for item, who in session.execute(mine):
            seen.setdefault(int(item), set()).add(int(who))
    answers: dict[int, int] = {}
    skippers: dict[int, set[int]] = {}
    for item, who, skipped in rows:
        if skipped:
            skippers.setdefault(int(item), set()).add(int(who))
        else:
            answers[int(item)] = answers.get(int(item), 0) + 1
    leased = {int(item) for item, _who in leases if int(item) not in gold}
    checks = [i for i in every if i in gold]
    gold_answers = sum(answers.get(i, 0) for i in checks)
    counts = {"leased": 0, "skipped": 0, "needs_people": 0, "waiting": 0}
    for item in items:
        if answers.get(item, 0) >= pool.overlap:
            continue
        if item in leased:
            counts["leased"] += 1
        elif taking_part - seen.get(item, set()):
            counts["waiting"] += 1
        elif skippers.get(item, set()) & taking_part:
            counts["skipped"] += 1
        else:
            counts["needs_people"] += 1
    done = sum(1 for item in items if answers.get(item, 0) >= pool.overlap)
    if not taking_part:  # nobody yet: every open item waits for its first people
        counts = {"leased": counts["leased"], "skipped": 0, "needs_people": 0, "waiting": len(items) - done}
    return Standing(
        done=done,
        total=len(items),
        overlap=pool.overlap,
        started=bool(taking_part),
        gold=len(checks),
        gold_answers=gold_answers,
        **counts,
    )


def history_ids(session: Session, kind: AnswerKind, pool: Pool, person_id: int, limit: int) -> list[int]:
    """The items this annotator answered in the pool, latest change first."""
    query = select(kind.of(kind.row)).where(kind.row.annotator_id == person_id)
    if pool.session_id is not None:
        query = query.where(kind.row.session_id == pool.session_id)
    elif pool.dataset_id is not None:
        query = query.where(kind.of(kind.row).in_(kind.items_in(pool.dataset_id)))
    order = (kind.row.updated_at.desc(), kind.row.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))


def make_turn(
    session: Session,
    kind: AnswerKind,
    pool: Pool,
    view: SessionView,
    who: Annotator,
    shown: Any,
    *,
    leased: Leased | None = None,
    counted: Progress | None = None,
) -> Turn:
    """The Turn of ``shown``: a lease row, or the annotator's answer row when they go back to it. The
    left/right order is the answer's (what they saw when they answered), else the lease's. ``leased``:
    what the lease of ``shown`` already knows (a picked item has no answer of theirs, and whether it
    is gold); ``counted``: the progress as just read in this transaction (leasing does not change it)."""
    item_id = kind.of(shown)
    picked = leased is not None and leased.picked
    row = None if picked else current_answer(session, kind, item_id, who.id)
    swapped = bool(getattr(row if row is not None else shown, "presented_swapped", False)) if kind.ordered else False
    is_gold = leased.gold if leased is not None and picked else gold_row(session, kind, pool, item_id) is not None
    why = final_reason(session, kind, view, row, is_gold)
    return Turn(
        session=view,
        item=kind.read_item(session, item_id),
        swapped=swapped,
        is_gold=is_gold,
        answer=kind.answer_view(row, who.name) if row is not None else None,
        progress=counted if counted is not None else progress(session, kind, pool, who.id),
        final=f"{why}." if why else "",
    )


# ---------------------------------------------------------------------- the store's methods
class AnswersMixin(StoreBase):
    """Lease, submit, reopen, history and progress in a session, for every kind of answer."""

    kinds: dict[str, AnswerKind] = {}  # filled by ``Store``: session kind -> AnswerKind

    def _kind(self, name: str) -> AnswerKind:
        if name not in self.kinds:
            raise StoreError(f"Unknown kind of answer {name!r}; use one of {', '.join(self.kinds)}.")
        return self.kinds[name]

    def lease(self, kind: str, annotator: str, session_name: str | None, *, admit: Admit | None = None) -> Turn | None:
        """Lease this annotator's next item in the session (their live lease again after a reload);
        None when the session has nothing left for them. ``admit``: see ``submit``."""
        k = self._kind(kind)
        name = self._clean_or_refuse(annotator, admit)
        try:
            with self._write(in_session=True) as session:
                who = person(session, name, admit=admit) if admit is not None else None  # refused before anything
                pool, view = session_pool(session, k, session_name, name)  # members only: checked in this transaction
                who = who if who is not None else person(session, name)
                assert who is not None
                hold(session.connection(), pool.session_id, ("person", who.id))
                taken = take_lease(session, k, pool, who.id)
                return make_turn(session, k, pool, view, who, taken.row, leased=taken) if taken is not None else None
        except IntegrityError as exc:  # the same person leasing one item in two sessions at the same instant
            raise StoreConflict(
                f"The next item could not be handed out because of a concurrent write: {exc.orig}"
            ) from exc

    def _clean_or_refuse(self, annotator: str, admit: Admit | None, check: Callable[[], Any] | None = None) -> str:
        """``clean_name`` (and ``check``, the answer's validation) before any write; when they fail and
        the caller has a role check, the account is checked first, as a caller checking the role
        before calling would: who may not act hears that, not what is wrong with their input."""
        try:
            name = clean_name(annotator)
            if check is not None:
                check()
            return name
        except StoreError:
            if admit is not None:
                cleaned = annotator.strip() if isinstance(annotator, str) else ""
                with self._read() as session:
                    found = session.scalar(select(Annotator).where(Annotator.name == cleaned)) if cleaned else None
                    admit(account_of(found))
            raise

    def submit(
        self,
        kind: str,
        annotator: str,
        session_name: str | None,
        item_id: int,
        *,
        swapped: bool | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        then_lease: bool = False,
        admit: Admit | None = None,
        **answer: Any,
    ) -> Submitted:
        """Store this annotator's answer on an item of the session, under the session's rules (see the
        module docstring), and return what may be shown; with ``then_lease`` also lease the next item
        in the same transaction. ``answer``: the kind's values (``verdict=``/``rating=``, ``skipped=``,
        ``confidence=``, ``comment=``, ``flagged=``, ``time_on_item_ms=``). ``swapped``: the left/right
        order the page showed (pairwise), refused when it is not the one leased. A repeated
        ``idempotency_key`` stores nothing and answers with the answer as it is now. ``admit``: the
        caller's role check (see ``Admit``), run on the account row this transaction reads anyway, before
        anything else: no separate read transaction for it, and a deactivated account is refused."""
        k, checked = self._kind(kind), dict[str, Any]()

        def check() -> None:
            checked.update(values=k.check(**answer), key=checked_key(idempotency_key))

        name = self._clean_or_refuse(annotator, admit, check)
        values, key = checked["values"], checked["key"]
        try:
            with self._write(in_session=True) as session:
                where = (name, session_name, item_id)
                return _submit(session, k, where, values, swapped, key, expected_version, then_lease, admit)
        except IntegrityError as exc:  # a concurrent first write that slipped past the write lock
            raise StoreConflict(f"The answer could not be saved because of a concurrent write: {exc.orig}") from exc

    def reopen(self, kind: str, annotator: str, session_name: str | None, item_id: int) -> Turn:
        """An item this annotator was handed or answered in this session, in the order they saw it
        (to look at or edit their answer)."""
        k, name = self._kind(kind), clean_name(annotator)
        with self._read() as session:
            pool, view = session_pool(session, k, session_name, name)
            who = person(session, name, create=False)
            row = current_answer(session, k, item_id, who.id) if who is not None else None
            held = None
            if who is not None and row is None:
                held = session.scalar(select(k.lease).where(k.of(k.lease) == item_id, k.lease.annotator_id == who.id))
            shown = row if row is not None else held
            if who is None or shown is None or shown.session_id != pool.session_id:
                raise StoreForbidden(f"You have not been shown {k.item_noun.lower()} #{item_id} in this session.")
            return make_turn(session, k, pool, view, who, shown)

    def previous(self, kind: str, annotator: str, session_name: str | None, current: int | None) -> Turn | None:
        """The answer this annotator gave in the session before ``current`` (or their latest), or None."""
        ids = self.answer_history(kind, annotator, session_name)
        if current is not None and current in ids:
            ids = ids[ids.index(current) + 1 :]
        return self.reopen(kind, annotator, session_name, ids[0]) if ids else None

    def answer_progress(self, kind: str, annotator: str, session_name: str | None) -> Progress:
        k, name = self._kind(kind), clean_name(annotator)
        with self._read() as session:
            pool, _view = session_pool(session, k, session_name)
            who = person(session, name, create=False)
            return progress(session, k, pool, who.id if who is not None else None)

    def answered_elsewhere(self, kind: str, annotator: str, session_name: str | None) -> tuple[int, int, list[str]]:
        """(how many items of the session's dataset this annotator answered or skipped outside this session,
        how many items it has, the names of those other sessions): one answer per item and person,
        whatever the session, so these are never handed out here (what the "done" message explains)."""
        k, name = self._kind(kind), clean_name(annotator)
        with self._read() as session:
            pool, _view = session_pool(session, k, session_name)
            who = person(session, name, create=False)
            total = session.scalar(select(func.count()).select_from(k.items_in(pool.dataset_id).subquery())) or 0
            if who is None:
                return 0, int(total), []
            mine = (k.row.annotator_id == who.id) & k.of(k.row).in_(k.items_in(pool.dataset_id))
            other = mine & k.row.session_id.is_distinct_from(pool.session_id)
            n = session.scalar(select(func.count()).select_from(k.row).where(other)) or 0
            names = session.scalars(
                select(AnnotationSession.name)
                .where(AnnotationSession.id.in_(select(k.row.session_id).where(other)))
                .order_by(AnnotationSession.name)
            )
            return int(n), int(total), list(names)

    def open_skips(self, kind: str, annotator: str, session_name: str | None) -> list[int]:
        """The items this annotator skipped in the session that still need an answer (fewer than k answers
        by others), oldest skip first: what the done screen names (see "skipped items" above)."""
        k, name = self._kind(kind), clean_name(annotator)
        with self._read() as session:
            pool, _view = session_pool(session, k, session_name)
            who = person(session, name, create=False)
            return open_skip_ids(session, k, pool, who.id, utcnow(), offer=False) if who is not None else []

    def handed_item(
        self,
        kind: str,
        annotator: str,
        session_name: str | None,
        item_of: Callable[[int, int], int | None] | None = None,
    ) -> Handed:
        """The open session ``session_name``'s row id and this annotator's (``Handed``; refused as a submit would
        be: no such session, one of the other kind, a closed one) and, with ``item_of`` ((session id, person id)
        -> an item id, or None), that item if it was handed to them in the session: leased to them there or
        answered by them there (``Handed.item``; None if not). One read; what ``orchestration.item_handles`` makes
        and resolves annotators' item handles with."""
        k, name = self._kind(kind), clean_name(annotator)
        if not session_name:
            raise StoreError(CHOOSE[k.name])
        with self._read() as session:
            row, _dataset = find_session(session, session_name)
            if row.kind != k.name:
                raise WrongSessionKind(f"The session {session_name!r} {ANSWERED_ON[row.kind]}.", row.kind)
            if not row.active:
                raise StoreConflict(f"The session {session_name!r} is closed; choose another.")
            who = person(session, name, create=False)
            item = item_of(row.id, who.id) if who is not None and item_of is not None else None
            if who is None or item is None:
                return Handed(row.id, who.id if who is not None else None)
            mine = {"annotator_id": who.id, "session_id": row.id, k.item: item}
            leased = select(k.lease.id).filter_by(**mine).exists()
            answered = select(k.row.id).filter_by(**mine).exists()
            return Handed(row.id, who.id, item if session.scalar(select(leased | answered)) else None)

    def session_standing(self, session_name: str) -> Standing:
        """Where the session (open or closed, of either kind) stands, and why items are not done
        (``Standing``), for its lead."""
        with self._read() as session:
            row, _dataset, _version = find_session_in_force(session, session_name)
            k = self._kind(row.kind)
            pool = Pool(dataset_id=row.dataset_id, session_id=row.id, overlap=row.overlap, scale=int(row.scale))
            return standing(session, k, pool, utcnow())

    def answer_history(self, kind: str, annotator: str, session_name: str | None, limit: int = 1000) -> list[int]:
        """The items this annotator answered in the session, latest change first."""
        k, name = self._kind(kind), clean_name(annotator)
        with self._read() as session:
            pool, _view = session_pool(session, k, session_name, name)
            who = person(session, name, create=False)
            return history_ids(session, k, pool, who.id, limit) if who is not None else []

    # ------------------------------------------------------------------ without a session
    def _save_sessionless(
        self, k: AnswerKind, annotator: str, item_id: int, values: dict[str, Any], key: Any, expected: int | None
    ) -> Any:
        """Write an answer outside any session (imports, scripts): no lease or overlap rules."""
        name, key = clean_name(annotator), checked_key(key)
        try:
            with self._write() as session:
                if session.get(k.item_model, item_id) is None:
                    raise StoreNotFound(
                        f"There is no {k.item_noun.lower()} with id {item_id}; the {k.short} was not saved."
                    )
                if key and (seen := seen_key(session, k, key)) is not None:
                    return _retried(session, k, seen, item_id, name, key, values)
                who = person(session, name)
                assert who is not None
                row = current_answer(session, k, item_id, who.id)
                if k.ordered and row is None and "presented_swapped" not in values:  # the order its lease drew
                    mine = (k.of(k.lease) == item_id) & (k.lease.annotator_id == who.id)
                    drawn = session.scalar(select(k.lease.presented_swapped).where(mine))
                    values = values if drawn is None else {**values, "presented_swapped": bool(drawn)}
                row = upsert_answer(session, k, row, (item_id, who.id, None), values, key, expected)
                return k.answer_view(row, name)
        except IntegrityError as exc:
            raise StoreConflict(f"The {k.short} could not be saved because of a concurrent write: {exc.orig}") from exc

    def _lease_sessionless(self, k: AnswerKind, annotator: str, dataset: str | None, pool: Pool) -> Any:
        """Lease from a whole dataset without a session: (item view, lease row's order) or None."""
        name = clean_name(annotator)
        check_lease_args(pool.overlap, pool.lease_seconds, LEASE_MIN_SECONDS)
        with self._write() as session:
            if dataset:
                pool = replace(pool, dataset_id=dataset_id_of(session, dataset))
            who = person(session, name)
            assert who is not None
            held = lease(session, k, pool, who.id)
            if held is None:
                return None
            return k.read_item(session, k.of(held)), bool(getattr(held, "presented_swapped", False))


#: What makes two submissions the same answer: a retry under one key must send these as its first try did
#: (its comment, confidence or timing may differ; the first try's are kept).
SAME_ANSWER = ("verdict", "rating", "skipped")


def _retried(
    session: Session, k: AnswerKind, seen: Any, item_id: int, name: str, key: str | None, values: dict[str, Any]
) -> Any:
    """The answer an accepted earlier submission with the same key wrote (a retry stores nothing). A key
    sent again for another item or person, or with a different answer, is a client's bug: refused, so
    it does not silently get the first answer back."""
    view = k.answer_view(seen, session.scalar(select(Annotator.name).where(Annotator.id == seen.annotator_id)) or "")
    if (k.of(seen), view.annotator) != (item_id, name):
        raise StoreConflict(
            f"This submission's key was already used for another {k.short}, so nothing was saved; send the "
            "answer again under a new key (in the browser: reload the page)."
        )
    first = _keyed_answer(session, k, seen, key)
    if first is not None and any(first[field] != values.get(field) for field in first):
        raise StoreConflict(
            f"This submission's key was already used for a different answer on {k.item_noun.lower()} #{item_id}, "
            "so nothing was saved: a retry sends the same answer again, a new answer needs a new key."
        )
    return view


def _keyed_answer(session: Session, k: AnswerKind, seen: Any, key: str | None) -> dict[str, Any] | None:
    """The ``SAME_ANSWER`` values the submission with ``key`` wrote: its logged event's, else the answer
    row's while the row still carries the key; None when neither says (nothing to compare)."""
    fields = [field for field in SAME_ANSWER if field in k.event_fields]
    logged = session.execute(select(*(getattr(k.event, f) for f in fields)).where(k.event.idempotency_key == key))
    found = logged.first()
    if found is not None:
        return dict(zip(fields, found, strict=True))
    return {field: getattr(seen, field) for field in fields} if seen.idempotency_key == key else None


def dataset_id_of(session: Session, dataset: str) -> int:
    found = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
    if found is None:
        raise StoreNotFound(f"There is no dataset {dataset!r}.")
    return int(found)


def _accept(
    session: Session,
    k: AnswerKind,
    where: tuple[Pool, SessionView, Annotator, int],
    values: dict[str, Any],
    swapped: bool | None,
    key: str | None,
    expected_version: int | None,
    is_gold: bool | None = None,
) -> Any:
    """Check the session's rules and write the answer; returns the answer row as stored. ``where``:
    (pool, its view as read in this transaction, annotator, item); ``is_gold``: as read by the caller."""
    pool, view, who, item_id = where
    seen, row = key_and_current(session, k, key, item_id, who.id)
    if seen is not None:
        _retried(session, k, seen, item_id, who.name, key, values)
        if seen.session_id != pool.session_id:  # a retry must not reveal what the other session hides
            raise StoreForbidden(
                f"This submission was made in another session; {k.item_noun.lower()} #{item_id} is answered "
                "there. Nothing was saved."
            )
        return seen
    if k.in_session is not None:
        k.in_session(pool, values)
    held = check_turn(session, k, pool, who.id, item_id, row, not values["skipped"], is_gold)
    if row is not None and pool.session_id is not None and not row.skipped:
        if is_gold is None:
            is_gold = gold_row(session, k, pool, item_id) is not None
        if why := final_reason(session, k, view, row, is_gold):
            if _same_answer(row, values):  # the final answer sent again as it is (a re-submit): nothing to do
                return row
            raise StoreConflict(f"{why}; nothing was saved.")
    if k.ordered:
        shown = bool((row if row is not None else held).presented_swapped)
        if swapped is not None and bool(swapped) != shown:
            raise StoreConflict(
                "This answer was given for an outdated left/right order of the item; reload the item and answer "
                "again. Nothing was saved."
            )
        values = {**values, "presented_swapped": shown}
    if hasattr(k.row, "draw_probability"):
        source = row if row is not None and held is None else held  # an answer keeps the draw it answers
        values = {**values, "draw_probability": getattr(source, "draw_probability", None)}
    if pool.session_id is not None and hasattr(k.row, "guideline_version"):  # the guidelines it was given under
        values = {**values, "guideline_version": _version_read(session, pool.session_id, view, held)}
    ids = (item_id, who.id, pool.session_id)
    return upsert_answer(session, k, row, ids, values, key, expected_version, held)


def _version_read(session: Session, session_id: int, view: SessionView, held: Any) -> int | None:
    """The guideline version an answer was given under: the one in force when its item was handed out (an
    open lease's time, ``guideline_version_at``), so a version saved while the item was open is not
    recorded for it; an edit of an earlier answer (no open lease) is given under the version in force now
    (``view``, read with the session row)."""
    if held is None or held.completed_at is not None or held.leased_at is None:
        return view.guideline_version
    if view.guideline_version is None or view.guideline_version <= 1:  # never changed: no SELECT to know it
        return view.guideline_version
    at_lease = guideline_version_at(session, session_id, held.leased_at)
    return at_lease if at_lease is not None else view.guideline_version


def final_reason(session: Session, k: AnswerKind, view: SessionView, row: Any, is_gold: bool) -> str:
    """Why this person's answer ``row`` in the session of ``view`` can no longer be changed ('': it can).

    Once something about the item was shown after the answer, a changed answer would be given with
    that knowledge: a gold item's known answer (shown after every answer that is no skip: the first
    answer is the one its check counts), or, in a session that reveals the judge, the judge's answer
    (where the item has one: the latest judge opinion, ``k.judge_of``) and, in blind sessions, the
    model names. The reason names only what was shown; where nothing was (an open session and no judge
    answer on the item), the answer stays open. A skip reveals nothing (``_submit``), so it stays open."""
    if row is None or row.skipped:
        return ""
    noun, item_id = k.noun, k.of(row)
    if is_gold:
        return (
            f"Your {noun} #{item_id} can no longer be changed: it is an attention check and its known answer "
            "was shown to you after your answer (the first answer is the one the check counts)"
        )
    if not view.reveal_judge:
        return ""
    judged = judged_when(session, k, item_id, row.updated_at)
    shown = [what for what, was in ((k.judge_answer, judged), (k.model_names, view.blind)) if was]
    if not shown:
        return ""
    were = "were" if len(shown) > 1 or shown[0].endswith("s") else "was"  # "the model names" / "the model's name"
    said = " and ".join(shown)
    return f"Your {noun} #{item_id} can no longer be changed: {said} {were} shown to you after your answer"


def judged_when(session: Session, k: AnswerKind, item_id: int, when: Any) -> bool:
    """Whether the item had a judge answer that a reveal shows (``k.judge_of``: the latest of any run, a
    verdict in its original order) by ``when``, the last save of an answer (each save showed it): one
    judged later was never shown after that answer."""
    table = k.judge_rows
    if table is None or when is None:
        return k.judge_of(session, item_id) is not None
    query = select(table.id).where(getattr(table, k.item) == item_id, table.created_at <= when)
    if hasattr(table, "swapped"):
        query = query.where(table.swapped.is_(False))
    return session.scalar(query.limit(1)) is not None


def _same_answer(row: Any, values: dict[str, Any]) -> bool:
    """Whether ``values`` say what ``row`` holds (the time spent on the item aside: a page sending the
    same answer again measured a new time)."""
    return all(getattr(row, key) == value for key, value in values.items() if key != "time_on_item_ms")


def _submit(
    session: Session,
    k: AnswerKind,
    where: tuple[str, str | None, int],
    values: dict[str, Any],
    swapped: bool | None,
    key: str | None,
    expected_version: int | None,
    then_lease: bool,
    admit: Admit | None = None,
) -> Submitted:
    """``AnswersMixin.submit`` inside its write transaction: the item, the session's guideline version,
    the gold row and the annotator's progress are each read once, here, and handed on."""
    name, session_name, item_id = where
    who = person(session, name, admit=admit) if admit is not None else None  # who may submit hears that first
    pool, view = session_pool(session, k, session_name, name)  # members only: checked in this transaction
    item = k.read_item(session, item_id)
    if item is None:
        raise StoreNotFound(f"There is no {k.item_noun.lower()} with id {item_id}; nothing was saved.")
    if item.dataset != view.dataset:  # not found in this session, as an unknown id (REST answers both alike)
        raise StoreNotFound(
            f"{k.item_noun} #{item_id} is not in this session's dataset ({view.dataset!r}); nothing was saved."
        )
    who = who if who is not None else person(session, name)
    assert who is not None
    hold(session.connection(), pool.session_id, ("person", who.id), (k.item, item_id))  # k is checked under it
    gold = gold_row(session, k, pool, item_id)
    row = _accept(session, k, (pool, view, who, item_id), values, swapped, key, expected_version, gold is not None)
    shown = not row.skipped  # a skip reveals nothing: no judge, no gold answer, no model names
    counted = progress(session, k, pool, who.id)  # leasing the next item changes none of its counts
    following = None
    if then_lease and (taken := take_lease(session, k, pool, who.id, counted.mine)) is not None:
        following = make_turn(session, k, pool, view, who, taken.row, leased=taken, counted=counted)
    return Submitted(
        session=view,
        item=item,
        swapped=bool(getattr(row, "presented_swapped", False)),
        answer=k.answer_view(row, name),
        judge=k.judge_of(session, item_id) if view.reveal_judge and shown else None,
        gold=k.gold_view(gold) if gold is not None and k.gold_view is not None and shown else None,
        progress=counted,
        next=following,
        reveal=view.reveal_judge and shown,
        answered_under=getattr(row, "guideline_version", None),
    )


def first_answer(kind: AnswerKind, field: str) -> Any:
    """A correlated subquery of ``field`` in the first logged answer of each current answer row that was no
    skip (its event log keeps every version): what a gold check counts, since the known answer is shown
    after that answer (a later edit is refused in sessions, ``final_reason``; older data may hold one).
    NULL when the log has no such answer (rows written before the log, or only skips)."""
    link = getattr(kind.event, kind.event_link)
    return (
        select(getattr(kind.event, field))
        .where(link == kind.row.id, kind.event.skipped.is_(False))
        .order_by(kind.event.version, kind.event.id)
        .limit(1)
        .scalar_subquery()
    )


def annotator_id(session: Session, name: str | None) -> int | None:
    """The id of the annotator called ``name`` (for reads: nothing is created), or None."""
    cleaned = (name or "").strip() if isinstance(name, str) else ""
    return session.scalar(select(Annotator.id).where(Annotator.name == cleaned)) if cleaned else None
