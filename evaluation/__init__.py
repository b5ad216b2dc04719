"""The PandaLM-compatible pipeline: candidate files (or models) in, verdicts and rankings out.
Uses judge_runtime and analysis; never the database.

The names below load on first use (PEP 562, through ``analysis.lazy``, as ``orchestration``'s): ``from
evaluation.defaults import ...`` (``judge-studio evaluate --help``) then loads no pandas and no statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from analysis.lazy import LazyNames, homes_of

if TYPE_CHECKING:
    from evaluation.pipeline import EvaluationPipeline, EvaluationResult, PipelineInputError

_LAZY = LazyNames(
    __name__, homes_of({"evaluation.pipeline": ("EvaluationPipeline", "EvaluationResult", "PipelineInputError")})
)
__getattr__ = _LAZY.load
__dir__ = _LAZY.names

__all__ = ["EvaluationPipeline", "EvaluationResult", "PipelineInputError"]
