"""The judge checkup's suites and the stored checkups a report shows.

Why a module of its own: ``orchestration.checkup`` runs a judge (it needs the Studio), while the
metrics report (``orchestration.metrics``, below the Studio) only reads what checkups stored. Both
need the suites (which dataset, which annotator holds the known-better side) and the pairs to score.

How a stored checkup is recognised: ``run_checkup`` stores each pair's two judgments as verdicts of
one judge run on the suite's dataset, the swapped ones with ``swapped=True``. So a judge run with
verdicts in both orders on a suite's dataset is a checkup; its pairs are those it judged in either
order, scored against the suite annotator's labels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.checkup import CheckupInput
from annotation_store.store import JudgeRunView, Store, StoreError
from interchange.evalbiasbench import EVALBIASBENCH_ANNOTATOR, EVALBIASBENCH_DATASET, import_evalbiasbench
from interchange.hhh_alignment import HHH_ANNOTATOR, HHH_DATASET, import_hhh_alignment


@dataclass(frozen=True)
class Suite:
    """A public set of pairs with a known-better side: its file under the data folder and its importer."""

    name: str
    title: str
    dataset: str
    file: str
    annotator: str
    category_name: str
    importer: Callable[..., Any]


SUITES: dict[str, Suite] = {
    "evalbiasbench": Suite(
        "evalbiasbench",
        "EvalBiasBench",
        EVALBIASBENCH_DATASET,
        "evalbiasbench/biasbench.json",
        EVALBIASBENCH_ANNOTATOR,
        "bias type",
        import_evalbiasbench,
    ),
    "hhh": Suite(
        "hhh",
        "HHH alignment",
        HHH_DATASET,
        "hhh_alignment/hhh_alignment_eval.json",
        HHH_ANNOTATOR,
        "subset",
        import_hhh_alignment,
    ),
}


def suite_named(name: str) -> Suite:
    if name not in SUITES:
        raise StoreError(f"Unknown checkup suite {name!r}; use one of {', '.join(SUITES)}.")
    return SUITES[name]


def checkup_pairs(store: Store, suite: Suite, limit: int | None = None) -> pd.DataFrame:
    """The pairs to score: comparison_id, verdict (the known-better side), category; with ``limit``,
    that many taken in turn from each category (so a short checkup still sees every bias type)."""
    labels = store.labels(suite.dataset)
    gold = labels.loc[labels["annotator"] == suite.annotator, ["comparison_id", "verdict", "category"]]
    if gold.empty:
        raise StoreError(f"Dataset {suite.dataset!r} holds no labels of {suite.annotator!r}; import it again.")
    gold = gold.sort_values("comparison_id", kind="stable").reset_index(drop=True)
    if limit is None or limit >= len(gold):
        return gold
    turn = gold.groupby("category", sort=False).cumcount()
    first_seen = gold["category"].map({name: i for i, name in enumerate(dict.fromkeys(gold["category"]))})
    order = gold.assign(_turn=turn, _first=first_seen).sort_values(["_turn", "_first"], kind="stable")
    chosen = order.head(max(int(limit), 0)).drop(columns=["_turn", "_first"])
    return chosen.sort_values("comparison_id", kind="stable").reset_index(drop=True)


def judged_pairs(store: Store, suite: Suite, verdicts: pd.DataFrame) -> pd.DataFrame:
    """The suite's pairs that ``verdicts`` (one run's rows) judged in either order."""
    judged = set(verdicts["comparison_id"].astype(int))
    pairs = checkup_pairs(store, suite)
    return pairs[pairs["comparison_id"].astype(int).isin(judged)].reset_index(drop=True)


def _judge_key(fingerprint: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A fingerprint without ``both_orders``: the checkup judges each order on its own
    (``per_order_judge``), so a judge that averages both orders is checked as that same judge."""
    return tuple(sorted((str(k), repr(v)) for k, v in fingerprint.items() if k != "both_orders"))


def _described(run: JudgeRunView, runs: Sequence[JudgeRunView]) -> tuple[int, ...]:
    """The ids of ``runs`` that checkup run ``run`` describes: itself, or the same judge."""
    mine = _judge_key(run.fingerprint)
    return tuple(r.run_id for r in runs if r.run_id == run.run_id or _judge_key(r.fingerprint) == mine)


def stored_checkups(store: Store, dataset: str, runs: Sequence[JudgeRunView]) -> list[CheckupInput]:
    """The stored checkups a report of ``dataset`` shows: on a suite's own dataset every checkup run
    there; elsewhere, the checkups of the judges of ``runs`` (the report's runs). Suite by suite,
    oldest run first; nothing is judged."""
    found: list[CheckupInput] = []
    names = set(store.dataset_names())
    for suite in SUITES.values():
        if suite.dataset not in names:
            continue
        candidates = store.judge_runs_on(suite.dataset)
        chosen = [(run, (run.run_id,) if suite.dataset == dataset else _described(run, runs)) for run in candidates]
        chosen = [(run, described) for run, described in chosen if described]
        if not chosen:
            continue
        verdicts = store.judge_verdicts(suite.dataset)
        for run, described in chosen:
            mine = verdicts[verdicts["run_id"] == run.run_id].reset_index(drop=True)
            if not mine["swapped"].astype(bool).any():  # one order only: a plain judge run, not a checkup
                continue
            gold = judged_pairs(store, suite, mine)
            found.append(
                CheckupInput(
                    suite.name,
                    suite.title,
                    suite.dataset,
                    suite.category_name,
                    run.run_id,
                    run.model,
                    run.profile,
                    mine,
                    gold,
                    described,
                )
            )
    return found
