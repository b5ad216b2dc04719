"""LLM judges: profiles (prompt + parser + decoding), loading from local files, streaming and batching.

Three lines::

    from judge_runtime import PairCase, load_judge
    judge = load_judge()                      # the embedded SmolLM2 demo judge, on the CPU
    print(judge.judge(PairCase("Say hi", "Hi!", "Bye.")).parsed)

``load_judge()`` picks the verdict mode as the command line does (``verdict_mode="auto"``, the default,
``resolved_verdict_mode``): constrained verdicts (the verdict word from one forward pass) for the demo judge in a
profile with verdict words first, such as the default ``pandalm``; generated, parsed text for any other model or
profile (``verdict_mode="constrained"`` or ``"generate"`` chooses). ``judge()`` counts a verdict as the command
line does: constrained verdicts average both presentation orders (``JudgeSpec.both_orders``, on by default;
``load_judge(both_orders=False)`` judges the order given only; generated verdicts are read in the order given),
and a verdict whose top two probabilities lie less than ``uncertain_margin`` (0.1) apart has status "uncertain"
(``result.leaning`` keeps its lean). ``judge_many`` gives results as they are stored; ``with_outcome`` applies the
rule to them (again, at another margin, to a ``judge()`` result).

Single-answer grading (MT-Bench, 1-10): ``load_judge(profile="mtbench-single").rate(SingleCase(...))``.
A judge on an OpenAI-compatible server: ``load_judge(model="openai:<name>@http://host:port/v1")``.
Candidate responses from a local model: :func:`judge_runtime.generation.load_generator`.

Modules: ``base`` (spec, results, the ``Judge`` face), ``engine`` (a model in this process),
``remote`` (an OpenAI-compatible server), ``factory`` (``load_judge``, the only module that knows both
backends), ``static_decode`` (the static-cache, optionally compiled, greedy loop), ``batching``,
``loading``, ``profiles``, ``generation``, ``ratings`` (``rating_mode="expected"``: a single-answer rating
read from the judge's probabilities of 1-10, as G-Eval does).

``judge_many``/``rate_many`` draw a progress bar on standard error when no ``on_result`` is given and
standard error is a terminal (``progress=True``/``False`` forces it); each result's ``latency_s`` is that
item's own time in its batch (``JudgeResult.latency_basis``).
"""

from judge_runtime.base import (
    DEFAULT_PROFILE,
    Judge,
    JudgeProgress,
    JudgeResult,
    JudgeSpec,
    resolved_verdict_mode,
    with_outcome,
)
from judge_runtime.custom import CustomPrompt, VerdictRule
from judge_runtime.engine import LocalJudge, PromptTooLong
from judge_runtime.factory import load_judge, planned_fingerprint_key
from judge_runtime.loading import DEMO_DISPLAY_NAME, DEMO_MODEL, JudgeLoadError
from judge_runtime.open_judges import Rubric, get_rubric, with_rubric
from judge_runtime.profiles import (
    VERDICTS,
    Decoding,
    JudgeInputError,
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
    "CustomPrompt",
    "VerdictRule",
    "Rubric",
    "get_rubric",
    "with_rubric",
    "DEFAULT_PROFILE",
    "DEMO_DISPLAY_NAME",
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
    "PromptTooLong",
    "ParsedJudgment",
    "RemoteJudge",
    "RemoteJudgeError",
    "SingleCase",
    "Turn",
    "Verdict",
    "get_profile",
    "load_judge",
    "planned_fingerprint_key",
    "resolved_verdict_mode",
    "profile_names",
    "with_outcome",
]
