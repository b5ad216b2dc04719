"""Persistence of datasets, judge verdicts and human labels (and nothing else: statistics live in ``analysis``).

Knows nothing of torch or Gradio. ``open_store(path_or_url)`` creates and migrates the database.
"""

from annotation_store.accounts import ROLE_RANK
from annotation_store.credentials import hash_password, verify_password
from annotation_store.demo import DEMO_DATASET_NAME, load_demo_dataset
from annotation_store.ratings import JudgeRatingView, NewJudgeRating, RatingView, ResponseView
from annotation_store.sessions import HistoryItem, Progress, SessionView
from annotation_store.store import (
    AdjudicationView,
    AnnotatorView,
    ComparisonView,
    LabelView,
    NewVerdict,
    Store,
    StoreError,
    VerdictView,
    open_store,
)

__all__ = [
    "JudgeRatingView",
    "NewJudgeRating",
    "RatingView",
    "ResponseView",
    "ROLE_RANK",
    "HistoryItem",
    "Progress",
    "SessionView",
    "DEMO_DATASET_NAME",
    "AdjudicationView",
    "AnnotatorView",
    "hash_password",
    "verify_password",
    "ComparisonView",
    "LabelView",
    "NewVerdict",
    "Store",
    "StoreError",
    "VerdictView",
    "load_demo_dataset",
    "open_store",
]
