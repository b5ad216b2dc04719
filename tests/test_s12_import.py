"""Messy files through the import (session 12, tester "badinput", findings 2-4, 6, 8, 10-13, 15).

Each test runs the real command line (``cli.main``) or ``import_file`` on small files in a temporary folder and
checks what the user reads and what the SQLite database holds: a refused file writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cli_import, home_rows, jsonl_file

from annotation_store import StoreError, open_store
from orchestration.admin import parse_mapping_text
from orchestration.datasets import ImportOptions, import_file

ROW = {"key": "k1", "instruction": "Hi", "response1": "x", "response2": "y", "model1": "A", "model2": "B"}


# ------------------------------------------------------------------ 2: --map mistakes


def test_one_column_mapped_to_two_fields_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = jsonl_file(tmp_path / "votes.jsonl", [{"q": "Hi", "a": "x", "b": "y", "ma": "A", "mb": "B"}])
    maps = ["--map", "instruction=a", "--map", "response1=a", "--map", "response2=b", "--model1", "A", "--model2", "B"]
    _, error = cli_import(tmp_path, file, *maps, capsys=capsys)
    assert "Column 'a' is mapped to instruction and response1" in error
    assert home_rows(tmp_path, "SELECT count(*) FROM prompts") in ([], [(0,)])


def test_one_field_mapped_twice_is_refused_on_the_command_line_and_the_admin_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = jsonl_file(tmp_path / "votes.jsonl", [{**ROW, "question": "Hello"}])
    _, error = cli_import(tmp_path, file, "--map", "instruction=question", "--map", "instruction=key", capsys=capsys)
    assert "instruction is mapped twice (to column 'question' and to column 'key')" in error
    assert home_rows(tmp_path, "SELECT count(*) FROM prompts") in ([], [(0,)])
    with pytest.raises(StoreError, match="instruction is mapped twice"):
        parse_mapping_text("instruction=question, response1=a, instruction=b")


# ------------------------------------------------------------------ 3: a dataset named after the file


def test_a_file_named_like_an_existing_dataset_is_added_only_when_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = jsonl_file(tmp_path / "crlf.jsonl", [ROW])
    other = tmp_path / "other"
    other.mkdir()
    second = jsonl_file(other / "crlf.jsonl", [{**ROW, "key": "k2", "instruction": "Bye"}])
    out, error = cli_import(tmp_path, first, capsys=capsys)
    assert error == "" and "new dataset 'crlf'" in out
    out, error = cli_import(tmp_path, second, capsys=capsys)
    assert error == (
        "judge-studio: crlf.jsonl: dataset 'crlf' already exists (1 comparison): give --dataset crlf to add to it, "
        "or another name (Admin page: 'Dataset name'); nothing was imported."
    )
    assert home_rows(tmp_path, "SELECT key FROM prompts ORDER BY id") == [("k1",)]
    out, error = cli_import(tmp_path, second, "--dataset", "crlf", capsys=capsys)
    assert error == ""
    assert "Imported crlf.jsonl, added to the existing dataset 'crlf' (1 comparison already there): 1 new prompt" in out
    assert home_rows(tmp_path, "SELECT key FROM prompts ORDER BY id") == [("k1",), ("k2",)]


# ------------------------------------------------------------------ 4: names trimmed


def test_model_names_and_keys_are_trimmed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {**ROW, "key": "w1 ", "model1": "m-a ", "model2": "m-b"},
        {**ROW, "key": "w2", "instruction": "Other", "model1": " m-a", "model2": "m-b"},
    ]
    _, error = cli_import(tmp_path, jsonl_file(tmp_path / "ws.jsonl", rows), capsys=capsys)
    assert error == ""
    assert home_rows(tmp_path, "SELECT name FROM candidate_models ORDER BY name") == [("m-a",), ("m-b",)]
    assert home_rows(tmp_path, "SELECT key FROM prompts ORDER BY key") == [("w1",), ("w2",)]


# ------------------------------------------------------------------ 6: labels under login accounts


def test_labels_attributed_to_a_login_account_are_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        store.create_annotator("boss", role="admin", password="correct horse battery")
        file = jsonl_file(tmp_path / "annot.jsonl", [{**ROW, "label": "1", "annotator": "boss "}])
        with pytest.raises(StoreError) as caught:
            import_file(store, file, "jsonl")
        assert "record 1 (line 1, key k1): annotator 'boss' is a login account: imported labels may only go to " in (
            str(caught.value)
        )
        assert store.dataset_names() == []
        summary = import_file(store, file, "jsonl", ImportOptions(mapping={"label": "label"}, annotator="boss-file"))
        assert summary.labels == 1 and store.labels("annot")["annotator"].tolist() == ["boss-file"]
    finally:
        store.close()


# ------------------------------------------------------------------ 8 and 10: missing columns


def test_no_suggestion_of_a_column_already_read_as_another_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    row = {k: v for k, v in ROW.items() if k != "response2"}
    _, error = cli_import(tmp_path, jsonl_file(tmp_path / "noresp2.jsonl", [row]), capsys=capsys)
    assert "no column for response2" in error and "Add --map response2=COLUMN " in error
    assert "response2=response1" not in error


def test_one_record_lacking_a_field_is_named_as_that_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [ROW, {k: v for k, v in ROW.items() if k != "response1"} | {"key": "k2"}]
    _, error = cli_import(tmp_path, jsonl_file(tmp_path / "one.jsonl", rows), capsys=capsys)
    assert error.startswith("judge-studio: one.jsonl, record 2 (line 2, key k2) has no 'response1', which other")
    assert error.endswith("Nothing was imported.") and "the file has no column" not in error
    assert home_rows(tmp_path, "SELECT count(*) FROM prompts") in ([], [(0,)])


# ------------------------------------------------------------------ 11: the wrong format for a real file


def test_a_json_list_given_to_a_json_lines_format_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "dataset.json"
    file.write_text(json.dumps([{"input": "q", "output_1": "a", "output_2": "b", "label": 1}], indent=1), "utf-8")
    _, error = cli_import(tmp_path, file, capsys=capsys, fmt="mtbench-questions")
    assert "This is one JSON list, not JSON Lines: choose --format pandalm-testset / " in error
    assert error.endswith("This looks like LLMBar's dataset.json: try --format llmbar-dataset.")
    _, error = cli_import(tmp_path, file, capsys=capsys, fmt="pandalm-testset")
    assert error.endswith("field 'idx': missing. This looks like LLMBar's dataset.json: try --format llmbar-dataset.")


def test_a_json_list_of_records_is_read_as_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "list.json"
    file.write_text(json.dumps([ROW]), encoding="utf-8")
    out, error = cli_import(tmp_path, file, capsys=capsys, fmt="jsonl")
    assert error == "" and "1 comparison" in out


def test_llmbar_results_imported_as_the_dataset_mention_the_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {"input": "q", "output_1": "a", "output_2": "b", "label": 1, "results": [{}]}
    file = tmp_path / "result.json"
    file.write_text(json.dumps([record]), encoding="utf-8")
    out, error = cli_import(tmp_path, file, capsys=capsys, fmt="llmbar-dataset")
    assert error == ""
    assert "This file also holds a judge's verdicts: import them with --format llmbar-results." in out


# ------------------------------------------------------------------ 12, 13: Parquet, other separators


def test_parquet_is_named_as_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "t.parquet"
    file.write_bytes(b"PAR1\x15\x04\x80\x00" + b"\x00" * 20 + b"PAR1")
    _, error = cli_import(tmp_path, file, capsys=capsys, fmt="csv")
    assert error.startswith("judge-studio: t.parquet is a Parquet file: import reads CSV, JSON and JSON Lines")
    assert "not UTF-8" not in error


@pytest.mark.parametrize(("separator", "word"), [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_separated_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], separator: str, word: str
) -> None:
    file = tmp_path / "s.csv"
    file.write_text("\n".join(separator.join(line) for line in (ROW.keys(), ROW.values())) + "\n", encoding="utf-8")
    _, error = cli_import(tmp_path, file, capsys=capsys)
    assert f"s.csv: this looks {word}-separated" in error and "save it as CSV UTF-8 with commas" in error


def test_a_column_without_a_header_name_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "e.csv"
    file.write_text(",".join([*ROW, ""]) + "\n" + ",".join([*ROW.values(), "lost"]) + "\n", encoding="utf-8")
    out, error = cli_import(tmp_path, file, capsys=capsys)
    assert error == "" and "Column 7 has no name in the header and was not read." in out


# ------------------------------------------------------------------ 15: a key twice in one object


def test_a_key_twice_in_one_json_object_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "dup.jsonl"
    file.write_text(json.dumps(ROW)[:-1] + ', "instruction": "second"}\n', encoding="utf-8")
    _, error = cli_import(tmp_path, file, capsys=capsys)
    assert error == (
        "judge-studio: dup.jsonl, record 1 (line 1): the key 'instruction' appears twice in one object "
        "(one of them would be lost). Nothing was imported."
    )
    assert home_rows(tmp_path, "SELECT count(*) FROM prompts") in ([], [(0,)])


def test_records_without_a_label_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{**ROW, "label": "1"}, {**ROW, "key": "k2", "label": ""}, {**ROW, "key": "k3", "label": None}]
    out, error = cli_import(tmp_path, jsonl_file(tmp_path / "lab.jsonl", rows), capsys=capsys)
    assert error == "" and "1 label from 1 annotator" in out
    assert "2 records without a label (an empty label cell is no label)." in out
