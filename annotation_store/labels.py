"""Pairwise labels: a person's verdict on a comparison (or a skip), adjudications and the review queue.

Labels go through the one answer flow (``answers.py``) as the 'pairwise' kind: ``LABELS`` names
their tables, and ``Store.lease``/``Store.submit`` lease and check them in a session. The methods
here are the sessionless writes kept for imports and scripts (``save_label``, ``lease_next``) and
the reads that reviews, exports and the dashboard need.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from annotation_store.accounts import clean_name
from annotation_store.answers import (
    AnswerKind,
    AnswersMixin,
    Pool,
    annotator_id,
    dataset_id_of,
    first_answer,
    history_ids,
    progress,
)
from annotation_store.base import StoreForbidden, StoreNotFound
from annotation_store.datasets import DatasetsMixin, comparisons_in, read_comparison
from annotation_store.errors import StoreError
from annotation_store.extra_reads import label_session_rows
from annotation_store.models import (
    CONFIDENCE_RANGE,
    RATING_RANGE,
    VERDICT_VALUES,
    Adjudication,
    Annotator,
    Assignment,
    Comparison,
    Dataset,
    GoldLabel,
    JudgeVerdict,
    Label,
    LabelEvent,
    utcnow,
)
from annotation_store.sessions import SESSION_DEFAULTS
from annotation_store.set_aside import counted, set_aside_mark
from annotation_store.verdicts import read_latest_verdict
from annotation_store.views import AdjudicationView, ComparisonView, HistoryItem, LabelView, Progress

if TYPE_CHECKING:
    import pandas as pd

MAX_COMMENT = 10_000
MAX_TIME_ON_ITEM_MS = 7 * 24 * 3600 * 1000  # a week: anything longer is a broken client clock
DISAGREEMENT_COLUMNS = [
    "comparison_id",
    "labels",
    "n_labels",
    "judge_verdict",
    "annotators_disagree",
    "judge_disagrees",
    "adjudication",
]
#: ``Store.adjudications``: a reviewer's final label per comparison (the people's label in every report)
ADJUDICATION_COLUMNS = ["comparison_id", "verdict", "reviewer", "rationale", "created_at", "updated_at"]
DETAIL_COLUMNS = [
    "comparison_id",
    "annotator",
    "kind",
    "verdict",
    "skipped",
    "flagged",
    "confidence",
    "comment",
    "time_on_item_ms",
    "presented_swapped",
    "version",
    "created_at",
    "updated_at",
    "first_verdict",  # the verdict of the label's first answer that was no skip (what a gold check counts)
]


#: ``disagreements``' rule for a judge verdict: (verdict, {"1", "2", "tie"} probabilities or None) -> counts
VerdictCounts = Callable[[str | None, dict[str, float] | None], bool]


def _probabilities(p_1: float | None, p_2: float | None, p_tie: float | None) -> dict[str, float] | None:
    """A verdict's probabilities as ``VerdictView.probabilities`` reads them (None: the judge gave none)."""
    return None if p_1 is None else {"1": p_1, "2": p_2 or 0.0, "tie": p_tie or 0.0}


def _int_in(value: Any, field: str, low: int, high: int) -> int | None:
    """None, or an int (not a bool) in ``low..high``; else a StoreError naming the field and the range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StoreError(f"The {field} must be a whole number from {low} to {high}, got {value!r}; nothing was saved.")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise StoreError(f"{field} must be True or False, got {value!r}; nothing was saved.")
    return value


def _order(value: Any) -> dict[str, bool]:
    """``presented_swapped`` as values to write: {} when the order is not known (None), so a new label
    stores NULL (left out of people's position preference) and an edit keeps the order it was given in."""
    if value is None:
        return {}
    if not isinstance(value, bool):
        raise StoreError(
            f"presented_swapped must be True, False or None (order not known), got {value!r}; nothing was saved."
        )
    return {"presented_swapped": value}


def label_values(
    verdict: str | None,
    rating: int | None,
    confidence: int | None,
    comment: str,
    skipped: bool,
    flagged: bool,
    time_on_item_ms: int | None,
    presented_swapped: bool | None,
) -> dict[str, Any]:
    """Validate everything of a label but its ids, before any SQL runs (so a refusal writes nothing).
    ``presented_swapped`` None: the order it was shown in is not known (nothing is written for it)."""
    if verdict is not None and verdict not in VERDICT_VALUES:
        raise StoreError(f"Label {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
    values: dict[str, Any] = {
        "rating": _int_in(rating, "rating", *RATING_RANGE),
        "confidence": _int_in(confidence, "confidence", *CONFIDENCE_RANGE),
        "skipped": _flag(skipped, "skipped"),
        "flagged": _flag(flagged, "flagged"),
        "time_on_item_ms": _int_in(time_on_item_ms, "time on item (ms)", 0, MAX_TIME_ON_ITEM_MS),
        **_order(presented_swapped),
    }
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise StoreError(f"The comment must be text of at most {MAX_COMMENT} characters; nothing was saved.")
    values["comment"] = comment
    if skipped and (verdict is not None or rating is not None):
        raise StoreError("A skipped item has no verdict and no rating; send verdict=None, rating=None.")
    if not skipped and (verdict is None) == (rating is None):
        raise StoreError(
            f"A label needs exactly one of a verdict ({', '.join(VERDICT_VALUES)}) or a rating "
            f"({RATING_RANGE[0]}-{RATING_RANGE[1]}), or skipped=True; nothing was saved."
        )
    return values


def label_view(label: Label, name: str) -> LabelView:
    return LabelView(
        label.comparison_id,
        name,
        label.verdict,
        label.version,
        rating=label.rating,
        confidence=label.confidence,
        comment=label.comment,
        skipped=bool(label.skipped),
        flagged=bool(label.flagged),
        time_on_item_ms=label.time_on_item_ms,
        presented_swapped=None if label.presented_swapped is None else bool(label.presented_swapped),
    )


def _check_label(
    verdict: str | None = None,
    rating: int | None = None,
    confidence: int | None = None,
    comment: str = "",
    skipped: bool = False,
    flagged: bool = False,
    time_on_item_ms: int | None = None,
    presented_swapped: bool | None = None,
) -> dict[str, Any]:
    values = label_values(verdict, rating, confidence, comment, skipped, flagged, time_on_item_ms, presented_swapped)
    return {"verdict": verdict, **values}


LABELS = AnswerKind(
    name="pairwise",
    row=Label,
    event=LabelEvent,
    lease=Assignment,
    item="comparison_id",
    event_link="label_id",
    event_fields=("verdict", "rating", "confidence", "comment", "skipped", "flagged"),
    noun="label on comparison",
    item_noun="Comparison",
    items_in=comparisons_in,
    read_item=read_comparison,
    answer_view=label_view,
    judge_of=read_latest_verdict,
    judge_rows=JudgeVerdict,
    check=_check_label,
    item_model=Comparison,
    short="label",
    ordered=True,
    gold=GoldLabel,
    gold_view=lambda row: (row.verdict, row.explanation),
)


class LabelsMixin(AnswersMixin, DatasetsMixin):
    """Pairwise labels, adjudications and the review reads for ``Store``."""

    def save_label(
        self,
        comparison_id: int,
        annotator: str,
        verdict: str | None,
        *,
        idempotency_key: str | None = None,
        rating: int | None = None,
        confidence: int | None = None,
        comment: str = "",
        skipped: bool = False,
        flagged: bool = False,
        time_on_item_ms: int | None = None,
        presented_swapped: bool | None = None,
        expected_version: int | None = None,
    ) -> LabelView:
        """Insert or change this annotator's label on the comparison; every change is logged.

        Sending the same ``idempotency_key`` twice stores the label once and returns the label as it
        is now: a late retry of an earlier submission never overwrites a later one, because every
        accepted submission's key is kept in the event log. A label is a pairwise ``verdict`` or a
        single-answer ``rating`` (1-10), exactly one, or a skip (``skipped=True``, verdict and rating
        None). Saving exactly what is stored adds no version. ``expected_version`` makes an edit
        optimistic: it is refused when someone (another tab) changed the label since it was read;
        ``0`` means "I expect no label yet". ``presented_swapped``: the left/right order the person saw
        (True: response 2 on the left), as ``lease_next`` drew it; None (imports, scripts that know no
        order): a new label stores NULL, which people's position preference leaves out (and counts),
        and an edit keeps the stored order.
        """
        values = _check_label(
            verdict, rating, confidence, comment, skipped, flagged, time_on_item_ms, presented_swapped
        )
        return self._save_sessionless(LABELS, annotator, comparison_id, values, idempotency_key, expected_version)

    def label_of(self, comparison_id: int, annotator: str) -> LabelView | None:
        """This annotator's current label on the comparison, or None."""
        name = (annotator or "").strip()
        with self._read() as session:
            label = session.scalar(
                select(Label)
                .join(Annotator, Label.annotator_id == Annotator.id)
                .where(Label.comparison_id == comparison_id, Annotator.name == name)
            )
            return label_view(label, name) if label is not None else None

    def labels(self, dataset: str | None = None) -> pd.DataFrame:
        """Current pairwise labels: comparison_id, annotator, verdict, model1, model2, category, updated_at.

        Rating-only labels and skips have no verdict and are left out: every consumer (agreement,
        win tables, exports) compares verdicts.
        """
        import pandas as pd

        query = (
            select(Label.comparison_id, Annotator.name.label("annotator"), Label.verdict, Label.updated_at)
            .join(Annotator, Label.annotator_id == Annotator.id)
            .where(Label.verdict.is_not(None), counted(Label.annotator_id))
            .order_by(Label.id)
        )
        with self._read() as session:
            frame = pd.DataFrame(
                session.execute(query).mappings().all(),
                columns=["comparison_id", "annotator", "verdict", "updated_at"],
            )
        return self._with_comparison_columns(frame, dataset)

    def label_events(self) -> pd.DataFrame:
        import pandas as pd

        with self._read() as session:
            rows = (
                session.execute(
                    select(
                        LabelEvent.label_id,
                        LabelEvent.comparison_id,
                        LabelEvent.action,
                        LabelEvent.verdict,
                        LabelEvent.version,
                    ).order_by(LabelEvent.id)
                )
                .mappings()
                .all()
            )
        return pd.DataFrame(rows, columns=["label_id", "comparison_id", "action", "verdict", "version"])

    def lease_next(
        self,
        annotator: str,
        dataset: str | None = None,
        *,
        overlap: int = 1,
        lease_seconds: int = SESSION_DEFAULTS["lease_seconds"],
        randomize_order: bool = True,
        seed: int | None = None,
        gold_rate: float = 0.0,
    ) -> tuple[ComparisonView, bool] | None:
        """Lease the next comparison of ``dataset`` (None: of any) outside a session: ``(comparison,
        presented_swapped)``, or None when this annotator is done. For scripts and tests; people work
        in sessions (``Store.lease``), where coverage, leases and reveals are per session.

        The same flow as a session's (``answers.lease``): pick and lease in one write transaction,
        the least covered comparison first (answers plus others' live leases, below ``overlap``),
        never one this annotator answered, their live lease again after a reload, the left/right
        order drawn once per (comparison, annotator) (reproducibly with ``seed``) and kept, and with
        ``gold_rate`` r > 0 one gold comparison in each block of 1/r items, at a place drawn from
        ``seed`` (``answers.gold_due``).
        """
        pool = Pool(None, None, overlap, lease_seconds, randomize_order, gold_rate, seed)
        leased: tuple[ComparisonView, bool] | None = self._lease_sessionless(LABELS, annotator, dataset, pool)
        return leased

    def progress(self, annotator: str, dataset: str, overlap: int = 1) -> Progress:
        """Progress on a whole dataset, every label counted (see ``Store.answer_progress`` for a session)."""
        with self._read() as session:
            pool = Pool(dataset_id_of(session, dataset), overlap=overlap)
            return progress(session, LABELS, pool, annotator_id(session, annotator))

    def history(self, annotator: str, dataset: str | None = None, limit: int = 50) -> list[HistoryItem]:
        """This annotator's latest labels (of one dataset), newest first."""
        with self._read() as session:
            who = annotator_id(session, annotator)
            if who is None:
                return []
            pool = Pool(dataset_id_of(session, dataset) if dataset else None)
            ids = history_ids(session, LABELS, pool, who, limit)
            rows = session.scalars(select(Label).where(Label.annotator_id == who, Label.comparison_id.in_(ids)))
            by_id = {row.comparison_id: row for row in rows}
            return [
                HistoryItem(c, by_id[c].verdict, bool(by_id[c].skipped), by_id[c].version, by_id[c].updated_at)
                for c in ids
            ]

    def presented_swapped(self, comparison_id: int, annotator: str) -> bool | None:
        """The left/right order this annotator was shown this comparison in (their label's, else their
        lease's), or None if that is not known (never shown, or a label imported without an order)."""
        name = (annotator or "").strip()
        with self._read() as session:
            for model in (Label, Assignment):
                found = session.scalar(
                    select(model.presented_swapped)
                    .join(Annotator, model.annotator_id == Annotator.id)
                    .where(model.comparison_id == comparison_id, Annotator.name == name)
                )
                if found is not None:
                    return bool(found)
        return None

    # ------------------------------------------------------------------ progress and history

    def label_details(self, dataset: str | None = None, *, with_set_aside: bool = False) -> pd.DataFrame:
        """Every current label that counts with all it holds: DETAIL_COLUMNS. ``with_set_aside`` (the raw labels
        export): the labels of accounts whose answers are set aside too, and a ``set_aside`` column (True/False)."""
        import pandas as pd

        mark = [set_aside_mark(Label.annotator_id).label("set_aside")] if with_set_aside else []
        query = (
            select(
                Label.comparison_id,
                Annotator.name.label("annotator"),
                Annotator.kind,
                Label.verdict,
                Label.skipped,
                Label.flagged,
                Label.confidence,
                Label.comment,
                Label.time_on_item_ms,
                Label.presented_swapped,
                Label.version,
                Label.created_at,
                Label.updated_at,
                first_answer(LABELS, "verdict").label("first_verdict"),
                *mark,
            )
            .join(Annotator, Label.annotator_id == Annotator.id)
            .order_by(Label.id)
        )
        if not with_set_aside:
            query = query.where(counted(Label.annotator_id))
        if dataset:
            query = (
                query.join(Comparison, Label.comparison_id == Comparison.id)
                .join(Dataset, Comparison.dataset_id == Dataset.id)
                .where(Dataset.name == dataset)
            )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        frame = pd.DataFrame(rows, columns=[*DETAIL_COLUMNS, *(["set_aside"] if with_set_aside else [])])
        return frame.astype({"set_aside": bool}) if with_set_aside else frame

    def label_sources(self, dataset: str) -> pd.DataFrame:
        """Where each current label of ``dataset`` came from: comparison_id, annotator, session (the name
        of the session it was given in; None: given in no session, e.g. imported from a file) and
        gold_marked_at (when its comparison was marked gold; NaT: not gold). The reports read it to scope
        people's figures to one session or to the imported labels, and to tell a gold check someone took
        from a label that only lies on a comparison marked gold later."""
        import pandas as pd

        query = label_session_rows(dataset, GoldLabel.created_at.label("gold_marked_at")).outerjoin(
            GoldLabel, GoldLabel.comparison_id == Label.comparison_id
        )
        query = query.where(counted(Label.annotator_id))
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        frame = pd.DataFrame(rows, columns=["comparison_id", "annotator", "session", "gold_marked_at"])
        return frame.assign(gold_marked_at=pd.to_datetime(frame["gold_marked_at"]))

    def adjudicate(self, comparison_id: int, reviewer: str, verdict: str, rationale: str) -> AdjudicationView:
        """Store (or change) the final label of a comparison; only reviewers and admins may.

        One adjudication per comparison: a second call edits it (new verdict, rationale, reviewer,
        ``updated_at``), so the final answer is always unambiguous. The rationale is required: an
        overruled majority must be explainable.
        """
        name = clean_name(reviewer)
        if verdict not in VERDICT_VALUES:
            raise StoreError(f"Adjudication {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
        if not isinstance(rationale, str) or not rationale.strip():
            raise StoreError("An adjudication needs a rationale (why this verdict); nothing was saved.")
        with self._write() as session:
            person = session.scalar(select(Annotator).where(Annotator.name == name))
            if person is None or not person.active or person.role not in ("reviewer", "admin"):
                raise StoreForbidden(f"{name!r} may not adjudicate: only active reviewers and admins may.")
            if session.get(Comparison, comparison_id) is None:
                raise StoreNotFound(f"There is no comparison with id {comparison_id}; nothing was saved.")
            row = session.scalar(select(Adjudication).where(Adjudication.comparison_id == comparison_id))
            if row is None:
                row = Adjudication(comparison_id=comparison_id, reviewer_id=person.id, verdict=verdict)
                session.add(row)
            else:
                row.updated_at = utcnow()
            row.reviewer_id, row.verdict, row.rationale = person.id, verdict, rationale.strip()
            session.flush()
            return AdjudicationView(comparison_id, name, row.verdict, row.rationale, row.created_at, row.updated_at)

    def adjudication(self, comparison_id: int) -> AdjudicationView | None:
        with self._read() as session:
            found = session.execute(
                select(Adjudication, Annotator.name)
                .join(Annotator, Adjudication.reviewer_id == Annotator.id)
                .where(Adjudication.comparison_id == comparison_id)
            ).first()
            if found is None:
                return None
            row, name = found
            return AdjudicationView(comparison_id, name, row.verdict, row.rationale, row.created_at, row.updated_at)

    def adjudications(self, dataset: str | None = None) -> pd.DataFrame:
        """Every adjudication (of ``dataset``): ADJUDICATION_COLUMNS plus dataset, category, model1, model2.

        The reports and exports read them here: an adjudicated verdict is the people's label of its
        comparison (``analysis.aggregation.settle``), and ``updated_at`` changes with every edit, so a
        cache keyed on these rows sees a changed verdict or rationale.
        """
        import pandas as pd

        query = (
            select(
                Adjudication.comparison_id,
                Adjudication.verdict,
                Annotator.name.label("reviewer"),
                Adjudication.rationale,
                Adjudication.created_at,
                Adjudication.updated_at,
            )
            .join(Annotator, Adjudication.reviewer_id == Annotator.id)
            .order_by(Adjudication.comparison_id)
        )
        with self._read() as session:
            frame = pd.DataFrame(session.execute(query).mappings().all(), columns=ADJUDICATION_COLUMNS)
        return self._with_comparison_columns(frame, dataset)

    def disagreements(
        self,
        dataset: str | None = None,
        *,
        counts: VerdictCounts | None = None,
        kept: AbstractSet[tuple[int, str]] | None = None,
    ) -> pd.DataFrame:
        """Comparisons to review: annotators' verdicts differ, or differ from the latest judge verdict.

        ``counts(verdict, probabilities)``: whether a judge verdict counts as an answer (the caller's rule:
        an uncertain one does not, ``analysis.verdicts.outcome``); one that does not is no disagreement.
        ``kept``: the (comparison_id, annotator) labels that count (the Review queue's "Labels from" scope);
        None: every label. The others are left out of ``labels`` and of both disagreements.

        One row per such comparison: comparison_id, labels (annotator -> verdict), n_labels,
        judge_verdict (latest original-order ``ok`` verdict of any run, or None), annotators_disagree,
        judge_disagrees, adjudication (the final verdict if one exists), plus dataset, category,
        model1, model2. Only pairwise verdicts count (ratings and skips have none).
        """
        import pandas as pd

        labels = (
            select(Label.comparison_id, Annotator.name, Label.verdict)
            .join(Annotator, Label.annotator_id == Annotator.id)
            .where(Label.verdict.is_not(None), counted(Label.annotator_id))
            .order_by(Label.comparison_id, Label.id)
        )
        verdicts = (
            select(
                JudgeVerdict.comparison_id, JudgeVerdict.verdict, JudgeVerdict.p_1, JudgeVerdict.p_2, JudgeVerdict.p_tie
            )
            .where(JudgeVerdict.swapped.is_(False), JudgeVerdict.status == "ok")
            .order_by(JudgeVerdict.created_at, JudgeVerdict.id)
        )
        with self._read() as session:
            by_item: dict[int, dict[str, str | None]] = {}
            for comparison_id, name, verdict in session.execute(labels):
                if kept is not None and (comparison_id, name) not in kept:
                    continue
                by_item.setdefault(comparison_id, {})[name] = verdict
            judged: dict[int, str | None] = {  # later rows win: the latest
                c: v if counts is None or counts(v, _probabilities(p1, p2, pt)) else None
                for c, v, p1, p2, pt in session.execute(verdicts)
            }
            final = {c: v for c, v in session.execute(select(Adjudication.comparison_id, Adjudication.verdict))}
        rows = []
        for comparison_id, given in by_item.items():
            values = set(given.values())
            judge = judged.get(comparison_id)
            among = len(values) > 1
            against = judge is not None and any(v != judge for v in values)
            if among or against:
                rows.append(
                    {
                        "comparison_id": comparison_id,
                        "labels": given,
                        "n_labels": len(given),
                        "judge_verdict": judge,
                        "annotators_disagree": among,
                        "judge_disagrees": against,
                        "adjudication": final.get(comparison_id),
                    }
                )
        frame = pd.DataFrame(rows, columns=DISAGREEMENT_COLUMNS)
        return self._with_comparison_columns(frame, dataset)
