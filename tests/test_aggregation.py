"""Label aggregation: majority vs Dawid-Skene (crowd-kit) on a case with an adversarial annotator, and
crowd-kit's own published step-by-step Dawid-Skene example."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from analysis.aggregation import aggregate, compare_aggregations, dawid_skene, mace, majority


def _adversarial(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, dict[int, str]]:
    """Two honest annotators (80 % and 70 % right) and one who always flips "1" and "2"."""
    rng = np.random.default_rng(seed)
    truth = {i: str(rng.choice(["1", "2"])) for i in range(n)}
    flip = {"1": "2", "2": "1"}
    rows = []
    for i, t in truth.items():
        for name, accuracy in (("ann", 0.8), ("bob", 0.7)):
            rows.append((i, name, t if rng.random() < accuracy else flip[t]))
        rows.append((i, "eve", flip[t]))
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"]), truth


def _accuracy(labels: dict, truth: dict[int, str]) -> float:
    return float(np.mean([labels[i] == t for i, t in truth.items()]))


def test_dawid_skene_beats_majority_when_one_annotator_is_adversarial() -> None:
    labels, truth = _adversarial()
    mv, ds = majority(labels), dawid_skene(labels)
    # the majority is right only when both honest annotators are: about 0.8 * 0.7 = 0.56
    assert _accuracy(mv.labels, truth) == pytest.approx(0.56, abs=0.07)
    assert _accuracy(ds.labels, truth) > 0.97  # DS learns that "eve" is a perfect, inverted signal
    quality = {q.annotator: q for q in ds.annotators}
    assert quality["eve"].accuracy is not None and quality["eve"].accuracy < 0.05
    assert quality["ann"].accuracy == pytest.approx(0.8, abs=0.07)
    assert quality["bob"].accuracy == pytest.approx(0.7, abs=0.07)
    assert set(quality["ann"].per_label) == {"1", "2"} and quality["ann"].n_labels == 300
    assert ds.method == "dawid-skene" and set(ds.frame()["method"]) == {"dawid-skene"}


def test_majority_rule_ties_and_leave_one_out_quality_by_hand() -> None:
    labels = pd.DataFrame(
        [
            (1, "a", "1"), (1, "b", "1"), (1, "c", "2"),
            (2, "a", "1"), (2, "b", "2"),
            (3, "a", "2"), (3, "b", "2"), (3, "c", "2"),
        ],
        columns=["comparison_id", "annotator", "verdict"],
    )  # fmt: skip
    result = majority(labels)
    assert result.labels == {1: "1", 2: "tie", 3: "2"}  # equal top counts give "tie"
    assert result.confidence[1] == pytest.approx(2 / 3) and result.confidence[2] == pytest.approx(0.5)
    quality = {q.annotator: q for q in result.annotators}
    # c: others' majority is "1" on item 1 (disagrees) and "2" on item 3 (agrees)
    assert quality["c"].accuracy == pytest.approx(0.5) and quality["c"].n_labels == 2
    # a: on 1 the others split (b "1", c "2": no majority, left out), "2" on 2 (b) disagrees, "2" on 3 agrees
    assert quality["a"].accuracy == pytest.approx(1 / 2)


def test_crowd_kit_published_step_by_step_dawid_skene_example() -> None:
    """crowd-kit's tests/aggregation/test_ds_aggregation.py (``data`` and ``errors_iter_1``):
    after one EM iteration w2's confusion diagonal is no->no 0.75, yes->yes 0.93, and the labels are
    t1 yes, t2 yes, t3 no, t4 yes, t5 no."""
    said = {
        "t1": {"w1": "no", "w2": "yes", "w4": "yes", "w5": "no"},
        "t2": {"w1": "yes", "w2": "yes", "w3": "yes", "w4": "no", "w5": "no"},
        "t3": {"w1": "yes", "w2": "no", "w3": "no", "w4": "yes", "w5": "no"},
        "t4": {"w1": "yes", "w2": "yes", "w3": "yes", "w4": "yes", "w5": "yes"},
        "t5": {"w1": "yes", "w2": "no", "w3": "no", "w4": "no", "w5": "no"},
    }
    labels = pd.DataFrame(
        [(t, w, v) for t, row in said.items() for w, v in row.items()],
        columns=["comparison_id", "annotator", "verdict"],
    )
    result = dawid_skene(labels, n_iter=1)
    assert result.labels == {"t1": "yes", "t2": "yes", "t3": "no", "t4": "yes", "t5": "no"}
    w2 = {q.annotator: q for q in result.annotators}["w2"]
    assert w2.per_label["no"] == pytest.approx(0.75, abs=0.005)
    assert w2.per_label["yes"] == pytest.approx(0.93, abs=0.005)
    w5 = {q.annotator: q for q in result.annotators}["w5"]
    assert w5.per_label["no"] == pytest.approx(1.00, abs=0.005) and w5.per_label["yes"] == pytest.approx(
        0.39, abs=0.005
    )


def test_side_by_side_and_mace_and_unknown_method() -> None:
    labels, truth = _adversarial(n=60, seed=3)
    side = compare_aggregations(labels, ("majority", "dawid-skene"))
    assert side.n_comparisons == 60 and 0 < side.n_differ <= 60
    assert set(side.results) == {"majority", "dawid-skene"}
    competence = {q.annotator: q.accuracy for q in mace(labels, n_restarts=2, n_iter=20).annotators}
    assert competence["eve"] is not None and competence["ann"] is not None and competence["eve"] < competence["ann"]
    json.dumps(asdict(side.results["majority"]), default=str)
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate(labels, "median")
    assert majority(labels.iloc[0:0]).labels == {}
