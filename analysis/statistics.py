"""Agreement and ranking analysis: pure functions over plain DataFrames (no database, no torch).

Statistics come from well-kept libraries rather than hand-written formulas:

* scikit-learn: accuracy, Cohen's kappa, confusion matrix, macro precision / recall / F1, and the
  logistic-regression fit behind Bradley-Terry strengths;
* statsmodels: Fleiss' kappa; the ``krippendorff`` package: Krippendorff's alpha;
* SciPy: exact binomial tests, Pearson / Spearman / Kendall correlations, percentile bootstrap;
* networkx: graph, transitive reduction, cycles.

Speed: the label-level figures are computed from tallies rather than row by row. One million labels
collapse to at most 9 (human, judge) cells or a (comparisons x labels) count table; the library
functions are then called on those tallies (with ``sample_weight`` for scikit-learn), which gives
exactly the same figures as calling them on every row but costs milliseconds.

Verdict labels are the strings "1" (response 1 better), "2" (response 2 better) and "tie".
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import krippendorff
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from scipy.stats import binomtest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

LABELS = ["1", "2", "tie"]
DECISIVE = ["1", "2"]


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


def majority_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """One label per comparison: the most frequent; a tie between the top counts gives "tie".

    Input columns: comparison_id, verdict (+ any comparison columns, kept from the first row).
    """
    if labels.empty:
        return labels.iloc[0:0]
    counts = labels.groupby(["comparison_id", "verdict"]).size().unstack(fill_value=0)
    table = counts.to_numpy()
    top = table == table.max(axis=1, keepdims=True)
    names = np.array([str(c) for c in counts.columns], dtype=object)
    chosen = np.where(top.sum(axis=1) == 1, names[top.argmax(axis=1)], "tie")
    majority = pd.Series(chosen, index=counts.index, name="verdict").astype(str)
    extra = labels.drop(columns=["verdict", "annotator", "updated_at"], errors="ignore")
    extra = extra.drop_duplicates("comparison_id").set_index("comparison_id")
    return extra.join(majority).reset_index()


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

    @property
    def n(self) -> int:
        return int(self.weight.sum())


@dataclass(frozen=True)
class _Paired:
    """Each human label paired with the judge's latest parsed verdict on its comparison, per row.

    ``rows``: positions (into the labels frame, in its order) of the labels that have a parsed
    judge verdict; ``human`` / ``judge``: the two values of each such row as codes into
    ``human_values`` / ``judge_values`` (strings); ``unparsed``: labels whose comparison's latest
    verdict has status != "ok".
    """

    rows: npt.NDArray[np.int64]
    human: npt.NDArray[np.int64]
    judge: npt.NDArray[np.int64]
    human_values: npt.NDArray[Any]
    judge_values: npt.NDArray[Any]
    unparsed: int

    def agree(self) -> npt.NDArray[np.bool_]:
        """Per paired row: are the human label and the judge verdict equal (compared as ``str``)?"""
        return np.asarray(self.human_values[self.human] == self.judge_values[self.judge], dtype=bool)


def _paired_labels(labels: pd.DataFrame, verdicts: pd.DataFrame) -> _Paired:
    """The one pairing of human labels to judge verdicts that every agreement figure uses.

    Same pairing as a merge on comparison_id (labels without a judge verdict drop out; labels whose
    latest verdict has status != "ok" are counted in ``unparsed``), but done with a hash lookup so
    that a million labels take milliseconds. Values are compared as ``str``.
    """
    latest = verdicts.drop_duplicates("comparison_id", keep="last")
    position = pd.Index(latest["comparison_id"]).get_indexer(labels["comparison_id"])
    rows = np.flatnonzero(position >= 0)
    position = position[rows]
    ok = latest["status"].to_numpy(dtype=object)[position] == "ok"
    human_codes, human_values = labels["verdict"].factorize(use_na_sentinel=False)
    judge_codes, judge_values = latest["verdict"].factorize(use_na_sentinel=False)
    return _Paired(
        rows=rows[ok].astype(np.int64),
        human=human_codes[rows[ok]].astype(np.int64),
        judge=judge_codes[position[ok]].astype(np.int64),
        human_values=np.asarray(human_values.astype(str), dtype=object),
        judge_values=np.asarray(judge_values.astype(str), dtype=object),
        unparsed=int(len(ok) - np.count_nonzero(ok)),
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
    )


def _present(human: Any, judge: Any) -> list[str]:
    """The labels that occur on either side: macro averages skip a class nobody used (e.g. "tie" in a
    tie-free dataset such as LLMBar), which would otherwise count as a zero and drag the mean down."""
    seen = set(map(str, human)) | set(map(str, judge))
    return [label for label in LABELS if label in seen]


def human_judge_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame) -> Agreement:
    """Compare every human label with the judge's latest verdict on the same comparison.

    scikit-learn computes every figure (accuracy_score, cohen_kappa_score, confusion_matrix,
    precision_recall_fscore_support with average="macro", zero_division=0) on the distinct
    (human, judge) pairs weighted by their counts, which equals computing it on every label.
    """
    empty = pd.DataFrame(0, index=LABELS, columns=LABELS)
    if labels.empty or verdicts.empty:
        return Agreement(0, None, None, empty, 0)
    cells = _judged_cells(labels, verdicts)
    if cells.n == 0:
        return Agreement(0, None, None, empty, cells.unparsed)
    human, judge, weight = cells.human, cells.judge, cells.weight
    kappa = (
        float(cohen_kappa_score(human, judge, labels=LABELS, sample_weight=weight))
        if len(set(human) | set(judge)) > 1
        else None
    )
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
    )


OVER_TIME_COLUMNS = ["time", "n", "accuracy", "low", "high"]


def agreement_over_time(
    labels: pd.DataFrame, verdicts: pd.DataFrame, *, points: int = 20, confidence: float = 0.95
) -> pd.DataFrame:
    """Cumulative human-vs-judge accuracy as labels came in, with Wilson intervals.

    ``labels``: comparison_id, annotator, verdict, updated_at (as ``Store.labels()`` gives them);
    ``verdicts``: comparison_id, verdict, status. Labels are paired with verdicts exactly as in
    ``human_judge_agreement`` (the judge's latest verdict per comparison; labels without one, or
    whose latest verdict is unparsed, are not compared), then ordered by ``updated_at`` (stable, so
    equal times keep the frame's order; missing times last). With N paired labels and
    k = min(points, N), point i (1..k) covers the first ceil(i * N / k) of them.

    One row per point: ``time`` (updated_at of the last label included), ``n`` (labels compared so
    far), ``accuracy`` (share of those where human and judge agree), ``low`` / ``high`` (Wilson
    score interval at ``confidence``, statsmodels' proportion_confint(method="wilson")). An empty
    frame with these columns when nothing pairs.
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
    k = min(points, total)
    ends = (np.arange(1, k + 1) * total + k - 1) // k  # ceil(i * N / k): evenly spaced, the last is N
    correct = agree[ends - 1]
    # Imported here: statsmodels adds ~0.3 s to the app's start-up and only this function needs it.
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(correct, ends, alpha=1 - confidence, method="wilson")
    return pd.DataFrame(
        {
            "time": times.iloc[order[ends - 1]].reset_index(drop=True),
            "n": ends.astype(int),
            "accuracy": correct / ends,
            "low": np.asarray(low, dtype=float),
            "high": np.asarray(high, dtype=float),
        }
    )


def win_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Win/lose/tie counts per unordered model pair from rows (model1, model2, verdict).

    Output columns: model_a, model_b (sorted by name), wins_a, wins_b, ties.
    """
    columns = ["model_a", "model_b", "wins_a", "wins_b", "ties"]
    rows = outcomes[outcomes["verdict"].isin(LABELS)]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    swap = rows["model1"] > rows["model2"]
    frame = pd.DataFrame(
        {
            "model_a": rows["model1"].where(~swap, rows["model2"]),
            "model_b": rows["model2"].where(~swap, rows["model1"]),
            "a_won": ((rows["verdict"] == "1") & ~swap) | ((rows["verdict"] == "2") & swap),
            "b_won": ((rows["verdict"] == "2") & ~swap) | ((rows["verdict"] == "1") & swap),
            "tie": rows["verdict"] == "tie",
        }
    )
    table = frame.groupby(["model_a", "model_b"], as_index=False).agg(
        wins_a=("a_won", "sum"), wins_b=("b_won", "sum"), ties=("tie", "sum")
    )
    return table[columns].astype({"wins_a": int, "wins_b": int, "ties": int})


@dataclass(frozen=True)
class Edge:
    winner: str
    loser: str
    wins: int
    losses: int
    ties: int
    p_value: float


@dataclass(frozen=True)
class PartialOrder:
    """Models and "significantly better than" edges; ``hasse`` is the transitive reduction."""

    models: list[str]
    edges: list[Edge]
    hasse: list[tuple[str, str]]
    cycles: list[list[str]] = field(default_factory=list)


def partial_order(outcomes: pd.DataFrame, *, alpha: float = 0.05, rule: str = "sign-test") -> PartialOrder:
    """A beats B when A won significantly more decisive comparisons against B.

    ``rule="sign-test"``: two-sided exact binomial test on wins vs losses (ties dropped), p < alpha.
    ``rule="more-wins"``: PandaLM's rule, A beats B whenever it has more wins (no significance).
    """
    if rule not in {"sign-test", "more-wins"}:
        raise ValueError(f"Unknown partial-order rule {rule!r}; use 'sign-test' or 'more-wins'.")
    table = win_table(outcomes)
    models = sorted(
        set(outcomes.get("model1", pd.Series(dtype=str))) | set(outcomes.get("model2", pd.Series(dtype=str)))
    )
    edges: list[Edge] = []
    for row in table.to_dict("records"):
        wins_a, wins_b, ties = int(row["wins_a"]), int(row["wins_b"]), int(row["ties"])
        decisive = wins_a + wins_b
        if decisive == 0 or wins_a == wins_b:
            continue
        p_value = float(binomtest(max(wins_a, wins_b), decisive, 0.5).pvalue)
        if rule == "sign-test" and p_value >= alpha:
            continue
        if wins_a > wins_b:
            edges.append(Edge(str(row["model_a"]), str(row["model_b"]), wins_a, wins_b, ties, p_value))
        else:
            edges.append(Edge(str(row["model_b"]), str(row["model_a"]), wins_b, wins_a, ties, p_value))
    graph = nx.DiGraph()
    graph.add_nodes_from(models)
    graph.add_edges_from((e.winner, e.loser) for e in edges)
    cycles = [list(c) for c in nx.simple_cycles(graph)]
    hasse = sorted(nx.transitive_reduction(graph).edges()) if not cycles else sorted(graph.edges())
    return PartialOrder(models, edges, hasse, cycles)


def model_levels(order: PartialOrder) -> dict[str, int]:
    """Layer of each model for drawing: 0 for models nobody beats, then longest path from the top."""
    graph = nx.DiGraph()
    graph.add_nodes_from(order.models)
    graph.add_edges_from(order.hasse)
    if order.cycles:
        return dict.fromkeys(order.models, 0)
    levels: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        parents = list(graph.predecessors(node))
        levels[node] = 1 + max(levels[p] for p in parents) if parents else 0
    return levels


# --- Judge vs humans: further figures -------------------------------------------------------------


def classification_report(labels: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Precision / recall / F1 / support per label plus their unweighted mean ("macro avg").

    The table PandaLM reports for a judge, with the human label as ground truth and the judge's
    latest parsed verdict as prediction. scikit-learn's precision_recall_fscore_support computes it
    (labels "1", "2", "tie"; zero_division=0, so a label never predicted scores 0, not NaN).
    Rows: "1", "2", "tie", "macro avg"; columns: precision, recall, f1, support.
    """
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


# --- Agreement between annotators -----------------------------------------------------------------


@dataclass(frozen=True)
class _CodedLabels:
    """Labels as integer codes: one row per (comparison, annotator), missing verdicts dropped."""

    comparison: npt.NDArray[np.int64]
    annotator: npt.NDArray[np.int64]
    value: npt.NDArray[np.int64]
    n_comparisons: int
    annotators: pd.Index
    values: pd.Index
    comparisons: pd.Index  # comparison ids by code

    def value_counts(self) -> npt.NDArray[np.int64]:
        """(comparisons x values) table: how many annotators gave each value to each comparison."""
        n_values = len(self.values)
        table = np.bincount(self.comparison * n_values + self.value, minlength=self.n_comparisons * n_values)
        return table.reshape(self.n_comparisons, n_values)


def _coded_labels(labels: pd.DataFrame) -> _CodedLabels | None:
    """Factorise comparison ids, annotators and verdicts (hash tables, no per-row Python).

    Rows with a missing comparison id, annotator or verdict are dropped (a missing label is simply
    absent). When an annotator labelled a comparison twice, the last row counts, as in the store.
    """
    if labels.empty:
        return None
    comparison, comparisons = labels["comparison_id"].factorize()
    annotator, annotators = labels["annotator"].factorize()
    value, values = labels["verdict"].factorize()
    keep = (comparison >= 0) & (annotator >= 0) & (value >= 0)
    if not keep.all():
        comparison, annotator, value = comparison[keep], annotator[keep], value[keep]
    if len(value) == 0:
        return None
    comparison, annotator, value = comparison.astype(np.int64), annotator.astype(np.int64), value.astype(np.int64)
    duplicate = pd.Series(comparison * len(annotators) + annotator).duplicated(keep="last").to_numpy()
    if duplicate.any():
        comparison, annotator, value = comparison[~duplicate], annotator[~duplicate], value[~duplicate]
    return _CodedLabels(
        comparison,
        annotator,
        value,
        int(comparison.max()) + 1,
        pd.Index(annotators),
        pd.Index(values),
        pd.Index(comparisons),
    )


def others_majority(labels: pd.DataFrame) -> pd.DataFrame:
    """Each label next to the majority label of the OTHER annotators of its comparison.

    The majority rule is ``majority_labels``' (most frequent; equal top counts give "tie"), applied
    to the comparison's labels minus this annotator's. Labels on comparisons nobody else labelled
    are left out. Input columns: comparison_id, annotator, verdict (the last row counts when an
    annotator labelled a comparison twice). Output columns: comparison_id, annotator, verdict,
    others (that majority), n_others (how many other labels it is taken from).
    """
    columns = ["comparison_id", "annotator", "verdict", "others", "n_others"]
    coded = _coded_labels(labels)
    if coded is None:
        return pd.DataFrame(columns=columns)
    rows = np.arange(len(coded.value))
    others = coded.value_counts()[coded.comparison]  # (labels x values): every label of the comparison ...
    others[rows, coded.value] -= 1  # ... minus this one
    n_others = others.sum(axis=1)
    top = others == others.max(axis=1, keepdims=True)
    names = np.array([str(v) for v in coded.values], dtype=object)
    majority = np.where(top.sum(axis=1) == 1, names[top.argmax(axis=1)], "tie")
    keep = n_others > 0
    return pd.DataFrame(
        {
            "comparison_id": coded.comparisons.to_numpy()[coded.comparison[keep]],
            "annotator": coded.annotators.to_numpy()[coded.annotator[keep]],
            "verdict": names[coded.value[keep]],
            "others": majority[keep],
            "n_others": n_others[keep].astype(int),
        }
    )


def _agreement_of(first: pd.Series, second: pd.Series) -> tuple[float | None, float | None]:
    """(accuracy, Cohen's kappa) of two label sequences; kappa None with one label in use.

    scikit-learn's accuracy_score and cohen_kappa_score on the distinct (first, second) pairs
    weighted by their counts (as in human_judge_agreement), which equals calling them on every row.
    """
    if len(first) == 0:
        return None, None
    cells = pd.DataFrame({"a": first.astype(str).to_numpy(), "b": second.astype(str).to_numpy()}).value_counts()
    a = cells.index.get_level_values("a").to_numpy(dtype=object)
    b = cells.index.get_level_values("b").to_numpy(dtype=object)
    weight = cells.to_numpy()
    used = _present(a, b)
    kappa = float(cohen_kappa_score(a, b, labels=used, sample_weight=weight)) if len(used) > 1 else None
    return float(accuracy_score(a, b, sample_weight=weight)), kappa


def annotator_agreement(labels: pd.DataFrame, verdicts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per annotator: label count, agreement with the others' majority and (optionally) with a judge.

    * with the others (``others_majority``): over the annotator's labels on comparisons someone else
      labelled too, the share equal to the other annotators' majority label (``with_others``) and
      Cohen's kappa between the two (scikit-learn);
    * with the judge (when ``verdicts`` is given): ``human_judge_agreement`` on the annotator's
      labels alone (same pairing: the judge's latest parsed verdict per comparison).

    Output columns, one row per annotator sorted by name: annotator, labels, n_with_others,
    with_others, kappa_with_others, and with verdicts also n_with_judge, with_judge,
    kappa_with_judge. None where undefined.
    """
    columns = ["annotator", "labels", "n_with_others", "with_others", "kappa_with_others"]
    if verdicts is not None:
        columns += ["n_with_judge", "with_judge", "kappa_with_judge"]
    if labels.empty:
        return pd.DataFrame(columns=columns)
    compared = others_majority(labels)
    by_annotator = dict(tuple(compared.groupby("annotator", sort=False)))
    rows = []
    for name, own in labels.groupby("annotator", sort=True):
        mine = by_annotator.get(name, compared.iloc[0:0])
        with_others, kappa_with_others = _agreement_of(mine["verdict"], mine["others"])
        row: dict[str, Any] = {
            "annotator": str(name),
            "labels": int(own["verdict"].notna().sum()),
            "n_with_others": len(mine),
            "with_others": with_others,
            "kappa_with_others": kappa_with_others,
        }
        if verdicts is not None:
            judged = human_judge_agreement(own, verdicts)
            row.update(n_with_judge=judged.n, with_judge=judged.accuracy, kappa_with_judge=judged.cohen_kappa)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def krippendorff_alpha(labels: pd.DataFrame) -> float | None:
    """Krippendorff's alpha (nominal) over all annotators; comparisons may miss any number of labels.

    Computed by the ``krippendorff`` package from the (comparisons x labels) count table, which is
    its ``value_counts`` input and avoids building an annotators x comparisons matrix. Comparisons
    with fewer than two labels carry no pairable values and are left out (they would add nothing).
    None when alpha is undefined (no comparison labelled twice, or a single label value in use).
    """
    coded = _coded_labels(labels)
    if coded is None or len(coded.values) < 2:
        return None
    counts = coded.value_counts()
    counts = counts[counts.sum(axis=1) >= 2]
    if len(counts) == 0:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
    return alpha if np.isfinite(alpha) else None


def fleiss_kappa(labels: pd.DataFrame) -> float | None:
    """Fleiss' kappa (statsmodels.stats.inter_rater.fleiss_kappa, method="fleiss").

    Fleiss' kappa needs the same number of ratings for every subject, so it uses ONLY the
    comparisons labelled by the modal number of annotators (the most common count among
    comparisons with at least two labels; a tie between counts goes to the larger count). Which
    annotators gave the labels does not matter. Use krippendorff_alpha for all comparisons.
    None when undefined (no comparison labelled twice, or every label the same value).
    """
    coded = _coded_labels(labels)
    if coded is None:
        return None
    counts = coded.value_counts()
    raters = counts.sum(axis=1)
    comparisons_per_count = np.bincount(raters)
    comparisons_per_count[:2] = 0
    if not comparisons_per_count.any():
        return None
    modal = len(comparisons_per_count) - 1 - int(np.argmax(comparisons_per_count[::-1]))
    # Imported here: statsmodels adds ~0.3 s to the app's start-up and only this function needs it.
    from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = float(statsmodels_fleiss_kappa(counts[raters == modal], method="fleiss"))
    return kappa if np.isfinite(kappa) else None


def _label_pairs(coded: _CodedLabels) -> tuple[npt.NDArray[np.int64], ...]:
    """Every pair of labels two different annotators gave to the same comparison.

    Returns (annotator a, annotator b, value of a, value of b) with a < b. Vectorised: rows are
    sorted by comparison and row i is paired with row i + d for d = 1, 2, ... while both lie in the
    same comparison, so the work is proportional to the number of pairs.
    """
    order = np.argsort(coded.comparison, kind="stable")
    annotator, value = coded.annotator[order], coded.value[order]
    sizes = np.bincount(coded.comparison, minlength=coded.n_comparisons)
    sizes = sizes[sizes > 0]
    starts = np.cumsum(sizes) - sizes
    later = np.repeat(starts + sizes, sizes) - np.arange(len(order)) - 1  # rows after this one, same comparison
    firsts, seconds, first_values, second_values = [], [], [], []
    rows, step = np.flatnonzero(later >= 1), 1
    while rows.size:
        a, b = annotator[rows], annotator[rows + step]
        va, vb = value[rows], value[rows + step]
        swap = a > b
        firsts.append(np.where(swap, b, a))
        seconds.append(np.where(swap, a, b))
        first_values.append(np.where(swap, vb, va))
        second_values.append(np.where(swap, va, vb))
        step += 1
        rows = rows[later[rows] >= step]
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    return tuple(np.concatenate(part) for part in (firsts, seconds, first_values, second_values))


def pairwise_cohen_kappa(labels: pd.DataFrame) -> pd.DataFrame:
    """Cohen's kappa between every two annotators, over the comparisons both of them labelled.

    A symmetric annotator x annotator DataFrame (sorted names; 1.0 on the diagonal; NaN where two
    annotators share no comparison or kappa is undefined because both used one and the same label).
    scikit-learn's cohen_kappa_score computes each entry from that pair's label cross-tabulation
    (weighted cells), so the cost is one vectorised pass over label pairs plus one call per pair.
    """
    coded = _coded_labels(labels)
    if coded is None:
        return pd.DataFrame()
    names = [str(name) for name in coded.annotators]
    n_annotators, n_values = len(names), len(coded.values)
    matrix = np.full((n_annotators, n_annotators), np.nan)
    np.fill_diagonal(matrix, 1.0)
    first, second, first_value, second_value = _label_pairs(coded)
    size = n_annotators * n_annotators * n_values * n_values
    keys, counts = _tally(((first * n_annotators + second) * n_values + first_value) * n_values + second_value, size)
    pair, cell = keys // (n_values * n_values), keys % (n_values * n_values)
    bounds = np.flatnonzero(np.diff(pair)) + 1
    if len(keys):
        starts = np.concatenate(([0], bounds))
        value_labels = list(range(n_values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined kappa (one shared label) -> NaN, as documented
            for start, pair_cells, pair_counts in zip(
                starts, np.split(cell, bounds), np.split(counts, bounds), strict=True
            ):
                a, b = divmod(int(pair[start]), n_annotators)
                kappa = cohen_kappa_score(
                    pair_cells // n_values, pair_cells % n_values, labels=value_labels, sample_weight=pair_counts
                )
                matrix[a, b] = matrix[b, a] = float(kappa)
    order = np.argsort(names, kind="stable")
    frame = pd.DataFrame(matrix, index=names, columns=names)
    return frame.iloc[order, order]


# --- Judge biases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwapConsistency:
    """How far a judge's verdicts survive swapping the two responses."""

    n_pairs: int  # comparisons with a parsed verdict in both presentation orders
    consistency: float | None  # share of those with the same canonical verdict in both orders
    n_decisive: int  # parsed "1"/"2" verdicts (either order, all comparisons)
    first_position_rate: float | None  # share of those favouring the response shown first (0.5 = no bias)
    first_position_p_value: float | None  # exact two-sided binomial test of that share against 0.5


def _parsed_orders(verdicts_both_orders: pd.DataFrame) -> pd.DataFrame:
    """Rows with a verdict in LABELS (and status "ok" when a status column exists), latest per order."""
    frame = verdicts_both_orders
    parsed = frame["verdict"].isin(LABELS)
    if "status" in frame.columns:
        parsed &= frame["status"] == "ok"
    rows = frame.loc[parsed, ["comparison_id", "swapped", "verdict"]]
    rows = rows.assign(swapped=rows["swapped"].astype(bool))
    return rows.drop_duplicates(["comparison_id", "swapped"], keep="last")


def _both_orders(parsed: pd.DataFrame) -> pd.DataFrame:
    """One row per comparison judged in both orders: columns original, swapped (canonical verdicts)."""
    original = parsed.loc[~parsed["swapped"], ["comparison_id", "verdict"]]
    swapped = parsed.loc[parsed["swapped"], ["comparison_id", "verdict"]]
    return original.merge(swapped, on="comparison_id", suffixes=("_original", "_swapped"))


def swap_consistency(verdicts_both_orders: pd.DataFrame) -> SwapConsistency:
    """Position consistency and first-position preference from verdicts in both presentation orders.

    Input columns: comparison_id, swapped (bool: response 2 was shown first), verdict, already mapped
    back to the canonical order (so "1" always means the canonical response 1), optional status.
    Unparsed verdicts are ignored; the latest verdict per (comparison, order) counts.

    * consistency (as in MT-Bench / PandaLM): over comparisons with a parsed verdict in both orders,
      the share whose canonical verdicts are equal (tie/tie counts as consistent).
    * first-position rate: over every parsed decisive verdict, the share that favours whichever
      response was shown first ("1" when not swapped, "2" when swapped); SciPy's binomtest gives the
      p-value against 0.5.
    """
    parsed = _parsed_orders(verdicts_both_orders)
    pairs = _both_orders(parsed)
    consistency = float((pairs["verdict_original"] == pairs["verdict_swapped"]).mean()) if len(pairs) else None
    decisive = parsed[parsed["verdict"].isin(DECISIVE)]
    first_shown = (decisive["verdict"] == "1") != decisive["swapped"]
    n_decisive, n_first = len(decisive), int(first_shown.sum())
    rate = n_first / n_decisive if n_decisive else None
    p_value = float(binomtest(n_first, n_decisive, 0.5).pvalue) if n_decisive else None
    return SwapConsistency(len(pairs), consistency, n_decisive, rate, p_value)


def combine_orders(verdicts_both_orders: pd.DataFrame) -> pd.DataFrame:
    """One verdict per comparison from its two presentation orders (same input as swap_consistency).

    Rule: both orders agree -> that verdict; anything else (one says "1", the other "2"; or one a
    tie and the other decisive) -> "tie". So a verdict only stands when it survives the swap, which
    is how PandaLM / MT-Bench neutralise position bias. A comparison without a parsed verdict in
    both orders gets verdict None and status "incomplete" instead of a made-up tie, so the output
    (columns comparison_id, verdict, status) can be passed straight to human_judge_agreement, which
    leaves non-"ok" verdicts out and counts them as unparsed.
    """
    columns = ["comparison_id", "verdict", "status"]
    if verdicts_both_orders.empty:
        return pd.DataFrame(columns=columns)
    pairs = _both_orders(_parsed_orders(verdicts_both_orders))
    agreed = pairs["verdict_original"] == pairs["verdict_swapped"]
    combined = pd.DataFrame(
        {
            "comparison_id": pairs["comparison_id"],
            "verdict": pairs["verdict_original"].where(agreed, "tie").astype(object),
            "status": "ok",
        }
    )
    everything = verdicts_both_orders[["comparison_id"]].drop_duplicates()
    result = everything.merge(combined, on="comparison_id", how="left")
    result["verdict"] = result["verdict"].astype(object).where(result["status"].notna(), None)
    result["status"] = result["status"].fillna("incomplete")
    return result[columns].reset_index(drop=True)


@dataclass(frozen=True)
class LengthBias:
    """Does the judge prefer the longer response? (AlpacaEval's length-bias check)."""

    n: int  # decisive verdicts on responses of different lengths
    longer_rate: float | None  # share of those that prefer the longer response (0.5 = no bias)
    p_value: float | None  # exact two-sided binomial test against 0.5 (SciPy binomtest)


def length_bias(rows: pd.DataFrame) -> LengthBias:
    """Share of decisive verdicts ("1"/"2") that prefer the longer response; equal lengths ignored.

    Input columns: len1, len2 (any length measure: characters, tokens), verdict. Ties and unparsed
    verdicts carry no preference and are left out, as are pairs of equal length.
    """
    if rows.empty:
        return LengthBias(0, None, None)
    data = rows[rows["verdict"].isin(DECISIVE) & rows["len1"].notna() & rows["len2"].notna()]
    data = data[data["len1"] != data["len2"]]
    n = len(data)
    if n == 0:
        return LengthBias(0, None, None)
    longer = int(((data["verdict"] == "1") == (data["len1"] > data["len2"])).sum())
    return LengthBias(n, longer / n, float(binomtest(longer, n, 0.5).pvalue))


# --- Ratings (1-10 scores) ------------------------------------------------------------------------


def _row_correlations(human: npt.NDArray[np.float64], judge: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Pearson, Spearman, Kendall tau-b of every row of two (items x models) arrays: (items x 3).

    SciPy computes them along axis 1: pearsonr; spearmanr as pearsonr of scipy.stats.rankdata ranks
    (the definition of Spearman's rho; scipy's spearmanr has no row-wise mode); kendalltau.
    """
    pearson = stats.pearsonr(human, judge, axis=1).statistic
    spearman = stats.pearsonr(stats.rankdata(human, axis=1), stats.rankdata(judge, axis=1), axis=1).statistic
    kendall = stats.kendalltau(human, judge, axis=1).statistic
    return np.column_stack([pearson, spearman, kendall])


def rating_correlations(rows: pd.DataFrame) -> pd.DataFrame:
    """Human vs judge ratings correlated at item level and at system level, as CritiqueLLM reports.

    Input columns: item, model, human, judge (e.g. 1-10 scores; rows missing an item or score dropped).

    * item level (CritiqueLLM's "sample level", ``correlation_sample`` in its eval_pointwise.py): per
      item, correlate the human and judge scores of the models' responses to it, then average over
      items. Items whose human or judge scores are all equal have no correlation and are skipped (as
      CritiqueLLM does); n is the number of items averaged.
    * system level: per model, the mean human and mean judge score; correlate those means across
      models; n is the number of models.

    SciPy computes Pearson (pearsonr), Spearman (rank + pearsonr, see _row_correlations at item
    level; spearmanr at system level) and Kendall's tau-b (kendalltau). Returns a DataFrame indexed
    by level ("item", "system") with columns pearson, spearman, kendall, n; NaN where undefined.
    """
    columns = ["pearson", "spearman", "kendall", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    data = rows.dropna(subset=["item", "human", "judge"])
    if data.empty:
        return pd.DataFrame(columns=columns)
    human = data["human"].to_numpy(dtype=float)
    judge = data["judge"].to_numpy(dtype=float)
    item, _ = data["item"].factorize()
    order = np.argsort(item, kind="stable")
    human, judge = human[order], judge[order]
    sizes = np.bincount(item)
    sizes = sizes[sizes > 0]
    starts = np.cumsum(sizes) - sizes
    per_item = []
    for size in np.unique(sizes[sizes >= 2]):  # items answered by the same number of models, together
        index = starts[sizes == size][:, None] + np.arange(size)
        h, j = human[index], judge[index]
        varied = (np.ptp(h, axis=1) > 0) & (np.ptp(j, axis=1) > 0)
        if varied.any():
            per_item.append(_row_correlations(h[varied], j[varied]))
    item_level = np.concatenate(per_item) if per_item else np.empty((0, 3))
    item_row = [*(item_level.mean(axis=0) if len(item_level) else [np.nan] * 3), len(item_level)]

    means = data.groupby("model")[["human", "judge"]].mean()
    system_row: list[float] = [np.nan, np.nan, np.nan, len(means)]
    if len(means) >= 2 and means["human"].nunique() > 1 and means["judge"].nunique() > 1:
        h_means, j_means = means["human"].to_numpy(float), means["judge"].to_numpy(float)
        system_row[:3] = [
            stats.pearsonr(h_means, j_means).statistic,
            stats.spearmanr(h_means, j_means).statistic,
            stats.kendalltau(h_means, j_means).statistic,
        ]
    table = pd.DataFrame([item_row, system_row], index=pd.Index(["item", "system"], name="level"), columns=columns)
    return table.astype({"pearson": float, "spearman": float, "kendall": float, "n": int})


# --- Model rankings -------------------------------------------------------------------------------


def win_rate(outcomes: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each model's win rate against ``baseline``, draws counted as half a win (AlpacaEval).

    Input rows: model1, model2, verdict (either model may be the baseline, in either position;
    unparsed verdicts ignored). Output, one row per model compared with the baseline, best first:
    model, n, wins, losses, ties, win_rate = (wins + ties / 2) / n (a fraction; AlpacaEval prints
    it x 100), standard_error = standard error of the mean of per-comparison scores 1 / 0.5 / 0
    (pandas' sem, ddof=1, AlpacaEval's standard_error).
    """
    columns = ["model", "n", "wins", "losses", "ties", "win_rate", "standard_error"]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    rows = outcomes[
        outcomes["verdict"].isin(LABELS)
        & ((outcomes["model1"] == baseline) != (outcomes["model2"] == baseline))  # exactly one is the baseline
    ]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    baseline_first = rows["model1"] == baseline
    frame = pd.DataFrame(
        {
            "model": rows["model2"].where(baseline_first, rows["model1"]),
            "win": ((rows["verdict"] == "2") & baseline_first) | ((rows["verdict"] == "1") & ~baseline_first),
            "loss": ((rows["verdict"] == "1") & baseline_first) | ((rows["verdict"] == "2") & ~baseline_first),
            "tie": rows["verdict"] == "tie",
        }
    )
    frame["score"] = frame["win"] + 0.5 * frame["tie"]
    table = frame.groupby("model", as_index=False).agg(
        n=("score", "size"),
        wins=("win", "sum"),
        losses=("loss", "sum"),
        ties=("tie", "sum"),
        win_rate=("score", "mean"),
        standard_error=("score", "sem"),
    )
    table = table.astype({"n": int, "wins": int, "losses": int, "ties": int})
    return table.sort_values(["win_rate", "model"], ascending=[False, True], ignore_index=True)[columns]


def _fit_bradley_terry(
    pair_low: npt.NDArray[np.int64],
    pair_high: npt.NDArray[np.int64],
    wins_low: npt.NDArray[np.float64],
    wins_high: npt.NDArray[np.float64],
    n_models: int,
    prior_variance: float | None,
) -> npt.NDArray[np.float64]:
    """Strengths (replicates x models) for several data sets at once, each row its own fit.

    ``wins_low[r, p]`` / ``wins_high[r, p]``: (fractional) wins of model pair_low[p] over
    pair_high[p] and the reverse in data set r. One scikit-learn LogisticRegression fit on a
    block-diagonal sparse design (one block per data set): the objective is a sum of independent
    per-block objectives, so this equals separate fits but avoids scikit-learn's per-fit overhead
    (milliseconds each), which would dominate a 200-resample bootstrap.
    """
    from scipy import sparse  # imported here with scikit-learn's solver: only Bradley-Terry needs them
    from sklearn.linear_model import LogisticRegression

    n_sets, n_pairs = wins_low.shape
    block = np.zeros((n_pairs, n_models))
    block[np.arange(n_pairs), pair_low] = 1.0
    block[np.arange(n_pairs), pair_high] = -1.0
    one = sparse.csr_matrix(np.vstack([block, block]))  # rows: low beat high (y=1), then high beat low (y=0)
    design = sparse.kron(sparse.identity(n_sets, format="csr"), one, format="csr")
    target = np.tile(np.r_[np.ones(n_pairs), np.zeros(n_pairs)], n_sets)
    weight = np.concatenate([wins_low, wins_high], axis=1).ravel()
    model = LogisticRegression(
        C=np.inf if prior_variance is None else prior_variance, fit_intercept=False, tol=1e-8, max_iter=10_000
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when the MLE does not exist (prior_variance=None)
        model.fit(design, target, sample_weight=weight)
    strength = model.coef_[0].reshape(n_sets, n_models)
    played = wins_low + wins_high
    present = np.zeros((n_sets, n_models), dtype=bool)
    present[:, pair_low] |= played > 0
    present[:, pair_high] |= played > 0
    strength = np.where(present, strength, np.nan)
    return strength - np.nanmean(strength, axis=1, keepdims=True)


def bradley_terry(
    outcomes: pd.DataFrame, n_bootstrap: int = 200, seed: int = 0, *, prior_variance: float | None = 10.0
) -> pd.DataFrame:
    """Bradley-Terry strengths with percentile-bootstrap 95% intervals.

    P(A beats B) = 1 / (1 + exp(-(strength_A - strength_B))); strengths are natural-log scale,
    centred on mean 0 (multiply by 400 / ln 10 for Elo points). A tie counts as half a win for each
    side. Fitted as a logistic regression without intercept on one row per (model pair, winner)
    weighted by its (fractional) win count, by scikit-learn's LogisticRegression, as Chatbot Arena
    computes its MLE Elo.

    The maximum-likelihood estimate does not exist when a model never loses (or never wins): its
    strength runs off to infinity. ``prior_variance`` (default 10, i.e. a Gaussian prior N(0, 10)
    on each strength; scikit-learn's L2 penalty with C = prior_variance) keeps it finite while
    barely moving estimates backed by more than a handful of comparisons. None gives the plain MLE.

    Intervals: resample the comparisons with replacement ``n_bootstrap`` times (numpy Generator
    seeded with ``seed``, so the result is deterministic), refit, take the 2.5th and 97.5th
    percentiles. A model absent from a resample is left out of that resample. Output columns:
    model, strength, ci_low, ci_high, strongest first.
    """
    columns = ["model", "strength", "ci_low", "ci_high"]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    rows = outcomes[outcomes["verdict"].isin(LABELS) & (outcomes["model1"] != outcomes["model2"])]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    n = len(rows)
    codes, models = pd.factorize(pd.concat([rows["model1"], rows["model2"]], ignore_index=True))
    first, second = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    n_models = len(models)
    low, high = np.minimum(first, second), np.maximum(first, second)
    verdict = rows["verdict"].to_numpy(dtype=object)
    first_share = np.where(verdict == "1", 1.0, np.where(verdict == "tie", 0.5, 0.0))
    low_share = np.where(first == low, first_share, 1.0 - first_share)  # lower-coded model's share of the win
    pair_index, pairs = pd.factorize(low * n_models + high)
    n_pairs = len(pairs)
    pair_low, pair_high = (pairs // n_models).astype(np.int64), (pairs % n_models).astype(np.int64)

    def wins(sample: npt.NDArray[np.int64] | None) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        index, share = (pair_index, low_share) if sample is None else (pair_index[sample], low_share[sample])
        low_wins = np.bincount(index, weights=share, minlength=n_pairs).astype(np.float64)
        high_wins = np.bincount(index, weights=1.0 - share, minlength=n_pairs).astype(np.float64)
        return low_wins, high_wins

    estimate_low, estimate_high = wins(None)
    estimate = _fit_bradley_terry(
        pair_low, pair_high, estimate_low[None, :], estimate_high[None, :], n_models, prior_variance
    )[0]
    ci_low = ci_high = np.full(n_models, np.nan)
    if n_bootstrap > 0:
        rng = np.random.default_rng(seed)
        resampled = [wins(rng.integers(0, n, n)) for _ in range(n_bootstrap)]
        replicates = _fit_bradley_terry(
            pair_low,
            pair_high,
            np.array([low_wins for low_wins, _ in resampled]),
            np.array([high_wins for _, high_wins in resampled]),
            n_models,
            prior_variance,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-NaN column: a model absent from every resample
            ci_low, ci_high = np.nanpercentile(replicates, [2.5, 97.5], axis=0)
    table = pd.DataFrame(
        {"model": [str(m) for m in models], "strength": estimate, "ci_low": ci_low, "ci_high": ci_high}
    )
    return table.sort_values(["strength", "model"], ascending=[False, True], ignore_index=True)


# --- Uncertainty ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapCI:
    estimate: float  # the statistic on the data as given
    ci_low: float
    ci_high: float
    n: int  # number of values


def bootstrap_ci(
    values: npt.ArrayLike,
    statistic: Callable[..., Any],
    n: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> BootstrapCI | None:
    """Percentile-bootstrap (1 - alpha) interval for a statistic of one sample of values.

    For headline figures, e.g. accuracy: ``bootstrap_ci(human == judge, np.mean)``. SciPy's
    scipy.stats.bootstrap does the resampling (method="percentile", ``n`` resamples, a numpy
    Generator seeded with ``seed``, so the interval is reproducible); resamples are drawn in batches
    so that a large sample never needs n x len(values) numbers in memory at once. ``statistic``
    takes a 1-D array (and, if it accepts ``axis``, is called vectorised). NaN values are dropped.
    None for a sample of fewer than two values.
    """
    data = np.asarray(values)
    if data.ndim != 1:
        data = data.ravel()
    if data.dtype.kind in "fc":
        data = data[~np.isnan(data)]
    if data.size < 2 or n < 1:  # no spread to resample from a single value
        return None
    batch = max(1, min(n, 5_000_000 // data.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate samples (all values equal) warn but are fine
        result = stats.bootstrap(
            (data,),
            statistic,
            n_resamples=n,
            batch=batch,
            confidence_level=1 - alpha,
            method="percentile",
            rng=np.random.default_rng(seed),
        )
    interval = result.confidence_interval
    return BootstrapCI(float(statistic(data)), float(interval.low), float(interval.high), int(data.size))
