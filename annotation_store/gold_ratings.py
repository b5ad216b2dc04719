"""Gold responses for grading sessions: attention checks with a known range of right ratings.

A gold response is marked on one scale (5 or 10) with the ratings that count as right (``low`` to
``high``: "obviously poor: 1-2" is one mark) and an explanation graders read after a rating outside
it. Grading sessions on that scale hand gold responses out at their gold rate and leave them out of
the ordinary pool (``answers.gold_due``, ``answers.gold_items``); a session on the other scale treats
the response as an ordinary item. Pairwise gold (``gold_labels``) lives in ``sessions.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select

from annotation_store.base import StoreBase, StoreNotFound
from annotation_store.errors import StoreError
from annotation_store.models import RATING_SCALES, CandidateModel, Dataset, GoldRating, Prompt, Rating, Response

GOLD_RATING_COLUMNS = ["response_id", "dataset", "model", "scale", "low", "high", "explanation"]


def check_gold_range(scale: Any, low: Any, high: Any) -> None:
    """Refuse a range that is not whole numbers with 1 <= low <= high <= scale, before any SQL runs."""
    if isinstance(scale, bool) or scale not in RATING_SCALES:
        raise StoreError(f"The gold scale must be one of {', '.join(map(str, RATING_SCALES))}, got {scale!r}.")
    for value, field in ((low, "lowest right rating"), (high, "highest right rating")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= scale:
            raise StoreError(f"The {field} must be a whole number from 1 to {scale}, got {value!r}; nothing was saved.")
    if low > high:
        raise StoreError(f"The lowest right rating ({low}) is above the highest ({high}); nothing was saved.")


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

    def gold_ratings(self, dataset: str | None = None) -> pd.DataFrame:
        """GOLD_RATING_COLUMNS of the gold responses (of one dataset), in response id order."""
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
        with self._read() as session:
            rows = session.execute(query).all()
        return pd.DataFrame([tuple(row) for row in rows], columns=GOLD_RATING_COLUMNS)
