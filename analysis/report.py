"""The one report builder: every figure of one dataset, from plain rows.

``build_report`` is what the CLI's ``metrics --json`` and the REST ``/metrics`` (through
``report_dict``), the dashboard and the text summary (``format_report``) all read, so per-annotator
and per-category agreement, swap consistency, the partial order and the rest can never disagree
between them. Which verdict counts is ``analysis.verdicts``' rule; the defaults are
``analysis.defaults``'.

People's label per comparison: the majority of annotators (or ``ReportOptions.aggregation``'s label),
with a reviewer's adjudication in its place where there is one (``analysis.aggregation.settle``); every
people figure reads it, while inter-annotator agreement and the per-annotator table read the labels.

What is in it: label distribution (people's labels), inter-annotator agreement, the
per-annotator table, people's biases and rankings, and per judge run: agreement with the majority
label and per vote (accuracy with a bootstrap interval, Cohen's kappa, PandaLM's macro P/R/F1, the
confusion matrix and per-label report, MT-Bench agreement with and without ties), agreement over
time, position bias measured on the two orders' own verdicts, both-order figures, length bias and
rankings; breakdowns per category and per model pair; single-answer rating correlations.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pandas as pd

from analysis.aggregation import AggregationComparison, Settled, settle
from analysis.agreement import (
    AGREEMENT_BY_GROUP_COLUMNS,
    GROUP_COLUMNS,
    Agreement,
    MTBenchAgreement,
    accuracy_interval,
    agreement_by_group,
    agreement_over_time,
    classification_report,
    human_judge_agreement,
    mtbench_agreement,
    per_vote_by_group,
    spans_real_time,
    unparsed_as_wrong,
)
from analysis.bias import (
    Bias,
    LengthBias,
    PairedLength,
    ResponseOneShare,
    SwapConsistency,
    length_bias,
    paired_length_bias,
    people_bias,
    response_one_share,
    swap_consistency,
)
from analysis.borderline import Borderline, borderline
from analysis.checkup import CheckupInput, StoredCheckup, stored_checkup_figures
from analysis.defaults import (
    AGGREGATION,
    ALPHA,
    ALT_TEST_EPSILON,
    CALIBRATION_BINS,
    N_BOOTSTRAP,
    OVER_TIME_POINTS,
    SEED,
    UNCERTAIN_MARGIN,
)
from analysis.guideline_versions import GuidelineInputs, VersionAgreement, agreement_by_guideline_version
from analysis.inter_annotator import (
    InterAnnotator,
    annotator_agreement,
    annotator_table,
    inter_annotator,
    krippendorff_alpha,
)
from analysis.judge_vs_people import JudgeVsPeople, JudgeVsPeopleInputs, aggregations, judge_vs_people
from analysis.judges_compared import judges_compared
from analysis.label_scope import LabelScope, all_imported, timed_labels
from analysis.partial_order import PartialOrder, partial_order
from analysis.rankings import bradley_terry, bradley_terry_note, common_model, win_rate, win_table
from analysis.ratings import RatingSummary, rating_summary
from analysis.verdicts import (
    LABELS,
    UNCERTAIN,
    VOTED,
    combine_orders,
    majority_labels,
    no_verdict_as_wrong,
    verdict_that_counts,
)

T = TypeVar("T")
Memo = Callable[[tuple[Any, ...], Callable[[], Any]], Any]
JUDGE, PEOPLE = "judge", "people"
PAIR_SEPARATOR = "\x1f"  # joins a model pair into one group key (never in a model name read from a file)
POSITIONS_NOT_MODELS = (
    "not ranked: the two sides of each comparison are response positions, not models "
    "(e.g. LLMBar's output_1 / output_2), so a ranking of them would only measure position"
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class JudgeRun:
    """One judge run as the report needs it (the store's run view, without the store)."""

    run_id: int
    model: str
    profile: str = ""
    fingerprint_key: str = ""
    fingerprint: Mapping[str, Any] = field(default_factory=dict)

    @property
    def averaged_orders(self) -> bool:
        """Did the judge average its verdict probabilities over both orders (one verdict, no per-order ones)?"""
        return bool(self.fingerprint.get("both_orders"))


@dataclass(frozen=True)
class ReportInputs:
    """Plain rows of one dataset, as the store's read methods give them.

    comparisons: id, prompt, category, model1, model2, response1, response2; labels: comparison_id,
    annotator, verdict, updated_at; verdicts: run_id, comparison_id, swapped, verdict, status (write
    order) and, when the judge gave them, its probabilities p_1, p_2, p_tie; runs: the runs to report
    on (only their verdicts are read). Optional: details (``label_details``: skips, flags, time,
    presented order), gold (comparison_id, verdict), ratings and judge_ratings (single-answer grading).
    """

    dataset: str | None
    comparisons: pd.DataFrame
    labels: pd.DataFrame
    verdicts: pd.DataFrame
    runs: Sequence[JudgeRun]
    details: pd.DataFrame | None = None
    gold: pd.DataFrame | None = None
    ratings: pd.DataFrame | None = None
    judge_ratings: pd.DataFrame | None = None
    annotator_kinds: Mapping[str, str] | None = None  # annotator -> "crowd" / "expert" (the alt-test's groups)
    checkups: Sequence[CheckupInput] = ()  # stored judge checkups that describe these runs (analysis.checkup)
    guidelines: GuidelineInputs | None = None  # session guideline versions and labels per version
    # reviewers' final labels (comparison_id, verdict, reviewer, ...): the people's label where given
    adjudications: pd.DataFrame | None = None
    # response_id, draw_probability (store.rating_draw_probabilities): weights of the corrected mean ratings
    rating_draws: pd.DataFrame | None = None
    # gold responses of grading sessions (store.gold_ratings: response_id, scale, low, high, ...): the
    # graders' attention checks in the ratings section's per-grader table
    gold_ratings: pd.DataFrame | None = None
    # whose labels ``labels`` and ``details`` hold (all, one session's, the imported ones): named in the report
    label_scope: LabelScope | None = None


@dataclass(frozen=True)
class ReportOptions:
    # significance level of the partial orders' sign tests; the win-rate and accuracy intervals are at 1 - alpha
    # (the alternative-annotator test's FDR level is its own, ``ALT_TEST_FDR``)
    alpha: float = ALPHA
    n_bootstrap: int = N_BOOTSTRAP  # Bradley-Terry interval resamples
    baseline: str | None = None  # model for win rates; None: the model in every comparison, if any
    seed: int = SEED
    rank_models: bool = True  # False when the "models" are response positions (LLMBar)
    order_rule: str = "sign-test"  # partial order: "sign-test" or PandaLM's "more-wins"
    counted_order: str = "original"  # which verdict of a both-order run counts (analysis.verdicts)
    over_time_points: int = OVER_TIME_POINTS
    aggregation: str = AGGREGATION  # how people's labels become one per comparison: "majority", "dawid-skene"
    alt_test_epsilon: Mapping[str, float] = field(default_factory=lambda: dict(ALT_TEST_EPSILON))
    calibration_bins: int = CALIBRATION_BINS
    judge_vs_people: bool = True  # calibration, alt-test and corrected estimates per run (issue 12)
    # a verdict whose top two probabilities lie closer than this is uncertain (analysis.verdicts; 0: off)
    uncertain_margin: float = UNCERTAIN_MARGIN


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Ranking:
    """What one source says about the models: win table, Bradley-Terry strengths, partial order."""

    source: str
    outcomes: int  # comparisons with an outcome (majority label, or parsed verdict that counts)
    wins: pd.DataFrame  # analysis.win_table
    bradley_terry: pd.DataFrame  # model, strength, ci_low, ci_high
    order: PartialOrder
    win_rate: pd.DataFrame | None = None  # against the baseline, when there is one
    not_ranked: str | None = None  # why nothing was ranked, when nothing was
    uncertain: int = 0  # judge verdicts left out of every ranking figure as uncertain (the win table's column)
    bradley_terry_note: str | None = None  # why the strengths are not estimable (``rankings.bradley_terry_note``)
    # people's only: win rates whose interval leaves out 0.5 where the partial order's sign test orders nothing
    borderline: tuple[Borderline, ...] = ()


@dataclass(frozen=True)
class BothOrders:
    """A run with verdicts in both presentation orders: each order's accuracy and the combination."""

    swapped_against_majority: Agreement
    combined_against_majority: Agreement  # combine_orders: agree -> verdict, else tie
    combined_per_vote: Agreement
    mean_of_orders_accuracy: float | None  # (original + swapped accuracy) / 2, as LLMBar reports


@dataclass(frozen=True)
class JudgeSection:
    run: JudgeRun
    counted: pd.DataFrame  # the verdicts that count (one per comparison, status kept)
    n_swapped: int  # swapped-order verdicts that count
    against_majority: Agreement
    accuracy_ci: dict[str, Any] | None
    classification: pd.DataFrame
    unparsed_as_wrong: Agreement  # the headline: an output without a decisive verdict counts as wrong
    per_vote: Agreement
    mtbench: MTBenchAgreement
    over_time: pd.DataFrame
    over_time_is_time_series: bool
    position: SwapConsistency
    both_orders: BothOrders | None
    length: LengthBias
    ranking: Ranking
    # the original-order verdicts' share of "response 1" beside people's on the same comparisons: the
    # position evidence a one-order run can give (``analysis.bias.response_one_share``)
    response_one: ResponseOneShare
    # imported labels left out of ``over_time`` (they carry their import time: ``label_scope.timed_labels``)
    over_time_left_out: int = 0
    strict_accuracy_ci: dict[str, Any] | None = None  # the interval of ``unparsed_as_wrong``'s accuracy
    # the judge's and people's longer-response shares on the same comparisons, McNemar (``paired_length_bias``)
    length_vs_people: PairedLength | None = None

    @property
    def bias(self) -> Bias:
        swap = self.position
        return Bias(
            JUDGE,
            swap.n_decisive,
            swap.first_position_rate,
            swap.first_position_p_value,
            swap.n_pairs,
            swap.consistency,
            self.length,
            swap.not_measured,
            swap.n_uncertain,
            n_tested=swap.n_tested,
        )


@dataclass(frozen=True)
class GroupJudge:
    """One run's agreement on a group of comparisons (a category, a model pair)."""

    run_id: int
    model: str
    against_majority: dict[str, Any]  # n, judge_unparsed, accuracy, cohen_kappa, macro_f1
    # n, correct, accuracy, low, high (Wilson over the effective comparisons, not labels), comparisons, few_comparisons
    per_vote: dict[str, Any]
    wins: dict[str, int] | None = None  # model pairs: the run's wins / ties


@dataclass(frozen=True)
class Group:
    key: dict[str, str]  # {"category": ...} or {"model_a": ..., "model_b": ...}
    comparisons: int
    labelled: int  # comparisons with a label
    labels: int
    krippendorff_alpha: float | None
    label_distribution: dict[str, int]
    judges: list[GroupJudge]
    people_wins: dict[str, int] | None = None


@dataclass(frozen=True)
class Report:
    dataset: str | None
    options: ReportOptions
    baseline: str | None
    counts: dict[str, Any]
    models: list[str]
    label_distribution: dict[str, int]
    annotator_distribution: dict[str, dict[str, int]]  # annotator -> their labels per verdict
    annotators: pd.DataFrame  # analysis.annotator_table
    annotator_judges: dict[int, pd.DataFrame]  # run id -> annotator_agreement with that run
    inter_annotator: InterAnnotator
    people: Ranking
    people_bias: Bias
    judges: list[JudgeSection]
    categories: list[Group]
    model_pairs: list[Group]
    ratings: RatingSummary | None
    aggregation: AggregationComparison | None = None  # majority and Dawid-Skene side by side
    judge_vs_people: dict[int, JudgeVsPeople] = field(default_factory=dict)  # run id -> its section
    checkups: list[StoredCheckup] = field(default_factory=list)  # the judge checkup section (analysis.checkup)
    guideline_versions: list[VersionAgreement] = field(default_factory=list)  # agreement per guideline version
    settled: Settled = field(default_factory=Settled)  # comparisons whose people label is an adjudication
    label_scope: LabelScope | None = None  # whose labels the people figures read (None: all, not said)
    # two runs or more on the same labelled comparisons, paired (``analysis.judges_compared``); None otherwise
    judges_compared: dict[str, Any] | None = None

    def judge(self, run_id: int | None) -> JudgeSection | None:
        return next((j for j in self.judges if j.run.run_id == run_id), None)


def _memoised(memo: Memo | None, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    return compute() if memo is None else cast(T, memo(key, compute))


def digest(frame: pd.DataFrame) -> tuple[int, int]:
    """(rows, hash of the contents): equal for equal frames (same rows in the same order)."""
    return len(frame), int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


def distribution(verdicts: pd.Series) -> dict[str, int]:
    counts = verdicts.value_counts()
    return {label: int(counts.get(label, 0)) for label in LABELS}


def build_report(inputs: ReportInputs, options: ReportOptions | None = None, *, memo: Memo | None = None) -> Report:
    """Every figure of ``inputs``; see the module docstring.

    ``memo(key, compute)``, when given, may return a remembered result for ``key`` instead of calling
    ``compute()`` (the dashboard's cache): rankings are keyed on the outcomes they are computed from.
    """
    opts = options or ReportOptions()
    texts, labels = inputs.comparisons, inputs.labels
    majority, aggregated = _people_labels(labels, opts, memo)
    majority, settled = settle(majority, inputs.adjudications)  # a reviewer's verdict is the people's label
    lengths = pd.DataFrame(
        {
            "comparison_id": texts["id"],
            "len1": texts["response1"].str.len(),
            "len2": texts["response2"].str.len(),
            "model1": texts["model1"],
            "model2": texts["model2"],
        }
    )
    baseline = opts.baseline or (common_model(texts) if not texts.empty else None)
    timed, left_out = timed_labels(labels, inputs.label_scope)
    untimed = all_imported(labels, inputs.label_scope)
    context = _Context(labels, majority, lengths, opts, baseline, memo, (timed, left_out, untimed))
    judges = [_judge(run, inputs.verdicts[inputs.verdicts["run_id"] == run.run_id], context) for run in inputs.runs]
    details = inputs.details if inputs.details is not None else pd.DataFrame()
    people = _ranking(PEOPLE, majority, opts, baseline, memo)
    return Report(
        dataset=inputs.dataset,
        options=opts,
        baseline=baseline,
        counts={**_counts(inputs, majority, details), "adjudicated": settled.n},
        models=sorted(set(texts["model1"]) | set(texts["model2"])),
        label_distribution=distribution(majority["verdict"]) if not majority.empty else distribution(pd.Series()),
        annotator_distribution={
            str(name): distribution(rows["verdict"]) for name, rows in labels.groupby("annotator", sort=True)
        },
        annotators=annotator_table(labels, inputs.details, inputs.gold),
        annotator_judges={j.run.run_id: annotator_agreement(labels, j.counted).set_index("annotator") for j in judges},
        inter_annotator=inter_annotator(labels, _mixed_keys(inputs.label_scope)),
        people=people,
        people_bias=people_bias(PEOPLE, details, _length(majority, lengths.drop(columns=["model1", "model2"]))),
        judges=judges,
        categories=_categories(texts, labels, majority, judges),
        model_pairs=_model_pairs(texts, labels, majority, judges, people) if opts.rank_models else [],
        ratings=_ratings(inputs, opts),
        aggregation=aggregated,
        judge_vs_people=_judge_vs_people(inputs, majority, judges, opts, baseline, memo),
        checkups=_checkups(inputs, opts, memo),
        guideline_versions=_guideline_versions(inputs, judges),
        settled=settled,
        label_scope=inputs.label_scope,
        judges_compared=judges_compared(judges, majority, confidence=1 - opts.alpha, seed=opts.seed),
    )


def _people_labels(
    labels: pd.DataFrame, opts: ReportOptions, memo: Memo | None
) -> tuple[pd.DataFrame, AggregationComparison | None]:
    """People's one label per comparison, aggregated as ``opts.aggregation`` says (the "majority"
    frame every people figure reads), and majority vs Dawid-Skene side by side.

    With the default (majority) the frame is ``majority_labels``' exactly, so published figures are
    unchanged; another method replaces each comparison's verdict with that method's label."""
    majority = majority_labels(labels)
    if labels.empty or not (opts.judge_vs_people or opts.aggregation != "majority"):
        return majority, None
    rows = labels[["comparison_id", "annotator", "verdict"]]
    key = ("aggregations", opts.aggregation, digest(rows.astype(str)))
    compared = _memoised(memo, key, lambda: aggregations(rows, opts.aggregation))
    if opts.aggregation != "majority":
        chosen = compared.results[opts.aggregation].labels
        majority = majority.assign(verdict=majority["comparison_id"].map(chosen).astype(str))
    return majority, compared


VERDICT_COLUMNS = ("comparison_id", "verdict", "status", "leaning", "probabilities", "p_1", "p_2", "p_tie")


def _judge_vs_people(
    inputs: ReportInputs,
    people: pd.DataFrame,
    judges: list[JudgeSection],
    opts: ReportOptions,
    baseline: str | None,
    memo: Memo | None,
) -> dict[int, JudgeVsPeople]:
    """Per run: calibration, the alternative-annotator test and the corrected estimates, remembered on
    the rows they are computed from (the dashboard rebuilds the report while people label)."""
    if not opts.judge_vs_people:
        return {}
    texts, labels = inputs.comparisons, inputs.labels
    if inputs.annotator_kinds is not None and not labels.empty:
        labels = labels.assign(annotator_kind=labels["annotator"].astype(str).map(dict(inputs.annotator_kinds)))
    comparisons = texts.rename(columns={"id": "comparison_id"})
    kept = [c for c in ("comparison_id", "model1", "model2", "category", "draw_probability") if c in comparisons]
    label_columns = [c for c in ("comparison_id", "annotator", "verdict", "annotator_kind") if c in labels]
    context = JudgeVsPeopleInputs(
        comparisons=comparisons[kept].assign(category=comparisons["category"].fillna("").astype(str)),
        labels=labels[label_columns],
        people=people[["comparison_id", "verdict"]] if not people.empty else people,
        people_aggregation=opts.aggregation,
        baseline=baseline,
        rank_models=opts.rank_models,
        epsilons=dict(opts.alt_test_epsilon),
        alpha=opts.alpha,
        n_bins=opts.calibration_bins,
        uncertain_margin=opts.uncertain_margin,
    )
    margins = tuple(sorted(opts.alt_test_epsilon.items()))
    # the uncertain margin is named in the alt-test's reasons
    shared = (
        opts.aggregation,
        opts.rank_models,
        margins,
        opts.alpha,
        baseline,
        opts.calibration_bins,
        opts.uncertain_margin,
    )
    people_rows = digest(context.people.astype(str))  # adjudications change it, not the labels
    base = (*shared, digest(context.labels.astype(str)), digest(context.comparisons), people_rows)
    sections: dict[int, JudgeVsPeople] = {}
    for judge in judges:
        rows = judge.counted[[c for c in VERDICT_COLUMNS if c in judge.counted]]
        key = ("judge_vs_people", *base, digest(rows.astype(str)))
        sections[judge.run.run_id] = _memoised(
            memo, key, functools.partial(judge_vs_people, judge.run.run_id, rows, context)
        )
    return sections


def _checkups(inputs: ReportInputs, opts: ReportOptions, memo: Memo | None) -> list[StoredCheckup]:
    """The judge checkup section: each stored checkup's figures (per category and overall, both orders,
    beside always-first) at the report's uncertain margin, remembered on the rows they come from."""
    sections = []
    for given in inputs.checkups:
        who = (given.suite, given.run_id, given.model, given.profile, tuple(given.for_runs))
        key = ("checkup", *who, opts.uncertain_margin, digest(given.verdicts.astype(str)), digest(given.gold))
        compute = functools.partial(stored_checkup_figures, given, opts.uncertain_margin)
        sections.append(_memoised(memo, key, compute))
    return sections


def _guideline_versions(inputs: ReportInputs, judges: list[JudgeSection]) -> list[VersionAgreement]:
    """Agreement per session guideline version (``analysis.guideline_versions``), each run per vote."""
    if inputs.guidelines is None:
        return []
    runs = [(j.run.run_id, j.run.model, j.counted) for j in judges]
    return agreement_by_guideline_version(inputs.guidelines, runs)


def _ratings(inputs: ReportInputs, opts: ReportOptions) -> RatingSummary | None:
    """People vs judge ratings on one scale, with each model's mean rating three ways (corrected: PPI++,
    weighted by the grading sessions' draw probabilities where they explain the ratings), and each
    grader's ratings, skips and gold checks."""
    if inputs.ratings is None:
        return None
    judged = inputs.judge_ratings if inputs.judge_ratings is not None else pd.DataFrame()
    return rating_summary(inputs.ratings, judged, draws=inputs.rating_draws, alpha=opts.alpha, gold=inputs.gold_ratings)


def _counts(inputs: ReportInputs, majority: pd.DataFrame, details: pd.DataFrame) -> dict[str, Any]:
    texts, labels = inputs.comparisons, inputs.labels
    per_comparison = labels.groupby("comparison_id").size() if not labels.empty else pd.Series(dtype=int)
    return {
        "prompts": int(texts["prompt"].nunique()) if "prompt" in texts else 0,
        "comparisons": len(texts),
        "models": sorted(set(texts["model1"]) | set(texts["model2"])),
        "categories": int(texts["category"].nunique()) if "category" in texts else 0,
        "labels": len(labels),
        "labelled_comparisons": len(majority),
        "multi_labelled": int((per_comparison >= 2).sum()),
        "annotators": int(labels["annotator"].nunique()) if not labels.empty else 0,
        "skipped": int(details["skipped"].astype(bool).sum()) if not details.empty else 0,
        "gold": len(inputs.gold) if inputs.gold is not None else 0,
        "judge_runs": len(inputs.runs),
        "empty_responses": empty_responses(texts, inputs.verdicts),
    }


def empty_responses(texts: pd.DataFrame, verdicts: pd.DataFrame | None = None) -> dict[str, Any]:
    """Comparisons with an empty (or blank) response: the judge refuses them (status ``error``), so they are in
    no win rate, agreement figure or ranking and a model that answers nothing is never beaten there, unless the
    ``empty_response`` rule "loses" decided them (``analysis.empty_responses``).
    ``by_model``: how many empty responses each model gave (a comparison with two counts for both);
    ``by_rule``: per judge run (its id, as text), how many comparisons the rule decided (``verdicts``' ``by_rule``
    column; {} without it); ``left_out``: per judge run, how many comparisons with an empty response it actually
    left out (its latest verdict there is a refusal, status "error"), and ``n_left_out`` those comparisons counted
    once. An imported run whose judge did judge the empty responses left nothing out (s15 methodologist)."""
    if texts.empty or "response1" not in texts or "response2" not in texts:
        return {"n": 0, "by_model": {}, "by_rule": {}, "left_out": {}, "n_left_out": 0}
    blank = [texts[f"response{i}"].fillna("").astype(str).str.strip() == "" for i in (1, 2)]
    by_model: dict[str, int] = {}
    for i, empty in enumerate(blank, start=1):
        for model, n in texts.loc[empty, f"model{i}"].astype(str).value_counts().items():
            by_model[str(model)] = by_model.get(str(model), 0) + int(n)
    ids = texts.loc[blank[0] | blank[1], "id"] if "id" in texts else pd.Series(dtype=object)
    left_out, n_left_out = _left_out(set(ids), verdicts)
    return {
        "n": int((blank[0] | blank[1]).sum()),
        "by_model": dict(sorted(by_model.items(), key=lambda kv: -kv[1])),
        "by_rule": _decided_by_rule(verdicts),
        "left_out": left_out,
        "n_left_out": n_left_out,
    }


def _left_out(empty_ids: set[Any], verdicts: pd.DataFrame | None) -> tuple[dict[str, int], int]:
    """run id (text) -> comparisons with an empty response whose latest verdict in that run is a refusal
    ("error"), and how many such comparisons there are in all (each once)."""
    if not empty_ids or verdicts is None or verdicts.empty or "status" not in verdicts or "run_id" not in verdicts:
        return {}, 0
    rows = verdicts[verdicts["comparison_id"].isin(empty_ids)]
    latest = rows.drop_duplicates(["run_id", "comparison_id"], keep="last")
    refused = latest[latest["status"] == "error"]
    counts = refused.groupby("run_id")["comparison_id"].nunique().sort_index()
    per_run = {str(run): int(n) for run, n in zip(counts.index.astype(int), counts.to_numpy(), strict=True)}
    return per_run, int(refused["comparison_id"].nunique())


def _decided_by_rule(verdicts: pd.DataFrame | None) -> dict[str, int]:
    """run id (text) -> comparisons the empty-response rule decided in that run (its marked verdicts)."""
    if verdicts is None or verdicts.empty or "by_rule" not in verdicts:
        return {}
    marked = verdicts[verdicts["by_rule"].fillna(False).astype(bool)]
    counts = marked.groupby("run_id")["comparison_id"].nunique().sort_index()
    return {str(run): int(n) for run, n in zip(counts.index.astype(int), counts.to_numpy(), strict=True)}


def _length(outcomes: pd.DataFrame, lengths: pd.DataFrame) -> LengthBias:
    if outcomes.empty:
        return LengthBias(0, None, None)
    return length_bias(outcomes.merge(lengths, on="comparison_id"))


def _ranking(
    source: str, outcomes: pd.DataFrame, opts: ReportOptions, baseline: str | None, memo: Memo | None
) -> Ranking:
    """Win table, Bradley-Terry and partial order (and win rates against the baseline) of one source.

    Remembered on the outcomes themselves: the judge's ranking is then computed once per run and kept
    while people label, and the people's only when a majority label changes. Outcomes "uncertain" are
    counted (the win table's column, ``Ranking.uncertain``) and never ranked.
    """
    empty_order = partial_order(pd.DataFrame(columns=["model1", "model2", "verdict"]))
    if not opts.rank_models:
        return Ranking(
            source,
            len(outcomes),
            win_table(outcomes.iloc[0:0]),
            pd.DataFrame(),
            empty_order,
            None,
            POSITIONS_NOT_MODELS,
        )
    if outcomes.empty:
        wins = pd.DataFrame(columns=["model_a", "model_b", "wins_a", "wins_b", "ties"])
        bt = pd.DataFrame(columns=["model", "strength", "ci_low", "ci_high"])
        return Ranking(source, 0, wins, bt, empty_order, None)
    data = outcomes[["model1", "model2", "verdict"]].astype(str).reset_index(drop=True)
    decided = data[data["verdict"] != UNCERTAIN].reset_index(drop=True)
    key = ("ranking", source, opts.alpha, opts.order_rule, opts.n_bootstrap, opts.seed, baseline, digest(data))

    def rank() -> Ranking:
        order, wins = partial_order(decided, alpha=opts.alpha, rule=opts.order_rule), win_table(data)
        return Ranking(
            source,
            len(decided),
            wins,
            bradley_terry(decided, n_bootstrap=opts.n_bootstrap, seed=opts.seed),
            order,
            win_rate(decided, baseline) if baseline else None,
            uncertain=len(data) - len(decided),
            bradley_terry_note=bradley_terry_note(decided),
            borderline=borderline(wins, order, baseline, opts.alpha) if source == PEOPLE else (),
        )

    return _memoised(memo, key, rank)


@dataclass(frozen=True)
class _Context:
    """What every judge section is computed against."""

    labels: pd.DataFrame
    majority: pd.DataFrame
    lengths: pd.DataFrame  # comparison_id, len1, len2, model1, model2
    options: ReportOptions
    baseline: str | None
    memo: Memo | None
    # the labels over time reads (``label_scope.timed_labels``), how many imported ones it left out (recounted
    # per run: those it would have compared), and whether the labels' times are import times (every label
    # imported: never a time series)
    timed: tuple[pd.DataFrame, int, bool] | None = None


def _judge(run: JudgeRun, verdicts: pd.DataFrame, context: _Context) -> JudgeSection:
    """One run's section: its verdicts that count against people, per order, over time, ranked.

    Uncertain verdicts (``opts.uncertain_margin``) are counted apart everywhere: left out of agreement
    (``judge_uncertain``), of position and length bias (``n_uncertain``) and of every ranking figure
    (the win table's ``uncertain`` column)."""
    labels, majority, opts = context.labels, context.majority, context.options
    margin = opts.uncertain_margin
    models = context.lengths[["comparison_id", "model1", "model2"]]
    counted = verdict_that_counts(verdicts, order=opts.counted_order, margin=margin)
    counted = counted.drop(columns=["model1", "model2"], errors="ignore").merge(models, on="comparison_id", how="left")
    swapped = verdict_that_counts(verdicts, order="swapped", margin=margin)
    voted = counted[counted["status"].isin(VOTED)]
    voted = voted.assign(verdict=voted["verdict"].where(voted["status"] == "ok", UNCERTAIN))
    timed, left_out, untimed = context.timed if context.timed is not None else (labels, 0, False)
    over_time = agreement_over_time(timed, counted, points=opts.over_time_points)
    per_vote = human_judge_agreement(labels, counted)
    if left_out:  # the imported labels the figure would have compared: every compared label less the timed ones
        left_out = per_vote.n - (int(over_time["n"].iloc[-1]) if not over_time.empty else 0)
    # the empty_response rule's verdicts count in accuracy and rankings, but the judge never cast them: they stay
    # out of the position, length and response-1 bias figures (s15 reviewB, defect 3)
    judged, judged_voted = _not_by_rule(verdicts), _not_by_rule(voted)
    orders = judged[
        [c for c in ("comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie") if c in judged]
    ]
    key = ("position", run.averaged_orders, margin, digest(orders))
    position = _memoised(
        context.memo, key, lambda: swap_consistency(orders, averaged_orders=run.averaged_orders, margin=margin)
    )
    return JudgeSection(
        run=run,
        counted=counted,
        n_swapped=len(swapped),
        against_majority=human_judge_agreement(majority, counted),
        accuracy_ci=accuracy_interval(majority, counted, seed=opts.seed, confidence=1 - opts.alpha),
        classification=classification_report(majority, counted),
        unparsed_as_wrong=unparsed_as_wrong(majority, counted),
        strict_accuracy_ci=accuracy_interval(
            majority, no_verdict_as_wrong(counted), seed=opts.seed, confidence=1 - opts.alpha
        ),
        per_vote=per_vote,
        mtbench=mtbench_agreement(labels, counted),
        over_time=over_time,
        over_time_is_time_series=not untimed and not over_time.empty and spans_real_time(over_time["time"]),
        position=position,
        both_orders=_both_orders(verdicts, swapped, counted, context) if not swapped.empty else None,
        length=_length(judged_voted, context.lengths.drop(columns=["model1", "model2"])),
        ranking=_ranking(JUDGE, voted, opts, context.baseline, context.memo),
        response_one=_response_one(run, judged, majority, margin),
        over_time_left_out=left_out,
        length_vs_people=paired_length_bias(
            judged_voted, majority.reindex(columns=["comparison_id", "verdict"]), context.lengths
        ),
    )


def _not_by_rule(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` without the verdicts the ``empty_response`` rule "loses" decided (``by_rule``): the judge's own."""
    if "by_rule" not in rows.columns or rows.empty:
        return rows
    return rows[~rows["by_rule"].fillna(False).astype(bool)]


def _response_one(run: JudgeRun, verdicts: pd.DataFrame, majority: pd.DataFrame, margin: float) -> ResponseOneShare:
    """The judge's share of "response 1" in the order it was shown first (the original order, whatever
    order counts for agreement) beside the people's label on the same comparisons."""
    original = verdict_that_counts(verdicts, order="original", margin=margin)
    people = majority.reindex(columns=["comparison_id", "verdict"])  # no labels yet: an empty frame
    return response_one_share(original, people, averaged_orders=run.averaged_orders)


def _both_orders(verdicts: pd.DataFrame, swapped: pd.DataFrame, counted: pd.DataFrame, context: _Context) -> BothOrders:
    labels, majority = context.labels, context.majority
    combined = combine_orders(verdicts, margin=context.options.uncertain_margin)
    first, second = human_judge_agreement(majority, counted), human_judge_agreement(majority, swapped)
    mean = None
    if first.accuracy is not None and second.accuracy is not None:
        mean = (first.accuracy + second.accuracy) / 2
    return BothOrders(
        swapped_against_majority=second,
        combined_against_majority=human_judge_agreement(majority, combined),
        combined_per_vote=human_judge_agreement(labels, combined),
        mean_of_orders_accuracy=mean,
    )


def _breakdown(
    labels: pd.DataFrame, majority: pd.DataFrame, judges: list[JudgeSection], group: pd.Series
) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Per run, agreement with the majority label and per vote in every group at once (``group``: the
    group name of each comparison, indexed by comparison id)."""
    of_majority = group.reindex(majority["comparison_id"].to_numpy())
    return {
        j.run.run_id: (
            agreement_by_group(majority, j.counted, of_majority),
            per_vote_by_group(labels, j.counted, group),
        )
        for j in judges
    }


def _figures(table: pd.DataFrame, name: str, columns: Sequence[str]) -> dict[str, Any]:
    """One group's row of a breakdown table as a dict; 0 counts and None figures when it has no row."""
    if name in table.index:
        return {column: table.at[name, column] for column in columns}
    return {
        column: 0 if column in ("n", "correct", "judge_unparsed", "judge_uncertain", "comparisons") else None
        for column in columns
    }


def _group(
    key: dict[str, str],
    name: str,
    ids: set[Any],
    labels: pd.DataFrame,
    majority: pd.DataFrame,
    judges: list[JudgeSection],
    breakdown: dict[int, tuple[pd.DataFrame, pd.DataFrame]],
) -> Group:
    """The figures every breakdown has for its comparisons ``ids`` (``breakdown``: per run, tables
    indexed by group ``name``)."""
    mine = labels[labels["comparison_id"].isin(ids)]
    in_majority = majority[majority["comparison_id"].isin(ids)]
    runs = []
    for judge in judges:
        versus, vote = breakdown[judge.run.run_id]
        runs.append(
            GroupJudge(
                judge.run.run_id,
                judge.run.model,
                _figures(versus, name, AGREEMENT_BY_GROUP_COLUMNS),
                _figures(vote, name, GROUP_COLUMNS),
            )
        )
    return Group(
        key=key,
        comparisons=len(ids),
        labelled=len(in_majority),
        labels=len(mine),
        krippendorff_alpha=krippendorff_alpha(mine),
        label_distribution=distribution(in_majority["verdict"]) if not in_majority.empty else distribution(pd.Series()),
        judges=runs,
    )


def _categories(
    texts: pd.DataFrame, labels: pd.DataFrame, majority: pd.DataFrame, judges: list[JudgeSection]
) -> list[Group]:
    """Per category: size, labels, majority labels, inter-annotator alpha, and each run's agreement
    with the majority label and per vote (with its Wilson interval)."""
    if texts.empty:
        return []
    category = pd.Series(texts["category"].astype(str).to_numpy(), index=texts["id"].to_numpy(), name="category")
    breakdown = _breakdown(labels, majority, judges, category)
    return [
        _group({"category": str(name)}, str(name), set(items["id"]), labels, majority, judges, breakdown)
        for name, items in texts.groupby(texts["category"].astype(str), sort=True)
    ]


PEOPLE_WINS = ("wins_a", "wins_b", "ties")
JUDGE_WINS = (*PEOPLE_WINS, UNCERTAIN)  # a judge's uncertain verdicts, apart from its wins and ties


def _wins_by_pair(wins: pd.DataFrame, keys: Sequence[str] = PEOPLE_WINS) -> dict[tuple[str, str], dict[str, int]]:
    """A ``win_table`` as {(model_a, model_b): {key: count}} (``keys``: wins_a, wins_b, ties[, uncertain])."""
    return {
        (str(row["model_a"]), str(row["model_b"])): {k: int(row.get(k, 0)) for k in keys}
        for row in wins.to_dict("records")
    }


def _model_pairs(
    texts: pd.DataFrame, labels: pd.DataFrame, majority: pd.DataFrame, judges: list[JudgeSection], people: Ranking
) -> list[Group]:
    """Per unordered model pair (model_a < model_b by name, whichever was shown first): the figures of
    ``_group`` plus people's wins / ties (majority label) and each run's wins / ties / uncertain, read from the
    sources' win tables (which are keyed the same way)."""
    if texts.empty:
        return []
    first, second = texts["model1"].astype(str), texts["model2"].astype(str)
    pairs = texts.assign(model_a=first.where(first <= second, second), model_b=second.where(first <= second, first))
    pair = pd.Series((pairs["model_a"] + PAIR_SEPARATOR + pairs["model_b"]).to_numpy(), index=texts["id"].to_numpy())
    breakdown = _breakdown(labels, majority, judges, pair)
    none = dict.fromkeys(PEOPLE_WINS, 0)
    people_wins = _wins_by_pair(people.wins)
    judge_wins = [_wins_by_pair(j.ranking.wins, JUDGE_WINS) for j in judges]
    groups = []
    for (model_a, model_b), items in pairs.groupby(["model_a", "model_b"], sort=True):
        key = {"model_a": str(model_a), "model_b": str(model_b)}
        label = f"{model_a}{PAIR_SEPARATOR}{model_b}"
        group = _group(key, label, set(items["id"]), labels, majority, judges, breakdown)
        name = (str(model_a), str(model_b))
        runs = [
            dataclasses.replace(run, wins=wins.get(name, dict.fromkeys(JUDGE_WINS, 0)))
            for run, wins in zip(group.judges, judge_wins, strict=True)
        ]
        groups.append(dataclasses.replace(group, judges=runs, people_wins=people_wins.get(name, none)))
    return groups


def _mixed_keys(scope: LabelScope | None) -> frozenset[tuple[int, str]] | None:
    """The imported labels' keys when the report counts every label and some are imported (None otherwise)."""
    return scope.imported_keys if scope is not None and scope.mixed else None
