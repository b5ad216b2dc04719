"""Grading sessions that route effort (issue 12, item 5, for single answers): a judge-uncertain-first
grading session driven by several annotators at once (threads, one account each, a real SQLite file)
hands out the responses the judge is least sure of first (two judge runs far apart, or a wide spread
of its rating probabilities), keeps its random audit share, stores a draw probability on every lease,
rating and draw, never exceeds k, and gives each response a π; least-annotated grading sessions are as
before. What is checked is what the database holds."""

from __future__ import annotations

import math
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from annotation_store import NewJudgeRating
from annotation_store.assignment import rating_uncertainty
from orchestration import Settings, Studio

N_PROMPTS = 60  # two models each: 120 responses
ANNOTATORS = tuple(f"grader-{i}" for i in range(6))


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ANNOTATORS:
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


def _rated_dataset(studio: Studio, name: str = "graded", n: int = N_PROMPTS, seed: int = 11) -> dict[int, float]:
    """A dataset of 2n responses rated by a 1-10 judge (expected ratings with a known spread) and, for
    some, a 1-5 judge; returns the expected uncertainty score 1 - max(d, s) of every response."""
    data = {
        "name": name,
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Question {i}", "responses": {"m-a": f"a{i}", "m-b": f"b{i}"}}
            for i in range(n)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    ids = [r.id for r in studio.store.responses(name)]
    rng = random.Random(seed)
    spreads = [round(0.1 + 3.5 * k / len(ids), 6) for k in range(len(ids))]  # σ on 1-10: up to 4.5 possible
    rng.shuffle(spreads)
    ten = studio.store.ensure_judge_run(f"fp-{name}-10", {"model": "judge-10", "profile": "mtbench-single"})
    five = studio.store.ensure_judge_run(f"fp-{name}-5", {"model": "judge-5", "profile": "prometheus2-absolute"})
    expected = {}
    for item, sd in zip(ids, spreads, strict=True):
        studio.store.save_judge_rating(ten, NewJudgeRating(item, 9.0, "ok"), scale=10, rating_sd=sd)
        expected[item] = 1 - sd / 4.5
    for item in ids[:4]:  # a 1-5 judge far from the 1-10 one: 2/5 is x = 0.25, 9/10 is x = 8/9
        studio.store.save_judge_rating(five, NewJudgeRating(item, 2.0, "ok"), scale=5)
        expected[item] = 1 - max(8 / 9 - 0.25, 1 - expected[item])
    studio.store.save_judge_rating(five, NewJudgeRating(ids[4], None, "unparsed"), scale=5)  # no score: no say
    studio.store.save_judge_rating(five, NewJudgeRating(ids[5], 5.0, "ok"), scale=5)  # 5/5 and 9/10 nearly agree
    expected[ids[5]] = 1 - max(1 - 8 / 9, 1 - expected[ids[5]])
    return expected


def _drive(studio: Studio, session: str, annotators: tuple[str, ...]) -> list[str]:
    """Every annotator rates in its own thread until the session has nothing left for them; returns
    anything a caller should never have seen."""
    failures: list[str] = []
    start = threading.Barrier(len(annotators))

    def work(who: str) -> None:
        start.wait()
        try:
            while (item := studio.grading.next_item(who, session)) is not None:
                studio.grading.submit(who, session, item.id, random.randint(1, item.scale))
        except Exception as exc:  # recorded: the test asserts none happens
            failures.append(f"{who}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(who,)) for who in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return failures


def _draws(path: Path, session: str) -> list[tuple[int, str, int, int, float, float]]:
    return _sql(
        path,
        "SELECT d.response_id, d.drawn_by, d.pool_size, d.uncertain_id, d.audit_rate, d.probability "
        "FROM rating_draws d JOIN annotation_sessions s ON s.id = d.session_id WHERE s.name = ? ORDER BY d.id",
        session,
    )


def _within_binomial(hits: int, n: int, p: float) -> bool:
    return abs(hits - n * p) <= 4 * math.sqrt(n * p * (1 - p))  # 4 sigma: a false alarm about 1 in 16,000


def test_the_judge_uncertainty_of_a_response_is_its_runs_disagreement_or_its_spread(studio: Studio) -> None:
    expected = _rated_dataset(studio, n=10)
    with Session(studio.store.engine) as session:
        scores = rating_uncertainty(session, None)
    assert scores.keys() == expected.keys()  # the unparsed output gave no score, but the 1-10 run did
    assert all(scores[i] == pytest.approx(expected[i]) for i in expected)
    ids = sorted(expected)
    assert all(scores[i] <= 1 - (8 / 9 - 0.25) + 1e-9 for i in ids[:4])  # two judges far apart: d = 0.64


def test_uncertain_responses_go_first_with_the_audit_share_and_draw_probabilities(
    studio: Studio, db_path: Path
) -> None:
    scores = _rated_dataset(studio)
    studio.store.save_session("route", "graded", kind="single", strategy="judge-uncertain-first", audit_rate=0.2)
    assert _drive(studio, "route", ANNOTATORS) == []

    draws = _draws(db_path, "route")
    assert len(draws) == len(scores)  # k = 1, nothing expired: one draw per response
    taken: set[int] = set()
    for item, how, pool_size, pick, rate, probability in draws:  # replay the log in the order it was written
        pool = [i for i in scores if i not in taken]
        best = min(pool, key=lambda i: (round(scores[i], 9), i))
        assert pick == best and pool_size == len(pool) and rate == 0.2
        assert item == pick if how == "uncertain" else how == "audit"
        assert probability == pytest.approx(0.2 / len(pool) + 0.8 * (item == pick))
        taken.add(item)
    uncertain_first = [item for item, how, *_ in draws if how == "uncertain"][:3]
    assert all(scores[i] < 0.4 for i in uncertain_first)  # the 1-5 and 1-10 judges disagreeing come first
    audits = sum(how == "audit" for _item, how, *_ in draws)
    assert _within_binomial(audits, len(draws), 0.2), audits

    leases = _sql(db_path, "SELECT draw_probability, drawn_by FROM rating_assignments WHERE session_id IS NOT NULL")
    ratings = _sql(db_path, "SELECT response_id, draw_probability FROM ratings WHERE session_id IS NOT NULL")
    assert len(leases) == len(ratings) == len(scores)
    assert all(p is not None and 0 < p <= 1 and how in ("audit", "uncertain") for p, how in leases)
    drawn = {item: probability for item, _how, _size, _pick, _rate, probability in draws}
    assert all(p == pytest.approx(drawn[item]) for item, p in ratings)  # the rating keeps its lease's draw
    assert _sql(db_path, "SELECT response_id FROM ratings GROUP BY response_id HAVING count(*) > 1") == []
    pis = studio.store.rating_draw_probabilities("graded", "route")
    assert len(pis) == len(scores) and pis["draw_probability"].between(0, 1).all()
    pi = pis.set_index("response_id")["draw_probability"]
    picked = {item for item, how, *_ in draws if how == "uncertain"}
    assert (pi[sorted(picked)] >= 0.8 - 1e-9).all() and (pi > 0).all()  # an uncertainty pick: π >= 1 - a


def test_an_overlap_of_two_is_never_exceeded_on_a_1_5_session(studio: Studio, db_path: Path) -> None:
    scores = _rated_dataset(studio, n=20)
    studio.store.save_session(
        "route2", "graded", kind="single", scale=5, overlap=2, strategy="judge-uncertain-first", audit_rate=0.3
    )
    assert _drive(studio, "route2", ANNOTATORS) == []
    counts = _sql(db_path, "SELECT response_id, count(*) FROM ratings WHERE NOT skipped GROUP BY response_id")
    assert sorted(n for _item, n in counts) == [2] * len(scores)  # every response got k = 2 ratings, none more
    assert _sql(db_path, "SELECT count(*) FROM ratings WHERE draw_probability IS NULL OR draw_probability <= 0") == [
        (0,)
    ]
    assert _sql(db_path, "SELECT max(rating) <= 5 FROM ratings") == [(1,)]
    firsts = [item for item, how, *_ in _draws(db_path, "route2") if how == "uncertain"][:2]
    assert all(scores[i] < 0.4 for i in firsts)


def test_with_only_audit_draws_pi_is_simple_random_sampling(studio: Studio) -> None:
    _rated_dataset(studio, n=15)
    studio.store.save_session("audit", "graded", kind="single", strategy="judge-uncertain-first", audit_rate=1.0)
    for _ in range(12):
        item = studio.grading.next_item("grader-0", "audit")
        assert item is not None
        studio.grading.submit("grader-0", "audit", item.id, 7)
    pis = studio.store.rating_draw_probabilities("graded", "audit")
    assert pis["draw_probability"].tolist() == pytest.approx([12 / 30] * 30)
    assert studio.store.rating_draw_probabilities("graded")["draw_probability"].tolist() == pytest.approx([0.4] * 30)


def test_least_annotated_grading_sessions_hand_out_responses_as_before(studio: Studio, db_path: Path) -> None:
    _rated_dataset(studio, n=5)
    studio.store.save_session("plain", "graded", kind="single")
    handed = []
    for _ in range(4):
        item = studio.grading.next_item("grader-0", "plain")
        assert item is not None
        studio.grading.submit("grader-0", "plain", item.id, 5)
        handed.append(item.id)
    ids = sorted(r.id for r in studio.store.responses("graded"))
    # fewest answers first, ties in the grader's own order (not by id, so a gold response does not stand out
    # by its number; not by the judge)
    assert len(set(handed)) == 4 and set(handed) <= set(ids) and handed != ids[:4]
    assert _sql(db_path, "SELECT count(*) FROM rating_draws") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM ratings WHERE draw_probability IS NOT NULL") == [(0,)]
    assert studio.store.rating_draw_probabilities("graded", "plain")["draw_probability"].isna().all()
    assert studio.store.rating_draw_probabilities("graded")["draw_probability"].isna().all()  # design unknown


def test_a_routed_session_keeps_its_kind(studio: Studio) -> None:
    from annotation_store import StoreError

    _rated_dataset(studio, n=3)
    studio.store.save_session("routed", "graded", kind="single", strategy="judge-uncertain-first")
    with pytest.raises(StoreError, match="logs its draws per kind of item, so its kind cannot change"):
        studio.store.save_session("routed", "graded", kind="pairwise")
    assert studio.store.get_session("routed").kind == "single"
    studio.store.save_session("plain", "graded", kind="single")  # least-annotated: may change, as before
    assert studio.store.save_session("plain", "graded", kind="pairwise").kind == "pairwise"
