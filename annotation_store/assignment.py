"""Which item a session hands out next, and with what probability: the assignment strategies.

``least-annotated`` (the default, and the only strategy before issue 12): the item with the fewest
answers and live leases in the session, ties by id. Deterministic, so it has no draw probabilities.

``judge-uncertain-first``: each lease is, with probability a (the session's ``audit_rate``, 0 < a
<= 1), an **audit draw**, uniformly at random from the lease's pool P (the items this annotator may
be handed: below the overlap k in the session, not answered or skipped by them, not gold), and
otherwise the **uncertainty pick** u: the item of P where the judge is least certain. An audit draw
may land on u too. So at lease t every item i of the dataset has the chance

    p_t(i) = a_t / |P_t| + (1 - a_t) · [i = u_t]

(the drawn item's p_t is stored with the lease, ``assignments.draw_probability``, and copied onto
the answer, ``labels.draw_probability``; every draw is logged in ``session_draws`` with |P_t|, u_t
and a_t). The judge's uncertainty of a comparison, lowest first:

- 0 when its verdicts disagree: the latest parsed verdict of each (judge run, presentation order)
  is not the same for all (both orders disagreeing, or two runs disagreeing);
- else the smallest verdict-probability margin |top - second| of p_1/p_2/p_tie over those
  verdicts (a missing probability counts 0);
- else 1 (verdicts without probabilities that agree, or no verdict: nothing says "unsure").
Ties go to the item with fewer answers in the session, then to the lower id. With an overlap k > 1
the audit pool P is the *not-yet-covered* items (no answer, no live lease in the session) while
there are any, else the items still short of k; |P_t| is logged as 0 then, because such a draw can
no longer draw an item for the first time.

**The draw probability π_i of the corrected estimates** (``analysis/corrected.py`` expects π_i =
the probability that comparison i was drawn for people, and weights labelled items 1/π and
unlabelled ones 1/(1 - π)) is the session's inclusion probability "drawn at least once so far":

    π_i = 1 - Π_t (1 - p_t(i)),   t over all draws of the session logged so far.

Every draw counts for every item, also after i was drawn or while it was outside that lease's pool
(the counterfactual "i never drawn"). For pure audit draws with k = 1 (a = 1) this is exact: with n
draws from N items, Π_t (1 - 1/(N - t + 1)) = (N - n)/N, so π_i = n/N, simple random sampling. With
the uncertainty pick it is the usual sequential approximation (each factor is exact given the
history; their product treats the leases as independent). Every drawn item has π > 0 because a > 0,
and an uncertainty pick gets π >= 1 - a at once. Over several such sessions on one dataset (drawn
independently) π_i = 1 - Π_s (1 - π_i,s). Gold comparisons are outside the design: π = 1 when
labelled, 0 when not. Labels given outside a judge-uncertain-first session (least-annotated
sessions, imports) follow no known design, so then no π is given (NaN for every comparison) and
the estimates treat the labelled items as a simple random sample, as before.

**Grading sessions** (single answers rated 1..scale) route the same way, over responses instead of
comparisons: the same audit share, the same p_t and π (their draws are logged in ``rating_draws``,
leases and ratings keep ``draw_probability``), and the judge's uncertainty of a response, lowest
first, is ``1 - max(d, s)`` where, with every judge run's rating put on [0, 1] as
x = (score - 1) / (scale - 1) (so a 1-5 and a 1-10 judge compare):

- d, the **disagreement of judge runs**: max x - min x over the runs that rated the response (0
  with one run; a 1-5 run's 2 is x = 0.25, a 1-10 run's 9 is x = 0.89: d = 0.64);
- s, the **spread of the judge's rating probabilities** (rating_mode 'expected', stored as the
  standard deviation σ of its distribution over 1..scale): σ / ((scale - 1) / 2), the largest σ a
  distribution on the scale can have being (scale - 1) / 2 (half on 1, half on the top score);
- a response no run rated (or whose outputs did not parse) scores 1: nothing says "unsure".
So a response two judges rate far apart, or one the judge hesitated over, goes first.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotation_store.base import StoreForbidden
from annotation_store.errors import StoreError
from annotation_store.models import (
    AnnotationSession,
    Annotator,
    Comparison,
    JudgeRating,
    JudgeVerdict,
    Prompt,
    RatingDraw,
    Response,
    SessionDraw,
)

LEAST_ANNOTATED = "least-annotated"
JUDGE_UNCERTAIN_FIRST = "judge-uncertain-first"
STRATEGIES = (LEAST_ANNOTATED, JUDGE_UNCERTAIN_FIRST)
# A new session's assignment settings (kept apart from SESSION_DEFAULTS, which the settings table lists).
ASSIGNMENT_DEFAULTS: dict[str, object] = {"strategy": LEAST_ANNOTATED, "audit_rate": 0.2}
MIN_AUDIT_RATE = 0.01  # without an audit share the items the judge is sure of are never checked
_RANDOM = random.SystemRandom()
# what a person whose answers an admin set aside hears when they ask for an item (s17 review finding 5)
SET_ASIDE_REFUSAL = "Your labels in this study are set aside by an admin; no more items are handed to you."


def refuse_set_aside(session: Session, person_id: int) -> None:
    """The one refusal of leasing to a set-aside account (``annotation_store.set_aside``): its answers count
    nowhere, so handing it items would only take them from people whose answers count. ``answers.take_lease``
    calls it first, so Start, ``/next`` and a submit's next item (``then_lease``: refused whole, nothing saved)
    all hear it."""
    found = session.get(Annotator, person_id)  # the row the transaction read already: no statement of its own
    if found is not None and found.labels_set_aside_at is not None:
        raise StoreForbidden(SET_ASIDE_REFUSAL)


@dataclass(frozen=True)
class Draw:
    """One lease's draw: the item, how it was drawn, its chance p_t, and what the chance came from."""

    item_id: int
    drawn_by: str  # 'audit' | 'uncertain'
    probability: float
    pool_size: int
    uncertain_id: int
    audit_rate: float


def check_assignment(key: str, value: object) -> object:
    """``strategy`` or ``audit_rate``, checked; the message names the field and what is allowed."""
    if key == "strategy":
        if value not in STRATEGIES:
            raise StoreError(f"The assignment strategy must be one of {', '.join(STRATEGIES)}, got {value!r}.")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not MIN_AUDIT_RATE <= value <= 1:
        raise StoreError(
            f"The audit share must be from {MIN_AUDIT_RATE} to 1, got {value!r}: leases drawn at random keep "
            "the corrected estimates unbiased, so a judge-uncertain-first session always has some."
        )
    return float(value)


def margin(p_1: float | None, p_2: float | None, p_tie: float | None) -> float | None:
    """|top - second| of the verdict probabilities, or None when the verdict has none."""
    if p_1 is None and p_2 is None and p_tie is None:
        return None
    top, second = sorted((p or 0.0 for p in (p_1, p_2, p_tie)), reverse=True)[:2]
    return top - second


def uncertainty(session: Session, dataset_id: int | None) -> dict[int, float]:
    """The judge's uncertainty score of each judged comparison of the dataset (lower: less certain)."""
    query = (
        select(
            JudgeVerdict.comparison_id,
            JudgeVerdict.run_id,
            JudgeVerdict.swapped,
            JudgeVerdict.verdict,
            JudgeVerdict.p_1,
            JudgeVerdict.p_2,
            JudgeVerdict.p_tie,
        )
        .join(Comparison, Comparison.id == JudgeVerdict.comparison_id)
        .where(JudgeVerdict.status == "ok")
        .order_by(JudgeVerdict.id)
    )
    if dataset_id is not None:
        query = query.where(Comparison.dataset_id == dataset_id)
    latest: dict[int, dict[tuple[int, bool], tuple[str | None, float | None]]] = defaultdict(dict)
    for item, run, swapped, verdict, p_1, p_2, p_tie in session.execute(query):
        latest[item][(run, bool(swapped))] = (verdict, margin(p_1, p_2, p_tie))  # later rows win
    scores = {}
    for item, per_order in latest.items():
        if len({verdict for verdict, _m in per_order.values()}) > 1:
            scores[item] = 0.0
        else:
            margins = [m for _v, m in per_order.values() if m is not None]
            scores[item] = min(margins) if margins else 1.0
    return scores


def rating_uncertainty(session: Session, dataset_id: int | None) -> dict[int, float]:
    """The judge's uncertainty score of each rated response of the dataset, 1 - max(d, s) (see the
    module docstring; lower: less certain)."""
    query = (
        select(JudgeRating.response_id, JudgeRating.score, JudgeRating.scale, JudgeRating.rating_sd)
        .join(Response, Response.id == JudgeRating.response_id)
        .where(JudgeRating.status == "ok", JudgeRating.score.is_not(None))
    )
    if dataset_id is not None:
        query = query.join(Prompt, Prompt.id == Response.prompt_id).where(Prompt.dataset_id == dataset_id)
    placed: dict[int, list[float]] = defaultdict(list)
    spread: dict[int, float] = defaultdict(float)
    for item, score, scale, sd in session.execute(query):
        top = max(int(scale), 2) - 1
        placed[item].append((float(score or 0.0) - 1) / top)  # status ok: never None
        if sd is not None:
            spread[item] = max(spread[item], min(float(sd) / (top / 2), 1.0))
    return {item: 1.0 - max(max(xs) - min(xs), spread[item]) for item, xs in placed.items()}


def choose(
    session: Session, dataset_id: int | None, pool: Sequence[tuple[int, int]], audit_rate: float, kind: str = "pairwise"
) -> Draw | None:
    """Draw one item of ``pool`` ((item id, answers and others' live leases in the session) pairs), or
    None when it is empty. Audit draws come from the not-yet-covered items (nobody has answered or
    holds them) while there are any, then from the items still short of k. ``kind``: 'pairwise'
    (comparisons) or 'single' (responses of a grading session)."""
    if not pool:
        return None
    scores = uncertainty(session, dataset_id) if kind == "pairwise" else rating_uncertainty(session, dataset_id)
    pick = min(pool, key=lambda row: (scores.get(row[0], 1.0), row[1], row[0]))[0]
    fresh = [item for item, covered in pool if covered == 0]
    audit_pool = fresh or [item for item, _covered in pool]
    if _RANDOM.random() < audit_rate:
        item, how = _RANDOM.choice(audit_pool), "audit"
    else:
        item, how = pick, "uncertain"
    probability = audit_rate / len(audit_pool) * (item in audit_pool) + (1 - audit_rate) * (item == pick)
    return Draw(item, how, min(probability, 1.0), len(fresh), pick, audit_rate)


def log_draw(session: Session, session_id: int, annotator_id: int, draw: Draw, kind: str = "pairwise") -> None:
    """Append the draw to the session's log (``session_draws``, or ``rating_draws`` for grading)."""
    model, item = (SessionDraw, "comparison_id") if kind == "pairwise" else (RatingDraw, "response_id")
    session.add(
        model(
            **{item: draw.item_id},
            session_id=session_id,
            annotator_id=annotator_id,
            drawn_by=draw.drawn_by,
            pool_size=draw.pool_size,
            uncertain_id=draw.uncertain_id,
            audit_rate=draw.audit_rate,
            probability=draw.probability,
        )
    )


def inclusion(draws: Iterable[tuple[int, int, float]], items: Iterable[int]) -> dict[int, float]:
    """π_i = 1 - Π_t (1 - p_t(i)) for each item, from the draws' (not-yet-covered pool size, uncertainty
    pick, audit rate); see the module docstring. Draws made when nothing was left uncovered (size 0)
    cannot draw an item for the first time and do not count."""
    log_none = 0.0  # Σ_t log(1 - a_t/|P_t|): the log-chance of never being drawn, for an item never picked
    picked: dict[int, float] = defaultdict(float)  # the change for the leases where i was the pick
    certain: set[int] = set()
    for size, pick, rate in draws:
        if size <= 0:
            continue
        miss = 1.0 - rate / size
        if miss <= 0.0:  # a = 1 from a pool of one: the last uncovered item was drawn, so all were
            return dict.fromkeys(items, 1.0)
        log_none += math.log(miss)
        pick_miss = rate * (1.0 - 1.0 / size)  # 1 - a/|P| - (1 - a)
        if pick_miss <= 0.0:
            certain.add(pick)
        else:
            picked[pick] += math.log(pick_miss) - math.log(miss)
    return {item: 1.0 if item in certain else 1.0 - math.exp(log_none + picked.get(item, 0.0)) for item in items}


def session_draws(session: Session, session_id: int, kind: str = "pairwise") -> list[tuple[int, int, float]]:
    """(pool size, uncertainty pick, audit rate) of every draw of the session, in order."""
    model = SessionDraw if kind == "pairwise" else RatingDraw
    query = select(model.pool_size, model.uncertain_id, model.audit_rate).where(model.session_id == session_id)
    return [(int(size), int(pick), float(rate)) for size, pick, rate in session.execute(query.order_by(model.id))]


def uncertain_sessions(session: Session, dataset_id: int, kind: str = "pairwise") -> list[int]:
    """The judge-uncertain-first sessions of this kind ('pairwise' or 'single') on the dataset."""
    query = select(AnnotationSession.id).where(
        AnnotationSession.dataset_id == dataset_id,
        AnnotationSession.kind == kind,
        AnnotationSession.strategy == JUDGE_UNCERTAIN_FIRST,
    )
    return list(session.scalars(query.order_by(AnnotationSession.id)))
