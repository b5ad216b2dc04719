"""Agreement and partial-order analysis on small hand-computed cases."""

from __future__ import annotations

import pandas as pd
import pytest

from annotation_store import human_judge_agreement, majority_labels, model_levels, partial_order, win_table


def _labels(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])


def _verdicts(rows: list[tuple[int, str | None, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["comparison_id", "verdict", "status"])


def test_accuracy_and_kappa_by_hand() -> None:
    labels = _labels([(1, "a", "1"), (2, "a", "2"), (3, "a", "1"), (4, "a", "2"), (5, "a", "tie")])
    verdicts = _verdicts([(1, "1", "ok"), (2, "2", "ok"), (3, "2", "ok"), (4, "2", "ok"), (5, None, "unparsed")])
    agreement = human_judge_agreement(labels, verdicts)
    assert agreement.n == 4 and agreement.judge_unparsed == 1
    assert agreement.accuracy == pytest.approx(0.75)
    # p_o = 3/4; human marginals (1: 2/4, 2: 2/4), judge (1: 1/4, 2: 3/4): p_e = 2/16 + 6/16 = 1/2
    assert agreement.cohen_kappa == pytest.approx((0.75 - 0.5) / (1 - 0.5))
    assert agreement.confusion.loc["1", "2"] == 1 and agreement.confusion.loc["2", "2"] == 2


def test_no_data_gives_no_figures() -> None:
    agreement = human_judge_agreement(_labels([]), _verdicts([]))
    assert agreement.n == 0 and agreement.accuracy is None and agreement.cohen_kappa is None


def test_majority_label_with_tie_breaking() -> None:
    labels = _labels([(1, "a", "1"), (1, "b", "1"), (1, "c", "2"), (2, "a", "1"), (2, "b", "2")])
    majority = majority_labels(labels).set_index("comparison_id")["verdict"].to_dict()
    assert majority == {1: "1", 2: "tie"}  # 1-1 split between the top labels -> tie


def _outcomes(a_wins: int, b_wins: int, ties: int, a: str = "A", b: str = "B") -> list[tuple[str, str, str]]:
    rows = [(a, b, "1")] * a_wins + [(b, a, "1")] * b_wins + [(a, b, "tie")] * ties
    return rows


def test_win_table_counts_both_presentation_orders() -> None:
    frame = pd.DataFrame(_outcomes(3, 2, 1), columns=["model1", "model2", "verdict"])
    table = win_table(frame)
    assert table.to_dict("records") == [{"model_a": "A", "model_b": "B", "wins_a": 3, "wins_b": 2, "ties": 1}]


def test_partial_order_needs_significance_and_is_transitively_reduced() -> None:
    rows = _outcomes(10, 0, 2, "A", "B") + _outcomes(10, 0, 0, "B", "C") + _outcomes(10, 0, 0, "A", "C")
    rows += _outcomes(4, 3, 0, "C", "D")  # not significant
    frame = pd.DataFrame(rows, columns=["model1", "model2", "verdict"])
    order = partial_order(frame)
    assert {(e.winner, e.loser) for e in order.edges} == {("A", "B"), ("B", "C"), ("A", "C")}
    assert order.hasse == [("A", "B"), ("B", "C")]
    ab = next(e for e in order.edges if (e.winner, e.loser) == ("A", "B"))
    assert ab.p_value == pytest.approx(2 * 0.5**10)  # exact two-sided sign test, 10 of 10
    assert model_levels(order) == {"A": 0, "B": 1, "C": 2, "D": 0}
    more_wins = partial_order(frame, rule="more-wins")
    assert ("C", "D") in {(e.winner, e.loser) for e in more_wins.edges}


def test_partial_order_reports_cycles() -> None:
    rows = _outcomes(10, 0, 0, "A", "B") + _outcomes(10, 0, 0, "B", "C") + _outcomes(10, 0, 0, "C", "A")
    order = partial_order(pd.DataFrame(rows, columns=["model1", "model2", "verdict"]))
    assert len(order.cycles) == 1 and set(order.cycles[0]) == {"A", "B", "C"}
