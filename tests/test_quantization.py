"""Quantized judges through bitsandbytes (NF4, NF4 with double quantization, FP4, int8), on the CPU in CI.

bitsandbytes >= 0.46 runs its 4-bit and 8-bit layers on the CPU, so the path a GPU user takes
(``load_judge(..., quantization="nf4")``) is loaded and judged here for real: a tiny random LLaMA
built in the test and the demo judge's weights (its GGUF file converted to a folder). ``cuda`` tests
repeat the NF4 load on a GPU (``bench/gpu_check.sh`` runs them).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from judge_runtime import JudgeLoadError, PairCase, load_judge
from judge_runtime.engine import LocalJudge
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

CASES = [
    PairCase("Name a primary colour.", "Red.", "Banana."),
    PairCase("What is 2 + 2?", "4", "It is five, because two and two make five in most number systems."),
    PairCase("Say hi.", "Hi!", "Goodbye."),
]
QUANTIZATIONS = ["nf4", "nf4-dq", "fp4", "int8"]


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread() -> Any:
    """One torch thread for these small models: on a busy 2-core machine two threads wait on each other and
    bitsandbytes' CPU kernels ran 10x slower (see bench/judge_speed.py); restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA)
    return folder


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo judge as a transformers folder: the converted copy the loader caches, or one saved here."""
    from judge_runtime.loading import DEMO_MODEL, gguf_cache_dir, load_model_and_tokenizer, resolve_model_source

    source = resolve_model_source(DEMO_MODEL)
    model, tokenizer = load_model_and_tokenizer(source, "cpu", "none")  # writes the cached copy when caching is on
    cached = gguf_cache_dir(source, "float32")
    if cached is not None and (cached / "config.json").is_file():
        return cached
    folder = tmp_path_factory.mktemp("demo-dense")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def quantized_layers(model: Any) -> list[Any]:
    import bitsandbytes as bnb

    return [m for m in model.modules() if isinstance(m, (bnb.nn.Linear4bit, bnb.nn.Linear8bitLt))]


def check_layers(judge: LocalJudge, quantization: str, device: str = "cpu") -> None:
    """Every decoder projection is a bitsandbytes layer of the asked kind, with its weights on ``device``."""
    import bitsandbytes as bnb

    layers = quantized_layers(judge.model)
    assert len(layers) == 7 * judge.model.config.num_hidden_layers  # q k v o gate up down; lm_head stays dense
    for layer in layers:
        assert layer.weight.device.type == device
        if quantization == "int8":
            assert isinstance(layer, bnb.nn.Linear8bitLt)
        else:
            assert isinstance(layer, bnb.nn.Linear4bit)
            weight: Any = layer.weight  # bitsandbytes' Params4bit
            assert weight.quant_type == quantization.removesuffix("-dq")
            assert bool(weight.quant_state.nested) == quantization.endswith("-dq")


def check_stream_equals_batch(judge: LocalJudge, batch_independent: bool = True) -> None:
    """Each case streamed alone and all of them in one left-padded batch give the same output.

    ``batch_independent=False`` (int8): LLM.int8() picks the activation columns it keeps in 16 bits
    over the whole batch, so a row's output may depend on the rows beside it; then the stream is
    compared with the same case judged alone, and the batch only has to give complete judgments.
    """
    batched = judge.judge_many(CASES, batch_size=4)
    for case, got in zip(CASES, batched, strict=True):
        steps = list(judge.stream(case))
        streamed = steps[-1].result
        alone = got if batch_independent else judge.judge(case)
        assert streamed is not None and streamed.raw_output == alone.raw_output
        assert streamed.output_tokens == alone.output_tokens > 0 and got.output_tokens > 0
        assert len(steps) > 1  # text arrived before the end
        if judge.constrained:
            assert got.parsed.status == "ok" and got.probabilities is not None
            assert sum(got.probabilities.values()) == pytest.approx(1.0)
            # one row (4-bit GEMV) and several (dequantize + matmul) round differently in bfloat16
            assert streamed.probabilities == pytest.approx(alone.probabilities, abs=1e-2)
        else:
            assert got.probabilities is None


@pytest.mark.parametrize("quantization", QUANTIZATIONS)
def test_tiny_llama_judges_through_each_quantization(tiny_folder: Path, quantization: str) -> None:
    judge = load_judge(
        model=str(tiny_folder),
        quantization=quantization,
        device="cpu",
        decode_loop="static",
        verdict_mode="constrained",
        max_new_tokens=8,
    )
    assert isinstance(judge, LocalJudge)
    check_layers(judge, quantization)
    assert judge.fingerprint["quantization"] == quantization and "bitsandbytes" in judge.fingerprint["versions"]
    check_stream_equals_batch(judge)
    generate_mode = judge.with_settings(verdict_mode="generate")
    assert generate_mode.fingerprint["quantization"] == quantization
    assert isinstance(generate_mode, LocalJudge)
    check_stream_equals_batch(generate_mode)


@pytest.mark.model
@pytest.mark.parametrize("quantization", ["nf4", "fp4", "int8"])
def test_demo_judge_through_each_quantization(demo_folder: Path, quantization: str) -> None:
    """The real SmolLM2 weights quantized at load: a verdict in constrained mode, free text in generate mode."""
    judge = load_judge(
        model=str(demo_folder),
        quantization=quantization,
        device="cpu",
        decode_loop="static",
        verdict_mode="constrained",
        both_orders=True,
        max_new_tokens=8,
    )
    assert isinstance(judge, LocalJudge)
    check_layers(judge, quantization)
    assert judge.fingerprint["quantization"] == quantization and judge.fingerprint["model"] == str(demo_folder)
    check_stream_equals_batch(judge, batch_independent=quantization != "int8")
    free = judge.with_settings(verdict_mode="generate", both_orders=False)
    assert isinstance(free, LocalJudge) and free.model is judge.model
    check_stream_equals_batch(free, batch_independent=quantization != "int8")


def test_missing_bitsandbytes_gives_the_install_hint(tiny_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # `import bitsandbytes` now raises ImportError
    with pytest.raises(JudgeLoadError, match=r"needs bitsandbytes.*pip install 'bitsandbytes>=0\.46'"):
        load_judge(model=str(tiny_folder), quantization="nf4", device="cpu")
    plain = load_judge(model=str(tiny_folder), quantization="none", device="cpu", max_new_tokens=4)
    assert plain.fingerprint["quantization"] == "none"  # unquantized judges do not need it


def test_unknown_quantization_lists_the_choices(tiny_folder: Path) -> None:
    with pytest.raises(JudgeLoadError, match="Unknown quantization 'nf3'; choose one of auto, nf4, nf4-dq, fp4"):
        load_judge(model=str(tiny_folder), quantization="nf3", device="cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (bench/gpu_check.sh)")
def test_nf4_judge_on_cuda(tiny_folder: Path) -> None:
    """The GPU default: NF4 weights on the GPU, the compiled loop warmed up at load; stream == judge()."""
    judge = load_judge(model=str(tiny_folder), device="cuda", verdict_mode="constrained", max_new_tokens=8)
    assert isinstance(judge, LocalJudge) and judge.decoder is not None and judge.decoder.compiled
    fp = judge.fingerprint
    assert (fp["quantization"], fp["decode_loop"], fp["device_type"]) == ("nf4", "compiled", "cuda")
    check_layers(judge, "nf4", "cuda")
    assert 1 in judge.decoder._caches  # batch 1 compiled and recorded at load
    for case in CASES:
        streamed = list(judge.stream(case))[-1].result
        assert streamed is not None and streamed.raw_output == judge.judge(case).raw_output
    assert all(r.parsed.status == "ok" for r in judge.judge_many(CASES, batch_size=4))
    dq = load_judge(model=str(tiny_folder), device="cuda", quantization="nf4-dq", decode_loop="static")
    assert isinstance(dq, LocalJudge)
    check_layers(dq, "nf4-dq", "cuda")
