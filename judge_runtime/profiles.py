"""Judge profiles: how a judge model is prompted, how its output is parsed, how it decodes.

A profile is pure string work (no torch): ``build_prompt`` turns a pairwise case into the exact text
the released weights were trained on, ``parse`` turns generated text back into a verdict. The
prompt strings below are byte-exact copies of the upstream projects' templates; ``tests`` compares
them with the copies in ``../shared/data`` so drift is caught.

Parsing never guesses: an output without a recognisable verdict gets status ``unparsed`` (or
``truncated`` when generation stopped at the token limit), never a silent tie.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias

from errors import InvalidInput

if TYPE_CHECKING:
    from judge_runtime.open_judges import OpenPairProfile, OpenSingleProfile

Verdict = Literal["1", "2", "tie"]
# "uncertain": Judge.judge() only, the uncertain rule applied (judge_runtime.base.with_outcome)
ParseStatus = Literal["ok", "unparsed", "truncated", "uncertain"]
CaseKind = Literal["pair", "single"]
VERDICTS: tuple[Verdict, ...] = ("1", "2", "tie")


@dataclass(frozen=True)
class PairTurn:
    """The first turn of a two-turn conversation answered by both assistants (MT-Bench multi-turn)."""

    question: str
    response1: str
    response2: str
    reference: str | None = None


@dataclass(frozen=True)
class PairCase:
    """One pairwise question for a judge, in canonical order (response1 first).

    ``first_turn`` makes this the second turn of a two-turn conversation (``mtbench-pair`` only):
    the judge sees both turns and compares the answers to the second question.
    """

    instruction: str
    response1: str
    response2: str
    input: str = ""
    reference: str | None = None
    first_turn: PairTurn | None = None

    def __post_init__(self) -> None:
        check_texts(self)


def swapped(case: PairCase) -> PairCase:
    """The same case with the two responses presented the other way round."""
    turn = case.first_turn
    if turn is not None:
        turn = PairTurn(turn.question, turn.response2, turn.response1, reference=turn.reference)
    return PairCase(
        case.instruction, case.response2, case.response1, input=case.input, reference=case.reference, first_turn=turn
    )


def unswap(verdict: Verdict | None) -> Verdict | None:
    """Map a verdict on the swapped presentation back to canonical order."""
    return {"1": "2", "2": "1"}.get(verdict or "", verdict)  # type: ignore[return-value]


class JudgeInputError(InvalidInput):
    """A case cannot be judged as given (empty field, too long for the model, wrong kind for the profile)."""


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation: the user's question, the assistant's answer, a reference answer."""

    question: str
    answer: str
    reference: str | None = None


@dataclass(frozen=True)
class SingleCase:
    """One response to grade on its own (MT-Bench single-answer grading, 1-10).

    ``first_turn`` makes this the second turn of a two-turn conversation: MT-Bench's multi-turn
    prompt shows both turns and the judge grades the answer to the second question. With a
    reference (math), multi-turn grading needs the reference of both turns.
    """

    instruction: str
    response: str
    input: str = ""
    reference: str | None = None
    first_turn: Turn | None = None

    def __post_init__(self) -> None:
        check_texts(self)


Case = PairCase | SingleCase


@dataclass(frozen=True)
class ParsedJudgment:
    """A judge output, parsed. Pairwise profiles fill ``verdict``; single-answer profiles fill ``score``
    (``mtbench-single`` 1-10; ``prometheus2-absolute`` and ``selene-absolute`` 1-5: the profile's ``score_range``).

    ``status`` is "ok" only when the profile's verdict (or rating) was found; otherwise verdict and
    score stay None: a missing verdict is never turned into a tie, a missing rating never into a number.
    ``strength`` ("slight" / "significant") is set by ``arena-hard`` for a win (``[[A>B]]`` / ``[[A>>B]]``);
    it does not depend on the presentation order, so unswapping a verdict leaves it as it is.
    """

    verdict: Verdict | None
    status: ParseStatus
    reason: str = ""
    reference: str = ""
    scores: tuple[float, float] | None = None
    score: float | None = None
    strength: str | None = None


@dataclass(frozen=True)
class Decoding:
    """Decoding settings handed to ``generate``; part of every verdict's fingerprint."""

    max_new_tokens: int = 512
    num_beams: int = 1
    repetition_penalty: float = 1.0
    do_sample: bool = False

    def as_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {
            "max_new_tokens": self.max_new_tokens,
            "num_beams": self.num_beams,
            "repetition_penalty": self.repetition_penalty,
            "do_sample": self.do_sample,
        }
        if self.num_beams > 1:
            kwargs["early_stopping"] = True
        return kwargs


@dataclass(frozen=True)
class Prompt:
    """What the engine feeds the model: plain text, or chat messages for the tokenizer's template."""

    text: str | None = None
    messages: tuple[dict[str, str], ...] | None = None


def _finish(
    verdict: Verdict | None, *, truncated: bool, reason: str = "", reference: str = "", scores=None
) -> ParsedJudgment:
    if verdict is None:
        status: ParseStatus = "truncated" if truncated else "unparsed"
    else:
        status = "ok"
    return ParsedJudgment(verdict, status, reason.strip(), reference.strip(), scores)


# --------------------------------------------------------------------------------------------- PandaLM

PANDALM_PROMPT_WITH_INPUT = (
    "Below are two responses for a given task. The task is defined by the Instruction with an Input that "
    "provides further context. Evaluate the responses and generate a reference answer for the task.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n"
    "### Response 1:\n{response1}\n\n### Response 2:\n{response2}\n\n### Evaluation:\n"
)
PANDALM_PROMPT_NO_INPUT = (
    "Below are two responses for a given task. The task is defined by the Instruction. Evaluate the "
    "responses and generate a reference answer for the task.\n\n"
    "### Instruction:\n{instruction}\n\n"
    "### Response 1:\n{response1}\n\n### Response 2:\n{response2}\n\n### Evaluation:\n"
)
PANDALM_SPECIAL_TOKENS = re.compile(
    r"<unk>|<pad>|<s>|</s>|\[PAD\]|<\|endoftext\|>|\[UNK\]|\[CLS\]|\[MASK\]|<\|startofpiece\|>"
    r"|<\|endofpiece\|>|\[gMASK\]|\[sMASK\]"
)
_PANDALM_VERDICT = re.compile(r"^\s*(1|2|tie)\s*$", re.IGNORECASE)
_PANDALM_REASON = re.compile(r"###\s*Reason:\s*(.*?)(?=###\s*Reference:|\Z)", re.DOTALL | re.IGNORECASE)
_PANDALM_REFERENCE = re.compile(r"###\s*Reference:\s*(.*)\Z", re.DOTALL | re.IGNORECASE)


def pandalm_clean(response: str) -> str:
    """PandaLM's response clean-up, as upstream: strip, remove special-token strings, strip again."""
    return PANDALM_SPECIAL_TOKENS.sub("", response.strip()).strip()


def _normalise_verdict(token: str) -> Verdict | None:
    token = token.strip().lower()
    return token if token in VERDICTS else None  # type: ignore[return-value]


@dataclass(frozen=True)
class PandaLMProfile:
    """PandaLM-7B-v1: plain-text prompt, output ``{1|2|Tie}\\n\\n### Reason: ...\\n\\n### Reference: ...``."""

    name: str = "pandalm"
    kind: CaseKind = "pair"
    uses_chat_template: bool = False
    decoding_presets: dict[str, Decoding] = field(
        default_factory=lambda: {
            "released": Decoding(max_new_tokens=512, num_beams=4, repetition_penalty=1.2),
            "fast": Decoding(max_new_tokens=512, num_beams=1, repetition_penalty=1.2),
        }
    )
    # The words that open the output for verdicts 1, 2 and tie, and what follows them: a profile
    # whose output starts with its verdict can have that verdict chosen by one forward pass.
    verdict_words: tuple[str, str, str] | None = ("1", "2", "Tie")
    after_verdict: str = "\n\n### Reason: "

    def build_prompt(self, case: PairCase) -> Prompt:
        _single_turn_only(self.name, case)
        fields = {
            "instruction": case.instruction,
            "input": case.input,
            "response1": pandalm_clean(case.response1),
            "response2": pandalm_clean(case.response2),
        }
        template = PANDALM_PROMPT_WITH_INPUT if case.input else PANDALM_PROMPT_NO_INPUT
        return Prompt(text=template.format(**fields))

    def parse(self, text: str, *, truncated: bool = False) -> ParsedJudgment:
        head = re.split(r"###\s*Reason:", text, maxsplit=1, flags=re.IGNORECASE)[0]
        lines = [line for line in head.strip().splitlines() if line.strip()]
        verdict = _normalise_verdict(lines[0]) if lines and _PANDALM_VERDICT.match(lines[0]) else None
        reason = _PANDALM_REASON.search(text)
        reference = _PANDALM_REFERENCE.search(text)
        return _finish(
            verdict,
            truncated=truncated,
            reason=_without_verdict_line(reason.group(1)) if reason else "",
            reference=reference.group(1) if reference else "",
        )


def _without_verdict_line(reason: str) -> str:
    """The reason without a first line that is only a verdict word ("1\\nThe sentence ..."): a model that
    writes its verdict again after "### Reason:" (the small demo model does, after the forced "1\\n\\n### Reason: "
    of a constrained verdict, on the local and the remote judge alike) has not begun its reason with it (s13
    pgteam, finding 11). A reason that is nothing but the word is kept: it is all the model wrote."""
    first, newline, rest = reason.lstrip().partition("\n")
    if newline and rest.strip() and _PANDALM_VERDICT.match(first):
        return rest
    return reason


# ---------------------------------------------------------------------------------------------- MT-Bench

MTBENCH_PAIR_V2_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user question displayed below. You should choose the assistant that follows the "
    "user's instructions and answers the user's question better. Your evaluation should consider factors "
    "such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their "
    "responses. Begin your evaluation by comparing the two responses and provide a short explanation. "
    "Avoid any position biases and ensure that the order in which the responses were presented does not "
    "influence your decision. Do not allow the length of the responses to influence your evaluation. Do "
    "not favor certain names of the assistants. Be as objective as possible. After providing your "
    'explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A '
    'is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.'
)
MTBENCH_PAIR_V2_TEMPLATE = (
    "[User Question]\n{question}\n\n[The Start of Assistant A's Answer]\n{answer_a}\n"
    "[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{answer_b}\n"
    "[The End of Assistant B's Answer]"
)
MTBENCH_PAIR_MATH_V1_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user question displayed below. Your evaluation should consider correctness and "
    "helpfulness. You will be given a reference answer, assistant A's answer, and assistant B's answer. "
    "Your job is to evaluate which assistant's answer is better. Begin your evaluation by comparing both "
    "assistants' answers with the reference answer. Identify and correct any mistakes. Avoid any position "
    "biases and ensure that the order in which the responses were presented does not influence your "
    "decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain "
    "names of the assistants. Be as objective as possible. After providing your explanation, output your "
    'final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if '
    'assistant B is better, and "[[C]]" for a tie.'
)
MTBENCH_PAIR_MATH_V1_TEMPLATE = (
    "[User Question]\n{question}\n\n[The Start of Reference Answer]\n{ref_answer_1}\n"
    "[The End of Reference Answer]\n\n[The Start of Assistant A's Answer]\n{answer_a}\n"
    "[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{answer_b}\n"
    "[The End of Assistant B's Answer]"
)
MTBENCH_PAIR_V2_MULTI_TURN_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user questions. You should choose the assistant that follows the user's "
    "instructions and answers the user's questions better. Your evaluation should consider factors such as "
    "the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. You "
    "should focus on who provides a better answer to the second user question. Begin your evaluation by "
    "comparing the responses of the two assistants and provide a short explanation. Avoid any position "
    "biases and ensure that the order in which the responses were presented does not influence your "
    "decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain "
    "names of the assistants. Be as objective as possible. After providing your explanation, output your "
    'final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if '
    'assistant B is better, and "[[C]]" for a tie.'
)
MTBENCH_PAIR_V2_MULTI_TURN_TEMPLATE = (
    "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant A:\n"
    "{answer_a_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n{answer_a_2}\n\n<|The End of Assistant "
    "A's Conversation with User|>\n\n\n<|The Start of Assistant B's Conversation with User|>\n\n### User:\n"
    "{question_1}\n\n### Assistant B:\n{answer_b_1}\n\n### User:\n{question_2}\n\n### Assistant B:\n"
    "{answer_b_2}\n\n<|The End of Assistant B's Conversation with User|>"
)
MTBENCH_PAIR_MATH_V1_MULTI_TURN_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI "
    "assistants to the user questions. Your evaluation should consider correctness and helpfulness. You "
    "will be given reference answers, the assistant A's answers, the assistant B's answers. Your job is to "
    "determine which assistant provides correct and helpful answers to the second user question. Begin "
    "your evaluation by comparing both assistants' answers with the reference answers. Identify and "
    "correct any mistakes. Avoid any position biases and ensure that the order in which the responses were "
    "presented does not influence your decision. Do not allow the length of the responses to influence "
    "your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After "
    'providing your explanation, output your final verdict by strictly following this format: "[[A]]" if '
    'assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.'
)
MTBENCH_PAIR_MATH_V1_MULTI_TURN_TEMPLATE = (
    "<|The Start of Reference Answer|>\n\n### User:\n{question_1}\n\n### Reference answer:\n"
    "{ref_answer_1}\n\n### User:\n{question_2}\n\n### Reference answer:\n{ref_answer_2}\n\n<|The End of "
    "Reference Answer|>\n\n\n<|The Start of Assistant A's Conversation with User|>\n\n### User:\n"
    "{question_1}\n\n### Assistant A:\n{answer_a_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n"
    "{answer_a_2}\n\n<|The End of Assistant A's Conversation with User|>\n\n\n<|The Start of Assistant B's "
    "Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant B:\n{answer_b_1}\n\n### User:\n"
    "{question_2}\n\n### Assistant B:\n{answer_b_2}\n\n<|The End of Assistant B's Conversation with User|>"
)
_MTBENCH_MARKER = re.compile(r"\[\[([ABC])\]\]")
_MTBENCH_TO_VERDICT: dict[str, Verdict] = {"A": "1", "B": "2", "C": "tie"}


def _question_text(case: PairCase | SingleCase) -> str:
    """MT-Bench prompts have no input slot: the input is appended to the question."""
    return f"{case.instruction}\n\n{case.input}" if case.input.strip() else case.instruction


def _chat(system: str, user: str) -> Prompt:
    return Prompt(messages=({"role": "system", "content": system}, {"role": "user", "content": user}))


def _single_turn_only(profile_name: str, case: PairCase) -> None:
    if case.first_turn is not None:
        raise JudgeInputError(
            f"Profile {profile_name!r} judges single-turn cases only; use 'mtbench-pair' for a two-turn conversation."
        )


def _both_references(first: str | None, second: str | None) -> bool:
    """Whether a two-turn case uses the math (reference) prompt: all or nothing, as MT-Bench's data has it."""
    if bool(first) != bool(second):
        raise JudgeInputError(
            "A two-turn case needs a reference answer for both turns or for neither "
            "(MT-Bench's multi-turn math prompt shows both)."
        )
    return bool(first)


@dataclass(frozen=True)
class MTBenchPairProfile:
    """FastChat's MT-Bench pairwise judge (pair-v2, or pair-math-v1 when a reference exists).

    The prompt goes through the judge model's own chat template. Parsing is strict: the LAST
    ``[[A]]``/``[[B]]``/``[[C]]`` marker wins (FastChat's substring test would count a quoted marker).
    """

    name: str = "mtbench-pair"
    kind: CaseKind = "pair"
    uses_chat_template: bool = True
    decoding_presets: dict[str, Decoding] = field(
        default_factory=lambda: {
            "released": Decoding(max_new_tokens=2048, num_beams=1),
            "fast": Decoding(max_new_tokens=512, num_beams=1),
        }
    )
    verdict_words: tuple[str, str, str] | None = None  # the verdict comes last
    after_verdict: str = ""

    def build_prompt(self, case: PairCase) -> Prompt:
        if case.first_turn is not None:
            return self._multi_turn(case, case.first_turn)
        question = _question_text(case)
        if case.reference:
            system = MTBENCH_PAIR_MATH_V1_SYSTEM
            user = MTBENCH_PAIR_MATH_V1_TEMPLATE.format(
                question=question,
                ref_answer_1=case.reference,
                answer_a=case.response1,
                answer_b=case.response2,
            )
        else:
            system = MTBENCH_PAIR_V2_SYSTEM
            user = MTBENCH_PAIR_V2_TEMPLATE.format(question=question, answer_a=case.response1, answer_b=case.response2)
        return _chat(system, user)

    @staticmethod
    def _multi_turn(case: PairCase, turn: PairTurn) -> Prompt:
        fields = {
            "question_1": turn.question,
            "answer_a_1": turn.response1,
            "answer_b_1": turn.response2,
            "question_2": _question_text(case),
            "answer_a_2": case.response1,
            "answer_b_2": case.response2,
        }
        if _both_references(turn.reference, case.reference):
            user = MTBENCH_PAIR_MATH_V1_MULTI_TURN_TEMPLATE.format(
                ref_answer_1=turn.reference, ref_answer_2=case.reference, **fields
            )
            return _chat(MTBENCH_PAIR_MATH_V1_MULTI_TURN_SYSTEM, user)
        return _chat(MTBENCH_PAIR_V2_MULTI_TURN_SYSTEM, MTBENCH_PAIR_V2_MULTI_TURN_TEMPLATE.format(**fields))

    def parse(self, text: str, *, truncated: bool = False) -> ParsedJudgment:
        markers = list(_MTBENCH_MARKER.finditer(text))
        if not markers:
            return _finish(None, truncated=truncated, reason=text)
        last = markers[-1]
        # what the judge wrote after its verdict ("[[B]] then [[Tie]]", an afterthought) stays in the reason;
        # a bare full stop or quote after the marker is not kept
        reason, after = text[: last.start()].strip(), text[last.end() :].strip()
        if re.search(r"\w", after):
            reason = f"{reason}\n{after}".strip()
        return _finish(_MTBENCH_TO_VERDICT[last.group(1)], truncated=truncated, reason=reason)


# ------------------------------------------------------------------------------- MT-Bench single grading

MTBENCH_SINGLE_V1_SYSTEM = "You are a helpful assistant."
MTBENCH_SINGLE_V1_TEMPLATE = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by "
    "an AI assistant to the user question displayed below. Your evaluation should consider factors such as "
    "the helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin "
    "your evaluation by providing a short explanation. Be as objective as possible. After providing your "
    "explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "
    '"[[rating]]", for example: "Rating: [[5]]".\n\n[Question]\n{question}\n\n[The Start of Assistant\'s '
    "Answer]\n{answer}\n[The End of Assistant's Answer]"
)
MTBENCH_SINGLE_MATH_V1_SYSTEM = MTBENCH_SINGLE_V1_SYSTEM  # FastChat uses the same system line for both
MTBENCH_SINGLE_MATH_V1_TEMPLATE = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by "
    "an AI assistant to the user question displayed below. Your evaluation should consider correctness and "
    "helpfulness. You will be given a reference answer and the assistant's answer. Begin your evaluation "
    "by comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be "
    "as objective as possible. After providing your explanation, you must rate the response on a scale of "
    '1 to 10 by strictly following this format: "[[rating]]", for example: "Rating: [[5]]".\n\n[Question]\n'
    "{question}\n\n[The Start of Reference Answer]\n{ref_answer_1}\n[The End of Reference Answer]\n\n[The "
    "Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]"
)
MTBENCH_SINGLE_V1_MULTI_TURN_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant "
    "to the user question displayed below. Your evaluation should consider factors such as the "
    "helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. You "
    "evaluation should focus on the assistant's answer to the second user question. Begin your evaluation "
    "by providing a short explanation. Be as objective as possible. After providing your explanation, you "
    'must rate the response on a scale of 1 to 10 by strictly following this format: "[[rating]]", for '
    'example: "Rating: [[5]]".\n\n'
)
MTBENCH_SINGLE_V1_MULTI_TURN_TEMPLATE = (
    "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant A:\n"
    "{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n{answer_2}\n\n<|The End of Assistant A's "
    "Conversation with User|>"
)
MTBENCH_SINGLE_MATH_V1_MULTI_TURN_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant "
    "to the user question. Your evaluation should consider correctness and helpfulness. You will be given "
    "a reference answer and the assistant's answer. You evaluation should focus on the assistant's answer "
    "to the second question. Begin your evaluation by comparing the assistant's answer with the reference "
    "answer. Identify and correct any mistakes. Be as objective as possible. After providing your "
    "explanation, you must rate the response on a scale of 1 to 10 by strictly following this format: "
    '"[[rating]]", for example: "Rating: [[5]]".\n\n'
)
MTBENCH_SINGLE_MATH_V1_MULTI_TURN_TEMPLATE = (
    "<|The Start of Reference Answer|>\n\n### User:\n{question_1}\n\n### Reference answer:\n"
    "{ref_answer_1}\n\n### User:\n{question_2}\n\n### Reference answer:\n{ref_answer_2}\n\n<|The End of "
    "Reference Answer|>\n\n\n<|The Start of Assistant A's Conversation with User|>\n\n### User:\n"
    "{question_1}\n\n### Assistant A:\n{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n"
    "{answer_2}\n\n<|The End of Assistant A's Conversation with User|>"
)
# FastChat's own patterns are r"\[\[(\d+\.?\d*)\]\]" (first match) with r"\[(\d+\.?\d*)\]" as a fallback.
# Here: the same number syntax ("8", "8.5", "8."), double brackets only, and the LAST marker wins (the
# prompt's own example "Rating: [[5]]" quoted before the real rating must not count).
_MTBENCH_RATING = re.compile(r"\[\[(\d+\.?\d*)\]\]")
RATING_RANGE = (1.0, 10.0)


@dataclass(frozen=True)
class MTBenchSingleProfile:
    """FastChat's MT-Bench single-answer grading: a 1-10 rating of one response.

    single-v1 (general), single-math-v1 (with a reference answer), and their multi-turn variants when
    the case has a ``first_turn``. The prompt goes through the judge model's chat template, with
    FastChat's system message. Parsing: the LAST ``[[rating]]`` wins; a rating outside 1-10 (``[[0]]``,
    ``[[11]]``) or a single-bracket ``[8]`` is not accepted (status ``unparsed``). Fractional ratings
    (``[[8.5]]``) are accepted as MT-Bench accepts them and kept as the float 8.5.
    """

    name: str = "mtbench-single"
    kind: CaseKind = "single"
    uses_chat_template: bool = True
    decoding_presets: dict[str, Decoding] = field(
        default_factory=lambda: {
            "released": Decoding(max_new_tokens=2048, num_beams=1),  # FastChat: temperature 0, 2048 tokens
            "fast": Decoding(max_new_tokens=512, num_beams=1),
        }
    )
    verdict_words: tuple[str, str, str] | None = None  # a rating, and it comes last
    after_verdict: str = ""
    score_range: tuple[float, float] = RATING_RANGE

    def build_prompt(self, case: SingleCase) -> Prompt:
        if case.first_turn is not None:
            turn = case.first_turn
            fields = {
                "question_1": turn.question,
                "answer_1": turn.answer,
                "question_2": _question_text(case),
                "answer_2": case.response,
            }
            if _both_references(turn.reference, case.reference):
                user = MTBENCH_SINGLE_MATH_V1_MULTI_TURN_TEMPLATE.format(
                    ref_answer_1=turn.reference, ref_answer_2=case.reference, **fields
                )
                return _chat(MTBENCH_SINGLE_MATH_V1_MULTI_TURN_SYSTEM, user)
            return _chat(MTBENCH_SINGLE_V1_MULTI_TURN_SYSTEM, MTBENCH_SINGLE_V1_MULTI_TURN_TEMPLATE.format(**fields))
        question = _question_text(case)
        if case.reference:
            user = MTBENCH_SINGLE_MATH_V1_TEMPLATE.format(
                question=question, ref_answer_1=case.reference, answer=case.response
            )
            return _chat(MTBENCH_SINGLE_MATH_V1_SYSTEM, user)
        return _chat(
            MTBENCH_SINGLE_V1_SYSTEM, MTBENCH_SINGLE_V1_TEMPLATE.format(question=question, answer=case.response)
        )

    def parse(self, text: str, *, truncated: bool = False) -> ParsedJudgment:
        markers = list(_MTBENCH_RATING.finditer(text))
        low, high = RATING_RANGE
        if markers and low <= float(markers[-1].group(1)) <= high:
            last = markers[-1]
            return ParsedJudgment(None, "ok", text[: last.start()].strip(), score=float(last.group(1)))
        return ParsedJudgment(None, "truncated" if truncated else "unparsed", text.strip())


# ----------------------------------------------------------------------------------------------- JudgeLM

JUDGELM_SYSTEM = "You are a helpful and precise assistant for checking the quality of the answer."
JUDGELM_RATING_PROMPT = (
    "We would like to request your feedback on the performance of two AI assistants in response to the "
    "user question displayed above.\nPlease rate the helpfulness, relevance, accuracy, level of details of "
    "their responses. Each assistant receives an overall score on a scale of 1 to 10, where a higher score "
    "indicates better overall performance.\nPlease first output a single line containing only two values "
    "indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space. "
    "In the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any "
    "potential bias and ensuring that the order in which the responses were presented does not affect your "
    "judgment."
)
JUDGELM_TEMPLATE = (
    "[Question]\n{question}\n\n[The Start of Assistant 1's Answer]\n{answer_1}\n\n"
    "[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\n{answer_2}\n\n"
    "[The End of Assistant 2's Answer]\n\n[System]\n{prompt}\n\n"
)
JUDGELM_TEMPLATE_WITH_REFERENCE = (
    "[Question]\n{question}\n\n[Reference Answer]\n{reference}\n\n[The Start of Assistant 1's Answer]\n"
    "{answer_1}\n\n[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\n{answer_2}\n\n"
    "[The End of Assistant 2's Answer]\n\n[System]\n{prompt}\n\n"
)
JUDGELM_APPENDIX = "### Response:"
_JUDGELM_SCORES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[, ]\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class JudgeLMProfile:
    """JudgeLM: ``"<score1> <score2>\\n<explanation>"``; the verdict follows from the score difference."""

    name: str = "judgelm"
    kind: CaseKind = "pair"
    uses_chat_template: bool = False
    decoding_presets: dict[str, Decoding] = field(
        default_factory=lambda: {
            "released": Decoding(max_new_tokens=2048, num_beams=1),
            "fast": Decoding(max_new_tokens=512, num_beams=1),
        }
    )
    verdict_words: tuple[str, str, str] | None = None  # scores, not verdict words, come first
    after_verdict: str = ""

    def build_prompt(self, case: PairCase) -> Prompt:
        _single_turn_only(self.name, case)
        question = _question_text(case)
        if case.reference:
            body = JUDGELM_TEMPLATE_WITH_REFERENCE.format(
                question=question,
                reference=case.reference,
                answer_1=case.response1,
                answer_2=case.response2,
                prompt=JUDGELM_RATING_PROMPT,
            )
        else:
            body = JUDGELM_TEMPLATE.format(
                question=question,
                answer_1=case.response1,
                answer_2=case.response2,
                prompt=JUDGELM_RATING_PROMPT,
            )
        return Prompt(text=f"{JUDGELM_SYSTEM}\n{body}{JUDGELM_APPENDIX}")

    def parse(self, text: str, *, truncated: bool = False) -> ParsedJudgment:
        first, _, rest = text.strip().partition("\n")
        match = _JUDGELM_SCORES.match(first)
        if not match:
            return _finish(None, truncated=truncated, reason=text)
        s1, s2 = float(match.group(1)), float(match.group(2))
        verdict: Verdict = "1" if s1 > s2 else "2" if s2 > s1 else "tie"
        return _finish(verdict, truncated=truncated, reason=rest, scores=(s1, s2))


# The open judges (Prometheus 2, OffsetBias, Selene Mini, Arena-Hard) live in ``open_judges``, which imports
# this module and registers them (``register_profiles``) when the package is imported; the type aliases name
# them as forward references. This module never imports ``open_judges`` at run time (no import cycle).
PairProfile: TypeAlias = "PandaLMProfile | MTBenchPairProfile | JudgeLMProfile | OpenPairProfile"
SingleProfile: TypeAlias = "MTBenchSingleProfile | OpenSingleProfile"
Profile: TypeAlias = "PairProfile | SingleProfile"
_PROFILES: dict[str, type[Profile]] = {
    "pandalm": PandaLMProfile,
    "mtbench-pair": MTBenchPairProfile,
    "mtbench-single": MTBenchSingleProfile,
    "judgelm": JudgeLMProfile,
}


def register_profiles(profiles: dict[str, type[Profile]]) -> None:
    """Add profiles defined in another module to the registry that ``get_profile`` reads."""
    _PROFILES.update(profiles)


def _registry() -> dict[str, type[Profile]]:
    return _PROFILES


def profile_names() -> Sequence[str]:
    """The built-in profiles (users' own prompts, ``custom:NAME@HASH``, are registered too but not listed)."""
    return tuple(name for name in _registry() if not name.startswith("custom:"))


def get_profile(name: str) -> Profile:
    """Return the judge profile called ``name`` (see ``profile_names()``)."""
    registry = _registry()
    try:
        return registry[name]()
    except KeyError:
        raise ValueError(f"Unknown judge profile {name!r}; choose one of: {', '.join(registry)}") from None


def render(profile: Profile, case: Case) -> Prompt:
    """The profile's prompt for ``case``; a case of the wrong kind gets a message saying which kind fits."""
    if profile.kind == "single":
        if not isinstance(case, SingleCase):
            raise JudgeInputError(
                f"Profile {profile.name!r} rates one response; it cannot compare two: choose a pairwise profile "
                "to compare, or rate each response alone (judge-studio rate)."
            )
        return profile.build_prompt(case)  # type: ignore[arg-type]  # kind "single": build_prompt(SingleCase)
    if not isinstance(case, PairCase):
        raise JudgeInputError(
            f"Profile {profile.name!r} compares two responses; it cannot rate one: use a single-answer profile "
            "(mtbench-single) to rate one response."
        )
    return profile.build_prompt(case)  # type: ignore[arg-type]  # kind "pair": build_prompt(PairCase)


def check_texts(case: Case) -> None:
    """Refuse, when a case is made, a text that is not a string: ``PairCase(q, None, "5")`` (PandaLM's test set
    has responses that are JSON ``true``) failed later with "'NoneType' object has no attribute 'strip'" deep in
    the prompt code (s18 notebook 2). ``reference`` may be None (no reference); every other field is text."""
    texts: dict[str, object] = {**required_fields(case), "the input": case.input}
    if case.reference is not None:
        texts["the reference"] = case.reference
    for name, value in texts.items():
        if isinstance(value, str):
            continue
        shown = "None" if value is None else f"{type(value).__name__} {_short(repr(value))}"
        raise JudgeInputError(f"{name[0].upper()}{name[1:]} must be text, got {shown}.")


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def required_fields(case: Case) -> dict[str, str]:
    """The texts a case cannot do without, by the name the pages' forms give them (checked before any generation)."""
    if isinstance(case, SingleCase):
        fields = {"the instruction": case.instruction, "the response": case.response}
        if case.first_turn is not None:
            fields |= {
                "the first-turn question": case.first_turn.question,
                "the first-turn answer": case.first_turn.answer,
            }
        return fields
    fields = {"the instruction": case.instruction, "Response 1": case.response1, "Response 2": case.response2}
    if case.first_turn is not None:
        turn = case.first_turn
        fields |= {
            "the first-turn question": turn.question,
            "the first turn's Response 1": turn.response1,
            "the first turn's Response 2": turn.response2,
        }
    return fields
