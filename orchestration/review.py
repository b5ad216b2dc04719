"""The review queue: comparisons where people disagree with each other or with the judge, and the
final label a reviewer sets on one, with a rationale.

Every method takes the caller's account name first (``actor``) and asks ``Access.require`` for the
reviewer role before it reads or writes anything, so the UI and the REST API share one check. No
Gradio here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from analysis.label_scope import ALL, IMPORTED, SESSION, LabelScope
from analysis.verdicts import outcome
from annotation_store import AdjudicationView, ComparisonView, Store, StoreError, VerdictView
from errors import InvalidInput, NotFound
from orchestration.access import Access
from orchestration.catalog import require_dataset
from orchestration.metrics import margin_setting, scope_rows, scoped_labels

REVIEWER = "reviewer"
FINAL_VERDICTS = ("1", "2", "tie")
MAX_RATIONALE = 10_000


def decisive_verdict() -> Callable[[str | None, dict[str, float] | None], bool]:
    """The store's ``disagreements`` rule: a judge verdict counts only when it is decisive at the uncertain
    margin (``analysis.verdicts.outcome``, the rule of every figure): an uncertain one is no answer for
    people to disagree with, so the review queue and the Case study's filter leave it out."""
    margin = margin_setting()
    return lambda verdict, probabilities: outcome(verdict, "ok", probabilities, margin) == verdict


#: Which disagreements the queue lists.
QUEUE_KINDS = ("any", "people disagree", "judge disagrees")
#: The queue's reasons (``queue_reasons``): people's labels differ; the judge differs from the people's majority
#: (with no majority: from every side that tied); people are split evenly and the judge is on one of the sides.
PEOPLE_DISAGREE, JUDGE_DISAGREES, JUDGE_SIDES = (
    "people disagree",
    "judge disagrees",
    "no majority; judge sides with one",
)
QUEUE_COLUMNS = [
    "comparison_id",
    "dataset",
    "category",
    "model1",
    "model2",
    "labels",
    "n_labels",
    "judge_verdict",
    "annotators_disagree",
    "judge_disagrees",
    "adjudication",
    "reasons",
]
MAX_ID = 2**63 - 1  # ids are SQL BIGINTs: anything larger cannot exist (and must not reach the driver)
LABEL_COLUMNS = ["annotator", "kind", "verdict", "skipped", "flagged", "confidence", "comment", "version", "updated_at"]


@dataclass(frozen=True)
class JudgeOpinion:
    """One judge run's verdict on a comparison in one presentation order (verdict in canonical order)."""

    run_id: int
    judge: str
    profile: str
    swapped: bool
    verdict: str | None
    status: str
    reason: str
    reference: str
    probabilities: dict[str, float] | None = None  # {"1", "2", "tie"} in canonical order; None: none given


@dataclass(frozen=True)
class LabelRow:
    """One annotator's current label on a comparison as plain values (``ReviewItem.label_rows``)."""

    annotator: str
    kind: str
    verdict: str | None  # None when skipped
    skipped: bool
    flagged: bool
    confidence: int | None
    comment: str
    version: int
    updated_at: datetime | None


@dataclass(frozen=True)
class QueueEntry:
    """One row of the review queue as plain values, for callers that are not a table (the REST API)."""

    comparison_id: int
    dataset: str
    category: str
    model1: str
    model2: str
    labels: dict[str, str]  # annotator -> verdict, current pairwise labels only
    judge_verdict: str | None  # the latest original-order ``ok`` verdict of any run
    reasons: tuple[str, ...]  # why it is queued (``queue_reasons``): "people disagree", "judge disagrees", ...
    adjudication: str | None  # the final label so far


def _absent(value: Any) -> bool:
    """None, NaN or NaT: what pandas leaves in an empty cell."""
    return value is None or (not isinstance(value, (str, dict)) and bool(pd.isna(value)))


@dataclass(frozen=True)
class ReviewItem:
    """Everything a reviewer needs to decide one comparison."""

    comparison: ComparisonView
    labels: pd.DataFrame  # LABEL_COLUMNS, one row per annotator (current label)
    opinions: tuple[JudgeOpinion, ...]  # every run, both orders where they exist
    latest: VerdictView | None  # the latest original-order verdict (with probabilities if any)
    adjudication: AdjudicationView | None
    gold: tuple[str, str] | None
    # whose labels ``labels`` holds (the queue's "Labels from"), counted on this comparison: ``scope.labels``
    # rows listed, ``scope.dataset_labels`` every current label of the comparison, skips included
    scope: LabelScope = LabelScope()

    @property
    def outside(self) -> int:
        """How many of the comparison's current labels the scope leaves out of ``labels``."""
        return max(self.scope.dataset_labels - self.scope.labels, 0)

    def label_rows(self) -> tuple[LabelRow, ...]:
        """``labels`` without pandas' NaN/NaT, for answers that are JSON rather than a table."""
        return tuple(
            LabelRow(
                annotator=str(row["annotator"]),
                kind=str(row["kind"]),
                verdict=None if bool(row["skipped"]) or _absent(row["verdict"]) else str(row["verdict"]),
                skipped=bool(row["skipped"]),
                flagged=bool(row["flagged"]),
                confidence=None if _absent(row["confidence"]) else int(row["confidence"]),
                comment=str(row["comment"] or ""),
                version=int(row["version"]),
                updated_at=None if _absent(row["updated_at"]) else pd.Timestamp(row["updated_at"]).to_pydatetime(),
            )
            for row in self.labels.to_dict("records")
        )


def comparison_number(value: Any, missing: str = "Enter a comparison number or click a row of the queue.") -> int:
    """A comparison id typed into a form (Gradio's Number gives floats): a whole number that can exist."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidInput(missing)
    try:
        number = float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        raise InvalidInput(f"{str(value)!r} is not a comparison number; enter a whole number like 12.") from None
    if isinstance(value, bool) or (isinstance(number, float) and (not math.isfinite(number) or number != int(number))):
        raise InvalidInput(f"{value!r} is not a comparison number; enter a whole number like 12.")
    if not 1 <= int(number) <= MAX_ID:
        raise NotFound(f"There is no comparison #{int(number)}: numbers start at 1. Check the number in the queue.")
    return int(number)


def judge_opinions(store: Store, comparison: ComparisonView) -> tuple[JudgeOpinion, ...]:
    """Every stored verdict on ``comparison``: each run in the original and (if judged) swapped order."""
    frame = store.judge_verdicts(comparison.dataset)
    frame = frame[frame["comparison_id"] == comparison.id].sort_values(["run_id", "swapped"], kind="stable")
    return tuple(
        JudgeOpinion(
            run_id=int(row["run_id"]),
            judge=str(row["judge"]),
            profile=str(row["profile"]),
            swapped=bool(row["swapped"]),
            verdict=None if row["verdict"] is None or pd.isna(row["verdict"]) else str(row["verdict"]),
            status=str(row["status"]),
            reason=str(row["reason"] or ""),
            reference=str(row["reference"] or ""),
            probabilities=_probabilities(row),
        )
        for row in frame.to_dict("records")
    )


def people_sides(labels: Mapping[str, Any]) -> set[str]:
    """The verdicts given most often among ``labels`` (annotator -> verdict): one, the people's majority
    (plurality), or several when they tied; empty without labels."""
    counts = Counter(str(v) for v in labels.values() if not _absent(v))
    most = max(counts.values(), default=0)
    return {verdict for verdict, n in counts.items() if n == most}


def queue_reasons(labels: Mapping[str, Any], judge: Any, people_disagree: bool) -> tuple[str, ...]:
    """Why a comparison is in the review queue, the one rule of the Review page and REST's ``reasons``:
    "people disagree" when their labels differ; "judge disagrees" only when the judge's verdict differs from
    the people's majority ("ann4: 2 · ann5: 1 · ann3: 1 | judge 1" is no judge disagreement: s16 campaign 6),
    or, when the people tied, from every side that tied; a judge on one side of a tie: "no majority; judge
    sides with one". A judge verdict that does not count (uncertain, none) gives no judge reason."""
    reasons = [PEOPLE_DISAGREE] if people_disagree else []
    sides = people_sides(labels)
    if _absent(judge) or not sides:
        return tuple(reasons)
    if str(judge) not in sides:
        reasons.append(JUDGE_DISAGREES)
    elif len(sides) > 1:
        reasons.append(JUDGE_SIDES)
    return tuple(reasons)


def _with_reasons(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (``Store.disagreements``) with ``reasons`` (``queue_reasons``) and ``judge_disagrees`` read as
    "with the people's majority" (the store's column: "with someone", which the queue keeps for membership)."""
    frame = frame.copy()
    reasons = [
        queue_reasons(row["labels"] if isinstance(row["labels"], dict) else {}, row["judge_verdict"], bool(among))
        for row, among in zip(frame.to_dict("records"), frame["annotators_disagree"], strict=True)
    ]
    frame["reasons"] = pd.Series(reasons, index=frame.index, dtype=object)
    frame["judge_disagrees"] = [JUDGE_DISAGREES in r for r in reasons]
    return frame


def _queue_entry(row: dict[Any, Any]) -> QueueEntry:
    labels = row["labels"] if isinstance(row["labels"], dict) else {}
    return QueueEntry(
        comparison_id=int(row["comparison_id"]),
        dataset=str(row["dataset"]),
        category=str(row["category"] or ""),
        model1=str(row["model1"]),
        model2=str(row["model2"]),
        labels={str(name): str(verdict) for name, verdict in labels.items()},
        judge_verdict=None if _absent(row["judge_verdict"]) else str(row["judge_verdict"]),
        reasons=tuple(row["reasons"]),
        adjudication=None if _absent(row["adjudication"]) else str(row["adjudication"]),
    )


@dataclass(frozen=True)
class ReviewQueue:
    """The review queue (``ReviewDesk.queue``): its rows and whose labels they were read from."""

    rows: pd.DataFrame  # QUEUE_COLUMNS
    scope: LabelScope

    def entries(self) -> list[QueueEntry]:
        """The rows as plain values, for callers that are not a table (the REST API)."""
        return [_queue_entry(row) for row in self.rows.to_dict("records")]


def scoped_disagreements(store: Store, dataset: str | None, labels_from: str | None) -> tuple[pd.DataFrame, LabelScope]:
    """``Store.disagreements`` among the labels ``labels_from`` keeps (``orchestration.metrics.scoped_labels``;
    None or "all": every label) and the judge verdicts that count (``decisive_verdict``), with the scope and
    what it holds: the Review queue's rows and the Case study's "people disagree with the judge" filter.
    Raises NotFound for a session that is not on the dataset (any dataset when ``dataset`` is None)."""
    labels, scope = scoped_labels(store, dataset, labels_from)
    kept = (
        None
        if scope.kind == ALL
        else {(int(c), str(a)) for c, a in zip(labels["comparison_id"], labels["annotator"], strict=True)}
    )
    return store.disagreements(dataset, counts=decisive_verdict(), kept=kept), scope


def _labels_word(n: int) -> str:
    return f"{n} label" if n == 1 else f"{n} labels"


#: How to see the labels outside a scope (the "Labels from" picker; REST's ``labels_from=all``).
OUTSIDE_HINT = "Choose 'all people' in Labels from to see them."


def item_scope_line(item: ReviewItem) -> str:
    """Which labels an opened comparison lists and how many lie outside the scope, in words: "Labels from
    session 'team': 2 labels; 3 more labels outside this scope. Choose 'all people' in Labels from to see them."
    (the Review page and REST's ``line``, one sentence for both)."""
    scope = item.scope
    held = _labels_word(scope.labels) if scope.labels else "none on this comparison"
    if scope.kind == SESSION:
        text = f"Labels from session '{scope.session}': {held}"
    elif scope.kind == IMPORTED:
        text = f"Imported labels only (given in no session): {held}"
    else:
        text = f"Labels from all people: {held}"
        if scope.imported_labels:
            text += f", {scope.imported_labels} of them imported (given in no session)"
    if item.outside:
        more = f"{item.outside} more {'label' if item.outside == 1 else 'labels'}"
        return f"{text}; {more} outside this scope. {OUTSIDE_HINT}"
    return text + "."


class ReviewDesk:
    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def queue(
        self,
        actor: str | None,
        dataset: str | None = None,
        *,
        open_only: bool = False,
        kind: str = "any",
        labels_from: str | None = None,
        strict: bool = False,
    ) -> ReviewQueue:
        """The comparisons to review (``ReviewQueue.rows``: ``QUEUE_COLUMNS``, ``labels`` maps annotator ->
        verdict), and whose labels it reads with what they hold (``ReviewQueue.scope``: its ``line`` is the
        reports' notice); ``ReviewQueue.entries()`` gives the rows as plain values (the REST API).

        ``open_only``: only those without an adjudication yet. ``kind``: one of ``QUEUE_KINDS``.
        ``labels_from``: whose labels count, as the reports take it (``orchestration.metrics.label_scope_of``:
        None or "all", "imported", a session's name): people disagree, or the judge disagrees with them,
        among those labels alone, and only those are listed. ``strict``: a dataset that does not exist is
        NotFound (REST: a script with a typo must not read "nothing to review"); the page lists an empty
        queue for a typed name. Gold comparisons are left out: their answer is known (the admin set it), so
        people disagreeing on one is an attention-check result (the Dashboard's gold accuracy), not a
        question for a reviewer, and a final label there would only repeat or contradict the gold answer.
        They still open by number. Raises NotFound for a session that is not on the dataset.
        """
        self.access.require(actor, REVIEWER)
        if kind not in QUEUE_KINDS:
            raise StoreError(f"Queue filter {kind!r} is not one of {', '.join(QUEUE_KINDS)}.")
        frame, scope = scoped_disagreements(self.store, dataset or None, labels_from)
        gold = set(self.store.gold_labels(dataset or None)["comparison_id"].astype(int))
        frame = _with_reasons(frame[~frame["comparison_id"].astype(int).isin(gold)])
        if open_only:
            frame = frame[frame["adjudication"].isna()]
        if kind == "people disagree":
            frame = frame[frame["annotators_disagree"].astype(bool)]
        elif kind == "judge disagrees":
            frame = frame[frame["judge_disagrees"].astype(bool)]
        if strict and dataset and frame.empty:
            require_dataset(self.store, dataset)
        return ReviewQueue(frame.reindex(columns=QUEUE_COLUMNS).reset_index(drop=True), scope)

    def item(self, actor: str | None, comparison_id: Any, labels_from: str | None = None) -> ReviewItem:
        """One comparison with everything a reviewer needs; ``comparison_id`` as typed into the form.

        ``labels_from``: whose labels it lists, as the queue takes it (None or "all": every label); a session
        must be one on the comparison's dataset (NotFound otherwise, with the queue's message). The item says
        how many of its labels the scope leaves out (``ReviewItem.outside``, ``item_scope_line``)."""
        self.access.require(actor, REVIEWER)
        comparison = self.store.get_comparison(comparison_number(comparison_id))
        details = self.store.label_details(comparison.dataset)
        labels, scope = scope_rows(
            self.store, comparison.dataset, labels_from, details[details["comparison_id"] == comparison.id]
        )
        return ReviewItem(
            comparison=comparison,
            labels=labels.reindex(columns=LABEL_COLUMNS).reset_index(drop=True),
            opinions=judge_opinions(self.store, comparison),
            latest=self.store.latest_verdict(comparison.id),
            adjudication=self.store.adjudication(comparison.id),
            gold=self.store.gold(comparison.id),
            scope=scope,
        )

    def adjudicate(
        self, actor: str | None, comparison_id: Any, verdict: str | None, rationale: str | None
    ) -> AdjudicationView:
        """Set (or change) the final label of a comparison; the rationale is required."""
        user = self.access.require(actor, REVIEWER)
        number = comparison_number(comparison_id, "Open a comparison from the queue first; nothing was saved.")
        if not verdict:
            raise StoreError("Choose the final label (verdict): 1, 2 or tie; nothing was saved.")
        if verdict not in FINAL_VERDICTS:
            raise StoreError(f"The final label (verdict) must be 1, 2 or tie, not {verdict!r}; nothing was saved.")
        text = (rationale or "").strip()
        if not text:
            raise StoreError("Write a rationale (why this is the final label); nothing was saved.")
        if len(text) > MAX_RATIONALE:
            raise StoreError(f"The rationale is at most {MAX_RATIONALE:,} characters; nothing was saved.")
        return self.store.adjudicate(number, user.name, verdict, text)


def _probabilities(row: Mapping[Any, Any]) -> dict[str, float] | None:
    """A verdict row's p_1 / p_2 / p_tie as ``VerdictView.probabilities`` gives them (None: the judge gave none)."""
    if pd.isna(row["p_1"]):
        return None
    return {"1": float(row["p_1"]), "2": float(row["p_2"] or 0.0), "tie": float(row["p_tie"] or 0.0)}
