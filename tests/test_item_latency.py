"""Each item's ``latency_s`` in a batch is measured per item (its batch's start to its own last token), on both
decode loops; ``judge_many``/``rate_many`` show a progress bar by default where someone watches a terminal.

A tiny random-weight LLaMA (real tokenizer) is made to stop early in one row only: a token that row writes
at its third step is declared a stop token, the other rows never write it and run to the token limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from judge_runtime import Judge, JudgeResult, JudgeSpec, PairCase, ParsedJudgment, load_judge
from judge_runtime.base import ResultCallback
from judge_runtime.engine import LocalJudge
from judge_runtime.profiles import Case, get_profile
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

CASES = [
    PairCase("Name a primary colour.", "Red.", "Banana."),
    PairCase("What is 2 + 2?", "4", "It is five."),
    PairCase("Say hi.", "Hi!", "Goodbye."),
]
NEW_TOKENS = 40


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread() -> Any:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama-latency")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=1)
    return folder


def judge_with_early_stop(folder: Path, loop: str) -> tuple[LocalJudge, int]:
    """A judge on ``loop`` where exactly one case stops after 3 tokens; returns it and that case's index."""
    judge = load_judge(
        JudgeSpec(model=str(folder), profile="pandalm", max_new_tokens=NEW_TOKENS, device="cpu", decode_loop=loop)
    )
    assert isinstance(judge, LocalJudge)
    batch = [judge.encode(case) for case in CASES]
    outputs = (
        judge.decoder.generate(batch, judge.greedy_settings()) if judge.decoder else judge._generate_batch(batch)[0]
    )
    for row, out in enumerate(outputs):
        token = out[2]
        if token not in out[:2] and all(token not in other for i, other in enumerate(outputs) if i != row):
            configured = judge.model.generation_config.eos_token_id
            eos = configured if isinstance(configured, list) else [configured]
            judge.model.generation_config.eos_token_id = [*eos, int(token)]
            return judge, row
    pytest.skip("no row writes a token of its own early (random weights)")


@pytest.mark.parametrize("loop", ["generate", "static"])
def test_an_item_that_finishes_early_reports_its_own_time(tiny_folder: Path, loop: str) -> None:
    judge, early = judge_with_early_stop(tiny_folder, loop)
    results = judge.judge_many(CASES, batch_size=len(CASES), progress=False)
    assert results[early].output_tokens == 3
    late = [r for i, r in enumerate(results) if i != early]
    assert all(r.output_tokens == NEW_TOKENS for r in late)
    assert all(r.latency_basis == "item" for r in results)
    # the early row's time stops at its 3rd token; the others ran 37 more steps in the same batch
    assert all(results[early].latency_s < r.latency_s for r in late)
    assert all(r.latency_s > 0 for r in results)


def test_beam_search_in_a_batch_says_its_latency_is_the_batch(tiny_folder: Path) -> None:
    judge = load_judge(
        JudgeSpec(model=str(tiny_folder), profile="pandalm", decoding="released", max_new_tokens=4, device="cpu")
    )
    results = judge.judge_many(CASES[:2], batch_size=2, progress=False)
    assert [r.latency_basis for r in results] == ["batch", "batch"]
    assert judge.judge(CASES[0]).latency_basis == "item"  # alone in its batch, the batch is the item


# ------------------------------------------------------------------------------------------ progress


class CountingJudge(Judge):
    """A judge without a model: every verdict is "1" (for the progress behaviour only)."""

    def __init__(self) -> None:
        self.spec = JudgeSpec()
        self.profile = get_profile("pandalm")
        self.fingerprint = {}

    def validate(self, case: Case) -> None:
        return None

    def stream(self, case: Case) -> Any:
        raise NotImplementedError

    def _run_many(self, cases: Sequence[Case], batch_size: int, on_result: ResultCallback | None) -> list[JudgeResult]:
        results = [JudgeResult(ParsedJudgment("1", "ok"), "1", 1, 1, 0.0) for _ in cases]
        for index, result in enumerate(results):
            if on_result is not None:
                on_result(index, result)
        return results


def test_judge_many_shows_a_bar_at_a_terminal_unless_the_caller_reports_progress(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    judge = CountingJudge()
    judge.judge_many(CASES)  # standard error is not a terminal under pytest: silent
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("judge_runtime.base._stderr_is_terminal", lambda: True)
    judge.judge_many(CASES)
    assert "3/3" in capsys.readouterr().err
    seen: list[int] = []
    judge.judge_many(CASES, on_result=lambda i, _r: seen.append(i))  # the caller shows progress itself
    assert capsys.readouterr().err == "" and seen == [0, 1, 2]
    judge.judge_many(CASES, on_result=lambda i, _r: seen.append(i), progress=True)  # both, when asked
    assert "3/3" in capsys.readouterr().err and seen == [0, 1, 2] * 2
    judge.judge_many(CASES, progress=False)
    assert capsys.readouterr().err == ""
