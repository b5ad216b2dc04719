"""Browsing comparisons for case studies: filters (dataset, category, model pair, people against the
judge, unparsed judge output, low judge confidence), one comparison with every judge verdict in
both presentation orders, and the judge run live on it.

The case study shows model names and judge verdicts, which annotators must not see before they
label, so every method asks ``Access.require(actor, "reviewer")`` first. No Gradio here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from analysis.label_scope import LabelScope
from annotation_store import ComparisonView, StoreError, VerdictView
from judge_runtime import PairCase
from orchestration.review import JudgeOpinion, comparison_number, judge_opinions, scoped_disagreements
from orchestration.service import CaseProgress, Studio
from orchestration.stopping import StopSwitches

VIEWER = "reviewer"
DEFAULT_LOW_CONFIDENCE = 0.6


def pair_key(model_a: str, model_b: str) -> str:
    """The filter value of an unordered model pair (either presentation order matches)."""
    return json.dumps(sorted([model_a, model_b]))


def pair_label(key: str) -> str:
    first, second = json.loads(key)
    return f"{first} vs {second}"


@dataclass(frozen=True)
class CaseFilter:
    """Which comparisons to list; None / False means "no filter on this"."""

    dataset: str | None = None
    category: str | None = None
    model_pair: str | None = None  # a ``pair_key``
    judge_disagrees: bool = False  # some annotator's label (in ``labels_from``) differs from the latest judge verdict
    unparsed: bool = False  # some stored judge output (any run, either order) has no verdict
    low_confidence: bool = False  # the latest verdict's top probability is below ``threshold``
    threshold: float = DEFAULT_LOW_CONFIDENCE
    # whose labels ``judge_disagrees`` reads: None or "all" (every label), "imported", a session's name (the
    # reports' and the Review queue's "Labels from", ``orchestration.metrics.label_scope_of``)
    labels_from: str | None = None


@dataclass(frozen=True)
class CaseMatches:
    """The comparisons that pass a ``CaseFilter``, and whose labels its "people disagree with the judge" read."""

    choices: list[tuple[str, int]]  # (label, comparison id), by id
    scope: LabelScope | None  # None: the filter was off (no label was read)


@dataclass(frozen=True)
class FilterOptions:
    categories: list[str]
    model_pairs: list[tuple[str, str]]  # (label, pair_key)


@dataclass(frozen=True)
class CaseDetail:
    comparison: ComparisonView
    latest: VerdictView | None  # the latest original-order verdict, with probabilities when stored
    opinions: tuple[JudgeOpinion, ...]  # every run, original and swapped order where judged


def top_probability(verdict: VerdictView | None) -> float | None:
    if verdict is None or not verdict.probabilities:
        return None
    return max(verdict.probabilities.values())


@dataclass(frozen=True)
class StopOutcome:
    """What a Stop did: ``running`` False when no run of that page and form was known; ``finished``, the
    verdict of a run that had ended before the Stop (stored, for a stored comparison); None: stopped, unstored."""

    running: bool
    finished: VerdictView | None


class CaseBrowser:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.store = studio.store
        self.access = studio.access
        self.switches = StopSwitches()

    def options(self, actor: str | None, dataset: str | None) -> FilterOptions:
        self.access.require(actor, VIEWER)
        table = self.store.comparison_table(dataset or None)
        categories = sorted({str(c) for c in table["category"] if isinstance(c, str) and c.strip()})
        keys = sorted({pair_key(str(a), str(b)) for a, b in zip(table["model1"], table["model2"], strict=True)})
        return FilterOptions(categories, [(pair_label(k), k) for k in keys])

    def comparisons(self, actor: str | None, wanted: CaseFilter) -> CaseMatches:
        """The comparisons that pass every filter, by id; "people disagree with the judge" counts only the
        labels in ``wanted.labels_from`` (a session not on the dataset is NotFound, as in the Review queue)."""
        self.access.require(actor, VIEWER)
        if wanted.low_confidence and not 0 < wanted.threshold <= 1:
            raise StoreError(f"The confidence threshold must be above 0 and at most 1, got {wanted.threshold!r}.")
        table = self.store.comparison_table(wanted.dataset or None)
        if wanted.category:
            table = table[table["category"] == wanted.category]
        if wanted.model_pair:
            keys = [pair_key(str(a), str(b)) for a, b in zip(table["model1"], table["model2"], strict=True)]
            table = table[pd.Series(keys, index=table.index, dtype=object) == wanted.model_pair]
        scope = None
        if wanted.judge_disagrees:
            queue, scope = scoped_disagreements(self.store, wanted.dataset or None, wanted.labels_from)
            against = set(queue.loc[queue["judge_disagrees"].astype(bool), "comparison_id"].astype(int))
            table = table[table["id"].astype(int).isin(against)]
        if wanted.unparsed and not table.empty:
            bad: set[int] = set()
            for name in table["dataset"].unique():
                verdicts = self.store.judge_verdicts(str(name))
                bad |= set(verdicts.loc[verdicts["status"] != "ok", "comparison_id"].astype(int))
            table = table[table["id"].astype(int).isin(bad)]
        if wanted.low_confidence and not table.empty:
            judged = set(self.store.verdicts(wanted.dataset or None)["comparison_id"].astype(int))
            low = []
            for comparison_id in table["id"].astype(int):
                if comparison_id not in judged:
                    continue
                top = top_probability(self.store.latest_verdict(comparison_id))
                if top is not None and top < wanted.threshold:
                    low.append(comparison_id)
            table = table[table["id"].astype(int).isin(low)]
        names = (
            "#" + table["id"].astype(str) + " · " + table["prompt"] + " · " + table["model1"] + " vs " + table["model2"]
        )
        return CaseMatches(list(zip(names.tolist(), table["id"].astype(int).tolist(), strict=True)), scope)

    def detail(self, actor: str | None, comparison_id: object) -> CaseDetail:
        self.access.require(actor, VIEWER)
        comparison = self.store.get_comparison(comparison_number(comparison_id, "Pick a comparison first."))
        return CaseDetail(comparison, self.store.latest_verdict(comparison.id), judge_opinions(self.store, comparison))

    def stream(
        self,
        actor: str | None,
        comparison_id: int,
        *,
        decoding: str | None = None,
        max_new_tokens: int | None = None,
        profile: str | None = None,
        run_key: str | None = None,
    ) -> Iterator[CaseProgress]:
        """Judge a stored comparison live (``Studio.stream_comparison``, optionally with other decoding
        settings or another profile, e.g. a saved custom prompt); the verdict is stored unless ``stop``
        (with the same ``run_key``: a page and its form) comes first."""
        self.access.require(actor, VIEWER)
        number = comparison_number(comparison_id, "Pick a comparison first.")
        switch = self.switches.take(run_key)
        try:
            yield from self.studio.stream_comparison(
                number, decoding=decoding, max_new_tokens=max_new_tokens, profile=profile, switch=switch
            )
        finally:
            switch.ended.set()

    def stream_custom(
        self, actor: str | None, case: PairCase, *, profile: str | None = None, run_key: str | None = None
    ) -> Iterator[CaseProgress]:
        """Judge a pasted pair live without storing it (``Studio.stream_custom``), with the settings' profile
        or ``profile``; ``stop`` with the same ``run_key`` ends it."""
        self.access.require(actor, VIEWER)
        switch = self.switches.take(run_key)
        try:
            yield from self.studio.stream_custom(case, profile=profile, switch=switch)
        finally:
            switch.ended.set()

    def arm(self, actor: str | None, run_key: str) -> None:
        """A run of ``run_key`` was asked for (its button pressed): a Stop from now on stops it, even before it
        leaves the queue."""
        self.access.require(actor, VIEWER)
        self.switches.arm(run_key)

    def stop(self, actor: str | None, run_key: str) -> StopOutcome:
        """Stop the latest run started with ``run_key``: it ends at its next token and stores nothing, unless it
        had finished already (then its verdict, stored for a stored comparison)."""
        self.access.require(actor, VIEWER)
        running, finished = self.switches.stop(run_key)
        return StopOutcome(running=running, finished=finished)
