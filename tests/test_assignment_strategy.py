"""Sessions that route effort (issue 12, item 5): a judge-uncertain-first session driven by several
annotators at once (threads, one account each) hands out the judge's least certain items first,
keeps its random audit share, stores a draw probability on every lease, answer and draw, never
exceeds k, and gives the corrected estimates a π per comparison; least-annotated sessions are as
before. What is checked is what the database holds."""

from __future__ import annotations

import math
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from annotation_store import NewVerdict, StoreError
from annotation_store.assignment import inclusion, margin
from orchestration import Settings, Studio

N_ITEMS = 120
ANNOTATORS = tuple(f"ann-{i}" for i in range(6))


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ANNOTATORS:
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


def _judged_dataset(studio: Studio, name: str = "routed", n: int = N_ITEMS, seed: int = 7) -> dict[int, float]:
    """A dataset of ``n`` comparisons, each judged with a known margin; returns the expected
    uncertainty score per comparison (0 for the ones whose orders or runs disagree)."""
    data = {
        "name": name,
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Question {i}", "responses": {"m-a": f"a{i}", "m-b": f"b{i}"}}
            for i in range(n)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    ids = [int(i) for i in studio.store.comparison_table(name)["id"]]
    rng = random.Random(seed)
    margins = [round(0.05 + 0.9 * k / n, 6) for k in range(n)]
    rng.shuffle(margins)
    run, other = (studio.store.ensure_judge_run(f"fp-{name}-{r}", {"model": f"judge-{r}"}) for r in (1, 2))
    expected = {}
    for item, m in zip(ids, margins, strict=True):
        studio.store.save_verdict(run, NewVerdict(item, "1", "ok", p_1=(1 + m) / 2, p_2=(1 - m) / 2, p_tie=0.0))
        expected[item] = m
    for item in ids[:3]:  # both orders disagree
        studio.store.save_verdict(run, NewVerdict(item, "2", "ok", swapped=True))
        expected[item] = 0.0
    for item in ids[3:5]:  # two judge runs disagree
        studio.store.save_verdict(other, NewVerdict(item, "tie", "ok"))
        expected[item] = 0.0
    studio.store.save_verdict(run, NewVerdict(ids[5], None, "unparsed"))  # a rerun that failed to parse
    expected[ids[5]] = 1.0  # no parsed verdict: nothing says the judge is unsure
    return expected


def _drive(studio: Studio, session: str, annotators: tuple[str, ...]) -> list[str]:
    """Every annotator takes and answers items in its own thread until the session has none left for
    them; returns anything a caller should never have seen."""
    failures: list[str] = []
    start = threading.Barrier(len(annotators))

    def work(who: str) -> None:
        start.wait()
        try:
            while (item := studio.desk.next_item(who, session)) is not None:
                studio.desk.submit(who, session, item.id, random.choice(("left", "right", "tie")), swapped=item.swapped)
        except Exception as exc:  # recorded: the test asserts none happens
            failures.append(f"{who}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(who,)) for who in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def _draws(path: Path, session: str) -> list[tuple[int, str, int, int, float, float]]:
    return _sql(
        path,
        "SELECT d.comparison_id, d.drawn_by, d.pool_size, d.uncertain_id, d.audit_rate, d.probability "
        "FROM session_draws d JOIN annotation_sessions s ON s.id = d.session_id WHERE s.name = ? ORDER BY d.id",
        session,
    )


def _within_binomial(hits: int, n: int, p: float) -> bool:
    return abs(hits - n * p) <= 4 * math.sqrt(n * p * (1 - p))  # 4 sigma: a false alarm about 1 in 16,000


# ---------------------------------------------------------------------- the done-when of item 5
def test_uncertain_items_go_first_with_the_audit_share_and_draw_probabilities(studio: Studio, db_path: Path) -> None:
    scores = _judged_dataset(studio)
    studio.store.save_session("route", "routed", overlap=1, strategy="judge-uncertain-first", audit_rate=0.2)
    assert _drive(studio, "route", ANNOTATORS) == []

    draws = _draws(db_path, "route")
    assert len(draws) == N_ITEMS  # k = 1, nothing expired: one draw per item
    taken: set[int] = set()
    for item, how, pool_size, pick, rate, probability in draws:  # replay the log in the order it was written
        pool = [i for i in scores if i not in taken]
        best = min(pool, key=lambda i: (scores[i], i))
        assert pick == best and pool_size == len(pool) and rate == 0.2
        assert item == pick if how == "uncertain" else how == "audit"
        assert probability == pytest.approx(0.2 / len(pool) + 0.8 * (item == pick))
        taken.add(item)
    first = [item for item, how, *_ in draws if how == "uncertain"][:5]
    assert sorted(scores[i] for i in first)[:3] == [0.0, 0.0, 0.0]  # the disagreements come first
    audits = sum(how == "audit" for _item, how, *_ in draws)
    assert _within_binomial(audits, len(draws), 0.2), audits

    leases = _sql(db_path, "SELECT a.draw_probability, a.drawn_by FROM assignments a WHERE a.session_id IS NOT NULL")
    labels = _sql(db_path, "SELECT draw_probability FROM labels WHERE session_id IS NOT NULL")
    assert len(leases) == len(labels) == N_ITEMS
    assert all(p is not None and 0 < p <= 1 and how in ("audit", "uncertain") for p, how in leases)
    assert all(p is not None and 0 < p <= 1 for (p,) in labels)
    per_item = _sql(db_path, "SELECT comparison_id, count(*) FROM labels GROUP BY comparison_id HAVING count(*) > 1")
    assert per_item == []


def test_an_overlap_of_two_is_never_exceeded_and_every_row_has_a_probability(studio: Studio, db_path: Path) -> None:
    scores = _judged_dataset(studio, n=40)
    studio.store.save_session("route2", "routed", overlap=2, strategy="judge-uncertain-first", audit_rate=0.3)
    assert _drive(studio, "route2", ANNOTATORS) == []
    counts = _sql(db_path, "SELECT comparison_id, count(*) FROM labels WHERE NOT skipped GROUP BY comparison_id")
    assert sorted(n for _item, n in counts) == [2] * 40  # every item got its k = 2 answers, none more
    assert _sql(db_path, "SELECT count(*) FROM labels WHERE draw_probability IS NULL OR draw_probability <= 0") == [
        (0,)
    ]
    firsts = [item for item, how, *_ in _draws(db_path, "route2") if how == "uncertain"][:4]
    assert all(scores[i] == 0.0 for i in firsts[:2])  # the most uncertain ones are handed out first
    pis = studio.store.draw_probabilities("routed", "route2")
    assert len(pis) == 40 and pis["draw_probability"].between(0, 1).all()


def test_with_only_audit_draws_pi_is_simple_random_sampling(studio: Studio) -> None:
    """a = 1: every lease is uniform, and π_i = 1 - Π_t (1 - 1/|P_t|) = n/N exactly, for every item."""
    _judged_dataset(studio, n=30)
    studio.store.save_session("audit", "routed", strategy="judge-uncertain-first", audit_rate=1.0)
    for _ in range(12):
        item = studio.desk.next_item("ann-0", "audit")
        studio.desk.submit("ann-0", "audit", item.id, "left", swapped=item.swapped)
    pis = studio.store.draw_probabilities("routed", "audit")
    assert pis["draw_probability"].tolist() == pytest.approx([12 / 30] * 30)
    assert studio.store.draw_probabilities("routed")["draw_probability"].tolist() == pytest.approx([12 / 30] * 30)


def test_inclusion_follows_the_formula() -> None:
    draws = [(4, 11, 0.25), (3, 12, 0.25), (2, 12, 0.25)]
    got = inclusion(draws, [11, 12, 13])
    never_13 = (1 - 0.25 / 4) * (1 - 0.25 / 3) * (1 - 0.25 / 2)
    assert got[13] == pytest.approx(1 - never_13)
    assert got[11] == pytest.approx(1 - 0.25 * (1 - 1 / 4) * (1 - 0.25 / 3) * (1 - 0.25 / 2))
    assert got[12] == pytest.approx(1 - (1 - 0.25 / 4) * 0.25 * (2 / 3) * 0.25 * (1 / 2))
    assert inclusion([(1, 5, 1.0)], [5, 6]) == {5: 1.0, 6: 1.0}
    assert margin(0.6, 0.3, 0.1) == pytest.approx(0.3) and margin(None, None, None) is None


def test_the_draw_probabilities_feed_the_corrected_estimates(studio: Studio, db_path: Path) -> None:
    from analysis.corrected import win_rates_against

    _judged_dataset(studio, n=30)
    studio.store.save_session("feed", "routed", strategy="judge-uncertain-first", audit_rate=0.5)
    for who in ANNOTATORS[:2]:
        for _ in range(6):
            item = studio.desk.next_item(who, "feed")
            studio.desk.submit(who, "feed", item.id, "right", swapped=item.swapped)
    comparisons = studio.store.comparison_table("routed")[["id", "model1", "model2"]]
    comparisons = comparisons.rename(columns={"id": "comparison_id"}).merge(
        studio.store.draw_probabilities("routed"), on="comparison_id"
    )
    labelled = {item for (item,) in _sql(db_path, "SELECT comparison_id FROM labels WHERE NOT skipped")}
    pi = comparisons.set_index("comparison_id")["draw_probability"]
    assert (pi[list(labelled)] > 0).all() and len(labelled) == 12
    people = pd.DataFrame({"comparison_id": sorted(labelled), "verdict": "2"})
    judge = pd.DataFrame({"comparison_id": comparisons["comparison_id"], "verdict": "1"})
    (rate,) = win_rates_against(comparisons, people, judge, "m-a")
    assert rate.n_labelled == 12 and rate.n_unlabelled == 18  # weighted by 1/π and 1/(1 - π)
    assert rate.people.estimate is not None and 0 <= rate.people.estimate <= 1
    assert rate.corrected.low is not None and rate.corrected.high is not None


# ---------------------------------------------------------------------- least-annotated is as before
def test_least_annotated_sessions_hand_out_items_as_before(studio: Studio, db_path: Path) -> None:
    _judged_dataset(studio, n=10)
    view = studio.store.save_session("plain", "routed")
    assert studio.store.session_assignment("plain") == {"strategy": "least-annotated", "audit_rate": 0.2}
    handed = []
    for _ in range(4):
        item = studio.desk.next_item("ann-0", "plain")
        studio.desk.submit("ann-0", "plain", item.id, "left", swapped=item.swapped)
        handed.append(item.id)
    ids = sorted(int(i) for i in studio.store.comparison_table("routed")["id"])
    # fewest answers first, ties in the person's own order (not by id, so a gold item does not stand out by
    # its number; not by the judge)
    assert len(set(handed)) == 4 and set(handed) <= set(ids) and handed != ids[:4] and view.overlap == 1
    assert _sql(db_path, "SELECT count(*) FROM session_draws") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM labels WHERE draw_probability IS NOT NULL") == [(0,)]
    assert studio.store.draw_probabilities("routed", "plain")["draw_probability"].isna().all()
    assert studio.store.draw_probabilities("routed")["draw_probability"].isna().all()  # design unknown


def test_assignment_settings_are_checked(studio: Studio) -> None:
    _judged_dataset(studio, n=8)
    with pytest.raises(StoreError, match="assignment strategy must be one of"):
        studio.store.save_session("bad", "routed", strategy="random")
    with pytest.raises(StoreError, match="audit share must be from 0.01 to 1, got 0"):
        studio.store.save_session("bad", "routed", strategy="judge-uncertain-first", audit_rate=0)
    with pytest.raises(StoreError, match="rating scale must be 10 .1-10. or 5"):  # grading sessions route too now
        studio.store.save_session("bad", "routed", kind="single", strategy="judge-uncertain-first", scale=7)
    assert "bad" not in {s.name for s in studio.store.sessions()}
    studio.store.save_session("ok", "routed", strategy="judge-uncertain-first", audit_rate=0.1)
    assert studio.store.session_assignment("ok") == {"strategy": "judge-uncertain-first", "audit_rate": 0.1}
    studio.store.save_session("ok", "routed", overlap=2)  # other edits keep the strategy
    assert studio.store.session_assignment("ok")["strategy"] == "judge-uncertain-first"
