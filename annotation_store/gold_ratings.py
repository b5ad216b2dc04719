"""Gold responses for grading sessions: attention checks with a known range of right ratings.

A gold response is marked on one scale (5 or 10) with the ratings that count as right (``low`` to
``high``: "obviously poor: 1-2" is one mark) and an explanation graders read after a rating outside
it. Grading sessions on that scale hand gold responses out at their gold rate and leave them out of
the ordinary pool (``answers.gold_due``, ``answers.gold_items``); a session on the other scale treats
the response as an ordinary item. Pairwise gold (``gold_labels``) lives in ``sessions.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import func, select

from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.batch_import import rows_progress
from annotation_store.errors import StoreError
from annotation_store.models import RATING_SCALES, CandidateModel, Dataset, GoldRating, Prompt, Rating, Response

if TYPE_CHECKING:
    import pandas as pd

GOLD_RATING_COLUMNS = ["response_id", "dataset", "model", "scale", "low", "high", "explanation"]
#: How many ids one ``IN (...)`` query of ``set_gold_ratings_many`` holds (SQLite allows 32766 since 3.32).
GOLD_CHUNK = 500
_RIGHT = {"low": "lowest right rating", "high": "highest right rating"}


class GoldImportCounts(NamedTuple):
    """What a bulk gold write did (``set_gold_many``, ``set_gold_ratings_many``): marks new, marks that were gold
    with another answer, range or explanation, and marks already there as they are. Counted inside the write's
    transaction: a count read before it could be stale by the time it commits (another admin's import)."""

    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class GoldRatingMark:
    """One gold response of a bulk write (``set_gold_ratings_many``); ``where`` is its place in the file it
    came from ("gold.csv, row 3 (line 4)"), so a refusal names it."""

    response_id: int
    scale: int
    low: int
    high: int
    explanation: str
    where: str = ""

    @property
    def place(self) -> str:
        return self.where or f"The mark of response {self.response_id}"


def gold_range_problem(scale: Any, low: Any, high: Any) -> tuple[str, str] | None:
    """What is wrong with a gold range, as (field, sentence without its full stop): the field is the
    column of a gold file and of the REST body (scale, low, high); None when 1 <= low <= high <= scale."""
    if isinstance(scale, bool) or scale not in RATING_SCALES:
        return "scale", f"the gold scale must be one of {', '.join(map(str, RATING_SCALES))}, got {scale!r}"
    for value, field in ((low, "low"), (high, "high")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= scale:
            return field, f"the {_RIGHT[field]} must be a whole number from 1 to {scale}, got {value!r}"
    if low > high:
        return "low", f"the lowest right rating ({low}) is above the highest ({high})"
    return None


def check_gold_range(scale: Any, low: Any, high: Any) -> None:
    """Refuse a range that is not whole numbers with 1 <= low <= high <= scale, before any SQL runs."""
    problem = gold_range_problem(scale, low, high)
    if problem is not None:
        text = problem[1]
        raise StoreError(f"{text[0].upper()}{text[1:]}; nothing was saved.")


class GoldRatingsMixin(StoreBase):
    """Mark, unmark and list gold responses (``Store``)."""

    def set_gold_rating(self, response_id: int, scale: int, low: int, high: int, explanation: str = "") -> None:
        """Mark a response as gold on ``scale`` with the right ratings ``low``..``high``; setting it again
        edits the mark (its scale included)."""
        check_gold_range(scale, low, high)
        with self._write() as session:
            if session.get(Response, response_id) is None:
                raise StoreNotFound(f"There is no response with id {response_id}; nothing was saved.")
            row = session.scalar(select(GoldRating).where(GoldRating.response_id == response_id))
            if row is None:
                row = GoldRating(response_id=response_id)
                session.add(row)
            row.scale, row.low, row.high, row.explanation = scale, low, high, explanation or ""

    def set_gold_ratings_many(self, marks: Sequence[GoldRatingMark]) -> GoldImportCounts:
        """Mark many responses as gold in ONE write transaction, all or nothing (``judge-studio gold responses
        import``); returns what it did (``GoldImportCounts``). A bad range, a response marked twice or an unknown
        response refuses the whole batch with the mark's place and column in the message, and nothing is written.
        A response already gold gets the new mark (its scale included), as ``set_gold_rating`` does."""
        if not marks:
            raise StoreError("There are no gold responses to write; nothing was imported.")
        seen: dict[int, str] = {}
        for mark in marks:
            problem = gold_range_problem(mark.scale, mark.low, mark.high)
            if problem is not None:
                raise StoreError(f"{mark.place}, column {problem[0]!r}: {problem[1]}; nothing was imported.")
            if mark.response_id in seen:
                raise StoreError(
                    f"{mark.place}, column 'response_id': response {mark.response_id} is marked already "
                    f"({seen[mark.response_id]}); nothing was imported."
                )
            seen[mark.response_id] = mark.place
        ids = list(seen)
        with self._write() as session:
            known: set[int] = set()
            existing: dict[int, GoldRating] = {}
            for start in range(0, len(ids), GOLD_CHUNK):
                chunk = ids[start : start + GOLD_CHUNK]
                known.update(session.scalars(select(Response.id).where(Response.id.in_(chunk))))
                rows = session.scalars(select(GoldRating).where(GoldRating.response_id.in_(chunk)))
                existing.update((row.response_id, row) for row in rows)
            unchanged, tick = 0, rows_progress(session, len(marks))
            for done, mark in enumerate(marks, start=1):
                if mark.response_id not in known:
                    raise StoreNotFound(
                        f"{mark.place}, column 'response_id': there is no response with id {mark.response_id}; "
                        "nothing was imported."
                    )
                row = existing.get(mark.response_id)
                if row is None:
                    row = GoldRating(response_id=mark.response_id)
                    session.add(row)
                else:
                    unchanged += (row.scale, row.low, row.high, row.explanation) == (
                        mark.scale,
                        mark.low,
                        mark.high,
                        mark.explanation,
                    )
                row.scale, row.low, row.high, row.explanation = mark.scale, mark.low, mark.high, mark.explanation
                tick(done)
            return GoldImportCounts(len(marks) - len(existing), len(existing) - unchanged, unchanged)

    def remove_gold_rating(self, response_id: int) -> int:
        """Remove a response's gold mark; returns how many ratings people gave it, which stay as
        ordinary ratings (and count toward the overlap from then on). Unknown or not gold: refused."""
        with self._write() as session:
            row = session.scalar(select(GoldRating).where(GoldRating.response_id == response_id))
            if row is None:
                if session.get(Response, response_id) is None:
                    raise StoreNotFound(f"There is no response with id {response_id}; nothing was removed.")
                raise StoreNotFound(f"Response #{response_id} is not gold; nothing was removed.")
            session.delete(row)
            kept = select(func.count()).select_from(Rating)
            return int(session.scalar(kept.where(Rating.response_id == response_id, Rating.skipped.is_(False))) or 0)

    def gold_ratings(self, dataset: str | None = None, response_id: int | None = None) -> pd.DataFrame:
        """GOLD_RATING_COLUMNS of the gold responses (of one dataset, or the one response), in response id
        order. An unknown dataset is refused, as ``gold_marks`` refuses it."""
        import pandas as pd

        query = (
            select(
                GoldRating.response_id,
                Dataset.name,
                CandidateModel.name,
                GoldRating.scale,
                GoldRating.low,
                GoldRating.high,
                GoldRating.explanation,
            )
            .join(Response, GoldRating.response_id == Response.id)
            .join(CandidateModel, Response.model_id == CandidateModel.id)
            .join(Prompt, Response.prompt_id == Prompt.id)
            .join(Dataset, Prompt.dataset_id == Dataset.id)
            .order_by(GoldRating.response_id)
        )
        if dataset:
            query = query.where(Dataset.name == dataset)
        if response_id is not None:
            query = query.where(GoldRating.response_id == response_id)
        with self._read() as session:
            if dataset and session.scalar(select(Dataset.id).where(Dataset.name == dataset)) is None:
                raise StoreNotFound(f"There is no dataset {dataset!r}.")
            rows = session.execute(query).all()
        return pd.DataFrame([tuple(row) for row in rows], columns=GOLD_RATING_COLUMNS)
