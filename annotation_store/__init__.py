"""Persistence of datasets, judge verdicts and human labels (and nothing else: statistics live in ``analysis``).

Knows nothing of torch or Gradio. ``open_store(path_or_url)`` creates and migrates the database and
returns the ``Store`` facade over the entity modules: ``datasets`` (datasets, comparisons, imports),
``verdicts`` (judge runs and verdicts), ``labels`` (pairwise labels, adjudications), ``ratings``
(single-answer ratings, judge ratings), ``sessions`` (annotation sessions, gold), ``accounts``; and
``answers``, the one lease/submit/history/progress flow both kinds of answer share, with the session
rules checked inside its write transaction. Refusals are typed (``StoreNotFound``, ``StoreConflict``,
``StoreForbidden``: each a ``StoreError`` and the matching ``errors`` type).
"""

from annotation_store.accounts import ROLE_RANK, Account
from annotation_store.base import StoreChanged, StoreConflict, StoreForbidden, StoreNotFound
from annotation_store.credentials import hash_password, verify_password
from annotation_store.demo import DEMO_DATASET_NAME, load_demo_dataset
from annotation_store.errors import WrongSessionKind
from annotation_store.sessions import SESSION_DEFAULTS, GoldMark
from annotation_store.store import Store, StoreError, open_store
from annotation_store.views import (
    AdjudicationView,
    AnnotatorView,
    ComparisonView,
    GoldRatingView,
    Handed,
    HistoryItem,
    JudgeRatingView,
    LabelView,
    NewJudgeRating,
    NewVerdict,
    Progress,
    RatingView,
    ResponseView,
    SessionView,
    Standing,
    Submitted,
    Turn,
    VerdictView,
)

__all__ = [
    "Account",
    "GoldMark",
    "GoldRatingView",
    "Handed",
    "JudgeRatingView",
    "NewJudgeRating",
    "RatingView",
    "ResponseView",
    "ROLE_RANK",
    "HistoryItem",
    "Progress",
    "SessionView",
    "Standing",
    "SESSION_DEFAULTS",
    "StoreChanged",
    "StoreConflict",
    "StoreForbidden",
    "StoreNotFound",
    "Submitted",
    "Turn",
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
    "WrongSessionKind",
    "load_demo_dataset",
    "open_store",
]
