"""Agreement, bias and ranking statistics: hand-computed cases, cross-checks against the libraries
each figure relies on, and the PandaLM human test set's published figures."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from analysis import (
    LABELS,
    JudgeRun,
    ReportInputs,
    bootstrap_ci,
    bradley_terry,
    build_report,
    classification_report,
    combine_orders,
    fleiss_kappa,
    human_judge_agreement,
    krippendorff_alpha,
    length_bias,
    majority_labels,
    mtbench_agreement,
    pairwise_cohen_kappa,
    rating_correlations,
    report_dict,
    swap_consistency,
    win_rate,
)
from analysis.agreement import agreement_by_group


def _labels(rows: list[tuple[int, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])


def _verdicts(rows: list[tuple[int, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["comparison_id", "verdict", "status"])


def _random_panel(seed: int, n_comparisons: int = 300, n_annotators: int = 4, missing: float = 0.3) -> pd.DataFrame:
    """Labels that mostly follow a hidden truth, with a share of (comparison, annotator) cells missing."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n_comparisons)
    rows = []
    for comparison, annotator in itertools.product(range(n_comparisons), range(n_annotators)):
        if rng.random() < missing:
            continue
        value = truth[comparison] if rng.random() < 0.7 else rng.integers(0, 3)
        rows.append((comparison, f"rater{annotator}", LABELS[value]))
    return _labels(rows)


def _random_verdicts(seed: int, n_comparisons: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, str | None, str]] = []
    for comparison in range(n_comparisons + 20):  # some verdicts on comparisons nobody labelled
        for _ in range(rng.integers(1, 3)):  # sometimes judged twice: the latest counts
            if rng.random() < 0.1:
                rows.append((comparison, None, "unparsed"))
            else:
                rows.append((comparison, LABELS[rng.integers(0, 3)], "ok"))
    return _verdicts(rows)


# --- human vs judge --------------------------------------------------------------------------------


def _reference_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame) -> dict[str, object]:
    """The straightforward row-by-row computation (merge, then scikit-learn on every label)."""
    latest = verdicts.drop_duplicates("comparison_id", keep="last")[["comparison_id", "verdict", "status"]]
    joined = labels[["comparison_id", "verdict"]].merge(latest, on="comparison_id", suffixes=("_human", "_judge"))
    parsed = joined[joined["status"] == "ok"]
    human, judge = parsed["verdict_human"].astype(str), parsed["verdict_judge"].astype(str)
    macro = precision_recall_fscore_support(human, judge, labels=LABELS, average="macro", zero_division=0)
    return {
        "n": len(parsed),
        "unparsed": int((joined["status"] != "ok").sum()),
        "accuracy": accuracy_score(human, judge),
        "kappa": cohen_kappa_score(human, judge, labels=LABELS),
        "confusion": confusion_matrix(human, judge, labels=LABELS),
        "macro": macro[:3],
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agreement_from_weighted_cells_equals_row_by_row_sklearn(seed: int) -> None:
    labels, verdicts = _random_panel(seed), _random_verdicts(seed + 100)
    labels = pd.concat([labels, _labels([(9999, "rater0", "1")])])  # a label the judge never saw
    expected = _reference_agreement(labels, verdicts)
    agreement = human_judge_agreement(labels, verdicts)
    assert agreement.n == expected["n"] and agreement.judge_unparsed == expected["unparsed"]
    assert agreement.accuracy == pytest.approx(expected["accuracy"], abs=1e-12)
    assert agreement.cohen_kappa == pytest.approx(expected["kappa"], abs=1e-12)
    np.testing.assert_array_equal(agreement.confusion.to_numpy(), expected["confusion"])
    assert agreement.confusion.to_numpy().dtype.kind == "i"
    macro = (agreement.macro_precision, agreement.macro_recall, agreement.macro_f1)
    assert macro == pytest.approx(expected["macro"], abs=1e-12)


def test_macro_precision_recall_f1_by_hand() -> None:
    labels = _labels([(1, "a", "1"), (2, "a", "2"), (3, "a", "1"), (4, "a", "2")])
    verdicts = _verdicts([(1, "1", "ok"), (2, "2", "ok"), (3, "2", "ok"), (4, "2", "ok")])
    agreement = human_judge_agreement(labels, verdicts)
    # label "1": judge said "1" once, right -> precision 1; humans said "1" twice -> recall 1/2; F1 2/3
    # label "2": judge said "2" three times, 2 right -> precision 2/3; recall 2/2 = 1; F1 = 2(2/3)/(5/3) = 4/5
    # label "tie": used by nobody -> left out of the macro mean (it would count as a zero otherwise)
    assert agreement.macro_precision == pytest.approx((1 + 2 / 3) / 2)
    assert agreement.macro_recall == pytest.approx((1 / 2 + 1) / 2)
    assert agreement.macro_f1 == pytest.approx((2 / 3 + 4 / 5) / 2)
    report = classification_report(labels, verdicts)
    assert list(report.index) == ["1", "2", "tie", "macro avg"]
    assert report.loc["2", "precision"] == pytest.approx(2 / 3) and report.loc["1", "recall"] == pytest.approx(0.5)
    assert report.loc["macro avg", "f1"] == pytest.approx(agreement.macro_f1)
    assert report["support"].tolist() == [2, 2, 0, 4]


def test_classification_report_matches_sklearn() -> None:
    labels, verdicts = _random_panel(3), _random_verdicts(4)
    expected = _reference_agreement(labels, verdicts)
    latest = verdicts.drop_duplicates("comparison_id", keep="last")
    joined = labels.merge(latest, on="comparison_id", suffixes=("_human", "_judge"))
    joined = joined[joined["status"] == "ok"]
    per_label = precision_recall_fscore_support(
        joined["verdict_human"], joined["verdict_judge"], labels=LABELS, zero_division=0
    )
    report = classification_report(labels, verdicts)
    np.testing.assert_allclose(report.loc[LABELS, ["precision", "recall", "f1"]].to_numpy().T, per_label[:3])
    np.testing.assert_array_equal(report.loc[LABELS, "support"], per_label[3])
    np.testing.assert_allclose(
        report.loc["macro avg", ["precision", "recall", "f1"]].to_numpy(float), expected["macro"]
    )


def test_mtbench_agreement_by_hand() -> None:
    labels = _labels(
        [(1, "a", "1"), (1, "b", "1"), (1, "c", "tie"), (2, "a", "2"), (2, "b", "tie"), (3, "a", "2"), (4, "a", "1")]
    )
    verdicts = _verdicts([(1, "1", "ok"), (2, "tie", "ok"), (3, "1", "ok"), (4, None, "unparsed")])
    result = mtbench_agreement(labels, verdicts)
    # pairs (human, judge): (1,1) (1,1) (tie,1) (2,tie) (tie,tie) (2,1); comparison 4 unparsed -> out
    # with ties: equal 3 of 6; without ties: keep (1,1) (1,1) (2,1) -> 2 of 3
    assert (result.n_with_ties, result.with_ties) == (6, pytest.approx(0.5))
    assert (result.n_without_ties, result.without_ties) == (3, pytest.approx(2 / 3))


def _fastchat_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame, ban: list[str]) -> tuple[int, int]:
    """FastChat llm_judge/compute_agreement.py, gpt4-vs-human branch, transliterated to our frames."""
    latest = verdicts.drop_duplicates("comparison_id", keep="last")
    judge = {c: v for c, v, s in latest[["comparison_id", "verdict", "status"]].itertuples(index=False) if s == "ok"}
    human: dict[int, list[str]] = {}
    for comparison, verdict in labels[["comparison_id", "verdict"]].itertuples(index=False):
        human.setdefault(comparison, []).append(verdict)
    agree = total = 0
    for comparison, votes in human.items():
        if comparison not in judge or judge[comparison] in ban:
            continue
        for vote in votes:
            if vote in ban:
                continue
            total += 1
            agree += vote == judge[comparison]
    return agree, total


def test_mtbench_agreement_matches_fastchat_loop() -> None:
    labels, verdicts = _random_panel(5), _random_verdicts(6)
    result = mtbench_agreement(labels, verdicts)
    agree, total = _fastchat_agreement(labels, verdicts, ban=[])
    assert (result.n_with_ties, result.with_ties) == (total, pytest.approx(agree / total))
    agree, total = _fastchat_agreement(labels, verdicts, ban=["tie"])
    assert (result.n_without_ties, result.without_ties) == (total, pytest.approx(agree / total))


# --- between annotators ----------------------------------------------------------------------------


def test_pairwise_cohen_kappa_by_hand() -> None:
    labels = _labels(
        [(1, "a", "1"), (2, "a", "1"), (3, "a", "2"), (4, "a", "2")]
        + [(1, "b", "1"), (2, "b", "2"), (3, "b", "2"), (4, "b", "2"), (5, "b", "1")]
        + [(5, "c", "1"), (6, "c", "2")]
    )
    kappas = pairwise_cohen_kappa(labels)
    assert list(kappas.index) == ["a", "b", "c"] and list(kappas.columns) == ["a", "b", "c"]
    # a vs b on comparisons 1-4: p_o = 3/4; a: (1: 1/2, 2: 1/2), b: (1: 1/4, 2: 3/4)
    # p_e = 1/2 * 1/4 + 1/2 * 3/4 = 1/2 -> kappa = (3/4 - 1/2) / (1 - 1/2) = 1/2
    assert kappas.loc["a", "b"] == pytest.approx(0.5) and kappas.loc["b", "a"] == pytest.approx(0.5)
    assert math.isnan(kappas.loc["a", "c"])  # no comparison in common
    assert math.isnan(kappas.loc["b", "c"])  # one shared comparison, both "1": p_e = 1, kappa undefined
    assert np.diag(kappas.to_numpy()).tolist() == [1.0, 1.0, 1.0]


def test_pairwise_cohen_kappa_matches_sklearn_on_shared_comparisons() -> None:
    labels = _random_panel(7, n_annotators=5)
    labels = pd.concat([labels, _labels([(0, "rater0", None)])])  # a missing verdict is no label
    kappas = pairwise_cohen_kappa(labels)
    wide = labels.dropna().pivot(index="comparison_id", columns="annotator", values="verdict")
    for a, b in itertools.combinations(wide.columns, 2):
        both = wide[[a, b]].dropna()
        assert kappas.loc[a, b] == pytest.approx(cohen_kappa_score(both[a], both[b]), abs=1e-12)


def test_krippendorff_alpha_by_hand() -> None:
    labels = _labels(
        [(1, "a", "1"), (2, "a", "1"), (3, "a", "2"), (4, "a", "2")]
        + [(1, "b", "1"), (2, "b", "2"), (3, "b", "2"), (4, "b", "2")]
        + [(5, "a", "tie")]  # labelled once: not pairable, contributes nothing
    )
    # coincidences (each unit of 2 values adds both ordered pairs with weight 1/(2-1)):
    # o = [[2, 1], [1, 4]] over ("1", "2"); n_1 = 3, n_2 = 5, n = 8
    # alpha = 1 - (n - 1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k = 1 - 7 * 2 / (2 * 3 * 5) = 8/15
    assert krippendorff_alpha(labels) == pytest.approx(8 / 15)


def test_krippendorff_alpha_matches_package_on_reliability_matrix() -> None:
    labels = _random_panel(8, n_annotators=4, missing=0.4)
    wide = labels.pivot(index="annotator", columns="comparison_id", values="verdict")
    codes = wide.apply(lambda column: column.map({"1": 0.0, "2": 1.0, "tie": 2.0})).to_numpy(dtype=float)
    expected = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    assert krippendorff_alpha(labels) == pytest.approx(expected, abs=1e-12)


def test_fleiss_kappa_by_hand_uses_modal_rater_count() -> None:
    labels = _labels(
        [(1, r, "1") for r in "abc"]  # counts ("1", "2", "tie"): 3 0 0
        + [(2, r, "2") for r in "abc"]  # 0 3 0
        + [(3, "a", "1"), (3, "b", "1"), (3, "c", "2")]  # 2 1 0
        + [(4, "a", "1"), (4, "b", "2"), (4, "c", "tie")]  # 1 1 1
        + [(5, "a", "2"), (5, "b", "2")]  # only 2 raters: not the modal count (3), left out
        + [(6, "a", "tie")]  # only 1 rater: left out
    )
    # P_i = (sum n_ij^2 - 3) / (3 * 2): 1, 1, 1/3, 0 -> mean 7/12
    # p_j = (6, 5, 1) / 12 -> P_e = (36 + 25 + 1) / 144 = 31/72
    # kappa = (7/12 - 31/72) / (1 - 31/72) = (11/72) / (41/72) = 11/41
    assert fleiss_kappa(labels) == pytest.approx(11 / 41)


def test_fleiss_kappa_matches_statsmodels_on_complete_panel() -> None:
    labels = _random_panel(9, n_annotators=5, missing=0.0)
    wide = labels.pivot(index="comparison_id", columns="annotator", values="verdict")
    table, _ = aggregate_raters(wide.to_numpy())
    assert fleiss_kappa(labels) == pytest.approx(statsmodels_fleiss_kappa(table, method="fleiss"), abs=1e-12)


def test_fleiss_kappa_tied_modal_counts_take_the_larger_panel() -> None:
    labels = _labels(
        [(1, "a", "1"), (1, "b", "2")]  # one comparison with 2 raters ...
        + [(2, "a", "1"), (2, "b", "1"), (2, "c", "1")]  # ... and one with 3: tie between counts -> 3
    )
    # only comparison 2 is used, everyone said "1": P_e = 1, kappa undefined
    assert fleiss_kappa(labels) is None


def test_duplicate_labels_keep_the_last() -> None:
    labels = _labels([(1, "a", "2"), (1, "a", "1"), (1, "b", "1"), (2, "a", "2"), (2, "b", "2")])
    deduplicated = _labels([(1, "a", "1"), (1, "b", "1"), (2, "a", "2"), (2, "b", "2")])
    assert krippendorff_alpha(labels) == krippendorff_alpha(deduplicated) == pytest.approx(1.0)
    assert fleiss_kappa(labels) == pytest.approx(1.0)


# --- judge biases ----------------------------------------------------------------------------------


def _both_orders() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (1, False, "1"),
            (1, True, "1"),  # consistent
            (2, False, "1"),
            (2, True, "2"),  # inconsistent: both times the response shown first won
            (3, False, "tie"),
            (3, True, "tie"),  # consistent
            (4, False, "2"),
            (4, True, "tie"),  # inconsistent
            (5, False, "1"),
            (5, True, None),  # swapped order unparsed: no pair
        ],
        columns=["comparison_id", "swapped", "verdict"],
    )


def test_swap_consistency_by_hand() -> None:
    result = swap_consistency(_both_orders())
    assert result.n_pairs == 4 and result.consistency == pytest.approx(2 / 4)
    # decisive verdicts and whether the first-shown response won:
    # c1 "1" not swapped yes; c1 "1" swapped no; c2 "1" yes; c2 "2" swapped yes; c4 "2" no; c5 "1" yes -> 4 of 6
    assert result.n_decisive == 6 and result.first_position_rate == pytest.approx(4 / 6)
    # s15: the p-value is the sign test on the pairs that follow the position (c2 first-first; none second-second),
    # not a binomial over the 6 verdicts of 4 pairs as if independent
    assert (result.first_first, result.second_second) == (1, 0)
    assert result.first_position_p_value == pytest.approx(stats.binomtest(1, 1, 0.5).pvalue)


def test_position_bias_needs_the_two_orders_own_verdicts() -> None:
    """Issue 14 #3: a judge that averages both orders wrote the same verdict for both orders, and
    comparing that verdict with itself gave swap consistency 1.0 and first-position rate 0.5; one
    order alone gave a first-position rate that only reflects which response the data puts first."""
    mirrored = pd.DataFrame(
        [(c, swapped, v) for c, v in [(1, "1"), (2, "2"), (3, "1"), (4, "tie")] for swapped in (False, True)],
        columns=["comparison_id", "swapped", "verdict"],
    )
    averaged = swap_consistency(mirrored, averaged_orders=True)
    assert (averaged.consistency, averaged.first_position_rate, averaged.n_pairs) == (None, None, 0)
    assert not averaged.measured and "averaged both orders" in (averaged.not_measured or "")
    one_order = swap_consistency(mirrored[~mirrored["swapped"]])
    assert (one_order.consistency, one_order.first_position_rate, one_order.n_decisive) == (None, None, 0)
    assert "one presentation order" in (one_order.not_measured or "")
    assert swap_consistency(mirrored).measured  # per-order verdicts of their own: measured (here 1.0, 0.5)


def test_report_says_position_bias_was_not_measured_for_an_averaging_judge() -> None:
    comparisons = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "prompt": ["p1", "p2", "p3"],
            "category": "c",
            "model1": "a",
            "model2": "b",
            "response1": ["x", "xx", "x"],
            "response2": ["yy", "y", "y"],
        }
    )
    verdicts = pd.DataFrame(
        [(7, c, swapped, v, "ok") for c, v in [(1, "1"), (2, "2"), (3, "1")] for swapped in (False, True)],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status"],
    )
    labels = pd.DataFrame(columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"])
    run = JudgeRun(7, "demo", "pandalm", "k", {"both_orders": True})  # the judge averaged both orders
    report = report_dict(build_report(ReportInputs("d", comparisons, labels, verdicts, [run])))
    (judge,) = report["judges"]
    assert judge["position_bias"]["consistency"] is None and judge["position_bias"]["first_position_rate"] is None
    assert judge["both_orders"]["swap_consistency"]["not_measured"].startswith("not measured: the judge averaged")
    honest = JudgeRun(7, "demo", "pandalm", "k", {"both_orders": False})
    measured = report_dict(build_report(ReportInputs("d", comparisons, labels, verdicts, [honest])))
    assert measured["judges"][0]["position_bias"]["consistency"] == 1.0


def test_combine_orders_keeps_only_verdicts_that_survive_the_swap() -> None:
    combined = combine_orders(_both_orders()).set_index("comparison_id")
    assert combined["verdict"].to_dict() == {1: "1", 2: "tie", 3: "tie", 4: "tie", 5: None}
    assert combined["status"].to_dict() == {1: "ok", 2: "ok", 3: "ok", 4: "ok", 5: "incomplete"}
    labels = _labels([(1, "a", "1"), (2, "a", "tie"), (5, "a", "1")])
    agreement = human_judge_agreement(labels, combined.reset_index())
    assert agreement.n == 2 and agreement.accuracy == 1.0 and agreement.judge_unparsed == 1


def test_length_bias_by_hand() -> None:
    rows = pd.DataFrame(
        [(10, 5, "1"), (10, 5, "2"), (3, 8, "2"), (4, 4, "1"), (5, 9, "tie"), (5, 9, None)],
        columns=["len1", "len2", "verdict"],
    )
    result = length_bias(rows)
    # longer preferred: yes, no, yes; equal lengths, tie and unparsed ignored -> 2 of 3
    assert result.n == 3 and result.longer_rate == pytest.approx(2 / 3)
    assert result.p_value == pytest.approx(stats.binomtest(2, 3, 0.5).pvalue)


# --- ratings ---------------------------------------------------------------------------------------


def test_rating_correlations_by_hand() -> None:
    rows = pd.DataFrame(
        [("q1", "m1", 1, 1), ("q1", "m2", 2, 2), ("q1", "m3", 3, 3)]  # judge = human: 1, 1, 1
        + [("q2", "m1", 1, 3), ("q2", "m2", 2, 2), ("q2", "m3", 3, 1)]  # reversed: -1, -1, -1
        + [("q3", "m1", 5, 1), ("q3", "m2", 5, 2), ("q3", "m3", 5, 3)]  # humans constant: skipped
        + [("q4", "m1", 4, None), (None, "m1", 4, 4)],  # missing judge score / item: dropped
        columns=["item", "model", "human", "judge"],
    )
    table = rating_correlations(rows)
    assert table.loc["item", ["pearson", "spearman", "kendall"]].tolist() == pytest.approx([0.0, 0.0, 0.0])
    assert table.loc["item", "n"] == 2
    # model means: human m1 (1+1+5)/3 = 7/3, m2 3, m3 11/3; judge 5/3, 2, 7/3 -> both rise in equal steps
    assert table.loc["system", ["pearson", "spearman", "kendall"]].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert table.loc["system", "n"] == 3


def test_rating_correlations_match_critiquellm_loop() -> None:
    rng = np.random.default_rng(11)
    rows = []
    for item in range(40):
        models = [m for m in range(6) if item % 7 != 0 or m < 4]  # some items answered by fewer models
        quality = rng.integers(1, 11, len(models))
        for model, q in zip(models, quality, strict=True):
            rows.append((f"q{item}", f"m{model}", q, int(np.clip(q + rng.integers(-3, 4), 1, 10))))
    frame = pd.DataFrame(rows, columns=["item", "model", "human", "judge"])
    per_item = []
    for _, group in frame.groupby("item"):  # CritiqueLLM correlation_sample: skip NaN Spearman, average
        h, j = group["human"].to_numpy(float), group["judge"].to_numpy(float)
        if np.ptp(h) == 0 or np.ptp(j) == 0:
            continue
        per_item.append([np.corrcoef(h, j)[0, 1], stats.spearmanr(h, j)[0], stats.kendalltau(h, j)[0]])
    means = frame.groupby("model")[["human", "judge"]].mean()
    system = [
        stats.pearsonr(means["human"], means["judge"])[0],
        stats.spearmanr(means["human"], means["judge"])[0],
        stats.kendalltau(means["human"], means["judge"])[0],
    ]
    table = rating_correlations(frame)
    assert table.loc["item", ["pearson", "spearman", "kendall"]].to_numpy(float) == pytest.approx(
        np.mean(per_item, axis=0), abs=1e-12
    )
    assert table.loc["item", "n"] == len(per_item)
    assert table.loc["system", ["pearson", "spearman", "kendall"]].to_numpy(float) == pytest.approx(system, abs=1e-12)


# --- rankings --------------------------------------------------------------------------------------


def _outcomes(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model1", "model2", "verdict"])


def test_win_rate_by_hand() -> None:
    outcomes = _outcomes(
        [("A", "B", "1"), ("B", "A", "1"), ("B", "A", "tie"), ("B", "A", "2")]  # A vs baseline B: W L T W
        + [("C", "B", "2"), ("C", "B", None)]  # C: one loss; unparsed ignored
        + [("A", "C", "1")]  # no baseline: ignored
    )
    table = win_rate(outcomes, "B").set_index("model")
    assert table.loc["A", ["n", "wins", "losses", "ties"]].tolist() == [4, 2, 1, 1]
    assert table.loc["A", "win_rate"] == pytest.approx((2 + 0.5) / 4)
    # scores 1, 0, 0.5, 1: population sd = sqrt(0.6875 / 4); standard error = sd / sqrt(4) (ddof 0, the SE
    # of the report's CLT intervals, ppi_py's classical_mean_ci; AlpacaEval's ddof 1 is sqrt(4 / 3) larger)
    assert table.loc["A", "standard_error"] == pytest.approx(math.sqrt(0.6875 / 4) / 2)
    assert table.loc["A", "standard_error"] == pytest.approx(stats.sem([1, 0, 0.5, 1], ddof=0))
    assert table.loc["C", "win_rate"] == 0.0 and list(table.index) == ["A", "C"]


def test_bradley_terry_two_models_closed_form() -> None:
    outcomes = _outcomes([("A", "B", "1")] * 6 + [("B", "A", "1")] * 2 + [("A", "B", "tie")] * 2)
    table = bradley_terry(outcomes, n_bootstrap=0, prior_variance=None).set_index("model")
    # A: 6 wins + 2 half-wins = 7, B: 2 + 1 = 3; MLE: s_A - s_B = ln(7/3), centred: s_A = ln(7/3) / 2
    assert table.loc["A", "strength"] == pytest.approx(math.log(7 / 3) / 2, abs=1e-5)
    assert table.loc["B", "strength"] == pytest.approx(-math.log(7 / 3) / 2, abs=1e-5)
    assert table["ci_low"].isna().all()


def _mm_bradley_terry(outcomes: pd.DataFrame, iterations: int = 5000) -> dict[str, float]:
    """Hunter's (2004) MM algorithm, an independent route to the same MLE (ties: half a win each)."""
    models = sorted(set(outcomes["model1"]) | set(outcomes["model2"]))
    index = {m: i for i, m in enumerate(models)}
    wins = np.zeros((len(models), len(models)))
    for a, b, verdict in outcomes.itertuples(index=False):
        share = {"1": 1.0, "2": 0.0, "tie": 0.5}[verdict]
        wins[index[a], index[b]] += share
        wins[index[b], index[a]] += 1 - share
    games = wins + wins.T
    p = np.ones(len(models))
    for _ in range(iterations):
        p = wins.sum(axis=1) / (games / (p[:, None] + p[None, :])).sum(axis=1)
        p /= p.sum()
    log_p = np.log(p)
    return dict(zip(models, log_p - log_p.mean(), strict=True))


def test_bradley_terry_matches_mm_algorithm_and_is_deterministic() -> None:
    rng = np.random.default_rng(12)
    skill = {"A": 1.0, "B": 0.3, "C": 0.0, "D": -0.8}
    rows = []
    for _ in range(400):
        a, b = rng.choice(list(skill), 2, replace=False)
        p_a = 1 / (1 + math.exp(-(skill[a] - skill[b])))
        draw = rng.random()
        rows.append((a, b, "tie" if draw < 0.1 else ("1" if draw < 0.1 + 0.9 * p_a else "2")))
    outcomes = _outcomes(rows)
    table = bradley_terry(outcomes, n_bootstrap=100, seed=3, prior_variance=None).set_index("model")
    for model, strength in _mm_bradley_terry(outcomes).items():
        assert table.loc[model, "strength"] == pytest.approx(strength, abs=1e-4)
    assert (table["ci_low"] < table["strength"]).all() and (table["strength"] < table["ci_high"]).all()
    again = bradley_terry(outcomes, n_bootstrap=100, seed=3, prior_variance=None)
    pd.testing.assert_frame_equal(table.reset_index(), again)
    assert list(table.index) == ["A", "B", "C", "D"]  # strongest first
    shrunk = bradley_terry(outcomes, n_bootstrap=0).set_index("model")  # default weak prior: pulled toward 0
    assert (shrunk["strength"].abs() < table["strength"].abs()).all()


def test_bradley_terry_stays_finite_when_a_model_never_loses() -> None:
    outcomes = _outcomes([("A", "B", "1")] * 5 + [("B", "C", "1")] * 5)
    table = bradley_terry(outcomes, n_bootstrap=50).set_index("model")
    assert np.isfinite(table["strength"].to_numpy()).all()  # the prior keeps the order; the intervals would
    assert table[["ci_low", "ci_high"]].isna().all().all()  # have no width (every resample is one-sided)
    assert list(table.index) == ["A", "B", "C"]


def test_bootstrap_ci_matches_scipy_percentile_bootstrap() -> None:
    values = np.r_[np.ones(70), np.zeros(30)]
    result = bootstrap_ci(values, np.mean, n=500, seed=4)
    expected = stats.bootstrap(
        (values,), np.mean, n_resamples=500, method="percentile", rng=np.random.default_rng(4)
    ).confidence_interval
    assert result is not None and result.estimate == pytest.approx(0.7) and result.n == 100
    assert (result.ci_low, result.ci_high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert result.ci_low < 0.7 < result.ci_high
    assert bootstrap_ci(values, np.mean, n=500, seed=4) == result
    looped = bootstrap_ci(values, lambda sample: float(np.mean(sample)), n=500, seed=4)  # no axis: looped
    assert looped is not None and (looped.ci_low, looped.ci_high) == (result.ci_low, result.ci_high)
    # nothing to resample: no interval rather than a zero-width one (tests/test_small_samples.py)
    assert bootstrap_ci(np.full(10, 0.5), lambda sample: float(np.median(sample)), n=100) is None


# --- empty input -----------------------------------------------------------------------------------


def test_empty_inputs_give_empty_results() -> None:
    labels, verdicts = _labels([]), _verdicts([])
    assert human_judge_agreement(labels, verdicts).macro_f1 is None
    assert classification_report(labels, verdicts).empty
    assert mtbench_agreement(labels, verdicts).with_ties is None
    assert pairwise_cohen_kappa(labels).empty
    assert krippendorff_alpha(labels) is None and fleiss_kappa(labels) is None
    assert krippendorff_alpha(_labels([(1, "a", "1"), (2, "a", "2")])) is None  # nobody labelled twice
    assert krippendorff_alpha(_labels([(1, "a", "1"), (1, "b", "1")])) is None  # one value only
    assert fleiss_kappa(_labels([(1, "a", "1")])) is None
    both = pd.DataFrame(columns=["comparison_id", "swapped", "verdict"])
    assert swap_consistency(both).consistency is None and combine_orders(both).empty
    assert length_bias(pd.DataFrame(columns=["len1", "len2", "verdict"])).longer_rate is None
    assert rating_correlations(pd.DataFrame(columns=["item", "model", "human", "judge"])).empty
    outcomes = _outcomes([])
    assert win_rate(outcomes, "A").empty and bradley_terry(outcomes).empty
    assert win_rate(_outcomes([("A", "B", "1")]), "Z").empty
    assert bootstrap_ci([], np.mean) is None


# --- PandaLM human test set ------------------------------------------------------------------------


def _pandalm_testset() -> Path:
    base = os.environ.get("JUDGE_STUDIO_SHARED_DATA")
    shared = Path(base) if base else Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    path = shared / "pandalm" / "testset-v1.json"
    if not path.is_file():
        pytest.skip(f"PandaLM human test set not found at {path} (set JUDGE_STUDIO_SHARED_DATA)")
    return path


def test_pandalm_testset_reproduces_published_figures() -> None:
    records = json.loads(_pandalm_testset().read_text(encoding="utf-8"))
    to_label = {0: "tie", 1: "1", 2: "2"}
    annotators = ["annotator1", "annotator2", "annotator3"]
    labels = _labels([(r["idx"], a, to_label[r[a]]) for r in records for a in annotators])
    assert len(records) == 999 and len(labels) == 2997

    # Published distribution of the majority label: 105 ties, 422 "response 1", 472 "response 2".
    # (No record splits 1/1/1, so majority_labels' tie-breaking rule is not exercised here.)
    distribution = majority_labels(labels)["verdict"].value_counts().to_dict()
    assert distribution == {"tie": 105, "1": 422, "2": 472}

    # Published inter-annotator Cohen's kappas: 0.85, 0.86, 0.88
    # (annotator1-2: 0.852, annotator2-3: 0.862, annotator1-3: 0.879).
    kappas = pairwise_cohen_kappa(labels)
    pairs = list(itertools.combinations(annotators, 2))
    assert sorted(round(kappas.loc[a, b], 2) for a, b in pairs) == [0.85, 0.86, 0.88]
    assert round(kappas.loc["annotator1", "annotator2"], 2) == 0.85
    assert round(kappas.loc["annotator2", "annotator3"], 2) == 0.86
    assert round(kappas.loc["annotator1", "annotator3"], 2) == 0.88
    for a, b in pairs:  # every record has all three labels: sklearn directly on the columns
        direct = cohen_kappa_score([to_label[r[a]] for r in records], [to_label[r[b]] for r in records])
        assert kappas.loc[a, b] == pytest.approx(direct, abs=1e-12)

    # Multi-rater figures on the same data, cross-checked against the packages on the full matrix.
    codes = np.array([[float(r[a]) for r in records] for a in annotators])
    assert krippendorff_alpha(labels) == pytest.approx(
        krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"), abs=1e-12
    )
    table, _ = aggregate_raters(codes.T)
    assert fleiss_kappa(labels) == pytest.approx(statsmodels_fleiss_kappa(table, method="fleiss"), abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_agreement_by_group_equals_scikit_learn_per_group(seed: int) -> None:
    """The one-pass breakdown (per category, per annotator) gives scikit-learn's figures for every group."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, m = int(rng.integers(1, 40)), int(rng.integers(0, 20))
        labels = pd.DataFrame(
            {
                "comparison_id": rng.integers(0, 15, n),
                "verdict": rng.choice(LABELS, n, p=rng.dirichlet([1, 1, 1])),
                "group": rng.choice(list("abcd"), n),
            }
        )
        verdicts = pd.DataFrame(
            {
                "comparison_id": rng.integers(0, 15, m),
                "verdict": rng.choice(LABELS, m, p=rng.dirichlet([1, 1, 1])),
                "status": rng.choice(["ok", "ok", "unparsed"], m),
            }
        )
        table = agreement_by_group(labels, verdicts, labels["group"])
        for name, rows in labels.groupby("group"):
            expected, row = human_judge_agreement(rows, verdicts), table.loc[name]
            assert (row["n"], row["judge_unparsed"]) == (expected.n, expected.judge_unparsed)
            for figure in ("accuracy", "cohen_kappa", "macro_f1"):
                value = getattr(expected, figure)
                if value is None or math.isnan(value):
                    assert math.isnan(row[figure])
                else:
                    assert row[figure] == pytest.approx(value, abs=1e-12)
