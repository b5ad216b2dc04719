"""Joins judge_runtime and annotation_store for the CLI and the UI (the only place that knows both)."""

from orchestration.access import Access, AccessDenied, User
from orchestration.admin import AdminDesk, ImportRequest, SessionForm
from orchestration.annotation import AnnotationDesk, AnnotationItem, SubmitOutcome, canonical_verdict
from orchestration.browse import CaseBrowser, CaseDetail, CaseFilter, FilterOptions
from orchestration.datasets import (
    EXPORT_FORMATS,
    EXPORT_KINDS,
    IMPORT_FORMATS,
    ImportOptions,
    dataset_metrics,
    export_dataset,
    format_report,
    import_file,
    open_data_store,
    parse_mapping,
)
from orchestration.demo import DEMO_GRADING_SESSION, DEMO_SESSION, seed_demo
from orchestration.grading import GradeOutcome, GradingDesk, GradingItem
from orchestration.review import JudgeOpinion, ReviewDesk, ReviewItem
from orchestration.service import (
    CaseProgress,
    Dashboard,
    RatingRunSummary,
    RunSummary,
    Studio,
)
from settings import Settings

__all__ = [
    "seed_demo",
    "AdminDesk",
    "CaseBrowser",
    "CaseDetail",
    "CaseFilter",
    "FilterOptions",
    "ImportRequest",
    "JudgeOpinion",
    "ReviewDesk",
    "ReviewItem",
    "SessionForm",
    "DEMO_SESSION",
    "DEMO_GRADING_SESSION",
    "GradeOutcome",
    "GradingDesk",
    "GradingItem",
    "RatingRunSummary",
    "Access",
    "AccessDenied",
    "AnnotationDesk",
    "AnnotationItem",
    "SubmitOutcome",
    "User",
    "canonical_verdict",
    "EXPORT_FORMATS",
    "EXPORT_KINDS",
    "IMPORT_FORMATS",
    "CaseProgress",
    "Dashboard",
    "ImportOptions",
    "RunSummary",
    "Settings",
    "Studio",
    "dataset_metrics",
    "export_dataset",
    "format_report",
    "import_file",
    "open_data_store",
    "parse_mapping",
]
