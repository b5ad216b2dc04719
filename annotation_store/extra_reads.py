"""Reads the exports and the command line need beyond the entity modules' own: a person's rating's first
save time, the session and guideline version each pairwise label was last given under, and a judge run
found by its fingerprint without creating it.

Kept apart from ``ratings.py``, ``labels.py`` and ``verdicts.py`` (whose reads feed the reports and the
answer flow) so the export columns can grow without changing what those reads return. Times are the store's naive UTC
(``models.utcnow``); ``interchange.exporters`` marks them as UTC when it writes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

from annotation_store.base import StoreBase
from annotation_store.models import (
    AnnotationSession,
    Annotator,
    Comparison,
    Dataset,
    JudgeRun,
    Label,
    Prompt,
    Rating,
    Response,
)

if TYPE_CHECKING:
    import pandas as pd

#: ``Store.rating_times``: one row per person's current rating or skip of the dataset's responses.
RATING_TIME_COLUMNS = ["response_id", "annotator", "created_at"]
#: ``Store.label_sessions``: one row per current label of the dataset (session None: given outside one).
LABEL_SESSION_COLUMNS = ["comparison_id", "annotator", "session", "guideline_version"]


def label_session_rows(dataset: str, *extra: Any) -> Select[Any]:
    """One row per current label of ``dataset``, in the order they were first given: comparison_id, annotator,
    session (its name; None: given outside one), then ``extra`` columns (``label_sessions``, ``label_sources``).
    A caller may outer-join more tables on ``Label``."""
    return (
        select(
            Label.comparison_id,
            Annotator.name.label("annotator"),
            AnnotationSession.name.label("session"),
            *extra,
        )
        .join(Annotator, Label.annotator_id == Annotator.id)
        .outerjoin(AnnotationSession, Label.session_id == AnnotationSession.id)
        .join(Comparison, Label.comparison_id == Comparison.id)
        .join(Dataset, Comparison.dataset_id == Dataset.id)
        .where(Dataset.name == dataset)
        .order_by(Label.id)
    )


class ExtraReadsMixin(StoreBase):
    def rating_times(self, dataset: str) -> pd.DataFrame:
        """RATING_TIME_COLUMNS: when each current rating (or skip) of ``dataset`` was first saved."""
        import pandas as pd

        query = (
            select(Rating.response_id, Annotator.name.label("annotator"), Rating.created_at)
            .join(Annotator, Rating.annotator_id == Annotator.id)
            .join(Response, Rating.response_id == Response.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .join(Dataset, Prompt.dataset_id == Dataset.id)
            .where(Dataset.name == dataset)
            .order_by(Rating.id)
        )
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=RATING_TIME_COLUMNS)

    def label_sessions(self, dataset: str) -> pd.DataFrame:
        """LABEL_SESSION_COLUMNS: the session each current label of ``dataset`` was last given in and the
        guideline version in force then (both None for a label given outside a session, e.g. imported)."""
        import pandas as pd

        query = label_session_rows(dataset, Label.guideline_version)
        with self._read() as session:
            return pd.DataFrame(session.execute(query).mappings().all(), columns=LABEL_SESSION_COLUMNS)

    def judge_run_id(self, fingerprint_key: str) -> int | None:
        """The stored run of the judge with ``fingerprint_key`` (None: none yet), unlike ``ensure_judge_run``
        without creating one: ``rate`` counts what is left to rate before its judge loads."""
        with self._read() as session:
            return session.scalar(select(JudgeRun.id).where(JudgeRun.fingerprint_key == fingerprint_key))
