"""Session 11, task "runs": judge runs, exports and imports (research findings 1, 3, 5, 6, 8, 9).

* "Judge versions" groups runs by (profile, template hash, judge model): a local run and a run of the same
  profile on a server are two versions with their own n, each named with its model; a custom prompt is named
  ``custom:NAME@HASH`` as the guide writes it.
* A comparison refused before judging: the CLI line names its key; the judgments export's ``reason`` has why;
  a second run of the same judge tries it again (an error is not "already judged").
* ``judge``'s bar never reads "0/0" and counts only what goes to the model.
* Wide export judge columns always carry the run id ("judge:MODEL #1").
* One key with two texts in one import file names both lines.
* ``evaluate`` calls a refused case "error" as ``judge`` does; a short candidate file counts in words.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from annotation_store import NewVerdict
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests
from orchestration import Settings, Studio

ROOT = Path(__file__).resolve().parent.parent
MAP = ("--map", "key=id", "--map", "instruction=question", "--map", "response1=a", "--map", "response2=b")
HASH = "dd1675b8c0ffee00"


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=environ, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _import(home: Path, text: str, dataset: str, *extra: str) -> subprocess.CompletedProcess[str]:
    path = home / f"{dataset}.csv"
    path.write_text(text, encoding="utf-8")
    return _run(home, "import", str(path), "--format", "csv", *MAP, "--model1", "m1", "--model2", "m2", *extra,
                "--dataset", dataset)  # fmt: skip


# ------------------------------------------------------------------ finding 1: judge versions per model


def test_a_local_and_a_remote_run_of_one_profile_are_two_versions(tmp_path: Path, monkeypatch, capsys) -> None:
    rows = "".join(f"q{i},Question {i}?,answer a{i},answer b{i},1\n" for i in range(1, 7))
    imported = _import(tmp_path, "id,question,a,b,winner\n" + rows, "pairs", "--map", "label=winner")
    assert imported.returncode == 0, imported.stderr
    studio = Studio.open(Settings(home=tmp_path, seed_demo=False, judge_demo_on_start=False))
    ids = [int(i) for i in studio.store.comparison_table("pairs")["id"]]
    local = {"model": "SmolLM2-135M-Instruct", "profile": "pandalm", "prompt_template_hash": HASH}
    remote = {**local, "model": "smol @ http://127.0.0.1:7931/v1", "device_type": "remote"}
    first = studio.store.ensure_judge_run("local-key", local)
    second = studio.store.ensure_judge_run("remote-key", remote)
    for comparison_id in ids:  # the local run right on all six
        studio.store.save_verdict(first, NewVerdict(comparison_id, "1", "ok"))
    for comparison_id in ids[:2]:  # the remote run wrong on the first two (judged by both)
        studio.store.save_verdict(second, NewVerdict(comparison_id, "2", "ok"))
    studio.store.close()

    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(tmp_path))
    cli.main(["metrics", "--dataset", "pairs", "--uncertain-margin", "0"])
    text = capsys.readouterr().out
    assert "pandalm (template dd1675b8) on SmolLM2-135M-Instruct: accuracy 1.000" in text
    assert "accuracy 1.000 (n=6), kappa" in text  # was one pooled line: accuracy 0.750 (n=8); runs 1, 2
    assert "pandalm (template dd1675b8) on smol @ http://127.0.0.1:7931/v1: accuracy 0.000 (n=2)" in text
    assert "; run 2" in text and "runs 1, 2" not in text


def test_a_custom_prompt_version_is_named_as_the_guide_names_it() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from analysis.judge_versions import judge_versions
    from analysis.verdicts import LABELS

    table = pd.DataFrame(0, index=list(LABELS), columns=list(LABELS))
    agreement = SimpleNamespace(confusion=table, n=0, accuracy=None, cohen_kappa=None)
    fingerprint = {"model": "demo", "profile": "custom:mtb-pair@07d5f337c218", "prompt_template_hash": "abc"}
    run = SimpleNamespace(run_id=3, model="demo", profile="custom:mtb-pair@07d5f337c218", fingerprint=fingerprint)
    (version,) = judge_versions([SimpleNamespace(run=run, against_majority=agreement, per_vote=agreement)])
    assert version["version"] == "custom:mtb-pair@07d5f337c218 on demo" and version["model"] == "demo"


# ------------------------------------------------------------------ findings 3, 5, 6: a refused comparison


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-judge")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=4)
    return folder


def test_a_refused_comparison_is_named_exported_and_tried_again(tmp_path: Path, tiny_judge: Path) -> None:
    table = "id,question,a,b\nw0,Say hi.,Hi!,Hello.\nw1,Say bye.,Bye!,\nw2,Count.,1 2 3,3 2 1\n"
    assert _import(tmp_path, table, "weird").returncode == 0
    judge = ("judge", "--judge-model", str(tiny_judge), "--max-new-tokens", "2", "--dataset", "weird")
    first = _run(tmp_path, *judge)
    assert first.returncode == 0, first.stderr
    assert "1 comparison refused: w1 (#2): Response 2 is empty" in first.stdout
    assert "0/0" not in first.stderr and "/3" not in first.stderr  # the bar counts the two that go to the model
    # on the CPU one at a time since s15 (novice 1): no batch line, each verdict stored as it comes
    assert "On the CPU one at a time" in first.stderr and "2/2" in first.stderr

    exported = _run(tmp_path, "export", "--dataset", "weird", "--kind", "judgments", "--format", "csv")
    assert exported.returncode == 0, exported.stderr
    rows = {r["prompt_key"]: r for r in csv.DictReader(io.StringIO(exported.stdout))}
    assert rows["w1"]["status"] == "error"
    assert rows["w1"]["reason"].startswith("Comparison #2 (key w1): Response 2 is empty")  # was empty
    assert rows["w0"]["judge"].endswith(" #1")

    again = _run(tmp_path, *judge)  # the error is tried again, and said again; the two judged are skipped
    assert again.returncode == 0, again.stderr
    assert "1 error); skipped 2 already judged" in again.stdout and "Judged 1 comparison of 'weird'" in again.stdout
    assert "w1 (#2): Response 2 is empty" in again.stdout

    wide = _run(tmp_path, "export", "--dataset", "weird", "--kind", "wide", "--format", "jsonl")
    first_row = json.loads(wide.stdout.splitlines()[0])
    assert [k for k in first_row if k.startswith("judge:")] == [f"judge:{tiny_judge} #1"]


# ------------------------------------------------------------------ finding 8: one key, two texts in a file


def test_one_key_with_two_texts_names_both_lines(tmp_path: Path) -> None:
    table = "id,question,a,b\nd1,Q one,a,b\nd1,Q two,a,b\n"
    result = _import(tmp_path, table, "dupkey")
    assert result.returncode == 1
    assert "key 'd1' on line 2 and line 3 with different instructions or inputs" in result.stderr
    assert "already stored" not in result.stderr and "Nothing was imported." in result.stderr


# ------------------------------------------------------------------ finding 9: evaluate's words


def test_evaluate_counts_a_short_candidate_file_in_words(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text(json.dumps([{"instruction": "Q1?"}, {"instruction": "Q2?"}]))
    (tmp_path / "a.json").write_text(json.dumps(["A1", "A2"]))
    (tmp_path / "short.json").write_text(json.dumps(["B1"]))
    args = ("evaluate", str(tmp_path / "a.json"), str(tmp_path / "short.json"), "--input", str(tmp_path / "in.json"))
    result = _run(tmp_path, *args, "--output", str(tmp_path / "out.json"))
    assert result.returncode == 1
    assert "short.json has 1 response but" in result.stderr and "has 2 inputs" in result.stderr
