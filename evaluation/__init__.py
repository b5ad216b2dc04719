"""The PandaLM-compatible pipeline: candidate files (or models) in, verdicts and rankings out.
Uses judge_runtime and analysis; never the database."""

from evaluation.pipeline import EvaluationPipeline, EvaluationResult, PipelineInputError

__all__ = ["EvaluationPipeline", "EvaluationResult", "PipelineInputError"]
