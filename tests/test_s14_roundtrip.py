"""Task s14 "roundtrip" (steward findings 1, 3 and 5).

1. ``export --kind wide`` -> ``import`` into a fresh home gives back the comparisons, every annotator's labels
   (with their kinds) and each judge run's verdicts (both orders, probabilities, an uncertain one) without a
   single ``--map``; every column the import does not read is named in its line, never dropped silently.
3. Imported labels (given in no session) carry their import time: the labels export leaves their
   ``created_at`` empty and marks them ``imported``; the over-time figure leaves them out and says so.
5. ``export --kind judgments`` carries each run's fingerprint (weights digest, quantization, template hash and
   the whole fingerprint as JSON), formula-safe in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_import, home_rows, jsonl_file
from test_s13_review_scope import DATASET, IMPORTED, SESSION, TEAM, _populate

from annotation_store import NewVerdict, Store, open_store
from cli import main
from interchange.exporters import FINGERPRINT_COLUMNS, JUDGMENT_COLUMNS, export, labels_long
from orchestration.dashboard import REPORT_CACHE, build_dashboard
from orchestration.metrics import read_report_inputs

ROWS = [
    {"key": "q1", "instruction": "=1+1?", "input": "", "model1": "m-a", "model2": "m-b", "response1": "2",
     "response2": "-3", "label:ann1": "1", "label:ann2": "1", "verdict": "1"},
    {"key": "q2", "instruction": "Capital of France?", "input": "ctx", "model1": "m-a", "model2": "m-b",
     "response1": "Paris", "response2": "Lyon", "label:ann1": "1", "label:ann2": "tie", "verdict": "nonsense"},
    {"key": "q3", "instruction": "Say hi", "input": "", "model1": "m-b", "model2": "m-c", "response1": "hi",
     "response2": "hello", "label:ann1": "2", "label:ann2": "", "verdict": "2"},
]  # fmt: skip

LABELS_SQL = (
    "SELECT p.key, a.name, a.kind, l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id "
    "JOIN comparisons c ON c.id = l.comparison_id JOIN prompts p ON p.id = c.prompt_id ORDER BY 1, 2"
)
VERDICTS_SQL = (
    "SELECT r.model, p.key, v.swapped, v.verdict, v.status, v.p_1, v.p_2, v.p_tie FROM judge_verdicts v "
    "JOIN judge_runs r ON r.id = v.run_id JOIN comparisons c ON c.id = v.comparison_id "
    "JOIN prompts p ON p.id = c.prompt_id ORDER BY 1, 2, 3"
)
TEXTS_SQL = (
    "SELECT p.key, p.instruction, p.input, m1.name, r1.text, m2.name, r2.text FROM comparisons c "
    "JOIN prompts p ON p.id = c.prompt_id JOIN responses r1 ON r1.id = c.response1_id "
    "JOIN responses r2 ON r2.id = c.response2_id JOIN candidate_models m1 ON m1.id = r1.model_id "
    "JOIN candidate_models m2 ON m2.id = r2.model_id ORDER BY 1"
)


def _home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A home with 2 annotators' labels (ann2 an expert), a judge run from the file (one unparsed verdict) and a
    second run judged in both orders with probabilities (one verdict uncertain at the default margin)."""
    home = tmp_path / "a"
    labels = ("--map", "label:ann1=label:ann1", "--map", "label:ann2=label:ann2")
    out, error = cli_import(
        home, jsonl_file(tmp_path / "pairs.jsonl", ROWS), *labels, "--judge", "judge-one", capsys=capsys
    )
    assert not error, out
    store = open_store(home / "judge-studio.sqlite3")
    store.update_account("ann2", kind="expert")
    run = store.ensure_judge_run("k-two", {"model": "judge-two", "profile": "pandalm", "weights_digest": "=abc"})
    ids = {str(r.prompt): int(r.id) for r in store.comparison_table("pairs").itertuples()}
    store.save_verdict(run, NewVerdict(ids["q1"], "1", "ok", p_1=0.8, p_2=0.15, p_tie=0.05))
    store.save_verdict(run, NewVerdict(ids["q1"], "2", "ok", swapped=True, p_1=0.3, p_2=0.6, p_tie=0.1))
    store.save_verdict(run, NewVerdict(ids["q2"], "1", "ok", p_1=0.45, p_2=0.44, p_tie=0.11))  # uncertain
    store.save_verdict(run, NewVerdict(ids["q3"], None, "truncated", swapped=True))
    store.close()
    return home


def _export(home: Path, kind: str, fmt: str, out: Path) -> Path:
    main(["export", "--dataset", "pairs", "--kind", kind, "--format", fmt, "--output", str(out), "--home", str(home)])
    return out


def test_a_wide_export_imports_back_with_every_label_kind_and_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, capsys)
    wide = _export(home, "wide", "jsonl", tmp_path / "pairs-wide.jsonl")
    capsys.readouterr()
    fresh = tmp_path / "b"
    out, error = cli_import(fresh, wide, "--dataset", "pairs", capsys=capsys)
    assert not error, out
    assert "5 labels from 2 annotators" in out and "3 verdicts of judge-one" in out and "of judge-two" in out
    # nothing dropped without a word: the export's own figures and the comparison ids are named
    assert (
        "Columns not read: 'comparison_id', 'dataset', 'majority', 'people_label', 'n_labels', 'margin', "
        "'adjudication', 'adjudicated_by', 'adjudication_rationale' (the majority, people_label and n_labels are "
        "recomputed"
    ) in out
    assert "imported as crowd" in out and "1 annotator was imported with the kind the file gives." in out
    for sql in (TEXTS_SQL, LABELS_SQL):
        assert home_rows(fresh, sql) == home_rows(home, sql)
    # the verdicts, run by run (run names are the models; a run's id is the new home's)
    assert home_rows(fresh, VERDICTS_SQL) == home_rows(home, VERDICTS_SQL)
    assert home_rows(fresh, "SELECT name, kind FROM annotators ORDER BY 1") == [("ann1", "crowd"), ("ann2", "expert")]
    # and the new home's wide export is the old one's, but for the comparison ids and the runs' numbers
    again = _export(fresh, "wide", "jsonl", tmp_path / "again.jsonl")
    first, second = (_wide_rows(path) for path in (wide, again))
    assert first == second


def _wide_rows(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [{re.sub(r" #\d+", "", k): v for k, v in row.items() if k != "comparison_id"} for row in rows]


def test_an_unknown_column_is_named_and_a_mapping_still_wins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, capsys)
    wide = _export(home, "wide", "jsonl", tmp_path / "w.jsonl")
    rows = [json.loads(line) | {"my_notes": "x"} for line in wide.read_text(encoding="utf-8").splitlines()]
    extra = jsonl_file(tmp_path / "extra.jsonl", rows)
    capsys.readouterr()
    # the user maps ann1's labels only under another name: what the user says wins, ann2's column is still read
    out, error = cli_import(tmp_path / "c", extra, "--map", "label:anna=label:ann1", capsys=capsys)
    assert not error, out
    assert "'my_notes'" in out.split("Columns not read:")[1]
    assert home_rows(tmp_path / "c", "SELECT name FROM annotators ORDER BY 1") == [("ann2",), ("anna",)]
    # a plain table (not the wide export's header) names what it does not read as well
    plain = jsonl_file(tmp_path / "plain.jsonl", [{"instruction": "Q", "response1": "a", "response2": "b", "z": 1}])
    out, error = cli_import(tmp_path / "d", plain, "--model1", "m1", "--model2", "m2", capsys=capsys)
    assert not error and "Columns not read: 'z'." in out


def test_imported_labels_have_no_label_time_in_the_labels_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, capsys)
    table = list(csv.DictReader(_export(home, "labels", "csv", tmp_path / "labels.csv").open(encoding="utf-8")))
    assert {(r["rater"], r["imported"], r["created_at"]) for r in table} == {("ann1", "true", ""), ("ann2", "true", "")}
    assert all(r["updated_at"] for r in table)  # when it was stored (its import)


@pytest.fixture
def scoped(db_path: Path, tmp_path: Path) -> Store:
    store = open_store(db_path)
    _populate(store, tmp_path)  # 18 imported labels, 12 labels of session 'team', a judge verdict on c4 and c5
    REPORT_CACHE.clear()
    return store


def test_over_time_leaves_imported_labels_out_and_says_so(scoped: Store) -> None:
    board = build_dashboard(scoped, DATASET)
    # c4 and c5 are judged: 4 session labels are compared over time, the 6 imported ones on them are left out
    assert board.agreement.n == 10 and board.over_time["n"].iloc[-1] == 4
    assert board.over_time_note == "6 imported labels left out: they carry their import time"
    from ui.plots import agreement_over_time_figure

    figure = agreement_over_time_figure(board.over_time, note=board.over_time_note)
    assert "6 imported labels left out: they carry their import time" in figure.layout.title.text
    # imported labels alone: all kept, and never a time series (their times are import times)
    alone = build_dashboard(scoped, DATASET, labels_from="imported")
    assert alone.over_time["n"].iloc[-1] == 6 and alone.over_time_note == ""
    assert alone.over_time_is_time_series is False
    # the labels export agrees: the imported labels have no created_at and say so; the team's have their times
    rows = labels_long(scoped, DATASET)
    assert {r["rater"] for r in rows if r["imported"]} == set(IMPORTED)
    assert all(r["created_at"] is None for r in rows if r["imported"])
    assert {r["rater"] for r in rows if not r["imported"]} == set(TEAM)
    assert all(r["created_at"] and r["session"] == SESSION for r in rows if not r["imported"])


def test_the_report_says_so_too(scoped: Store) -> None:
    from analysis import build_report
    from analysis.report_json import report_dict

    report = build_report(read_report_inputs(scoped, DATASET))
    judge = report_dict(report)["judges"][0]
    assert judge["over_time_left_out"] == 6
    assert judge["over_time_note"] == "6 imported labels left out: they carry their import time"


def test_the_judgments_export_carries_each_runs_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = _home(tmp_path, capsys)
    store = open_store(home / "judge-studio.sqlite3")
    stream = io.StringIO()
    export(store, "pairs", "judgments", "jsonl", stream)
    rows = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert list(rows[0]) == JUDGMENT_COLUMNS and JUDGMENT_COLUMNS[-len(FINGERPRINT_COLUMNS) :] == FINGERPRINT_COLUMNS
    two = next(r for r in rows if r["judge"].startswith("judge-two"))
    assert (two["fingerprint_key"], two["fingerprint_weights_digest"]) == ("k-two", "=abc")
    assert json.loads(two["fingerprint"]) == {"model": "judge-two", "profile": "pandalm", "weights_digest": "=abc"}
    one = next(r for r in rows if r["judge"].startswith("judge-one"))
    assert json.loads(one["fingerprint"])["source"] == "pairs.jsonl" and one["fingerprint_quantization"] is None
    stream = io.StringIO()
    export(store, "pairs", "judgments", "csv", stream)
    table = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert {r["fingerprint_weights_digest"] for r in table if r["judge"].startswith("judge-two")} == {"'=abc"}
    store.close()


def test_a_csv_wide_export_says_which_texts_carry_the_formula_guard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = _home(tmp_path, capsys)
    wide = _export(home, "wide", "csv", tmp_path / "pairs-wide.csv")
    capsys.readouterr()
    out, error = cli_import(tmp_path / "b", wide, "--dataset", "pairs", capsys=capsys)
    assert not error, out
    assert "5 labels from 2 annotators" in out and "Read as a wide export: prompt_key as the key" in out
    assert "2 cells started with the apostrophe the CSV export puts before = + - @" in out  # "=1+1?" and "-3"
    assert "that one apostrophe was removed" in out  # fix18b: the texts come back as written
    assert home_rows(tmp_path / "b", VERDICTS_SQL) == home_rows(home, VERDICTS_SQL)  # probabilities read as numbers
