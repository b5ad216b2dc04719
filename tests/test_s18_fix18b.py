"""fix18b: review 18b's findings 1, 2, 3, 5 (part), 7.

1. The CSV formula guard no longer grows on each export -> import round trip: importing a CSV wide export takes off
   exactly the one apostrophe the export put before = + - @ tab CR or ' (and says how many cells had it), so export,
   import, export is a fixed point and every text comes back as written; a text's own ``'`` before a plain letter
   (a file exported before s18, which did not double it) is kept.
2. ``DELETE /api/v1/datasets/{name}/runs/{id}`` never deletes a whole dataset in place of a mistyped run: while the
   dataset ``name`` exists the path means its run (404 when it has none, naming ``?what=dataset``); the choice and
   the delete are one transaction (``Store.delete_run_path``).
3. The export's note names each surface's options: the CLI's flags, REST's query parameters, the Admin page's boxes.
5. ``Store.label_activity`` is gone (``answer_activity`` is the one function).
7. The Holm note says "judge pairs tested", not "comparisons" (an item, in this product).
SQLite files; the CLI through ``cli.main``; REST through the ASGI test client; no browser."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from helpers import PASSWORD, api_app, cli_import, home_rows, jsonl_file

from annotation_store import open_store
from cli import main
from interchange.exporters import (
    CLI_WORDS,
    KEEP_EMPTY_ELSEWHERE,
    MARGIN_UNUSED,
    DpoPairs,
    OptionWords,
    margin_unused,
    neutralize,
)
from orchestration import Settings, Studio

# ---------------------------------------------------------------------- 1. the CSV guard, undone on import
TEXTS = ["'quoted", "=1+1", "''x", "+cmd", "-1", "@a", "plain text"]
TEXT_COLUMNS = ("instruction", "response1", "response2")


def _source(folder: Path) -> Path:
    rows = [
        {"id": f"k{i}", "instruction": text, "response1": text, "response2": f"b {i}", "model1": "m1", "model2": "m2"}
        for i, text in enumerate(TEXTS)
    ]
    return jsonl_file(folder / "texts.jsonl", rows)


def _export(home: Path, dataset: str, target: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    main(["export", "--dataset", dataset, "--kind", "wide", "-o", str(target), "--home", str(home)])
    capsys.readouterr()
    with target.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _stored(home: Path, dataset: str) -> list[tuple[str, str]]:
    return home_rows(
        home,
        "SELECT p.instruction, r.text FROM prompts p JOIN datasets d ON d.id = p.dataset_id JOIN responses r "
        f"ON r.prompt_id = p.id JOIN candidate_models m ON m.id = r.model_id WHERE d.name = '{dataset}' "
        "AND m.name = 'm1' ORDER BY p.key",
    )


def test_export_import_export_is_a_fixed_point_and_the_texts_come_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    out, error = cli_import(home, _source(tmp_path), "--dataset", "d0", capsys=capsys)
    assert error == "", out
    first = _export(home, "d0", tmp_path / "w1.csv", capsys)
    assert [row["instruction"] for row in first] == [neutralize(text) for text in TEXTS]
    assert [row["instruction"] for row in first][:4] == ["''quoted", "'=1+1", "'''x", "'+cmd"]
    out, error = cli_import(home, tmp_path / "w1.csv", "--dataset", "d1", capsys=capsys)
    assert error == "", out
    # 6 guarded texts, each in the instruction and in response1
    assert (
        "12 cells started with the apostrophe the CSV export puts before = + - @ or ' (a spreadsheet formula guard; "
        "the file's export_format 2 says so): that one apostrophe was removed, so the texts are as they were "
        "exported." in out
    )
    assert _stored(home, "d1") == _stored(home, "d0") == [(text, text) for text in TEXTS]
    second = _export(home, "d1", tmp_path / "w2.csv", capsys)
    cli_import(home, tmp_path / "w2.csv", "--dataset", "d2", capsys=capsys)
    third = _export(home, "d2", tmp_path / "w3.csv", capsys)
    for row in (*first, *second, *third):
        row.pop("dataset"), row.pop("comparison_id")
    assert second == first and third == first  # nothing grows, cycle after cycle
    assert _stored(home, "d2") == [(text, text) for text in TEXTS]


def test_a_texts_own_apostrophe_in_an_older_export_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wide export written before s18 did not double a text's own leading apostrophe and has no export_format
    column: every cell is read as written (review 18c finding 1), as before s18."""
    home = tmp_path / "home"
    home.mkdir()
    cli_import(home, _source(tmp_path), "--dataset", "d0", capsys=capsys)
    rows = _export(home, "d0", tmp_path / "w1.csv", capsys)
    old = tmp_path / "old.csv"
    with old.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[k for k in rows[0] if k != "export_format"])
        writer.writeheader()
        for row in rows:  # as the exporter wrote it before s18: a text's own apostrophe not doubled, no marker
            row.pop("export_format")
            writer.writerow({k: v[1:] if v.startswith("''") else v for k, v in row.items()})
    out, error = cli_import(home, old, "--dataset", "old", capsys=capsys)
    assert error == "", out
    assert [instruction for instruction, _ in _stored(home, "old")] == [
        "'quoted", "'=1+1", "''x", "'+cmd", "'-1", "'@a", "plain text",
    ]  # fmt: skip
    assert "8 texts start with an apostrophe before = + - @" in out  # '=1+1 '+cmd '-1 '@a, twice each
    assert "kept as written, since this file has no export_format column" in out


def test_a_csv_that_is_not_a_wide_export_keeps_its_apostrophes(tmp_path: Path) -> None:
    source = tmp_path / "plain.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "a", "b"])
        writer.writerow(["q1", "'=kept", "''two", "x"])
    from interchange.importers import import_table

    store = open_store(tmp_path / "plain.sqlite3")
    try:
        summary = import_table(
            store, source, mapping={"key": "id", "instruction": "question", "response1": "a", "response2": "b"},
            model1="m1", model2="m2",
        )  # fmt: skip
        assert "apostrophe" not in " ".join(summary.notes)
    finally:
        store.close()
    assert home_rows_at(tmp_path / "plain.sqlite3") == [("'=kept",)]


def home_rows_at(path: Path) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT instruction FROM prompts").fetchall()


# ---------------------------------------------------------------------- 2. the run path never deletes a dataset
RUNS = "SELECT id FROM judge_runs ORDER BY id"


def _judged(folder: Path, capsys: pytest.CaptureFixture[str]) -> Studio:
    """'votes' with one judge run (run 1) and a dataset named 'votes/runs/7'; an admin 'ada'."""
    rows = [
        {"instruction": f"q{i}", "response1": "a", "response2": "b", "model1": "m1", "model2": "m2", "verdict": "1"}
        for i in range(3)
    ]
    cli_import(folder, jsonl_file(folder.parent / "j.jsonl", rows), "--dataset", "votes", "--judge", "gpt-4",
               capsys=capsys)  # fmt: skip
    plain = [{k: v for k, v in row.items() if k != "verdict"} for row in rows]
    cli_import(folder, jsonl_file(folder.parent / "p.jsonl", plain), "--dataset", "votes/runs/7", capsys=capsys)
    studio = Studio.open(Settings(home=folder))
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    return studio


def test_a_mistyped_run_id_is_a_404_not_a_deleted_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    studio = _judged(folder, capsys)
    admin = {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}
    names = "SELECT name FROM datasets ORDER BY name"
    try:
        assert home_rows(folder, names) == [("votes",), ("votes/runs/7",)] and home_rows(folder, RUNS) == [(1,)]
        with TestClient(api_app(studio)) as client:
            typo = client.delete("/api/v1/datasets/votes/runs/7", headers=admin)
            assert typo.status_code == 404
            assert typo.json()["detail"] == (
                "The dataset 'votes' has no judge run 7 (its judge runs: run 1 (gpt-4); see `judge-studio datasets "
                "runs votes`). Nothing was changed. The path also names the dataset 'votes/runs/7': add "
                "`?what=dataset` to delete that dataset."
            )
            assert home_rows(folder, names) == [("votes",), ("votes/runs/7",)]  # nothing deleted
            run = client.delete("/api/v1/datasets/votes/runs/7", headers=admin, params={"what": "run"})
            assert run.status_code == 404 and home_rows(folder, names) == [("votes",), ("votes/runs/7",)]
            picked = client.delete("/api/v1/datasets/votes/runs/7", headers=admin, params={"what": "dataset"})
            assert picked.status_code == 200 and picked.json()["dataset"] == "votes/runs/7"
            assert home_rows(folder, names) == [("votes",)] and home_rows(folder, RUNS) == [(1,)]
            one = client.delete("/api/v1/datasets/votes/runs/1", headers=admin)
            assert one.status_code == 200 and one.json()["run_deleted"] is True
            assert home_rows(folder, RUNS) == [] and home_rows(folder, names) == [("votes",)]
            bad = client.delete("/api/v1/datasets/nope/runs/1", headers=admin)
            assert bad.status_code == 404 and "There is no dataset named 'nope'" in bad.json()["detail"]
    finally:
        studio.store.close()


def test_the_choice_and_the_delete_are_one_store_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    studio = _judged(folder, capsys)
    try:
        from annotation_store import StoreNotFound

        with pytest.raises(StoreNotFound, match="add `\\?what=dataset` to delete that dataset"):
            studio.datasets.delete_run_path("ada", "votes", 7, "votes/runs/7")
        gone = studio.datasets.delete_run_path("ada", "votes", 7, "votes/runs/7", "dataset")
        assert getattr(gone, "name", None) == "votes/runs/7"
        done = studio.datasets.delete_run_path("ada", "votes", 1, "votes/runs/1")
        assert isinstance(done, tuple)
        run, dropped = done
        assert (run.run_id, run.verdicts, dropped) == (1, 3, True)
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- 3. the note in each surface's words
def test_the_dpo_and_margin_notes_take_the_surfaces_words() -> None:
    pairs = DpoPairs([], dropped=2, too_few=1, min_labels=3)
    assert pairs.note == (
        "Left out 1 of 3 pairs whose comparison has fewer than 3 counted labels (--min-labels 3).\n"
        "Left out 2 of 2 pairs whose chosen or rejected response is empty or not text (keep them with --keep-empty)."
    )
    words = OptionWords("exclude_annotator", "min_labels={n}", "uncertain_margin", KEEP_EMPTY_ELSEWHERE)
    rest = DpoPairs([], dropped=2, too_few=1, min_labels=3, words=words)
    assert "(min_labels=3)." in rest.note and "--min-labels" not in rest.note
    assert "(only the command line keeps them: judge-studio export --keep-empty)" in rest.note
    assert margin_unused(CLI_WORDS) == MARGIN_UNUSED
    assert MARGIN_UNUSED.startswith("--uncertain-margin changes nothing here")
    assert margin_unused(words).startswith("uncertain_margin changes nothing here")


def test_rest_and_the_admin_page_name_their_own_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from ui import build_ui

    folder = tmp_path / "home"
    folder.mkdir()
    cli_import(folder, _source(tmp_path), "--dataset", "plain", capsys=capsys)  # no judge run: no margin in a row
    studio = Studio.open(Settings(home=folder, judge_demo_on_start=False))
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    try:
        admin = {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}
        with TestClient(api_app(studio)) as client:
            params: dict[str, Any] = {"dataset": "plain", "kind": "wide", "uncertain_margin": 0.2}
            answer = client.get("/api/v1/export", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        assert unquote(answer.headers["X-Export-Note"]) == margin_unused(
            OptionWords("exclude_annotator", "min_labels={n}", "uncertain_margin", KEEP_EMPTY_ELSEWHERE)
        )
        export = handler(build_ui(studio), "admin_export")
        shown = by_id(export("plain", "wide", "csv", False, "majority", "all", [], 0, 0.2, gr.Request(username="ada")))
        said = shown["admin-export-result"].replace("\\", "")
        assert "The uncertain margin changes nothing here: no row of this export carries a judge verdict." in said
        assert "--" not in said
    finally:
        studio.store.close()
    main(["export", "--dataset", "plain", "--kind", "wide", "--uncertain-margin", "0.2", "-o",
          str(tmp_path / "w.csv"), "--home", str(folder)])  # fmt: skip
    assert MARGIN_UNUSED in capsys.readouterr().err  # the command line keeps its flag


# ---------------------------------------------------------------------- 5 and 7. one activity function; the Holm note
def test_label_activity_is_gone() -> None:
    from annotation_store import Store

    assert not hasattr(Store, "label_activity") and hasattr(Store, "answer_activity")


def test_the_holm_note_names_judge_pairs() -> None:
    from analysis.judges_compared import _disagree

    pair = {"difference_ci": {"low": 0.01, "high": 0.2}, "mcnemar_p": 0.01, "significant": False, "comparisons": 3}
    note = _disagree(pair)
    assert note.startswith(" The interval is not adjusted for the 3 judge pairs tested: it leaves out 0")
    assert "3 comparisons" not in note


def test_json_of_the_round_trip_source_is_what_the_texts_say(tmp_path: Path) -> None:
    """The source file holds the texts exactly (a guard against a test that passes on a mangled source)."""
    rows = [json.loads(line) for line in _source(tmp_path).read_text(encoding="utf-8").splitlines()]
    assert [row["instruction"] for row in rows] == TEXTS
