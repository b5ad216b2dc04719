"""Probability-weighted ratings (``rating_mode="expected"``): the expected score under the judge's distribution
over the ratings 1-10, checked against a brute-force computation with one forward pass per token prefix.

CPU tests use a tiny random-weight LLaMA built here with the demo judge's real tokenizer (which splits "10"
into "1" + "0"), and one with "10" added as a single token; ``model`` tests use the real demo judge.
"""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from judge_runtime import JudgeInputError, JudgeLoadError, JudgeResult, JudgeSpec, SingleCase, load_judge
from judge_runtime.engine import LocalJudge
from judge_runtime.ratings import RATING_MARKER, RATINGS, closing_token_ids, rating_context, rating_sequences
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    SingleCase("What is the capital of France?", "The capital of France is Paris."),
    SingleCase("Give the sum of two and three.", "It is six."),
]


@pytest.fixture(autouse=True, scope="module")
def one_cpu_thread() -> Any:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return tokenizer_for_tests()


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory, tokenizer: Any) -> Path:
    folder = tmp_path_factory.mktemp("tiny-llama-ratings")
    random_llama(folder, tokenizer, TINY_LLAMA)
    return folder


def rater(folder: Path | str, **spec: Any) -> LocalJudge:
    settings = {"profile": "mtbench-single", "rating_mode": "expected", "max_new_tokens": 8, "device": "cpu"}
    judge = load_judge(JudgeSpec(model=str(folder), **{**settings, **spec}))
    assert isinstance(judge, LocalJudge)
    return judge


def brute_force(judge: LocalJudge, case: SingleCase, output: str) -> dict[int, float]:
    """Each rating's probability from separate, unbatched forward passes: one per token of the rating and one
    for the closing "]", each reading the last position's distribution; then renormalised over 1..10."""
    tokenizer = judge.tokenizer
    context = rating_context(output).text
    prefix = judge.encode(case) + list(tokenizer(context, add_special_tokens=False)["input_ids"])
    closing = list(closing_token_ids(tokenizer))
    context_tokens = len(tokenizer(context, add_special_tokens=False)["input_ids"])
    log_scores = {}
    for rating in RATINGS:
        full = tokenizer(context + f"{rating}]]", add_special_tokens=False)["input_ids"]
        digits = full[context_tokens:-1]  # the rating's tokens, then the closing token
        assert tokenizer.decode(digits) == str(rating)
        total, ids = 0.0, list(prefix)
        for token in [*digits, None]:
            with torch.inference_mode():
                logits = judge.model(input_ids=torch.tensor([ids])).logits[0, -1].float()
            logp = torch.log_softmax(logits, dim=-1)
            if token is None:
                total += float(torch.logsumexp(logp[closing], dim=0))
            else:
                total += float(logp[token])
                ids.append(token)
        log_scores[rating] = total
    weights = {r: math.exp(s) for r, s in log_scores.items()}
    return {r: w / sum(weights.values()) for r, w in weights.items()}


def check_distribution(result: JudgeResult) -> dict[int, float]:
    assert result.parsed.status == "ok"
    distribution = result.rating_probabilities
    assert distribution is not None and sorted(distribution) == list(RATINGS)
    assert math.isclose(sum(distribution.values()), 1.0, abs_tol=1e-9)
    assert all(p > 0 for p in distribution.values())
    score = result.parsed.score
    assert score is not None and 1.0 <= score <= 10.0
    assert score == pytest.approx(sum(r * p for r, p in distribution.items()))
    return distribution


# ------------------------------------------------------------------------------------------ pure parts


def test_the_rating_is_read_after_the_last_open_marker_or_after_an_appended_one() -> None:
    written = rating_context("Good answer, e.g. Rating: [[5]]. Accurate.\nRating: [[8]]")
    assert written.text == "Good answer, e.g. Rating: [[5]]. Accurate.\nRating: [["
    assert written.explanation == "Good answer, e.g. Rating: [[5]]. Accurate.\nRating:" and not written.marker_appended
    missing = rating_context("It is correct and clear.  ")
    assert missing.text == "It is correct and clear.\n\n" + RATING_MARKER and missing.marker_appended
    assert missing.explanation == "It is correct and clear."
    assert rating_context("").text == RATING_MARKER


def test_ratings_are_tokenized_in_context_without_leading_space_variants(tokenizer: Any) -> None:
    _base, sequences = rating_sequences(tokenizer, "Fine.\n\nRating: [[")
    assert len(sequences[10]) == 2 and sequences[10][0] == sequences[1][0]  # "10" is "1" then "0" here
    for rating in range(1, 10):
        assert tokenizer.convert_ids_to_tokens(list(sequences[rating])) == [str(rating)]  # no "Ġ5"
    closing = set(tokenizer.convert_ids_to_tokens(list(closing_token_ids(tokenizer))))
    assert {"]", "]]"} <= closing and all(piece.startswith("]") for piece in closing)


# ------------------------------------------------------------------------------------------ tiny LLaMA


def test_expected_rating_matches_brute_force_when_10_is_two_tokens(tiny_folder: Path) -> None:
    judge = rater(tiny_folder)
    results = judge.rate_many(CASES, batch_size=2)
    for case, result in zip(CASES, results, strict=True):
        distribution = check_distribution(result)
        expected = brute_force(judge, case, result.raw_output)
        for rating in RATINGS:
            assert distribution[rating] == pytest.approx(expected[rating], rel=1e-4, abs=1e-7)
        assert result.parsed.reason == rating_context(result.raw_output).explanation
    streamed = [p for p in judge.stream(CASES[0]) if p.result is not None][-1].result
    assert streamed is not None and streamed.parsed.score == pytest.approx(results[0].parsed.score, rel=1e-5)


def test_expected_rating_matches_brute_force_when_10_is_one_token(tmp_path: Path) -> None:
    tokenizer = tokenizer_for_tests()
    tokenizer.add_tokens(["10"])
    folder = tmp_path / "tiny-ten"
    random_llama(folder, tokenizer, TINY_LLAMA, seed=3)
    judge = rater(folder)
    _base, sequences = rating_sequences(judge.tokenizer, "Rating: [[")
    assert len(sequences[10]) == 1 and sequences[10] != sequences[1]
    result = judge.rate(CASES[1])
    distribution = check_distribution(result)
    expected = brute_force(judge, CASES[1], result.raw_output)
    assert distribution == pytest.approx(expected, rel=1e-4, abs=1e-7)


def test_settings_fingerprint_and_refusals(tiny_folder: Path) -> None:
    parse = rater(tiny_folder, rating_mode="parse")
    assert "rating_mode" not in parse.fingerprint and parse.rate(CASES[0]).rating_probabilities is None
    expected = parse.with_settings(rating_mode="expected")
    assert expected.fingerprint == rater(tiny_folder).fingerprint
    assert expected.fingerprint["rating_mode"] == "expected" and expected.fingerprint_key != parse.fingerprint_key
    pair = expected.with_settings(profile="pandalm")  # pairwise profiles ignore the rating mode
    assert "rating_mode" not in pair.fingerprint
    assert pair.with_settings(profile="mtbench-single").fingerprint == expected.fingerprint
    with pytest.raises(JudgeInputError, match="Unknown rating mode 'mean'"):
        parse.with_settings(rating_mode="mean")


def test_a_remote_judge_refuses_expected_ratings_before_connecting() -> None:
    spec = JudgeSpec(model="openai:judge@http://127.0.0.1:9/v1", profile="mtbench-single", rating_mode="expected")
    with pytest.raises(JudgeLoadError, match="needs a local judge"):
        load_judge(spec)


# ------------------------------------------------------------------------------------------ the demo judge


@pytest.mark.model
def test_demo_judge_expected_rating_matches_brute_force() -> None:
    from judge_runtime import DEMO_MODEL

    judge = rater(DEMO_MODEL, max_new_tokens=12)
    result = judge.rate(CASES[0])
    distribution = check_distribution(result)
    assert distribution == pytest.approx(brute_force(judge, CASES[0], result.raw_output), rel=1e-3, abs=1e-6)


@pytest.mark.model
def test_cli_rate_with_expected_ratings_stores_scores(tmp_path: Path) -> None:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    args = ["rate", "--rating-mode", "expected", "--limit", "2", "--max-new-tokens", "12", "--batch-size", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=900, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "Rated 2 responses (0 unparsed)" in result.stdout
    assert "expected ratings" in result.stderr and "Warning" not in result.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        rows = db.execute("SELECT status, score FROM judge_ratings").fetchall()
        (fingerprint,) = db.execute("SELECT fingerprint FROM judge_runs").fetchone()
    assert len(rows) == 2 and all(status == "ok" and 1.0 <= score <= 10.0 for status, score in rows)
    assert '"rating_mode": "expected"' in fingerprint
