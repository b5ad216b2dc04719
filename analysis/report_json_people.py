"""The JSON of the report's "can this judge replace people?" figures (``analysis.judge_vs_people``):
label aggregation side by side, and per judge run calibration, the alternative-annotator test and
the corrected estimates. Kept beside ``report_json`` so that module stays readable; ``report_dict``
calls these, so ``metrics --json``, REST ``/metrics`` and the report card read the same values.

Every "people" figure carries ``people_labels``: the aggregation its people side was computed from.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analysis.aggregation import Aggregation, AggregationComparison
from analysis.calibration import Calibration
from analysis.corrected import ANY_OPPONENT, CorrectedWinRate
from analysis.judge_vs_people import CorrectedEstimates, JudgeVsPeople
from analysis.verdicts import LABELS

QUALITY = {
    "majority": "agreement with the majority of the other annotators on the same comparisons (leave-one-out)",
    "dawid-skene": "estimated probability that the annotator's label is right: the prior-weighted diagonal of "
    "their Dawid-Skene confusion matrix (per_label: P(says k | truth k))",
    "mace": "estimated probability that the annotator labels knowingly rather than at random (MACE)",
}
CORRECTED_METHOD = (
    "people only: CLT interval over the people labels (ppi_py's classical_mean_ci: estimate ± z·SE, SE with "
    "ddof 0, the standard_error of people.win_rate when draws were equal); judge only: CLT interval over the "
    "judge's verdicts "
    "(biased by its errors); corrected: prediction-powered inference (PPI++, ppi_py) on judge verdicts for "
    "every item (half a win where it gave no verdict) and people labels on the labelled ones; ties count half "
    "a win; effective_labels: people "
    "labels a people-only interval would need to be as narrow as the corrected one"
)
NO_PROBABILITIES = (
    "not measured: this run stored no verdict probabilities (judge with forward-pass / constrained "
    "verdicts or remote logprobs to measure calibration)"
)


def _method(result: Aggregation) -> dict[str, Any]:
    counts = {label: 0 for label in LABELS}
    for verdict in result.labels.values():
        counts[verdict] = counts.get(verdict, 0) + 1
    return {
        "label_distribution": counts,
        "quality": QUALITY.get(result.method, ""),
        "annotators": [dataclasses.asdict(a) for a in result.annotators],
    }


def aggregation_dict(compared: AggregationComparison | None, used: str) -> dict[str, Any] | None:
    """Majority and Dawid-Skene side by side, with each annotator's estimated quality."""
    if compared is None:
        return None
    return {
        "used": used,
        "n_comparisons": compared.n_comparisons,
        "n_differ": compared.n_differ,
        "methods": {name: _method(result) for name, result in compared.results.items()},
    }


def _calibration(result: Calibration) -> dict[str, Any]:
    return dataclasses.asdict(result)


def _rate(rate: CorrectedWinRate) -> dict[str, Any]:
    row = dataclasses.asdict(rate)
    row["opponent"] = None if rate.opponent == ANY_OPPONENT else rate.opponent
    return row


def _corrected(estimates: CorrectedEstimates) -> dict[str, Any]:
    strengths = estimates.bradley_terry
    return {
        "people_labels": estimates.people_aggregation,
        "method": CORRECTED_METHOD,
        "baseline": estimates.baseline,
        "against_baseline": [_rate(r) for r in estimates.against_baseline],
        "against_all": [_rate(r) for r in estimates.overall],
        "pairs": [_rate(r) for r in estimates.pairs],
        "bradley_terry": dataclasses.asdict(strengths) if strengths is not None else None,
    }


def judge_vs_people_dict(section: JudgeVsPeople | None) -> dict[str, Any]:
    """A run's calibration, alternative-annotator test and corrected estimates (keys of its judge section)."""
    if section is None:
        return {"calibration": None, "calibration_note": None, "alt_test": [], "corrected": None}
    calibration: dict[str, Any] | None = None
    if section.calibration is not None:
        report = section.calibration
        calibration = {
            "people_labels": section.people_aggregation,
            "n_with_probabilities": section.n_with_probabilities,
            "n_bins": report.n_bins,
            **_calibration(report.overall),
            "by_category": {name: _calibration(c) for name, c in report.by_category.items()},
        }
    return {
        "calibration": calibration,
        "calibration_note": None if calibration is not None else NO_PROBABILITIES,
        "alt_test": [{"group": g.group, **dataclasses.asdict(g.result)} for g in section.alt_tests],
        "corrected": _corrected(section.corrected) if section.corrected is not None else None,
    }
