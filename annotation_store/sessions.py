"""Annotation sessions, gold (attention-check) comparisons, progress and an annotator's history.

A mixin of ``Store``. A session names a dataset and how people label it: ``overlap`` annotators per
comparison, blind or not, the judge revealed after submitting or never, left/right order randomized,
the lease length, the share of gold comparisons, and guidelines. ``Store.lease_next`` does the
assignment; this module holds the configuration and the reads the annotation page needs.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotation_store.errors import StoreError
from annotation_store.models import (
    SESSION_KINDS,
    VERDICT_VALUES,
    AnnotationSession,
    Annotator,
    Assignment,
    Comparison,
    Dataset,
    GoldLabel,
    Label,
)

SESSION_DEFAULTS: dict[str, Any] = {
    "overlap": 1,
    "blind": True,
    "reveal_judge": True,
    "randomize_order": True,
    "lease_seconds": 900,
    "gold_rate": 0.0,
    "guidelines": "",
}
MAX_OVERLAP = 50


@dataclass(frozen=True)
class SessionView:
    name: str
    dataset: str
    kind: str
    overlap: int
    blind: bool
    reveal_judge: bool
    randomize_order: bool
    lease_seconds: int
    gold_rate: float
    guidelines: str
    active: bool


@dataclass(frozen=True)
class Progress:
    """``mine``: comparisons this annotator has answered (labels and skips) in the dataset;
    ``done``: comparisons with at least ``overlap`` labels; ``total``: comparisons in the dataset."""

    mine: int
    done: int
    total: int
    overlap: int


@dataclass(frozen=True)
class HistoryItem:
    comparison_id: int
    verdict: str | None
    skipped: bool
    version: int
    updated_at: datetime


def _session_values(values: dict[str, Any]) -> dict[str, Any]:
    """Validate session settings before any SQL runs; a message names the field."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SESSION_DEFAULTS:
            raise StoreError(f"Unknown session setting {key!r}.")
        if key == "overlap":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_OVERLAP:
                raise StoreError(f"Overlap (annotators per comparison) must be 1 to {MAX_OVERLAP}, got {value!r}.")
        elif key == "lease_seconds":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 7 * 24 * 3600:
                raise StoreError(f"The lease must be 0 seconds to 7 days, got {value!r}.")
        elif key == "gold_rate":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 0.5:
                raise StoreError(f"The gold rate must be a share from 0 to 0.5, got {value!r}.")
            value = float(value)
        elif key == "guidelines":
            if not isinstance(value, str) or len(value) > 50_000:
                raise StoreError("Guidelines must be text of at most 50,000 characters.")
        elif not isinstance(value, bool):
            raise StoreError(f"Session setting {key!r} must be true or false, got {value!r}.")
        out[key] = value
    return out


def _session_view(row: AnnotationSession, dataset: str) -> SessionView:
    return SessionView(
        row.name,
        dataset,
        row.kind,
        row.overlap,
        bool(row.blind),
        bool(row.reveal_judge),
        bool(row.randomize_order),
        row.lease_seconds,
        float(row.gold_rate),
        row.guidelines,
        bool(row.active),
    )


class SessionsMixin:
    """Sessions, gold labels, progress and history for ``Store``."""

    if TYPE_CHECKING:  # provided by Store

        def _read(self) -> AbstractContextManager[Session]: ...
        def _write(self) -> AbstractContextManager[Session]: ...

    # ------------------------------------------------------------------ sessions
    def save_session(self, name: str, dataset: str, **settings: Any) -> SessionView:
        """Create the session ``name`` on ``dataset``, or change the given settings of an existing one.

        ``kind``: 'pairwise' (the default for a new session) or 'single' (single-answer grading)."""
        cleaned = (name or "").strip() if isinstance(name, str) else ""
        if not cleaned or len(cleaned) > 200:
            raise StoreError("A session needs a name of 1 to 200 characters.")
        active = settings.pop("active", None)
        kind = settings.pop("kind", None)
        if kind is not None and kind not in SESSION_KINDS:
            raise StoreError(f"Session kind {kind!r} is not one of {', '.join(SESSION_KINDS)}; nothing was saved.")
        values = _session_values(settings)
        with self._write() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreError(f"There is no dataset {dataset!r}; import it first.")
            row = session.scalar(select(AnnotationSession).where(AnnotationSession.name == cleaned))
            if row is None:
                row = AnnotationSession(name=cleaned, dataset_id=dataset_id, kind="pairwise", active=True)
                for key, default in SESSION_DEFAULTS.items():
                    setattr(row, key, default)
                session.add(row)
            row.dataset_id = dataset_id
            for key, value in values.items():
                setattr(row, key, value)
            if active is not None:
                row.active = bool(active)
            if kind is not None:
                row.kind = kind
            session.flush()
            return _session_view(row, dataset)

    def sessions(self, *, active_only: bool = False) -> list[SessionView]:
        query = (
            select(AnnotationSession, Dataset.name)
            .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
            .order_by(AnnotationSession.id)
        )
        if active_only:
            query = query.where(AnnotationSession.active.is_(True))
        with self._read() as session:
            return [_session_view(row, dataset) for row, dataset in session.execute(query).all()]

    def get_session(self, name: str) -> SessionView:
        with self._read() as session:
            found = session.execute(
                select(AnnotationSession, Dataset.name)
                .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
                .where(AnnotationSession.name == name)
            ).first()
            if found is None:
                raise StoreError(f"There is no annotation session {name!r}.")
            return _session_view(found[0], found[1])

    # ------------------------------------------------------------------ gold
    def set_gold(self, comparison_id: int, verdict: str, explanation: str = "") -> None:
        """Mark a comparison as gold with its known answer (canonical order); setting it again edits it."""
        if verdict not in VERDICT_VALUES:
            raise StoreError(f"Gold answer {verdict!r} is not one of {', '.join(VERDICT_VALUES)}.")
        with self._write() as session:
            if session.get(Comparison, comparison_id) is None:
                raise StoreError(f"There is no comparison with id {comparison_id}.")
            row = session.scalar(select(GoldLabel).where(GoldLabel.comparison_id == comparison_id))
            if row is None:
                row = GoldLabel(comparison_id=comparison_id)
                session.add(row)
            row.verdict, row.explanation = verdict, explanation or ""

    def gold(self, comparison_id: int) -> tuple[str, str] | None:
        """(verdict, explanation) when the comparison is gold, else None."""
        with self._read() as session:
            row = session.scalar(select(GoldLabel).where(GoldLabel.comparison_id == comparison_id))
            return (row.verdict, row.explanation) if row else None

    def gold_labels(self, dataset: str | None = None) -> pd.DataFrame:
        """comparison_id, verdict, explanation of the gold comparisons (of one dataset)."""
        query = select(GoldLabel.comparison_id, GoldLabel.verdict, GoldLabel.explanation).order_by(
            GoldLabel.comparison_id
        )
        if dataset:
            query = (
                query.join(Comparison, GoldLabel.comparison_id == Comparison.id)
                .join(Dataset, Comparison.dataset_id == Dataset.id)
                .where(Dataset.name == dataset)
            )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=["comparison_id", "verdict", "explanation"])

    def presented_swapped(self, comparison_id: int, annotator: str) -> bool | None:
        """The left/right order this annotator was shown this comparison in (their label's, else their
        lease's), or None if they were never shown it."""
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
    def progress(self, annotator: str, dataset: str, overlap: int = 1) -> Progress:
        with self._read() as session:
            dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
            if dataset_id is None:
                raise StoreError(f"There is no dataset {dataset!r}.")
            in_dataset = select(Comparison.id).where(Comparison.dataset_id == dataset_id)
            total = int(session.scalar(select(func.count()).select_from(in_dataset.subquery())) or 0)
            mine = int(
                session.scalar(
                    select(func.count())
                    .select_from(Label)
                    .join(Annotator, Label.annotator_id == Annotator.id)
                    .where(Annotator.name == (annotator or "").strip(), Label.comparison_id.in_(in_dataset))
                )
                or 0
            )
            per_item = (
                select(Label.comparison_id)
                .where(Label.comparison_id.in_(in_dataset), Label.skipped.is_(False))
                .group_by(Label.comparison_id)
                .having(func.count() >= overlap)
                .subquery()
            )
            done = int(session.scalar(select(func.count()).select_from(per_item)) or 0)
        return Progress(mine=mine, done=done, total=total, overlap=overlap)

    def history(self, annotator: str, dataset: str | None = None, limit: int = 50) -> list[HistoryItem]:
        """This annotator's latest labels, newest first (for going back and editing)."""
        query = (
            select(Label.comparison_id, Label.verdict, Label.skipped, Label.version, Label.updated_at)
            .join(Annotator, Label.annotator_id == Annotator.id)
            .where(Annotator.name == (annotator or "").strip())
            .order_by(Label.updated_at.desc(), Label.id.desc())
            .limit(limit)
        )
        if dataset:
            query = (
                query.join(Comparison, Label.comparison_id == Comparison.id)
                .join(Dataset, Comparison.dataset_id == Dataset.id)
                .where(Dataset.name == dataset)
            )
        with self._read() as session:
            return [HistoryItem(c, v, bool(s), n, t) for c, v, s, n, t in session.execute(query).all()]

    def label_details(self, dataset: str | None = None) -> pd.DataFrame:
        """Every current label with all it holds: comparison_id, annotator, kind, verdict, skipped,
        flagged, confidence, comment, time_on_item_ms, presented_swapped, version, created_at, updated_at."""
        columns = [
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
        ]
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
            )
            .join(Annotator, Label.annotator_id == Annotator.id)
            .order_by(Label.id)
        )
        if dataset:
            query = (
                query.join(Comparison, Label.comparison_id == Comparison.id)
                .join(Dataset, Comparison.dataset_id == Dataset.id)
                .where(Dataset.name == dataset)
            )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=columns)
