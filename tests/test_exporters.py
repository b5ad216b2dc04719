"""Exports: labels (long), one row per item (wide), DPO pairs; formula-like CSV cells are neutralized."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from annotation_store import Store, StoreError, open_store
from errors import InvalidInput
from interchange.exporters import (
    FORMULA_PREFIXES,
    NothingToExport,
    dpo_pairs,
    export,
    items_wide,
    labels_long,
    neutralize,
    usable_response,
    write_parquet,
    write_rows,
)
from interchange.importers import (
    import_llmbar_dataset,
    import_llmbar_results,
    import_pandalm_judgments,
    import_pandalm_testset,
    import_table,
)
from orchestration.datasets import export_dataset, export_dataset_summary

TABLE = """id,question,a,b,winner,rater,judge
q1,=1+1 is?,+2,@two,1,ann,1
q1,=1+1 is?,+2,@two,2,bob,1
q1,=1+1 is?,+2,@two,1,cy,1
q2,Say -hi,-hi,hi,tie,ann,oops
q3,Plain,x,y,2,ann,2
"""
MAPPING = {
    "key": "id",
    "instruction": "question",
    "response1": "a",
    "response2": "b",
    "label": "winner",
    "annotator": "rater",
    "verdict": "judge",
}


@pytest.fixture
def small(tmp_path: Path):
    """A hand-made dataset whose texts start with formula characters; three people, one judge."""
    path = tmp_path / "small.csv"
    path.write_text(TABLE, encoding="utf-8")
    store: Store = open_store(tmp_path / "export.sqlite3")
    import_table(store, path, mapping=MAPPING, model1="m-one", model2="m-two", judge="j")
    yield store
    store.close()


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _export(store: Store, dataset: str, kind: str, fmt: str, **options: object) -> str:
    stream = io.StringIO()
    export(store, dataset, kind, fmt, stream, **options)  # type: ignore[arg-type]
    return stream.getvalue()


@pytest.mark.parametrize("value", ["=SUM(A1)", "+2", "-hi", "@two", "\tx", "\rx"])
def test_formula_like_text_is_neutralized(value: str) -> None:
    assert neutralize(value) == "'" + value
    assert value.startswith(FORMULA_PREFIXES)


@pytest.mark.parametrize("value", ["plain", "", "1", "tie", 3, -2.5, None, True])
def test_other_values_are_left_alone(value: object) -> None:
    assert neutralize(value) == value


def test_labels_long_format(small: Store) -> None:
    rows = labels_long(small, "small")
    assert [(r["prompt_key"], r["rater"], r["verdict"]) for r in rows] == [
        ("q1", "ann", "1"),
        ("q1", "bob", "2"),
        ("q1", "cy", "1"),
        ("q2", "ann", "tie"),
        ("q3", "ann", "2"),
    ]
    assert {r["rater_kind"] for r in rows} == {"human"}
    with_judges = labels_long(small, "small", include_judges=True)
    judged = [(r["prompt_key"], r["verdict"], r["status"]) for r in with_judges if r["rater_kind"] == "judge"]
    assert judged == [("q1", "1", "ok"), ("q2", None, "unparsed"), ("q3", "2", "ok")]
    jsonl = [json.loads(line) for line in _export(small, "small", "labels", "jsonl").splitlines()]
    assert jsonl == [json.loads(json.dumps(r)) for r in rows]
    table = _csv(_export(small, "small", "labels", "csv", include_judges=True))
    assert list(table[0])[:7] == ["dataset", "comparison_id", "prompt_key", "category", "model1", "model2", "rater"]
    assert len(table) == 8 and table[6]["verdict"] == "" and table[6]["status"] == "unparsed"


def test_wide_has_every_annotator_the_majority_and_the_judge(small: Store) -> None:
    rows = items_wide(small, "small")
    assert len(rows) == 3
    first = rows[0]
    assert (first["label:ann"], first["label:bob"], first["label:cy"], first["majority"], first["n_labels"]) == (
        "1",
        "2",
        "1",
        "1",
        3,
    )
    assert (first["judge:j #1"], rows[1]["judge:j #1"], rows[1]["label:bob"]) == ("1", "unparsed", None)
    # JSONL keeps the texts exactly; CSV neutralizes cells a spreadsheet would run as formulas
    jsonl = json.loads(_export(small, "small", "wide", "jsonl").splitlines()[0])
    assert (jsonl["instruction"], jsonl["response1"], jsonl["response2"]) == ("=1+1 is?", "+2", "@two")
    table = _csv(_export(small, "small", "wide", "csv"))
    assert (table[0]["instruction"], table[0]["response1"], table[0]["response2"]) == ("'=1+1 is?", "'+2", "'@two")
    assert (table[1]["instruction"], table[1]["response1"]) == ("Say -hi", "'-hi")  # only a leading character counts
    assert table[0]["comparison_id"] == "1" and table[1]["label:bob"] == ""


def test_dpo_pairs_from_the_majority_or_a_judge(small: Store) -> None:
    pairs = dpo_pairs(small, "small").rows
    assert [(p["prompt_key"], p["chosen"], p["rejected"], p["chosen_model"]) for p in pairs] == [
        ("q1", "+2", "@two", "m-one"),
        ("q3", "y", "x", "m-two"),
    ]  # q2's majority is a tie: no pair
    assert pairs[0]["prompt"] == "=1+1 is?" and pairs[0]["source"] == "majority"
    run_pairs = dpo_pairs(small, "small", source="1").rows
    assert [p["prompt_key"] for p in run_pairs] == ["q1", "q3"]
    with pytest.raises(StoreError, match="neither 'majority' nor a judge run id"):
        dpo_pairs(small, "small", source="best")
    with pytest.raises(StoreError, match="Judge run 7 has no parsed verdict"):
        dpo_pairs(small, "small", source="7")
    header = _export(small, "small", "dpo", "csv").splitlines()[0]
    assert header.startswith("prompt,chosen,rejected,")


def test_exports_carry_the_adjudication_of_each_comparison(small: Store, tmp_path: Path) -> None:
    """A reviewer's final label travels with its comparison: verdict, reviewer and rationale (empty when
    none), the annotators' majority beside the people's label, and DPO pairs from the people's label."""
    small.create_annotator("rev", role="reviewer")
    small.adjudicate(1, "rev", "2", "=HYPERLINK(bob is right)")  # q1: majority 1, adjudicated 2
    small.adjudicate(2, "rev", "1", "A greets")  # q2: majority tie, adjudicated 1
    long = labels_long(small, "small", include_judges=True)
    settled = [(r["prompt_key"], r["rater"], r["adjudication"], r["adjudicated_by"]) for r in long]
    assert settled == [
        ("q1", "ann", "2", "rev"),
        ("q1", "bob", "2", "rev"),
        ("q1", "cy", "2", "rev"),
        ("q2", "ann", "1", "rev"),
        ("q3", "ann", None, None),
        ("q1", "j #1", "2", "rev"),
        ("q2", "j #1", "1", "rev"),
        ("q3", "j #1", None, None),
    ]
    assert list(long[0])[-3:] == ["adjudication", "adjudicated_by", "adjudication_rationale"]
    wide = items_wide(small, "small")
    assert [(r["majority"], r["people_label"], r["adjudication"], r["adjudication_rationale"]) for r in wide] == [
        ("1", "2", "2", "=HYPERLINK(bob is right)"),
        ("tie", "1", "1", "A greets"),
        ("2", "2", None, None),
    ]
    table = _csv(_export(small, "small", "wide", "csv"))
    assert (table[0]["adjudication_rationale"], table[2]["adjudicated_by"]) == ("'=HYPERLINK(bob is right)", "")
    header = _csv(_export(small, "small", "labels", "csv", include_judges=True))[0]
    assert list(header)[-3:] == ["adjudication", "adjudicated_by", "adjudication_rationale"]
    pairs = dpo_pairs(small, "small").rows  # q1 now prefers response 2, q2's tie became a pair
    assert [(p["prompt_key"], p["chosen"], p["adjudicated_by"]) for p in pairs] == [
        ("q1", "@two", "rev"),
        ("q2", "-hi", "rev"),
        ("q3", "y", None),
    ]
    assert [p["adjudicated_by"] for p in dpo_pairs(small, "small", source="1").rows] == [None, None]
    _parquet(small, "wide", tmp_path / "wide.parquet")
    assert _cells(pd.read_parquet(tmp_path / "wide.parquet")["adjudicated_by"]) == ["rev", "rev", None]


def test_unknown_dataset_kind_or_format(small: Store) -> None:
    with pytest.raises(StoreError, match=r"Dataset 'nope' has no comparisons \(datasets: small\)"):
        _export(small, "nope", "wide", "csv")
    with pytest.raises(StoreError, match="Unknown export 'pairs'"):
        _export(small, "small", "pairs", "csv")
    with pytest.raises(StoreError, match="Unknown export format 'xlsx'"):
        _export(small, "small", "wide", "xlsx")


def test_pandalm_exports_have_every_item_and_vote(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "pandalm.sqlite3")
    folder = shared_data / "pandalm"
    import_pandalm_testset(store, folder / "testset-v1.json")
    import_pandalm_judgments(store, folder / "pandalm-7b-testset-v1.json")
    dataset = "pandalm-testset-v1"
    assert len(labels_long(store, dataset)) == 2997
    assert len(labels_long(store, dataset, include_judges=True)) == 2997 + 999
    wide = items_wide(store, dataset)
    assert len(wide) == 999
    assert [k for k in wide[0] if k.startswith(("label:", "judge:"))] == [
        "label:pandalm-annotator1",
        "label:pandalm-annotator2",
        "label:pandalm-annotator3",
        "judge:PandaLM-7B (released outputs) #1",
    ]
    # every decisive majority label, no ties; pairs with an empty or non-text (JSON true) response are left
    # out and counted (issue 14 #8: the file has 1 empty chosen and 51 empty rejected responses, and `true`s)
    pairs = dpo_pairs(store, dataset)
    assert len(pairs.rows) + pairs.dropped == 422 + 472 and pairs.dropped >= 52
    assert all(usable_response(p["chosen"]) and usable_response(p["rejected"]) for p in pairs.rows)
    assert f"Left out {pairs.dropped} of 894 pairs" in pairs.note and "--keep-empty" in pairs.note
    kept = dpo_pairs(store, dataset, keep_empty=True)
    assert (len(kept.rows), kept.dropped, kept.note) == (894, 0, "")
    assert sum(p["chosen"] == "" for p in kept.rows) == 1 and sum(p["rejected"] == "" for p in kept.rows) == 51
    summary = export_dataset_summary(store, dataset, "dpo", output=tmp_path / "dpo.jsonl")
    assert (summary.rows, summary.note) == (len(pairs.rows), pairs.note)
    store.close()


def test_dpo_without_labels_says_to_export_a_judge_run(tmp_path: Path) -> None:
    """Issue 14 #8: `--kind dpo` on a dataset without labels used to write 0 rows and succeed."""
    path = tmp_path / "judged.csv"
    path.write_text("question,a,b,judge\nQ1,x1,y1,1\nQ2,x2,y2,2\n", encoding="utf-8")
    store = open_store(tmp_path / "judged.sqlite3")
    mapping = {"instruction": "question", "response1": "a", "response2": "b", "verdict": "judge"}
    import_table(store, path, mapping=mapping, model1="m1", model2="m2", judge="j")
    with pytest.raises(NothingToExport, match=r"no human labels.*--source RUN \(judge runs on it: 1\)"):
        export_dataset(store, "judged", "dpo", output=tmp_path / "dpo.jsonl")
    assert isinstance(NothingToExport("x"), InvalidInput)  # the CLI and the API map it to an error, never exit 0
    assert not (tmp_path / "dpo.jsonl").exists()
    assert export_dataset(store, "judged", "dpo", source="1", output=tmp_path / "dpo.jsonl") == 2
    store.close()


def test_prompt_means_the_key_in_every_export_but_dpo_text(small: Store) -> None:
    """Issue 14 #8: ``prompt`` used to be the key in labels / wide and the text in DPO."""
    long, wide = labels_long(small, "small")[0], items_wide(small, "small")[0]
    dpo = dpo_pairs(small, "small").rows[0]
    assert "prompt" not in long and "prompt" not in wide
    assert long["prompt_key"] == wide["prompt_key"] == dpo["prompt_key"] == "q1"
    assert dpo["prompt"] == wide["instruction"] == "=1+1 is?"


def test_llmbar_wide_has_a_column_per_presentation_order(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "llmbar.sqlite3")
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(store, folder / "dataset.json")
    import_llmbar_results(store, folder / "GPT-4" / "result.json")
    wide = items_wide(store, "llmbar-mt-bench")
    raw = json.loads((folder / "GPT-4" / "result.json").read_text(encoding="utf-8"))
    assert [(r["judge:GPT-4 (released outputs) #1"], r["judge:GPT-4 (released outputs) #1:swapped"]) for r in wide] == [
        (r["results"][-1]["swap = False"]["winner"], r["results"][-1]["swap = True"]["winner"]) for r in raw
    ]
    store.close()


# ---------------------------------------------------------------------- Parquet


def _cells(column: pd.Series) -> list[object]:
    """A column's values with pandas' missing markers (NaN in a text column) as None."""
    return [None if value is None or (isinstance(value, float) and value != value) else value for value in column]


def _parquet(store: Store, kind: str, path: Path, **options: object) -> None:
    with path.open("wb") as stream:
        export(store, "small", kind, "parquet", stream, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "options"), [("labels", {}), ("labels", {"include_judges": True}), ("wide", {}), ("dpo", {})]
)
def test_parquet_has_the_rows_of_the_jsonl_export(small: Store, tmp_path: Path, kind: str, options: dict) -> None:
    path = tmp_path / f"{kind}.parquet"
    _parquet(small, kind, path, **options)
    jsonl = [json.loads(line) for line in _export(small, "small", kind, "jsonl", **options).splitlines()]
    # pyarrow reads back exactly the JSONL rows (same columns, order, values and nulls) ...
    assert pq.read_table(path).to_pylist() == jsonl
    # ... and pandas reads the same values as pandas builds from the JSONL rows (a column no row fills is typed
    # by the export's fixed schema, s16: an int64 column of nulls reads as NaN where the JSONL frame holds None)
    frame, expected = pd.read_parquet(path), pd.DataFrame(jsonl)
    assert {c: _cells(frame[c]) for c in frame} == {c: _cells(expected[c]) for c in expected}
    assert list(frame.columns) == list(jsonl[0])
    if kind == "labels" and options:
        judge_rows = frame[frame["rater_kind"] == "judge"]
        assert judge_rows["run_id"].tolist() == [1.0, 1.0, 1.0] and frame["run_id"].isna().sum() == 5
        # judge rows: the order judged; imported labels: no order known (null), never a made-up False
        assert judge_rows["swapped"].tolist() == [False, False, False] and _cells(judge_rows["verdict"]) == [
            "1",
            None,
            "2",
        ]
        assert frame.loc[frame["rater_kind"] == "human", "swapped"].isna().all()
    if kind == "wide":
        assert frame["n_labels"].tolist() == [3, 1, 1] and frame["n_labels"].dtype == "int64"
        assert (frame.at[0, "instruction"], frame.at[0, "response1"]) == ("=1+1 is?", "+2")  # text as it is


def test_parquet_round_trips_nested_values(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "meta": {"seed": 0, "judge": "j"}, "scores": [1.0, 2.5], "mixed": "text", "empty": {}},
        {"id": 2, "meta": {"seed": 7}, "scores": [], "mixed": {"k": [1, 2]}, "empty": {}},
        {"id": 3, "meta": None, "scores": None, "mixed": None},
    ]
    path = tmp_path / "nested.parquet"
    assert write_parquet(rows, path, ["id"]) == 3
    frame = pd.read_parquet(path)
    assert frame["id"].tolist() == [1, 2, 3]
    # dicts -> struct column: each row's dict back, a key the row lacked as None
    assert frame["meta"].tolist() == [{"seed": 0, "judge": "j"}, {"seed": 7, "judge": None}, None]
    assert [None if v is None else list(v) for v in frame["scores"]] == [[1.0, 2.5], [], None]
    # no single type (text and a dict), or none Parquet stores (dicts without keys): each value's JSON text
    assert _cells(frame["mixed"]) == ['"text"', '{"k": [1, 2]}', None]
    assert [None if v is None else json.loads(v) for v in _cells(frame["mixed"])] == ["text", {"k": [1, 2]}, None]
    assert _cells(frame["empty"]) == ["{}", "{}", None]


def test_parquet_needs_a_binary_target(small: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Parquet is a binary format"):
        write_rows([{"a": 1}], io.StringIO(), "parquet")
    with pytest.raises(StoreError, match="parquet is a binary format and is not written to standard output"):
        export_dataset(small, "small", "labels", fmt="parquet")
    with pytest.raises(StoreError, match="not written to standard output"):
        export_dataset(small, "small", "labels", fmt="parquet", output="-")
    # the format follows the suffix; a failing export leaves no file behind
    assert export_dataset(small, "small", "wide", output=tmp_path / "items.parquet") == 3
    assert len(pd.read_parquet(tmp_path / "items.parquet")) == 3
    with pytest.raises(StoreError, match="There is no dataset named 'nope'"):
        export_dataset(small, "nope", "wide", output=tmp_path / "none.parquet")
    assert not (tmp_path / "none.parquet").exists()
    with pytest.raises(StoreError, match="Cannot write"):
        export_dataset(small, "small", "wide", output=tmp_path / "missing" / "x.parquet")
