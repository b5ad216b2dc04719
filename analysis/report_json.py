"""``build_report``'s Report as one JSON-serialisable dict: what ``judge-studio metrics --json`` prints
and the REST ``GET /api/v1/metrics`` returns.

Why a dict of plain values: the command line, the API, tests and notebooks all read the same figures,
and every figure must be checkable by a machine. Only dicts, lists, str, int, finite float, bool and
None (NaN becomes None); ``json.dumps(..., allow_nan=False)`` takes it as it is.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from analysis.aggregation import ADJUDICATION_RULE
from analysis.agreement import Agreement
from analysis.bias import RESPONSE_ONE_READING
from analysis.borderline import RULE as BORDERLINE_RULE
from analysis.checkup import checkup_json
from analysis.corrected_ratings import corrected_ratings_json
from analysis.defaults import ALT_TEST_FDR, CONFIDENCE
from analysis.guideline_versions import guideline_json
from analysis.judge_versions import judge_versions_dict
from analysis.label_scope import import_time_note
from analysis.partial_order import order_dict
from analysis.rankings import too_few_to_rank
from analysis.report import Group, JudgeSection, Ranking, Report
from analysis.report_json_people import aggregation_dict, judge_vs_people_dict
from analysis.verdicts import LABELS, UNCERTAIN

VERDICT_RULE = (
    "per judge run and comparison, the latest verdict in the original presentation order; outputs "
    "without a verdict are counted as unparsed and left out of agreement"
)
#: The report's one line, in place of every pairwise figure, for a dataset without comparisons (a grading
#: study's dataset: its responses are rated one at a time, and its figures are the "ratings" section).
NO_COMPARISONS = (
    "This dataset has no comparisons (pairs of responses), so it has no pairwise figures (labels, agreement, "
    "judge verdicts, rankings); only its single-answer ratings are reported."
)
#: What ``people.win_rate`` / ``judges[].win_rate`` rows hold, and how their standard error relates to the
#: printed intervals (``analysis.rankings.win_rate``).
WIN_RATE_RULE = (
    "win_rate = (wins + ties / 2) / n against the baseline; standard_error = population SD of the per-comparison "
    "scores 1 / 0.5 / 0 (ddof 0) / sqrt(n), the SE of the report's CLT intervals (ppi_py's classical_mean_ci): "
    "the people-only interval is win_rate ± z·standard_error, z for alpha two-sided, clipped to [0, 1] (Wilson's "
    "when every score is the same; weighted by 1/draw probability in the corrected section when draws were "
    "unequal). AlpacaEval's standard_error (ddof 1) is this times sqrt(n / (n - 1))"
)
#: The headline accuracy's rule (``analysis.verdicts.no_verdict_as_wrong``, the alternative-annotator test's too).
ACCURACY_RULE = (
    "headline accuracy (against_majority_unparsed_as_wrong): a judged comparison whose verdict is uncertain, "
    "unparsed or truncated counts as a disagreement; a comparison not judged (status error) is left out; "
    "against_majority (kappa, F1, confusion) reads the decisive verdicts only"
)
BOTH_ORDERS_RULE = (
    "both orders agree -> that verdict; otherwise tie; an uncertain verdict in either order -> uncertain; "
    "a missing parsed verdict in either order -> incomplete"
)


def uncertain_rule(margin: float) -> str:
    """The uncertain rule in words, with the margin in force."""
    return (
        f"a verdict with probabilities whose top two (of p(1), p(2), p(tie)) lie less than {margin:g} apart is "
        "uncertain: counted apart (judge_uncertain, n_uncertain, the win table's uncertain column), never as a "
        "win, a tie or an unparsed output; verdicts without probabilities are never uncertain"
    )


def report_dict(report: Report) -> dict[str, Any]:
    """Every figure of ``report`` as plain JSON values (see the module docstring)."""
    opts = report.options
    result: dict[str, Any] = {
        "dataset": report.dataset,
        "settings": {
            "alpha": opts.alpha,
            # the level of the win-rate and accuracy intervals (1 - alpha); the alt-test's FDR level is its own
            "confidence": 1 - opts.alpha,
            "alt_test_fdr": ALT_TEST_FDR,
            "accuracy_rule": ACCURACY_RULE,
            "bootstrap": opts.n_bootstrap,
            "baseline": report.baseline,
            "seed": opts.seed,
            "length_unit": "characters",
            "majority_rule": "most frequent label; equal top counts give tie",
            "people_labels": opts.aggregation,
            "adjudication_rule": ADJUDICATION_RULE,
            "alt_test_epsilon": dict(opts.alt_test_epsilon),
            "calibration_bins": opts.calibration_bins,
            "verdict_rule": VERDICT_RULE,
            "both_orders_rule": BOTH_ORDERS_RULE,
            "uncertain_margin": opts.uncertain_margin,
            "uncertain_rule": uncertain_rule(opts.uncertain_margin),
            "win_rate_rule": WIN_RATE_RULE,
            "borderline_rule": BORDERLINE_RULE,
            "over_time": f"cumulative per-label accuracy at up to {opts.over_time_points} points in label time "
            f"order, Wilson {CONFIDENCE:.0%} interval",
        },
        "counts": report.counts,
        # whose labels the people figures read (--labels-from / labels_from=): scope, its counts, the line said
        "labels_from": report.label_scope.as_dict() if report.label_scope is not None else None,
        "pairwise_note": None if report.counts["comparisons"] else NO_COMPARISONS,  # a grading-only dataset
        "label_distribution": report.label_distribution,
        "annotators": _annotators(report),
        "inter_annotator": _inter_annotator(report),
        "people": {
            "length_bias": dataclasses.asdict(report.people_bias.length),
            "position_bias": {
                "n_decisive": report.people_bias.n_decisive,
                "left_position_rate": report.people_bias.first_position_rate,
                "p_value": report.people_bias.first_position_p_value,
                # decisive labels without a recorded left/right order (imported): left out of the rate
                "n_unknown_order": report.people_bias.n_unknown_order,
            },
            **_ranking(report.people),
            # pairs whose people-only interval leaves out 0.5 while the sign test orders nothing (analysis.borderline)
            "borderline": [dataclasses.asdict(b) for b in report.people.borderline],
        },
        "judges": [_judge(judge, report) for judge in report.judges],
        "judge_versions": judge_versions_dict(report),
        # each run against the best by headline accuracy, paired (analysis.judges_compared); None under two runs
        "judges_compared": report.judges_compared,
        "categories": [_group(group) for group in report.categories],
        "model_pairs": [_group(group) for group in report.model_pairs],
        "ratings": _ratings(report),
        "aggregation": aggregation_dict(report.aggregation, opts.aggregation),
        "adjudications": {**dataclasses.asdict(report.settled), "note": report.settled.note},
        "checkup": checkup_json(report.checkups),
        "guideline_versions": guideline_json(report.guideline_versions),
    }
    return plain(result)


def _annotators(report: Report) -> list[dict[str, Any]]:
    """Per annotator: labels and distribution, agreement with the others' majority and with each run."""
    sections = []
    for row in report.annotators.to_dict("records"):
        name = str(row["annotator"])
        section = {
            "name": name,
            "kind": row["kind"],
            "labels": row["labels"],
            "skipped": row["skipped"],
            "flagged": row["flagged"],
            "distribution": report.annotator_distribution.get(name, dict.fromkeys(LABELS, 0)),
            "with_others": {
                "rule": "majority of the other annotators' labels on the same comparison; left out where they split",
                "n": row["n_with_others"],
                "accuracy": row["with_others"],
                "cohen_kappa": row["kappa_with_others"],
                "n_split": row["others_split"],  # labels left out: the others had no majority
            },
            # gold checks (the Dashboard's rule, ``annotator_table``): taken, answered right, their share
            "gold": {
                "n": row["n_gold"],
                "right": round(row["gold_accuracy"] * row["n_gold"]) if row["n_gold"] else 0,
                "accuracy": row["gold_accuracy"],
            },
            "median_time_s": row["median_time_s"],
            "judges": [],
        }
        for judge in report.judges:
            table = report.annotator_judges[judge.run.run_id]
            known = name in table.index
            section["judges"].append(
                {
                    "run_id": judge.run.run_id,
                    "model": judge.run.model,
                    "n": table.at[name, "n_with_judge"] if known else 0,
                    "accuracy": table.at[name, "with_judge"] if known else None,
                    "cohen_kappa": table.at[name, "kappa_with_judge"] if known else None,
                }
            )
        sections.append(section)
    return sections


def _inter_annotator(report: Report) -> dict[str, Any]:
    """Pairwise Cohen's kappa (with the number of comparisons both people labelled), Fleiss, Krippendorff."""
    inter = report.inter_annotator
    matrix, shared = inter.pairwise_kappa, inter.shared
    names = [str(n) for n in matrix.index]
    pairs = [
        {"annotator_a": a, "annotator_b": b, "n": shared.loc[a, b], "cohen_kappa": matrix.loc[a, b]}
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    ]
    return {
        "comparisons_labelled_twice_or_more": inter.multi_labelled,
        "pairwise_cohen_kappa": pairs,
        "cohen_kappa_matrix": {a: {b: matrix.loc[a, b] for b in names} for a in names},
        "fleiss_kappa": inter.fleiss_kappa,
        # Fleiss' kappa needs equal label counts: it reads only the comparisons with the modal count
        "fleiss_comparisons": inter.fleiss_comparisons,
        "fleiss_labels_each": inter.fleiss_labels_each,
        "fleiss_basis": inter.fleiss_basis or None,
        # over every label with imported ones among them: "imported" / "sessions" when Fleiss read one kind only
        "fleiss_source": inter.fleiss_source,
        "krippendorff_alpha": inter.krippendorff_alpha,
    }


def agreement_dict(agreement: Agreement) -> dict[str, Any]:
    matrix = agreement.confusion.loc[LABELS, LABELS].to_numpy(dtype=np.int64)
    return {
        "n": agreement.n,
        "judge_unparsed": agreement.judge_unparsed,
        "judge_uncertain": agreement.judge_uncertain,
        "accuracy": agreement.accuracy,
        "cohen_kappa": agreement.cohen_kappa,
        "macro_precision": agreement.macro_precision,
        "macro_recall": agreement.macro_recall,
        "macro_f1": agreement.macro_f1,
        "confusion": {
            "rows": "human label",
            "columns": "judge verdict",
            "matrix": {h: dict(zip(LABELS, map(int, row), strict=True)) for h, row in zip(LABELS, matrix, strict=True)},
        },
    }


def _ranking(ranking: Ranking) -> dict[str, Any]:
    """Win/lose/tie per model pair, partial order, Bradley-Terry (and win rates against the baseline)."""
    ranked = ranking.not_ranked is None and ranking.outcomes > 0
    return {
        "ranking_note": ranking.not_ranked,
        "win_table": ranking.wins.to_dict("records") if ranked else [],
        "n_uncertain": ranking.uncertain,
        "partial_order": order_dict(ranking.order) if ranked else None,
        "bradley_terry": ranking.bradley_terry.to_dict("records") if ranked else [],
        "bradley_terry_note": ranking.bradley_terry_note if ranked else None,
        # models listed after the ranked ones (rows with ``ranked`` false): too few comparisons to rank
        "bradley_terry_too_few": too_few_to_rank(ranking.bradley_terry) if ranked else None,
        "win_rate": ranking.win_rate.to_dict("records") if ranked and ranking.win_rate is not None else None,
    }


def _judge(judge: JudgeSection, report: Report) -> dict[str, Any]:
    run, counted = judge.run, judge.counted
    parsed = counted[counted["status"] == "ok"]
    # ``test``: the test behind first_position_p_value in words (both orders: the sign test on the flipped pairs)
    position = {**dataclasses.asdict(judge.position), "test": judge.position.test}
    section: dict[str, Any] = {
        "run_id": run.run_id,
        "model": run.model,
        "profile": run.profile,
        "fingerprint_key": run.fingerprint_key,
        "fingerprint": dict(run.fingerprint),
        "verdicts": {
            "n": len(counted),
            "n_swapped_order": judge.n_swapped,
            "status": _counts(counted["status"]),
            "distribution": {label: int((parsed["verdict"] == label).sum()) for label in LABELS},
            **_uncertain(counted),
        },
        "against_majority": {
            **agreement_dict(judge.against_majority),
            "accuracy_ci95": judge.accuracy_ci,
            "classification_report": _table(judge.classification),
        },
        # the headline: a judged comparison without a decisive verdict counts as wrong (``ACCURACY_RULE``)
        "against_majority_unparsed_as_wrong": {
            **{
                key: getattr(judge.unparsed_as_wrong, key)
                for key in ("n", "accuracy", "macro_precision", "macro_recall", "macro_f1")
            },
            "accuracy_ci95": judge.strict_accuracy_ci,
            "no_verdict": max(judge.unparsed_as_wrong.n - judge.against_majority.n, 0),
        },
        "per_vote": {**agreement_dict(judge.per_vote), "mtbench_agreement": dataclasses.asdict(judge.mtbench)},
        "over_time": judge.over_time.to_dict("records"),
        "over_time_is_time_series": judge.over_time_is_time_series,
        # imported labels carry their import time: left out of over_time where session labels exist
        "over_time_left_out": judge.over_time_left_out,
        "over_time_note": import_time_note(judge.over_time_left_out) or None,
        "position_bias": position,
        # one-order position evidence: the judge's share of "1" beside people's on the same comparisons
        "response_1_share": {**dataclasses.asdict(judge.response_one), "reading": RESPONSE_ONE_READING},
        "both_orders": None,
        "length_bias": dataclasses.asdict(judge.length),
        # the judge's and people's longer-response shares on the same comparisons, exact McNemar (None: no people)
        "length_vs_people": dataclasses.asdict(judge.length_vs_people) if judge.length_vs_people else None,
        **_ranking(judge.ranking),
    }
    section.update(judge_vs_people_dict(report.judge_vs_people.get(run.run_id)))
    if section.get("corrected") is not None:  # the level of its intervals, printed beside them ("95% CI")
        section["corrected"] = {**section["corrected"], "confidence": 1 - report.options.alpha}
    both = judge.both_orders
    if both is not None:
        section["both_orders"] = {
            "swap_consistency": position,
            "swapped_order_against_majority": agreement_dict(both.swapped_against_majority),
            "mean_of_orders_accuracy": both.mean_of_orders_accuracy,
            "combined_against_majority": agreement_dict(both.combined_against_majority),
            "combined_per_vote": agreement_dict(both.combined_per_vote),
        }
    return section


def _uncertain(counted: pd.DataFrame) -> dict[str, Any]:
    """How many verdicts are uncertain, which way they lean, and the margins of the verdicts that carry
    probabilities (so a reader sees how close the calls were, not only how many)."""
    unsure = counted[counted["status"] == UNCERTAIN]
    leaning = unsure["leaning"] if "leaning" in unsure.columns else pd.Series(dtype=object)
    margins = counted["margin"].dropna() if "margin" in counted.columns else pd.Series(dtype=float)
    return {
        "n_uncertain": len(unsure),
        "uncertain_leaning": {label: int((leaning == label).sum()) for label in LABELS},
        "n_with_probabilities": len(margins),
        "median_margin": float(margins.median()) if len(margins) else None,
    }


def _group(group: Group) -> dict[str, Any]:
    section: dict[str, Any] = {
        **group.key,
        "comparisons": group.comparisons,
        "labelled_comparisons": group.labelled,
        "labels": group.labels,
        "krippendorff_alpha": group.krippendorff_alpha,
        "label_distribution": group.label_distribution,
        "judges": [
            {
                "run_id": run.run_id,
                "model": run.model,
                **run.against_majority,
                "per_vote": run.per_vote,
                **(run.wins or {}),
            }
            for run in group.judges
        ],
    }
    if group.people_wins is not None:
        section["people"] = group.people_wins
    return section


def _ratings(report: Report) -> dict[str, Any] | None:
    """People vs judge single-answer ratings, on one scale: ``scale`` is the people's ratings compared,
    ``judge_scale`` the judge run's; when they differ nothing is correlated and ``note`` says why (a 1-5
    judge is never rescaled to 1-10 people), as it counts the human ratings on another scale left out.
    ``graders``: one row per grader (``analysis.ratings.grader_table``), the grading sessions' gold checks."""
    ratings = report.ratings
    if ratings is None:
        return None
    return {
        "n_ratings": ratings.n_ratings,
        "n_responses": ratings.n_responses,
        "scale": ratings.scale,
        "judge_run": ratings.judge_run,
        "judge_scale": ratings.judge_scale,
        "judge_unparsed": ratings.judge_unparsed,
        "correlations": _table(ratings.correlations),
        "note": ratings.note,
        **corrected_ratings_json(ratings.corrected),
        # per grader (every scale): ratings, skips, and their gold checks (ratings of gold responses given
        # on the gold's scale; gold_accuracy: the share in the known range, None without a check)
        "graders": ratings.graders.to_dict("records"),
    }


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts().sort_index()
    return {str(k): int(n) for k, n in zip(counts.index, counts.to_numpy(), strict=True)}


def _table(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {str(index): {str(column): frame.at[index, column] for column in frame.columns} for index in frame.index}


def plain(value: Any) -> Any:
    """Only dicts, lists, str, int, float (finite), bool and None: ``json.dumps`` takes it as it is."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (datetime, date)):  # pandas' Timestamp included
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
