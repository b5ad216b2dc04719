"""The remote judge against a real third-party OpenAI-compatible server: llama.cpp's (llama-cpp-python).

The server runs the demo judge's GGUF (SmolLM2-135M-Instruct, Q4_1) with llama.cpp's own kernels,
while the local judge dequantizes the same file for torch, so the two are the same model computed
differently: texts may differ, verdict probabilities agree to about 0.01 (measured), and verdicts
agree except where the model is nearly undecided. These tests assert what must hold (results parse,
probabilities are real and sum to 1, streaming grows to the final result) and report the
differences from the local judge in a table instead of pretending they are equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from llamacpp_harness import LlamaCppServer, demo_gguf

from annotation_store import load_demo_dataset
from judge_runtime import Decoding, JudgeResult, PairCase, RemoteJudge, RemoteJudgeError, get_profile, load_judge
from judge_runtime.profiles import swapped
from judge_runtime.remote import _first_token_ids

NOT_INSTALLED = (
    "llama-cpp-python is not installed: `make test` builds it once into a wheel folder and installs it "
    "(see LLAMA_CPP_VERSION in the Makefile)"
)

SERVED = "smollm2-llamacpp"
TOLERANCE = 0.03  # local (dequantized, float32 torch) vs llama.cpp (Q4_1 kernels): ~0.01 measured
PICK = PairCase("Pick 1, 2 or Tie.", "1", "2")
CAPITAL = PairCase("What is the capital of France?", "The capital of France is Paris.", "The capital is Berlin.")


def demo_cases(categories: int = 5) -> list[PairCase]:
    """One prompt of each of the demo dataset's first categories (the strongest fictional model against the
    weakest), and PICK; few, as every case runs on both judges on a 2-core CI machine."""
    data = load_demo_dataset()
    seen: set[str] = set()
    cases = []
    for prompt in data["prompts"]:
        if prompt["category"] in seen or len(seen) == categories:
            continue
        seen.add(prompt["category"])
        answers = prompt["responses"]
        cases.append(
            PairCase(prompt["instruction"], answers["atlas-13b-chat"], answers["drizzle-1b"], input=prompt["input"])
        )
    return [*cases, PICK]


@pytest.fixture(scope="module")
def llamacpp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppServer]:
    pytest.importorskip("llama_cpp", reason=NOT_INSTALLED)
    server = LlamaCppServer(demo_gguf(), served_name=SERVED, log_path=tmp_path_factory.mktemp("llamacpp") / "log")
    server.start()
    yield server
    server.stop()


def remote(server: LlamaCppServer, **spec: object) -> RemoteJudge:
    judge = load_judge(model=f"openai:{SERVED}@{server.url}", **spec)
    assert isinstance(judge, RemoteJudge)
    return judge


def local_like(quick_judge, *, max_new_tokens: int, verdict_mode: str):
    """The session's demo judge (PandaLM profile, both orders) with another mode and token limit, not reloaded."""
    spec = replace(quick_judge.spec, profile="pandalm", verdict_mode=verdict_mode, max_new_tokens=max_new_tokens)
    preset = get_profile("pandalm").decoding_presets["fast"]
    decoding = Decoding(max_new_tokens, preset.num_beams, preset.repetition_penalty, preset.do_sample)
    return replace(quick_judge, spec=spec, profile=get_profile("pandalm"), decoding=decoding)


def report(capsys: pytest.CaptureFixture[str], title: str, header: str, rows: list[str]) -> None:
    """The comparison table, shown in the test output (also without -s)."""
    with capsys.disabled():
        print("\n".join(["", title, header, "-" * len(header), *rows]))


def _p(result: JudgeResult) -> str:
    p = result.probabilities
    return "-" if p is None else f"{p['1']:.3f}/{p['2']:.3f}/{p['tie']:.3f}"


@pytest.mark.model
def test_generated_verdicts_parse_and_are_compared_with_the_local_judge(llamacpp, quick_judge, capsys) -> None:
    judge = remote(llamacpp, verdict_mode="generate", max_new_tokens=12)
    local = local_like(quick_judge, max_new_tokens=12, verdict_mode="generate")
    rows, same_text, same_status = [], 0, 0
    for index, case in enumerate(demo_cases()):
        got, expected = judge.judge(case), local.judge(case)
        assert got.raw_output.strip() and got.output_tokens > 0
        assert got.prompt_tokens == expected.prompt_tokens  # the server tokenized the byte-exact prompt the same way
        assert got.parsed.status in {"ok", "unparsed", "truncated"}
        if got.parsed.status == "ok":
            assert got.parsed.verdict in {"1", "2", "tie"}
        else:
            assert got.parsed.verdict is None  # never a made-up verdict
        same_text += got.raw_output == expected.raw_output
        same_status += (got.parsed.status, got.parsed.verdict) == (expected.parsed.status, expected.parsed.verdict)
        rows.append(
            f"{index:>2} | {expected.parsed.status:9} {str(expected.parsed.verdict):4} {expected.raw_output[:28]!r:32}"
            f" | {got.parsed.status:9} {str(got.parsed.verdict):4} {got.raw_output[:28]!r}"
        )
    total = len(rows)
    report(
        capsys,
        f"generate, 12 tokens: same text {same_text}/{total}, same status and verdict {same_status}/{total}",
        " # | local: status verdict text               | llama.cpp: status verdict text",
        rows,
    )


@pytest.mark.model
def test_streaming_grows_to_the_same_result(llamacpp) -> None:
    judge = remote(llamacpp, verdict_mode="generate", max_new_tokens=12)
    steps = list(judge.stream(CAPITAL))
    texts = [step.text for step in steps]
    assert len(steps) > 3 and all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:-1], strict=False))
    assert all(step.result is None for step in steps[:-1])
    final, whole = steps[-1].result, judge.judge(CAPITAL)
    assert final is not None and final.raw_output == texts[-1] == whole.raw_output
    # llama-cpp-python streams no usage (it ignores stream_options): the prompt count stays 0 ("not reported")
    # and the output count is the number of pieces
    assert final.prompt_tokens in {0, whole.prompt_tokens} and final.output_tokens == whole.output_tokens == 12
    assert final.parsed.status == whole.parsed.status == "truncated"

    constrained = remote(llamacpp, verdict_mode="constrained", both_orders=True, max_new_tokens=4)
    steps = list(constrained.stream(CAPITAL))
    assert steps[0].text.split("\n")[0] in {"1", "2", "Tie"}  # the forced verdict word first, then the server's text
    final = steps[-1].result
    assert final is not None and final.probabilities is not None and final.parsed.status == "ok"
    assert final.raw_output == steps[-1].text and final.raw_output.startswith(steps[0].text)


@pytest.mark.model
def test_verdict_words_are_not_all_among_llamacpps_top_20_without_a_bias(llamacpp) -> None:
    """Why constrained requests bias the first token: unbiased, llama.cpp ranks only some verdict words."""
    prompt = get_profile("pandalm").build_prompt(CAPITAL).text
    body = {"model": SERVED, "prompt": prompt, "max_tokens": 1, "temperature": 0.0, "logprobs": 20}
    answer = httpx.post(f"{llamacpp.url}/completions", json=body, timeout=120).json()
    offered = answer["choices"][0]["logprobs"]["top_logprobs"][0]
    assert not {"1", "2", "T"} <= set(offered)


@pytest.mark.model
def test_constrained_verdicts_have_probabilities_that_match_the_local_judge(llamacpp, quick_judge, capsys) -> None:
    judge = remote(llamacpp, verdict_mode="constrained", both_orders=True, max_new_tokens=4)
    tokenizer = quick_judge.tokenizer
    words = {"1": "1", "2": "2", "tie": "Tie"}
    expected_ids = {
        verdict: tokenizer(word, add_special_tokens=False)["input_ids"][0] for verdict, word in words.items()
    }
    assert judge.fingerprint["verdict_token_ids"] == expected_ids  # llama.cpp's tokenizer = the local one
    assert judge.fingerprint["verdict_token_ids_from"] == "server /extras/tokenize"
    local = local_like(quick_judge, max_new_tokens=4, verdict_mode="constrained")
    rows, agree, gaps = [], 0, []
    for index, case in enumerate(demo_cases()):
        got, expected = judge.judge(case, uncertain_margin=0), local.judge(case, uncertain_margin=0)  # raw verdicts
        assert got.probabilities is not None and expected.probabilities is not None, index
        assert sum(got.probabilities.values()) == pytest.approx(1.0, abs=1e-9)
        p = got.probabilities
        assert got.parsed.status == "ok" and got.parsed.verdict == max(p, key=lambda verdict: p[verdict])
        gap = max(abs(got.probabilities[v] - expected.probabilities[v]) for v in ("1", "2", "tie"))
        assert gap < TOLERANCE, (index, got.probabilities, expected.probabilities)
        gaps.append(gap)
        ranked = sorted(expected.probabilities.values(), reverse=True)
        if ranked[0] - ranked[1] > TOLERANCE:  # where the model is not nearly undecided, the verdicts agree
            assert got.parsed.verdict == expected.parsed.verdict, index
        agree += got.parsed.verdict == expected.parsed.verdict
        rows.append(
            f"{index:>2} | {str(expected.parsed.verdict):4} {_p(expected):17}"
            f" | {str(got.parsed.verdict):4} {_p(got):17} | {gap:.3f}"
        )
    report(
        capsys,
        f"constrained, both orders: same verdict {agree}/{len(rows)}, largest probability gap {max(gaps):.3f}",
        " # | local: verdict p(1)/p(2)/p(tie) | llama.cpp: verdict p(1)/p(2)/p(tie) | gap",
        rows,
    )
    one_order = remote(llamacpp, verdict_mode="constrained", both_orders=False, max_new_tokens=1)
    shown, other = one_order.judge(PICK).probabilities, one_order.judge(swapped(PICK)).probabilities
    assert shown is not None and other is not None and sum(other.values()) == pytest.approx(1.0)
    both = judge.judge(PICK).probabilities  # not to 1e-6: llama.cpp's numbers move ~1e-3 with its KV cache reuse
    assert both is not None and both["1"] == pytest.approx((shown["1"] + other["2"]) / 2, abs=0.005)


@pytest.mark.model
def test_served_model_and_a_missing_one_are_reported(llamacpp) -> None:
    judge = remote(llamacpp, verdict_mode="generate", max_new_tokens=4)
    assert judge.fingerprint["served_model"] == SERVED and judge.fingerprint["server_model"]["id"] == SERVED
    with pytest.raises(RemoteJudgeError, match=rf"does not serve a model called 'nope'; it serves: {SERVED}"):
        load_judge(model=f"openai:nope@{llamacpp.url}")


def test_verdict_token_ids_drop_the_bos_a_server_adds_and_refuse_ambiguous_words() -> None:
    """llama-cpp-python's /extras/tokenize adds BOS for models that want one: tokenizing "" tells which."""
    assert _first_token_ids([[1], [1, 33], [1, 34], [1, 68, 481]]) == [33, 34, 68]
    assert _first_token_ids([[], [33], [34], [68, 481]]) == [33, 34, 68]
    assert _first_token_ids([[], [33], [33, 5], [68]]) is None  # two words, one first token: no bias
    assert _first_token_ids([[1], [1], [1, 34], [1, 68]]) is None  # a word without tokens of its own
