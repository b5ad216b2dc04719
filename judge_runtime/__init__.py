"""LLM judges: profiles (prompt + parser + decoding), loading from local files, streaming and batching.

Three lines::

    from judge_runtime import PairCase, load_judge
    judge = load_judge()                      # the embedded SmolLM2 demo judge, on the CPU
    print(judge.judge(PairCase("Say hi", "Hi!", "Bye.")).parsed)

Single-answer grading (MT-Bench, 1-10): ``load_judge(profile="mtbench-single").rate(SingleCase(...))``.
A judge on an OpenAI-compatible server: ``load_judge(model="openai:<name>@http://host:port/v1")``.
Candidate responses from a local model: :func:`judge_runtime.generation.load_generator`.
"""

from judge_runtime.engine import (
    DEFAULT_PROFILE,
    Judge,
    JudgeInputError,
    JudgeProgress,
    JudgeResult,
    JudgeSpec,
    LocalJudge,
    load_judge,
)
from judge_runtime.loading import DEMO_MODEL, JudgeLoadError
from judge_runtime.profiles import (
    VERDICTS,
    Decoding,
    PairCase,
    PairTurn,
    ParsedJudgment,
    SingleCase,
    Turn,
    Verdict,
    get_profile,
    profile_names,
)
from judge_runtime.remote import RemoteJudge, RemoteJudgeError

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
    "LocalJudge",
    "PairCase",
    "PairTurn",
    "ParsedJudgment",
    "RemoteJudge",
    "RemoteJudgeError",
    "SingleCase",
    "Turn",
    "Verdict",
    "get_profile",
    "load_judge",
    "profile_names",
]
