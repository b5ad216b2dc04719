"""Calibration figures checked against hand-computed small cases and scikit-learn's calibration_curve."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve

from analysis.calibration import LABELS, bin_ids, calibration, calibration_report, reliability_frame


def _judge_and_people() -> tuple[pd.DataFrame, pd.DataFrame]:
    judge = pd.DataFrame(
        {
            "comparison_id": [1, 2, 3, 4, 5, 6],
            "verdict": ["1", "1", "2", "tie", "2", "1"],
            "probabilities": [
                {"1": 0.9, "2": 0.05, "tie": 0.05},
                {"1": 0.8, "2": 0.1, "tie": 0.1},
                {"1": 0.2, "2": 0.7, "tie": 0.1},
                {"1": 0.3, "2": 0.3, "tie": 0.4},
                None,  # labelled, but the judge gave no probabilities
                {"1": 0.6, "2": 0.2, "tie": 0.2},  # judged, nobody labelled it
            ],
            "category": ["math", "math", "writing", "writing", "writing", "math"],
        }
    )
    people = pd.DataFrame({"comparison_id": [1, 2, 3, 4, 5], "verdict": ["1", "2", "2", "tie", "1"]})
    return judge, people


def test_hand_computed_reliability_bins_ece_and_brier() -> None:
    judge, people = _judge_and_people()
    report = calibration_report(judge, people, n_bins=5)
    overall = report.overall
    # top verdicts 1 (0.9, right), 1 (0.8, wrong), 2 (0.7, right), tie (0.4, right)
    assert overall.n == 4 and overall.n_without_probabilities == 1
    assert overall.accuracy == pytest.approx(0.75)
    assert overall.mean_confidence == pytest.approx(0.7)
    counts = [b.count for b in overall.bins]
    assert counts == [0, 1, 0, 2, 1]  # 0.8 sits on an edge and belongs to (0.6, 0.8], as in scikit-learn
    assert overall.bins[3].confidence == pytest.approx(0.75) and overall.bins[3].accuracy == pytest.approx(0.5)
    # ECE = (1*|1-0.4| + 2*|0.5-0.75| + 1*|1-0.9|) / 4
    assert overall.ece == pytest.approx((0.6 + 0.5 + 0.1) / 4)
    # Brier: sum of squared gaps to the one-hot label, averaged over the 4 items
    per_item = [
        0.1**2 + 0.05**2 + 0.05**2,
        0.8**2 + 0.9**2 + 0.1**2,
        0.2**2 + 0.3**2 + 0.1**2,
        0.3**2 + 0.3**2 + 0.6**2,
    ]
    assert overall.brier == pytest.approx(sum(per_item) / 4)
    math = report.by_category["math"]
    assert math.n == 2 and math.ece == pytest.approx((0.1 + 0.8) / 2)
    assert math.brier == pytest.approx((per_item[0] + per_item[1]) / 2)
    assert report.by_category["writing"].n_without_probabilities == 1
    json.dumps(asdict(report))  # the report builder serialises it as is
    assert list(reliability_frame(overall)["count"]) == counts


def test_bins_match_scikit_learn_calibration_curve() -> None:
    rng = np.random.default_rng(0)
    raw = rng.dirichlet([1.0, 1.0, 0.5], size=500)
    raw[:20] = [0.5, 0.3, 0.2]  # confidences exactly on a bin edge
    truth = np.array([rng.choice(LABELS, p=p) for p in raw], dtype=object)
    result = calibration(raw, truth, n_bins=10)
    correct = np.asarray(LABELS, dtype=object)[raw.argmax(axis=1)] == truth
    prob_true, prob_pred = calibration_curve(correct, raw.max(axis=1), n_bins=10, strategy="uniform")
    filled = [b for b in result.bins if b.count]
    assert [b.accuracy for b in filled] == pytest.approx(list(prob_true))
    assert [b.confidence for b in filled] == pytest.approx(list(prob_pred))
    assert sum(b.count for b in result.bins) == 500
    assert bin_ids(np.array([0.0, 0.1, 0.100001, 1.0]), 10).tolist() == [0, 0, 1, 9]


def test_brier_equals_a_plain_numpy_computation_and_a_calibrated_judge_has_small_ece() -> None:
    rng = np.random.default_rng(1)
    probabilities = rng.dirichlet([2.0, 2.0, 1.0], size=20000)
    truth = np.array([LABELS[i] for i in (rng.random(20000)[:, None] > probabilities.cumsum(axis=1)).sum(axis=1)])
    onehot = (truth[:, None] == np.asarray(LABELS)[None, :]).astype(float)
    result = calibration(probabilities, truth, n_bins=10)
    assert result.brier == pytest.approx(float(((probabilities - onehot) ** 2).sum(axis=1).mean()))
    assert result.ece is not None and result.ece < 0.02  # labels drawn from the judge's own probabilities
    overconfident = np.where(probabilities == probabilities.max(axis=1, keepdims=True), 0.98, 0.01)
    worse = calibration(overconfident, truth, n_bins=10)
    assert worse.ece is not None and worse.ece > 0.3


def test_no_probabilities_gives_empty_figures_not_an_error() -> None:
    judge = pd.DataFrame({"comparison_id": [1, 2], "verdict": ["1", "2"], "probabilities": [None, None]})
    people = pd.DataFrame({"comparison_id": [1, 2], "verdict": ["1", "1"]})
    report = calibration_report(judge, people)
    assert report.overall.n == 0 and report.overall.n_without_probabilities == 2
    assert report.overall.ece is None and report.overall.brier is None and report.by_category == {}
