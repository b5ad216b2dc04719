"""The static-cache decode loop (judge_runtime.static_decode): token-identical to ``model.generate``,
compiled and not; used for streams and batches; batches sized to memory and halved on out-of-memory.

CPU tests use a tiny random-weight LLaMA built here (real tokenizer); ``cuda`` tests run only where
CUDA is (``bench/gpu_check.sh`` runs them with ``pytest -m cuda``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from judge_runtime import PairCase, load_judge
from judge_runtime.batching import plan_batch_size, run_in_batches
from judge_runtime.engine import LocalJudge, build_decoder
from judge_runtime.static_decode import (
    GreedySettings,
    StaticDecoder,
    batch_slot,
    bucket_for,
    largest_slot,
    pick_next,
    resolve_decode_loop,
    row_bytes,
)
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

PROMPTS = [
    "Which is better, apples or pears?",
    "Say hi",
    "A much longer prompt about the capital of France, the capital of Germany and several other capitals.",
]
CASES = [
    PairCase("Name a primary colour.", "Red.", "Banana."),
    PairCase("What is 2 + 2?", "4", "It is five, because two and two make five in most number systems."),
    PairCase("Say hi.", "Hi!", "Goodbye."),
]
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (bench/gpu_check.sh)")


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread() -> Any:
    """One torch thread for these small models: on a busy 2-core machine two threads wait on each other and
    bitsandbytes' CPU kernels ran 10x slower (see bench/judge_speed.py); restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return tokenizer_for_tests()


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory, tokenizer: Any) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama")
    random_llama(folder, tokenizer, TINY_LLAMA)
    return folder


def load_model(folder: Path, device: str = "cpu", dtype: Any = torch.float32) -> Any:
    from transformers import AutoModelForCausalLM

    model: Any = AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype)
    return model.to(device).eval()


def generate_one_by_one(model: Any, batch: list[list[int]], settings: GreedySettings) -> list[list[int]]:
    """The reference: ``model.generate``, greedy, one prompt at a time, cut after the first stop token."""
    outputs = []
    with torch.inference_mode():
        for ids in batch:
            x = torch.tensor([ids], device=model.device)
            out = model.generate(
                input_ids=x,
                attention_mask=torch.ones_like(x),
                max_new_tokens=settings.max_new_tokens,
                do_sample=False,
                num_beams=1,
                repetition_penalty=settings.repetition_penalty,
                pad_token_id=settings.pad_id,
            )
            new = out[0, len(ids) :].tolist()
            stop = next((i for i, t in enumerate(new) if t in settings.stop_ids), None)
            outputs.append(new if stop is None else new[: stop + 1])
    return outputs


def settings_for(tokenizer: Any, max_new_tokens: int = 12, penalty: float = 1.0) -> GreedySettings:
    return GreedySettings(
        max_new_tokens=max_new_tokens,
        stop_ids=(tokenizer.eos_token_id,),
        pad_id=tokenizer.pad_token_id,
        repetition_penalty=penalty,
    )


# ------------------------------------------------------------------------------------------ token-exact


@pytest.mark.parametrize("compiled", [False, True], ids=["static", "compiled"])
def test_static_loop_is_token_identical_to_generate(tiny_folder: Path, tokenizer: Any, compiled: bool) -> None:
    """Left-padded batch and stream, compiled (torch.compile, gcc on the CPU) and not, against generate()."""
    model = load_model(tiny_folder)
    batch = [tokenizer(p)["input_ids"] for p in PROMPTS]
    settings = settings_for(tokenizer)
    expected = generate_one_by_one(model, batch, settings)
    assert all(len(set(row)) > 3 for row in expected) and len({tuple(r) for r in expected}) == 3  # not degenerate
    decoder = StaticDecoder(model, "cpu", cache_len=64 + 12, buckets=(16, 32, 64), compiled=compiled)
    assert decoder.generate(batch, settings) == expected  # 3 rows run in a slot of 4, the 4th a copy
    assert decoder.generate(batch[:1], settings) == expected[:1]
    assert [list(decoder.stream(ids, settings)) for ids in batch] == expected
    # compiled: one row pads up into the slot already compiled instead of compiling another
    assert sorted(decoder._caches) == ([4] if compiled else [1, 4])
    decoder.close()  # frees the caches and the decoder's own thread (compiled calls all run on it)
    assert not decoder._caches and decoder._worker is None


def test_repetition_penalty_matches_transformers() -> None:
    """PandaLM's fast preset decodes greedily with repetition penalty 1.2: same logits as generate()'s processor."""
    from transformers import RepetitionPenaltyLogitsProcessor

    torch.manual_seed(0)
    logits = torch.randn(3, 50) * 4
    ids = torch.randint(0, 50, (3, 20))
    ids[:, 0] = logits.argmax(-1)  # the favourite was seen already: the penalty has something to change
    seen = torch.zeros(3, 50, dtype=torch.bool).scatter_(1, ids, True)
    expected = RepetitionPenaltyLogitsProcessor(1.2)(ids, logits.clone()).argmax(-1)
    stop = torch.zeros(50, dtype=torch.bool)
    got = pick_next(logits, seen, torch.tensor(1.2), torch.tensor(False), stop)
    assert torch.equal(got, expected) and not torch.equal(got, logits.argmax(-1))  # the penalty changed a choice
    stop[expected[0]] = True  # a stop token is never chosen before min_new_tokens
    assert pick_next(logits, seen, torch.tensor(1.2), torch.tensor(True), stop)[0] != expected[0]


@pytest.mark.model
def test_demo_judge_through_the_static_loop_writes_what_generate_writes(quick_judge: Any) -> None:
    """The real SmolLM2 judge, PandaLM's fast preset (greedy, repetition penalty 1.2), stream and batch."""
    plain = quick_judge.with_settings(verdict_mode="generate", both_orders=False, max_new_tokens=24)
    assert isinstance(plain, LocalJudge)
    static = replace(plain, decoder=build_decoder(plain.model, "cpu", "static", plain.spec, plain.decoding))
    assert plain.decoding.repetition_penalty == 1.2 and static.uses_static_loop(300)
    expected = [plain.judge(case) for case in CASES]  # generate(), one at a time
    batched = static.judge_many(CASES, batch_size=4)
    streamed = [list(static.stream(case))[-1].result for case in CASES]
    for want, got, seen in zip(expected, batched, streamed, strict=True):
        assert seen is not None
        assert got.raw_output == want.raw_output == seen.raw_output
        assert got.output_tokens == want.output_tokens == seen.output_tokens
    ids = plain.encode(CASES[1])
    out = plain.tokenizer(expected[1].raw_output, add_special_tokens=False)["input_ids"]
    assert any(t in ids or t in out[:i] for i, t in enumerate(out))  # the penalty had tokens to act on


# ------------------------------------------------------------------------------------------ the judge


def tiny_judge(folder: Path, **settings: Any) -> LocalJudge:
    judge = load_judge(model=str(folder), device="cpu", quantization="none", max_new_tokens=10, **settings)
    assert isinstance(judge, LocalJudge)
    return judge


def test_decode_loop_setting_and_fallbacks(tiny_folder: Path) -> None:
    assert resolve_decode_loop("auto", "cpu") == "generate" and resolve_decode_loop("auto", "cuda:0") == "compiled"
    default = tiny_judge(tiny_folder)
    assert default.decoder is None and "decode_loop" not in default.fingerprint  # CPU default: generate()
    judge = tiny_judge(tiny_folder, decode_loop="static", prompt_buckets=(32, 64))
    assert judge.fingerprint["decode_loop"] == "static" and judge.decoder is not None
    assert judge.decoder.cache_len == 64 + 10 and judge.decoder.buckets == (32, 64)
    assert judge.uses_static_loop(64) and not judge.uses_static_loop(65)  # longer than every bucket: generate()
    beams = judge.with_settings(decoding="released")
    assert isinstance(beams, LocalJudge)
    assert beams.decoder is judge.decoder and not beams.uses_static_loop(10)  # beam search: generate()
    long_case = PairCase("Explain " * 40, "Yes.", "No.")
    assert len(judge.encode(long_case)) > 64
    assert judge.judge(long_case).raw_output == default.judge(long_case).raw_output
    with pytest.raises(ValueError, match="Unknown decode loop 'fast'"):
        tiny_judge(tiny_folder, decode_loop="fast")


def test_judge_many_streams_and_batches_alike_through_the_static_loop(tiny_folder: Path) -> None:
    plain = tiny_judge(tiny_folder, verdict_mode="constrained", both_orders=True)
    judge = tiny_judge(tiny_folder, verdict_mode="constrained", both_orders=True, decode_loop="static")
    batched = judge.judge_many(CASES, batch_size=4)
    for case, got in zip(CASES, batched, strict=True):
        streamed = list(judge.stream(case))[-1].result
        reference = plain.judge(case)
        assert streamed is not None and got.raw_output == streamed.raw_output == reference.raw_output
        assert got.probabilities == pytest.approx(reference.probabilities, abs=1e-5)


# ------------------------------------------------------------------------------------------ batch sizes


def test_buckets_slots_and_memory_plan() -> None:
    assert [bucket_for(n, (256, 512)) for n in (1, 256, 257, 512, 513)] == [256, 256, 512, 512, None]
    assert [batch_slot(n) for n in (1, 2, 3, 5, 32, 33)] == [1, 2, 4, 8, 32, 64]
    gib = 2**30
    assert plan_batch_size(128, 20 * gib, gib // 2) == 36  # generate(): 90% of 20 GiB at 0.5 GiB a row
    assert plan_batch_size(8, 80 * gib, gib // 2) == 8 and plan_batch_size(8, gib, 4 * gib) == 1
    # static loop: power-of-two slots; a slot whose cache exists needs only its transient memory
    assert largest_slot(128, 20 * gib, gib // 2, 0, set()) == 32
    assert largest_slot(128, 20 * gib, gib // 2, 0, {64}) == 64
    assert largest_slot(100, 80 * gib, gib // 8, gib // 8, set()) == 64 and largest_slot(8, gib, gib, gib, set()) == 1
    seen: list[list[int]] = []

    def run(batch: list[int]) -> list[int]:
        seen.append(batch)
        return batch

    lengths = [10, 300, 20, 290, 30, 600]
    out = run_in_batches(lengths, 4, run, group_of=lambda n: bucket_for(n, (256, 512)))
    assert out == list(range(6))
    assert [[lengths[i] for i in b] for b in seen] == [[10, 20, 30], [290, 300], [600]]  # no batch mixes buckets


def test_batch_size_follows_the_memory_budget(tiny_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    judge = tiny_judge(tiny_folder, decode_loop="static")
    assert judge.batch_size_for(64, 20) == 64  # CPU: what was asked for
    assert judge.decoder is not None
    per_row = sum(row_bytes(judge.model, judge.decoder.cache_len))
    monkeypatch.setattr(LocalJudge, "memory_budget", lambda self: 5 * per_row)
    assert judge.batch_size_for(64, 20) == 4  # 4.5 rows fit: the power of two below
    sizes = spy_batch_sizes(judge, monkeypatch)
    judge.judge_many(CASES * 3, batch_size=64)
    assert sizes and max(sizes) <= 4


def spy_batch_sizes(judge: LocalJudge, monkeypatch: pytest.MonkeyPatch, fail_above: int | None = None) -> list[int]:
    """Record the rows of every static-loop batch; with ``fail_above``, larger ones raise CUDA out-of-memory."""
    import judge_runtime.static_decode as static_decode

    sizes: list[int] = []
    real_prefill = static_decode.prefill

    def prefill(model: Any, cache: Any, arg: str, input_ids: Any, *rest: Any) -> Any:
        sizes.append(int(input_ids.shape[0]))
        if fail_above is not None and input_ids.shape[0] > fail_above:
            if input_ids.is_cuda:  # a real allocation failure from the CUDA allocator
                torch.empty(1 << 46, dtype=torch.uint8, device=input_ids.device)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected by the test)")
        return real_prefill(model, cache, arg, input_ids, *rest)

    monkeypatch.setattr(static_decode, "prefill", prefill)
    return sizes


def check_out_of_memory_back_off(judge: LocalJudge, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = CASES * 2  # three batches of two after the back-off: the same batch size (kernels) as `expected`
    expected = [r.raw_output for r in judge.judge_many(cases, batch_size=2)]
    assert judge.decoder is not None
    released: list[bool] = []
    real_release = judge.decoder.release

    def release() -> None:
        released.append(True)
        real_release()

    monkeypatch.setattr(judge.decoder, "release", release)
    sizes = spy_batch_sizes(judge, monkeypatch, fail_above=2)
    results = judge.judge_many(cases, batch_size=8)
    assert [r.raw_output for r in results] == expected  # every case judged, in order, same outputs
    assert sizes[:3] == [8, 4, 2] and max(sizes[2:]) == 2 and sum(sizes[2:]) >= len(cases)
    assert released == [True, True]  # the caches were dropped before each retry


def test_out_of_memory_halves_the_batch(tiny_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_out_of_memory_back_off(tiny_judge(tiny_folder, decode_loop="static"), monkeypatch)


def test_every_decoding_thread_gets_its_own_graph_state() -> None:
    """torch < 2.13 keeps CUDA-graph trees in a thread-local set only in the importing thread (pytorch#123177):
    a compiled judge's worker thread must have its own, else the second compiled judge of a process crashes."""
    from concurrent.futures import ThreadPoolExecutor

    from torch._inductor import cudagraph_trees as trees

    from judge_runtime.static_decode import _own_graph_state

    def in_new_thread() -> bool:
        # a new Python thread starts without the state (torch 2.13 would create it lazily, 2.11 asserts)
        assert not hasattr(trees.local, "tree_manager_containers")
        _own_graph_state("cuda")
        return isinstance(trees.local.tree_manager_containers, dict)  # set here, before torch looks for it

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(in_new_thread).result()


@pytest.mark.cuda
@needs_cuda
def test_two_compiled_judges_in_one_process_on_cuda(tiny_folder: Path) -> None:
    """Each compiled decoder records its CUDA graphs on its own thread: a second one must work too."""
    for _ in range(2):
        judge = load_judge(
            model=str(tiny_folder), device="cuda", quantization="none", max_new_tokens=10, decode_loop="compiled"
        )
        assert len(judge.judge_many(CASES[:2])) == 2


@pytest.mark.cuda
@needs_cuda
def test_compiled_loop_matches_eager_on_cuda(tiny_folder: Path, tokenizer: Any) -> None:
    """CUDA graphs (reduce-overhead) against the same loop uncompiled and against generate(), float32."""
    model = load_model(tiny_folder, "cuda")
    batch = [tokenizer(p)["input_ids"] for p in PROMPTS]
    settings = settings_for(tokenizer)
    expected = generate_one_by_one(model, batch, settings)
    eager = StaticDecoder(model, "cuda", cache_len=64 + 12, buckets=(64,), compiled=False)
    compiled = StaticDecoder(model, "cuda", cache_len=64 + 12, buckets=(64,), compiled=True)
    assert eager.generate(batch, settings) == expected
    for _ in range(3):  # first call compiles, then the CUDA graph is recorded and replayed
        assert compiled.generate(batch, settings) == expected
    assert [list(compiled.stream(ids, settings)) for ids in batch] == expected


@pytest.mark.cuda
@needs_cuda
def test_out_of_memory_back_off_on_cuda(tiny_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real CUDA allocation failure in a large batch: caches dropped, batch halved, every case judged."""
    judge = load_judge(model=str(tiny_folder), device="cuda", quantization="none", max_new_tokens=10)
    assert isinstance(judge, LocalJudge) and judge.decoder is not None and judge.decoder.compiled
    assert judge.memory_budget() is not None and judge.batch_size_for(8, 50) == 8
    check_out_of_memory_back_off(judge, monkeypatch)
