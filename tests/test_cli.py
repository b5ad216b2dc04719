"""The command line: the default command, flags that override only when given, start-up without torch,
Ctrl-C, and the commands that load the demo judge (``judge``, ``rate``, ``evaluate``)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port

from cli import parse_args, settings_from
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "transformers", "gradio", "uvicorn", "fastapi")
# Runs each command line given as a JSON list in one interpreter, then reports which heavy modules got imported.
PROBE = """
import json, sys
from cli import main
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
print("LOADED=" + ",".join(m for m in json.loads(sys.argv[2]) if m in sys.modules), file=sys.stderr)
"""


def _run(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # one torch thread: on a shared 2-core machine two-thread kernels wait for each other (see test_pipeline)
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def _loaded_after(
    home: Path, *command_lines: list[str], modules: tuple[str, ...] = HEAVY
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Run the command lines in one interpreter; the ``modules`` they imported, and the output."""
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(command_lines), json.dumps(modules)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stderr.splitlines() if x.startswith("LOADED=")][-1]
    return [m for m in line.removeprefix("LOADED=").split(",") if m], result


# ------------------------------------------------------------------------------- parsing, no model


def test_options_of_the_default_command_work_without_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUDGE_STUDIO_PORT", raising=False)
    args = parse_args(["--port", "8080", "--no-seed-demo"])
    assert (args.command, args.port, args.seed_demo) == ("serve", 8080, False)
    settings = settings_from(args)
    assert (settings.port, settings.seed_demo, settings.host) == (8080, False, Settings().host)
    assert parse_args([]).command == "serve"
    assert parse_args(["judge", "--limit", "2"]).limit == 2
    with pytest.raises(SystemExit):  # a mistyped command is still an error, not "serve"
        parse_args(["jugde"])


def test_flags_override_only_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["evaluate", "a.json", "b.json", "--output", "out.json"]
    absent = parse_args(base)
    assert absent.both_orders is None and absent.alpha is None and absent.rule is None
    assert settings_from(absent).both_orders is True  # the demo judge keeps its both-orders averaging
    assert settings_from(parse_args([*base, "--no-both-orders"])).both_orders is False
    assert parse_args([*base, "--both-orders"]).both_orders is True
    monkeypatch.setenv("JUDGE_STUDIO_PORT", "9000")
    monkeypatch.setenv("JUDGE_STUDIO_BATCH_SIZE", "2")
    assert settings_from(parse_args(["serve"])).port == 9000  # not given: the environment stands
    assert settings_from(parse_args(["serve", "--port", "9100"])).port == 9100  # given: the flag wins
    assert settings_from(parse_args(["judge"])).batch_size == 2


def test_invite_links_start_with_the_public_url_when_there_is_one() -> None:
    from cli.users import base_url

    assert base_url(Settings(public_url="https://judge.example.org/"), None) == "https://judge.example.org"
    assert base_url(Settings(host="127.0.0.1", port=8080), None) == "http://127.0.0.1:8080"
    assert (
        base_url(Settings(public_url="https://judge.example.org"), "https://other.example/") == "https://other.example"
    )


def test_pipeline_both_orders_is_the_judges_choice_unless_given(tmp_path: Path) -> None:
    from evaluation import EvaluationPipeline
    from judge_runtime import JudgeSpec

    for name, outputs in {"a": ["x"], "b": ["y"]}.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(outputs))
    (tmp_path / "inputs.json").write_text(json.dumps([{"instruction": "Say something."}]))
    files = [tmp_path / "a.json", tmp_path / "b.json"]
    averaging = JudgeSpec(verdict_mode="constrained", both_orders=True)

    def pipeline(**kwargs: Any) -> EvaluationPipeline:
        return EvaluationPipeline(files, tmp_path / "inputs.json", judge=averaging, **kwargs)

    kept, one, two = pipeline(), pipeline(both_orders=False), pipeline(both_orders=True)
    assert (kept.both_orders, kept.judge_source) == (False, averaging)  # not given: the judge averages itself
    assert one.both_orders is False and isinstance(one.judge_source, JudgeSpec) and not one.judge_source.both_orders
    assert two.both_orders is True


def test_help_imports_no_torch_gradio_sklearn_or_pandas(tmp_path: Path) -> None:
    """What made ``judge-studio --help`` take 2-10 s: importing the whole app (pandas, scipy, sklearn) first."""
    helps = [["--help"], ["serve", "--help"], ["judge", "--help"], ["rate", "--help"], ["--port", "1", "--help"]]
    loaded, result = _loaded_after(tmp_path, *helps, modules=(*HEAVY, "sklearn", "scipy", "pandas", "sqlalchemy"))
    assert loaded == []
    assert "Without a command, judge-studio runs `serve`" in result.stdout
    assert "usage: judge-studio serve" in result.stdout and "--no-seed-demo" in result.stdout
    shown = _run(tmp_path, "--port", "8080", "--help", timeout=120)  # through `python -m app`, as a user types it
    assert shown.returncode == 0 and "usage: judge-studio serve" in shown.stdout


def test_database_commands_never_import_torch_or_gradio(tmp_path: Path) -> None:
    table = tmp_path / "votes.jsonl"
    rows = [
        {"instruction": f"Q{i}", "response1": "yes", "response2": "no", "model1": "a", "model2": "b", "label": "1"}
        for i in range(4)
    ]
    table.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    out = tmp_path / "labels.csv"
    fields = ("instruction", "response1", "response2", "model1", "model2", "label")
    mapping = [arg for field in fields for arg in ("--map", f"{field}={field}")]
    loaded, result = _loaded_after(
        tmp_path,
        ["import", str(table), "--format", "jsonl", "--dataset", "votes", "--annotator", "ann", *mapping],
        ["metrics", "--dataset", "votes", "--json", "--bootstrap", "20"],
        ["export", "--dataset", "votes", "-o", str(out)],
        ["users", "list"],
    )
    assert loaded == [], f"imported {loaded}"
    assert "Imported votes.jsonl into new dataset 'votes'" in result.stdout
    assert json.loads(result.stdout.splitlines()[1])["dataset"] == "votes"
    assert out.read_text().count("\n") == 5  # header + 4 labels


# -------------------------------------------------------------------------------- the demo judge


def _interruptible() -> None:
    """Ctrl-C as a terminal sends it: a test run started as a background job (``cmd &``) inherits SIGINT
    ignored, and Python then installs no KeyboardInterrupt handler, so the child gets the default back."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.model
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "judge", "--limit", "50"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=_interruptible,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # "Judge: ..." once the command runs (the model loads next)
        assert first.startswith("Judge: "), first
        time.sleep(3)  # inside torch: loading the weights or judging
        process.send_signal(signal.SIGINT)
        _out, rest = process.communicate(timeout=120)
    finally:
        process.kill()  # never left judging in the background when an assertion fails
        process.wait()
    assert process.returncode == 130, rest  # what it printed, should it ever end otherwise
    assert "Traceback" not in rest
    last = rest.strip().splitlines()[-1]  # what was kept, and how to go on (s15 novice, finding 1)
    assert last.startswith("judge-studio: interrupted. ") and "run the same command again to continue" in last


@pytest.mark.model
def test_ctrl_c_stops_serve_while_the_demo_judge_judges(tmp_path: Path) -> None:
    """uvicorn shuts the server down on Ctrl-C, then raises the signal again for the command's own handler:
    one line and 130, never an abort from torch's threads (the demo judge is judging in the background)."""
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "app", "serve", "--port", str(free_port())]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        preexec_fn=_interruptible,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        while "Judge Studio on" not in (line := process.stdout.readline()):
            assert line, "the server ended before it started"
        time.sleep(15)  # the demo judge loads and starts judging in the background
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, out
    assert out.strip().splitlines()[-1] == "judge-studio: interrupted."
    assert "terminate called" not in out and "Traceback" not in out


@pytest.mark.model
def test_judge_command_stores_verdicts_and_a_second_run_skips_them(tmp_path: Path) -> None:
    first = _run(tmp_path, "judge", "--limit", "2", "--max-new-tokens", "48")
    assert first.returncode == 0, first.stderr
    assert "Judged 2 comparisons" in first.stdout
    assert "Judging" in first.stderr  # the progress bar
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_verdicts").fetchone() == (2,)
    second = _run(tmp_path, "judge", "--limit", "1", "--max-new-tokens", "48")
    assert second.returncode == 0, second.stderr
    assert "Judged 1 comparison of" in second.stdout and "skipped 2 already judged" in second.stdout
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_verdicts").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM judge_runs").fetchone() == (1,)


@pytest.mark.model
def test_rate_warns_before_the_run_when_the_test_rating_does_not_parse(tmp_path: Path) -> None:
    result = _run(tmp_path, "rate", "--limit", "1", "--max-new-tokens", "16")
    assert result.returncode == 0, result.stderr
    assert "Rated 1 response (" in result.stdout and "Rating" in result.stderr
    warning = result.stderr.find("Warning: this judge's test rating did not parse")
    assert 0 <= warning < result.stderr.find("Rating"), result.stderr  # the warning comes before the run
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        ((status, score),) = db.execute("SELECT status, score FROM judge_ratings").fetchall()
    # the 135M demo judge writes no [[rating]]: stored as unparsed/truncated without a score, never made up
    assert (status == "ok") == (score is not None)
    unchecked = _run(tmp_path, "rate", "--limit", "1", "--max-new-tokens", "16", "--no-check")
    assert unchecked.returncode == 0 and "Warning" not in unchecked.stderr


@pytest.mark.model
def test_unknown_dataset_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(tmp_path, "judge", "--dataset", "nope")
    assert result.returncode != 0
    assert "There is no dataset named 'nope' (datasets: none)" in result.stderr  # the demo is not seeded for a typo


# Three candidates of clearly different quality on the demo's kind of inputs.
INPUTS = [
    {"instruction": "What is the capital of France?"},
    {"instruction": "Give the sum of two and three."},
    {"instruction": "Translate to German.", "input": "Good morning"},
]
CANDIDATES = {
    "good": ["The capital of France is Paris.", "Two plus three is five.", "Guten Morgen."],
    "mediocre": ["Paris, I think, or maybe Lyon.", "It is five or six.", "Guten Tag."],
    "bad": ["Bananas are yellow.", "Blue.", "asdf qwerty"],
}


def _evaluate(tmp_path: Path, order: list[str], name: str) -> dict[str, Any]:
    out = tmp_path / f"{name}.json"
    files = [str(tmp_path / f"{candidate}.json") for candidate in order]
    inputs = str(tmp_path / "inputs.json")
    result = _run(tmp_path, "evaluate", *files, "--input", inputs, "--output", str(out), "--max-new-tokens", "4")
    assert result.returncode == 0, result.stderr
    saved: dict[str, Any] = json.loads(out.read_text())
    return saved


def _record(saved: dict[str, Any]) -> dict[frozenset[str], dict[str, int]]:
    """Per pair of candidates: wins of each and ties, whichever was typed first."""
    table: dict[frozenset[str], dict[str, int]] = {}
    for sample in saved["samples"]:
        counts = table.setdefault(frozenset((sample["model1"], sample["model2"])), {"tie": 0})
        winner = {"1": sample["model1"], "2": sample["model2"], "tie": "tie"}.get(sample["verdict"])
        if winner is not None:
            counts[winner] = counts.get(winner, 0) + 1
    return table


def _ranking(saved: dict[str, Any]) -> list[str]:
    """Candidates from the strongest (Bradley-Terry) down; where strengths do not exist (null, with a
    ``ranking_note``) by name, so two runs compare alike."""
    rows = sorted(saved["ranking"], key=lambda row: (row["strength"] is None, -(row["strength"] or 0), row["model"]))
    return [row["model"] for row in rows]


@pytest.mark.model
def test_evaluate_ranks_the_same_whatever_the_order_of_its_files(tmp_path: Path) -> None:
    for candidate, outputs in CANDIDATES.items():
        (tmp_path / f"{candidate}.json").write_text(json.dumps(outputs))
    (tmp_path / "inputs.json").write_text(json.dumps(INPUTS))
    forward = _evaluate(tmp_path, ["good", "mediocre", "bad"], "forward")
    backward = _evaluate(tmp_path, ["bad", "mediocre", "good"], "backward")

    assert len(forward["samples"]) == len(backward["samples"]) == 9
    assert _record(forward) == _record(backward)
    assert _ranking(forward) == _ranking(backward)
    # without the judge's both-orders averaging nearly every verdict was "1" (the first file won 10-0)
    assert {s["verdict"] for s in forward["samples"]} != {"1"}
    assert forward["judge"]["fingerprint"]["both_orders"] is True and forward["settings"]["both_orders"] is None
    assert forward["settings"]["orders"].startswith("both orders, averaged by the judge")


def test_evaluate_command_checks_its_candidates(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(["Paris."]))
    missing = _run(tmp_path, "evaluate", str(tmp_path / "a.json"), "--output", str(tmp_path / "out.json"))
    assert missing.returncode != 0 and "At least two candidates are needed" in missing.stderr
