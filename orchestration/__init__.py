"""Joins judge_runtime and annotation_store for the CLI and the UI (the only place that knows both)."""

from orchestration.service import CaseProgress, Dashboard, RunSummary, Studio, UserError
from orchestration.settings import Settings

__all__ = ["CaseProgress", "Dashboard", "RunSummary", "Settings", "Studio", "UserError"]
