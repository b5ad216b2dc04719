"""Joins judge_runtime and annotation_store for the CLI and the UI (the only place that knows both).

The names below load on first use (PEP 562): ``from orchestration.access import Access`` (``users list``) or
``from orchestration import Access`` loads the accounts' module alone, not every desk, the importers and the
report's statistics with it. No public name here is also a submodule's name, so importing a submodule never
hides one."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
        "open_data_store",
        "parse_mapping",
    ),
    "orchestration.demo": ("DEMO_GRADING_SESSION", "DEMO_SESSION", "seed_demo"),
    "orchestration.grading": ("GradeOutcome", "GradingDesk", "GradingItem"),
    "orchestration.review": ("JudgeOpinion", "ReviewDesk", "ReviewItem"),
    "orchestration.service": ("CaseProgress", "Dashboard", "RatingRunSummary", "RunSummary", "Studio"),
    "settings": ("Settings",),
}
_HOMES = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module at its first use (and kept here)."""
    try:
        module = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


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
