"""Importers on real SQLite files: the real reference data, and small hand-made files for bad input.

A bad record must stop the import with file, record and field in the message, and leave nothing of
that import in the database (one transaction per import).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from analysis import majority_labels, swap_consistency, win_rate
from annotation_store import Store, StoreError, open_store
from interchange.importers import (
    LLMBAR_MODELS,
    import_alpacaeval_annotations,
    import_alpacaeval_outputs,
    import_llmbar_dataset,
    import_llmbar_results,
    import_mtbench_answers,
    import_mtbench_questions,
    import_mtbench_references,
    import_pandalm_judgments,
    import_pandalm_pipeline,
    import_pandalm_testset,
    import_table,
    parse_candidates,
    run_fingerprint,
)
from orchestration.datasets import ImportOptions, import_file

TABLES = ["datasets", "prompts", "candidate_models", "responses", "comparisons", "annotators", "labels"]
TABLES += ["label_events", "judge_runs", "judge_verdicts"]


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def _row_counts(path: Path) -> dict[str, int]:
    return {table: _sql(path, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "import.sqlite3"


@pytest.fixture
def empty(db: Path):
    store: Store = open_store(db)
    yield store
    store.close()


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _pandalm_record(idx: int, **changes: Any) -> dict[str, Any]:
    record = {
        "idx": idx,
        "motivation_app": "Grammarly",
        "cmp_key": "llama-7b_bloom-7b",
        "instruction": f"Rewrite sentence {idx}.",
        "input": "A sentence.",
        "response1": f"first {idx}",
        "response2": f"second {idx}",
        "annotator1": 1,
        "annotator2": 2,
        "annotator3": 0,
    }
    record.update(changes)
    return record


# ---------------------------------------------------------------------- PandaLM, real data


@pytest.fixture
def pandalm(shared_data: Path, empty: Store) -> Store:
    import_pandalm_testset(empty, shared_data / "pandalm" / "testset-v1.json")
    return empty


def test_pandalm_test_set_becomes_comparisons_and_three_annotators_labels(pandalm: Store, db: Path) -> None:
    counts = _row_counts(db)
    assert (counts["prompts"], counts["comparisons"], counts["labels"], counts["annotators"]) == (999, 999, 2997, 3)
    assert counts["label_events"] == 2997  # every imported label is in the audit log too
    assert {name for (name,) in _sql(db, "SELECT name FROM candidate_models")} == {
        "bloom-7b",
        "cerebras-gpt-6.7B",
        "llama-7b",
        "opt-7b",
        "pythia-6.9b",
    }
    table = pandalm.comparison_table("pandalm-testset-v1")
    first = table[table["prompt"] == "0"].iloc[0]
    assert (first["model1"], first["model2"], first["category"]) == ("bloom-7b", "llama-7b", "Grammarly")
    # six responses are JSON true: stored as the text "true"; empty responses stay empty
    assert _sql(db, "SELECT count(*) FROM responses WHERE text = 'true'") == [(6,)]
    assert _sql(db, "SELECT count(*) FROM responses WHERE text = ''")[0][0] > 0
    # the one record with a blank instruction keeps its input
    assert _sql(db, "SELECT instruction, input FROM prompts WHERE key = '466'") == [(" ", "Truthfulness")]
    majority = majority_labels(pandalm.labels("pandalm-testset-v1"))
    assert majority["verdict"].value_counts().to_dict() == {"2": 472, "1": 422, "tie": 105}


def test_importing_the_test_set_twice_is_refused_and_adds_nothing(pandalm: Store, db: Path, shared_data: Path) -> None:
    before = _row_counts(db)
    with pytest.raises(StoreError, match="dataset 'pandalm-testset-v1' already imported"):
        import_pandalm_testset(pandalm, shared_data / "pandalm" / "testset-v1.json")
    assert _row_counts(db) == before
    # under another name it is a second, independent dataset that reuses models and annotators
    import_pandalm_testset(pandalm, shared_data / "pandalm" / "testset-v1.json", dataset="copy")
    after = _row_counts(db)
    assert after["comparisons"] == 2 * before["comparisons"]
    assert (after["candidate_models"], after["annotators"]) == (before["candidate_models"], before["annotators"])


def test_released_judgments_become_judge_runs_and_garbage_stays_unparsed(
    pandalm: Store, db: Path, shared_data: Path
) -> None:
    panda = import_pandalm_judgments(pandalm, shared_data / "pandalm" / "pandalm-7b-testset-v1.json")
    gpt = import_pandalm_judgments(pandalm, shared_data / "pandalm" / "gpt-3.5-turbo-testset-v1.json")
    assert (panda.runs[0].verdicts, panda.runs[0].unparsed) == (999, 0)
    assert (gpt.runs[0].verdicts, gpt.runs[0].unparsed) == (999, 25)
    rows = _sql(db, "SELECT model, profile, fingerprint_key, fingerprint FROM judge_runs ORDER BY id")
    assert [(model, profile) for model, profile, _, _ in rows] == [
        ("PandaLM-7B (released outputs)", "imported (PandaLM file layout)"),
        ("gpt-3.5-turbo (released outputs)", "imported (PandaLM file layout)"),
    ]
    # the key is the one the layout's name gave before session 16 (a file imported again maps to its run)
    key, fingerprint = run_fingerprint("PandaLM-7B (released outputs)", "pandalm", "pandalm-7b-testset-v1.json")
    assert (rows[0][2], json.loads(rows[0][3])) == (key, {**fingerprint, "profile": "imported (PandaLM file layout)"})
    assert len(key) == 20
    # "garbage" is kept as unparsed with its raw output, never turned into a tie
    assert _sql(
        db, "SELECT verdict, status, raw_output, count(*) FROM judge_verdicts WHERE run_id = 2 AND status != 'ok'"
    ) == [(None, "unparsed", "garbage", 25)]
    assert _sql(db, "SELECT count(*) FROM judge_verdicts WHERE run_id = 2 AND verdict = 'tie'") == [(38,)]
    # PandaLM-7B's 0 is a tie, and its reason and reference are kept
    reason, reference = _sql(db, "SELECT reason, reference FROM judge_verdicts WHERE run_id = 1 AND comparison_id = 1")[
        0
    ]
    assert reason.startswith("Response 2 is better") and reference == "If you have any questions, please let me know."
    assert _sql(db, "SELECT verdict, count(*) FROM judge_verdicts WHERE run_id = 1 GROUP BY verdict") == [
        ("1", 433),
        ("2", 459),
        ("tie", 107),
    ]
    before = _row_counts(db)
    with pytest.raises(StoreError, match="already imported"):
        import_pandalm_judgments(pandalm, shared_data / "pandalm" / "gpt-3.5-turbo-testset-v1.json")
    assert _row_counts(db) == before


def test_judgments_need_the_test_set_first(empty: Store, shared_data: Path) -> None:
    with pytest.raises(StoreError, match="import the test set first"):
        import_pandalm_judgments(empty, shared_data / "pandalm" / "pandalm-7b-testset-v1.json")


# ---------------------------------------------------------------------- PandaLM, bad input


def test_a_bad_label_names_file_record_and_field_and_nothing_is_kept(empty: Store, db: Path, tmp_path: Path) -> None:
    records = [_pandalm_record(i) for i in range(20)]
    records[16]["annotator2"] = "x"
    path = _write_json(tmp_path / "testset-v1.json", records)
    with pytest.raises(StoreError) as caught:
        import_pandalm_testset(empty, path)
    assert str(caught.value) == "testset-v1.json, record 17 (idx 16), field 'annotator2': expected 0, 1 or 2, got 'x'"
    assert _row_counts(db) == dict.fromkeys(TABLES, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"idx": "seven"}, "record 4, field 'idx': expected a whole number, got 'seven'"),
        ({"idx": 1}, r"record 4 \(idx 1\), field 'idx': idx 1 already appears in record 2"),
        ({"cmp_key": "llama-7b"}, r"record 4 \(idx 3\), field 'cmp_key': cannot tell the two model names apart"),
        ({"instruction": 5}, r"record 4 \(idx 3\), field 'instruction': expected text, got 5"),
        ({"instruction": "", "input": ""}, r"field 'instruction': the instruction and the input are both empty"),
        ({"annotator3": True}, r"field 'annotator3': expected 0, 1 or 2, got True"),
        ({"cmp_key": "llama-7b_llama-7b"}, r"record 4 \(idx 3\), field 'cmp_key': both responses are from 'llama-7b'"),
    ],
)
def test_bad_records_are_refused_whole(
    empty: Store, db: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    records = [_pandalm_record(i) for i in range(6)]
    records[3].update(change)
    with pytest.raises(StoreError, match=message):
        import_pandalm_testset(empty, _write_json(tmp_path / "t.json", records))
    assert _row_counts(db) == dict.fromkeys(TABLES, 0)


def test_unreadable_files_are_clear_errors(empty: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such file"):
        import_pandalm_testset(empty, tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('[{"idx": 0,', encoding="utf-8")
    with pytest.raises(StoreError, match=r"broken.json: not valid JSON \(line 1"):
        import_pandalm_testset(empty, broken)
    with pytest.raises(StoreError, match=r"t.json, record 2: expected a JSON object, got 3"):
        import_pandalm_testset(empty, _write_json(tmp_path / "t.json", [_pandalm_record(0), 3]))


def test_cmp_key_splits_on_the_underscore_between_known_model_names(empty: Store, tmp_path: Path) -> None:
    records = [
        _pandalm_record(0, cmp_key="gpt_neo-1.3b_llama-7b"),
        _pandalm_record(1, cmp_key="llama-7b_gpt_neo-1.3b"),
    ]
    path = _write_json(tmp_path / "t.json", records)
    with pytest.raises(StoreError, match=r"record 1 \(idx 0\), field 'cmp_key': cannot tell .* name the models"):
        import_pandalm_testset(empty, path)
    import_pandalm_testset(empty, path, models=["gpt_neo-1.3b", "llama-7b"])
    table = empty.comparison_table("pandalm-testset-v1")
    assert table[["model1", "model2"]].values.tolist() == [["gpt_neo-1.3b", "llama-7b"], ["llama-7b", "gpt_neo-1.3b"]]


def test_judgments_of_items_the_dataset_lacks_are_left_out_and_named(empty: Store, db: Path, tmp_path: Path) -> None:
    import_pandalm_testset(empty, _write_json(tmp_path / "testset.json", [_pandalm_record(i) for i in range(3)]))
    before = _row_counts(db)
    unknown = [{"idx": i, "gpt_result": "1", "gpt_reason": "", "gpt_reference": ""} for i in (9, 10)]
    with pytest.raises(StoreError, match=r"gpt.json, record 1 \(idx 9\), field 'idx': .* has no item for this record"):
        import_pandalm_judgments(empty, _write_json(tmp_path / "gpt.json", unknown))  # none matches: refused
    assert _row_counts(db) == before
    judgments = [{"idx": i, "gpt_result": "1", "gpt_reason": "", "gpt_reference": ""} for i in (0, 1, 9)]
    slice_of = import_pandalm_judgments(empty, _write_json(tmp_path / "slice.json", judgments))
    assert slice_of.runs[0].verdicts == 2
    assert "1 record names an idx that dataset 'pandalm-testset-v1' does not have (first: record 3, idx 9)" in (
        slice_of.describe()
    )
    judgments[2] = {"idx": 2, "gpt_result": {"odd": 1}}
    summary = import_pandalm_judgments(empty, _write_json(tmp_path / "gpt.json", judgments), judge="gpt-4")
    assert (summary.runs[0].model, summary.runs[0].unparsed) == ("gpt-4 (released outputs)", 1)


# ---------------------------------------------------------------------- LLMBar


def test_llmbar_pairs_and_both_order_verdicts(shared_data: Path, empty: Store, db: Path) -> None:
    folder = shared_data / "llmbar_mt_bench"
    summary = import_llmbar_dataset(empty, folder / "dataset.json")
    assert (summary.comparisons, summary.labels) == (200, 200)
    for judge in ("GPT-4", "LLaMA2"):
        result = import_llmbar_results(empty, folder / judge / "result.json")
        assert (result.runs[0].model, result.runs[0].verdicts) == (f"{judge} (released outputs)", 400)
    assert _sql(db, "SELECT swapped, count(*) FROM judge_verdicts GROUP BY swapped") == [(0, 400), (1, 400)]
    verdicts = empty.judge_verdicts("llmbar-mt-bench")
    raw = json.loads((folder / "GPT-4" / "result.json").read_text(encoding="utf-8"))
    same = sum(r["results"][-1]["swap = False"]["winner"] == r["results"][-1]["swap = True"]["winner"] for r in raw)
    assert swap_consistency(verdicts[verdicts["judge"] == "GPT-4 (released outputs)"]).consistency == same / 200
    assert set(empty.comparison_table("llmbar-mt-bench")["model1"]) == {LLMBAR_MODELS[0]}
    with pytest.raises(StoreError, match="already imported"):
        import_llmbar_results(empty, folder / "GPT-4" / "result.json")


def test_llmbar_results_must_match_the_dataset_texts(shared_data: Path, empty: Store, db: Path, tmp_path: Path) -> None:
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(empty, folder / "dataset.json")
    before = _row_counts(db)
    raw = json.loads((folder / "GPT-4" / "result.json").read_text(encoding="utf-8"))[:5]
    edited = [{**record, "output_1": record["output_1"] + " (edited)"} for record in raw]
    (tmp_path / "GPT-4").mkdir()
    with pytest.raises(StoreError, match=r"result.json, record 1, field 'input': dataset .* has no item"):
        import_llmbar_results(empty, _write_json(tmp_path / "GPT-4" / "result.json", edited))  # none matches
    del raw[1]["results"][-1]["swap = True"]
    with pytest.raises(StoreError, match=r"record 2, field 'results\[-1\]\[\"swap = True\"\]'"):
        import_llmbar_results(empty, _write_json(tmp_path / "GPT-4" / "result.json", raw))
    assert _row_counts(db) == before
    raw[1], raw[3] = edited[1], edited[3]  # two records the dataset lacks: the other three are imported
    summary = import_llmbar_results(empty, _write_json(tmp_path / "GPT-4" / "result.json", raw))
    assert summary.runs[0].verdicts == 6 and "2 records name a comparison (input and both outputs) that dataset " in (
        summary.describe()
    )
    assert "(first: record 2); left out." in summary.describe()


# ---------------------------------------------------------------------- MT-Bench


def _answers(model: str, texts: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "question_id": qid,
            "answer_id": f"{model}-{qid}",
            "model_id": model,
            "choices": [{"index": 0, "turns": [t, t]}],
        }
        for qid, t in texts.items()
    ]


def test_mtbench_questions_references_and_answers(shared_data: Path, empty: Store, db: Path, tmp_path: Path) -> None:
    folder = shared_data / "mt_bench"
    assert import_mtbench_questions(empty, folder / "question.jsonl").prompts == 80
    prompts = empty.prompt_table("mt-bench").set_index("key")
    assert prompts.loc["81", "category"] == "writing"
    assert prompts.loc["101", "reference"] == "You are in second place."  # the question's own reference
    # 30 reference answers; question 107's own reference is already the same text
    refs = import_mtbench_references(empty, folder / "reference_answer" / "gpt-4.jsonl")
    assert (refs.prompts_updated, refs.references_replaced, refs.references_added) == (0, 28, 1)  # 123 had none
    gpt4 = [json.loads(line) for line in (folder / "reference_answer" / "gpt-4.jsonl").read_text().splitlines()]
    prompts = empty.prompt_table("mt-bench").set_index("key")
    assert prompts.loc["101", "reference"] == gpt4[0]["choices"][0]["turns"][0]
    # a second import of the questions adds nothing and does not undo the reference answers
    again = import_mtbench_questions(empty, folder / "question.jsonl")
    assert (again.prompts, again.prompts_updated) == (0, 0)

    import_mtbench_answers(empty, _write_jsonl(tmp_path / "a.jsonl", _answers("alpha", {81: "a81", 82: "a82"})))
    import_mtbench_answers(empty, _write_jsonl(tmp_path / "b.jsonl", _answers("beta", {81: "b81", 82: "b82"})))
    summary = import_mtbench_answers(empty, _write_jsonl(tmp_path / "c.jsonl", _answers("gamma", {81: "c81"})))
    assert summary.comparisons == 2  # gamma vs alpha and vs beta on question 81 ("pairwise-all")
    table = empty.comparison_table("mt-bench")
    assert table[["prompt", "model1", "model2"]].values.tolist() == [
        ["81", "alpha", "beta"],
        ["82", "alpha", "beta"],
        ["81", "alpha", "gamma"],
        ["81", "beta", "gamma"],
    ]
    assert import_mtbench_answers(empty, tmp_path / "a.jsonl").describe().endswith("nothing new (already there).")

    before = _row_counts(db)
    bad = _answers("delta", {81: "d81", 999: "d999"})
    with pytest.raises(StoreError, match=r"d.jsonl, record 2 \(line 2, question_id 999\), field 'question_id'"):
        import_mtbench_answers(empty, _write_jsonl(tmp_path / "d.jsonl", bad), baseline="alpha")
    changed = _answers("alpha", {81: "a different answer"})
    with pytest.raises(StoreError, match=r"a different response of 'alpha' to prompt '81' is already stored"):
        import_mtbench_answers(empty, _write_jsonl(tmp_path / "e.jsonl", changed))
    assert _row_counts(db) == before


def test_mtbench_answers_need_questions(empty: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="has no questions; import question.jsonl first"):
        import_mtbench_answers(empty, _write_jsonl(tmp_path / "a.jsonl", _answers("alpha", {81: "x"})))


# ---------------------------------------------------------------------- AlpacaEval


def test_alpacaeval_outputs_and_annotations(shared_data: Path, empty: Store, db: Path) -> None:
    folder = shared_data / "alpaca_eval" / "alpaca-7b"
    outputs = import_alpacaeval_outputs(empty, folder / "model_outputs.json")
    assert (outputs.prompts, outputs.responses, outputs.comparisons) == (805, 805, 0)
    annotations = import_alpacaeval_annotations(empty, folder / "alpaca_eval_gpt4" / "annotations.json")
    assert (annotations.prompts, annotations.responses, annotations.comparisons) == (0, 805, 805)
    assert annotations.runs[0].model == "alpaca_eval_gpt4 (released annotations)"
    # preference 0 means identical outputs, a draw: a tie, not an unparsed output
    assert _sql(db, "SELECT verdict, count(*) FROM judge_verdicts GROUP BY verdict ORDER BY verdict") == [
        ("1", 584),
        ("2", 205),
        ("tie", 16),
    ]
    verdicts = empty.verdicts("alpaca-eval")
    rates = win_rate(verdicts, baseline="text_davinci_003")
    # AlpacaEval's leaderboard (alpaca_eval_gpt4 annotator): Alpaca 7B 26.46% against text_davinci_003
    assert rates["model"].tolist() == ["alpaca-7b"]
    assert round(float(rates["win_rate"].iloc[0]) * 100, 2) == 26.46
    assert (
        import_alpacaeval_outputs(empty, folder / "model_outputs.json")
        .describe()
        .endswith("nothing new (already there).")
    )


def test_alpacaeval_bad_preference_keeps_nothing(empty: Store, db: Path, tmp_path: Path) -> None:
    row = {
        "instruction": "Say hi",
        "output_1": "hi",
        "generator_1": "base",
        "output_2": "hello",
        "generator_2": "new",
        "annotator": "judge",
        "preference": 1,
    }
    rows = [row, {**row, "instruction": "Say bye", "preference": 1.73}]
    with pytest.raises(StoreError, match=r"annotations.json, record 2, field 'preference': expected 1, 2, 0"):
        import_alpacaeval_annotations(empty, _write_json(tmp_path / "annotations.json", rows))
    assert _row_counts(db) == dict.fromkeys(TABLES, 0)
    rows[1]["preference"] = None  # no preference: an unparsed verdict
    summary = import_alpacaeval_annotations(empty, _write_json(tmp_path / "annotations.json", rows))
    assert (summary.runs[0].verdicts, summary.runs[0].unparsed) == (2, 1)


# ---------------------------------------------------------------------- generic tables


CSV_TEXT = """id,question,a,b,model_a,model_b,winner,rater,judge_says
q1,Say hi,hi,=HYPERLINK("x"),alpha,beta,model_a,ann,1
q1,Say hi,hi,=HYPERLINK("x"),alpha,beta,tie,bob,1
q2,Add 2+2,4,-5,alpha,beta,B,ann,garbage
"""
MAPPING = {
    "key": "id",
    "instruction": "question",
    "response1": "a",
    "response2": "b",
    "model1": "model_a",
    "model2": "model_b",
    "label": "winner",
    "annotator": "rater",
    "verdict": "judge_says",
}


def test_long_csv_with_a_column_mapping(empty: Store, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    summary = import_table(empty, path, mapping=MAPPING, judge="my-judge")
    assert (summary.dataset, summary.comparisons, summary.labels, summary.runs[0].unparsed) == ("votes", 2, 3, 1)
    labels = empty.labels("votes")
    assert sorted(labels[["annotator", "verdict"]].values.tolist()) == [["ann", "1"], ["ann", "2"], ["bob", "tie"]]
    assert _sql(db, "SELECT text FROM responses WHERE text LIKE '=%'") == [('=HYPERLINK("x")',)]
    before = _row_counts(db)
    with pytest.raises(StoreError, match="already exists"):  # the name from the file's name: not added to
        import_table(empty, path, mapping=MAPPING, judge="my-judge")
    with pytest.raises(StoreError, match="already imported"):
        import_table(empty, path, mapping=MAPPING, judge="my-judge", dataset="votes")
    without_verdicts = {k: v for k, v in MAPPING.items() if k != "verdict"}
    again = import_table(empty, path, mapping=without_verdicts, dataset="votes")
    # the verdict column, not mapped this time, is named (s14 roundtrip: no column is dropped without a word)
    assert again.describe().endswith("nothing new (already there). Columns not read: 'judge_says'.")
    assert _row_counts(db) == before


def test_jsonl_with_one_label_column_per_person(empty: Store, tmp_path: Path) -> None:
    rows = [
        {"q": "Say hi", "r1": "hi", "r2": "yo", "alice": "1", "bob": "2"},
        {"q": "Say bye", "r1": "bye", "r2": "ciao", "alice": "tie", "bob": None},
    ]
    path = _write_jsonl(tmp_path / "people.jsonl", rows)
    mapping = {"instruction": "q", "response1": "r1", "response2": "r2", "label:alice": "alice", "label:bob": "bob"}
    summary = import_table(empty, path, mapping=mapping, model1="m1", model2="m2", dataset="people")
    assert (summary.comparisons, summary.labels) == (2, 3)
    assert empty.comparison_table("people")["prompt"].tolist() == ["1", "2"]  # record numbers as keys


@pytest.mark.parametrize(
    ("text", "mapping", "message"),
    [
        (CSV_TEXT.replace("B,ann", "maybe,ann"), MAPPING, r"votes.csv, record 3 \(line 4, key q2\), field 'winner'"),
        (
            CSV_TEXT,
            {**MAPPING, "instruction": "prompt"},
            r"votes.csv: the column mapping's 'prompt' \(for instruction\) is not in the header",
        ),
        (CSV_TEXT.replace("q2,Add 2+2,4", "q1,Add 2+2,4"), MAPPING, r"key 'q1' on line 2 and line 4 with different"),
        (
            CSV_TEXT.replace("q2,Add 2+2,4", "q1,Add 2+2,4").replace(",1\n", ",garbage\n"),
            MAPPING,
            r"votes.csv: key 'q1' on line 2 and line 4 with different instructions or inputs",
        ),
        (CSV_TEXT.replace(",hi,=HYP", ",hey,=HYP", 1), MAPPING, r"record 2 \(line 3, key q1\): a different response"),
        (CSV_TEXT, {**MAPPING, "colour": "x"}, "Unknown field"),
    ],
)
def test_bad_tables_keep_nothing(
    empty: Store, db: Path, tmp_path: Path, text: str, mapping: dict[str, str], message: str
) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoreError, match=message):
        import_table(empty, path, mapping=mapping, judge="my-judge")
    assert _row_counts(db) == dict.fromkeys(TABLES, 0)


# ---------------------------------------------------------------------- PandaLM pipeline inputs

PIPELINE_INPUTS = [
    {"motivation_app": "Grammarly", "instruction": "Fix the grammar.", "input": "he go home"},
    {"instruction": "Name a colour."},
    {"motivation_app": "Amazon", "instruction": "", "input": "Describe this product: a lamp."},
]


def _pipeline_files(tmp_path: Path, **candidates: list[Any]) -> tuple[Path, list[tuple[str, Path]]]:
    inputs = _write_json(tmp_path / "inputs.json", PIPELINE_INPUTS)
    return inputs, [(name, _write_json(tmp_path / f"{name}.json", outputs)) for name, outputs in candidates.items()]


def _responses(model: str) -> list[str]:
    return [f"{model} answer {i}" for i in range(len(PIPELINE_INPUTS))]


def test_pandalm_pipeline_inputs_and_candidates(empty: Store, db: Path, tmp_path: Path) -> None:
    inputs, candidates = _pipeline_files(tmp_path, a=_responses("a"), b=_responses("b"), c=_responses("c"))
    summary = import_pandalm_pipeline(empty, inputs, candidates=candidates)
    assert (summary.dataset, summary.prompts, summary.responses, summary.comparisons) == ("inputs", 3, 9, 9)
    table = empty.comparison_texts("inputs")
    # every pair of candidates on every input, the earlier-named one first (PandaLM's combinations order)
    assert [(r.prompt, r.model1, r.model2) for r in table.itertuples()] == [
        (str(i), first, second) for i in range(3) for first, second in [("a", "b"), ("a", "c"), ("b", "c")]
    ]
    first = table.iloc[0]
    assert (first["instruction"], first["input"], first["category"]) == ("Fix the grammar.", "he go home", "Grammarly")
    assert (first["response1"], first["response2"]) == ("a answer 0", "b answer 0")
    last = table.iloc[-1]
    assert (last["instruction"], last["input"], last["response2"]) == (
        "",
        "Describe this product: a lamp.",
        "c answer 2",
    )
    assert table.iloc[3]["input"] == "" and table.iloc[3]["category"] == ""
    counts = _row_counts(db)
    assert (counts["prompts"], counts["candidate_models"], counts["responses"], counts["comparisons"]) == (3, 3, 9, 9)
    # the same files again (into the dataset named: s13) add nothing; a fourth candidate later is compared with
    # the three stored ones
    again = import_pandalm_pipeline(empty, inputs, candidates=candidates, dataset="inputs")
    assert (again.prompts, again.responses, again.comparisons) == (0, 0, 0) and _row_counts(db) == counts
    _, more = _pipeline_files(tmp_path, d=_responses("d"))
    added = import_pandalm_pipeline(empty, inputs, candidates=more, dataset="inputs")
    assert (added.responses, added.comparisons) == (3, 9)
    pairs = empty.comparison_texts("inputs")[["model1", "model2"]].drop_duplicates()
    assert set(map(tuple, pairs.to_numpy().tolist())) == {("a", "b"), ("a", "c"), ("b", "c")} | {
        (m, "d") for m in "abc"
    }  # the stored model first


@pytest.mark.parametrize(
    ("inputs", "candidates", "message"),
    [
        (
            [PIPELINE_INPUTS[0], {"input": "x"}, PIPELINE_INPUTS[2]],
            {},
            r"^inputs.json, record 2, field 'instruction': missing$",
        ),
        (
            [PIPELINE_INPUTS[0], {"instruction": 3}, PIPELINE_INPUTS[2]],
            {},
            r"^inputs.json, record 2, field 'instruction': expected text, got 3$",
        ),
        (
            [PIPELINE_INPUTS[0], {"instruction": " ", "input": ""}, PIPELINE_INPUTS[2]],
            {},
            r"^inputs.json, record 2, field 'instruction': the instruction and the input are both empty$",
        ),
        (
            PIPELINE_INPUTS,
            {"b": ["one", "two"]},
            r"^b.json, record 3, field 'response': missing \(2 responses for the 3 inputs of inputs.json; a "
            r"candidate needs exactly one response per input, in order\)$",
        ),
        (PIPELINE_INPUTS, {"b": ["1", "2", "3", "4"]}, r"^b.json, record 4, field 'response': no input for it \(4 "),
        (PIPELINE_INPUTS, {"b": ["one", 5, "three"]}, r"^b.json, record 2, field 'response': expected text, got 5$"),
        (PIPELINE_INPUTS, {"b": ["one", "two", None]}, r"^b.json, record 3, field 'response': expected text, got None"),
        (PIPELINE_INPUTS, {"b": {"0": "one"}}, r"^b.json: expected a JSON list of responses \(strings\), got dict"),
        (PIPELINE_INPUTS, {"a": ["x", "y", "z"]}, r"candidate '(new-)?a' is named twice"),
    ],
)
def test_bad_pipeline_records_keep_nothing(
    empty: Store, db: Path, tmp_path: Path, inputs: list[Any], candidates: dict[str, Any], message: str
) -> None:
    (tmp_path / "good").mkdir()
    good_inputs, good = _pipeline_files(tmp_path / "good", a=_responses("a"), b=_responses("b"))
    import_pandalm_pipeline(empty, good_inputs, candidates=good, dataset="kept")
    before = _row_counts(db)
    path = _write_json(tmp_path / "inputs.json", inputs)
    files = [("a", _write_json(tmp_path / "a.json", _responses("a")))]
    files += [(name, _write_json(tmp_path / f"{name}.json", outputs)) for name, outputs in candidates.items()]
    if not candidates:
        files.append(("b", _write_json(tmp_path / "b.json", _responses("b"))))
    with pytest.raises(StoreError, match=message):
        import_pandalm_pipeline(empty, path, candidates=files)
    assert _row_counts(db) == before  # nothing of the failed import; the earlier one as it was
    with pytest.raises(StoreError, match=message):  # nor when the bad files would extend the earlier dataset
        import_pandalm_pipeline(empty, path, candidates=[(f"new-{n}", f) for n, f in files], dataset="kept")
    assert _row_counts(db) == before


def test_pipeline_needs_two_named_candidates(empty: Store, db: Path, tmp_path: Path) -> None:
    inputs, candidates = _pipeline_files(tmp_path, a=_responses("a"))
    with pytest.raises(StoreError, match=r"inputs.json: one candidate \('a'\) has nothing to be compared with"):
        import_pandalm_pipeline(empty, inputs, candidates=candidates)
    with pytest.raises(StoreError, match=r"name the candidates' output files \(--candidate MODEL=FILE"):
        import_pandalm_pipeline(empty, inputs, candidates=[])
    assert _row_counts(db) == dict.fromkeys(TABLES, 0)
    assert parse_candidates(["alpaca=out/a=1.json", "dir/llama-7b.json"]) == [
        ("alpaca", "out/a=1.json"),
        ("llama-7b", "dir/llama-7b.json"),
    ]
    with pytest.raises(StoreError, match="Candidate '=a.json' is not MODEL=FILE"):
        parse_candidates(["=a.json"])


def test_pipeline_through_the_command_line_options(empty: Store, tmp_path: Path) -> None:
    inputs, candidates = _pipeline_files(tmp_path, a=_responses("a"), b=_responses("b"))
    options = ImportOptions(dataset="mine", candidates=[f"{name}={path}" for name, path in candidates])
    summary = import_file(empty, inputs, "pandalm-pipeline", options)
    assert (summary.dataset, summary.comparisons) == ("mine", 3)
    with pytest.raises(StoreError, match="--candidate does not apply to --format csv"):
        import_file(empty, inputs, "csv", ImportOptions(candidates=["a=a.json"]))
    with pytest.raises(StoreError, match="--judge does not apply to --format pandalm-pipeline"):
        import_file(empty, inputs, "pandalm-pipeline", ImportOptions(judge="j", candidates=["a=a.json"]))


def test_pipeline_sanity_check_inputs(shared_data: Path, empty: Store, tmp_path: Path) -> None:
    """PandaLM's own EvaluationPipeline example inputs (10 contexts) with two small candidate files."""
    path = shared_data / "pandalm" / "pipeline-sanity-check.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    files = [(m, _write_json(tmp_path / f"{m}.json", [f"{m}: {r['instruction'][:20]}" for r in raw])) for m in "xy"]
    summary = import_pandalm_pipeline(empty, path, candidates=files)
    assert (summary.dataset, summary.prompts, summary.responses, summary.comparisons) == (
        "pipeline-sanity-check",
        10,
        20,
        10,
    )
    table = empty.comparison_texts("pipeline-sanity-check")
    assert table["instruction"].tolist() == [r["instruction"] for r in raw]
    assert table["input"].tolist() == [r["input"] for r in raw]
    assert table["category"].tolist() == [r["motivation_app"] for r in raw]
    assert table["response1"].tolist() == [f"x: {r['instruction'][:20]}" for r in raw]
