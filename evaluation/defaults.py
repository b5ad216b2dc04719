"""The pipeline's defaults that ``judge-studio evaluate --help`` prints, in a module that imports nothing.

Why a module of its own: ``evaluation.pipeline`` imports pandas and the statistics (``analysis``), and the
help text of ``evaluate`` read its defaults from ``EvaluationPipeline.__init__``'s signature, so ``evaluate
--help`` loaded pandas (s17 cardpolish). The pipeline takes its defaults from here, so the two cannot differ.
"""

from __future__ import annotations

#: The partial-order rules ``evaluate --rule`` takes; the first is the default.
PARTIAL_ORDER_RULES = ("sign-test", "more-wins")
DEFAULT_RULE = PARTIAL_ORDER_RULES[0]
#: Model candidates: new tokens per generated response.
DEFAULT_CANDIDATE_MAX_NEW_TOKENS = 256
#: Model candidates: their chat template when they have one (``judge_runtime.generation.PROMPT_FORMATS``).
DEFAULT_CANDIDATE_PROMPT_FORMAT = "auto"
