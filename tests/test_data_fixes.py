"""Data, import, export and judge-command fixes of the s7 first-use pass (docs/NOTES.md, ux findings 3, 4, 6, 7).

Everything runs as a user runs it: the ``judge-studio`` command in a subprocess on a real SQLite file,
read back with sqlite3. The judge runs use a tiny random-weight LLaMA (judge_runtime.testing), which
loads in a second: what is counted does not depend on what the judge says.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from annotation_store import open_store
from judge_runtime.testing import TINY_LLAMA, random_llama, tokenizer_for_tests
from settings import Settings
from settings.table import BY_NAME

ROOT = Path(__file__).resolve().parents[1]
MAP = ["--map", "key=id", "--map", "instruction=question", "--map", "response1=a", "--map", "response2=b"]
PAIRS = "id,question,a,b,winner\n" + "".join(f"q{i},Question {i}?,answer a{i},answer b{i},1\n" for i in range(1, 7))


def _run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "JUDGE_STUDIO_HOME": str(home), **env}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=environ, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _import(home: Path, path: Path, dataset: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run(home, "import", str(path), "--format", "csv", *MAP, "--model1", "m1", "--model2", "m2", *extra,
                "--dataset", dataset)  # fmt: skip


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "judge-studio.sqlite3")


# ------------------------------------------------------------------ finding 3: exported labels keep their order


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset with one imported label per comparison (order unknown) and labels from people who
    leased their items (the order each was shown in drawn and stored by the answer flow)."""
    home = tmp_path_factory.mktemp("orders")
    table = home / "pairs.csv"
    table.write_text(PAIRS, encoding="utf-8")
    imported = _import(home, table, "pairs", "--map", "label=winner", "--annotator", "importer")
    assert imported.returncode == 0, imported.stderr
    store = open_store(home / "judge-studio.sqlite3")
    try:
        for person in ("alice", "bob"):
            while (leased := store.lease_next(person, "pairs", overlap=3, seed=7)) is not None:
                store.save_label(leased[0].id, person, "2")  # the label takes the order its lease drew
    finally:
        store.close()
    return home


def _stored_orders(home: Path) -> dict[tuple[int, str], bool | None]:
    with _db(home) as db:
        rows = db.execute(
            "SELECT l.comparison_id, a.name, l.presented_swapped FROM labels l "
            "JOIN annotators a ON a.id = l.annotator_id"
        ).fetchall()
    return {(int(c), str(name)): None if swapped is None else bool(swapped) for c, name, swapped in rows}


def test_the_store_holds_both_orders_and_unknown_ones(labelled: Path) -> None:
    stored = _stored_orders(labelled)
    assert len(stored) == 18  # 6 imported + 6 by alice + 6 by bob
    assert {swapped for (_, who), swapped in stored.items() if who == "importer"} == {None}
    people = [swapped for (_, who), swapped in stored.items() if who != "importer"]
    assert True in people and False in people  # the draw gave both orders: the test can tell them apart


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_the_labels_export_says_the_order_each_label_was_shown_in(labelled: Path, fmt: str) -> None:
    out = labelled / f"labels.{fmt}"
    result = _run(labelled, "export", "--dataset", "pairs", "--kind", "labels", "--format", fmt, "--output", str(out))
    assert result.returncode == 0, result.stderr
    if fmt == "csv":
        import csv

        rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        shown = {"true": True, "false": False, "": None}
        exported = {(int(r["comparison_id"]), r["rater"]): shown[r["swapped"]] for r in rows}
    else:
        rows = (
            [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            if fmt == "jsonl"
            else pq.read_table(out).to_pylist()
        )
        assert all(r["swapped"] in (True, False, None) for r in rows)  # a boolean or null, never the text "False"
        exported = {(int(r["comparison_id"]), r["rater"]): r["swapped"] for r in rows}
    assert exported == _stored_orders(labelled)


def test_the_wide_export_claims_no_order_for_labels(labelled: Path) -> None:
    """The wide (and DPO) exports carry no per-label order: only ``labels`` has one, in ``swapped``."""
    result = _run(labelled, "export", "--dataset", "pairs", "--kind", "wide", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout.splitlines()[0])
    assert not any("swapped" in key for key in first)  # no judge run on it: nothing claims an order


# ------------------------------------------------------------------ finding 4: skipped counts the judged dataset


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-judge")
    random_llama(folder, tokenizer_for_tests(), TINY_LLAMA, seed=4)
    return folder


def test_a_judge_run_counts_skipped_comparisons_of_the_judged_dataset_only(tmp_path: Path, tiny_judge: Path) -> None:
    from orchestration import Studio
    from ui.admin_sections.judging import done_markdown

    (tmp_path / "big.csv").write_text(PAIRS, encoding="utf-8")
    (tmp_path / "small.csv").write_text("\n".join(PAIRS.splitlines()[:3]) + "\n", encoding="utf-8")
    for name in ("big", "small"):
        assert _import(tmp_path, tmp_path / f"{name}.csv", name).returncode == 0
    judge = ("judge", "--judge-model", str(tiny_judge), "--max-new-tokens", "2")
    big = _run(tmp_path, *judge, "--dataset", "big")
    assert big.returncode == 0, big.stderr
    assert "Judged 6 comparisons" in big.stdout and "skipped 0 already judged" in big.stdout
    small = _run(tmp_path, *judge, "--dataset", "small")
    assert small.returncode == 0, small.stderr
    assert "Judged 2 comparisons" in small.stdout and "skipped 0 already judged" in small.stdout  # was: 6
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(DISTINCT run_id), count(*) FROM judge_verdicts").fetchone() == (1, 8)

    # the Admin page's message after a second run of the same judge on the small dataset
    settings = Settings.from_env({"JUDGE_STUDIO_HOME": str(tmp_path)}, judge_model=str(tiny_judge), max_new_tokens=2)
    studio = Studio.open(settings)
    try:
        again = studio.judge_dataset("small")
    finally:
        studio.store.close()
    assert (again.judged, again.skipped) == (0, 2)
    assert done_markdown("small", again).startswith("**Done.** Nothing to judge: 2 comparisons of 'small' already")


# ------------------------------------------------------------------ finding 6: long CSV fields, broken CSV files


def test_a_3_mb_csv_field_imports(tmp_path: Path) -> None:
    long = "word " * 600_000  # 3 MB: Python's csv stops at 128 KiB unless told otherwise
    (tmp_path / "huge.csv").write_text(f'id,question,a,b\nq1,Tell a long story.,"{long}",short\n', encoding="utf-8")
    result = _import(tmp_path, tmp_path / "huge.csv", "huge")
    assert result.returncode == 0, result.stderr
    with _db(tmp_path) as db:
        assert db.execute("SELECT max(length(text)) FROM responses").fetchone() == (len(long),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'id,question,a,b\nq1,Fine,x,y\nq2,"Broken" quote,x,y\n',
            "judge-studio: bad.csv, record 2 (starting at line 3): not valid CSV (',' expected after '\"'); "
            "nothing was imported.",
        ),
        (
            'id,question,a,b\nq1,Fine,x,y\nq2,"never closed,x,y\nq3,Lost,x,y\n',
            "judge-studio: bad.csv, record 2 (starting at line 3): not valid CSV (unexpected end of data)",
        ),
    ],
    ids=["stray quote", "unclosed quote"],
)
def test_a_broken_csv_names_file_record_and_line_and_imports_nothing(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    result = _import(tmp_path, tmp_path / "bad.csv", "bad")
    assert result.returncode == 1
    assert result.stderr.strip().startswith(message), result.stderr
    assert "Traceback" not in result.stderr
    with _db(tmp_path) as db:
        assert db.execute("SELECT count(*) FROM datasets WHERE name = 'bad'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM prompts").fetchone() == (0,)


# ------------------------------------------------------------------ finding 7: messages that say what to do


def test_a_wrong_column_mapping_lists_the_columns_the_file_has(tmp_path: Path) -> None:
    (tmp_path / "wrongcols.csv").write_text("id,q,a,b\nq1,Hi?,x,y\n", encoding="utf-8")
    result = _import(tmp_path, tmp_path / "wrongcols.csv", "wrong")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "judge-studio: wrongcols.csv: the column mapping's 'question' (for instruction) is not in the header: the "
        "header's columns are 'id', 'q', 'a', 'b'. Map instruction to the column as the header spells it; nothing "
        "was imported."
    )


def test_a_table_without_model_names_says_both_ways_to_give_them(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    result = _run(tmp_path, "import", str(tmp_path / "pairs.csv"), "--format", "csv", *MAP, "--model2", "m2")
    assert result.returncode == 1
    assert "--map model1=COLUMN" in result.stderr and "--model1 NAME" in result.stderr
    assert "'Model 1 name'" in result.stderr  # the Admin page's field, for the same message there
    verdict = _run(tmp_path, "import", str(tmp_path / "pairs.csv"), "--format", "csv", *MAP, "--map", "verdict=winner",
                   "--model1", "m1", "--model2", "m2")  # fmt: skip
    assert "needs the judge's name (command line: --judge NAME" in verdict.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--max-new-tokens", "-5"), {}, "judge-studio: --max-new-tokens must be at least 1, got -5."),
        (("--batch-size", "0"), {}, "judge-studio: --batch-size must be at least 1, got 0."),
        ((), {"JUDGE_STUDIO_MAX_NEW_TOKENS": "0"}, "judge-studio: JUDGE_STUDIO_MAX_NEW_TOKENS='0' must be at least 1"),
        (("--judge-profile", "bogus"), {}, "judge-studio: Unknown judge profile 'bogus'; choose one of: pandalm,"),
    ],
)
def test_bad_judge_settings_are_refused_before_the_model_loads(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = _run(tmp_path, "judge", "--limit", "1", *args, **env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(message), result.stderr
    assert "Judging" not in result.stderr  # no progress bar was started, no model loaded
    if (tmp_path / "judge-studio.sqlite3").exists():  # opened (a profile is checked after), nothing judged
        with _db(tmp_path) as db:
            assert db.execute("SELECT count(*) FROM judge_runs").fetchone() == (0,)


def test_a_bad_variable_of_a_setting_the_command_does_not_take_only_warns(tmp_path: Path) -> None:
    (tmp_path / "pairs.csv").write_text(PAIRS, encoding="utf-8")
    assert _import(tmp_path, tmp_path / "pairs.csv", "pairs").returncode == 0
    metrics = _run(tmp_path, "metrics", "--dataset", "pairs", JUDGE_STUDIO_PORT="abc")
    assert metrics.returncode == 0, metrics.stderr
    assert metrics.stdout.startswith("Dataset pairs: 6 comparisons")
    assert metrics.stderr.strip() == (
        "judge-studio: warning: JUDGE_STUDIO_PORT='abc' is not a whole number. `metrics` does not take --port, "
        "so it goes on with the default (7860)."
    )
    serve = _run(tmp_path, "serve-api", JUDGE_STUDIO_PORT="abc")  # a command that takes it stops, saying why
    assert serve.returncode == 1
    assert serve.stderr.strip() == "judge-studio: JUDGE_STUDIO_PORT='abc' is not a whole number."


def test_settings_check_minimums_for_variables_and_flags() -> None:
    row = BY_NAME["max_new_tokens"]
    assert row.parse("7") == 7
    with pytest.raises(ValueError, match=r"^JUDGE_STUDIO_MAX_NEW_TOKENS='-5' must be at least 1, got -5\.$"):
        row.parse("-5")
    with pytest.raises(ValueError, match=r"^--max-new-tokens must be at least 1, got 0\.$"):
        Settings.from_env({}, max_new_tokens=0)
    with pytest.raises(ValueError, match="JUDGE_STUDIO_PORT='x' is not a whole number"):
        Settings.from_env({"JUDGE_STUDIO_PORT": "x"})  # no command named: every variable must be readable
    warned: list[str] = []
    assert Settings.from_env({"JUDGE_STUDIO_PORT": "x"}, command="export", warn=warned.append).port == 7860
    assert len(warned) == 1 and "`export` does not take --port" in warned[0]
