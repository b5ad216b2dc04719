"""The alternative-annotator test (Calderon et al. 2025): a judge that copies people passes, a judge at
chance fails, too few annotators is explained, and every figure equals a plain re-computation of
the authors' procedure (loops over annotators and items, the BY step-up written out)."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ttest_1samp

from analysis.alt_test import EPSILON, alt_test, alt_test_by_kind

LABELS = ["1", "2", "tie"]


def _people(n_items: int = 80, annotators: int = 4, accuracy: float = 0.8, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    truth = {i: str(rng.choice(LABELS, p=[0.45, 0.45, 0.1])) for i in range(n_items)}
    rows = []
    for a in range(annotators):
        for i, t in truth.items():
            said = t if rng.random() < accuracy else str(rng.choice([x for x in LABELS if x != t]))
            rows.append((i, f"person{a}", said))
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"]), truth


def _majority_judge(labels: pd.DataFrame) -> pd.DataFrame:
    top = labels.groupby("comparison_id")["verdict"].agg(lambda v: v.value_counts().index[0])
    return pd.DataFrame({"comparison_id": top.index, "verdict": top.to_numpy()})


def test_a_judge_that_copies_the_people_passes() -> None:
    labels, _ = _people()
    result = alt_test(labels, _majority_judge(labels), annotator_kind="expert")
    assert result.epsilon == EPSILON["expert"] == 0.2
    assert result.passed is True and result.problems == ()
    assert result.winning_rate == 1.0 and len(result.annotators) == 4
    assert result.advantage_probability is not None and result.advantage_probability > 0.8
    assert all(t.judge_alignment > t.human_alignment for t in result.annotators)
    assert "passes" in result.conclusion and "4 of 4" in result.conclusion
    json.dumps(asdict(result))


def test_a_judge_at_chance_fails() -> None:
    labels, truth = _people(seed=1)
    rng = np.random.default_rng(2)
    chance = pd.DataFrame({"comparison_id": list(truth), "verdict": rng.choice(LABELS, size=len(truth))})
    result = alt_test(labels, chance, annotator_kind="crowd")
    assert result.epsilon == 0.1
    assert result.passed is False and result.winning_rate == 0.0
    # equal scores count for both sides, so even a chance judge "wins" some items; people win far more
    assert result.advantage_probability is not None and result.advantage_probability < 0.6
    assert all(t.human_advantage > 0.85 and t.judge_alignment < t.human_alignment for t in result.annotators)
    assert "fails" in result.conclusion


def test_too_few_annotators_or_items_is_explained_not_decided() -> None:
    labels, _ = _people(annotators=2)
    result = alt_test(labels, _majority_judge(labels))
    assert result.passed is None and len(result.annotators) == 2 and result.winning_rate is None  # not "0.00"
    assert result.problems[0].startswith("only 2 expert annotators (person0, person1)")
    assert "could not decide" in result.conclusion
    few, _ = _people(n_items=20, annotators=4)
    small = alt_test(few, _majority_judge(few))
    assert small.passed is None and small.annotators == () and small.winning_rate is None
    assert set(small.skipped) == {"person0", "person1", "person2", "person3"}
    assert "needs 30" in small.skipped["person0"]


def _reference(labels: pd.DataFrame, judge: dict, epsilon: float, q: float) -> tuple[float, float, list[float]]:
    """The procedure as the paper and its notebook state it, with plain loops."""
    said: dict[str, dict] = {}
    for i, a, v in labels.itertuples(index=False):
        said.setdefault(a, {})[i] = v
    holders: dict = {}
    for a, items in said.items():
        for i in items:
            holders.setdefault(i, []).append(a)
    p_values, advantages = [], []
    for a in sorted(said):
        judge_ind, human_ind = [], []
        for i, own in said[a].items():
            rest = [said[b][i] for b in holders[i] if b != a]
            if not rest or i not in judge:
                continue
            h = np.mean([own == r for r in rest])
            m = np.mean([judge[i] == r for r in rest])
            judge_ind.append(1 if m >= h else 0)
            human_ind.append(1 if h >= m else 0)
        diff = np.array(human_ind) - np.array(judge_ind)
        p_values.append(float(ttest_1samp(diff, epsilon, alternative="less").pvalue))
        advantages.append(float(np.mean(judge_ind)))
    order = np.argsort(p_values)
    m = len(p_values)
    thresholds = np.arange(1, m + 1) / m * q / np.sum(1 / np.arange(1, m + 1))
    passing = [k for k in range(m) if np.array(p_values)[order][k] <= thresholds[k]]
    wins = (max(passing) + 1) if passing else 0
    return wins / m, float(np.mean(advantages)), p_values


def test_figures_equal_a_plain_recomputation_of_the_authors_procedure() -> None:
    rng = np.random.default_rng(0)
    labels, truth = _people(n_items=60, annotators=5, accuracy=0.65, seed=5)
    labels = labels.sample(frac=0.9, random_state=1)  # not everyone labelled everything
    judge = {i: (t if rng.random() < 0.6 else str(rng.choice(LABELS))) for i, t in truth.items()}
    verdicts = pd.DataFrame({"comparison_id": list(judge), "verdict": list(judge.values())})
    for epsilon in (0.1, 0.15, 0.2):
        result = alt_test(labels, verdicts, epsilon=epsilon, annotator_kind=None)
        omega, rho, p_values = _reference(labels, judge, epsilon, 0.05)
        assert [t.p_value for t in result.annotators] == pytest.approx(p_values)
        assert result.winning_rate == pytest.approx(omega) and result.advantage_probability == pytest.approx(rho)
    mixed = alt_test(labels, verdicts, epsilon=0.1)
    assert all(t.p_value < 0.05 for t in mixed.annotators)  # each test alone would reject ...
    assert mixed.winning_rate == 0.4 and mixed.passed is False  # ... but BY keeps only 2 of 5


def test_per_annotator_kind_uses_each_kinds_epsilon() -> None:
    experts, _ = _people(seed=7)
    crowd, _ = _people(seed=7, accuracy=0.6)
    crowd = crowd.assign(annotator=crowd["annotator"] + "-crowd")
    labels = pd.concat([experts.assign(annotator_kind="expert"), crowd.assign(annotator_kind="crowd")])
    results = alt_test_by_kind(labels, _majority_judge(experts))
    assert set(results) == {"crowd", "expert"}
    assert results["expert"].epsilon == 0.2 and results["crowd"].epsilon == 0.1
    assert {t.annotator for t in results["crowd"].annotators} == {f"person{i}-crowd" for i in range(4)}
