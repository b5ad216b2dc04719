"""The Dashboard's figures for one dataset and one judge run, as plain dataclasses and DataFrames.

``build_dashboard`` reads the store (read methods only) and hands the frames to the pure functions of
``analysis.statistics``; nothing here draws (plotly lives in ``ui.plots``) and nothing runs SQL.

What is compared with what:

* judge: the chosen run's verdicts in the original presentation order (the latest per comparison;
  outputs without a verdict are left out and counted), plus its swapped-order verdicts for swap
  consistency and first-position preference;
* people: every current pairwise label ("per vote"), paired with the judge's verdict on the same
  comparison; rankings, partial orders and people's length bias use each comparison's majority label.

Rating correlations (single-answer grading, 1-10): each response's mean human rating (skips left
out) against the score of the judge run that rated the dataset most recently (parsed ratings only),
through ``analysis.rating_correlations`` at item level (per prompt, across its models' responses)
and at system level (per model means).

Speed: the dashboard refreshes every 5 s in every open tab. The reads take tens of milliseconds;
the figures are computed once per change of the data and then served from a small cache (keyed on
a hash of everything read), so idle tabs cost only the reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import binomtest

from analysis import Agreement, PartialOrder, human_judge_agreement, majority_labels, partial_order
from analysis.statistics import (
    DECISIVE,
    LengthBias,
    agreement_over_time,
    bradley_terry,
    fleiss_kappa,
    krippendorff_alpha,
    length_bias,
    others_majority,
    pairwise_cohen_kappa,
    rating_correlations,
    swap_consistency,
    win_table,
)
from annotation_store import Store

T = TypeVar("T")
JUDGE, PEOPLE = "judge", "people"
OVER_TIME_POINTS = 20
CONFIDENCE = 0.95
N_BOOTSTRAP = 200  # Bradley-Terry interval resamples: enough for a live view, ~30 ms per ranking

# Edge status in a partial-order graph, compared with the other source's graph
BOTH, ONLY, OPPOSITE = "both", "only", "opposite"

ANNOTATOR_COLUMNS = [
    "annotator",
    "kind",
    "labels",
    "skipped",
    "flagged",
    "n_with_others",
    "with_others",
    "n_with_judge",
    "with_judge",
    "n_gold",
    "gold_accuracy",
    "median_time_s",
]
CATEGORY_COLUMNS = ["category", "comparisons", "labelled", "labels", "n", "accuracy", "low", "high"]
EDGE_COLUMNS = ["source", "winner", "loser", "wins", "losses", "ties", "p_value", "status"]
PAIR_COLUMNS = [
    "model_a",
    "model_b",
    "people_wins_a",
    "people_wins_b",
    "people_ties",
    "judge_wins_a",
    "judge_wins_b",
    "judge_ties",
]


@dataclass(frozen=True)
class InterAnnotator:
    """Agreement among people: over comparisons labelled by two or more of them."""

    multi_labelled: int  # comparisons with at least two labels
    fleiss_kappa: float | None  # statsmodels; only comparisons with the modal number of labels
    krippendorff_alpha: float | None  # nominal, every comparison labelled twice or more
    pairwise_kappa: pd.DataFrame  # annotator x annotator Cohen's kappa (NaN: nothing shared / undefined)
    shared: pd.DataFrame  # annotator x annotator: comparisons both labelled


@dataclass(frozen=True)
class Bias:
    """Position and length preference of one source (the judge or people).

    Position: the share of decisive answers ("1"/"2") that chose the response shown first (judge) or
    on the left (people), 0.5 meaning no preference, with an exact two-sided binomial p-value. Swap
    consistency only exists for a judge run in both presentation orders.
    """

    source: str
    n_decisive: int
    first_position_rate: float | None
    first_position_p_value: float | None
    swap_pairs: int
    swap_consistency: float | None
    length: LengthBias


@dataclass(frozen=True)
class Ranking:
    """What one source says about the models: win table, Bradley-Terry strengths, partial order."""

    source: str
    outcomes: int  # comparisons with an outcome (majority label, or parsed judge verdict)
    wins: pd.DataFrame  # analysis.win_table
    bradley_terry: pd.DataFrame  # model, strength, ci_low, ci_high (95% bootstrap)
    order: PartialOrder


@dataclass(frozen=True)
class Dashboard:
    key: str  # changes whenever any figure can change (a hash of everything read)
    dataset: str | None
    run_id: int | None
    judge_name: str | None
    alpha: float
    counts: dict[str, int]
    models: list[str]
    agreement: Agreement  # per vote: every label vs the run's verdict on its comparison
    over_time: pd.DataFrame  # analysis.agreement_over_time: time, n, accuracy, low, high
    inter_annotator: InterAnnotator
    annotators: pd.DataFrame  # ANNOTATOR_COLUMNS
    categories: pd.DataFrame  # CATEGORY_COLUMNS
    judge_bias: Bias | None  # None without a judge run
    people_bias: Bias
    judge: Ranking
    people: Ranking
    pairs: pd.DataFrame  # PAIR_COLUMNS: win/lose/tie per model pair for people and the judge
    order_edges: pd.DataFrame  # EDGE_COLUMNS: Hasse edges of both graphs with their status
    ratings: RatingSummary | None = None  # None: no human ratings on this dataset

    @property
    def judge_order(self) -> PartialOrder:
        return self.judge.order

    @property
    def human_order(self) -> PartialOrder:
        return self.people.order


RATING_POINT_COLUMNS = ["response_id", "prompt", "model", "human", "n_ratings", "judge"]


@dataclass(frozen=True)
class RatingSummary:
    """Human vs judge single-answer ratings (1-10) on one dataset."""

    n_ratings: int  # human ratings (skips left out)
    n_responses: int  # responses with a human rating
    judge_run: int | None  # the judge run compared (the one that rated most recently), None if none
    judge_name: str | None
    judge_unparsed: int  # that run's ratings without a score
    points: pd.DataFrame  # RATING_POINT_COLUMNS: mean human rating and judge score per response
    correlations: pd.DataFrame  # analysis.rating_correlations: index item/system; pearson, spearman, kendall, n


def rating_summary(ratings: pd.DataFrame, judge_ratings: pd.DataFrame) -> RatingSummary | None:
    """``ratings``: store.ratings; ``judge_ratings``: store.judge_ratings (both of one dataset)."""
    rated = ratings[~ratings["skipped"].astype(bool)] if not ratings.empty else ratings
    if rated.empty:
        return None
    human = (
        rated.assign(rating=rated["rating"].astype(float))
        .groupby(["response_id", "prompt", "model"], as_index=False)
        .agg(human=("rating", "mean"), n_ratings=("rating", "size"))
    )
    run_id = name = None
    unparsed = 0
    judge = pd.DataFrame(columns=["response_id", "judge"])
    if not judge_ratings.empty:
        run_id = int(judge_ratings["run_id"].iloc[-1])
        run = judge_ratings[judge_ratings["run_id"] == run_id]
        name = str(run["judge"].iloc[-1])
        unparsed = int((run["status"] != "ok").sum())
        judge = run[run["status"] == "ok"][["response_id", "score"]].rename(columns={"score": "judge"})
    points = human.merge(judge, on="response_id", how="left")[RATING_POINT_COLUMNS]
    points["judge"] = points["judge"].astype(float)
    paired = points.dropna(subset=["judge"]).rename(columns={"prompt": "item"})
    return RatingSummary(
        n_ratings=len(rated),
        n_responses=len(human),
        judge_run=run_id,
        judge_name=name,
        judge_unparsed=unparsed,
        points=points,
        correlations=rating_correlations(paired[["item", "model", "human", "judge"]]),
    )


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Inputs:
    dataset: str | None
    run_id: int | None
    judge_name: str | None
    texts: pd.DataFrame  # comparison_texts: id, category, model1, model2, response1, response2, ...
    labels: pd.DataFrame  # store.labels
    details: pd.DataFrame  # store.label_details
    run: pd.DataFrame  # store.judge_verdicts of the chosen run (both orders)
    gold: pd.DataFrame  # store.gold_labels
    ratings: pd.DataFrame = field(default_factory=pd.DataFrame)  # store.ratings
    judge_ratings: pd.DataFrame = field(default_factory=pd.DataFrame)  # store.judge_ratings

    def fingerprint(self, alpha: float) -> tuple[Any, ...]:
        """Everything the figures depend on, hashed: equal fingerprints give equal dashboards."""
        frames = (
            self.texts[["id", "category", "model1", "model2"]],
            self.texts["response1"].str.len().to_frame().assign(len2=self.texts["response2"].str.len()),
            self.labels,
            self.details.drop(columns=["comment"], errors="ignore"),
            self.run.drop(columns=["reason", "reference"], errors="ignore"),
            self.gold[["comparison_id", "verdict"]],
            self.ratings.drop(columns=["comment"], errors="ignore"),
            self.judge_ratings,
        )
        return (self.dataset, self.run_id, self.judge_name, alpha, *(_digest(frame) for frame in frames))


def _read(store: Store, dataset: str | None, run_id: int | None) -> _Inputs:
    if dataset is None:
        texts, labels, details, verdicts, gold = (pd.DataFrame(columns=c) for c in _EMPTY_COLUMNS)
        return _Inputs(None, None, None, texts, labels, details, verdicts, gold)
    texts = store.comparison_texts(dataset)
    labels = store.labels(dataset)
    details = store.label_details(dataset)
    verdicts = store.judge_verdicts(dataset)
    gold = store.gold_labels(dataset)
    ratings, judge_ratings = store.ratings(dataset), store.judge_ratings(dataset)
    judge_name = None
    if verdicts.empty:
        run_id = None
    else:
        # default: the run that judged most recently
        run_id = run_id if run_id in set(verdicts["run_id"]) else int(verdicts["run_id"].iloc[-1])
        verdicts = verdicts[verdicts["run_id"] == run_id].reset_index(drop=True)
        judge_name = str(verdicts["judge"].iloc[-1])
    return _Inputs(dataset, run_id, judge_name, texts, labels, details, verdicts, gold, ratings, judge_ratings)


_EMPTY_COLUMNS = [
    ["id", "dataset", "prompt", "category", "model1", "model2", "instruction", "input", "reference"]
    + ["response1", "response2"],
    ["comparison_id", "annotator", "verdict", "updated_at", "dataset", "category", "model1", "model2"],
    ["comparison_id", "annotator", "kind", "verdict", "skipped", "flagged", "confidence", "comment"]
    + ["time_on_item_ms", "presented_swapped", "version", "created_at", "updated_at"],
    ["comparison_id", "run_id", "judge", "profile", "swapped", "verdict", "status", "reason", "reference"]
    + ["dataset", "category", "model1", "model2"],
    ["comparison_id", "verdict", "explanation"],
]

_CACHE: OrderedDict[tuple[Any, ...], Dashboard] = OrderedDict()
_CACHE_SIZE = 16
_PARTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()  # rankings and the judge's biases, by input hash
_CACHE_LOCK = threading.Lock()


def _digest(frame: pd.DataFrame) -> tuple[int, int]:
    """(rows, hash of the contents): equal for equal frames (same rows in the same order)."""
    return len(frame), int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0


def _memo(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` (the last _CACHE_SIZE * 4 results are kept)."""
    with _CACHE_LOCK:
        if key in _PARTS:
            _PARTS.move_to_end(key)
            return cast(T, _PARTS[key])
    value = compute()
    with _CACHE_LOCK:
        _PARTS[key] = value
        while len(_PARTS) > _CACHE_SIZE * 4:
            _PARTS.popitem(last=False)
    return value


def build_dashboard(store: Store, dataset: str | None, run_id: int | None = None, alpha: float = 0.05) -> Dashboard:
    """Every figure of the Dashboard page for ``dataset`` and one judge run of it.

    ``run_id``: the judge run to compare with people; when it has no verdict on the dataset, the run
    that judged most recently is used (``Dashboard.run_id`` says which). ``alpha``: significance level
    of the partial orders' sign tests. ``dataset=None`` gives the empty dashboard.
    """
    inputs = _read(store, dataset, run_id)
    key = inputs.fingerprint(alpha)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    board = compute_dashboard(inputs, alpha, key=f"{hash(key) & 0xFFFFFFFFFFFF:012x}")
    with _CACHE_LOCK:
        _CACHE[key] = board
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return board


# --------------------------------------------------------------------------- computing


def compute_dashboard(inputs: _Inputs, alpha: float, *, key: str = "") -> Dashboard:
    texts, labels, details, run, gold = inputs.texts, inputs.labels, inputs.details, inputs.run, inputs.gold
    swapped = run["swapped"].astype(bool) if not run.empty else pd.Series(dtype=bool)
    original = run[~swapped] if not run.empty else run
    latest = original.drop_duplicates("comparison_id", keep="last")
    parsed = latest[latest["status"] == "ok"]
    majority = majority_labels(labels)
    lengths = pd.DataFrame(
        {"comparison_id": texts["id"], "len1": texts["response1"].str.len(), "len2": texts["response2"].str.len()}
    )
    models = sorted(set(texts["model1"]) | set(texts["model2"]))
    per_comparison = labels.groupby("comparison_id").size() if not labels.empty else pd.Series(dtype=int)

    people = _ranking(PEOPLE, majority, alpha)
    judge = _ranking(JUDGE, parsed, alpha)
    has_judge = inputs.run_id is not None
    return Dashboard(
        key=key,
        dataset=inputs.dataset,
        run_id=inputs.run_id,
        judge_name=inputs.judge_name,
        alpha=alpha,
        counts={
            "comparisons": len(texts),
            "labels": len(labels),
            "annotators": int(labels["annotator"].nunique()) if not labels.empty else 0,
            "labelled_comparisons": len(per_comparison),
            "multi_labelled": int((per_comparison >= 2).sum()),
            "skipped": int(details["skipped"].astype(bool).sum()) if not details.empty else 0,
            "gold": len(gold),
            "verdicts": len(latest),
            "unparsed": int((latest["status"] != "ok").sum()),
            "both_orders": int(run.loc[swapped, "comparison_id"].nunique()) if not run.empty else 0,
        },
        models=models,
        agreement=human_judge_agreement(labels, original),
        over_time=agreement_over_time(labels, original, points=OVER_TIME_POINTS, confidence=CONFIDENCE),
        inter_annotator=_inter_annotator(labels),
        annotators=_annotators(labels, details, original if has_judge else None, gold),
        categories=_categories(texts, labels, original),
        judge_bias=_memo(
            ("judge bias", _digest(run[["comparison_id", "swapped", "verdict", "status"]]), _digest(lengths)),
            lambda: _judge_bias(run, parsed, lengths),
        )
        if has_judge
        else None,
        people_bias=_people_bias(details, majority, lengths),
        judge=judge,
        people=people,
        pairs=_pairs(people.wins, judge.wins),
        order_edges=_order_edges(judge.order, people.order, compare=judge.outcomes > 0 and people.outcomes > 0),
        ratings=rating_summary(inputs.ratings, inputs.judge_ratings),
    )


def _ranking(source: str, outcomes: pd.DataFrame, alpha: float) -> Ranking:
    """Win table, Bradley-Terry (200 bootstrap resamples) and partial order of one source's outcomes.

    Memoised on the outcomes themselves: the judge's ranking is then computed once per run and kept
    while people label, and the people's only when a majority label changes.
    """
    if outcomes.empty:
        empty = pd.DataFrame(columns=["model_a", "model_b", "wins_a", "wins_b", "ties"])
        return Ranking(
            source, 0, empty, pd.DataFrame(columns=["model", "strength", "ci_low", "ci_high"]), partial_order(outcomes)
        )
    data = outcomes[["model1", "model2", "verdict"]].astype(str).reset_index(drop=True)
    return _memo(
        ("ranking", source, alpha, _digest(data)),
        lambda: Ranking(
            source,
            len(data),
            win_table(data),
            bradley_terry(data, n_bootstrap=N_BOOTSTRAP, seed=0),
            partial_order(data, alpha=alpha),
        ),
    )


def _inter_annotator(labels: pd.DataFrame) -> InterAnnotator:
    if labels.empty:
        return InterAnnotator(0, None, None, pd.DataFrame(), pd.DataFrame())
    per_comparison = labels.groupby("comparison_id").size()
    kappa = pairwise_cohen_kappa(labels)
    # comparisons each two annotators both labelled: (annotators x comparisons) incidence times its transpose
    who, names = pd.factorize(labels["annotator"].astype(str))
    what, comparisons = pd.factorize(labels["comparison_id"])
    incidence = sparse.csr_matrix((np.ones(len(who)), (who, what)), shape=(len(names), len(comparisons)))
    incidence.data[:] = 1.0  # (duplicates were summed: count each comparison once)
    shared = pd.DataFrame((incidence @ incidence.T).toarray(), index=names, columns=names).astype(int)
    shared = shared.reindex(index=kappa.index, columns=kappa.columns)
    return InterAnnotator(
        int((per_comparison >= 2).sum()), fleiss_kappa(labels), krippendorff_alpha(labels), kappa, shared
    )


def _annotators(
    labels: pd.DataFrame, details: pd.DataFrame, verdicts: pd.DataFrame | None, gold: pd.DataFrame
) -> pd.DataFrame:
    """Per annotator (every name in ``details``, sorted), one row of ANNOTATOR_COLUMNS:

    * labels / skipped / flagged: current pairwise labels, skips, flagged items;
    * with_others: over the annotator's labels on comparisons someone else labelled too, the share
      equal to the other annotators' majority label (``analysis.others_majority``; n_with_others);
    * with_judge: the share of the annotator's labels equal to the run's latest parsed verdict on
      the comparison (the pairing of ``human_judge_agreement``; n_with_judge);
    * gold_accuracy: the share of their labels on gold comparisons equal to the gold answer (n_gold);
    * median_time_s: median time on item over non-skipped labels with a recorded time.

    Shares are plain means over the rows (vectorised; scikit-learn's per-call overhead would cost
    ~20 ms per annotator on every refresh). NaN where there is nothing to compare.
    """
    if details.empty:
        return pd.DataFrame(columns=ANNOTATOR_COLUMNS)
    info = details.assign(annotator=details["annotator"].astype(str))
    table = info.groupby("annotator").agg(
        kind=("kind", "last"),
        skipped=("skipped", lambda s: int(s.astype(bool).sum())),
        flagged=("flagged", lambda s: int(s.astype(bool).sum())),
    )
    timed = info[~info["skipped"].astype(bool) & info["time_on_item_ms"].notna()]
    table["median_time_s"] = timed.groupby("annotator")["time_on_item_ms"].median() / 1000.0
    mine = labels.assign(annotator=labels["annotator"].astype(str))
    table["labels"] = mine.groupby("annotator").size()

    def shares(frame: pd.DataFrame, other: str, n: str, share: str) -> None:
        if frame.empty:
            table[n], table[share] = 0, np.nan
            return
        equal = (frame["verdict"].astype(str) == frame[other].astype(str)).groupby(frame["annotator"].astype(str))
        table[n], table[share] = equal.size(), equal.mean()

    shares(others_majority(labels), "others", "n_with_others", "with_others")
    if verdicts is not None and not verdicts.empty and not labels.empty:
        latest = verdicts.drop_duplicates("comparison_id", keep="last")
        latest = latest.loc[latest["status"] == "ok", ["comparison_id", "verdict"]]
        shares(
            mine.merge(latest, on="comparison_id", suffixes=("", "_judge")),
            "verdict_judge",
            "n_with_judge",
            "with_judge",
        )
    else:
        shares(pd.DataFrame(), "", "n_with_judge", "with_judge")
    if not gold.empty and not labels.empty:
        graded = mine.merge(gold[["comparison_id", "verdict"]], on="comparison_id", suffixes=("", "_gold"))
        shares(graded, "verdict_gold", "n_gold", "gold_accuracy")
    else:
        shares(pd.DataFrame(), "", "n_gold", "gold_accuracy")
    counts = ["labels", "skipped", "flagged", "n_with_others", "n_with_judge", "n_gold"]
    table[counts] = table[counts].fillna(0).astype(int)
    rates = ["with_others", "with_judge", "gold_accuracy", "median_time_s"]
    table[rates] = table[rates].astype(float)
    return table.reset_index()[ANNOTATOR_COLUMNS]


def _categories(texts: pd.DataFrame, labels: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Per category: comparisons, how many are labelled, labels, and human-vs-judge accuracy per vote
    (same pairing as ``human_judge_agreement``: the judge's latest verdict, unparsed ones left out)
    with a Wilson interval at 95%."""
    if texts.empty:
        return pd.DataFrame(columns=CATEGORY_COLUMNS)
    table = texts.groupby("category").agg(comparisons=("id", "size"))
    if not labels.empty:
        table["labelled"] = labels.groupby("category")["comparison_id"].nunique()
        table["labels"] = labels.groupby("category").size()
    latest = verdicts.drop_duplicates("comparison_id", keep="last")
    latest = latest.loc[latest["status"] == "ok", ["comparison_id", "verdict"]]
    if not labels.empty and not latest.empty:
        paired = labels[["comparison_id", "category", "verdict"]].merge(
            latest, on="comparison_id", suffixes=("", "_judge")
        )
        agree = (paired["verdict"].astype(str) == paired["verdict_judge"].astype(str)).groupby(paired["category"])
        table["n"] = agree.size()
        table["correct"] = agree.sum()
    table = table.reindex(columns=["comparisons", "labelled", "labels", "n", "correct"]).fillna(0).astype(int)
    table["accuracy"] = table["low"] = table["high"] = np.nan
    judged = table["n"] > 0
    if judged.any():
        from statsmodels.stats.proportion import proportion_confint  # slow import, only needed here

        low, high = proportion_confint(
            table.loc[judged, "correct"], table.loc[judged, "n"], alpha=1 - CONFIDENCE, method="wilson"
        )
        table.loc[judged, "accuracy"] = table.loc[judged, "correct"] / table.loc[judged, "n"]
        table.loc[judged, "low"], table.loc[judged, "high"] = np.asarray(low), np.asarray(high)
    return table.reset_index()[CATEGORY_COLUMNS]


def _judge_bias(run: pd.DataFrame, parsed: pd.DataFrame, lengths: pd.DataFrame) -> Bias:
    swap = swap_consistency(run)
    return Bias(
        JUDGE,
        swap.n_decisive,
        swap.first_position_rate,
        swap.first_position_p_value,
        swap.n_pairs,
        swap.consistency,
        length_bias(parsed.merge(lengths, on="comparison_id")),
    )


def _people_bias(details: pd.DataFrame, majority: pd.DataFrame, lengths: pd.DataFrame) -> Bias:
    """People's left-position preference over every decisive label, from the order each was shown in
    (``presented_swapped``: response 2 on the left); length bias from the majority labels."""
    decisive = details[details["verdict"].isin(DECISIVE) & ~details["skipped"].astype(bool)]
    chose_left = (decisive["verdict"] == "1") != decisive["presented_swapped"].astype(bool)
    n, left = len(decisive), int(chose_left.sum())
    return Bias(
        PEOPLE,
        n,
        left / n if n else None,
        float(binomtest(left, n, 0.5).pvalue) if n else None,
        0,
        None,
        length_bias(majority.merge(lengths, on="comparison_id")) if not majority.empty else LengthBias(0, None, None),
    )


def _pairs(people: pd.DataFrame, judge: pd.DataFrame) -> pd.DataFrame:
    """One row per model pair that either source has outcomes for; 0 where a source has none."""
    keys = ["model_a", "model_b"]
    frames = [
        frame.rename(columns={"wins_a": f"{source}_wins_a", "wins_b": f"{source}_wins_b", "ties": f"{source}_ties"})
        for source, frame in ((PEOPLE, people), (JUDGE, judge))
    ]
    merged = frames[0].merge(frames[1], on=keys, how="outer")
    if merged.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    counts = PAIR_COLUMNS[2:]
    merged[counts] = merged[counts].fillna(0).astype(int)
    return merged.sort_values(keys, ignore_index=True)[PAIR_COLUMNS]


def _order_edges(judge: PartialOrder, people: PartialOrder, *, compare: bool) -> pd.DataFrame:
    """Each Hasse edge of both graphs, with how the other graph orders the same two models.

    ``both``: the other graph also puts the winner above the loser (by an edge or a path); ``only``:
    the other graph does not order the two; ``opposite``: it puts the loser above the winner. When one
    source has no outcomes at all, nothing is compared and every status is ``both``.
    """
    rows = []
    for source, order, other in ((JUDGE, judge, people), (PEOPLE, people, judge)):
        graph = nx.DiGraph()
        graph.add_nodes_from(other.models)
        graph.add_edges_from((e.winner, e.loser) for e in other.edges)
        stats = {(e.winner, e.loser): e for e in order.edges}
        for winner, loser in order.hasse:
            edge = stats[(winner, loser)]
            status = BOTH
            if compare:
                if _path(graph, winner, loser):
                    status = BOTH
                elif _path(graph, loser, winner):
                    status = OPPOSITE
                else:
                    status = ONLY
            rows.append([source, winner, loser, edge.wins, edge.losses, edge.ties, edge.p_value, status])
    return pd.DataFrame(rows, columns=EDGE_COLUMNS)


def _path(graph: nx.DiGraph, source: str, target: str) -> bool:
    return source in graph and target in graph and bool(nx.has_path(graph, source, target))
