"""Judge profiles: byte-exact prompts and strict parsing, checked against upstream data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge_runtime import JudgeInputError, PairCase, PairTurn, get_profile
from judge_runtime.loading import prompt_template_hash
from judge_runtime.profiles import (
    JUDGELM_RATING_PROMPT,
    JUDGELM_SYSTEM,
    MTBENCH_PAIR_MATH_V1_MULTI_TURN_SYSTEM,
    MTBENCH_PAIR_MATH_V1_MULTI_TURN_TEMPLATE,
    MTBENCH_PAIR_MATH_V1_SYSTEM,
    MTBENCH_PAIR_MATH_V1_TEMPLATE,
    MTBENCH_PAIR_V2_MULTI_TURN_SYSTEM,
    MTBENCH_PAIR_V2_MULTI_TURN_TEMPLATE,
    MTBENCH_PAIR_V2_SYSTEM,
    MTBENCH_PAIR_V2_TEMPLATE,
    PANDALM_PROMPT_NO_INPUT,
    PANDALM_PROMPT_WITH_INPUT,
    PANDALM_SPECIAL_TOKENS,
)


def test_pandalm_templates_are_byte_exact(shared_data: Path) -> None:
    upstream = json.loads((shared_data / "judge_prompts" / "pandalm.json").read_text())
    assert upstream["prompt_with_input"] == PANDALM_PROMPT_WITH_INPUT
    assert upstream["prompt_no_input"] == PANDALM_PROMPT_NO_INPUT
    assert PANDALM_SPECIAL_TOKENS.pattern == upstream["special_token_strip_regex"]


def test_mtbench_and_judgelm_templates_are_byte_exact(shared_data: Path) -> None:
    prompts = {
        row["name"]: row
        for row in map(json.loads, (shared_data / "mt_bench" / "judge_prompts.jsonl").read_text().splitlines())
    }
    assert prompts["pair-v2"]["system_prompt"] == MTBENCH_PAIR_V2_SYSTEM
    assert prompts["pair-v2"]["prompt_template"] == MTBENCH_PAIR_V2_TEMPLATE
    assert prompts["pair-math-v1"]["system_prompt"] == MTBENCH_PAIR_MATH_V1_SYSTEM
    assert prompts["pair-math-v1"]["prompt_template"] == MTBENCH_PAIR_MATH_V1_TEMPLATE
    assert prompts["pair-v2-multi-turn"]["system_prompt"] == MTBENCH_PAIR_V2_MULTI_TURN_SYSTEM
    assert prompts["pair-v2-multi-turn"]["prompt_template"] == MTBENCH_PAIR_V2_MULTI_TURN_TEMPLATE
    assert prompts["pair-math-v1-multi-turn"]["system_prompt"] == MTBENCH_PAIR_MATH_V1_MULTI_TURN_SYSTEM
    assert prompts["pair-math-v1-multi-turn"]["prompt_template"] == MTBENCH_PAIR_MATH_V1_MULTI_TURN_TEMPLATE
    judgelm = json.loads((shared_data / "judge_prompts" / "judgelm.json").read_text())["templates"]
    assert judgelm["conv_judge_pair"]["system"] == JUDGELM_SYSTEM
    assert judgelm["conv_judge_pair"]["prompt"] == JUDGELM_RATING_PROMPT


def test_pandalm_prompt_with_and_without_input() -> None:
    profile = get_profile("pandalm")
    no_input = profile.build_prompt(PairCase("Add 2 and 2.", " 4 </s>", "<pad>5"))
    assert no_input.text is not None
    assert "The task is defined by the Instruction. Evaluate" in no_input.text
    assert "### Input:" not in no_input.text
    assert "### Response 1:\n4\n\n### Response 2:\n5\n\n### Evaluation:\n" in no_input.text
    with_input = profile.build_prompt(PairCase("Add.", "4", "5", input="2 and 2"))
    assert with_input.text is not None and "### Input:\n2 and 2\n\n" in with_input.text


@pytest.mark.parametrize(
    ("text", "verdict", "status"),
    [
        ("1\n\n### Reason: first is right\n\n### Reference: 4\n", "1", "ok"),
        ("Tie\n\n### Reason: both fine\n\n### Reference: x", "tie", "ok"),
        ("2", "2", "ok"),
        ("Response 1 is better", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_pandalm_parse(text: str, verdict: str | None, status: str) -> None:
    parsed = get_profile("pandalm").parse(text)
    assert (parsed.verdict, parsed.status) == (verdict, status)


def test_pandalm_parse_keeps_reason_and_reference() -> None:
    parsed = get_profile("pandalm").parse("2\n\n### Reason: Response 2 is correct.\n\n### Reference: 4\n")
    assert parsed.reason == "Response 2 is correct."
    assert parsed.reference == "4"


def test_unparsed_output_cut_at_the_limit_is_truncated_not_tie() -> None:
    parsed = get_profile("mtbench-pair").parse("Assistant A explains that", truncated=True)
    assert parsed.verdict is None and parsed.status == "truncated"


def test_mtbench_last_marker_wins_and_quotes_do_not_count_first() -> None:
    profile = get_profile("mtbench-pair")
    parsed = profile.parse('The format asks for "[[A]]" or "[[B]]". B is more accurate.\n\n[[B]]')
    assert parsed.verdict == "2"
    assert parsed.reason.startswith("The format asks")
    assert profile.parse("Both equal. [[C]]").verdict == "tie"
    assert profile.parse("I prefer A").status == "unparsed"


def test_mtbench_uses_math_prompt_when_reference_given() -> None:
    prompt = get_profile("mtbench-pair").build_prompt(PairCase("2+2?", "4", "5", reference="4"))
    assert prompt.messages is not None
    assert "[The Start of Reference Answer]\n4\n" in prompt.messages[1]["content"]


def test_judgelm_scores_to_verdict() -> None:
    profile = get_profile("judgelm")
    parsed = profile.parse("8 6\nAssistant 1 is more accurate.")
    assert (parsed.verdict, parsed.scores, parsed.reason) == (
        "1",
        (8.0, 6.0),
        "Assistant 1 is more accurate.",
    )
    assert profile.parse("7 7\nSame.").verdict == "tie"
    assert profile.parse("seven\n").status == "unparsed"


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match="pandalm"):
        get_profile("nope")


def _pandalm_layout(result: str, reason: str, reference: str) -> str:
    return f"{result}\n\n### Reason: {reason}\n\n### Reference: {reference}\n"


def test_real_pandalm_outputs_parse_back_to_recorded_verdicts(shared_data: Path) -> None:
    """PandaLM-7B's released judgments of its test set, re-assembled in its output layout."""
    rows = json.loads((shared_data / "pandalm" / "pandalm-7b-testset-v1.json").read_text())
    profile = get_profile("pandalm")
    names = {0: "Tie", 1: "1", 2: "2"}
    expected = {0: "tie", 1: "1", 2: "2"}
    for row in rows:
        text = _pandalm_layout(names[row["pandalm_result"]], row["pandalm_reason"], row["pandalm_reference"])
        parsed = profile.parse(text)
        assert parsed.verdict == expected[row["pandalm_result"]], row["idx"]
        assert parsed.reason == row["pandalm_reason"].strip()


def test_real_gpt35_outputs_parse_and_garbage_stays_unparsed(shared_data: Path) -> None:
    rows = json.loads((shared_data / "pandalm" / "gpt-3.5-turbo-testset-v1.json").read_text())
    profile = get_profile("pandalm")
    expected = {"1": "1", "2": "2", "Tie": "tie"}
    for row in rows:
        text = _pandalm_layout(row["gpt_result"], row["gpt_reason"], row["gpt_reference"])
        parsed = profile.parse(text)
        assert parsed.verdict == expected.get(row["gpt_result"]), row["idx"]
        if row["gpt_result"] not in expected:
            assert parsed.status == "unparsed"


def test_mtbench_pair_second_turn_prompts_are_what_fastchat_sends(shared_data: Path) -> None:
    """Two-turn MT-Bench questions: FastChat's ``prompt_template.format(...)`` of the jsonl equals our messages."""
    lines = (shared_data / "mt_bench" / "judge_prompts.jsonl").read_text().splitlines()
    prompts = {row["name"]: row for row in map(json.loads, lines)}
    question_lines = (shared_data / "mt_bench" / "question.jsonl").read_text().splitlines()
    questions = {row["question_id"]: row["turns"] for row in map(json.loads, question_lines)}
    reference_lines = (shared_data / "mt_bench" / "reference_answer" / "gpt-4.jsonl").read_text().splitlines()
    references = {row["question_id"]: row["choices"][0]["turns"] for row in map(json.loads, reference_lines)}
    profile = get_profile("mtbench-pair")
    a, b = ("A one.", "A two."), ("B one.", "B two.")
    for question_id in (81, 101):  # writing (no reference) and reasoning (GPT-4 reference answers)
        q1, q2 = questions[question_id][:2]
        refs = references.get(question_id)
        turn = PairTurn(q1, a[0], b[0], reference=refs[0] if refs else None)
        case = PairCase(q2, a[1], b[1], reference=refs[1] if refs else None, first_turn=turn)
        name = "pair-math-v1-multi-turn" if refs else "pair-v2-multi-turn"
        kwargs = {"ref_answer_1": refs[0], "ref_answer_2": refs[1]} if refs else {}
        expected = prompts[name]["prompt_template"].format(
            question_1=q1, question_2=q2, answer_a_1=a[0], answer_b_1=b[0], answer_a_2=a[1], answer_b_2=b[1], **kwargs
        )
        assert profile.build_prompt(case).messages == (
            {"role": "system", "content": prompts[name]["system_prompt"]},
            {"role": "user", "content": expected},
        )


def test_second_turn_cases_swap_both_turns_and_other_profiles_refuse_them() -> None:
    from judge_runtime.profiles import swapped

    case = PairCase("q2", "a2", "b2", first_turn=PairTurn("q1", "a1", "b1"))
    assert swapped(case) == PairCase("q2", "b2", "a2", first_turn=PairTurn("q1", "b1", "a1"))
    for name in ("pandalm", "judgelm"):
        with pytest.raises(JudgeInputError, match="single-turn cases only"):
            get_profile(name).build_prompt(case)
    with pytest.raises(JudgeInputError, match="both turns or for neither"):
        get_profile("mtbench-pair").build_prompt(PairCase("q2", "a2", "b2", reference="r2", first_turn=case.first_turn))


def test_prompt_template_hash_is_stable_and_covers_two_turn_prompts() -> None:
    """A stored judge run is found again only if the hash of an unchanged profile never moves."""
    assert prompt_template_hash(get_profile("pandalm")) == "dd1675b8ac051609"
    assert prompt_template_hash(get_profile("judgelm")) == "5d4bc95812a7d18d"
    hashes = {
        prompt_template_hash(get_profile(name)) for name in ("pandalm", "judgelm", "mtbench-pair", "mtbench-single")
    }
    assert len(hashes) == 4
