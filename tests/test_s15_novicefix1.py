"""s15 novice findings 1, 4, 6, 9, 10: judging on the CPU one at a time with Ctrl-C saying what was kept,
light ``--help``, ``import`` without ``--format``, the next step after ``metrics``, the report's note once, and the
login page's first-start hint."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.commands import cpu_batch_size
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sklearn", "scipy", "torch", "transformers", "gradio")
PAIRS = "instruction,response1,response2\nSay hi,hi,hello\nSay bye,bye,goodbye\n"


def _run(home: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home), "OMP_NUM_THREADS": "1"}
    env.pop("JUDGE_STUDIO_BATCH_SIZE", None)
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, text=True, timeout=600, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


# ------------------------------------------------------- 1: on the CPU, one at a time; Ctrl-C says what was kept


def test_the_cpu_judges_one_at_a_time_unless_a_batch_size_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUDGE_STUDIO_BATCH_SIZE", raising=False)
    cpu = Settings(device="cpu")
    changed, line = cpu_batch_size(cpu, argparse.Namespace(batch_size=None))
    assert changed.batch_size == 1 and cpu.batch_size == 8
    assert line.startswith("On the CPU one at a time: each result is stored as it comes")
    given = Settings(device="cpu", batch_size=4)
    assert cpu_batch_size(given, argparse.Namespace(batch_size=4)) == (given, "")  # --batch-size 4 stays 4
    monkeypatch.setenv("JUDGE_STUDIO_BATCH_SIZE", "8")
    assert cpu_batch_size(cpu, argparse.Namespace(batch_size=None)) == (cpu, "")  # so does the variable
    monkeypatch.delenv("JUDGE_STUDIO_BATCH_SIZE")
    gpu = Settings(device="cuda")
    assert cpu_batch_size(gpu, argparse.Namespace(batch_size=None)) == (gpu, "")  # a GPU keeps its batches


# `judge` with the judging replaced: two verdicts stored, then Ctrl-C, as a person presses it mid-run.
JUDGE_THEN_CTRL_C = """
import signal, sys
from cli import main
from orchestration import Studio
def judge_dataset(self, dataset, *, limit=None, on_progress=None):
    print("batch size", self.settings.batch_size, file=sys.stderr, flush=True)
    for done in range(3):
        on_progress(done, 6)
    signal.raise_signal(signal.SIGINT)
Studio.judge_dataset = judge_dataset
main(["judge", "--device", "cpu", "--limit", "6"])
"""


def test_ctrl_c_during_judge_says_how_many_verdicts_were_stored_and_how_to_go_on(tmp_path: Path) -> None:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path)}
    env.pop("JUDGE_STUDIO_BATCH_SIZE", None)
    done = subprocess.run(
        [sys.executable, "-c", JUDGE_THEN_CTRL_C], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 130, done.stderr
    assert "batch size 1" in done.stderr  # the CPU's default: each verdict stored as it comes
    assert "On the CPU one at a time" in done.stderr
    last = done.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last == (
        "judge-studio: interrupted. 2 verdicts of this run were stored; run the same command again to continue "
        "(what is stored is skipped)."
    )


# ------------------------------------------------------------------ 4: --help loads no statistics, model or UI

PROBE = """
import json, sys
from cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if isinstance(exc.code, str):
        print(exc.code, file=sys.stderr)
print("LOADED=" + json.dumps([m for m in HEAVY if m in sys.modules]), file=sys.stderr)
""".replace("HEAVY", repr(HEAVY))


def _loaded(home: Path, *argv: str) -> tuple[list[str], str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED=")][-1]
    return json.loads(line.removeprefix("LOADED=")), done.stdout + done.stderr


@pytest.mark.parametrize("command", ["import", "metrics", "report", "export", "judge", "datasets", "gold"])
def test_help_of_the_data_commands_loads_no_heavy_library(tmp_path: Path, command: str) -> None:
    loaded, out = _loaded(tmp_path, command, "--help")
    assert loaded == [], f"{command} --help imported {loaded}"
    assert "usage: judge-studio " + command in out


def test_an_import_of_a_missing_or_unnamed_file_fails_before_the_heavy_imports(tmp_path: Path) -> None:
    loaded, out = _loaded(tmp_path, "import", str(tmp_path / "nope.json"))
    assert f"{tmp_path / 'nope.json'}: no such file." in out and loaded == []
    (tmp_path / "outputs.json").write_text("[]", encoding="utf-8")
    loaded, out = _loaded(tmp_path, "import", str(tmp_path / "outputs.json"))
    assert loaded == [], out
    assert "outputs.json: choose one with --format FORMAT (a .json file can be one of several: " in out
    assert "alpacaeval-outputs" in out and "nothing was imported" in out


# ------------------------------------------------------------------ 6: the format from the file name


def test_import_takes_the_format_from_a_csv_files_name(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    done = _run(tmp_path, "import", str(tmp_path / "pairs.csv"), "--model1", "a", "--model2", "b", capture_output=True)
    assert done.returncode == 0, done.stderr
    assert "Imported pairs.csv into new dataset 'pairs'" in done.stdout


def test_the_admin_page_and_the_cli_share_one_rule() -> None:
    from interchange.formats import format_of_name
    from orchestration.admin import format_of_file

    assert (format_of_name("a.CSV"), format_of_name("b.jsonl"), format_of_name("c.json")) == ("csv", "jsonl", None)
    assert format_of_file("x.jsonl") == "jsonl"
    with pytest.raises(Exception, match="x.json: choose the Format"):
        format_of_file("x.json")


# ------------------------------------------------------------------ 9: the next step; the report's note once


def test_metrics_of_an_unjudged_dataset_names_the_judge_command(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    assert _run(tmp_path, "import", str(tmp_path / "pairs.csv"), "--model1", "a", "--model2", "b").returncode == 0
    done = _run(tmp_path, "metrics", "--dataset", "pairs", capture_output=True)
    assert done.returncode == 0, done.stderr
    assert "No judge has judged 'pairs' yet: run `judge-studio judge --dataset pairs`" in done.stdout
    assert "then run `metrics` again." in done.stdout
    log = tmp_path / "report.log"  # stdout and stderr in one place, as on a terminal
    with log.open("w", encoding="utf-8") as out:
        report = _run(tmp_path, "report", "--dataset", "pairs", stdout=out, stderr=subprocess.STDOUT)
    assert report.returncode == 0
    assert log.read_text(encoding="utf-8").count("No judge has judged 'pairs' yet") == 1


# ------------------------------------------------------------------ 10: the login page on a first start


def test_the_first_start_login_page_names_the_account_and_the_password_file() -> None:
    from web.login import login_page

    body = bytes(login_page(first_start=True).body).decode()
    assert "log in as admin with it" in body
    assert "initial-admin-password.txt" in body and "The start-up log names that file" in body
    assert "log in as admin" not in bytes(login_page().body).decode()
