"""Session 15, stats2: the methodologist's findings 2, 4, 5, 6 and 10 (the session 15 methods audit).

2. The partial order's arrows are Holm-adjusted over the pair tests, and every place that names its alpha says so;
   the unadjusted p stays in the JSON.
4. Per-category and over-time agreement intervals count comparisons, not labels; a category with few comparisons
   is shown and marked.
5. Both orders: the first-position test is the sign test on the pairs whose verdict follows the position.
6. Length bias: the judge and people are compared on the same comparisons (McNemar), and the caveat reads that.
10. A model with too few comparisons is listed after the ranked ones, and an n/a win rate says why.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy.stats import binomtest

from analysis import build_report, judge_report_card, report_dict
from analysis.agreement import agreement_over_time, per_vote_by_group
from analysis.bias import swap_consistency
from analysis.partial_order import partial_order
from analysis.rankings import bradley_terry
from analysis.report import JudgeRun, ReportInputs, ReportOptions
from analysis.report_text import format_report
from ui.card_document import card_markdown
from ui.dashboard_layout import EDGE_LEGEND
from ui.plots import category_figure, partial_order_figure

NAN = float("nan")
T0 = pd.Timestamp("2026-01-01")


def _outcomes(pairs: dict[tuple[str, str], tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for (a, b), (wins, losses) in pairs.items():
        rows += [(a, b, "1")] * wins + [(a, b, "2")] * losses
    return pd.DataFrame(rows, columns=["model1", "model2", "verdict"])


# an unadjusted edge (8-1: p = 0.039) that Holm over 3 pair tests removes; 20-0 survives
EDGE_DROPS = {("a", "b"): (8, 1), ("a", "c"): (20, 0), ("b", "c"): (1, 1)}


def test_holm_removes_an_edge_the_unadjusted_test_draws() -> None:
    unadjusted = partial_order(_outcomes(EDGE_DROPS), adjust="none")
    assert {(e.winner, e.loser) for e in unadjusted.edges} == {("a", "b"), ("a", "c")}
    order = partial_order(_outcomes(EDGE_DROPS))
    assert [(e.winner, e.loser) for e in order.edges] == [("a", "c")]
    assert order.tests == 3 and order.adjustment == "holm"
    edge = order.edges[0]
    assert edge.p_adjusted == min(1.0, 3 * edge.p_value)  # the smallest p times the 3 tests
    assert order.adjusted_p("b", "a") == min(1.0, 2 * binomtest(8, 9, 0.5).pvalue)  # 0.078: no arrow


def _labels(rows: list[tuple[int, str, str]], texts: pd.DataFrame) -> pd.DataFrame:
    models = texts.set_index("id")[["model1", "model2"]]
    frame = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])
    frame["updated_at"] = [T0 + pd.Timedelta(minutes=i) for i in range(len(frame))]
    return frame.join(models, on="comparison_id")


def _texts(pairs: list[tuple[str, str]], categories: list[str] | None = None, long_first: list[bool] | None = None):
    n = len(pairs)
    longer = long_first or [True] * n
    return pd.DataFrame(
        {
            "id": list(range(1, n + 1)),
            "prompt": [f"p{i}" for i in range(n)],
            "category": categories or ["c"] * n,
            "model1": [a for a, _ in pairs],
            "model2": [b for _, b in pairs],
            "response1": ["long answer " * 5 if longer[i] else "short" for i in range(n)],
            "response2": ["short" if longer[i] else "long answer " * 5 for i in range(n)],
        }
    )


def _verdicts(verdicts: list[tuple[int, bool, str]]) -> pd.DataFrame:
    rows = [(7, c, swapped, v, "ok", NAN, NAN, NAN) for c, swapped, v in verdicts]
    return pd.DataFrame(
        rows, columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"]
    )


def _report(texts: pd.DataFrame, labels: pd.DataFrame, verdicts: pd.DataFrame, **options: Any) -> dict[str, Any]:
    inputs = ReportInputs("s15", texts, labels, verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    return report_dict(build_report(inputs, ReportOptions(n_bootstrap=0, **options)))


def _edge_data() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    pairs: list[tuple[str, str]] = []
    people: list[str] = []
    for (a, b), (wins, losses) in EDGE_DROPS.items():
        for k in range(wins + losses):
            pairs.append((a, b))
            people.append("1" if k < wins else "2")
    texts = _texts(pairs)
    labels = _labels([(i + 1, "h1", v) for i, v in enumerate(people)], texts)
    verdicts = _verdicts([(i + 1, False, v) for i, v in enumerate(people)])
    return texts, labels, verdicts


def test_reports_say_holm_and_keep_the_unadjusted_p() -> None:
    texts, labels, verdicts = _edge_data()
    report = _report(texts, labels, verdicts)
    order = report["people"]["partial_order"]
    assert order["tests"] == 3 and order["adjustment"] == "holm"
    assert [e["loser"] for e in order["edges"]] == ["c"]
    assert order["edges"][0]["p_value"] < order["edges"][0]["p_adjusted"]  # the unadjusted p is kept
    text = format_report(report)
    assert "People's partial order (p < 0.05, Holm-adjusted over 3 pair tests): a > c" in text
    assert "Judge run 7's partial order (p < 0.05, Holm-adjusted over 3 pair tests): a > c" in text
    card = card_markdown(judge_report_card(report, 7))
    assert "people: Holm-adjusted over 3 pair tests" in card
    assert "Holm-adjusted over N pair tests" in EDGE_LEGEND
    figure = partial_order_figure(partial_order(_outcomes(EDGE_DROPS)), "People")
    assert "Holm-adjusted over 3 pair tests" in figure.layout.title.text
    assert "p=5.72e-06" in [a.text for a in figure.layout.annotations][0]  # the adjusted p on the arrow


def test_category_interval_counts_comparisons_and_flags_few() -> None:
    """Finding 4: 5 comparisons x 3 labels, the judge right on 1 of them: the interval is Wilson on 1 of 5
    ([0.036, 0.624]), not on 3 of 15 ([0.070, 0.452]); the category is kept and marked."""
    texts = _texts([("a", "b")] * 5, categories=["Wysa"] * 5)
    rows = [(c, h, "1") for c in range(1, 6) for h in ("h1", "h2", "h3")]
    labels = _labels(rows, texts)
    verdicts = _verdicts([(1, False, "1")] + [(c, False, "2") for c in range(2, 6)])
    table = per_vote_by_group(labels, verdicts, pd.Series(texts["category"].to_numpy(), index=texts["id"], name="c"))
    row = table.loc["Wysa"]
    assert (row["n"], row["comparisons"], bool(row["few_comparisons"])) == (15, 5, True)
    assert round(row["accuracy"], 3) == 0.2 and (round(row["low"], 3), round(row["high"], 3)) == (0.036, 0.624)
    report = _report(texts, labels, verdicts)
    vote = report["categories"][0]["judges"][0]["per_vote"]
    assert vote["comparisons"] == 5 and vote["few_comparisons"] is True
    over_time = agreement_over_time(labels, verdicts, points=1)
    assert over_time["comparisons"].tolist() == [5]
    assert round(over_time["low"].iloc[0], 3) == 0.036  # the same clustering over time
    shown = pd.DataFrame(
        [["Wysa", 5, 5, 15, 15, 0.2, 0.036, 0.624, 5, True]],
        columns=["category", "comparisons", "labelled", "labels", "n", "accuracy", "low", "high", "judged", "few"],
    )
    assert "few comparisons" in category_figure(shown).data[0].text[0]


def test_both_order_first_position_test_is_the_sign_test_on_flipped_pairs() -> None:
    """Finding 5: 10 pairs first-first, 2 second-second, 8 consistent: binomtest(10, 12), not over 40 verdicts."""
    rows = []
    for c in range(1, 21):
        if c <= 10:
            rows += [(c, False, "1"), (c, True, "2")]  # the response shown first won both times
        elif c <= 12:
            rows += [(c, False, "2"), (c, True, "1")]  # the second-shown won both times
        else:
            rows += [(c, False, "1"), (c, True, "1")]  # consistent
    swap = swap_consistency(_verdicts(rows))
    assert (swap.first_first, swap.second_second) == (10, 2)
    assert swap.first_position_p_value == binomtest(10, 12, 0.5).pvalue
    assert swap.first_position_p_value != binomtest(28, 40, 0.5).pvalue  # the old test over verdicts
    texts = _texts([("a", "b")] * 20)
    labels = _labels([(c, "h1", "1") for c in range(1, 21)], texts)
    text = format_report(_report(texts, labels, _verdicts(rows)))
    assert "exact sign test on the 12 pairs whose verdict follows the position: 10 first-first vs 2 second-second" in (
        text
    )


def test_length_bias_is_compared_on_the_same_comparisons() -> None:
    """Finding 6: people labelled only 10 of 40 comparisons. The judge always picks the longer response; on the
    10 both decided, people picked the longer one 8 times. The paired shares are 1.0 vs 0.8 (McNemar over the 2
    they disagree on: p = 0.5, not significant), so no caveat, though the unpaired shares differ by far more."""
    long_first = [i % 2 == 0 for i in range(40)]
    texts = _texts([("a", "b")] * 40, long_first=long_first)
    judge = _verdicts([(i + 1, False, "1" if long_first[i] else "2") for i in range(40)])
    people = [
        (i + 1, "h1", ("1" if long_first[i] else "2") if i < 8 else ("2" if long_first[i] else "1")) for i in range(10)
    ]
    report = _report(texts, _labels(people, texts), judge)
    paired = report["judges"][0]["length_vs_people"]
    assert (paired["n"], paired["judge_rate"], paired["people_rate"]) == (10, 1.0, 0.8)
    assert (paired["judge_longer_people_shorter"], paired["judge_shorter_people_longer"]) == (2, 0)
    assert paired["p_value"] == 0.5
    card = judge_report_card(report, 7)["judges"][0]
    assert not [c for c in card["caveats"] if c.startswith("length bias")]
    assert "on the 10 comparisons where both the judge and people chose a side" in format_report(report)


def test_length_caveat_reads_the_paired_comparison() -> None:
    long_first = [i % 2 == 0 for i in range(40)]
    texts = _texts([("a", "b")] * 40, long_first=long_first)
    judge = _verdicts([(i + 1, False, "1" if long_first[i] else "2") for i in range(40)])
    people = [
        (i + 1, "h1", ("1" if long_first[i] else "2") if i < 20 else ("2" if long_first[i] else "1")) for i in range(40)
    ]
    report = _report(texts, _labels(people, texts), judge)
    caveats = [c for c in judge_report_card(report, 7)["judges"][0]["caveats"] if c.startswith("length bias")]
    assert caveats == [
        "length bias: on the 40 comparisons where both the judge and people chose a side, the judge picks the longer "
        "response in 100%, people in 50% (more than 10 percentage points apart; exact McNemar p = 1.9e-06)"
    ]


def test_a_model_seen_once_is_not_ranked_first() -> None:
    """Finding 10: Z won its one comparison against A; it is listed last as too few to rank, and its n/a win rate
    says why."""
    outcomes = _outcomes({("A", "B"): (14, 6), ("B", "C"): (12, 8), ("A", "C"): (15, 5), ("Z", "A"): (1, 0)})
    table = bradley_terry(outcomes, n_bootstrap=0)
    assert table["model"].tolist()[-1] == "Z" and table["model"].tolist()[0] == "A"
    assert table.set_index("model").loc["Z", ["comparisons", "ranked"]].tolist() == [1, False]
    pairs = list(zip(outcomes["model1"], outcomes["model2"], strict=True))
    texts = _texts(pairs)
    labels = _labels([(i + 1, "h1", v) for i, v in enumerate(outcomes["verdict"])], texts)
    report = _report(texts, labels, _verdicts([(i + 1, False, v) for i, v in enumerate(outcomes["verdict"])]))
    assert report["people"]["bradley_terry"][-1]["model"] == "Z"
    assert report["people"]["bradley_terry_too_few"].startswith("too few comparisons to rank (fewer than 5")
    text = format_report(report)
    assert "win rate of Z against all others" in text
    line = next(line for line in text.splitlines() if "win rate of Z against all others" in line)
    assert "people n/a (fewer than 2 comparisons with an outcome: a win rate needs at least 2)" in line
