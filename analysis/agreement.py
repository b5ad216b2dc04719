"""Human labels against judge verdicts: accuracy, Cohen's kappa, confusion, PandaLM's macro
precision / recall / F1, MT-Bench's agreement with and without ties, agreement over time.

scikit-learn computes the figures (accuracy_score, cohen_kappa_score, confusion_matrix,
precision_recall_fscore_support), statsmodels the Wilson intervals, SciPy the bootstrap.

Speed: the label-level figures are computed from tallies rather than row by row. One million labels
collapse to at most 9 (human, judge) cells; the library functions are then called on those cells
with ``sample_weight``, which gives exactly the same figures as calling them on every row but costs
milliseconds. Which judge verdict a label is paired with is ``analysis.verdicts``' rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bootstrap import bootstrap_ci
from analysis.defaults import (
    CONFIDENCE,
    MIN_GROUP_COMPARISONS,
    MIN_TIME_SERIES_SPAN_S,
    N_BOOTSTRAP_ACCURACY,
    OVER_TIME_POINTS,
    SEED,
)
from analysis.verdicts import LABELS, UNCERTAIN, latest_per_comparison, no_verdict_as_wrong


@dataclass(frozen=True)
class Agreement:
    """Human labels vs judge verdicts over the (comparison, annotator) pairs where both exist.

    The macro figures are PandaLM's: precision / recall / F1 per label ("1", "2", "tie") with the
    human label as ground truth, averaged without weighting (scikit-learn, ``zero_division=0``).
    """

    n: int
    accuracy: float | None
    cohen_kappa: float | None
    confusion: pd.DataFrame  # rows: human label, columns: judge verdict
    judge_unparsed: int  # labelled comparisons whose judge output had no verdict (excluded above)
    macro_precision: float | None = None
    macro_recall: float | None = None
    macro_f1: float | None = None
    # labelled comparisons whose judge verdict was uncertain (top two probabilities closer than the
    # margin, ``analysis.verdicts``): excluded above like unparsed ones, but counted on their own
    judge_uncertain: int = 0


def _tally(keys: npt.NDArray[np.int64], size: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(distinct keys, counts) of non-negative integer keys below ``size``, skipping zero counts.

    ``np.bincount`` when the key space is small (the usual case), a sort otherwise, so that a key
    space blown up by many distinct values never allocates a huge array.
    """
    if size <= max(4 * len(keys), 1 << 20):
        counts = np.bincount(keys, minlength=size)
        present = np.flatnonzero(counts)
        return present.astype(np.int64), counts[present].astype(np.int64)
    distinct, counts = np.unique(keys, return_counts=True)
    return distinct.astype(np.int64), counts.astype(np.int64)


@dataclass(frozen=True)
class _Cells:
    """Distinct (human label, judge verdict) pairs with how often each occurs (the weights)."""

    human: npt.NDArray[Any]
    judge: npt.NDArray[Any]
    weight: npt.NDArray[np.int64]
    unparsed: int
    uncertain: int = 0

    @property
    def n(self) -> int:
        return int(self.weight.sum())


@dataclass(frozen=True)
class _Paired:
    """Each human label paired with the judge's latest parsed verdict on its comparison, per row.

    ``rows``: positions (into the labels frame, in its order) of the labels that have a parsed
    judge verdict; ``human`` / ``judge``: the two values of each such row as codes into
    ``human_values`` / ``judge_values`` (strings); ``unparsed``: labels whose comparison's latest
    verdict has no verdict (status neither "ok" nor "uncertain"); ``uncertain``: labels whose
    comparison's latest verdict is uncertain.
    """

    rows: npt.NDArray[np.int64]
    human: npt.NDArray[np.int64]
    judge: npt.NDArray[np.int64]
    human_values: npt.NDArray[Any]
    judge_values: npt.NDArray[Any]
    unparsed: int
    uncertain: int = 0

    def agree(self) -> npt.NDArray[np.bool_]:
        """Per paired row: are the human label and the judge verdict equal (compared as ``str``)?"""
        return np.asarray(self.human_values[self.human] == self.judge_values[self.judge], dtype=bool)


def _paired_labels(labels: pd.DataFrame, verdicts: pd.DataFrame) -> _Paired:
    """The one pairing of human labels to judge verdicts that every agreement figure uses.

    Same pairing as a merge on comparison_id (labels without a judge verdict drop out; labels whose
    latest verdict has status != "ok" are counted in ``unparsed``), but done with a hash lookup so
    that a million labels take milliseconds. Values are compared as ``str``.
    """
    latest = latest_per_comparison(verdicts)
    position = pd.Index(latest["comparison_id"]).get_indexer(labels["comparison_id"])
    rows = np.flatnonzero(position >= 0)
    position = position[rows]
    status = latest["status"].to_numpy(dtype=object)[position]
    ok = status == "ok"
    uncertain = int(np.count_nonzero(status == UNCERTAIN))
    human_codes, human_values = labels["verdict"].factorize(use_na_sentinel=False)
    judge_codes, judge_values = latest["verdict"].factorize(use_na_sentinel=False)
    return _Paired(
        rows=rows[ok].astype(np.int64),
        human=human_codes[rows[ok]].astype(np.int64),
        judge=judge_codes[position[ok]].astype(np.int64),
        human_values=np.asarray(human_values.astype(str), dtype=object),
        judge_values=np.asarray(judge_values.astype(str), dtype=object),
        unparsed=int(len(ok) - np.count_nonzero(ok)) - uncertain,
        uncertain=uncertain,
    )


def _judged_cells(labels: pd.DataFrame, verdicts: pd.DataFrame) -> _Cells:
    """Pair every human label with the judge's latest verdict on its comparison, as weighted cells.

    The pairing of ``_paired_labels``, tallied into distinct (human, judge) cells with a bincount.
    """
    paired = _paired_labels(labels, verdicts)
    n_judge = max(len(paired.judge_values), 1)
    cells, counts = _tally(paired.human * n_judge + paired.judge, max(len(paired.human_values), 1) * n_judge)
    return _Cells(
        human=paired.human_values[cells // n_judge],
        judge=paired.judge_values[cells % n_judge],
        weight=counts,
        unparsed=paired.unparsed,
        uncertain=paired.uncertain,
    )


def _present(human: Any, judge: Any) -> list[str]:
    """The labels that occur on either side: macro averages skip a class nobody used (e.g. "tie" in a
    tie-free dataset such as LLMBar), which would otherwise count as a zero and drag the mean down."""
    seen = set(map(str, human)) | set(map(str, judge))
    return [label for label in LABELS if label in seen]


def cohen_kappa(human: Any, judge: Any, weight: Any) -> float | None:
    """scikit-learn's Cohen's kappa over the weighted (human, judge) cells, or None where it is undefined:
    when the cells it counts (labels among LABELS, positive weight) hold one label only, on both sides,
    chance agreement is 1 and kappa is 0 / 0. Checked here rather than left to scikit-learn, which
    returns NaN and prints an UndefinedMetricWarning on the terminal of ``metrics`` and the server's log
    (a cell outside LABELS, e.g. an odd verdict, made the old check on every label miss the case)."""
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import cohen_kappa_score

    known = set(LABELS)
    counted = [(str(h), str(j)) for h, j, w in zip(human, judge, weight, strict=True) if w > 0]
    seen = {h for h, j in counted if h in known and j in known} | {j for h, j in counted if h in known and j in known}
    if len(seen) < 2:
        return None
    with warnings.catch_warnings():  # a NaN is read as None below, so scikit-learn's warning says nothing new
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        kappa = float(cohen_kappa_score(human, judge, labels=LABELS, sample_weight=weight))
    return None if np.isnan(kappa) else kappa


def human_judge_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame) -> Agreement:
    """Compare every human label with the judge's latest verdict on the same comparison.

    scikit-learn computes every figure (accuracy_score, cohen_kappa_score, confusion_matrix,
    precision_recall_fscore_support with average="macro", zero_division=0) on the distinct
    (human, judge) pairs weighted by their counts, which equals computing it on every label.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    empty = pd.DataFrame(0, index=LABELS, columns=LABELS)
    if labels.empty or verdicts.empty:
        return Agreement(0, None, None, empty, 0)
    cells = _judged_cells(labels, verdicts)
    if cells.n == 0:
        return Agreement(0, None, None, empty, cells.unparsed, judge_uncertain=cells.uncertain)
    human, judge, weight = cells.human, cells.judge, cells.weight
    kappa = cohen_kappa(human, judge, weight)
    matrix = pd.DataFrame(
        confusion_matrix(human, judge, labels=LABELS, sample_weight=weight), index=LABELS, columns=LABELS
    )
    precision, recall, f1, _ = precision_recall_fscore_support(
        human, judge, labels=_present(human, judge), average="macro", zero_division=0, sample_weight=weight
    )
    return Agreement(
        cells.n,
        float(accuracy_score(human, judge, sample_weight=weight)),
        kappa,
        matrix,
        cells.unparsed,
        macro_precision=float(precision),
        macro_recall=float(recall),
        macro_f1=float(f1),
        judge_uncertain=cells.uncertain,
    )


OVER_TIME_COLUMNS = ["time", "n", "accuracy", "low", "high", "comparisons"]


def kish_effective_n(labels: Any, squares: Any) -> npt.NDArray[np.float64]:
    """Kish's effective number of comparisons, (sum n_i)^2 / sum n_i^2, from ``labels`` = sum n_i and ``squares``
    = sum n_i^2 (n_i: the labels of comparison i; arrays or numbers). It equals the number of comparisons when
    each has the same number of labels, and is smaller when the counts vary."""
    labels, squares = np.asarray(labels, dtype=float), np.asarray(squares, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(squares > 0, labels**2 / np.where(squares > 0, squares, 1.0), 0.0)


def clustered_wilson(
    accuracy: Any, effective_n: Any, confidence: float = CONFIDENCE
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """The Wilson interval of a per-label accuracy whose labels cluster in comparisons (s15 methodologist
    finding 4), at n = ``effective_n``: Kish's effective number of comparisons (``kish_effective_n``).

    The accuracy is the share of labels that agree with the judge: the mean of each comparison's own share
    weighted by its labels n_i. The labels of one comparison share its one judge verdict and mostly agree with
    each other, so they are not independent draws. At the worst case (every label of a comparison agrees with
    the others, ICC = 1) the variance of that weighted mean is p(1 - p) * sum n_i^2 / (sum n_i)^2, which is
    the variance of a share over (sum n_i)^2 / sum n_i^2 independent draws; for any other pattern of agreement
    within comparisons it is at most that, so the interval never claims more than the data hold. Using the
    number of comparisons instead (s15) was right only when every comparison had the same number of labels:
    with 20 comparisons of 5 labels and 80 of 1 a nominal 95% interval covered the truth 87% of the time
    (review16; about 95% at Kish's n, tests/test_s16_statsfix.py). A comparison-level bootstrap was not used:
    the per-category figures often have fewer than 10 comparisons, where percentile intervals are too narrow,
    while Wilson's stays honest at any n. With one label per comparison it is the plain Wilson interval."""
    accuracy, effective_n = np.asarray(accuracy, dtype=float), np.asarray(effective_n, dtype=float)
    return wilson_interval(accuracy * effective_n, effective_n, confidence)


def agreement_over_time(
    labels: pd.DataFrame, verdicts: pd.DataFrame, *, points: int = OVER_TIME_POINTS, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Cumulative human-vs-judge accuracy as labels came in, with Wilson intervals over effective comparisons.

    ``labels``: comparison_id, annotator, verdict, updated_at (as ``Store.labels()`` gives them);
    ``verdicts``: comparison_id, verdict, status. Labels are paired with verdicts exactly as in
    ``human_judge_agreement`` (the judge's latest verdict per comparison; labels without one, or
    whose latest verdict is unparsed, are not compared), then ordered by ``updated_at`` (stable, so
    equal times keep the frame's order; missing times last). With N paired labels and
    k = min(points, N), point i (1..k) covers the first ceil(i * N / k) of them.

    One row per point: ``time`` (updated_at of the last label included), ``n`` (labels compared so
    far), ``accuracy`` (share of those where human and judge agree), ``low`` / ``high`` (Wilson
    score interval at ``confidence`` over the effective number of the ``comparisons`` those labels cover,
    not the labels: ``clustered_wilson`` at ``kish_effective_n``). An empty frame with these columns when
    nothing pairs.
    """
    if points < 1:
        raise ValueError(f"points must be at least 1, got {points}")
    if "updated_at" not in labels.columns:
        raise ValueError("agreement_over_time needs the labels' updated_at column (Store.labels() gives it).")
    if labels.empty or verdicts.empty:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    paired = _paired_labels(labels, verdicts)
    total = len(paired.rows)
    if total == 0:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    times = pd.to_datetime(labels["updated_at"]).iloc[paired.rows].reset_index(drop=True)
    order = times.sort_values(kind="stable", na_position="last").index.to_numpy()
    agree = np.cumsum(paired.agree()[order])
    ids = pd.Series(labels["comparison_id"].to_numpy()[paired.rows][order])
    seen = np.cumsum(~ids.duplicated().to_numpy())  # comparisons covered by the first i labels
    # sum n_i^2 over the first i labels: a comparison's k-th label adds k^2 - (k - 1)^2 = 2k - 1
    squares = np.cumsum(2 * ids.groupby(ids).cumcount().to_numpy() + 1)
    k = min(points, total)
    ends = (np.arange(1, k + 1) * total + k - 1) // k  # ceil(i * N / k): evenly spaced, the last is N
    correct = agree[ends - 1]
    covered = seen[ends - 1]
    low, high = clustered_wilson(correct / ends, kish_effective_n(ends, squares[ends - 1]), confidence)
    return pd.DataFrame(
        {
            "time": times.iloc[order[ends - 1]].reset_index(drop=True),
            "n": ends.astype(int),
            "accuracy": correct / ends,
            "low": np.asarray(low, dtype=float),
            "high": np.asarray(high, dtype=float),
            "comparisons": covered.astype(int),
        }
    )


def classification_report(labels: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Precision / recall / F1 / support per label plus their unweighted mean ("macro avg").

    The table PandaLM reports for a judge, with the human label as ground truth and the judge's
    latest parsed verdict as prediction. scikit-learn's precision_recall_fscore_support computes it
    (labels "1", "2", "tie"; zero_division=0, so a label never predicted scores 0, not NaN).
    Rows: "1", "2", "tie", "macro avg"; columns: precision, recall, f1, support.
    """
    from sklearn.metrics import precision_recall_fscore_support

    columns = ["precision", "recall", "f1", "support"]
    if labels.empty or verdicts.empty:
        return pd.DataFrame(columns=columns)
    cells = _judged_cells(labels, verdicts)
    if cells.n == 0:
        return pd.DataFrame(columns=columns)
    common = {"labels": LABELS, "zero_division": 0, "sample_weight": cells.weight}
    per_label = precision_recall_fscore_support(cells.human, cells.judge, average=None, **common)
    macro = precision_recall_fscore_support(
        cells.human, cells.judge, **{**common, "labels": _present(cells.human, cells.judge)}, average="macro"
    )
    table = pd.DataFrame(dict(zip(columns, per_label, strict=True)), index=LABELS)
    table.loc["macro avg"] = [*macro[:3], table["support"].sum()]
    return table.astype({"precision": float, "recall": float, "f1": float, "support": int})


@dataclass(frozen=True)
class MTBenchAgreement:
    """MT-Bench's per-vote agreement between the judge and human votes (Zheng et al., 2023)."""

    n_with_ties: int  # (human vote, judge vote) pairs
    with_ties: float | None  # share of those pairs that are equal
    n_without_ties: int  # pairs where neither vote is "tie"
    without_ties: float | None


def mtbench_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame) -> MTBenchAgreement:
    """Agreement with and without ties, as FastChat's ``llm_judge/compute_agreement.py`` computes it.

    Every human vote on a comparison is paired with the judge's vote on it (FastChat: one judge vote
    per comparison; here the latest parsed one, unparsed judge outputs are left out). "With ties"
    is the share of pairs that are equal; "without ties" drops every pair in which either vote is
    "tie" (FastChat's ``ban=["tie"]``). Shares computed by scikit-learn's accuracy_score.
    """
    from sklearn.metrics import accuracy_score

    if labels.empty or verdicts.empty:
        return MTBenchAgreement(0, None, 0, None)
    cells = _judged_cells(labels, verdicts)
    decisive = (cells.human != "tie") & (cells.judge != "tie")
    n_all, n_decisive = cells.n, int(cells.weight[decisive].sum())
    with_ties = float(accuracy_score(cells.human, cells.judge, sample_weight=cells.weight)) if n_all else None
    without_ties = (
        float(accuracy_score(cells.human[decisive], cells.judge[decisive], sample_weight=cells.weight[decisive]))
        if n_decisive
        else None
    )
    return MTBenchAgreement(n_all, with_ties, n_decisive, without_ties)


def wilson_interval(correct: Any, n: Any, confidence: float = CONFIDENCE) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Wilson score interval of ``correct / n`` (arrays or numbers; statsmodels' proportion_confint)."""
    # Imported here: statsmodels adds ~0.3 s to the app's start-up.
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(correct, n, alpha=1 - confidence, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


#: A percentile bootstrap of accuracy is used only when the paired labels hold at least this many
#: agreements and this many disagreements. With fewer of either, the resamples take only a handful of
#: values (with none, a single value: 2 agreements out of 2 resample to [1, 1]), so the percentile
#: interval is too narrow; the usual rule for a share's sampling distribution (n p >= 5 and
#: n (1 - p) >= 5) marks where it stops. Below it the Wilson interval, which stays honest at any n, is
#: given instead and named as such.
MIN_BOOTSTRAP_OUTCOMES = 5
WILSON_FALLBACK_NOTE = (
    f"Wilson interval: a bootstrap needs at least {MIN_BOOTSTRAP_OUTCOMES} agreements and "
    f"{MIN_BOOTSTRAP_OUTCOMES} disagreements"
)


def accuracy_interval(
    reference: pd.DataFrame,
    verdicts: pd.DataFrame,
    *,
    n: int = N_BOOTSTRAP_ACCURACY,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> dict[str, Any] | None:
    """The interval (at ``confidence``) of accuracy over the labels paired as in ``human_judge_agreement``:
    {"low", "high", "n", "method", "note", "level"}; None without a pair. ``level`` is the confidence, which every
    door prints beside the interval ("95% CI", ``interval_level``).

    One rule for every door (``metrics``, the report card, REST, the dashboard): a percentile
    bootstrap ("method": "bootstrap", "note": None) when there are at least ``MIN_BOOTSTRAP_OUTCOMES``
    agreements and disagreements, else the Wilson score interval ("method": "wilson", "note": the
    sentence each door shows after the interval, so a reader knows why it is not a bootstrap).
    """
    if reference.empty or verdicts.empty:
        return None
    agree = _paired_labels(reference, verdicts).agree()
    total, correct = len(agree), int(agree.sum())
    if total == 0:
        return None
    if min(correct, total - correct) >= MIN_BOOTSTRAP_OUTCOMES:
        interval = bootstrap_ci(agree.astype(float), np.mean, n=n, seed=seed, alpha=1 - confidence)
        if interval is not None:
            return {
                "low": interval.ci_low,
                "high": interval.ci_high,
                "n": total,
                "method": "bootstrap",
                "note": None,
                "level": confidence,
            }
    low, high = wilson_interval(correct, total, confidence)
    return {
        "low": float(low),
        "high": float(high),
        "n": total,
        "method": "wilson",
        "note": WILSON_FALLBACK_NOTE,
        "level": confidence,
    }


def interval_level(confidence: float | None) -> str:
    """ "95% CI": the level every door prints with an interval (s15 methodologist: none said its level, and
    ``--alpha`` changed some of them). "CI" alone where the level is not known (an older report)."""
    return "CI" if confidence is None else f"{100 * confidence:g}% CI"


def accuracy_interval_text(interval: Mapping[str, Any] | None) -> str:
    """How every text door shows an ``accuracy_interval``: " [low, high]", then the note of a Wilson
    fallback in brackets; "" for none. One wording, so ``metrics`` and the report card read alike."""
    if not interval:
        return ""
    text = f" [{interval['low']:.3f}, {interval['high']:.3f}] ({interval_level(interval.get('level', CONFIDENCE))}"
    return f"{text}; {interval['note']})" if interval.get("note") else f"{text})"


def unparsed_as_wrong(reference: pd.DataFrame, verdicts: pd.DataFrame) -> Agreement:
    """Agreement when an output without a decisive verdict counts as a wrong answer: the headline accuracy
    (kappa and the confusion matrix, restricted to the three labels, would silently drop those rows: read accuracy
    and F1 only).

    ``analysis.verdicts.no_verdict_as_wrong`` is the one rule (the alternative-annotator test's too): an uncertain,
    unparsed or truncated output gets a sentinel verdict that matches no human label, so scikit-learn scores it as a
    miss (an abstention scored as wrong); a comparison not judged (status "error") stays out.
    """
    return human_judge_agreement(reference, no_verdict_as_wrong(verdicts))


def spans_real_time(times: pd.Series, minimum_s: float = MIN_TIME_SERIES_SPAN_S) -> bool:
    """Do these label times describe labelling over time? Not when they all fall within ``minimum_s``
    seconds: labels imported from a file (or written by a script) arrive at once, and plotting them
    against time would show a fraction of a second of import, not how agreement developed."""
    stamps = pd.to_datetime(times).dropna()
    if len(stamps) < 2:
        return False
    return bool((stamps.max() - stamps.min()).total_seconds() >= minimum_s)


GROUP_COLUMNS = ["n", "correct", "accuracy", "low", "high", "comparisons", "few_comparisons"]


def per_vote_by_group(
    labels: pd.DataFrame, verdicts: pd.DataFrame, groups: pd.Series, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Per-vote agreement in each group of comparisons, with the pairing of ``human_judge_agreement``.

    ``groups``: the group of each comparison (index comparison_id, e.g. its category). Returns one row
    per group that has paired labels, indexed by group: n (labels paired), correct, accuracy, a Wilson
    interval at ``confidence`` over the effective number of the group's comparisons, not its labels (low, high:
    ``clustered_wilson`` at ``kish_effective_n``), comparisons, and few_comparisons (fewer than
    ``MIN_GROUP_COMPARISONS``: shown, marked "few comparisons").
    """
    if labels.empty or verdicts.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    paired = _paired_labels(labels, verdicts)
    if len(paired.rows) == 0:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    group = groups.reindex(labels["comparison_id"].to_numpy()[paired.rows]).to_numpy()
    ids = labels["comparison_id"].to_numpy()[paired.rows]
    frame = pd.DataFrame({"group": group, "agree": paired.agree(), "comparison": ids})
    table = frame.groupby("group").agg(
        n=("agree", "size"), correct=("agree", "sum"), comparisons=("comparison", "nunique")
    )
    table.index.name = groups.name
    table["accuracy"] = table["correct"] / table["n"]
    per_comparison = frame.groupby(["group", "comparison"]).size()
    squares = (per_comparison**2).groupby(level="group").sum().reindex(table.index)
    effective = kish_effective_n(table["n"].to_numpy(), squares.to_numpy())
    low, high = clustered_wilson(table["accuracy"].to_numpy(), effective, confidence)
    table["low"], table["high"] = low, high
    table["few_comparisons"] = table["comparisons"] < MIN_GROUP_COMPARISONS
    return table.astype({"n": int, "correct": int, "comparisons": int})[GROUP_COLUMNS]


def grouped_agreement(
    first: npt.ArrayLike, second: npt.ArrayLike, group: npt.ArrayLike, n_groups: int
) -> dict[str, npt.NDArray[np.float64]]:
    """Accuracy, Cohen's kappa and macro precision / recall / F1 of two label sequences, per group.

    ``first`` / ``second``: codes into LABELS (0, 1, 2; -1 for anything else, which is left out) of
    the reference (e.g. the human label) and the compared value (the judge's verdict); ``group``: the
    group code (0 .. n_groups - 1) of each pair. The formulas are scikit-learn's (cohen_kappa_score
    over the three labels; precision_recall_fscore_support with average="macro" over the labels that
    occur on either side and zero_division=0), applied to one 3x3 confusion matrix per group built in
    one pass, so a breakdown by many groups costs one numpy call instead of one scikit-learn call
    (~20 ms) per group. Returns arrays per group: n, accuracy, cohen_kappa, macro_precision,
    macro_recall, macro_f1 (NaN where undefined: no pairs, or kappa with one label in use).
    """
    a, b, g = (np.asarray(x, dtype=np.int64) for x in (first, second, group))
    keep = (a >= 0) & (b >= 0) & (g >= 0)
    k = len(LABELS)
    confusion = np.bincount((g[keep] * k + a[keep]) * k + b[keep], minlength=n_groups * k * k)
    confusion = confusion.reshape(n_groups, k, k).astype(float)
    n = confusion.sum(axis=(1, 2))
    truth, predicted = confusion.sum(axis=2), confusion.sum(axis=1)  # row (reference) and column totals
    hits = np.einsum("gii->gi", confusion)
    present = (truth + predicted) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = hits.sum(axis=1) / n
        expected = np.einsum("gi,gj->gij", predicted, truth) / n[:, None, None]
        off = 1.0 - np.eye(k)
        kappa = 1.0 - (confusion * off).sum(axis=(1, 2)) / (expected * off).sum(axis=(1, 2))
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(truth > 0, hits / truth, 0.0)
        f1 = np.where(present, 2 * hits / (truth + predicted), 0.0)
        used = present.sum(axis=1)
        macro = {
            name: np.where(present, values, 0.0).sum(axis=1) / used
            for name, values in (("macro_precision", precision), ("macro_recall", recall), ("macro_f1", f1))
        }
    kappa = np.where(used > 1, kappa, np.nan)
    return {"n": n, "accuracy": accuracy, "cohen_kappa": kappa, **macro}


def label_codes(values: pd.Series | npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Codes into LABELS ("1" -> 0, "2" -> 1, "tie" -> 2), -1 for anything else (a missing value included)."""
    codes = pd.Categorical(pd.Series(values, dtype=object).to_numpy(), categories=LABELS).codes
    return np.asarray(codes, dtype=np.int64)


AGREEMENT_BY_GROUP_COLUMNS = ["n", "judge_unparsed", "judge_uncertain", "accuracy", "cohen_kappa", "macro_f1"]


def agreement_by_group(reference: pd.DataFrame, verdicts: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """``human_judge_agreement`` on each group of the reference rows at once (``group``: one value per
    row of ``reference``, e.g. its annotator or its comparison's category), with the same pairing (the
    judge's latest verdict per comparison; non-"ok" ones left out and counted in judge_uncertain when
    uncertain, else in judge_unparsed).

    One row per group value (sorted): AGREEMENT_BY_GROUP_COLUMNS; NaN where undefined.
    """
    codes, names = pd.factorize(pd.Series(np.asarray(group, dtype=object)), sort=True)
    columns = {c: np.full(len(names), np.nan) for c in AGREEMENT_BY_GROUP_COLUMNS}
    if reference.empty or verdicts.empty or not len(names):
        frame = pd.DataFrame(columns, index=pd.Index(names, name="group"))
        return frame.assign(n=0, judge_unparsed=0, judge_uncertain=0)
    latest = latest_per_comparison(verdicts)
    position = pd.Index(latest["comparison_id"]).get_indexer(reference["comparison_id"])
    found = position >= 0
    status = np.full(len(reference), None, dtype=object)
    status[found] = latest["status"].to_numpy(dtype=object)[position[found]]
    ok, unsure = status == "ok", status == UNCERTAIN
    judge = np.full(len(reference), -1, dtype=np.int64)
    judge[ok] = label_codes(latest["verdict"].to_numpy(dtype=object)[position[ok]])
    human = np.where(ok, label_codes(reference["verdict"]), -1)
    figures = grouped_agreement(human, judge, codes, len(names))
    unparsed = np.bincount(codes[found & ~ok & ~unsure & (codes >= 0)], minlength=len(names))
    uncertain = np.bincount(codes[unsure & (codes >= 0)], minlength=len(names))
    frame = pd.DataFrame(
        {
            "n": figures["n"].astype(int),
            "judge_unparsed": unparsed.astype(int),
            "judge_uncertain": uncertain.astype(int),
        }
        | {c: figures[c] for c in ("accuracy", "cohen_kappa", "macro_f1")},
        index=pd.Index(names, name="group"),
    )
    frame.loc[frame["n"] == 0, ["accuracy", "cohen_kappa", "macro_f1"]] = np.nan
    return frame[AGREEMENT_BY_GROUP_COLUMNS]
