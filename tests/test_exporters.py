"""Exports: labels (long), one row per item (wide), DPO pairs; formula-like CSV cells are neutralized."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from annotation_store import Store, StoreError, open_store
from annotation_store.exporters import (
    FORMULA_PREFIXES,
    dpo_pairs,
    export,
    items_wide,
    labels_long,
    neutralize,
)
from annotation_store.importers import (
    import_llmbar_dataset,
    import_llmbar_results,
    import_pandalm_judgments,
    import_pandalm_testset,
    import_table,
)

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
    assert [(r["prompt"], r["rater"], r["verdict"]) for r in rows] == [
        ("q1", "ann", "1"),
        ("q1", "bob", "2"),
        ("q1", "cy", "1"),
        ("q2", "ann", "tie"),
        ("q3", "ann", "2"),
    ]
    assert {r["rater_kind"] for r in rows} == {"human"}
    with_judges = labels_long(small, "small", include_judges=True)
    judged = [(r["prompt"], r["verdict"], r["status"]) for r in with_judges if r["rater_kind"] == "judge"]
    assert judged == [("q1", "1", "ok"), ("q2", None, "unparsed"), ("q3", "2", "ok")]
    jsonl = [json.loads(line) for line in _export(small, "small", "labels", "jsonl").splitlines()]
    assert jsonl == [json.loads(json.dumps(r)) for r in rows]
    table = _csv(_export(small, "small", "labels", "csv", include_judges=True))
    assert list(table[0])[:7] == ["dataset", "comparison_id", "prompt", "category", "model1", "model2", "rater"]
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
    assert (first["judge:j"], rows[1]["judge:j"], rows[1]["label:bob"]) == ("1", "unparsed", None)
    # JSONL keeps the texts exactly; CSV neutralizes cells a spreadsheet would run as formulas
    jsonl = json.loads(_export(small, "small", "wide", "jsonl").splitlines()[0])
    assert (jsonl["instruction"], jsonl["response1"], jsonl["response2"]) == ("=1+1 is?", "+2", "@two")
    table = _csv(_export(small, "small", "wide", "csv"))
    assert (table[0]["instruction"], table[0]["response1"], table[0]["response2"]) == ("'=1+1 is?", "'+2", "'@two")
    assert (table[1]["instruction"], table[1]["response1"]) == ("Say -hi", "'-hi")  # only a leading character counts
    assert table[0]["comparison_id"] == "1" and table[1]["label:bob"] == ""


def test_dpo_pairs_from_the_majority_or_a_judge(small: Store) -> None:
    pairs = dpo_pairs(small, "small")
    assert [(p["prompt_key"], p["chosen"], p["rejected"], p["chosen_model"]) for p in pairs] == [
        ("q1", "+2", "@two", "m-one"),
        ("q3", "y", "x", "m-two"),
    ]  # q2's majority is a tie: no pair
    assert pairs[0]["prompt"] == "=1+1 is?" and pairs[0]["source"] == "majority"
    run_pairs = dpo_pairs(small, "small", source="1")
    assert [p["prompt_key"] for p in run_pairs] == ["q1", "q3"]
    with pytest.raises(StoreError, match="neither 'majority' nor a judge run id"):
        dpo_pairs(small, "small", source="best")
    with pytest.raises(StoreError, match="Judge run 7 has no parsed verdict"):
        dpo_pairs(small, "small", source="7")
    header = _export(small, "small", "dpo", "csv").splitlines()[0]
    assert header.startswith("prompt,chosen,rejected,")


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
        "judge:PandaLM-7B (released outputs)",
    ]
    assert len(dpo_pairs(store, dataset)) == 422 + 472  # every decisive majority label, no ties
    store.close()


def test_llmbar_wide_has_a_column_per_presentation_order(shared_data: Path, tmp_path: Path) -> None:
    store = open_store(tmp_path / "llmbar.sqlite3")
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(store, folder / "dataset.json")
    import_llmbar_results(store, folder / "GPT-4" / "result.json")
    wide = items_wide(store, "llmbar-mt-bench")
    raw = json.loads((folder / "GPT-4" / "result.json").read_text(encoding="utf-8"))
    assert [(r["judge:GPT-4 (released outputs)"], r["judge:GPT-4 (released outputs):swapped"]) for r in wide] == [
        (r["results"][-1]["swap = False"]["winner"], r["results"][-1]["swap = True"]["winner"]) for r in raw
    ]
    store.close()
