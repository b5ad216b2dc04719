"""Reading comparisons as a reviewer does (the REST API's ``/comparisons``): model names, the judge's
latest verdict and every label. Annotators must not see these (they would be anchored by them), so
each function asks ``Access.require(actor, "reviewer")`` first.

Also THE rule for a dataset name that is not in the database (``require_dataset``): every command and
route that is given a dataset name (judge, rate, metrics, report card, export, comparisons, responses,
reviews, the Admin page) raises the one NotFound with the one message, so the command line, REST (404)
and the pages say the same thing. A dataset that exists but holds nothing of the kind asked for
(a grading dataset given to ``judge``) is a separate, plain input error (``no_comparisons``,
``no_responses``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotation_store import ComparisonView, Store, StoreError, StoreNotFound, VerdictView
from orchestration.access import Access

MAX_PAGE = 500


@dataclass(frozen=True)
class ComparisonSummary:
    id: int
    dataset: str
    prompt_key: str
    category: str
    model1: str
    model2: str
    instruction: str
    judge_verdict: str | None  # the latest judge verdict (canonical order), None when not judged
    judge_status: str | None
    labels: int  # current pairwise labels (skips not counted)


@dataclass(frozen=True)
class ComparisonPage:
    dataset: str
    total: int
    limit: int
    offset: int
    items: list[ComparisonSummary]


@dataclass(frozen=True)
class LabelDetail:
    annotator: str
    verdict: str | None
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    presented_swapped: bool | None  # None: the order it was shown in is not known (an imported label)
    version: int


@dataclass(frozen=True)
class ComparisonDetail:
    comparison: ComparisonView
    judge: VerdictView | None
    labels: list[LabelDetail]


def require_dataset(store: Store, dataset: str) -> str:
    """``dataset`` when the database holds it, else StoreNotFound (HTTP 404; one ``judge-studio:`` line)
    naming the datasets there are, so a typo is seen at once. Callers check the role first: who may not
    read a dataset hears that, not whether it exists."""
    names = store.dataset_names()
    if dataset not in names:
        raise StoreNotFound(f"There is no dataset named {dataset!r} (datasets: {', '.join(names) or 'none'}).")
    return dataset


def gold_listed(
    access: Access, actor: str | None, dataset: str | None = None, comparison_id: int | None = None
) -> list[dict[str, Any]]:
    """Admins only: the gold marks (``Store.gold_rows``: comparison_id, dataset, verdict, explanation) of one
    dataset, of one comparison, or of all, as plain rows: ``judge-studio gold list`` (no pandas) and, as a
    DataFrame, ``AdminDesk.gold_marks`` (REST ``/gold``). Gold answers are for admins only, since an annotator who
    read them would pass every attention check; an unknown dataset is ``require_dataset``'s one message."""
    access.require(actor, "admin")
    if dataset:
        require_dataset(access.store, dataset)
    return access.store.gold_rows(dataset or None, comparison_id)


def no_comparisons(store: Store, dataset: str, doing: str) -> StoreError:
    """The error for a dataset that exists but has no comparisons to ``doing`` ("judge", "report on"):
    what it holds instead, so the person knows whether to rate it or import pairs into it."""
    responses = len(store.responses(dataset))
    held = (
        f"it holds {responses} responses for single-answer grading (rated one at a time, not compared)"
        if responses
        else "import model answers or pairs of responses into it first"
    )
    return StoreError(f"The dataset {dataset!r} has no comparisons to {doing}: {held}.")


def no_responses(store: Store, dataset: str) -> StoreError:
    """The error for a dataset that exists but has no single responses to rate (a pairwise dataset)."""
    pairs = len(store.comparison_table(dataset))
    held = (
        f"it holds {pairs} comparisons (pairs of responses, judged side by side, not rated)"
        if pairs
        else "import responses into it first"
    )
    return StoreError(f"The dataset {dataset!r} has no responses to rate: {held}.")


def comparison_page(
    access: Access, actor: str | None, dataset: str, *, limit: int = 50, offset: int = 0
) -> ComparisonPage:
    """One page of a dataset's comparisons in id order, with the latest judge verdict of each."""
    access.require(actor, "reviewer")
    if not 1 <= limit <= MAX_PAGE:
        raise StoreError(f"limit must be between 1 and {MAX_PAGE}.")
    if offset < 0:
        raise StoreError("offset must be 0 or more.")
    require_dataset(access.store, dataset)
    store = access.store
    table = store.comparison_table(dataset)
    page = table.iloc[offset : offset + limit]
    verdicts = store.verdicts(dataset).drop_duplicates("comparison_id", keep="last")
    latest: dict[int, dict[Any, Any]] = {int(v["comparison_id"]): v for v in verdicts.to_dict("records")}
    counts: dict[int, int] = {}
    for cid in store.labels(dataset)["comparison_id"].tolist():
        counts[int(cid)] = counts.get(int(cid), 0) + 1
    items = []
    for row in page.to_dict("records"):
        cid = int(row["id"])
        verdict = latest.get(cid, {})
        items.append(
            ComparisonSummary(
                id=cid,
                dataset=str(row["dataset"]),
                prompt_key=str(row["prompt"]),
                category=str(row["category"]),
                model1=str(row["model1"]),
                model2=str(row["model2"]),
                instruction=str(row["instruction"]),
                judge_verdict=_text(verdict.get("verdict")),
                judge_status=_text(verdict.get("status")),
                labels=counts.get(cid, 0),
            )
        )
    return ComparisonPage(dataset=dataset, total=len(table), limit=limit, offset=offset, items=items)


def comparison_detail(access: Access, actor: str | None, comparison_id: int) -> ComparisonDetail:
    """One comparison with everything a reviewer sees: texts, models, the judge's latest verdict, labels."""
    access.require(actor, "reviewer")
    store = access.store
    comparison = store.get_comparison(comparison_id)
    details = store.label_details(comparison.dataset)
    mine = details[details["comparison_id"] == comparison_id]
    labels = [
        LabelDetail(
            annotator=str(row["annotator"]),
            verdict=_text(row["verdict"]),
            skipped=bool(row["skipped"]),
            flagged=bool(row["flagged"]),
            confidence=_int(row["confidence"]),
            comment=str(row["comment"] or ""),
            presented_swapped=None if _missing(row["presented_swapped"]) else bool(row["presented_swapped"]),
            version=int(row["version"]),
        )
        for row in mine.to_dict("records")
    ]
    return ComparisonDetail(comparison=comparison, judge=store.latest_verdict(comparison_id), labels=labels)


def _missing(value: Any) -> bool:
    import pandas as pd  # here, not at the top: `gold list` imports this module for `require_dataset`

    return value is None or bool(pd.isna(value))


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _int(value: Any) -> int | None:
    return None if _missing(value) else int(value)
