"""Judges compared: two judge runs on the same comparisons, paired, so "which judge is better, by how much, and is
it significant?" has an answer (s16 judgeshopper, finding 2).

Each run is compared with the best run by headline accuracy (the reference; kept small: n - 1 pairs, never every
pair) on the comparisons both runs judged and people labelled. Per pair:

* accuracy of each run by the headline rule (``analysis.verdicts.no_verdict_as_wrong``: an output without a
  decisive verdict counts as wrong), their difference (reference minus other) with Newcombe's score interval for a
  paired difference (``paired_difference_ci``), or none under ``MIN_DISCORDANT`` discordant comparisons (s17
  review finding 1: the percentile bootstrap used before was too narrow there and left out 0 beside an exact test
  that said "not significant");
* the discordant counts (one run right, the other wrong) and the exact McNemar p-value on them
  (statsmodels' ``mcnemar(exact=True)``: a two-sided binomial test of the discordant pairs), and that p-value
  Holm-adjusted over the pairs compared (``p_holm``; s17 review finding 2: the reference is the best run on these
  same labels, and k - 1 unadjusted tests call some pair "significant" far more often than 5% of the time);
  "significant" is decided on ``p_holm``. The interval stays the unadjusted one (at ``confidence``): with more
  than one pair it is labelled "unadjusted" and, where it leaves out 0 but the adjusted test does not call the
  difference significant, the sentence says so and to go by the adjusted test (s18 review finding 2);
* Cohen's kappa and macro F1 of each run on the shared comparisons, over its decisive verdicts (the report's own
  rule for those figures), and their differences;
* one sentence naming which judge leads on which figure, and whether the accuracy difference is significant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.aggregation import settle
from analysis.agreement import human_judge_agreement
from analysis.defaults import CONFIDENCE, SEED, UNCERTAIN_MARGIN
from analysis.partial_order import holm
from analysis.verdicts import majority_labels, no_verdict_as_wrong, verdict_that_counts

# fewer discordant comparisons than this (one run right, the other wrong) and the difference gets no interval: a
# few discordant pairs hold too little to place one, and the exact McNemar test is what to go by (s17 review 1)
MIN_DISCORDANT = 10

RULE = (
    "each judge run against the best run by headline accuracy, on the comparisons both judged that have a people "
    "label; accuracy: no verdict counts as wrong; difference = reference minus other, with Newcombe's score "
    f"interval for a paired difference (method 10, Wilson limits), none under {MIN_DISCORDANT} discordant "
    "comparisons; McNemar: exact two-sided binomial test of the discordant comparisons (statsmodels), "
    "Holm-adjusted over the pairs compared, and 'significant' on the adjusted p-value (the interval is not "
    "adjusted); kappa and macro F1 over each run's decisive verdicts on the shared comparisons"
)


class _Run(Protocol):
    @property
    def run_id(self) -> int: ...

    @property
    def model(self) -> str: ...


class _Judged(Protocol):
    """What a pair needs of each run: the report's ``JudgeSection`` has it."""

    @property
    def run(self) -> _Run: ...

    @property
    def counted(self) -> pd.DataFrame: ...


def _correct(majority: pd.DataFrame, counted: pd.DataFrame) -> pd.Series:
    """Per comparison judged and labelled: is the run's verdict (no verdict counts as wrong) the people's label?"""
    strict = no_verdict_as_wrong(counted)[["comparison_id", "verdict"]]
    merged = majority[["comparison_id", "verdict"]].merge(strict, on="comparison_id", suffixes=("_people", "_judge"))
    merged = merged.drop_duplicates("comparison_id", keep="last")
    hit = merged["verdict_people"].astype(str) == merged["verdict_judge"].astype(str)
    return pd.Series(hit.to_numpy(), index=merged["comparison_id"].to_numpy())


def _mcnemar_p(only_a: int, only_b: int) -> float | None:
    if only_a + only_b == 0:
        return None  # no discordant comparison: nothing to test
    from statsmodels.stats.contingency_tables import mcnemar  # here: statsmodels takes a while to load

    return float(mcnemar([[0, only_a], [only_b, 0]], exact=True).pvalue)


def paired_difference_ci(
    both: int, only_first: int, only_second: int, neither: int, *, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Newcombe's (1998) method 10 interval for the difference of two paired proportions, first minus second
    (Wilson score limits of each proportion, "square and add", with the phi correlation of the 2x2 table).

    Written here because statsmodels (0.14/0.15) has no interval for a *paired* difference of proportions:
    ``confint_proportions_2indep`` is for independent samples, ``_confint_riskratio_paired_nam`` is for a ratio
    and private. A score interval agrees with McNemar's test far better than a percentile bootstrap of the
    1 / 0 / -1 differences, which is too narrow with few discordant pairs (s17 review finding 1)."""
    from statsmodels.stats.proportion import proportion_confint  # here: statsmodels takes a while to load

    n = both + only_first + only_second + neither
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = (float(x) for x in proportion_confint(both + only_first, n, 1 - confidence, method="wilson"))
    l2, u2 = (float(x) for x in proportion_confint(both + only_second, n, 1 - confidence, method="wilson"))
    margins = (both + only_first) * (only_second + neither) * (both + only_second) * (only_first + neither)
    # phi with Newcombe's continuity correction of its numerator (as in Fagerland, Lydersen & Laake, "Statistical
    # analysis of contingency tables", ch. 8, ``Newcombe_square_and_add_CI_paired_2x2``)
    cross = both * neither - only_first * only_second
    corrected = cross - n / 2 if cross > n / 2 else (0.0 if cross >= 0 else cross)
    phi = corrected / math.sqrt(margins) if margins else 0.0
    below = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    above = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    diff = p1 - p2
    return max(-1.0, diff - math.sqrt(max(below, 0.0))), min(1.0, diff + math.sqrt(max(above, 0.0)))


def _interval(
    both: int, only_a: int, only_b: int, neither: int, confidence: float
) -> tuple[dict[str, float] | None, str | None]:
    """The difference's interval, or None and why."""
    discordant = only_a + only_b
    if discordant == 0:
        return None, "no spread"
    if discordant < MIN_DISCORDANT:
        one = "comparison" if discordant == 1 else "comparisons"
        return None, (
            f"only {discordant} {one} one run got right and the other wrong, under {MIN_DISCORDANT}; "
            "go by the exact McNemar test"
        )
    low, high = paired_difference_ci(both, only_a, only_b, neither, confidence=confidence)
    return {"low": low, "high": high}, None


def _pair(
    ref: _Judged,
    other: _Judged,
    majority: pd.DataFrame,
    correct: Mapping[int, pd.Series],
    *,
    confidence: float,
) -> dict[str, Any] | None:
    a, b = correct[ref.run.run_id], correct[other.run.run_id]
    shared = a.index.intersection(b.index)
    if not len(shared):
        return None
    a, b = a.loc[shared].astype(bool), b.loc[shared].astype(bool)
    diff: npt.NDArray[np.float64] = a.to_numpy(dtype=float) - b.to_numpy(dtype=float)
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
    interval, no_interval = _interval(int((a & b).sum()), only_a, only_b, int((~a & ~b).sum()), confidence)
    people = majority[majority["comparison_id"].isin(shared)]
    fa = human_judge_agreement(people, ref.counted[ref.counted["comparison_id"].isin(shared)])
    fb = human_judge_agreement(people, other.counted[other.counted["comparison_id"].isin(shared)])

    def delta(x: float | None, y: float | None) -> float | None:
        return None if x is None or y is None else x - y

    p = _mcnemar_p(only_a, only_b)
    return {
        "reference": {"run_id": ref.run.run_id, "model": ref.run.model},
        "other": {"run_id": other.run.run_id, "model": other.run.model},
        "n": len(shared),
        "accuracy_reference": float(a.mean()),
        "accuracy_other": float(b.mean()),
        "accuracy_difference": float(diff.mean()),
        "difference_ci": interval,
        "difference_ci_method": "newcombe-10",
        "no_interval": no_interval,
        "level": confidence,
        "only_reference_right": only_a,
        "only_other_right": only_b,
        "mcnemar_p": p,
        # set by ``judges_compared`` once every pair's p is known (Holm over the pairs compared)
        "p_holm": p,
        "comparisons": 1,
        "significant": p is not None and p < 1 - confidence,
        "kappa_reference": fa.cohen_kappa,
        "kappa_other": fb.cohen_kappa,
        "kappa_difference": delta(fa.cohen_kappa, fb.cohen_kappa),
        "macro_f1_reference": fa.macro_f1,
        "macro_f1_other": fb.macro_f1,
        "macro_f1_difference": delta(fa.macro_f1, fb.macro_f1),
    }


def _name(side: Mapping[str, Any]) -> str:
    return f"{side['model']} (run {side['run_id']})"


def pair_sentence(pair: Mapping[str, Any]) -> str:
    """ "gpt-3.5-turbo (run 2) leads on accuracy (+0.030) and kappa (+0.058); PandaLM-7B (run 1) leads on macro F1
    (+0.041). The accuracy difference is not significant (exact McNemar p = 0.072, 145 vs 115 discordant)." """
    ref, other = _name(pair["reference"]), _name(pair["other"])
    leads: dict[str, list[str]] = {ref: [], other: []}
    tied: list[str] = []
    for figure, key in (
        ("accuracy", "accuracy_difference"),
        ("kappa", "kappa_difference"),
        ("macro F1", "macro_f1_difference"),
    ):
        value = pair[key]
        if value is None:
            continue
        if abs(value) < 5e-4:
            tied.append(figure)
        else:
            leads[ref if value > 0 else other].append(f"{figure} ({abs(value):+.3f})")
    parts = [f"{who} leads on {' and '.join(figures)}" for who, figures in leads.items() if figures]
    if tied:
        parts.append(f"they are level on {' and '.join(tied)}")
    head = ("; ".join(parts) or "no figure to compare") + "."
    p = pair["mcnemar_p"]
    level = 1 - float(pair.get("level", CONFIDENCE))
    counts = f"{pair['only_reference_right']} vs {pair['only_other_right']} comparisons only one of them got right"
    if p is None:
        return f"{head} Both got the same {pair['n']} comparisons right or wrong: no accuracy difference to test."
    verdict = "significant" if pair["significant"] else "not significant"
    many = int(pair.get("comparisons", 1))
    if many > 1:
        adjusted = pair.get("p_holm", p)
        return (
            f"{head} The accuracy difference is {verdict} at {level:g} after Holm's adjustment over the {many} "
            f"judge pairs tested (exact McNemar p = {p:.3f}, Holm-adjusted {adjusted:.3f}; {counts}).{_disagree(pair)}"
        )
    tested = f"exact McNemar p = {p:.3f}; {counts}"
    return f"{head} The accuracy difference is {verdict} at {level:g} ({tested}).{_disagree(pair)}"


def _disagree(pair: Mapping[str, Any]) -> str:
    """A note where the interval and the decision the sentence states point different ways: the Holm-adjusted
    test over several pairs (the interval is not adjusted, so it can leave out 0 beside "not significant"; s18
    review finding 2), or, rarely, the pair's own exact test at the border (the score interval is approximate)."""
    ci, p = pair.get("difference_ci"), pair["mcnemar_p"]
    if not ci or p is None:
        return ""
    excludes_zero = ci["low"] > 0 or ci["high"] < 0
    if excludes_zero == bool(pair["significant"]):
        return ""
    many = int(pair.get("comparisons", 1))
    alone = p < 1 - float(pair.get("level", CONFIDENCE))  # the pair's own exact test, before the adjustment
    if many > 1 and excludes_zero == alone:
        return (
            f" The interval is not adjusted for the {many} judge pairs tested: it leaves out 0, but after Holm's "
            "adjustment the difference is not significant; go by the adjusted test."
        )
    return " The interval and the exact test disagree here (a borderline case): go by the exact test."


def judges_compared(
    judges: Sequence[_Judged], majority: pd.DataFrame, *, confidence: float = CONFIDENCE, seed: int = SEED
) -> dict[str, Any] | None:
    """The report's ``judges_compared`` section: None with fewer than two runs that judged labelled comparisons;
    else {"rule", "reference_run", "pairs": [...]}, each pair as ``_pair`` with its ``sentence``. ``seed`` is
    kept for callers: nothing is resampled since the interval became a score interval (s17)."""
    del seed
    if len(judges) < 2 or majority.empty:
        return None
    correct = {j.run.run_id: _correct(majority, j.counted) for j in judges}
    scored = [j for j in judges if len(correct[j.run.run_id])]
    if len(scored) < 2:
        return None
    ref = max(scored, key=lambda j: (float(correct[j.run.run_id].mean()), -j.run.run_id))
    pairs = []
    for other in scored:
        if other is ref:
            continue
        pair = _pair(ref, other, majority, correct, confidence=confidence)
        if pair is not None:
            pairs.append(pair)
    if not pairs:
        return None
    _adjust(pairs, 1 - confidence)
    pairs = [{**pair, "sentence": pair_sentence(pair)} for pair in pairs]
    return {"rule": RULE, "reference_run": ref.run.run_id, "pairs": pairs}


def _adjust(pairs: list[dict[str, Any]], alpha: float) -> None:
    """Holm's adjustment of the exact McNemar p-values over the pairs compared (those with a p-value: a pair with
    no discordant comparison tests nothing), so "significant" holds for the family, as ``partial_order`` does."""
    tested = [pair for pair in pairs if pair["mcnemar_p"] is not None]
    for pair, adjusted in zip(tested, holm([pair["mcnemar_p"] for pair in tested]), strict=True):
        pair["p_holm"], pair["comparisons"] = adjusted, len(tested)
        pair["significant"] = adjusted < alpha


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _signed(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def difference_text(pair: Mapping[str, Any]) -> str:
    """ "+0.030 [-0.003, 0.063] (95% CI)": the accuracy difference with its interval, or "(no interval: ...)" and
    why (no discordant comparison, or fewer than ``MIN_DISCORDANT``; a report saved before s17 has no reason).
    Where the p-value was Holm-adjusted over more than one pair, "(95% CI, unadjusted)": the interval is not."""
    ci = pair.get("difference_ci")
    level = f"{100 * float(pair.get('level', CONFIDENCE)):g}% CI"
    if int(pair.get("comparisons", 1)) > 1:
        level += ", unadjusted"
    why = pair.get("no_interval") or "no spread"
    interval = f" [{ci['low']:+.3f}, {ci['high']:+.3f}] ({level})" if ci else f" (no interval: {why})"
    return f"{_signed(pair['accuracy_difference'])}{interval}"


def p_text(pair: Mapping[str, Any]) -> str:
    """ "0.072", or "0.020 (Holm 0.040)" where the p-value was adjusted over more than one pair."""
    p = pair["mcnemar_p"]
    if p is None:
        return "n/a"
    if int(pair.get("comparisons", 1)) > 1 and pair.get("p_holm") is not None:
        return f"{p:.3f} (Holm {pair['p_holm']:.3f})"
    return f"{p:.3f}"


def judges_compared_lines(section: Mapping[str, Any] | None) -> list[str]:
    """The text summary's block (``metrics``, the text report card): one pair a few lines."""
    if not section or not section.get("pairs"):
        return []
    lines = ["Judges compared (paired, on the comparisons both judged; accuracy: no verdict counts as wrong):"]
    for pair in section["pairs"]:
        ref, other = _name(pair["reference"]), _name(pair["other"])
        lines += [
            f"  {ref} vs {other} (n={pair['n']}): accuracy {_num(pair['accuracy_reference'])} vs "
            f"{_num(pair['accuracy_other'])}, difference {difference_text(pair)}, exact McNemar p = {p_text(pair)} "
            f"({pair['only_reference_right']} vs {pair['only_other_right']} discordant); kappa "
            f"{_num(pair['kappa_reference'])} vs {_num(pair['kappa_other'])} ({_signed(pair['kappa_difference'])}), "
            f"macro F1 {_num(pair['macro_f1_reference'])} vs {_num(pair['macro_f1_other'])} "
            f"({_signed(pair['macro_f1_difference'])})",
            f"  {pair['sentence']}",
        ]
    return lines


@dataclass(frozen=True)
class _Counted:
    run: Any  # a JudgeRun: run_id, model
    counted: pd.DataFrame


def judges_compared_of_rows(
    runs: Sequence[Any],
    verdicts: pd.DataFrame,
    labels: pd.DataFrame,
    *,
    margin: float = UNCERTAIN_MARGIN,
    adjudications: pd.DataFrame | None = None,
    confidence: float = CONFIDENCE,
) -> dict[str, Any] | None:
    """``judges_compared`` from the store's rows, without building the whole report (the Dashboard, which builds
    it for one run): each run's verdicts that count, against the majority label (a reviewer's adjudication in
    its place), as the report reads them."""
    if len(runs) < 2 or labels.empty:
        return None
    majority, _ = settle(majority_labels(labels), adjudications)
    judged = [
        _Counted(run, verdict_that_counts(verdicts[verdicts["run_id"] == run.run_id], margin=margin)) for run in runs
    ]
    return judges_compared(judged, majority, confidence=confidence)
