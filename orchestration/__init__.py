"""Joins judge_runtime and annotation_store for the CLI and the UI (the only place that knows both).

The names below load on first use (PEP 562, through ``analysis.lazy``): ``from orchestration.access import
Access`` (``users list``) or ``from orchestration import Access`` loads the accounts' module alone, not every
desk, the importers and the report's statistics with it. No public name here is also a submodule's name, so
importing a submodule never hides one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.lazy import LazyNames, homes_of

if TYPE_CHECKING:
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
    from orchestration.stores import open_data_store
    from settings import Settings

#: Each module and the public names it gives this package.
_MODULES: dict[str, tuple[str, ...]] = {
    "orchestration.access": ("Access", "AccessDenied", "User"),
    "orchestration.admin": ("AdminDesk", "ImportRequest", "SessionForm"),
    "orchestration.annotation": ("AnnotationDesk", "AnnotationItem", "SubmitOutcome", "canonical_verdict"),
    "orchestration.browse": ("CaseBrowser", "CaseDetail", "CaseFilter", "FilterOptions"),
    "orchestration.datasets": (
        "EXPORT_FORMATS",
        "EXPORT_KINDS",
        "IMPORT_FORMATS",
        "ImportOptions",
        "dataset_metrics",
        "export_dataset",
        "format_report",
        "import_file",
        "parse_mapping",
    ),
    "orchestration.demo": ("DEMO_GRADING_SESSION", "DEMO_SESSION", "seed_demo"),
    "orchestration.grading": ("GradeOutcome", "GradingDesk", "GradingItem"),
    "orchestration.review": ("JudgeOpinion", "ReviewDesk", "ReviewItem"),
    "orchestration.stores": ("open_data_store",),
    "orchestration.service": ("CaseProgress", "Dashboard", "RatingRunSummary", "RunSummary", "Studio"),
    "settings": ("Settings",),
}
_LAZY = LazyNames(__name__, homes_of(_MODULES))  # ``analysis.lazy``: the one loader, analysis's too
__getattr__ = _LAZY.load
__dir__ = _LAZY.names


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
