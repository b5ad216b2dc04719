"""The Alternative Annotator Test (Calderon, Reichart & Dror, ACL 2025, "The Alternative Annotator
Test for LLM-as-a-Judge: How to Statistically Justify Replacing Human Annotators with LLMs").

Can the judge stand in for the people? Leave one annotator j out at a time; on each item j
labelled, score how well the judge agrees with the *remaining* annotators (share of them it
matches) and how well j does. Per item, the judge "wins" when its score >= j's and j "wins" when
j's >= the judge's (both on equal scores). With d_i = [j wins] - [judge wins], a one-sided one-sample
t-test of H0: mean(d) >= ε against H1: mean(d) < ε asks whether the judge is no worse than j by
more than the margin ε (the cost-benefit allowance for a cheaper annotator). The p-values of all
annotators are corrected together with the Benjamini-Yekutieli FDR procedure (statsmodels
``fdr_by``, level α); the *winning rate* ω is the share of annotators whose null is rejected, and
the judge passes when ω >= 0.5. The *advantage probability* ρ is the mean over annotators of the
share of items where the judge's score >= the annotator's: it compares judges with each other.

This follows the authors' reference implementation (github.com/nitaytech/AltTest,
``alt_test_example.ipynb``): accuracy as the alignment score, items kept only when at least two
people labelled them, annotators with fewer than 30 such items left out (the t-test's normality
needs about 30), ε defaults from the paper's FAQ: 0.2 for experts, 0.15 for skilled annotators,
0.1 for crowd workers. The paper recommends at least three annotators (with two, the "remaining
annotators" is a single person and there is no consensus to represent); below that the figures are
still given but the result is "not testable" rather than pass or fail.

Inputs: ``labels`` rows (comparison_id, annotator, verdict); ``verdicts`` rows (comparison_id,
verdict), the judge's. A judged comparison without a decisive verdict (uncertain, unparsed) comes in as
``analysis.verdicts.NO_VERDICT`` (``no_verdict_as_wrong``, the headline accuracy's rule): it matches nobody, so it
counts as a disagreement rather than dropping out (a judge that abstains on the hard items would otherwise pass:
s15 methodologist). ``n_decisive`` counts the items with a decisive verdict, the conclusion says "decisive on N of
M", and ``decisive_winning_rate`` keeps the winning rate on those items alone, labelled as such. The FDR level is
``ALT_TEST_FDR`` (the paper's 0.05), not the report's ``--alpha``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.defaults import ALT_TEST_EPSILON, ALT_TEST_FDR
from analysis.verdicts import NO_VERDICT

EPSILON = ALT_TEST_EPSILON
MIN_ANNOTATORS = 3
MIN_ITEMS = 30


@dataclass(frozen=True)
class AnnotatorTrial:
    """The judge against one left-out annotator."""

    annotator: str
    n_items: int
    judge_alignment: float  # mean share of the remaining annotators the judge agrees with
    human_alignment: float  # the same for the left-out annotator
    judge_advantage: float  # share of items where the judge's alignment >= the annotator's (rho_j)
    human_advantage: float  # share of items where the annotator's alignment >= the judge's
    p_value: float  # one-sided t-test of H0: human_advantage - judge_advantage >= epsilon
    judge_wins: bool  # H0 rejected after the Benjamini-Yekutieli correction


@dataclass(frozen=True)
class AltTestResult:
    epsilon: float
    alpha: float
    annotator_kind: str | None
    n_items: int  # items with a judge verdict and at least two people's labels
    annotators: tuple[AnnotatorTrial, ...]
    skipped: dict[str, str]  # annotator -> why they were left out of the test (not annotation skips)
    winning_rate: float | None  # omega: share of tested annotators the judge wins against
    advantage_probability: float | None  # rho: mean judge_advantage over tested annotators
    passed: bool | None  # None when the minimum requirements are unmet
    problems: tuple[str, ...]  # unmet requirements, in plain words
    conclusion: str
    n_people: int = 0  # everyone in the group who labelled (``annotators`` are those tested)
    min_annotators: int = MIN_ANNOTATORS  # the people the test needs
    n_decisive: int = 0  # of ``n_items``, those with a decisive judge verdict (the others count as disagreeing)
    decisive_winning_rate: float | None = None  # omega on the decisive items alone (labelled so wherever shown)


def _tables(labels: pd.DataFrame, verdicts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """One label per (item, annotator), the (item x label) count table and the judge's verdict per
    item, restricted to items with a judge verdict and at least two people's labels."""
    latest = verdicts.dropna(subset=["verdict"]).drop_duplicates("comparison_id", keep="last")
    judge = latest.set_index("comparison_id")["verdict"].astype(str)
    rows = labels.dropna(subset=["verdict"]).drop_duplicates(["comparison_id", "annotator"], keep="last")
    rows = rows.assign(annotator=rows["annotator"].astype(str), verdict=rows["verdict"].astype(str))
    rows = rows[rows["comparison_id"].isin(judge.index)]
    per_item = rows.groupby("comparison_id")["annotator"].transform("size")
    rows = rows[per_item >= 2]
    counts = rows.groupby(["comparison_id", "verdict"]).size().unstack(fill_value=0)
    return rows, counts, judge


def _indicators(own: pd.DataFrame, counts: pd.DataFrame, judge: pd.Series) -> tuple[npt.NDArray[np.float64], ...]:
    """Per item of one annotator: alignment (share of the others matched) of the annotator and of
    the judge, and the two 'wins' indicators (ties count for both, as in the reference code)."""
    table = counts.loc[own["comparison_id"]]
    columns = table.columns.to_numpy()
    own_label = own["verdict"].to_numpy()
    others = table.to_numpy() - (own_label[:, None] == columns[None, :])
    n_others = others.sum(axis=1)
    judge_label = judge.loc[own["comparison_id"]].to_numpy()
    human = (others * (own_label[:, None] == columns[None, :])).sum(axis=1) / n_others
    machine = (others * (judge_label[:, None] == columns[None, :])).sum(axis=1) / n_others
    return human, machine, (machine >= human).astype(float), (human >= machine).astype(float)


def _trial(annotator: str, own: pd.DataFrame, counts: pd.DataFrame, judge: pd.Series, epsilon: float) -> AnnotatorTrial:
    from scipy.stats import ttest_1samp

    human, machine, judge_wins, human_wins = _indicators(own, counts, judge)
    difference = human_wins - judge_wins
    if np.all(difference == difference[0]):  # no spread: the t statistic is +-inf or undefined
        p_value = 0.0 if difference[0] < epsilon else 1.0
    else:
        p_value = float(ttest_1samp(difference, epsilon, alternative="less").pvalue)
    return AnnotatorTrial(
        annotator=annotator,
        n_items=len(own),
        judge_alignment=float(machine.mean()),
        human_alignment=float(human.mean()),
        judge_advantage=float(judge_wins.mean()),
        human_advantage=float(human_wins.mean()),
        p_value=p_value,
        judge_wins=False,
    )


def _with_fdr(trials: list[AnnotatorTrial], alpha: float) -> list[AnnotatorTrial]:
    """Benjamini-Yekutieli step-up over the annotators' p-values (valid under any dependence)."""
    from statsmodels.stats.multitest import multipletests

    if not trials:
        return []
    rejected = multipletests([t.p_value for t in trials], alpha=alpha, method="fdr_by")[0]
    return [replace(t, judge_wins=bool(r)) for t, r in zip(trials, rejected, strict=True)]


def alt_test(
    labels: pd.DataFrame,
    verdicts: pd.DataFrame,
    *,
    annotator_kind: str | None = "expert",
    epsilon: float | None = None,
    alpha: float = ALT_TEST_FDR,
    min_annotators: int = MIN_ANNOTATORS,
    min_items: int = MIN_ITEMS,
    judge_gap: str | None = None,
) -> AltTestResult:
    """Run the alternative-annotator test of the judge's ``verdicts`` against people's ``labels``.

    ``epsilon`` defaults to the paper's value for ``annotator_kind`` ("expert" 0.2, "skilled" 0.15,
    "crowd" 0.1). Annotators with fewer than ``min_items`` shared items are left out; with fewer than
    ``min_annotators`` tested, ``passed`` is None and ``problems`` says why, the real cause first.
    ``judge_gap`` is the caller's sentence on why comparisons lack a decisive judge verdict (uncertain,
    unparsed: this module sees only decisive verdicts); it leads the problems when missing verdicts
    are what stop the test."""
    if epsilon is None:
        if annotator_kind not in EPSILON:
            raise ValueError(f"give epsilon, or an annotator_kind among {', '.join(EPSILON)}")
        epsilon = EPSILON[annotator_kind]
    rows, counts, judge = _tables(labels, verdicts)
    trials, skipped = [], {}
    for annotator, own in rows.groupby("annotator", sort=True):
        if len(own) < min_items:
            skipped[str(annotator)] = (
                f"labelled {len(own)} comparison{'' if len(own) == 1 else 's'} that another person also labelled "
                "and the judge judged; "
                f"the test needs {min_items}"
            )
            continue
        trials.append(_trial(str(annotator), own, counts, judge, epsilon))
    trials = _with_fdr(trials, alpha)
    decisive_omega = _decisive_omega(rows, judge, epsilon, alpha, min_items) if (judge == NO_VERDICT).any() else None
    coverage = _Coverage.of(labels, judge, len(trials), annotator_kind, min_annotators, min_items)
    problems = coverage.problems(judge_gap)
    # no winning rate where the test cannot run: "0.00" read as "the judge lost to everyone"
    omega = sum(t.judge_wins for t in trials) / len(trials) if trials and not problems else None
    rho = float(np.mean([t.judge_advantage for t in trials])) if trials else None
    passed = None if problems or omega is None else omega >= 0.5
    result = AltTestResult(
        epsilon,
        alpha,
        annotator_kind,
        len(counts),
        tuple(trials),
        skipped,
        omega,
        rho,
        passed,
        tuple(problems),
        "",
        n_people=len(coverage.people),
        min_annotators=min_annotators,
        n_decisive=int((judge.reindex(counts.index) != NO_VERDICT).sum()),
        decisive_winning_rate=decisive_omega if omega is not None else omega,
    )
    return replace(result, conclusion=_conclusion(result))


def _decisive_omega(rows: pd.DataFrame, judge: pd.Series, epsilon: float, alpha: float, min_items: int) -> float | None:
    """The winning rate on the items with a decisive judge verdict alone (the figure before s15), or None when no
    annotator keeps ``min_items`` of them."""
    decisive = judge[judge != NO_VERDICT]
    kept = rows[rows["comparison_id"].isin(decisive.index)]
    kept = kept[kept.groupby("comparison_id")["annotator"].transform("size") >= 2]
    counts = kept.groupby(["comparison_id", "verdict"]).size().unstack(fill_value=0)
    trials = [
        _trial(str(annotator), own, counts, decisive, epsilon)
        for annotator, own in kept.groupby("annotator", sort=True)
        if len(own) >= min_items
    ]
    trials = _with_fdr(trials, alpha)
    return sum(t.judge_wins for t in trials) / len(trials) if trials else None


@dataclass(frozen=True)
class _Coverage:
    """What stops the test, counted: the people, the items two or more of them labelled, how many of
    those the judge decided, and who would qualify with a judge verdict on every item. Why counted
    apart: "0 qualify" alone blamed the annotators when the judge's uncertain verdicts were the cause."""

    who: str  # "crowd annotators", "annotators"
    people: tuple[str, ...]  # everyone in the group who labelled anything
    shared: int  # comparisons two or more of them labelled
    decided: int  # of those, with a decisive judge verdict
    tested: int
    qualify_without_judge: int  # annotators with min_items shared comparisons, judge or not
    min_annotators: int
    min_items: int

    @classmethod
    def of(
        cls,
        labels: pd.DataFrame,
        judge: pd.Series,
        tested: int,
        annotator_kind: str | None,
        min_annotators: int,
        min_items: int,
    ) -> _Coverage:
        rows = labels.dropna(subset=["verdict"]).drop_duplicates(["comparison_id", "annotator"])
        rows = rows.assign(annotator=rows["annotator"].astype(str))
        rows = rows[rows.groupby("comparison_id")["annotator"].transform("size") >= 2]
        shared = set(rows["comparison_id"])
        per_person = rows.groupby("annotator").size()
        people = tuple(sorted(labels["annotator"].astype(str).unique())) if not labels.empty else ()
        return cls(
            who=f"{annotator_kind} annotators" if annotator_kind else "annotators",
            people=people,
            shared=len(shared),
            decided=len(shared & set(judge.index)),
            tested=tested,
            qualify_without_judge=int((per_person >= min_items).sum()),
            min_annotators=min_annotators,
            min_items=min_items,
        )

    def problems(self, judge_gap: str | None) -> list[str]:
        """The unmet requirements, each once and the real cause first."""
        if self.tested >= self.min_annotators:
            return []
        if len(self.people) < self.min_annotators:  # can never run on this group, whatever the judge did
            names = f" ({', '.join(self.people)})" if self.people else ""
            who = self.who.removesuffix("s") if len(self.people) == 1 else self.who  # "1 expert annotator"
            return [
                f"only {len(self.people)} {who}{names}: the test needs at least {self.min_annotators} people, "
                "so that the “remaining annotators” are more than one person (Calderon et al. 2025, FAQ)"
            ]
        gap = judge_gap or (
            f"the judge gave a decisive verdict on {self.decided} of the {self.shared} comparisons that two or "
            f"more {self.who} labelled"
        )
        people = (
            f"{self.tested} of {len(self.people)} {self.who} labelled at least {self.min_items} comparisons that "
            f"another of them labelled and the judge judged; the test needs at least {self.min_annotators} "
            "people who did"
        )
        if self.decided == self.shared:
            return [people]
        if self.qualify_without_judge >= self.min_annotators:  # enough people: the judge's gaps stop it
            return [gap, people]
        return [people, gap]


def _conclusion(result: AltTestResult) -> str:
    """One plain-language paragraph for the report card."""
    who = f"{result.annotator_kind} annotators" if result.annotator_kind else "annotators"
    margin = f"margin ε = {result.epsilon:g}, FDR level α = {result.alpha:g}"
    if result.winning_rate is None or result.passed is None:
        reasons = "; ".join(result.problems) or "no annotator could be tested"
        return f"The alternative-annotator test could not decide whether the judge can replace the {who}: {reasons}."
    wins = sum(t.judge_wins for t in result.annotators)
    figures = (
        f"it aligned with the remaining people at least as well as the left-out person (within the margin) "
        f"for {wins} of {len(result.annotators)} annotators (winning rate ω = {result.winning_rate:.2f}; "
        f"advantage probability ρ = {result.advantage_probability:.2f}; {margin}); {coverage_text(result)}"
    )
    if result.passed:
        return f"The judge passes the alternative-annotator test and can stand in for these {who}: {figures}."
    return f"The judge fails the alternative-annotator test and should not replace these {who} yet: {figures}."


def coverage_text(result: AltTestResult) -> str:
    """ "decisive on 667 of 999 comparisons tested (the other 332 count as disagreeing; on the decisive ones
    alone ω = 1.00)", or "decisive on all 999 comparisons tested": the coverage said in the answer itself."""
    if result.n_decisive >= result.n_items:
        return f"the judge was decisive on all {result.n_items} comparisons tested"
    alone = result.decisive_winning_rate
    figure = f"; on the decisive ones alone ω = {alone:.2f}" if alone is not None else ""
    return (
        f"the judge was decisive on {result.n_decisive} of {result.n_items} comparisons tested (the other "
        f"{result.n_items - result.n_decisive}, uncertain or without a verdict, count as disagreeing{figure})"
    )


def notes(tests: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lines to show under the groups' table (the report's JSON ``alt_test`` list): each problem
    once, though several groups share it (the judge's missing verdicts stop every group), and who was
    left out of a group that did run. Why here: the card, the text summary and any other page word it
    the same, and "skipped" (annotation skips) is never used for "left out of the test"."""
    lines: list[str] = []
    for test in tests:
        lines += [p for p in test["problems"] if p not in lines]
        if test["annotators"]:  # the test ran on someone: who it could not use is worth a line each
            lines += [f"{name} left out of the {test['group']} test: {why}" for name, why in test["skipped"].items()]
    return lines


def alt_test_by_kind(
    labels: pd.DataFrame,
    verdicts: pd.DataFrame,
    *,
    epsilons: Mapping[str, float] | None = None,
    alpha: float = ALT_TEST_FDR,
    min_annotators: int = MIN_ANNOTATORS,
    min_items: int = MIN_ITEMS,
    judge_gap: str | None = None,
) -> dict[str, AltTestResult]:
    """The test per annotator kind (column ``annotator_kind`` of ``labels``: "expert", "skilled",
    "crowd"), each kind against its own members with its own ε (the paper's defaults unless given)."""
    results = {}
    for kind, group in labels.groupby(labels["annotator_kind"].astype(str), sort=True):
        epsilon = (epsilons or {}).get(str(kind), EPSILON.get(str(kind), EPSILON["expert"]))
        results[str(kind)] = alt_test(
            group,
            verdicts,
            annotator_kind=str(kind),
            epsilon=epsilon,
            alpha=alpha,
            min_annotators=min_annotators,
            min_items=min_items,
            judge_gap=judge_gap,
        )
    return results
