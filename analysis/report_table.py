"""The report's headline figures as one flat table, one row per judge run: ``judge-studio metrics --format csv``
and REST ``GET /api/v1/metrics?format=csv`` (s18 notebook finding 10: comparing judges in pandas meant digging
through the nested JSON).

Why it reads the report dict rather than the data: every cell is a value ``report_dict`` already holds (the one
report, ``analysis.report_json``), copied, never recomputed, so the table and ``metrics --json`` cannot disagree.
The columns are fixed (``JUDGE_COLUMNS``), whatever the dataset: a figure the report has not measured (position
bias of a run judged in one order, calibration without probabilities, the comparison with the best run for the
best run itself) is an empty cell. Figures per model (win rates, Bradley-Terry, corrected estimates), per
annotator, per category and the alternative-annotator test stay in the JSON: they are not one value per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Report = Mapping[str, Any]
Judge = Mapping[str, Any]


def _at(section: Any, *keys: str) -> Any:
    """``section[k1][k2]...``, None where a level is missing or None (a figure not measured)."""
    for key in keys:
        if not isinstance(section, Mapping):
            return None
        section = section.get(key)
    return section


def _judge(*keys: str) -> Callable[[Report, Judge], Any]:
    return lambda _report, judge: _at(judge, *keys)


def _report(*keys: str) -> Callable[[Report, Judge], Any]:
    return lambda report, _judge: _at(report, *keys)


def _labels_from(report: Report, _judge: Judge) -> str | None:
    """The scope as ``--labels-from`` / ``labels_from=`` takes it back: all, imported or session:NAME."""
    scope = _at(report, "labels_from", "scope")
    session = _at(report, "labels_from", "session")
    return f"session:{session}" if scope == "session" and session is not None else scope


def _against_best(key: str) -> Callable[[Report, Judge], Any]:
    """A figure of the run's pair in ``judges_compared`` (this run against the best by headline accuracy);
    None for the best run itself and under two runs."""

    def read(report: Report, judge: Judge) -> Any:
        for pair in _at(report, "judges_compared", "pairs") or []:
            if _at(pair, "other", "run_id") == judge.get("run_id"):
                return _at(pair, "reference", "run_id") if key == "best_run_id" else pair.get(key)
        return None

    return read


@dataclass(frozen=True)
class Column:
    """One column: its name, its dtype as ``pandas.read_csv`` reads it (int64: a whole number on every row;
    float64: a number, empty where not measured; str: text, read as object), where it comes from in
    ``metrics --json``, what it means, and how it is read from the report."""

    name: str
    dtype: str
    source: str
    meaning: str
    read: Callable[[Report, Judge], Any]


HEADLINE = "judges[].against_majority_unparsed_as_wrong"
DECISIVE = "judges[].against_majority"

#: Every column, in order (the README's table is written from these).
JUDGE_COLUMNS: tuple[Column, ...] = (
    Column("dataset", "str", "dataset", "the dataset's name (the same on every row)", _report("dataset")),
    Column("run_id", "int64", "judges[].run_id", "the judge run's id", _judge("run_id")),
    Column("model", "str", "judges[].model", "the judge (model) of the run", _judge("model")),
    Column("profile", "str", "judges[].profile", "the judge profile (prompt and parser)", _judge("profile")),
    Column(
        "labels_from",
        "str",
        "labels_from.scope, labels_from.session",
        "whose labels the figures read: all, imported or session:NAME (--labels-from)",
        _labels_from,
    ),
    Column(
        "uncertain_margin",
        "float64",
        "settings.uncertain_margin",
        "the margin in force: verdicts whose top two probabilities lie closer are uncertain",
        _report("settings", "uncertain_margin"),
    ),
    Column("n_verdicts", "int64", "judges[].verdicts.n", "comparisons the run judged", _judge("verdicts", "n")),
    Column(
        "n_swapped_order",
        "int64",
        "judges[].verdicts.n_swapped_order",
        "of them, judged in the swapped order too",
        _judge("verdicts", "n_swapped_order"),
    ),
    Column(
        "n_uncertain",
        "int64",
        "judges[].verdicts.n_uncertain",
        "uncertain verdicts (under the margin): neither a win nor a tie",
        _judge("verdicts", "n_uncertain"),
    ),
    Column(
        "n_compared",
        "int64",
        f"{HEADLINE}.n",
        "judged comparisons with a people's label: the n of the headline accuracy",
        _judge("against_majority_unparsed_as_wrong", "n"),
    ),
    Column(
        "n_no_verdict",
        "int64",
        f"{HEADLINE}.no_verdict",
        "of them, judged without a decisive verdict (uncertain, unparsed, truncated): counted as wrong",
        _judge("against_majority_unparsed_as_wrong", "no_verdict"),
    ),
    Column(
        "accuracy",
        "float64",
        f"{HEADLINE}.accuracy",
        "headline accuracy against the people's label (no decisive verdict counts as wrong)",
        _judge("against_majority_unparsed_as_wrong", "accuracy"),
    ),
    Column(
        "accuracy_ci_low",
        "float64",
        f"{HEADLINE}.accuracy_ci95.low",
        "its interval's lower end (level: accuracy_ci_level)",
        _judge("against_majority_unparsed_as_wrong", "accuracy_ci95", "low"),
    ),
    Column(
        "accuracy_ci_high",
        "float64",
        f"{HEADLINE}.accuracy_ci95.high",
        "its interval's upper end",
        _judge("against_majority_unparsed_as_wrong", "accuracy_ci95", "high"),
    ),
    Column(
        "accuracy_ci_level",
        "float64",
        f"{HEADLINE}.accuracy_ci95.level",
        "the level of both accuracy intervals (1 - alpha; 0.95 by default)",
        _judge("against_majority_unparsed_as_wrong", "accuracy_ci95", "level"),
    ),
    Column(
        "accuracy_ci_method",
        "str",
        f"{HEADLINE}.accuracy_ci95.method",
        "how the interval was computed (e.g. bootstrap, wilson)",
        _judge("against_majority_unparsed_as_wrong", "accuracy_ci95", "method"),
    ),
    Column(
        "macro_f1",
        "float64",
        f"{HEADLINE}.macro_f1",
        "macro F1 over 1 / 2 / tie, no decisive verdict counted as wrong",
        _judge("against_majority_unparsed_as_wrong", "macro_f1"),
    ),
    Column(
        "n_decisive",
        "int64",
        f"{DECISIVE}.n",
        "compared comparisons with a decisive verdict",
        _judge("against_majority", "n"),
    ),
    Column(
        "decisive_accuracy",
        "float64",
        f"{DECISIVE}.accuracy",
        "accuracy over the decisive verdicts only",
        _judge("against_majority", "accuracy"),
    ),
    Column(
        "decisive_accuracy_ci_low",
        "float64",
        f"{DECISIVE}.accuracy_ci95.low",
        "its interval's lower end",
        _judge("against_majority", "accuracy_ci95", "low"),
    ),
    Column(
        "decisive_accuracy_ci_high",
        "float64",
        f"{DECISIVE}.accuracy_ci95.high",
        "its interval's upper end",
        _judge("against_majority", "accuracy_ci95", "high"),
    ),
    Column(
        "cohen_kappa",
        "float64",
        f"{DECISIVE}.cohen_kappa",
        "Cohen's kappa between the run and the people's label (decisive verdicts)",
        _judge("against_majority", "cohen_kappa"),
    ),
    Column(
        "decisive_macro_f1",
        "float64",
        f"{DECISIVE}.macro_f1",
        "macro F1 over the decisive verdicts",
        _judge("against_majority", "macro_f1"),
    ),
    Column(
        "per_label_n", "int64", "judges[].per_vote.n", "people's labels compared one by one", _judge("per_vote", "n")
    ),
    Column(
        "per_label_accuracy",
        "float64",
        "judges[].per_vote.accuracy",
        "agreement with each label (not the majority)",
        _judge("per_vote", "accuracy"),
    ),
    Column(
        "mtbench_agreement_without_ties",
        "float64",
        "judges[].per_vote.mtbench_agreement.without_ties",
        "MT-Bench's agreement, ties left out",
        _judge("per_vote", "mtbench_agreement", "without_ties"),
    ),
    Column(
        "swap_pairs",
        "int64",
        "judges[].position_bias.n_pairs",
        "comparisons judged in both orders (0: position bias not measured)",
        _judge("position_bias", "n_pairs"),
    ),
    Column(
        "swap_consistency",
        "float64",
        "judges[].position_bias.consistency",
        "share of them with the same verdict after the swap",
        _judge("position_bias", "consistency"),
    ),
    Column(
        "first_position_rate",
        "float64",
        "judges[].position_bias.first_position_rate",
        "share of decisive verdicts for the response shown first (0.5: no position bias)",
        _judge("position_bias", "first_position_rate"),
    ),
    Column(
        "first_position_p_value",
        "float64",
        "judges[].position_bias.first_position_p_value",
        "its test's p-value (judges[].position_bias.test says which)",
        _judge("position_bias", "first_position_p_value"),
    ),
    Column(
        "response_1_n",
        "int64",
        "judges[].response_1_share.n",
        "original-order comparisons where the judge and people both chose a side",
        _judge("response_1_share", "n"),
    ),
    Column(
        "response_1_judge_rate",
        "float64",
        "judges[].response_1_share.judge_rate",
        "the judge's share of response 1 on them (one-order evidence, not a swap test)",
        _judge("response_1_share", "judge_rate"),
    ),
    Column(
        "response_1_people_rate",
        "float64",
        "judges[].response_1_share.people_rate",
        "people's share of response 1 on the same comparisons",
        _judge("response_1_share", "people_rate"),
    ),
    Column(
        "response_1_p_value",
        "float64",
        "judges[].response_1_share.p_value",
        "exact McNemar p-value of the two shares",
        _judge("response_1_share", "p_value"),
    ),
    Column(
        "longer_n",
        "int64",
        "judges[].length_bias.n",
        "decisive verdicts between responses of different length",
        _judge("length_bias", "n"),
    ),
    Column(
        "longer_rate",
        "float64",
        "judges[].length_bias.longer_rate",
        "share of them for the longer response (characters)",
        _judge("length_bias", "longer_rate"),
    ),
    Column(
        "longer_p_value",
        "float64",
        "judges[].length_bias.p_value",
        "its sign test's p-value",
        _judge("length_bias", "p_value"),
    ),
    Column(
        "longer_people_rate",
        "float64",
        "judges[].length_vs_people.people_rate",
        "people's share for the longer response where both chose a side (empty: no people)",
        _judge("length_vs_people", "people_rate"),
    ),
    Column(
        "longer_vs_people_p_value",
        "float64",
        "judges[].length_vs_people.p_value",
        "exact McNemar p-value of the judge's and people's longer-response shares",
        _judge("length_vs_people", "p_value"),
    ),
    Column(
        "calibration_ece",
        "float64",
        "judges[].calibration.ece",
        "expected calibration error (empty: no verdict probabilities)",
        _judge("calibration", "ece"),
    ),
    Column(
        "calibration_brier",
        "float64",
        "judges[].calibration.brier",
        "Brier score (empty: no verdict probabilities)",
        _judge("calibration", "brier"),
    ),
    Column(
        "best_run_id",
        "float64",
        "judges_compared.pairs[].reference.run_id",
        "the run with the best headline accuracy this run is compared with (empty: this is it, or one run)",
        _against_best("best_run_id"),
    ),
    Column(
        "best_minus_this_accuracy",
        "float64",
        "judges_compared.pairs[].accuracy_difference",
        "the best run's accuracy minus this run's, on the comparisons both judged",
        _against_best("accuracy_difference"),
    ),
    Column(
        "best_vs_this_p_holm",
        "float64",
        "judges_compared.pairs[].p_holm",
        "exact McNemar p-value of that difference, Holm-adjusted over the pairs",
        _against_best("p_holm"),
    ),
    Column(
        "n_labels",
        "int64",
        "counts.labels",
        "people's labels the figures read (the same on every row)",
        _report("counts", "labels"),
    ),
    Column(
        "people_krippendorff_alpha",
        "float64",
        "inter_annotator.krippendorff_alpha",
        "Krippendorff's alpha among people, not the judge (the same on every row)",
        _report("inter_annotator", "krippendorff_alpha"),
    ),
)
COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in JUDGE_COLUMNS)


def judge_rows(report: Report) -> list[dict[str, Any]]:
    """One dict per judge run of ``report`` (``report_dict``'s output, in its ``judges`` order), keyed by
    ``COLUMN_NAMES``: None where the report has no figure."""
    return [
        {column.name: column.read(report, judge) for column in JUDGE_COLUMNS} for judge in report.get("judges") or []
    ]
