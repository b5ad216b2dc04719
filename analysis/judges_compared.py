"""Judges compared: two judge runs on the same comparisons, paired, so "which judge is better, by how much, and is
it significant?" has an answer (s16 judgeshopper, finding 2).

Each run is compared with the best run by headline accuracy (the reference; kept small: n - 1 pairs, never every
pair) on the comparisons both runs judged and people labelled. Per pair:

* accuracy of each run by the headline rule (``analysis.verdicts.no_verdict_as_wrong``: an output without a
  decisive verdict counts as wrong), their difference (reference minus other) with a paired percentile-bootstrap
  interval over the shared comparisons (``analysis.bootstrap.bootstrap_ci`` of the per-comparison differences
  1 / 0 / -1), or none where every comparison gives the same difference;
* the discordant counts (one run right, the other wrong) and the exact McNemar p-value on them
  (statsmodels' ``mcnemar(exact=True)``: a two-sided binomial test of the discordant pairs);
* Cohen's kappa and macro F1 of each run on the shared comparisons, over its decisive verdicts (the report's own
  rule for those figures), and their differences;
* one sentence naming which judge leads on which figure, and whether the accuracy difference is significant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.aggregation import settle
from analysis.agreement import human_judge_agreement
from analysis.bootstrap import bootstrap_ci
from analysis.defaults import CONFIDENCE, SEED, UNCERTAIN_MARGIN
from analysis.verdicts import majority_labels, no_verdict_as_wrong, verdict_that_counts

RULE = (
    "each judge run against the best run by headline accuracy, on the comparisons both judged that have a people "
    "label; accuracy: no verdict counts as wrong; difference = reference minus other, paired percentile bootstrap "
    "over the shared comparisons; McNemar: exact two-sided binomial test of the discordant comparisons "
    "(statsmodels); kappa and macro F1 over each run's decisive verdicts on the shared comparisons"
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


def _pair(
    ref: _Judged,
    other: _Judged,
    majority: pd.DataFrame,
    correct: Mapping[int, pd.Series],
    *,
    confidence: float,
    seed: int,
) -> dict[str, Any] | None:
    a, b = correct[ref.run.run_id], correct[other.run.run_id]
    shared = a.index.intersection(b.index)
    if not len(shared):
        return None
    a, b = a.loc[shared].astype(bool), b.loc[shared].astype(bool)
    diff: npt.NDArray[np.float64] = a.to_numpy(dtype=float) - b.to_numpy(dtype=float)
    interval = bootstrap_ci(diff, np.mean, seed=seed, alpha=1 - confidence) if len(shared) > 1 else None
    only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
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
        "difference_ci": None if interval is None else {"low": interval.ci_low, "high": interval.ci_high},
        "level": confidence,
        "only_reference_right": only_a,
        "only_other_right": only_b,
        "mcnemar_p": p,
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
    return f"{head} The accuracy difference is {verdict} at {level:g} (exact McNemar p = {p:.3f}; {counts})."


def judges_compared(
    judges: Sequence[_Judged], majority: pd.DataFrame, *, confidence: float = CONFIDENCE, seed: int = SEED
) -> dict[str, Any] | None:
    """The report's ``judges_compared`` section: None with fewer than two runs that judged labelled comparisons;
    else {"rule", "reference_run", "pairs": [...]}, each pair as ``_pair`` with its ``sentence``."""
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
        pair = _pair(ref, other, majority, correct, confidence=confidence, seed=seed)
        if pair is not None:
            pairs.append({**pair, "sentence": pair_sentence(pair)})
    if not pairs:
        return None
    return {"rule": RULE, "reference_run": ref.run.run_id, "pairs": pairs}


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _signed(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def difference_text(pair: Mapping[str, Any]) -> str:
    """ "+0.030 [-0.003, 0.063] (95% CI)": the accuracy difference with its interval (none where every shared
    comparison gives the same difference)."""
    ci = pair.get("difference_ci")
    level = f"{100 * float(pair.get('level', CONFIDENCE)):g}% CI"
    interval = f" [{ci['low']:+.3f}, {ci['high']:+.3f}] ({level})" if ci else " (no interval: no spread)"
    return f"{_signed(pair['accuracy_difference'])}{interval}"


def p_text(pair: Mapping[str, Any]) -> str:
    return "n/a" if pair["mcnemar_p"] is None else f"{pair['mcnemar_p']:.3f}"


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
