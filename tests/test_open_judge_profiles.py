"""Open judge profiles (Prometheus 2, OffsetBias-8B, Selene Mini, Arena-Hard): byte-exact prompts and strict parsers.

Prompts are rendered for every template variant and compared with what the upstream code builds from
``../shared/data/judge_prompts/*.json``. Each upstream parser is ported below (verbatim logic, regexes
checked against the JSON) and must agree with ours on well-formed outputs; the traps where they differ
are spelled out one by one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from judge_runtime import JudgeInputError, PairCase, SingleCase, get_profile, profile_names
from judge_runtime.loading import prompt_template_hash
from judge_runtime.open_judges import (
    ARENA_HARD_CREATIVE_WRITING_SYSTEM,
    ARENA_HARD_SYSTEM,
    ARENA_HARD_SYSTEMS,
    ARENA_HARD_TEMPLATE,
    OFFSETBIAS_LLMBAR_SYSTEM,
    OFFSETBIAS_LLMBAR_TEMPLATE,
    OFFSETBIAS_TEMPLATE,
    PROMETHEUS_ABS_SYSTEM,
    PROMETHEUS_ABSOLUTE_PROMPT,
    PROMETHEUS_ABSOLUTE_PROMPT_WO_REF,
    PROMETHEUS_PAPER_ABSOLUTE_PROMPT,
    PROMETHEUS_PAPER_RELATIVE_PROMPT,
    PROMETHEUS_REL_SYSTEM,
    PROMETHEUS_RELATIVE_PROMPT,
    PROMETHEUS_RELATIVE_PROMPT_WO_REF,
    PROMETHEUS_SCORE_RUBRIC_TEMPLATE,
    PROMETHEUS_V0120_RELATIVE_PROMPT,
    PROMETHEUS_V0120_RELATIVE_PROMPT_WO_REF,
    RUBRICS,
    SELENE_ABSOLUTE_TEMPLATE,
    SELENE_ABSOLUTE_WITH_REFERENCE_TEMPLATE,
    SELENE_PAIRWISE_TEMPLATE,
    ArenaHardProfile,
    OffsetBiasProfile,
    PrometheusAbsoluteProfile,
    PrometheusRelativeProfile,
    Rubric,
    SeleneAbsoluteProfile,
    get_rubric,
    with_rubric,
)
from judge_runtime.profiles import render, swapped, unswap

OPEN = (
    "prometheus2-relative",
    "prometheus2-absolute",
    "offsetbias",
    "selene-pairwise",
    "selene-absolute",
    "arena-hard",
)
V0120 = "v0.1.20@1a88c06f30c755962269d5e756b8f485ae06aecd"
PAPER = "paper_eval_prompts(eval/prompts.py)"


def _json(shared_data: Path, name: str) -> dict[str, Any]:
    return json.loads((shared_data / "judge_prompts" / f"{name}.json").read_text(encoding="utf-8"))


# ============================================================================ upstream code, ported
# prometheus-eval@dcfb442 libs/prometheus-eval/prometheus_eval/parser.py (comments' trailing blanks dropped)
UPSTREAM_PROMETHEUS_ABSOLUTE = r"""
        (?:                        # Start of non-capturing group
            \[RESULT\]|\[SCORE\]|   # Match [RESULT] or [SCORE]
            Score:?|score:?|        # Match Score: or score:
            Result:?|\[Result\]:?|  # Match Result: or [Result]:
            score\s+of              # Match "score of"
        )                           # End of non-capturing group
        \s*                         # Allow any whitespace
        (?:\(|\[|\s)*               # Allow opening brackets or whitespace
        (\d+)                       # Capture the digit(s)
        (?:                         # Start of non-capturing group
            (?:\)|\]|\s|$)|         # Allow closing brackets, whitespace, or end of string
            (?:/\s*5|               # Allow /5 with optional whitespace
               \s*out\s*of\s*5)     # or "out of 5" with flexible whitespace
        )?                          # End of non-capturing group
        (?:\s*$)                    # Match from the end of string
    """
UPSTREAM_PROMETHEUS_RELATIVE = r"""
        (?:                                # Start of non-capturing group
            \[RESULT\]|\[RESULT:\s*|        # Match [RESULT] or [RESULT:
            \[Response\s+|                  # Match [Response
            \[Result\](?:\s+Response)?|     # Match [Result] or [Result] Response
            \[Result:\s*|                   # Match [Result:
            (?:^|\n)Result:?\s*             # Match Result: at the start of a line
        )                                   # End of non-capturing group
        \s*                                 # Allow any whitespace
        (A|B)                               # Capture A or B
        (?:\])?                             # Allow closing bracket, whitespace, or end of string
        (?:\s*$)                            # Match from the end of string
    """


def upstream_prometheus_absolute(output: str) -> int | None:
    match = re.search(UPSTREAM_PROMETHEUS_ABSOLUTE, output, re.IGNORECASE | re.VERBOSE)
    if match:
        result = int(match.group(1))
        if 1 <= result <= 5:
            return result
    return None


def upstream_prometheus_relative(output: str) -> str | None:
    match = re.search(UPSTREAM_PROMETHEUS_RELATIVE, output, re.IGNORECASE | re.VERBOSE | re.MULTILINE)
    return match.group(1).upper() if match else None


def upstream_fastchat_mistral(messages: list[dict[str, str]]) -> str:
    """FastChat@0e6d3e4 ``get_conv_template("mistral")`` filled as prometheus-eval's ``_get_conversation_prompt``
    does, ``get_prompt()``'s LLAMA2 branch, then ``VLLM.completions``' ``.strip()``."""
    system_template, roles, seps = "[INST] {system_message}\n", ("[INST]", "[/INST]"), [" ", "</s>"]
    system_message, turns = "", list[tuple[str, str | None]]()
    for entry in messages:
        if entry["role"] == "system":
            system_message = entry["content"]
        elif entry["role"] == "user":
            turns.append((roles[0], entry["content"]))
    turns.append((roles[1], None))
    ret = system_template.format(system_message=system_message) if system_message else "[INST] "
    for i, (_role, message) in enumerate(turns):
        tag = roles[i % 2]
        if message:
            ret += message + " " if i == 0 else tag + " " + message + seps[i % 2]
        else:
            ret += tag
    return ret.strip()


def upstream_load_rubric_relative(rubric: str) -> str:
    return rubric.split("\n")[0]


# ncsoft/offsetbias@0bd16e4 prompt/offsetbias.py output_pattern, module.py get_prediction / make_conversation
UPSTREAM_OFFSETBIAS_PATTERNS = {1: r"(?:^|\n) ?Output \(a\)", 2: r"(?:^|\n) ?Output \(b\)"}


def upstream_offsetbias(output_text: str) -> int:
    """1 (a), 2 (b), 4 (N/A); the generated text is ``.strip()``-ed first (VllmModule/HfModule.generate)."""
    for prediction, pattern in UPSTREAM_OFFSETBIAS_PATTERNS.items():
        if re.search(pattern, output_text.strip()):
            return prediction
    return 4


def upstream_offsetbias_conversation(
    system: str | None, template: str, instruction: str, response1: str, response2: str, swap: bool
) -> list[dict[str, str]]:
    conversation = [{"role": "system", "content": system}] if system else []
    user = template.format(
        input=instruction,
        output_1=response1 if not swap else response2,
        output_2=response2 if not swap else response1,
    )
    return [*conversation, {"role": "user", "content": user}]


# atla-ai/selene-mini@1425d20 cookbooks: parse_atla_response (absolute scoring: int; classification: str)
def upstream_selene(response: str, *, as_int: bool) -> tuple[str | None, Any]:
    try:
        lines = [line.strip() for line in response.split("\n") if line.strip()]
        critique = score = None
        for line in lines:
            if line.startswith("**Reasoning:**"):
                critique = line.replace("**Reasoning:**", "").strip()
            elif line.startswith("**Result:**"):
                value = line.replace("**Result:**", "").strip()
                score = int(value) if as_int else value
        return critique, score
    except Exception:
        return None, None


# lmarena/arena-hard-auto@196f6b8 gen_judgment.get_score, config regex_patterns; and the v0.1-era get_score
UPSTREAM_ARENA_PATTERNS = [r"\[\[([AB<>=]+)\]\]", r"\[([AB<>=]+)\]"]


def upstream_arena(judgment: str) -> str | None:
    for pattern in UPSTREAM_ARENA_PATTERNS:
        matches = [m for m in re.compile(pattern).findall(judgment.upper()) if m != ""]
        if len(set(matches)) > 0:
            return matches[-1].strip("\n")
    return None


def upstream_arena_v01(judgment: str) -> str | None:
    matches = [m for m in re.compile(UPSTREAM_ARENA_PATTERNS[0]).findall(judgment) if m != ""]
    return matches[0].strip("\n") if len(set(matches)) == 1 else None


def test_ported_upstream_parsers_are_the_recorded_code(shared_data: Path) -> None:
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines()]

    parsing = _json(shared_data, "prometheus2")["parsing"]
    assert lines(parsing["absolute_regex"]) == lines(UPSTREAM_PROMETHEUS_ABSOLUTE)
    assert lines(parsing["relative_regex"]) == lines(UPSTREAM_PROMETHEUS_RELATIVE)
    offsetbias = _json(shared_data, "offsetbias")
    assert offsetbias["parsing"]["output_pattern"] == {str(k): v for k, v in UPSTREAM_OFFSETBIAS_PATTERNS.items()}
    assert offsetbias["variant_llmbar"]["output_pattern"] == offsetbias["parsing"]["output_pattern"]
    assert _json(shared_data, "arena_hard")["parsing"]["regex_patterns"] == UPSTREAM_ARENA_PATTERNS
    fastchat = _json(shared_data, "prometheus2")["assembly"]["fastchat_mistral"]["register_conv_template_mistral"]
    assert 'system_template="[INST] {system_message}\\n"' in fastchat and 'roles=("[INST]", "[/INST]")' in fastchat


# ==================================================================================== byte-exact strings


def test_prometheus_strings_are_byte_exact(shared_data: Path) -> None:
    data = _json(shared_data, "prometheus2")
    templates, variants = data["templates"], data["version_variants"]
    assert data["system_prompts"]["ABS_SYSTEM_PROMPT"] == PROMETHEUS_ABS_SYSTEM
    assert data["system_prompts"]["REL_SYSTEM_PROMPT"] == PROMETHEUS_REL_SYSTEM
    assert templates["ABSOLUTE_PROMPT"]["template"] == PROMETHEUS_ABSOLUTE_PROMPT
    assert templates["ABSOLUTE_PROMPT_WO_REF"]["template"] == PROMETHEUS_ABSOLUTE_PROMPT_WO_REF
    assert templates["RELATIVE_PROMPT"]["template"] == PROMETHEUS_RELATIVE_PROMPT
    assert templates["RELATIVE_PROMPT_WO_REF"]["template"] == PROMETHEUS_RELATIVE_PROMPT_WO_REF
    assert variants[V0120]["RELATIVE_PROMPT"]["template"] == PROMETHEUS_V0120_RELATIVE_PROMPT
    assert variants[V0120]["RELATIVE_PROMPT_WO_REF"]["template"] == PROMETHEUS_V0120_RELATIVE_PROMPT_WO_REF
    assert variants["v0.1.20_absolute_identical_to_HEAD"] is True
    assert variants[PAPER]["ABSOLUTE_PROMPT"]["template"] == PROMETHEUS_PAPER_ABSOLUTE_PROMPT
    assert variants[PAPER]["RELATIVE_PROMPT"]["template"] == PROMETHEUS_PAPER_RELATIVE_PROMPT
    assert data["rubric_template"]["template"] == PROMETHEUS_SCORE_RUBRIC_TEMPLATE
    assert data["verdicts"] == {"absolute": [1, 2, 3, 4, 5], "relative": ["A", "B"], "tie": False}


def test_rubrics_are_prometheus_eval_s_and_relative_grading_shows_the_criterion_line(shared_data: Path) -> None:
    upstream = _json(shared_data, "prometheus2")["default_rubrics"]
    for name, rubric in RUBRICS.items():
        text = upstream[f"{name.upper()}_RUBRIC"]
        assert rubric.score_rubric() == text
        assert rubric.criterion_line() == upstream_load_rubric_relative(text)
        assert get_rubric(name) == rubric == Rubric.from_text(text)
    assert len(RUBRICS) == len(upstream)
    with pytest.raises(ValueError, match="helpfulness"):
        get_rubric("kindness")
    with pytest.raises(ValueError, match="Score 1"):
        Rubric.from_text("[Is it kind?]\nScore 1: no")


def test_offsetbias_selene_and_arena_strings_are_byte_exact(shared_data: Path) -> None:
    offsetbias = _json(shared_data, "offsetbias")
    assert offsetbias["templates"]["offsetbias"]["template"] == OFFSETBIAS_TEMPLATE
    assert "\n                \n" in OFFSETBIAS_TEMPLATE and "“Output (a)”" in OFFSETBIAS_TEMPLATE  # quirks kept
    assert offsetbias["variant_llmbar"]["system"] == OFFSETBIAS_LLMBAR_SYSTEM
    assert offsetbias["variant_llmbar"]["user"]["template"] == OFFSETBIAS_LLMBAR_TEMPLATE
    assert (offsetbias["system_prompt"], offsetbias["tie"]) == (None, False)
    selene = _json(shared_data, "selene_mini")["templates"]
    assert selene["pairwise"]["template"] == SELENE_PAIRWISE_TEMPLATE
    assert selene["absolute-scoring"]["template"] == SELENE_ABSOLUTE_TEMPLATE
    assert selene["absolute-scoring-with-reference"]["template"] == SELENE_ABSOLUTE_WITH_REFERENCE_TEMPLATE
    arena = _json(shared_data, "arena_hard")
    assert arena["system_prompts"]["OG_ARENA_HARD_PROMPT"] == ARENA_HARD_SYSTEM
    assert arena["system_prompts"]["creative_writing"] == ARENA_HARD_CREATIVE_WRITING_SYSTEM
    assert arena["templates"]["user_prompt_template"]["template"] == ARENA_HARD_TEMPLATE
    for category, settings in arena["judge_settings"].items():  # every category is one of the two variants
        variant = "creative_writing" if category == "creative_writing" else "default"
        assert settings["system_prompt"] == ARENA_HARD_SYSTEMS[variant], category
    old = arena["old_config_prompt_template"]["template"]
    assert old.format(question_1="{QUESTION}", answer_1="{ANSWER_A}", answer_2="{ANSWER_B}") == ARENA_HARD_TEMPLATE


def test_selene_templates_are_the_yaml_files(shared_data: Path) -> None:
    yaml = pytest.importorskip("yaml")
    selene = _json(shared_data, "selene_mini")
    for name, raw in selene["templates_raw_yaml"].items():
        assert yaml.safe_load(raw)["user_template"] == selene["templates"][name]["template"], name


# ============================================================================== rendering, every variant


@pytest.fixture(scope="module")
def bias_items(shared_data: Path) -> list[dict[str, Any]]:
    """One real EvalBiasBench item per bias type, as case texts."""
    path = shared_data / "evalbiasbench" / "biasbench.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [items[0] for items in data.values()]


def _prometheus_expected(system: str, template: str, **fields: Any) -> str:
    return upstream_fastchat_mistral(
        [{"role": "system", "content": system}, {"role": "user", "content": template.format(**fields)}]
    )


@pytest.mark.parametrize("reference", [None, "The reference answer."])
def test_prometheus_absolute_renders_as_prometheus_eval(
    shared_data: Path, bias_items: list[dict[str, Any]], reference: str | None
) -> None:
    data = _json(shared_data, "prometheus2")
    key = "ABSOLUTE_PROMPT" if reference else "ABSOLUTE_PROMPT_WO_REF"
    template, rubric = data["templates"][key]["template"], data["default_rubrics"]["HELPFULNESS_RUBRIC"]
    profile = get_profile("prometheus2-absolute")
    for item in bias_items:
        # absolute_grade: template.format(instruction, response, rubric, reference_answer) -> FastChat mistral
        expected = _prometheus_expected(
            data["system_prompts"]["ABS_SYSTEM_PROMPT"],
            template,
            instruction=item["instruction"],
            response=item["response1"],
            rubric=rubric,
            reference_answer=reference,
        )
        prompt = render(profile, SingleCase(item["instruction"], item["response1"], reference=reference))
        assert (prompt.text, prompt.messages) == (expected, None)
        assert (
            prompt.text is not None
            and prompt.text.startswith("[INST] You are a fair judge")
            and prompt.text.endswith("###Feedback:  [/INST]")
        )


@pytest.mark.parametrize("version", ["head", V0120])
@pytest.mark.parametrize("reference", [None, "The reference answer."])
def test_prometheus_relative_renders_as_prometheus_eval(
    shared_data: Path, bias_items: list[dict[str, Any]], version: str, reference: str | None
) -> None:
    data = _json(shared_data, "prometheus2")
    key = "RELATIVE_PROMPT" if reference else "RELATIVE_PROMPT_WO_REF"
    template = (data["templates"] if version == "head" else data["version_variants"][V0120])[key]["template"]
    rubric = upstream_load_rubric_relative(data["default_rubrics"]["HELPFULNESS_RUBRIC"])
    profile = PrometheusRelativeProfile(template_version="head" if version == "head" else "v0.1.20")
    for item in bias_items:
        expected = _prometheus_expected(
            data["system_prompts"]["REL_SYSTEM_PROMPT"],
            template,
            instruction=item["instruction"],
            response_A=item["response1"],
            response_B=item["response2"],
            rubric=rubric,
            reference_answer=reference,
        )
        case = PairCase(item["instruction"], item["response1"], item["response2"], reference=reference)
        assert render(profile, case).text == expected


def test_prometheus_paper_prompts_reproduce_every_hhh_alignment_prompt(shared_data: Path) -> None:
    """prometheus-eval's HHH alignment file stores 442 complete grading prompts: the ``paper`` variant
    of ``prometheus2-absolute``, given each prompt's instruction, response and rubric, rebuilds them all."""
    path = shared_data / "hhh_alignment" / "hhh_alignment_eval.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    rows = json.loads(path.read_text(encoding="utf-8"))
    template = PROMETHEUS_PAPER_ABSOLUTE_PROMPT.removeprefix("\n")
    fields = re.escape(template)
    for name in ("orig_instruction", "orig_response", "score_rubric"):
        fields = fields.replace(re.escape("{" + name + "}"), f"(?P<{name}>.*)")
    pattern = re.compile(fields, re.DOTALL)
    base = PrometheusAbsoluteProfile(template_version="paper")
    for row in rows:
        for key in ("chosen_instruction", "rejected_instruction"):
            match = pattern.fullmatch(row[key])
            assert match, key
            profile = with_rubric(base, match["score_rubric"])
            case = SingleCase(match["orig_instruction"], match["orig_response"])
            expected = upstream_fastchat_mistral(
                [{"role": "system", "content": PROMETHEUS_ABS_SYSTEM}, {"role": "user", "content": row[key]}]
            )
            assert render(profile, case).text == expected


def test_prometheus_paper_relative_variant(shared_data: Path) -> None:
    data = _json(shared_data, "prometheus2")["version_variants"][PAPER]["RELATIVE_PROMPT"]["template"]
    profile = PrometheusRelativeProfile(template_version="paper")
    user = data.removeprefix("\n").format(
        orig_instruction="Q", response_A="R1", response_B="R2", score_rubric=RUBRICS["helpfulness"].criterion_line()
    )
    assert render(profile, PairCase("Q", "R1", "R2")).text == upstream_fastchat_mistral(
        [{"role": "system", "content": PROMETHEUS_REL_SYSTEM}, {"role": "user", "content": user}]
    )


@pytest.mark.parametrize("variant", ["offsetbias", "llmbar"])
def test_offsetbias_renders_make_conversation_in_both_orders(
    shared_data: Path, bias_items: list[dict[str, Any]], variant: str
) -> None:
    data = _json(shared_data, "offsetbias")
    if variant == "llmbar":
        system, template = data["variant_llmbar"]["system"], data["variant_llmbar"]["user"]["template"]
    else:
        system, template = None, data["templates"]["offsetbias"]["template"]
    profile = OffsetBiasProfile(variant="llmbar" if variant == "llmbar" else "offsetbias")
    for item in bias_items:
        case = PairCase(item["instruction"], item["response1"], item["response2"])
        for swap, shown in ((False, case), (True, swapped(case))):
            expected = upstream_offsetbias_conversation(
                system, template, item["instruction"], item["response1"], item["response2"], swap
            )
            assert render(profile, shown).messages == tuple(expected)


@pytest.mark.parametrize("reference", [None, "The reference answer."])
def test_selene_renders_the_yaml_templates(
    shared_data: Path, bias_items: list[dict[str, Any]], reference: str | None
) -> None:
    templates = _json(shared_data, "selene_mini")["templates"]
    rubric = RUBRICS["helpfulness"]
    descriptions = {f"rubric_score_{i}_description": d for i, d in enumerate(rubric.descriptions, 1)}
    for item in bias_items:
        pair = templates["pairwise"]["template"].format(
            user_input=item["instruction"],
            assistant_response_a=item["response1"],
            assistant_response_b=item["response2"],
            rubric_objective=rubric.criteria,
        )
        case = PairCase(item["instruction"], item["response1"], item["response2"], reference=reference)
        assert render(get_profile("selene-pairwise"), case).messages == ({"role": "user", "content": pair},)
        name = "absolute-scoring-with-reference" if reference else "absolute-scoring"
        extra = {"reference_response": reference} if reference else {}
        single = templates[name]["template"].format(
            user_input=item["instruction"],
            assistant_response=item["response1"],
            rubric_objective=rubric.criteria,
            **descriptions,
            **extra,
        )
        prompt = render(
            get_profile("selene-absolute"), SingleCase(item["instruction"], item["response1"], reference=reference)
        )
        assert prompt.messages == ({"role": "user", "content": single},)
        assert f"[{rubric.criteria}]\nScore 1: " in single


@pytest.mark.parametrize("variant", ["default", "creative_writing"])
def test_arena_hard_renders_pairwise_judgment_messages(
    shared_data: Path, bias_items: list[dict[str, Any]], variant: str
) -> None:
    arena = _json(shared_data, "arena_hard")
    category = "creative_writing" if variant == "creative_writing" else "hard_prompt"
    profile = ArenaHardProfile(system_variant="creative_writing" if variant == "creative_writing" else "default")
    for item in bias_items:
        # pairwise_judgment: prompt_args (REFERENCE is passed and the template drops it), system + user
        prompt_args = {
            "QUESTION": item["instruction"],
            "ANSWER_A": item["response1"],
            "ANSWER_B": item["response2"],
            "REFERENCE": "ref",
        }
        user = arena["templates"]["user_prompt_template"]["template"].format(**prompt_args)
        expected = (
            {"role": "system", "content": arena["judge_settings"][category]["system_prompt"]},
            {"role": "user", "content": user},
        )
        case = PairCase(item["instruction"], item["response1"], item["response2"], reference="ref")
        assert render(profile, case).messages == expected


def test_input_joins_the_instruction_and_two_turn_cases_are_refused() -> None:
    prompt = render(get_profile("arena-hard"), PairCase("Translate.", "Hallo", "Hi", input="Hello"))
    assert prompt.messages is not None and "<|User Prompt|>\nTranslate.\n\nHello\n\n" in prompt.messages[1]["content"]
    text = render(get_profile("prometheus2-absolute"), SingleCase("Translate.", "Hallo", input="Hello")).text
    assert text is not None and "###The instruction to evaluate:\nTranslate.\n\nHello\n\n" in text
    from judge_runtime import PairTurn, Turn

    for name in OPEN:
        profile = get_profile(name)
        case: PairCase | SingleCase = (
            SingleCase("q2", "a2", first_turn=Turn("q1", "a1"))
            if profile.kind == "single"
            else PairCase("q2", "a2", "b2", first_turn=PairTurn("q1", "a1", "b1"))
        )
        with pytest.raises(JudgeInputError, match="single-turn cases only"):
            render(profile, case)


# ================================================================================================ parsing

PROMETHEUS_FEEDBACK = (
    "The response identifies the main cause correctly and explains it with a concrete example, but it "
    "omits the second factor the question asks about. So the overall score is 4."
)


@pytest.mark.parametrize(
    ("text", "score", "status"),
    [
        (f"{PROMETHEUS_FEEDBACK} [RESULT] 4", 4.0, "ok"),
        (f"Feedback: {PROMETHEUS_FEEDBACK} [RESULT] 3\n", 3.0, "ok"),
        (f"{PROMETHEUS_FEEDBACK} [RESULT] (5)", 5.0, "ok"),
        (f"{PROMETHEUS_FEEDBACK} [RESULT] 2/5", 2.0, "ok"),
        (f"{PROMETHEUS_FEEDBACK}\n[RESULT] 1.", 1.0, "ok"),
        # a quoted format line is no marker; the real one after it counts
        ('As required, "(feedback) [RESULT] (an integer number between 1 and 5)".\nIt is fine. [RESULT] 2', 2.0, "ok"),
        # a marker quoted in the reasoning, then the final one: the LAST wins
        ("A sourced answer would earn [RESULT] 5\nThis one cites nothing. [RESULT] 3", 3.0, "ok"),
        # the final marker outside 1-5 does not fall back to an earlier one
        ("Good. [RESULT] 4\nOn reflection, [RESULT] 6", None, "unparsed"),
        ("[RESULT] 0", None, "unparsed"),
        ("[RESULT] 4.5", None, "unparsed"),
        (f"{PROMETHEUS_FEEDBACK} Score: 4", None, "unparsed"),  # not the format's marker
        ("", None, "unparsed"),
        ("   \n", None, "unparsed"),
    ],
)
def test_prometheus_absolute_parse(text: str, score: float | None, status: str) -> None:
    parsed = get_profile("prometheus2-absolute").parse(text)
    assert (parsed.score, parsed.status, parsed.verdict) == (score, status, None)
    if status == "ok":
        assert parsed.reason and not parsed.reason.startswith("Feedback:") and "[RESULT]" not in parsed.reason[-12:]


def test_prometheus_absolute_truncated_and_reason() -> None:
    profile = get_profile("prometheus2-absolute")
    assert profile.parse("The response is thorough and", truncated=True).status == "truncated"
    parsed = profile.parse(f"Feedback: {PROMETHEUS_FEEDBACK} [RESULT] 4")
    assert parsed.reason == PROMETHEUS_FEEDBACK


def test_prometheus_prompt_echo_is_not_a_five() -> None:
    """The trap: prometheus-eval's parser once matched its own prompt ("a reference answer that gets a
    score of 5") and returned 5 for everything. A decoded text that still holds the prompt gets the
    judge's own [RESULT], or no score at all."""
    profile = get_profile("prometheus2-absolute")
    prompt = render(profile, SingleCase("Name a prime.", "9", reference="7")).text
    assert prompt is not None and "gets a score of 5" in prompt and "Score 5: " in prompt
    no_result = f"<s> {prompt} 9 is not prime, so the answer is wrong."
    first_match = re.search(UPSTREAM_PROMETHEUS_ABSOLUTE.replace("(?:\\s*$)", ""), no_result, re.I | re.X)
    assert first_match is not None and first_match.group(1) == "5"  # what an unanchored first match reads
    assert profile.parse(no_result).status == "unparsed"
    assert profile.parse(no_result + " [RESULT] 1").score == 1.0
    assert get_profile("prometheus2-relative").parse(f"<s> {prompt} Both are poor.").status == "unparsed"


@pytest.mark.parametrize(
    ("text", "verdict", "status"),
    [
        ("Feedback: Response B names the second factor, Response A does not. [RESULT] B", "2", "ok"),
        ("Response A is accurate and concise. [RESULT] A", "1", "ok"),
        ("Response A is accurate. [RESULT] (A)\n", "1", "ok"),
        ("Response B is better. [RESULT] Response B", "2", "ok"),
        ('The format is "[RESULT] (Either "A" or "B")". A is vague.\n[RESULT] B', "2", "ok"),
        ("Had A cited a source: [RESULT] A\nIt did not; B did. [RESULT] B", "2", "ok"),
        ("They are equally good. [RESULT] Tie", None, "unparsed"),  # no tie in this format
        ("Equal. [RESULT] A\nOn reflection: [RESULT] C", None, "unparsed"),  # out of vocabulary, no fall back
        ("[RESULT] A or B", None, "unparsed"),
        ("[RESULT] a tie", None, "unparsed"),
        ("Response A is better.", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_prometheus_relative_parse(text: str, verdict: str | None, status: str) -> None:
    parsed = get_profile("prometheus2-relative").parse(text)
    assert (parsed.verdict, parsed.status) == (verdict, status)


@pytest.mark.parametrize(
    ("text", "verdict", "status"),
    [
        ("Output (a)", "1", "ok"),
        ("Output (b)", "2", "ok"),
        (" Output (b)\n", "2", "ok"),
        ("“Output (b)”", "2", "ok"),
        ("Output (a).", "1", "ok"),
        # upstream checks (a) first anywhere at a line start and would say (a) here
        ("Output (b)\nOutput (a) is longer but does not follow the instruction.", "2", "ok"),
        ("Output (a) or Output (b)", None, "unparsed"),
        ("Output (c)", None, "unparsed"),
        ("Output (A)", None, "unparsed"),
        ("Both are good.", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_offsetbias_parse(text: str, verdict: str | None, status: str) -> None:
    parsed = get_profile("offsetbias").parse(text)
    assert (parsed.verdict, parsed.status) == (verdict, status)


def test_offsetbias_truncated() -> None:
    assert get_profile("offsetbias").parse("Output (", truncated=True).status == "truncated"


SELENE_REASONING = (
    "Response A answers the question but adds an unrequested list.\n"
    "Response B answers exactly what was asked, with a correct example."
)


@pytest.mark.parametrize(
    ("text", "verdict", "status"),
    [
        (f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** B", "2", "ok"),
        (f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** A.", "1", "ok"),
        ("**Reasoning:** Per the format, **Result:** A would mean A.\n\n**Result:** B", "2", "ok"),
        ("**Reasoning:** x\n**Result:** A\n\n**Reasoning:** on reflection\n**Result:** B", "2", "ok"),
        (f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** Tie", None, "unparsed"),
        (f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** Response B", None, "unparsed"),
        ("**Reasoning:** x\n**Result:** A\n**Result:** C", None, "unparsed"),
        (f"**Reasoning:** {SELENE_REASONING}", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_selene_pairwise_parse(text: str, verdict: str | None, status: str) -> None:
    parsed = get_profile("selene-pairwise").parse(text)
    assert (parsed.verdict, parsed.status) == (verdict, status)


def test_selene_keeps_the_whole_reasoning() -> None:
    """Upstream keeps only the first line of a multi-line reasoning; ours keeps all of it."""
    text = f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** B"
    assert get_profile("selene-pairwise").parse(text).reason == SELENE_REASONING
    assert upstream_selene(text, as_int=False) == (SELENE_REASONING.split("\n")[0], "B")


@pytest.mark.parametrize(
    ("text", "score", "status"),
    [
        (f"**Reasoning:** {SELENE_REASONING}\n\n**Result:** 4", 4.0, "ok"),
        ("**Reasoning:** Meets most of the rubric.\n\n**Result:** 3.", 3.0, "ok"),
        ("**Reasoning:** x\n\n**Result:** 6", None, "unparsed"),
        ("**Reasoning:** x\n\n**Result:** 4/5", None, "unparsed"),
        ("**Reasoning:** x\n\n**Result:** <an integer between 1 and 5>", None, "unparsed"),
        ("**Reasoning:** x\n**Result:** 5\n**Result:** 0", None, "unparsed"),
        ("**Reasoning:** x\n\n**Result:** ²", None, "unparsed"),
        ("", None, "unparsed"),
    ],
)
def test_selene_absolute_parse(text: str, score: float | None, status: str) -> None:
    parsed = get_profile("selene-absolute").parse(text)
    assert (parsed.score, parsed.status) == (score, status)


def test_selene_truncated() -> None:
    assert get_profile("selene-absolute").parse("**Reasoning:** The resp", truncated=True).status == "truncated"


ARENA_REASONING = (
    "My own answer: the capital of Australia is Canberra.\n\n"
    "Assistant A says Sydney, which is wrong. Assistant B says Canberra and explains why."
)


@pytest.mark.parametrize(
    ("text", "verdict", "strength", "status"),
    [
        (f"{ARENA_REASONING}\n\nMy final verdict is: [[B>>A]]", "2", "significant", "ok"),
        (f"{ARENA_REASONING}\n\nMy final verdict is Assistant B is slightly better: [[B>A]]", "2", "slight", "ok"),
        (f"{ARENA_REASONING}\n\nMy final verdict is: [[A>>B]]", "1", "significant", "ok"),
        (f"{ARENA_REASONING}\n\nMy final verdict is: [[A>B]].", "1", "slight", "ok"),
        ("Both are fine.\n\nMy final verdict is tie: [[A=B]]", "tie", None, "ok"),
        ('The example "[[A=B]]" is for ties. Here B is better: [[B>A]]', "2", "slight", "ok"),
        ("If A were right it would be [[A>>B]].\nIt is not: [[B>>A]]", "2", "significant", "ok"),
        ("Leaning [[A>B]], but final verdict: [[Tie]]", None, None, "unparsed"),
        ("Final verdict: [[B<A]]", None, None, "unparsed"),  # not one of the prompt's five labels
        ("Final verdict: [[A>>>B]]", None, None, "unparsed"),
        ("Final verdict: [A>B]", None, None, "unparsed"),  # upstream's single-bracket fallback reads A>B
        (ARENA_REASONING, None, None, "unparsed"),
        ("", None, None, "unparsed"),
    ],
)
def test_arena_hard_parse(text: str, verdict: str | None, strength: str | None, status: str) -> None:
    parsed = get_profile("arena-hard").parse(text)
    assert (parsed.verdict, parsed.strength, parsed.status) == (verdict, strength, status)
    if status == "ok":
        assert parsed.reason and "[[" not in parsed.reason[-3:]


def test_arena_hard_truncated_and_strength_survives_the_swap() -> None:
    profile = get_profile("arena-hard")
    assert profile.parse("My own answer: Canberra. Assistant A", truncated=True).status == "truncated"
    # judged with the responses swapped, [[A>>B]] favours the canonical response 2, still significantly
    parsed = profile.parse("A is far better: [[A>>B]]")
    assert (unswap(parsed.verdict), parsed.strength) == ("2", "significant")


# ==================================================================== agreement with upstream parsers

FEEDBACKS = (
    "The response is correct and complete.",
    "The response misses the second part of the question; it explains the first part well.",
    "Response A is correct, Response B is not.\nBoth are concise.",
)


def test_prometheus_parsers_agree_with_upstream_on_well_formed_outputs() -> None:
    absolute, relative = get_profile("prometheus2-absolute"), get_profile("prometheus2-relative")
    for feedback in FEEDBACKS:
        for score in range(1, 6):
            for form in ("{f} [RESULT] {s}", "Feedback: {f} [RESULT] {s}", "{f} [RESULT] ({s})", "{f}\n[RESULT] {s}\n"):
                text = form.format(f=feedback, s=score)
                assert absolute.parse(text).score == upstream_prometheus_absolute(text) == score, text
        for label, verdict in (("A", "1"), ("B", "2")):
            for form in ("{f} [RESULT] {s}", "Feedback: {f} [RESULT] {s}", "{f}\n[RESULT] {s}\n"):
                text = form.format(f=feedback, s=label)
                assert upstream_prometheus_relative(text) == label, text
                assert relative.parse(text).verdict == verdict, text


def test_offsetbias_parser_agrees_with_upstream_on_well_formed_outputs() -> None:
    profile = get_profile("offsetbias")
    for text in ("Output (a)", "Output (b)", " Output (a)\n", "Output (b)\n\n"):
        assert str(upstream_offsetbias(text)) == profile.parse(text).verdict, text
    assert upstream_offsetbias("Both are good.") == 4 and profile.parse("Both are good.").verdict is None


def test_selene_parsers_agree_with_upstream_on_well_formed_outputs() -> None:
    pairwise, absolute = get_profile("selene-pairwise"), get_profile("selene-absolute")
    for feedback in FEEDBACKS:
        for label, verdict in (("A", "1"), ("B", "2")):
            text = f"**Reasoning:** {feedback}\n\n**Result:** {label}"
            assert upstream_selene(text, as_int=False)[1] == label
            assert pairwise.parse(text).verdict == verdict
        for score in range(1, 6):
            text = f"**Reasoning:** {feedback}\n\n**Result:** {score}\n"
            assert upstream_selene(text, as_int=True)[1] == score == absolute.parse(text).score


def test_arena_hard_parser_agrees_with_upstream_on_well_formed_outputs() -> None:
    profile = get_profile("arena-hard")
    labels = {"A>>B": ("1", "significant"), "A>B": ("1", "slight"), "A=B": ("tie", None)}
    labels |= {"B>A": ("2", "slight"), "B>>A": ("2", "significant")}
    for feedback in FEEDBACKS:
        for label, expected in labels.items():
            text = f"{feedback}\n\nMy final verdict is: [[{label}]]"
            assert upstream_arena(text) == upstream_arena_v01(text) == label
            parsed = profile.parse(text)
            assert (parsed.verdict, parsed.strength) == expected
    quoted = "If A were right: [[A>>B]].\nIt is not: [[B>>A]]"
    assert upstream_arena(quoted) == "B>>A" and upstream_arena_v01(quoted) is None  # v0.1 gave up on two labels


# ===================================================================================== the registry


def test_every_open_profile_is_registered_with_its_kind_and_greedy_released_decoding() -> None:
    assert set(OPEN) <= set(profile_names())
    kinds = {name: get_profile(name).kind for name in OPEN}
    assert kinds == {
        "prometheus2-relative": "pair",
        "prometheus2-absolute": "single",
        "offsetbias": "pair",
        "selene-pairwise": "pair",
        "selene-absolute": "single",
        "arena-hard": "pair",
    }
    for name in OPEN:
        profile = get_profile(name)
        assert profile.name == name and profile.verdict_words is None
        assert {"released", "fast"} <= set(profile.decoding_presets)
        assert not any(preset.do_sample for preset in profile.decoding_presets.values())
        case = SingleCase("q", "a") if profile.kind == "single" else PairCase("q", "a", "b")
        prompt = render(profile, case)
        assert (prompt.messages is not None) == profile.uses_chat_template == (prompt.text is None)
    assert get_profile("prometheus2-absolute").decoding_presets["released"].repetition_penalty == 1.03
    assert get_profile("offsetbias").decoding_presets["released"].max_new_tokens == 20
    assert get_profile("arena-hard").decoding_presets["released"].max_new_tokens == 4096
    assert PrometheusAbsoluteProfile().score_range == SeleneAbsoluteProfile().score_range == (1.0, 5.0)


def test_wrong_case_kind_is_refused_with_a_hint() -> None:
    with pytest.raises(JudgeInputError, match="rates one response"):
        render(get_profile("prometheus2-absolute"), PairCase("q", "a", "b"))
    with pytest.raises(JudgeInputError, match="compares two responses"):
        render(get_profile("arena-hard"), SingleCase("q", "a"))


def test_template_hashes_differ_per_profile_and_per_rubric() -> None:
    hashes = {prompt_template_hash(get_profile(name)) for name in profile_names()}
    assert len(hashes) == len(profile_names())
    profile = PrometheusAbsoluteProfile()
    honest = with_rubric(profile, "honesty")
    assert honest.rubric == RUBRICS["honesty"] and prompt_template_hash(honest) != prompt_template_hash(profile)
    assert prompt_template_hash(get_profile("prometheus2-absolute")) == prompt_template_hash(profile)
    selene = with_rubric(SeleneAbsoluteProfile(), RUBRICS["reasoning"])
    prompt = render(selene, SingleCase("q", "a"))
    assert prompt.messages is not None and "[Does the model demonstrate logical" in prompt.messages[0]["content"]
