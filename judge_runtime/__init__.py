"""Local LLM judges: profiles (prompt + parser + decoding), loading from local files, streaming and batching.

Three lines::

    from judge_runtime import PairCase, load_judge
    judge = load_judge()                      # the embedded SmolLM2 demo judge, on the CPU
    print(judge.judge(PairCase("Say hi", "Hi!", "Bye.")).parsed)
"""

from judge_runtime.engine import (
    DEFAULT_PROFILE,
    Judge,
    JudgeInputError,
    JudgeProgress,
    JudgeResult,
    JudgeSpec,
    load_judge,
)
from judge_runtime.loading import DEMO_MODEL, JudgeLoadError
from judge_runtime.profiles import (
    VERDICTS,
    Decoding,
    PairCase,
    ParsedJudgment,
    Verdict,
    get_profile,
    profile_names,
)

__all__ = [
    "DEFAULT_PROFILE",
    "DEMO_MODEL",
    "VERDICTS",
    "Decoding",
    "Judge",
    "JudgeInputError",
    "JudgeLoadError",
    "JudgeProgress",
    "JudgeResult",
    "JudgeSpec",
    "PairCase",
    "ParsedJudgment",
    "Verdict",
    "get_profile",
    "load_judge",
    "profile_names",
]
