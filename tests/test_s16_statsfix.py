"""Session 16 review (review16), findings 1-3, statistics.

1. The clustered intervals of the over-time and per-category agreement use Kish's effective number of comparisons,
   (sum n_i)^2 / sum n_i^2 with n_i the labels of comparison i, not the number of comparisons: the accuracy is
   label-weighted, so a comparison with many labels weighs more (review16 measured 87% coverage, and 0% in an
   extreme case, for a nominal 95%).
2. An older saved report (before s15) has no interval of its own for the headline accuracy (no verdict counted as
   wrong): the text and the card print none, never the decisive-only interval of a different figure over another n.
3. A borderline pair that is significant on its own but not after Holm says so, not "label more comparisons".
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import build_report, judge_report_card, report_dict
from analysis.agreement import agreement_over_time, per_vote_by_group, wilson_interval
from analysis.borderline import borderline, borderline_text
from analysis.partial_order import partial_order
from analysis.report import JudgeRun, ReportInputs, ReportOptions
from analysis.report_text import format_report, headline_accuracy_text
from ui.card_document import card_markdown

# ------------------------------------------------------------------------------------------ finding 1


def _labels(sizes: list[int], agree: list[bool], start: str = "2026-01-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comparison i + 1 gets sizes[i] labels, all "1" when agree[i] (the judge always says "1"), else all "2"."""
    rows = []
    for i, (size, yes) in enumerate(zip(sizes, agree, strict=True)):
        rows += [(i + 1, f"a{k}", "1" if yes else "2") for k in range(size)]
    labels = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])
    labels["updated_at"] = pd.date_range(start, periods=len(labels), freq="min")
    verdicts = pd.DataFrame({"comparison_id": range(1, len(sizes) + 1), "verdict": "1", "status": "ok"})
    return labels, verdicts


def _kish(sizes: list[int]) -> float:
    n = np.asarray(sizes, dtype=float)
    return float(n.sum() ** 2 / (n**2).sum())


def test_group_interval_uses_kish_effective_n() -> None:
    """review16 t2: one comparison with 40 agreeing labels, nine with one disagreeing label. Accuracy 40/49 over
    labels; 10 comparisons, but their effective number is 49^2 / (1600 + 9) = 1.49: the interval is Wilson's at
    that n (about [0.18, 0.99]), not at n = 10 ([0.49, 0.95], which leaves out the 0.5 of the simulation)."""
    sizes, agree = [40] + [1] * 9, [True] + [False] * 9
    labels, verdicts = _labels(sizes, agree)
    groups = pd.Series("g", index=range(1, 11), name="category")
    row = per_vote_by_group(labels, verdicts, groups).loc["g"]
    assert (row["n"], row["comparisons"]) == (49, 10)  # n: labels; comparisons: distinct comparisons
    n_eff = _kish(sizes)
    assert n_eff == pytest.approx(1.4922, abs=1e-4)
    low, high = wilson_interval(40 / 49 * n_eff, n_eff)
    assert (row["low"], row["high"]) == pytest.approx((float(low), float(high)))
    assert row["low"] < 0.5  # at n = 10 the interval was [0.49, 0.95]... and at n_eff it holds 0.5


def test_over_time_interval_uses_the_cumulative_kish_n() -> None:
    """Over time, each point's n_eff reads the labels so far: comparison 1 gets 3 labels, then 2 and 3 one each."""
    labels, verdicts = _labels([3, 1, 1], [True, False, True])
    table = agreement_over_time(labels, verdicts, points=5)
    assert table["n"].tolist() == [1, 2, 3, 4, 5]
    assert table["comparisons"].tolist() == [1, 1, 1, 2, 3]
    for row, sizes in zip(table.itertuples(), [[1], [2], [3], [3, 1], [3, 1, 1]], strict=True):
        n_eff = _kish(sizes)
        low, high = wilson_interval(row.accuracy * n_eff, n_eff)
        assert (row.low, row.high) == pytest.approx((float(low), float(high)))


def test_group_interval_covers_at_its_nominal_level() -> None:
    """review16 t3 as a small seeded simulation through ``per_vote_by_group``: 400 groups (one replicate each) of
    20 comparisons with 5 labels and 80 with 1, true agreement 0.8, every label of a comparison agreeing with the
    others (the worst case, ICC = 1). With n = the 100 comparisons the 95% interval covered 0.8 in 87% of
    replicates; with Kish's n (55.9) about 95%."""
    rng = np.random.default_rng(16)
    replicates, sizes = 400, np.array([5] * 20 + [1] * 80)
    comparison = np.arange(replicates * len(sizes)) + 1
    agree = rng.random(len(comparison)) < 0.8
    size = np.tile(sizes, replicates)
    ids = np.repeat(comparison, size)
    labels = pd.DataFrame(
        {"comparison_id": ids, "annotator": "a", "verdict": np.where(np.repeat(agree, size), "1", "2")}
    )
    verdicts = pd.DataFrame({"comparison_id": comparison, "verdict": "1", "status": "ok"})
    groups = pd.Series(np.repeat(np.arange(replicates), len(sizes)), index=comparison, name="replicate")
    table = per_vote_by_group(labels, verdicts, groups)
    assert len(table) == replicates and (table["comparisons"] == 100).all()
    coverage = float(((table["low"] <= 0.8) & (table["high"] >= 0.8)).mean())
    assert coverage >= 0.92, coverage


def test_the_text_and_the_category_figure_say_what_n_is() -> None:
    from ui.plots import category_figure

    shown = pd.DataFrame(
        [["c", 10, 10, 49, 49, 0.816, 0.18, 0.99, 10, False]],
        columns=["category", "comparisons", "labelled", "labels", "n", "accuracy", "low", "high", "judged", "few"],
    )
    bar = category_figure(shown).data[0]
    assert bar.text[0] == "n=49 labels"
    assert "accuracy %{y:.3f} (%{text})" in bar.hovertemplate  # "(n=49 labels)"
    assert "Wilson over the effective number of comparisons" in bar.hovertemplate


# ------------------------------------------------------------------------------------------ finding 2

N = 30


def _report() -> dict[str, Any]:
    """30 comparisons, three people agreeing; the judge right on 20, no verdict on 10 (unparsed)."""
    texts = pd.DataFrame(
        {
            "id": range(1, N + 1),
            "prompt": [f"p{i}" for i in range(N)],
            "category": "c",
            "model1": "m-a",
            "model2": "m-b",
            "response1": [f"one {i}" for i in range(N)],
            "response2": [f"two {i}" for i in range(N)],
        }
    )
    rows = [(i + 1, h, "1", pd.Timestamp("2026-01-01"), "m-a", "m-b") for i in range(N) for h in ("h1", "h2", "h3")]
    labels = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"])
    verdicts = pd.DataFrame(
        [(7, i + 1, False, None if i % 3 == 0 else "1", "unparsed" if i % 3 == 0 else "ok") for i in range(N)],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status"],
    )
    inputs = ReportInputs("old", texts, labels, verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    return report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))


def _older(report: dict[str, Any]) -> dict[str, Any]:
    """The report as saved before s15: the headline figure had n, accuracy and macro P/R/F1, no interval."""
    old = copy.deepcopy(report)
    strict = old["judges"][0]["against_majority_unparsed_as_wrong"]
    del strict["accuracy_ci95"], strict["no_verdict"]
    return old


def test_an_older_report_prints_no_borrowed_interval_beside_the_headline() -> None:
    report = _report()
    judge = report["judges"][0]
    decisive = judge["against_majority"]["accuracy_ci95"]
    assert judge["against_majority"]["n"] == 20 and judge["against_majority_unparsed_as_wrong"]["n"] == 30
    old = _older(report)
    line = headline_accuracy_text(old["judges"][0])
    assert line.startswith("  vs majority (n=30): accuracy 0.667")
    assert f"{decisive['low']:.3f}" not in line and "[" not in line
    assert "no interval in this older report" in line
    text = format_report(old)
    assert "  vs majority (n=30): accuracy 0.667 (no interval in this older report)" in text
    # the decisive-only line keeps its own interval
    assert f"decisive verdicts only (n=20): accuracy 1.000 [{decisive['low']:.3f}, {decisive['high']:.3f}]" in text
    card = judge_report_card(old)
    agreement = card["judges"][0]["agreement"]
    assert agreement["n"] == 30 and agreement["accuracy_ci95"] is None
    assert agreement["decisive"]["accuracy_ci95"] == decisive
    markdown = card_markdown(card)
    assert "on 30 comparisons: accuracy 0.667 (no interval in this older report)" in markdown
    # a new report still prints its own interval
    strict = judge["against_majority_unparsed_as_wrong"]["accuracy_ci95"]
    assert f"accuracy 0.667 [{strict['low']:.3f}, {strict['high']:.3f}]" in format_report(report)


def test_an_older_report_with_every_verdict_decisive_keeps_the_same_interval() -> None:
    """Where no output lacked a verdict, both figures are over the same labels: the decisive interval is the
    headline's own, and an older report shows it."""
    report = _report()
    judge = copy.deepcopy(report["judges"][0])
    versus = judge["against_majority"]
    judge["against_majority_unparsed_as_wrong"] = {"n": versus["n"], "accuracy": versus["accuracy"]}
    ci = versus["accuracy_ci95"]
    assert f"[{ci['low']:.3f}, {ci['high']:.3f}]" in headline_accuracy_text(judge)


# ------------------------------------------------------------------------------------------ finding 3


def _outcomes(pairs: dict[tuple[str, str], tuple[int, int, int]]) -> pd.DataFrame:
    rows = []
    for (a, b), (wins, losses, ties) in pairs.items():
        rows += [(a, b, "1")] * wins + [(a, b, "2")] * losses + [(a, b, "tie")] * ties
    return pd.DataFrame(rows, columns=["model1", "model2", "verdict"])


def _wins(pairs: dict[tuple[str, str], tuple[int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, b, won, lost, tied) for (a, b), (won, lost, tied) in pairs.items()],
        columns=["model_a", "model_b", "wins_a", "wins_b", "ties"],
    )


def test_a_pair_significant_alone_but_not_after_holm_says_so() -> None:
    """A beats B 16-4 (sign test p = 0.012): significant on its own at 0.05, but with six pair tests Holm lifts
    it above 0.05. The note names the multiplicity, not the sample size."""
    pairs = {("A", "B"): (16, 4, 0)} | {
        (a, b): (5, 5, 0) for a, b in [("A", "C"), ("A", "D"), ("B", "C"), ("B", "D"), ("C", "D")]
    }
    order = partial_order(_outcomes(pairs), alpha=0.05)
    assert order.tests == 6 and not order.edges
    (entry,) = borderline(_wins(pairs), order, None, 0.05)
    text = borderline_text(entry.__dict__)
    assert "significant on its own (p = 0.012), not after Holm's adjustment over 6 pair tests" in text
    assert "label more comparisons" not in text


def test_a_pair_not_significant_even_alone_still_asks_for_more_labels() -> None:
    """9-2: the interval leaves out 0.5, the sign test alone does not (p = 0.065): the sample size."""
    pairs = {("A", "B"): (9, 2, 0)}
    order = partial_order(_outcomes(pairs), alpha=0.05)
    (entry,) = borderline(_wins(pairs), order, None, 0.05)
    text = borderline_text(entry.__dict__)
    assert "label more comparisons before calling it" in text and "not after Holm" not in text
