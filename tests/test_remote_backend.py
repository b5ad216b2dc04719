"""A judge on an OpenAI-compatible server: a real local server (FastAPI + uvicorn) serving the real SmolLM2 demo.

The server (tests/openai_server.py) generates with the same weights as the session's demo judge, so a
remote judgment must be the local judgment, byte for byte, over /completions, streamed or not, with
the verdict probabilities read from the server's log-probabilities.
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest
from openai_server import OpenAICompatibleServer

from evaluation import EvaluationPipeline
from judge_runtime import (
    DEMO_MODEL,
    Decoding,
    JudgeLoadError,
    JudgeSpec,
    PairCase,
    RemoteJudge,
    RemoteJudgeError,
    SingleCase,
    get_profile,
    load_judge,
)
from judge_runtime.profiles import swapped
from judge_runtime.remote import TOP_LOGPROBS, parse_remote_model

pytestmark = pytest.mark.model

SERVED = "smollm2-served"
CASE = PairCase("What is the capital of France?", "The capital of France is Paris.", "The capital of France is Berlin.")
# A case where the demo model offers all three verdict words ("1", "2", "T" of "Tie") among its top 20
# first tokens, in both orders, so the server's log-probabilities give the full p(1), p(2), p(tie).
PICK = PairCase("Pick 1, 2 or Tie.", "1", "2")


@pytest.fixture(scope="module", autouse=True)
def one_cpu_thread():
    """One torch thread while this module runs (the shared 2-core machine; see tests/test_pipeline.py)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def server(quick_judge):
    """The test server on a free port, generating with the session demo judge's weights (prompts up to 600 tokens)."""
    instance = OpenAICompatibleServer(
        quick_judge.model, quick_judge.tokenizer, served_name=SERVED, max_prompt_tokens=600
    )
    instance.start()
    yield instance
    instance.stop()


def remote(url: str, **spec) -> RemoteJudge:
    judge = load_judge(model=f"openai:{SERVED}@{url}", **spec)
    assert isinstance(judge, RemoteJudge)
    return judge


def local_like(quick_judge, *, profile: str = "pandalm", max_new_tokens: int, verdict_mode: str = "generate"):
    """The session's demo judge (same weights) with another profile / mode / token limit, without reloading it."""
    spec = replace(quick_judge.spec, profile=profile, verdict_mode=verdict_mode, max_new_tokens=max_new_tokens)
    preset = get_profile(profile).decoding_presets["fast"]
    decoding = Decoding(max_new_tokens, preset.num_beams, preset.repetition_penalty, preset.do_sample)
    return replace(quick_judge, spec=spec, profile=get_profile(profile), decoding=decoding)


def test_remote_pandalm_judgment_is_the_local_one_with_server_logprobs(server, quick_judge) -> None:
    judge = remote(server.url, max_new_tokens=12, verdict_mode="generate")
    local = local_like(quick_judge, max_new_tokens=12)
    results = {}
    for case in (CASE, PICK):
        got, expected = judge.judge(case), local.judge(case)
        assert got.raw_output == expected.raw_output and got.raw_output.strip()
        assert got.parsed == expected.parsed
        assert (got.prompt_tokens, got.output_tokens) == (expected.prompt_tokens, expected.output_tokens)
        results[case] = got
    sent = server.requests[-1]
    assert sent["model"] == SERVED and sent["prompt"] == get_profile("pandalm").build_prompt(PICK).text
    assert (sent["temperature"], sent["max_tokens"], sent["logprobs"]) == (0.0, 12, TOP_LOGPROBS)
    assert sent["repetition_penalty"] == 1.2 == sent["repeat_penalty"]  # PandaLM's preset, vLLM's and llama.cpp's name

    # p(1), p(2), p(tie) at the verdict position, from the server's top log-probabilities = the local forward pass
    probabilities = results[PICK].probabilities
    assert probabilities is not None
    expected_p = quick_judge.verdict_probabilities([quick_judge.encode(PICK)])[0]
    for verdict in ("1", "2", "tie"):
        assert probabilities[verdict] == pytest.approx(expected_p[verdict], abs=1e-4)

    fp = judge.fingerprint
    assert fp["backend"] == "openai-compatible" and fp["endpoint"] == server.url
    assert fp["served_model"] == SERVED and fp["server_model"]["root"] == "SmolLM2-135M-Instruct"
    assert fp["decoding"] == {"max_new_tokens": 12, "num_beams": 1, "repetition_penalty": 1.2, "do_sample": False}
    assert (fp["api"], fp["profile"], fp["top_logprobs"], fp["device_type"]) == ("completions", "pandalm", 20, "remote")
    assert fp["prompt_template_hash"] == quick_judge.fingerprint["prompt_template_hash"]
    assert judge.fingerprint_key != quick_judge.fingerprint_key
    assert remote(server.url, max_new_tokens=13).fingerprint_key != judge.fingerprint_key


def test_streamed_remote_judgment_arrives_in_pieces_and_ends_with_the_same_result(server) -> None:
    judge = remote(server.url, max_new_tokens=12, verdict_mode="generate")
    steps = list(judge.stream(PICK))
    texts = [step.text for step in steps]
    assert len(steps) > 3 and all(b.startswith(a) for a, b in zip(texts, texts[1:], strict=False))
    assert all(step.result is None for step in steps[:-1])
    final, whole = steps[-1].result, judge.judge(PICK)
    assert final is not None and final.raw_output == whole.raw_output == texts[-1]
    assert final.probabilities == pytest.approx(whole.probabilities)
    assert (final.prompt_tokens, final.output_tokens) == (whole.prompt_tokens, whole.output_tokens)
    assert final.parsed.status == "truncated"  # 12 tokens, no verdict line: the server said "length"


def test_constrained_both_orders_over_the_api_matches_the_local_judge(server, quick_judge) -> None:
    """The app's demo mode (verdict word by probability, both orders averaged) through the server."""
    judge = remote(server.url, max_new_tokens=8, verdict_mode="constrained", both_orders=True)
    local = local_like(quick_judge, max_new_tokens=8, verdict_mode="constrained")
    assert (
        local.spec.both_orders
        and judge.fingerprint["verdict_mode"] == "constrained"
        and judge.fingerprint["both_orders"]
    )
    got, expected = judge.judge(PICK, uncertain_margin=0), local.judge(PICK, uncertain_margin=0)  # the raw verdicts
    assert got.raw_output == expected.raw_output and got.parsed.status == "ok"
    assert got.probabilities is not None and expected.probabilities is not None
    for verdict in ("1", "2", "tie"):
        assert got.probabilities[verdict] == pytest.approx(expected.probabilities[verdict], abs=1e-4)
    one_token = remote(server.url, max_new_tokens=1, verdict_mode="constrained", both_orders=True)
    flipped = one_token.judge(swapped(PICK)).probabilities  # both orders: the swapped case mirrors the probabilities
    assert flipped is not None and flipped["1"] == pytest.approx(got.probabilities["2"], abs=1e-6)

    # CASE: the verdict words are not all among the top tokens: the verdict is still the local one (any
    # offered word beats every word not offered) but no made-up probabilities are reported
    # (the raw verdicts: without the server's probabilities the uncertain rule has nothing to read, while the local
    # judge's own may call this close case uncertain)
    got, expected = judge.judge(CASE, uncertain_margin=0), local.judge(CASE, uncertain_margin=0)
    assert got.raw_output == expected.raw_output and got.parsed.verdict == expected.parsed.verdict
    assert got.probabilities is None


def test_chat_profile_uses_the_servers_template_or_a_local_tokenizer(server, quick_judge) -> None:
    case = SingleCase("What is the capital of France?", "The capital of France is Paris.")
    expected = local_like(quick_judge, profile="mtbench-single", max_new_tokens=12).rate(case)

    over_chat = remote(server.url, profile="mtbench-single", max_new_tokens=12, verdict_mode="generate")
    assert (over_chat.fingerprint["api"], over_chat.fingerprint["chat_template"]) == ("chat/completions", "server")
    got = over_chat.rate(case)
    sent = server.requests[-1]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"] and "prompt" not in sent
    assert got.raw_output == expected.raw_output
    assert got.parsed.status == expected.parsed.status and got.parsed.score == expected.parsed.score
    streamed = list(over_chat.stream(case))  # SSE over /chat/completions: "delta" pieces
    assert len(streamed) > 2 and streamed[-1].result is not None
    assert streamed[-1].result.raw_output == expected.raw_output

    templated = remote(
        server.url, profile="mtbench-single", max_new_tokens=12, verdict_mode="generate", tokenizer=DEMO_MODEL
    )
    assert templated.fingerprint["api"] == "completions"
    assert templated.fingerprint["chat_template"] == f"local: {DEMO_MODEL}"
    got = templated.rate(case)
    sent = server.requests[-1]
    assert sent["prompt"].startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n")
    assert sent["add_special_tokens"] is False
    assert got.raw_output == expected.raw_output and got.prompt_tokens == expected.prompt_tokens
    if got.parsed.status != "ok":  # the demo model rarely writes [[rating]]: unparsed, never a made-up number
        assert got.parsed.score is None


def test_many_cases_run_concurrently_and_each_result_is_reported(server) -> None:
    judge = remote(server.url, max_new_tokens=4, verdict_mode="generate")
    cases = [CASE, PICK, PairCase("Name a colour.", "Blue.", "Seven.")]
    seen: list[int] = []
    results = judge.judge_many(cases, batch_size=3, on_result=lambda index, _r: seen.append(index))
    assert sorted(seen) == [0, 1, 2] and len(server.requests) >= 3
    assert [r.raw_output for r in results] == [judge.judge(case).raw_output for case in cases]  # in input order


def test_pipeline_runs_with_a_remote_judge(server, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps([{"instruction": "What is 2 + 2?"}, {"instruction": "Name a primary colour."}]))
    (tmp_path / "a.json").write_text(json.dumps(["4", "Red."]))
    (tmp_path / "b.json").write_text(json.dumps(["5", ""]))  # an empty response: refused, not sent
    spec = JudgeSpec(model=f"openai:{SERVED}@{server.url}", verdict_mode="generate", max_new_tokens=8)
    result = EvaluationPipeline([tmp_path / "a.json", tmp_path / "b.json"], inputs, judge=spec).evaluate()
    assert [s["status"] for s in result.samples][1] == "error"
    assert result.samples[0]["status"] in {"ok", "unparsed", "truncated"} and result.samples[0]["raw_output"]
    assert result.judge["fingerprint"]["backend"] == "openai-compatible"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_unreachable_endpoint_missing_model_and_http_errors_say_what_happened(server) -> None:
    port = _closed_port()
    with pytest.raises(
        RemoteJudgeError, match=rf"Cannot reach the judge endpoint http://127\.0\.0\.1:{port}/v1 .*refused"
    ):
        load_judge(model=f"openai:{SERVED}@http://127.0.0.1:{port}/v1")
    with pytest.raises(RemoteJudgeError, match=rf"does not serve a model called 'nope'; it serves: {SERVED}"):
        load_judge(model=f"openai:nope@{server.url}")
    with pytest.raises(JudgeLoadError, match="not of the form 'openai:<served model name>@<base URL>'"):
        load_judge(model="openai:just-a-name")
    with pytest.raises(JudgeLoadError, match="beam search"):
        load_judge(model=f"openai:{SERVED}@{server.url}", decoding="released")

    judge = remote(server.url, max_new_tokens=8, verdict_mode="generate")
    too_long = PairCase("Summarise.", "word " * 700, "short")
    with pytest.raises(RemoteJudgeError, match="answered HTTP 400 to completions: This model's maximum context length"):
        judge.judge(too_long)
    assert isinstance(RemoteJudgeError("x"), JudgeLoadError)  # the app shows it as a message, not a traceback


def test_remote_model_names_parse() -> None:
    assert parse_remote_model("openai:org/model@name@http://host:8000/v1/") == ("org/model@name", "http://host:8000/v1")
    assert parse_remote_model("openai:qwen@https://judge.example/v1") == ("qwen", "https://judge.example/v1")


def test_a_rubric_change_is_refused_where_the_fingerprint_would_not_record_it(server) -> None:
    """``Judge.with_profile``: a grading session's rubric is part of the prompt; the remote backend's fingerprint
    does not carry the filled-in profile's template hash, so it refuses rather than mixing two rubrics in one run."""
    from judge_runtime import JudgeInputError, with_rubric

    judge = remote(server.url, profile="prometheus2-absolute", max_new_tokens=8)
    assert judge.with_profile(judge.profile) is judge
    with pytest.raises(JudgeInputError, match="does not record the prompt's change"):
        judge.with_profile(with_rubric(judge.profile, "harmlessness"))
    with pytest.raises(JudgeInputError, match="use with_settings"):
        judge.with_profile(get_profile("selene-absolute"))
