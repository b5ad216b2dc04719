"""Agreement with the others' majority at overlap 3, and Cohen's kappa where it is undefined.

Tester report s10, finding 4: with three labels per comparison the "others" of an annotator are two
people; where they split (one says 1, one says 2) the old rule called their majority "tie" and the
annotator disagreed with it, so an expert who always matched the truth scored like the crowd.
Finding 10: ``metrics`` printed scikit-learn's UndefinedMetricWarning where kappa is undefined."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from test_alt_reasons import _study

from analysis import ReportOptions, build_report, report_dict
from analysis.agreement import human_judge_agreement
from analysis.inter_annotator import annotator_agreement, annotator_table


def _overlap_three(n: int = 60) -> pd.DataFrame:
    """An expert who is always right, two crowd workers right 60% of the time (else the other side)."""
    rng = np.random.default_rng(11)
    truth = rng.choice(["1", "2"], size=n)
    other = np.where(truth == "1", "2", "1")
    rows = []
    for i in range(n):
        rows.append((i, "expert", truth[i]))
        for who in ("crowd1", "crowd2"):
            rows.append((i, who, truth[i] if rng.random() < 0.6 else other[i]))
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])


def test_items_where_the_others_split_are_left_out_and_counted() -> None:
    labels = _overlap_three()
    table = annotator_agreement(labels).set_index("annotator")
    wide = labels.pivot(index="comparison_id", columns="annotator", values="verdict")
    crowd_split = int((wide["crowd1"] != wide["crowd2"]).sum())
    expert = table.loc["expert"]
    assert expert["others_split"] == crowd_split > 0
    assert expert["n_with_others"] == 60 - crowd_split
    # where the two crowd workers agree they are right more often than not: the expert matches them there
    agreeing = wide[wide["crowd1"] == wide["crowd2"]]
    assert expert["with_others"] == (agreeing["expert"] == agreeing["crowd1"]).mean()
    assert expert["with_others"] > table.loc["crowd1", "with_others"]
    # a crowd worker's others are the expert and the other worker: split where those two differ
    assert table.loc["crowd1", "others_split"] == int((wide["expert"] != wide["crowd2"]).sum())
    assert annotator_table(labels).set_index("annotator").loc["expert", "others_split"] == crowd_split


def test_the_report_gives_the_split_count_beside_the_figure() -> None:
    report = report_dict(build_report(_study(), ReportOptions(n_bootstrap=0)))
    people = {p["name"]: p["with_others"] for p in report["annotators"]}
    assert all(p["n_split"] >= 0 and p["n"] + p["n_split"] == 36 for p in people.values())
    assert any(p["n_split"] > 0 for p in people.values())


def test_undefined_kappa_is_none_and_warns_nobody() -> None:
    # a label outside the scheme ("1", "2", "tie") beside one shared label: scikit-learn counts only the
    # scheme's labels, finds one, and warned "cohen_kappa_score is undefined" on the terminal
    labels = pd.DataFrame({"comparison_id": [1, 2, 3], "annotator": "a", "verdict": ["1", "1", "both bad"]})
    verdicts = pd.DataFrame({"comparison_id": [1, 2, 3], "verdict": "1", "status": "ok"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's UndefinedMetricWarning would raise here
        agreement = human_judge_agreement(labels, verdicts)
    assert agreement.cohen_kappa is None and agreement.n == 3


def test_the_aggregation_table_scores_agreement_with_the_others_by_the_same_rule() -> None:
    """The report card's "aggregation side by side" table (majority's per-annotator quality) counted the
    items where the others split as misses while metrics and the dashboard left them out: one rule now."""
    from analysis.aggregation import majority

    labels = _overlap_three()
    table = annotator_agreement(labels).set_index("annotator")
    quality = {q.annotator: q.accuracy for q in majority(labels).annotators}
    for name in ("expert", "crowd1", "crowd2"):
        assert quality[name] == pytest.approx(table.loc[name, "with_others"])
