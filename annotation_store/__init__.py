"""Persistence of datasets, judge verdicts and human labels, plus agreement analysis.

Knows nothing of torch or Gradio. ``open_store(path_or_url)`` creates and migrates the database.
"""

from annotation_store.accounts import ROLE_RANK
from annotation_store.analysis import (
    Agreement,
    PartialOrder,
    agreement_over_time,
    annotator_agreement,
    human_judge_agreement,
    majority_labels,
    model_levels,
    partial_order,
    win_table,
)
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
    "Agreement",
    "ComparisonView",
    "LabelView",
    "NewVerdict",
    "PartialOrder",
    "Store",
    "StoreError",
    "VerdictView",
    "agreement_over_time",
    "annotator_agreement",
    "human_judge_agreement",
    "load_demo_dataset",
    "majority_labels",
    "model_levels",
    "open_store",
    "partial_order",
    "win_table",
]
