"""Table imports that a tester found confusing (session 9, tester "judge", findings 7, 8 and 9; lead 10).

Each test runs the real command line (``cli.main``) on real files in a temporary folder and checks what
the user reads and what the SQLite database holds: a refused file writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_import, home_rows, jsonl_file

from cli import main

MAP = ["--map", "key=id", "--map", "response1=a", "--map", "response2=b", "--map", "model1=ma", "--map", "model2=mb"]
ROW = {"id": "q1", "instruction": "Hi", "input": "", "a": "x", "b": "y", "ma": "A", "mb": "B"}


def _prompts(home: Path) -> list[tuple[Any, ...]]:
    return home_rows(home, "SELECT key, instruction, input FROM prompts ORDER BY id")


# ------------------------------------------------------------------ finding 7: columns named like fields


def test_columns_named_like_fields_map_themselves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**ROW, "instruction": "Say hi", "input": "to Ann"}, {**ROW, "id": "q2", "instruction": "Count"}]
    out, error = cli_import(tmp_path, jsonl_file(tmp_path / "pairs.jsonl", rows), *MAP, capsys=capsys)
    assert error == ""
    assert "Columns read by their names: instruction, input." in out
    assert _prompts(tmp_path) == [("q1", "Say hi", "to Ann"), ("q2", "Count", "")]


def test_an_explicit_map_wins_over_a_column_of_the_same_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{**ROW, "instruction": "not this", "question": "this one"}]
    file = jsonl_file(tmp_path / "own.jsonl", rows)
    out, error = cli_import(tmp_path, file, *MAP, "--map", "instruction=question", capsys=capsys)
    assert error == ""
    assert "Columns read by their names: input." in out
    assert _prompts(tmp_path) == [("q1", "this one", "")]


def test_a_file_in_our_own_field_names_needs_no_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "own.csv"
    file.write_text("key,instruction,response1,response2,model1,model2\nk1,Hi,x,y,A,B\n", encoding="utf-8")
    out, error = cli_import(tmp_path, file, capsys=capsys)
    assert error == ""
    assert "1 comparison" in out
    assert home_rows(tmp_path, "SELECT text FROM responses ORDER BY id") == [("x",), ("y",)]


def test_an_unmapped_field_lists_the_columns_and_the_map_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = jsonl_file(tmp_path / "pairs.jsonl", [{"id": "q1", "Instruction": "Hi", "a": "x", "b": "y"}])
    _, error = cli_import(tmp_path, file, "--map", "response1=a", "--map", "response2=b", capsys=capsys)
    assert error == (
        "judge-studio: pairs.jsonl: no column for instruction (a column named like the field is read by itself); "
        "the file's columns are 'id', 'Instruction', 'a', 'b'. Add --map instruction=Instruction (Admin page: "
        "instruction=Instruction in the column mapping); nothing was imported."
    )
    assert _prompts(tmp_path) == []


def test_a_verdict_column_without_a_judge_is_left_out_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = jsonl_file(tmp_path / "v.jsonl", [{**ROW, "verdict": "1"}])
    out, error = cli_import(tmp_path, file, *MAP, capsys=capsys)
    assert error == ""
    assert "The column 'verdict' was not imported: name its judge (--judge NAME) to import it." in out
    assert home_rows(tmp_path, "SELECT count(*) FROM judge_verdicts") == [(0,)]
    out, error = cli_import(tmp_path, file, *MAP, "--judge", "mine", "--dataset", "v", capsys=capsys)
    assert error == "" and "verdict" in out
    assert home_rows(tmp_path, "SELECT verdict FROM judge_verdicts") == [("1",)]


# ------------------------------------------------------------------ finding 8: types, nulls, repeats, short rows


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"instruction": ["list"]}, "field 'instruction': expected text, got a list (['list'])"),
        ({"a": 123}, "field 'a': expected text, got a number (123)"),
        ({"b": {"t": 1}}, "field 'b': expected text, got an object ({'t': 1})"),
        ({"instruction": True}, "field 'instruction': expected text, got true"),
        ({"b": None}, "field 'b': expected text, got null (write \"\" for an empty response)"),
        ({"ma": ["A"]}, "field 'ma': expected text, got a list (['A'])"),
    ],
)
def test_a_wrong_type_is_refused_with_record_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], problem: str
) -> None:
    file = jsonl_file(tmp_path / "typed.jsonl", [ROW, {**ROW, "id": "q2", **change}])
    _, error = cli_import(tmp_path, file, *MAP, capsys=capsys)
    assert error == f"judge-studio: typed.jsonl, record 2 (line 2, key q2), {problem}"
    assert _prompts(tmp_path) == []


def test_numeric_keys_and_model_names_are_read_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Items and checkpoints are often numbered (PandaLM's idx, a training step); names, not texts."""
    file = jsonl_file(tmp_path / "numbers.jsonl", [{**ROW, "id": 7, "ma": 1000, "mb": 2000, "input": None}])
    _, error = cli_import(tmp_path, file, *MAP, capsys=capsys)
    assert error == ""
    assert _prompts(tmp_path) == [("7", "Hi", "")]
    assert home_rows(tmp_path, "SELECT name FROM candidate_models ORDER BY name") == [("1000",), ("2000",)]


def test_empty_responses_are_kept_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**ROW, "a": ""}, {**ROW, "id": "q2", "a": " ", "b": ""}]
    out, error = cli_import(tmp_path, jsonl_file(tmp_path / "empty.jsonl", rows), *MAP, capsys=capsys)
    assert error == ""
    assert "3 empty responses (kept as empty text)." in out


def test_a_repeated_line_is_skipped_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [ROW, ROW, {**ROW, "id": "q2"}, {**ROW, "id": "q2"}]
    out, error = cli_import(tmp_path, jsonl_file(tmp_path / "dup.jsonl", rows), *MAP, capsys=capsys)
    assert error == ""
    assert "2 duplicate records skipped (line 2 repeats line 1, line 4 repeats line 3)." in out
    assert [key for key, *_ in _prompts(tmp_path)] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("q1,Hi,,x,y,A,B\nq2,Hi,,x\n", "record 2: line 3 has 4 fields; the header has 7"),
        ("q1,Hi,,x,y,A,B,extra\n", "record 1: line 2 has 8 fields; the header has 7"),
        ('q1,Hi,,"x\nmore",y,A\n', "record 1: lines 2-3 have 6 fields; the header has 7"),
    ],
)
def test_a_csv_row_with_other_than_the_header_s_fields_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, problem: str
) -> None:
    file = tmp_path / "rows.csv"
    file.write_text("id,instruction,input,a,b,ma,mb\n" + body, encoding="utf-8")
    _, error = cli_import(tmp_path, file, *MAP, capsys=capsys)
    assert error == f"judge-studio: rows.csv, {problem}; nothing was imported."
    assert _prompts(tmp_path) == []


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "twice.csv"
    file.write_text("id,instruction,a,a,b,ma,mb\nq1,Hi,x,z,y,A,B\n", encoding="utf-8")
    _, error = cli_import(tmp_path, file, *MAP, capsys=capsys)
    assert error == "judge-studio: twice.csv, line 1: the header names column 'a' twice; nothing was imported."
    assert _prompts(tmp_path) == []


# ------------------------------------------------------------------ finding 9: not UTF-8


@pytest.mark.parametrize(
    ("name", "fmt", "data", "line", "byte"),
    [
        ("latin1.csv", "csv", b"id,instruction,input,a,b,ma,mb\nq1,Hi,,x,y,A,B\nq2,caf\xe9,,x,y,A,B\n", 3, 52),
        ("latin1.jsonl", "jsonl", json.dumps(ROW).encode() + b'\n{"id": "q2", "instruction": "caf\xe9"}\n', 2, 121),
        ("bom.csv", "csv", b"\xef\xbb\xbfid,instruction\n\xe9\n", 2, 18),
        ("list.json", "pandalm-judgments", b'[\n{"idx": 1,\n "x": "\xff"}]', 3, 20),
    ],
)
def test_a_file_that_is_not_utf8_names_its_line_and_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str, data: bytes, line: int, byte: int
) -> None:
    file = tmp_path / name
    file.write_bytes(data)
    maps = MAP if fmt in ("csv", "jsonl") else []
    try:
        main(["import", str(file), "--format", fmt, "--home", str(tmp_path), *maps])
    except SystemExit as exit_:
        error = str(exit_.code)
    column = byte - data.rfind(b"\n", 0, byte)  # from 1: a position in the line, the byte's own kept beside it
    assert error == (
        f"judge-studio: {name} is not UTF-8 text (line {line}, column {column}: byte 0x{data[byte]:02x}, byte {byte} "
        "of the file). Save it as UTF-8 "
        "(e.g. in a spreadsheet: “CSV UTF-8”) and import it again; nothing was imported."
    )
    assert _prompts(tmp_path) == []


# ------------------------------------------------------------------ lead 10: format hints


def test_json_lines_given_to_a_json_format_gets_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = jsonl_file(tmp_path / "question.jsonl", [{"question_id": 81, "turns": ["a"]}, {"question_id": 82}])
    try:
        main(["import", str(file), "--format", "pandalm-judgments", "--home", str(tmp_path)])
    except SystemExit as exit_:
        error = str(exit_.code)
    assert error == (
        "judge-studio: question.jsonl: not valid JSON (line 2, column 1: Extra data). This looks like JSON Lines, "
        "not one JSON list: choose a JSON Lines format: jsonl, mtbench-questions, mtbench-reference, mtbench-answers. "
        "Nothing was imported. This looks like MT-Bench questions (question.jsonl): try --format mtbench-questions."
    )


@pytest.mark.parametrize("extra", [[], ["--format", "csv"]])
def test_export_to_xlsx_suggests_a_csv_not_a_format(tmp_path: Path, extra: list[str]) -> None:
    target = tmp_path / "h.xlsx"
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--dataset", "d", "--home", str(tmp_path), "-o", str(target), *extra])
    message = str(exit_.value.code)
    csv_name = str(tmp_path / "h.csv")
    assert f"Export writes no .xlsx files; write {csv_name!r} instead: a spreadsheet opens it." in message
    assert "--format" not in message and not target.exists()
