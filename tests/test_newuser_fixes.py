"""What a new user with only the README stumbled on (s10 newuser walk-through, findings 2-6, 11, 12).

The real command line in a subprocess (``python -m app``, as ``judge-studio`` runs it) on a real SQLite file
in its own home, a pseudo-terminal where a password is typed, the real web server for ``serve``, and a tiny
random Llama (no download, no real weights) where the pipeline needs a judge.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

from cli.gold import import_counts
from evaluation import EvaluationPipeline
from judge_runtime import load_judge
from judge_runtime.profiles import PairCase, get_profile, render
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests
from orchestration.service import Refusal, RunSummary, run_summary_text

ROOT = Path(__file__).resolve().parent.parent


def _run(
    home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def _judge_runs(home: Path) -> int:
    database = home / "judge-studio.sqlite3"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        return int(db.execute("SELECT count(*) FROM judge_runs").fetchone()[0])


# ------------------------------------------------------------------ 2: users add without a terminal


def test_users_add_without_a_terminal_says_so_in_one_line(tmp_path: Path) -> None:
    result = _run(tmp_path, "users", "add", "alice", "--role", "annotator", stdin="\n")
    assert result.returncode == 1
    assert result.stderr == "judge-studio: no terminal to ask for the password: pipe it with --password-stdin.\n"
    assert "Added" not in result.stdout
    piped = _run(tmp_path, "users", "add", "alice", "--password-stdin", stdin="a-good-password\n")
    assert piped.returncode == 0 and "Added annotator 'alice'" in piped.stdout  # the way the line points to


def _typed(home: Path, *args: str, lines: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run a command on a pseudo-terminal, typing ``lines`` as prompts appear; (exit status, what it showed)."""
    master, slave = pty.openpty()
    environ = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environ,
        cwd=ROOT,
        start_new_session=True,  # no controlling terminal: getpass reads the pseudo-terminal on standard input
    )
    os.close(slave)
    shown, waiting, deadline = b"", list(lines), time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the command ended and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if waiting and shown.endswith(b": "):  # a prompt waits (getpass's newline after an answer does not)
                os.write(master, waiting.pop(0).encode() + b"\n")
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=30), shown.decode(errors="replace")


def test_a_short_first_password_is_refused_before_the_second_prompt(tmp_path: Path) -> None:
    code, shown = _typed(tmp_path, "users", "add", "bob", lines=["short"])
    assert code == 1
    assert "at least 8 characters; nothing was saved." in shown
    assert "The same password again" not in shown and "Traceback" not in shown
    code, shown = _typed(tmp_path, "users", "add", "bob", lines=["long enough", "long enough"])
    assert code == 0 and "Added annotator 'bob'" in shown, shown


# ------------------------------------------------------------------ 3: a single-answer profile for a pairwise command


@pytest.mark.parametrize(
    "command",
    [
        ["judge", "--limit", "1"],
        ["checkup", "--limit", "1"],
        ["evaluate", "a.json", "b.json", "--output", "out.json"],
    ],
)
def test_pairwise_commands_refuse_a_single_answer_profile_before_loading(tmp_path: Path, command: list[str]) -> None:
    result = _run(tmp_path, *command, "--judge-profile", "mtbench-single")
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line == (
        f"judge-studio: Profile 'mtbench-single' rates one response; it cannot compare two as `{command[0]}` does: "
        "to rate each response alone, run `judge-studio rate --rating-profile mtbench-single`."
    )
    assert "Judge:" not in result.stderr and "Loading" not in result.stderr  # nothing loaded, no bar
    assert _judge_runs(tmp_path) == 0 and not (tmp_path / "out.json").exists()


def test_unknown_profiles_are_listed_by_kind(tmp_path: Path) -> None:
    judge = _run(tmp_path, "judge", "--judge-profile", "pandalmm")
    assert judge.returncode == 1
    assert judge.stderr.startswith("judge-studio: Unknown judge profile 'pandalmm'; choose one of: pandalm, ")
    for single in ("mtbench-single", "prometheus2-absolute", "selene-absolute"):
        assert single not in judge.stderr
    assert "prometheus2-relative" in judge.stderr and "arena-hard" in judge.stderr
    # rate's profile from the environment, which --rating-profile's choices do not see
    rate = _run(tmp_path, "rate", env={"JUDGE_STUDIO_RATING_PROFILE": "pandalmm"})
    assert rate.stderr == (
        "judge-studio: Unknown judge profile 'pandalmm'; choose one of: mtbench-single, prometheus2-absolute, "
        "selene-absolute.\n"
    )
    pairwise = _run(tmp_path, "rate", env={"JUDGE_STUDIO_RATING_PROFILE": "pandalm"})
    assert (
        pairwise.returncode == 1 and "Profile 'pandalm' compares two responses; it cannot rate one" in pairwise.stderr
    )
    assert "Judge:" not in pairwise.stderr and _judge_runs(tmp_path) == 0


def test_a_refused_comparison_is_said_in_user_words_with_one_full_stop() -> None:
    from judge_runtime import JudgeInputError

    with pytest.raises(JudgeInputError) as refused:
        render(get_profile("mtbench-single"), PairCase("Q?", "A.", "B."))
    reason = str(refused.value)
    assert "SingleCase" not in reason and "Judge.rate" not in reason and reason.endswith(".")
    summary = RunSummary(1, 0, 1, 6, {"error": 1}, (Refusal(9, "q-1", False, reason),))
    text = run_summary_text(summary, "votes")
    assert f"1 comparison refused: q-1 (#9): {reason}" in text and ".." not in text


def test_the_pipeline_refuses_a_single_answer_profile_before_loading(tmp_path: Path) -> None:
    from judge_runtime import JudgeInputError, JudgeSpec

    for name, outputs in (("a", ["Paris."]), ("b", ["Lyon."])):
        (tmp_path / f"{name}.json").write_text(json.dumps(outputs))
    (tmp_path / "inputs.json").write_text(json.dumps([{"instruction": "Capital of France?", "input": ""}]))
    with pytest.raises(JudgeInputError, match="rates one response; it cannot compare two"):
        EvaluationPipeline(
            [tmp_path / "a.json", tmp_path / "b.json"],
            tmp_path / "inputs.json",
            judge=JudgeSpec(model="/no/such/model", profile="prometheus2-absolute"),  # never loaded
        )


# ------------------------------------------------------------------ 4: serve with a judge that cannot load


def _serve_until(home: Path, *args: str, wanted: str, timeout: float = 240) -> str:
    """Start ``serve`` on a free port, read its console until ``wanted`` shows, stop it (SIGINT, by its id)."""
    environ = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(free_port()), "--no-seed-demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=environ,
        cwd=ROOT,
    )
    assert process.stdout is not None
    shown, deadline = "", time.monotonic() + timeout
    try:
        os.set_blocking(process.stdout.fileno(), False)
        while wanted not in shown and time.monotonic() < deadline and process.poll() is None:
            select.select([process.stdout], [], [], 0.5)
            shown += (process.stdout.read() or b"").decode(errors="replace")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return shown


def test_serve_warns_at_start_about_a_judge_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = str(tmp_path / "models" / "PandaLM-7B-v1")
    shown = _serve_until(tmp_path, "--judge-model", missing, wanted="Uvicorn running")
    assert (
        f"Warning: the judge cannot be loaded: Model path not found or not usable: {missing}. The Case study and "
        "judge runs will fail until this is fixed" in shown
    )
    assert "the server starts all the same, for annotation." in shown and "Uvicorn running" in shown
    assert "failed in the background" not in shown  # said once


def test_serve_says_on_the_console_when_the_background_load_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")  # passes the start check (a model folder), fails to load
    shown = _serve_until(tmp_path, "--judge-model", str(broken), wanted="failed in the background")
    assert "Warning: the judge cannot be loaded" not in shown
    assert "Warning: the judge failed in the background: " in shown, shown[-2000:]
    assert "The Case study and judge runs will fail until this is fixed; annotation works." in shown


# ------------------------------------------------------------------ 5: gold import of what gold list printed


def test_reimporting_gold_list_says_nothing_changed(tmp_path: Path) -> None:
    table = tmp_path / "pairs.csv"
    table.write_text("q,a,b\nWhat is 2+2?,4,5\nCapital of France?,Paris,Rome\n", encoding="utf-8")
    mapping = ["--map", "instruction=q", "--map", "response1=a", "--map", "response2=b"]
    imported = _run(tmp_path, "import", str(table), "--format", "csv", *mapping, "--model1", "m1", "--model2", "m2")
    assert imported.returncode == 0, imported.stderr
    for comparison in ("1", "2"):
        marked = _run(tmp_path, "gold", "set", comparison, "1", "--explanation", "The first is right.")
        assert marked.returncode == 0, marked.stderr
    listed = _run(tmp_path, "gold", "list", "--json")
    (tmp_path / "gold.json").write_text(listed.stdout, encoding="utf-8")
    again = _run(tmp_path, "gold", "import", str(tmp_path / "gold.json"))
    assert again.returncode == 0, again.stderr
    assert again.stdout == "Imported gold.json: nothing new (2 gold marks already there, unchanged).\n"
    assert import_counts(1, 2, 1, "comparison") == "1 comparison marked gold, 1 gold mark changed, 1 unchanged"
    assert import_counts(2, 0, 0, "response") == "2 responses marked gold, 0 gold marks changed"


# ------------------------------------------------------------------ 6: a file given to the wrong reader


def test_a_file_of_the_other_kind_gets_a_hint(tmp_path: Path) -> None:
    (tmp_path / "testset.json").write_text(json.dumps([{"idx": 1, "a": "x"}, {"idx": 2, "a": "y"}], indent=1))
    (tmp_path / "votes.csv").write_text("question,answer_a,answer_b\nq,a,b\n")
    (tmp_path / "lines.jsonl").write_text('{"q": 1}\n{"q": 2}\n')
    (tmp_path / "empty.json").write_text("")
    said = {
        name: _run(tmp_path, "import", str(tmp_path / name), "--format", fmt).stderr.strip()
        for name, fmt in [
            ("testset.json", "csv"),
            ("lines.jsonl", "csv"),
            ("votes.csv", "pandalm-testset"),
            ("votes.csv", "jsonl"),
            ("empty.json", "pandalm-testset"),
        ]
    } | {"empty.json (jsonl)": _run(tmp_path, "import", str(tmp_path / "empty.json"), "--format", "jsonl").stderr}
    assert said["testset.json"].startswith(
        "judge-studio: testset.json: not a CSV file. This looks like JSON, not CSV: choose a JSON format: "
        "pandalm-testset, "
    )
    assert "This looks like JSON Lines, not CSV: choose a JSON Lines format: jsonl, " in said["lines.jsonl"]
    assert said["votes.csv"].endswith(
        "This looks like CSV (a header line of columns), not JSON: choose the csv format, with a column mapping. "
        "Nothing was imported."
    )
    assert said["empty.json"] == (
        "judge-studio: empty.json: the file is empty (a JSON list of records was expected); nothing was imported."
    )
    assert "empty.json: the file is empty" in said["empty.json (jsonl)"]


# ------------------------------------------------------------------ 11: results.json's orders; the API's bar


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-judge")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=4)
    return folder


def _pipeline_files(tmp_path: Path) -> tuple[list[Path], Path]:
    for name, outputs in (("a", ["Paris.", "4"]), ("b", ["Lyon.", "5"])):
        (tmp_path / f"{name}.json").write_text(json.dumps(outputs))
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps([{"instruction": "Capital of France?"}, {"instruction": "2+2?"}]))
    return [tmp_path / "a.json", tmp_path / "b.json"], inputs


def test_results_json_says_how_the_orders_were_judged(tmp_path: Path, tiny_folder: Path) -> None:
    candidates, inputs = _pipeline_files(tmp_path)
    averaging = load_judge(
        model=str(tiny_folder),
        device="cpu",
        quantization="none",
        max_new_tokens=2,
        verdict_mode="constrained",
        both_orders=True,
    )
    assert averaging.fingerprint["both_orders"] is True
    for given, orders in [(None, "both orders, averaged by the judge"), (True, "both orders, judged apart")]:
        out = tmp_path / f"results-{given}.json"
        EvaluationPipeline(candidates, inputs, out, judge=averaging, both_orders=given, progress=False).evaluate()
        saved = json.loads(out.read_text())
        assert saved["settings"]["both_orders"] is given  # as asked: null when not given, never a plain false
        assert saved["settings"]["orders"].startswith(orders)
    one = tmp_path / "one.json"
    EvaluationPipeline(candidates, inputs, one, judge=averaging, both_orders=False, progress=False).evaluate()
    saved = json.loads(one.read_text())
    assert saved["judge"]["fingerprint"]["both_orders"] is False and saved["settings"]["both_orders"] is False
    assert saved["settings"]["orders"].startswith("one order")


def test_the_python_api_shows_a_progress_bar_unless_told_not_to(
    tmp_path: Path, tiny_folder: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    candidates, inputs = _pipeline_files(tmp_path)
    judge = load_judge(model=str(tiny_folder), device="cpu", quantization="none", max_new_tokens=2)
    capfd.readouterr()
    EvaluationPipeline(candidates, inputs, judge=judge).evaluate()  # stderr is no terminal here: a bar all the same
    assert "2/2" in capfd.readouterr().err
    EvaluationPipeline(candidates, inputs, judge=judge, progress=False).evaluate()
    assert "2/2" not in capfd.readouterr().err


# ------------------------------------------------------------------ 12: --help and a mistyped flag


def test_a_mistyped_flag_is_named_before_a_missing_one(tmp_path: Path) -> None:
    typo = _run(tmp_path, "import", "x.json", "--fromat", "csv")
    assert typo.returncode == 2
    assert typo.stderr.strip().splitlines()[-1] == (
        "judge-studio import: error: unrecognized argument --fromat; did you mean --format?"
    )
    metrics = _run(tmp_path, "metrics", "--datset", "x")
    assert metrics.stderr.strip().endswith("unrecognized argument --datset; did you mean --dataset?")
    nested = _run(tmp_path, "users", "add", "alice", "--passwrd-stdin")
    assert nested.stderr.strip().endswith("unrecognized argument --passwrd-stdin; did you mean --password-stdin?")
    other = _run(tmp_path, "checkup", "--dataset", "x")  # another command's option, not a typo of --data
    assert other.returncode == 2 and "did you mean" not in other.stderr
    assert other.stderr.strip().endswith(
        "unrecognized argument --dataset: judge-studio checkup has no such option (see judge-studio checkup --help)"
    )
    # abbreviations argparse accepts still work, and values after -- are not options
    assert "unrecognized" not in _run(tmp_path, "import", "x.json", "--form", "csv").stderr


def test_help_texts_name_every_export_kind_and_no_internal_module(tmp_path: Path) -> None:
    top = _run(tmp_path, "--help").stdout
    assert "judgments" in " ".join(top.split())
    export = _run(tmp_path, "export", "--help").stdout
    assert "judge verdicts with reasons (judgments)" in " ".join(export.split())
    metrics = " ".join(_run(tmp_path, "metrics", "--help").stdout.split())
    assert "majority or dawid-skene (annotator-quality weighted)" in metrics
    assert "analysis.defaults" not in metrics
