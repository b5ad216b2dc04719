"""Bradley-Terry strengths where the comparisons leave them undefined (a model that never lost): the
rankings say so and draw no bootstrap interval, instead of an interval of zero width that missed its own
point (2.5287 [2.52869, 2.52869] on 40 comparisons A always won)."""

from __future__ import annotations

import math

import pandas as pd

from analysis.rankings import bradley_terry, bradley_terry_note


def _outcomes(verdicts: list[str]) -> pd.DataFrame:
    n = len(verdicts)
    return pd.DataFrame({"model1": ["A", "B"] * (n // 2), "model2": ["B", "A"] * (n // 2), "verdict": verdicts})


def test_a_model_that_never_lost_gets_a_note_and_no_interval() -> None:
    always_a = _outcomes(["1", "2"] * 20)  # A first and wins, then B first and loses: A wins all 40
    assert bradley_terry_note(always_a) == (
        "A never lost a comparison to the other models, so the strengths are unbounded; label more comparisons "
        "(the strengths shown are set by the prior alone, without intervals)"
    )
    table = bradley_terry(always_a, n_bootstrap=50).set_index("model")
    assert table.loc["A", "strength"] > table.loc["B", "strength"]
    assert all(math.isnan(v) for v in [*table["ci_low"], *table["ci_high"]])


def test_a_tie_counts_both_ways_and_mixed_results_keep_their_interval() -> None:
    assert bradley_terry_note(_outcomes(["1", "2"] * 19 + ["tie", "tie"])) is None  # B tied A once: bounded
    mixed = _outcomes(["1", "1", "2", "2"] * 10)
    assert bradley_terry_note(mixed) is None
    table = bradley_terry(mixed, n_bootstrap=50)
    assert (table["ci_low"] < table["strength"]).all() and (table["strength"] < table["ci_high"]).all()
