"""Calibration of a judge's verdict probabilities against people's labels.

A judge that outputs probabilities for "1", "2" and "tie" (forward-pass / constrained verdicts,
remote logprobs) is *calibrated* when, among the verdicts it gives with confidence ~0.8, about 80 %
agree with people. Three figures answer that:

* the reliability diagram: items binned by the confidence of the top verdict (equal-width bins on
  [0, 1]); per bin the mean confidence, the accuracy against people and the count;
* expected calibration error (ECE, Guo et al. 2017, "On Calibration of Modern Neural Networks"):
  the count-weighted mean gap |accuracy - confidence| over the bins (top-label ECE);
* the multiclass Brier score (Brier 1950): the mean over items of sum_k (p_k - [label = k])^2 over the
  three labels, from scikit-learn's ``brier_score_loss`` (``scale_by_half=False``: 0 is perfect, 2
  is worst).

Why the bins are counted here rather than by scikit-learn's ``calibration_curve``: that function
returns only the per-bin accuracy and confidence of non-empty bins, not the counts that ECE weights
by and a reliability diagram shows. The bins here use exactly its edges and its rule (a value on an
edge belongs to the lower bin, ``np.searchsorted`` on the inner edges), and the tests check that the
per-bin figures equal ``calibration_curve``'s.

Inputs are plain DataFrames. ``judge``: comparison_id, verdict, probabilities (a dict with keys
"1", "2", "tie", or None) and optionally ``category``; ``people``: comparison_id, verdict (one
aggregated label per comparison, e.g. from ``analysis.aggregation``). Imports nothing of Judge
Studio's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.defaults import CALIBRATION_BINS

LABELS = ("1", "2", "tie")


@dataclass(frozen=True)
class ReliabilityBin:
    """One bar of the reliability diagram: verdicts whose top probability lies in (low, high]."""

    low: float
    high: float
    count: int
    confidence: float | None  # mean top probability in the bin (None when empty)
    accuracy: float | None  # share of the bin's top verdicts that equal people's label


@dataclass(frozen=True)
class Calibration:
    """Calibration figures over one set of items (all of them, or one category)."""

    n: int  # items with probabilities and a people label
    n_without_probabilities: int  # labelled items whose judge verdict had no probabilities
    accuracy: float | None  # top verdict vs people
    mean_confidence: float | None
    ece: float | None
    brier: float | None
    bins: tuple[ReliabilityBin, ...]


@dataclass(frozen=True)
class CalibrationReport:
    overall: Calibration
    by_category: dict[str, Calibration]
    n_bins: int


def _probability_matrix(probabilities: pd.Series) -> npt.NDArray[np.float64]:
    """Rows of (p("1"), p("2"), p("tie")), renormalised to sum to 1 (a missing key counts as 0)."""
    rows = [[float((p or {}).get(label, 0.0)) for label in LABELS] for p in probabilities]
    matrix = np.asarray(rows, dtype=float).reshape(-1, len(LABELS))
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.full_like(matrix, 1 / len(LABELS)), where=totals > 0)


def bin_ids(confidence: npt.NDArray[np.float64], n_bins: int) -> npt.NDArray[np.int64]:
    """Bin index per confidence, with scikit-learn ``calibration_curve``'s uniform edges and edge rule."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], confidence).astype(np.int64)


def _bins(confidence: npt.NDArray[np.float64], correct: npt.NDArray[np.bool_], n_bins: int) -> list[ReliabilityBin]:
    ids = bin_ids(confidence, n_bins)
    counts = np.bincount(ids, minlength=n_bins)
    conf_sum = np.bincount(ids, weights=confidence, minlength=n_bins)
    correct_sum = np.bincount(ids, weights=correct.astype(float), minlength=n_bins)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return [
        ReliabilityBin(
            low=float(edges[b]),
            high=float(edges[b + 1]),
            count=int(counts[b]),
            confidence=float(conf_sum[b] / counts[b]) if counts[b] else None,
            accuracy=float(correct_sum[b] / counts[b]) if counts[b] else None,
        )
        for b in range(n_bins)
    ]


def calibration(
    probabilities: npt.NDArray[np.float64], truth: npt.ArrayLike, *, n_bins: int = CALIBRATION_BINS, n_without: int = 0
) -> Calibration:
    """Reliability bins, ECE and multiclass Brier score from an (n, 3) probability matrix (columns
    "1", "2", "tie") and people's labels. The top verdict is the argmax (first label on equal
    probabilities); ECE is top-label ECE over ``n_bins`` equal-width bins (Guo et al. 2017)."""
    from sklearn.metrics import brier_score_loss

    truth = np.asarray(truth, dtype=object)
    n = len(truth)
    if n == 0:
        empty = _bins(np.zeros(0), np.zeros(0, dtype=bool), n_bins)
        return Calibration(0, n_without, None, None, None, None, tuple(empty))
    top = np.asarray(LABELS, dtype=object)[probabilities.argmax(axis=1)]
    confidence = probabilities.max(axis=1)
    correct = top == truth
    bins = _bins(confidence, correct, n_bins)
    gaps = [
        b.count / n * abs(b.accuracy - b.confidence)
        for b in bins
        if b.accuracy is not None and b.confidence is not None
    ]
    ece = float(sum(gaps))
    brier = brier_score_loss(truth.astype(str), probabilities, labels=list(LABELS), scale_by_half=False)
    return Calibration(
        n=n,
        n_without_probabilities=n_without,
        accuracy=float(correct.mean()),
        mean_confidence=float(confidence.mean()),
        ece=ece,
        brier=float(brier),
        bins=tuple(bins),
    )


def _joined(judge: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """One (judge, people) row per comparison: the judge's last parsed verdict and people's label."""
    verdicts = judge[judge["verdict"].isin(LABELS)].drop_duplicates("comparison_id", keep="last")
    human = people[people["verdict"].isin(LABELS)][["comparison_id", "verdict"]].rename(columns={"verdict": "human"})
    return verdicts.merge(human.drop_duplicates("comparison_id", keep="last"), on="comparison_id", how="inner")


def _calibration_of(rows: pd.DataFrame, n_bins: int) -> Calibration:
    # ``.loc`` with a boolean Series: on an empty frame (a judged dataset nobody labelled yet) the mapped
    # Series is of dtype object, and ``rows[has]`` would select columns instead of rows
    has = rows["probabilities"].map(lambda p: isinstance(p, dict) and bool(p)).astype(bool)
    with_p = rows.loc[has]
    return calibration(
        _probability_matrix(with_p["probabilities"]),
        with_p["human"].to_numpy(dtype=object),
        n_bins=n_bins,
        n_without=int((~has).sum()),
    )


def calibration_report(
    judge: pd.DataFrame, people: pd.DataFrame, *, n_bins: int = CALIBRATION_BINS
) -> CalibrationReport:
    """Calibration overall and per ``category`` (when the judge frame has that column).

    ``judge``: comparison_id, verdict, probabilities (dict or None)[, category]; ``people``:
    comparison_id, verdict (aggregated). Items without a people label are left out; labelled items
    without probabilities are counted in ``n_without_probabilities``."""
    rows = _joined(judge, people)
    if "probabilities" not in rows:
        rows = rows.assign(probabilities=None)
    by_category: dict[str, Calibration] = {}
    if "category" in rows:
        for name, group in rows.groupby(rows["category"].fillna("").astype(str), sort=True):
            by_category[str(name)] = _calibration_of(group, n_bins)
    return CalibrationReport(overall=_calibration_of(rows, n_bins), by_category=by_category, n_bins=n_bins)


def reliability_frame(result: Calibration) -> pd.DataFrame:
    """The reliability diagram as a table (low, high, count, confidence, accuracy) for plotting."""
    columns: dict[str, Any] = {k: [getattr(b, k) for b in result.bins] for k in ReliabilityBin.__dataclass_fields__}
    return pd.DataFrame(columns)
