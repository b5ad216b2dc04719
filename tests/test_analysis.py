"""Agreement and partial-order analysis on small hand-computed cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import (
    agreement_over_time,
    annotator_agreement,
    human_judge_agreement,
    majority_labels,
    model_levels,
    partial_order,
    win_table,
)


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


def _wilson(correct: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval written out: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)."""
    p = correct / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def _timed_labels(rows: list[tuple[int, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at"])
    return frame.assign(updated_at=pd.to_datetime(frame["updated_at"]))


def test_agreement_over_time_by_hand() -> None:
    # Frame order is not time order; comparison 5's verdict is unparsed and 6 has none: both drop out.
    labels = _timed_labels(
        [
            (1, "a", "1", "2024-01-05"),
            (2, "a", "2", "2024-01-01"),
            (3, "a", "1", "2024-01-03"),
            (4, "a", "tie", "2024-01-02"),
            (5, "a", "2", "2024-01-04"),
            (6, "a", "2", "2024-01-06"),
            (1, "b", "2", "2024-01-07"),
        ]
    )
    verdicts = _verdicts([(1, "1", "ok"), (2, "1", "ok"), (3, "1", "ok"), (4, "tie", "ok"), (5, None, "unparsed")])
    # Paired labels in time order: c2 (2 vs 1: no), c4 (tie: yes), c3 (yes), c1/a (yes), c1/b (2 vs 1: no).
    # N = 5, points = 3: the points close after ceil(5/3) = 2, ceil(10/3) = 4 and 5 labels.
    table = agreement_over_time(labels, verdicts, points=3)
    assert list(table.columns) == ["time", "n", "accuracy", "low", "high", "comparisons"]
    assert table["n"].tolist() == [2, 4, 5]
    assert table["comparisons"].tolist() == [2, 4, 4]  # c1 has two labels
    assert table["time"].tolist() == [pd.Timestamp(f"2024-01-0{day}") for day in (2, 5, 7)]
    assert table["accuracy"].tolist() == pytest.approx([1 / 2, 3 / 4, 3 / 5])
    # s15: Wilson over the comparisons the labels cover, not the labels (c1's two labels share one verdict);
    # s16: at their Kish effective number (sum n_i)^2 / sum n_i^2: 5^2 / (1 + 1 + 1 + 4) = 25/7 at the last point
    kish = 25 / 7
    for row, (correct, n) in zip(table.itertuples(), [(1, 2), (3, 4), (3 / 5 * kish, kish)], strict=True):
        assert (row.low, row.high) == pytest.approx(_wilson(correct, n))
    # The last point is the overall figure of human_judge_agreement (same pairing).
    overall = human_judge_agreement(labels, verdicts)
    assert (overall.n, overall.accuracy) == (5, pytest.approx(table["accuracy"].iloc[-1]))
    # Fewer labels than points: one point per label; a 90% interval is narrower.
    every = agreement_over_time(labels, verdicts, points=20, confidence=0.90)
    assert every["n"].tolist() == [1, 2, 3, 4, 5]
    assert every["accuracy"].tolist() == pytest.approx([0, 1 / 2, 2 / 3, 3 / 4, 3 / 5])
    assert (every["low"].iloc[-1], every["high"].iloc[-1]) == pytest.approx(
        _wilson(3 / 5 * kish, kish, z=1.6448536269514722)
    )


def test_agreement_over_time_empty_when_nothing_pairs() -> None:
    labels = _timed_labels([(1, "a", "1", "2024-01-01")])
    for verdicts in (_verdicts([]), _verdicts([(1, None, "unparsed")]), _verdicts([(2, "1", "ok")])):
        table = agreement_over_time(labels, verdicts)
        assert table.empty and list(table.columns) == ["time", "n", "accuracy", "low", "high", "comparisons"]


def test_agreement_over_time_needs_label_times() -> None:
    with pytest.raises(ValueError, match="needs the labels' updated_at column"):
        agreement_over_time(_labels([(1, "a", "1")]), _verdicts([(1, "1", "ok")]))


def test_annotator_agreement_with_the_others_and_the_judge_by_hand() -> None:
    labels = _labels(
        [(1, "a", "1"), (1, "b", "1"), (1, "c", "2"), (2, "a", "1"), (2, "b", "2"), (3, "a", "tie"), (4, "b", "2")]
    )
    verdicts = _verdicts([(1, "1", "ok"), (2, "2", "ok"), (3, None, "unparsed"), (4, "1", "ok")])
    table = annotator_agreement(labels, verdicts).set_index("annotator")
    assert table["labels"].to_dict() == {"a": 3, "b": 3, "c": 1}
    # a: c1 others {b: 1, c: 2} split -> left out; c2 others {b: 2} (a said 1: no); c3 nobody else
    # b: c1 others {a: 1, c: 2} split -> left out; c2 others {a: 1} (b said 2: no); c4 nobody else
    # c: c1 others {a: 1, b: 1} -> 1 (c said 2: no)
    assert table["n_with_others"].to_dict() == {"a": 1, "b": 1, "c": 1}
    assert table["others_split"].to_dict() == {"a": 1, "b": 1, "c": 0}
    assert table["with_others"].to_dict() == {"a": 0.0, "b": 0.0, "c": 0.0}
    # vs the judge: a c1 yes, c2 no (c3 unparsed); b c1 yes, c2 yes, c4 no; c c1 no
    assert table["n_with_judge"].to_dict() == {"a": 2, "b": 3, "c": 1}
    assert table["with_judge"].to_dict() == pytest.approx({"a": 1 / 2, "b": 2 / 3, "c": 0.0})
    # b vs judge: (1,1) (2,2) (2,1): p_o = 2/3; b 1: 1/3, 2: 2/3; judge 1: 2/3, 2: 1/3; p_e = 2/9 + 2/9
    assert table.at["b", "kappa_with_judge"] == pytest.approx((2 / 3 - 4 / 9) / (1 - 4 / 9))
    assert list(annotator_agreement(labels).columns) == [
        "annotator",
        "labels",
        "n_with_others",
        "with_others",
        "kappa_with_others",
        "others_split",
    ]
