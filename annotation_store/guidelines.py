"""Session guideline versions: every saved change of a session's guidelines is kept, numbered per
session from 1, and each label records the version in force when its item was handed out (the lease's
time: what the annotator could read while answering, even when a new version was saved before they
submitted).

Why: guidelines edited half-way change what people are asked, so agreement before and after the
edit is not comparable. ``record_guidelines`` runs inside the session save's transaction (a new
version only when the text differs from the latest one); ``answers.py`` stamps each submitted label
with ``guideline_version_at`` its lease's time inside the submit's transaction (the one rule: the latest
version saved at or before that time, ``version_at`` for rows already read, e.g. the ratings export); the report reads
``guideline_labels`` and ``guideline_versions_frame`` to show agreement per version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.models import AnnotationSession, Annotator, Dataset, GuidelineVersion, Label
from annotation_store.set_aside import counted

if TYPE_CHECKING:
    import pandas as pd

GUIDELINE_LABEL_COLUMNS = ["comparison_id", "annotator", "verdict", "session", "guideline_version"]
GUIDELINE_VERSION_COLUMNS = ["session", "version", "created_at", "created_by", "chars"]


@dataclass(frozen=True)
class GuidelineVersionView:
    """One saved version of a session's guidelines (``Store.guideline_versions``)."""

    session: str
    version: int
    text: str
    created_at: datetime
    created_by: str | None


def guideline_version_in_force(session: Session, session_id: int) -> int | None:
    """The latest guideline version of the session (None before its first save)."""
    found = session.scalar(select(func.max(GuidelineVersion.version)).where(GuidelineVersion.session_id == session_id))
    return int(found) if found is not None else None


def version_at(versions: Iterable[tuple[int, datetime]], when: datetime | None) -> int | None:
    """The version in force at ``when`` among ``versions`` ((version, saved at) pairs of one session): the
    latest saved at or before it (None: none was; ``when`` None: the latest of all)."""
    saved = [int(v) for v, at in versions if when is None or at <= when]
    return max(saved) if saved else None


def guideline_version_at(session: Session, session_id: int, when: datetime | None) -> int | None:
    """``version_at`` read in the database: the session's guideline version in force at ``when`` (a
    lease's time), i.e. the latest saved at or before it; None when none was (``when`` None: the latest)."""
    query = select(func.max(GuidelineVersion.version)).where(GuidelineVersion.session_id == session_id)
    if when is not None:
        query = query.where(GuidelineVersion.created_at <= when)
    found = session.scalar(query)
    return int(found) if found is not None else None


def record_guidelines(session: Session, row: AnnotationSession, editor: str | None) -> int:
    """Add the next guideline version when the session's text differs from its latest version (the
    first save always adds version 1); returns the version in force. Runs in the save's transaction."""
    latest = session.scalar(
        select(GuidelineVersion)
        .where(GuidelineVersion.session_id == row.id)
        .order_by(GuidelineVersion.version.desc())
        .limit(1)
    )
    if latest is not None and latest.text == row.guidelines:
        return int(latest.version)
    number = 1 if latest is None else int(latest.version) + 1
    who = (editor or "").strip()[:100] or None
    session.add(GuidelineVersion(session_id=row.id, version=number, text=row.guidelines, created_by=who))
    session.flush()
    return number


class GuidelinesMixin(StoreBase):
    """Reading guideline versions and the labels given under each, for ``Store``."""

    def guideline_versions(self, name: str | None = None) -> list[GuidelineVersionView]:
        """Every saved version of the session's guidelines (every session's when ``name`` is None),
        oldest first: the text, when and by whom it was saved. Raises StoreNotFound for an unknown session."""
        query = (
            select(GuidelineVersion, AnnotationSession.name)
            .join(AnnotationSession, GuidelineVersion.session_id == AnnotationSession.id)
            .order_by(AnnotationSession.id, GuidelineVersion.version)
        )
        with self._read() as session:
            if name is not None:
                found = session.scalar(select(AnnotationSession.id).where(AnnotationSession.name == name))
                if found is None:
                    raise StoreNotFound(f"There is no annotation session {name!r}.")
                query = query.where(GuidelineVersion.session_id == found)
            return [
                GuidelineVersionView(title, v.version, v.text, v.created_at, v.created_by)
                for v, title in session.execute(query).all()
            ]

    def guideline_labels(self, dataset: str) -> pd.DataFrame:
        """The dataset's pairwise labels given in a session, with the guideline version each was last
        submitted under: GUIDELINE_LABEL_COLUMNS (guideline_version NaN: unknown)."""
        import pandas as pd

        query = (
            select(
                Label.comparison_id,
                Annotator.name.label("annotator"),
                Label.verdict,
                AnnotationSession.name.label("session"),
                Label.guideline_version,
            )
            .join(Annotator, Label.annotator_id == Annotator.id)
            .join(AnnotationSession, Label.session_id == AnnotationSession.id)
            .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
            .where(Dataset.name == dataset, Label.verdict.is_not(None), counted(Label.annotator_id))
            .order_by(Label.id)
        )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=GUIDELINE_LABEL_COLUMNS)

    def guideline_versions_frame(self, dataset: str) -> pd.DataFrame:
        """GUIDELINE_VERSION_COLUMNS of every guideline version of the dataset's pairwise sessions (the
        text's length in characters, not the text: the report shows figures, the Admin page the text)."""
        import pandas as pd

        query = (
            select(
                AnnotationSession.name.label("session"),
                GuidelineVersion.version,
                GuidelineVersion.created_at,
                GuidelineVersion.created_by,
                func.length(GuidelineVersion.text).label("chars"),
            )
            .join(AnnotationSession, GuidelineVersion.session_id == AnnotationSession.id)
            .join(Dataset, AnnotationSession.dataset_id == Dataset.id)
            .where(Dataset.name == dataset, AnnotationSession.kind == "pairwise")
            .order_by(AnnotationSession.id, GuidelineVersion.version)
        )
        with self._read() as session:
            rows = session.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=GUIDELINE_VERSION_COLUMNS)
