"""The `judge` command on a dataset (s9 tester "judge": findings 1, 6, 8, 12 and 14).

- One comparison too long for the judge's context no longer aborts the run: it is stored with status
  "error" and the reason (naming its key), the others are judged, and the summary names it (finding 1).
- A run with nothing left says so without loading the weights or drawing a bar; a batched run says when
  its bar first moves (finding 6).
- A malformed ``openai:NAME@URL`` is refused before any "Judge:" line or bar; a 404 to /models hints at
  /v1 (finding 12).
- The summary names truncated outputs as truncated, and counts in words (findings 14 and 8).

A tiny random LLaMA (1,024-token context, real tokenizer and ``transformers`` path) keeps these fast; the
over-long case with the demo judge itself is in ``test_judging_s9_demo``.
"""

from __future__ import annotations

import http.server
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests

ROOT = Path(__file__).resolve().parents[1]
MAP = ["--map", "key=id", "--map", "instruction=question", "--map", "response1=a", "--map", "response2=b"]
LONG = " ".join(f"word{i}" for i in range(3000))  # thousands of tokens: beyond the tiny judge's 1,024


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _import(home: Path, rows: list[tuple[str, str, str, str]], dataset: str) -> subprocess.CompletedProcess[str]:
    path = home / f"{dataset}.csv"
    path.write_text("id,question,a,b\n" + "".join(f'{k},{q},{a},"{b}"\n' for k, q, a, b in rows), encoding="utf-8")
    return _run(home, "import", str(path), "--format", "csv", *MAP, "--model1", "m1", "--model2", "m2",
                "--dataset", dataset)  # fmt: skip


def _statuses(home: Path) -> dict[str, tuple[str, str]]:
    """Each judged prompt key's (status, raw output)."""
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:
        rows = db.execute(
            "SELECT p.key, v.status, v.raw_output FROM judge_verdicts v JOIN comparisons c ON c.id = v.comparison_id "
            "JOIN prompts p ON p.id = c.prompt_id"
        ).fetchall()
    return {key: (status, raw) for key, status, raw in rows}


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-judge")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=4)
    return folder


def test_an_over_long_comparison_is_stored_as_an_error_and_the_others_are_judged(
    tmp_path: Path, tiny_judge: Path
) -> None:
    rows = [("q1", "Question 1?", "a1", "b1"), ("q2", "Question 2?", "a2", LONG), ("q3", "Question 3?", "a3", "b3")]
    assert _import(tmp_path, rows, "big").returncode == 0
    judge = (
        "judge",
        "--dataset",
        "big",
        "--judge-model",
        str(tiny_judge),
        "--max-new-tokens",
        "2",
        "--batch-size",
        "8",
    )
    first = _run(tmp_path, *judge)  # a batch of 8 holds all three: the long one must not sink it (the CPU's default
    # is one at a time since s15, so the batch is asked for)
    assert first.returncode == 0, first.stderr
    stored = _statuses(tmp_path)
    assert set(stored) == {"q1", "q2", "q3"}
    status, why = stored["q2"]
    assert status == "error" and "key q2" in why and "exceeds the judge's context of 1024 tokens" in why
    assert stored["q1"][0] != "error" and stored["q3"][0] != "error"
    assert "1 comparison too long for the judge's context: q2 (#2)." in first.stdout
    assert 'stored with status "error"' in first.stdout
    # the judged ones are counted by status, named as stored (the tiny judge's 2 tokens are cut: truncated)
    made = [stored[k][0] for k in ("q1", "q3")]
    for name in ("unparsed", "truncated"):
        assert f"{made.count(name)} {name}" in first.stdout
    assert "1 error" in first.stdout and "Judged 3 comparisons of 'big'" in first.stdout
    assert "Judging 2 comparisons in one batch of 2: the progress moves when the batch is done" in first.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_runs").fetchone() == (1,)

    second = _run(tmp_path, *judge)
    assert second.returncode == 0, second.stderr
    # a stored error is no verdict: the same judge tries it again (a fixed input would be judged) and names it
    assert (
        "Judged 1 comparison of 'big' (0 ok, 0 uncertain, 0 unparsed, 1 error); skipped 2 already judged"
        in second.stdout
    )
    assert "1 comparison too long for the judge's context: q2 (#2)." in second.stdout
    assert "Judging: " not in second.stderr  # everything left was refused: no bar drawn


def test_a_dataset_of_only_over_long_comparisons_leaves_no_empty_run(tmp_path: Path, tiny_judge: Path) -> None:
    assert _import(tmp_path, [("long1", "Question?", "a", LONG)], "only").returncode == 0
    result = _run(tmp_path, "judge", "--dataset", "only", "--judge-model", str(tiny_judge), "--max-new-tokens", "2")
    assert result.returncode == 0, result.stderr
    assert "Judged 1 comparison of 'only' (0 ok, 0 uncertain, 0 unparsed, 1 error)" in result.stdout
    assert "too long for the judge's context: long1 (#1)" in result.stdout
    assert _statuses(tmp_path)["long1"][0] == "error"


def test_an_import_counts_in_words(tmp_path: Path) -> None:
    result = _import(tmp_path, [("q1", "Question?", "a", "b")], "one")
    assert result.returncode == 0, result.stderr
    assert "1 new prompt, 2 responses, 1 comparison." in result.stdout


# ------------------------------------------------------------------ remote judge specs, before any output


@pytest.fixture()
def not_found_server() -> Iterator[str]:
    """An HTTP server answering 404 to everything (a base URL without /v1 looks like this)."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_error(404, "Not Found")

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("openai:smol@ftp://127.0.0.1/v1", "http or https only"),
        ("openai:smol", "is not of the form 'openai:<served model name>@<base URL>'"),
    ],
)
def test_a_malformed_remote_judge_is_refused_before_any_output(tmp_path: Path, spec: str, says: str) -> None:
    result = _run(tmp_path, "judge", "--judge-model", spec)
    assert result.returncode != 0
    assert says in result.stderr
    assert "Judge:" not in result.stderr and "Judging" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_base_url_without_v1_gets_a_hint_before_any_output(tmp_path: Path, not_found_server: str) -> None:
    result = _run(tmp_path, "judge", "--judge-model", f"openai:smol@{not_found_server}")
    assert result.returncode != 0
    assert f"The judge endpoint {not_found_server} answered HTTP 404 to models" in result.stderr
    assert f"does the URL end in /v1? OpenAI-compatible servers answer at {not_found_server}/v1" in result.stderr
    assert "Judge:" not in result.stderr and "Judging" not in result.stderr
