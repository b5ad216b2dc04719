"""Can this judge replace people? The report's per-run figures that answer it (issue 12).

Per judge run: calibration of its verdict probabilities against people's labels
(``analysis.calibration``), the Alternative Annotator Test per annotator kind
(``analysis.alt_test``), and win rates and Bradley-Terry strengths three ways: people only, judge
only and prediction-powered (``analysis.corrected``). Per dataset: people's labels aggregated by
majority and by Dawid-Skene side by side, with each annotator's estimated quality
(``analysis.aggregation``).

Why a module of its own: ``analysis.report`` stays the one builder (it calls these and keeps the
results in the Report), while these functions take plain frames, so a test or a notebook can call
them on an export. "People" here is always one label per comparison, aggregated by the method the
report's options name, and every result carries that method's name so no figure hides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.aggregation import AggregationComparison, compare_aggregations
from analysis.alt_test import AltTestResult, alt_test, alt_test_by_kind
from analysis.calibration import CalibrationReport, calibration_report
from analysis.corrected import (
    CorrectedBradleyTerry,
    CorrectedWinRate,
    bradley_terry,
    pairwise_win_rates,
    win_rates_against,
    win_rates_overall,
)
from analysis.defaults import (
    AGGREGATIONS,
    ALPHA,
    ALT_TEST_EPSILON,
    ALT_TEST_FDR,
    CALIBRATION_BINS,
    DEFAULT_ANNOTATOR_KIND,
)
from analysis.verdicts import UNCERTAIN, VOTED, no_verdict_as_wrong

#: The alt-test group of every annotator together, run when the labels carry several kinds.
ALL_KINDS = "all"
PROBABILITY_COLUMNS = {"p_1": "1", "p_2": "2", "p_tie": "tie"}


@dataclass(frozen=True)
class AltTestGroup:
    group: str  # an annotator kind ("crowd", "expert", ...), or ALL_KINDS
    result: AltTestResult


@dataclass(frozen=True)
class CorrectedEstimates:
    """Win rates and strengths three ways; ``people_aggregation`` names how people's labels were combined."""

    people_aggregation: str
    baseline: str | None
    against_baseline: tuple[CorrectedWinRate, ...]
    overall: tuple[CorrectedWinRate, ...]  # each model against every model it met
    pairs: tuple[CorrectedWinRate, ...]
    bradley_terry: CorrectedBradleyTerry | None


@dataclass(frozen=True)
class JudgeVsPeople:
    """One judge run's answer to "can it replace people?"."""

    run_id: int
    people_aggregation: str
    n_with_probabilities: int  # verdicts (parsed or uncertain) that carry probabilities
    calibration: CalibrationReport | None  # None when no verdict carries probabilities
    alt_tests: tuple[AltTestGroup, ...]
    corrected: CorrectedEstimates | None  # None when the dataset's sides are not models


def aggregations(labels: pd.DataFrame, used: str) -> AggregationComparison:
    """Majority and Dawid-Skene side by side (and ``used``, when it is another method)."""
    methods = list(AGGREGATIONS) + ([used] if used not in AGGREGATIONS else [])
    return compare_aggregations(labels[["comparison_id", "annotator", "verdict"]], methods)


def with_probabilities(verdicts: pd.DataFrame) -> pd.DataFrame:
    """``verdicts`` with a ``probabilities`` column (dict of "1", "2", "tie", or None), built from the
    store's p_1 / p_2 / p_tie columns when it has those instead."""
    if "probabilities" in verdicts.columns:
        return verdicts
    if "p_1" not in verdicts.columns:
        return verdicts.assign(probabilities=None)
    rows = verdicts[list(PROBABILITY_COLUMNS)].to_dict("records")
    dicts = [
        None if pd.isna(row["p_1"]) else {label: float(row[c] or 0.0) for c, label in PROBABILITY_COLUMNS.items()}
        for row in rows
    ]
    return verdicts.assign(probabilities=pd.Series(dicts, index=verdicts.index, dtype=object))


def _calibration(
    parsed: pd.DataFrame, people: pd.DataFrame, categories: pd.Series, n_bins: int
) -> tuple[int, CalibrationReport | None]:
    judged = with_probabilities(parsed)
    has = int(judged["probabilities"].map(lambda p: isinstance(p, dict) and bool(p)).sum())
    if not has:
        return 0, None
    frame = judged[["comparison_id", "verdict", "probabilities"]].assign(
        category=judged["comparison_id"].map(categories)
    )
    return has, calibration_report(frame, people, n_bins=n_bins)


def judge_gap(labels: pd.DataFrame, counted: pd.DataFrame, uncertain_margin: float | None = None) -> str | None:
    """Why comparisons that two or more people labelled lack a decisive judge verdict, counted per
    reason: "the judge gave a decisive verdict on 1 of the 60 comparisons ... (59 uncertain at margin
    0.1; see --uncertain-margin)". None when none lacks one. Said once for the whole dataset, so every
    alt-test group that it stops words it the same and a page can show it once."""
    rows = labels.dropna(subset=["verdict"]).drop_duplicates(["comparison_id", "annotator"])
    shared = rows.groupby("comparison_id").size()
    shared_ids = set(shared[shared >= 2].index)
    if not shared_ids:
        return None
    statuses = counted.drop_duplicates("comparison_id", keep="last").set_index("comparison_id")
    status = statuses["status"] if "status" in statuses.columns else pd.Series("ok", index=statuses.index)
    status = status.where(statuses["verdict"].notna() | (status != "ok"), "unparsed")
    of_shared = status[status.index.isin(shared_ids)].astype(str)
    decided = int((of_shared == "ok").sum())
    if decided == len(shared_ids):
        return None
    why = of_shared[of_shared != "ok"].value_counts()
    parts = [
        f"{n} uncertain at margin {uncertain_margin:g}; see --uncertain-margin"
        if name == UNCERTAIN and uncertain_margin is not None
        else f"{n} {name}"
        for name, n in why.items()
    ]
    if len(shared_ids) > len(of_shared):
        parts.append(f"{len(shared_ids) - len(of_shared)} not judged")
    return (
        f"the judge gave a decisive verdict on {decided} of the {len(shared_ids)} comparisons that two or more "
        f"people labelled ({'; '.join(parts)})"
    )


def alt_tests(
    labels: pd.DataFrame,
    verdicts: pd.DataFrame,
    *,
    epsilons: Mapping[str, float] | None = None,
    alpha: float = ALT_TEST_FDR,
    gap: str | None = None,
) -> tuple[AltTestGroup, ...]:
    """The test per annotator kind (column ``annotator_kind``; unknown kinds count as
    DEFAULT_ANNOTATOR_KIND), and with several kinds also everyone together at the smallest ε of
    those kinds (the strictest margin: a mixed panel is only as lenient as its strictest member).
    ``gap``: ``judge_gap``'s sentence, given to every group. ``verdicts``: every judged comparison, one without a
    decisive verdict as ``analysis.verdicts.NO_VERDICT`` (``no_verdict_as_wrong``); ``alpha``: the FDR level."""
    if labels.empty:
        return ()
    epsilons = dict(ALT_TEST_EPSILON, **(epsilons or {}))
    kinds = labels["annotator_kind"] if "annotator_kind" in labels.columns else None
    kinds = (kinds if kinds is not None else pd.Series(None, index=labels.index, dtype=object)).fillna(
        DEFAULT_ANNOTATOR_KIND
    )
    labelled = labels.assign(annotator_kind=kinds.astype(str))
    judged = verdicts[["comparison_id", "verdict"]]
    groups = [
        AltTestGroup(kind, result)
        for kind, result in alt_test_by_kind(labelled, judged, epsilons=epsilons, alpha=alpha, judge_gap=gap).items()
    ]
    if len(groups) > 1:
        epsilon = min(epsilons.get(g.group, epsilons["expert"]) for g in groups)
        everyone = alt_test(labelled, judged, annotator_kind=None, epsilon=epsilon, alpha=alpha, judge_gap=gap)
        groups.append(AltTestGroup(ALL_KINDS, everyone))
    return tuple(groups)


def corrected_estimates(
    comparisons: pd.DataFrame,
    people: pd.DataFrame,
    judge: pd.DataFrame,
    *,
    people_aggregation: str,
    baseline: str | None,
    alpha: float = ALPHA,
) -> CorrectedEstimates:
    """Win rates against ``baseline`` (when there is one), against the field and per pair, and
    Bradley-Terry strengths (reference: the baseline, else the first model by name), three ways."""
    models = set(comparisons["model1"]) | set(comparisons["model2"])
    against = win_rates_against(comparisons, people, judge, baseline, alpha=alpha) if baseline else ()
    strengths = None
    if len(models) >= 2:
        reference = baseline if baseline in models else None
        strengths = bradley_terry(comparisons, people, judge, reference=reference, alpha=alpha)
    return CorrectedEstimates(
        people_aggregation=people_aggregation,
        baseline=baseline,
        against_baseline=against,
        overall=win_rates_overall(comparisons, people, judge, alpha=alpha),
        pairs=pairwise_win_rates(comparisons, people, judge, alpha=alpha),
        bradley_terry=strengths,
    )


@dataclass(frozen=True)
class JudgeVsPeopleInputs:
    """What every run's section is computed against (plain frames)."""

    comparisons: pd.DataFrame  # comparison_id, model1, model2, category[, draw_probability]
    labels: pd.DataFrame  # comparison_id, annotator, verdict[, annotator_kind]
    people: pd.DataFrame  # one aggregated label per comparison: comparison_id, verdict
    people_aggregation: str
    baseline: str | None
    rank_models: bool = True
    epsilons: Mapping[str, float] | None = None
    alpha: float = ALPHA  # the win-rate intervals' level is 1 - alpha
    n_bins: int = CALIBRATION_BINS
    uncertain_margin: float | None = None  # the report's, named where uncertain verdicts stop the alt-test
    alt_test_alpha: float = ALT_TEST_FDR  # the alt-test's FDR level: its own, not ``alpha``


def _with_leaning(counted: pd.DataFrame) -> pd.DataFrame:
    """Parsed and uncertain verdicts, an uncertain one's verdict read from ``leaning``: calibration
    measures the probabilities themselves, and leaving out the low-confidence ones would hide exactly
    the verdicts it is about."""
    if "status" not in counted.columns:
        return counted[counted["verdict"].notna()]
    rows = counted[counted["status"].isin(VOTED)]
    if "leaning" in rows.columns:
        rows = rows.assign(verdict=rows["verdict"].where(rows["status"] == "ok", rows["leaning"]))
    return rows[rows["verdict"].notna()]


def judge_vs_people(run_id: int, counted: pd.DataFrame, inputs: JudgeVsPeopleInputs) -> JudgeVsPeople:
    """One run's section from its verdicts that count (comparison_id, verdict, status[, leaning,
    probabilities or p_1 / p_2 / p_tie]). Calibration reads parsed and uncertain verdicts (the latter
    by their leaning); the corrected estimates read only parsed ones, so an uncertain verdict is never a vote;
    the alt-test counts a judged comparison without a decisive verdict as a disagreement
    (``no_verdict_as_wrong``, the headline accuracy's rule)."""
    parsed = counted[counted["status"] == "ok"] if "status" in counted.columns else counted
    parsed = parsed[parsed["verdict"].notna()]
    categories = inputs.comparisons.set_index("comparison_id")["category"].astype(str)
    n_probabilities, calibration = _calibration(_with_leaning(counted), inputs.people, categories, inputs.n_bins)
    corrected = None
    if inputs.rank_models:
        corrected = corrected_estimates(
            inputs.comparisons,
            inputs.people,
            parsed[["comparison_id", "verdict"]],
            people_aggregation=inputs.people_aggregation,
            baseline=inputs.baseline,
            alpha=inputs.alpha,
        )
    return JudgeVsPeople(
        run_id=run_id,
        people_aggregation=inputs.people_aggregation,
        n_with_probabilities=n_probabilities,
        calibration=calibration,
        alt_tests=alt_tests(
            inputs.labels,
            no_verdict_as_wrong(counted) if "status" in counted.columns else parsed,
            epsilons=inputs.epsilons,
            alpha=inputs.alt_test_alpha,
            gap=judge_gap(inputs.labels, counted, inputs.uncertain_margin) if not inputs.labels.empty else None,
        ),
        corrected=corrected,
    )
