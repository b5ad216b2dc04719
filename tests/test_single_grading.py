"""MT-Bench single-answer grading (profile ``mtbench-single``): byte-exact prompts, strict rating parser, real judge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judge_runtime import JudgeInputError, JudgeLoadError, PairCase, SingleCase, Turn, get_profile, load_judge
from judge_runtime.profiles import (
    MTBENCH_SINGLE_MATH_V1_MULTI_TURN_SYSTEM,
    MTBENCH_SINGLE_MATH_V1_MULTI_TURN_TEMPLATE,
    MTBENCH_SINGLE_MATH_V1_SYSTEM,
    MTBENCH_SINGLE_MATH_V1_TEMPLATE,
    MTBENCH_SINGLE_V1_MULTI_TURN_SYSTEM,
    MTBENCH_SINGLE_V1_MULTI_TURN_TEMPLATE,
    MTBENCH_SINGLE_V1_SYSTEM,
    MTBENCH_SINGLE_V1_TEMPLATE,
)

PROFILE = get_profile("mtbench-single")


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def upstream(shared_data: Path) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in jsonl(shared_data / "mt_bench" / "judge_prompts.jsonl")}


def test_single_templates_are_byte_exact_copies(upstream) -> None:
    ours = {
        "single-v1": (MTBENCH_SINGLE_V1_SYSTEM, MTBENCH_SINGLE_V1_TEMPLATE),
        "single-math-v1": (MTBENCH_SINGLE_MATH_V1_SYSTEM, MTBENCH_SINGLE_MATH_V1_TEMPLATE),
        "single-v1-multi-turn": (MTBENCH_SINGLE_V1_MULTI_TURN_SYSTEM, MTBENCH_SINGLE_V1_MULTI_TURN_TEMPLATE),
        "single-math-v1-multi-turn": (
            MTBENCH_SINGLE_MATH_V1_MULTI_TURN_SYSTEM,
            MTBENCH_SINGLE_MATH_V1_MULTI_TURN_TEMPLATE,
        ),
    }
    for name, (system, template) in ours.items():
        assert upstream[name]["output_format"] == "[[rating]]"
        assert (system, template) == (upstream[name]["system_prompt"], upstream[name]["prompt_template"]), name


def test_prompts_for_real_mtbench_questions_are_what_fastchat_sends(upstream, shared_data: Path) -> None:
    """Every MT-Bench question, both turns, with GPT-4's reference where MT-Bench has one: FastChat's own
    ``prompt_template.format(...)`` on the jsonl text must equal the messages the profile builds."""
    questions = jsonl(shared_data / "mt_bench" / "question.jsonl")
    references = {
        r["question_id"]: r["choices"][0]["turns"]
        for r in jsonl(shared_data / "mt_bench" / "reference_answer" / "gpt-4.jsonl")
    }
    answers = ("First answer, with {braces} and a [[9]] inside.", "Second answer.")
    seen = set()
    for question in questions:
        q1, q2 = question["turns"][:2]
        ref = references.get(question["question_id"])
        math_kwargs = {"ref_answer_1": ref[0]} if ref else {}
        one = PROFILE.build_prompt(SingleCase(q1, answers[0], reference=ref[0] if ref else None))
        name = "single-math-v1" if ref else "single-v1"
        expected = upstream[name]["prompt_template"].format(question=q1, answer=answers[0], **math_kwargs)
        assert one.messages == (
            {"role": "system", "content": upstream[name]["system_prompt"]},
            {"role": "user", "content": expected},
        ), question["question_id"]

        two = PROFILE.build_prompt(
            SingleCase(
                q2,
                answers[1],
                reference=ref[1] if ref else None,
                first_turn=Turn(q1, answers[0], ref[0] if ref else None),
            )
        )
        name = f"{name}-multi-turn"
        kwargs = {"ref_answer_1": ref[0], "ref_answer_2": ref[1]} if ref else {}
        expected = upstream[name]["prompt_template"].format(
            question_1=q1, question_2=q2, answer_1=answers[0], answer_2=answers[1], **kwargs
        )
        assert two.messages == (
            {"role": "system", "content": upstream[name]["system_prompt"]},
            {"role": "user", "content": expected},
        ), question["question_id"]
        seen.add(name)
    assert seen == {"single-v1-multi-turn", "single-math-v1-multi-turn"} and len(questions) == 80


def test_input_is_appended_to_the_question_and_half_references_are_refused() -> None:
    prompt = PROFILE.build_prompt(SingleCase("Translate to German.", "Guten Morgen", input="Good morning"))
    assert prompt.messages is not None
    assert (
        "[Question]\nTranslate to German.\n\nGood morning\n\n[The Start of Assistant's Answer]\nGuten Morgen\n"
        in (prompt.messages[1]["content"])
    )
    with pytest.raises(JudgeInputError, match="reference answer for both turns or for neither"):
        PROFILE.build_prompt(SingleCase("q2", "a2", reference="r2", first_turn=Turn("q1", "a1")))


@pytest.mark.parametrize(
    ("text", "score", "status"),
    [
        ("The answer is correct and complete.\n\nRating: [[9]]", 9.0, "ok"),
        ("Rating: [[10]]", 10.0, "ok"),
        ("Rating: [[1]]", 1.0, "ok"),
        ("Mostly right. Rating: [[8.5]]", 8.5, "ok"),  # MT-Bench's regex takes 8.5 too; kept as the float
        ('The format is "Rating: [[5]]". This response deserves [[3]].', 3.0, "ok"),  # the last marker wins
        ("Rating: [[0]]", None, "unparsed"),  # outside 1-10
        ("Rating: [[11]]", None, "unparsed"),
        ("Rating: [8]", None, "unparsed"),  # FastChat's single-bracket fallback is not accepted
        ("Rating: 8/10", None, "unparsed"),
        ("Rating: [[eight]]", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_rating_parser(text: str, score: float | None, status: str) -> None:
    parsed = PROFILE.parse(text)
    assert (parsed.score, parsed.status, parsed.verdict) == (score, status, None)


def test_rating_reason_and_truncation() -> None:
    parsed = PROFILE.parse("Clear and correct.\n\nRating: [[7]]")
    assert parsed.reason == "Clear and correct.\n\nRating:"
    cut = PROFILE.parse("The response explains", truncated=True)
    assert (cut.status, cut.score) == ("truncated", None)


@pytest.fixture(scope="module")
def rating_judge():
    """The real demo model with the MT-Bench single-grading profile, writing freely (verdict mode generate)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the shared 2-core machine: one thread is faster than two fighting (docs/NOTES.md)
    yield load_judge(profile="mtbench-single", max_new_tokens=40, verdict_mode="generate")
    torch.set_num_threads(before)


CASE = SingleCase("What is the capital of France?", "The capital of France is Paris.")


@pytest.mark.model
def test_demo_judge_rates_a_response_end_to_end(rating_judge) -> None:
    result = rating_judge.rate(CASE)
    assert result.raw_output.strip() and result.output_tokens > 0
    assert result.prompt_tokens > 100  # system line + MT-Bench's instruction through SmolLM2's chat template
    parsed = result.parsed
    if parsed.status == "ok":
        assert parsed.score is not None and 1 <= parsed.score <= 10 and "[[" in result.raw_output
    else:  # the 135M model often writes no [[rating]]: stored as unparsed/truncated, never as a made-up score
        assert parsed.status in {"unparsed", "truncated"} and parsed.score is None
        assert get_profile("mtbench-single").parse(result.raw_output).score is None
    assert parsed.verdict is None and result.probabilities is None
    assert rating_judge.fingerprint["profile"] == "mtbench-single"

    steps = list(rating_judge.stream(CASE))  # streamed (the UI's path): same output as the batched path
    assert len(steps) > 1 and steps[-1].result is not None
    assert steps[-1].result.raw_output.strip() == result.raw_output.strip()
    assert steps[-1].result.parsed.score == parsed.score


@pytest.mark.model
def test_rate_many_batches_and_reports_each_result(rating_judge) -> None:
    cases = [CASE, SingleCase("Name a colour.", "Blue."), SingleCase("2+2?", "5", reference="4")]
    seen: list[int] = []
    batched = rating_judge.rate_many(cases, batch_size=3, on_result=lambda index, _result: seen.append(index))
    assert sorted(seen) == [0, 1, 2]
    alone = rating_judge.rate(cases[1])
    assert batched[1].raw_output == alone.raw_output  # left padding in a batch does not change the output
    for result in batched:
        assert (result.parsed.status == "ok") == (result.parsed.score is not None)


@pytest.mark.model
def test_wrong_kind_of_case_gets_a_message_not_a_guess(rating_judge, quick_judge) -> None:
    with pytest.raises(JudgeInputError, match=r"judge_many\(\) is for pairwise profiles.*use rate_many"):
        rating_judge.judge(PairCase("Say hi", "Hi", "Bye"))
    with pytest.raises(JudgeInputError, match="rates one response"):
        list(rating_judge.stream(PairCase("Say hi", "Hi", "Bye")))  # type: ignore[arg-type]
    with pytest.raises(JudgeInputError, match=r"rate_many\(\) is for single-answer profiles.*use judge_many"):
        quick_judge.rate(CASE)
    with pytest.raises(JudgeInputError, match="response is empty"):
        rating_judge.rate(SingleCase("Say hi", "  "))
    with pytest.raises(JudgeLoadError, match="writes its verdict or rating last"):
        load_judge(profile="mtbench-single", verdict_mode="constrained")
