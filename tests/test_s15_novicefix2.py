"""A first-time user's own files (session 15, novice findings 2, 3, 5, 7, 8; "novicefix2"):

2. one ``{"prompt", "response"}`` file per model is imported with ``--format alpacaeval-outputs --model NAME``
   (JSON Lines or a JSON list, ``prompt``/``response`` or ``instruction``/``output``), and the generic table's
   refusal of such a file names that format instead of ``--map response1=response --map response2=response``,
   which is refused;
3. a mapped column is matched to the header with its surrounding spaces trimmed (and case-blind when only one
   column fits): ``Prompt `` from a sheet can be mapped on the Admin page and over REST; a mapped column the
   header lacks is said as a header problem, with the near match, not as "record 1 (line 4)";
5. the Dashboard of a dataset no judge has judged (and nobody labelled) says "No judge has judged ..." and
   hides the empty pairwise frames;
7. the first of two per-model files says that no comparisons exist until the second model's file is imported;
8. a JSON trailing comma is said as one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing, home_rows, seeded_home

from annotation_store import Store
from annotation_store.store import StoreError
from orchestration.admin import parse_mapping_text
from orchestration.dashboard import REPORT_CACHE, build_dashboard
from orchestration.datasets import ImportOptions, import_file
from ui.dashboard import summary_markdown

PROMPTS = ["Name a prime.", "Say hi.", "Add 2 and 3."]


def _per_model_jsonl(path: Path, answers: list[str]) -> Path:
    """The novice's ``ckpt-a.jsonl``: one ``{"prompt", "response"}`` object a line, one file per model."""
    lines = [json.dumps({"prompt": p, "response": a}) for p, a in zip(PROMPTS, answers, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _comparisons(store: Store, dataset: str) -> list[tuple[str, str]]:
    table = store.comparison_table(dataset)
    return sorted(zip(table["model1"], table["model2"], strict=True))


# ---------------------------------------------------------------------- findings 2 and 7: one file per model


def test_two_per_model_files_become_comparisons_and_the_first_says_the_second_is_needed(
    store: Store, tmp_path: Path
) -> None:
    first = _per_model_jsonl(tmp_path / "ckpt-a.jsonl", ["2", "hi", "5"])
    said = import_file(store, first, "alpacaeval-outputs", ImportOptions(dataset="ckpts", model="ckpt-a")).describe()
    assert said.startswith("Imported ckpt-a.jsonl into new dataset 'ckpts': 3 new prompts, 3 responses.")
    assert (
        "No comparisons yet: dataset 'ckpts' holds one model's outputs ('ckpt-a'); import the second model's file "
        "(judge-studio import FILE --format alpacaeval-outputs --dataset ckpts --model NAME)" in said
    )
    assert _comparisons(store, "ckpts") == []
    # the second model's file as a JSON list in AlpacaEval's own names: one comparison per prompt
    second = tmp_path / "ckpt-b.json"
    second.write_text(json.dumps([{"instruction": p, "output": f"b{i}"} for i, p in enumerate(PROMPTS)]))
    said = import_file(store, second, "alpacaeval-outputs", ImportOptions(dataset="ckpts", model="ckpt-b")).describe()
    assert "3 comparisons" in said and "No comparisons yet" not in said
    assert _comparisons(store, "ckpts") == [("ckpt-a", "ckpt-b")] * 3
    responses = store.response_table("ckpts")
    assert sorted(responses[responses["model"] == "ckpt-a"]["text"]) == ["2", "5", "hi"]


def test_a_per_model_file_without_a_model_name_says_to_give_one(store: Store, tmp_path: Path) -> None:
    path = _per_model_jsonl(tmp_path / "ckpt-a.jsonl", ["2", "hi", "5"])
    with pytest.raises(
        StoreError, match=r"record 1 \(line 1\), field 'generator': missing: name the model with --model"
    ):
        import_file(store, path, "alpacaeval-outputs", ImportOptions(dataset="ckpts"))
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"question": "Q", "response": "A"}) + "\n")
    with pytest.raises(StoreError) as refused:
        import_file(store, wrong, "alpacaeval-outputs", ImportOptions(dataset="ckpts", model="m"))
    assert "needs 'instruction' or 'prompt' in every record" in str(refused.value)
    assert "this record's fields are 'question', 'response'. Nothing was imported." in str(refused.value)
    assert "ckpts" not in store.dataset_names()


def test_the_table_refusal_of_a_per_model_file_names_the_per_model_format_not_a_refused_mapping(
    store: Store, tmp_path: Path
) -> None:
    path = _per_model_jsonl(tmp_path / "ckpt-a.jsonl", ["2", "hi", "5"])
    with pytest.raises(StoreError) as refused:
        import_file(store, path, "jsonl")
    said = str(refused.value)
    assert "the file's columns are 'prompt', 'response'. It looks like one model's outputs" in said
    assert "--format alpacaeval-outputs --model NAME" in said and "nothing was imported" in said
    assert "response2=response" not in said
    # a column is never suggested for two fields (the mapping would be refused)
    two = tmp_path / "two.jsonl"
    two.write_text(json.dumps({"Instruction": "Q", "response": "a", "other": "b"}) + "\n")
    with pytest.raises(StoreError) as refused:
        import_file(store, two, "jsonl")
    assert "Add --map instruction=Instruction --map response1=response --map response2=COLUMN" in str(refused.value)


# ---------------------------------------------------------------------- finding 3: header spaces


SHEET = (
    "#,Prompt ,Ckpt A (step 2000) output,Ckpt B (step 4000) output,Notes\n"
    '1,"Write a haiku\nabout rain",Rain falls,Drops sing,ok\n'
    "2,Say hi,hi,hello,\n"
)
SHEET_MAPPING = "instruction=Prompt, response1=Ckpt A (step 2000) output, response2=Ckpt B (step 4000) output"


def _sheet(tmp_path: Path) -> Path:
    path = tmp_path / "sheet_export.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


def _sheet_options(mapping: str) -> ImportOptions:
    return ImportOptions(dataset="sheet", mapping=parse_mapping_text(mapping), model1="ckpt-a", model2="ckpt-b")


def test_a_header_with_a_trailing_space_is_mapped_from_the_admin_page_s_trimmed_mapping(
    store: Store, tmp_path: Path
) -> None:
    said = import_file(store, _sheet(tmp_path), "csv", _sheet_options(SHEET_MAPPING)).describe()
    assert "into new dataset 'sheet': 2 new prompts" in said
    assert "The column 'Prompt ' (with a trailing space) was read as instruction (mapped as 'Prompt')." in said
    prompts = store.prompt_table("sheet")
    assert sorted(prompts["instruction"]) == ["Say hi", "Write a haiku\nabout rain"]
    # and case-blind when one column fits
    lower = SHEET_MAPPING.replace("instruction=Prompt", "instruction=prompt")
    again = import_file(store, _sheet(tmp_path), "csv", _sheet_options(lower))
    assert again.nothing_new


def test_a_mapped_column_the_header_lacks_is_a_header_problem_with_the_near_match(store: Store, tmp_path: Path) -> None:
    typo = SHEET_MAPPING.replace("instruction=Prompt", "instruction=Prompts")
    with pytest.raises(StoreError) as refused:
        import_file(store, _sheet(tmp_path), "csv", _sheet_options(typo))
    said = str(refused.value)
    assert said.startswith("sheet_export.csv: the column mapping's 'Prompts' (for instruction) is not in the header")
    assert "Did you mean 'Prompt ' (with a trailing space)?" in said and "nothing was imported" in said
    assert "record 1" not in said and "line 4" not in said
    assert "sheet" not in store.dataset_names()


def test_rest_import_maps_a_header_with_a_trailing_space(seeded_db_template: Path, tmp_path: Path) -> None:
    studio = accounts_studio(seeded_home(seeded_db_template, tmp_path), (("ada", "admin"),))
    for opened in closing(studio):
        bearer = {"Authorization": f"Bearer {opened.access.api_token('ada')}"}
        with TestClient(api_app(opened)) as client:
            answer = client.post(
                "/api/v1/datasets/import",
                headers=bearer,
                files={"file": ("sheet_export.csv", SHEET.encode(), "text/csv")},
                data={"dataset": "sheet", "mapping": SHEET_MAPPING, "model1": "ckpt-a", "model2": "ckpt-b"},
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["comparisons"] == 2
    rows = home_rows(
        tmp_path / "home",
        "SELECT p.instruction FROM prompts p JOIN datasets d ON d.id = p.dataset_id WHERE d.name = 'sheet' "
        "ORDER BY p.instruction",
    )
    assert rows == [("Say hi",), ("Write a haiku\nabout rain",)]


# ---------------------------------------------------------------------- finding 5: the unjudged Dashboard


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    REPORT_CACHE.clear()
    yield
    REPORT_CACHE.clear()


def test_the_dashboard_of_an_unjudged_dataset_says_so_and_hides_the_empty_figures(
    store: Store, tmp_path: Path, fresh_cache: None
) -> None:
    first = _per_model_jsonl(tmp_path / "a.jsonl", ["2", "hi", "5"])
    second = _per_model_jsonl(tmp_path / "b.jsonl", ["3", "hey", "6"])
    for path, model in ((first, "A"), (second, "B")):
        import_file(store, path, "alpacaeval-outputs", ImportOptions(dataset="my runs", model=model))
    board = build_dashboard(store, "my runs", None)
    text = summary_markdown(board)
    assert (
        "No judge has judged 'my runs' yet: run `judge-studio judge --dataset 'my runs'` or the Case study's "
        "Run judge." in text
    )
    assert board.nothing_judged and not board.shows_pairwise


def test_the_dashboard_page_hides_the_pairwise_panels_of_an_unjudged_dataset(
    seeded_db_template: Path, tmp_path: Path, fresh_cache: None
) -> None:
    import gradio as gr

    from ui.dashboard import DashboardHandlers

    studio = accounts_studio(seeded_home(seeded_db_template, tmp_path), (("ada", "admin"),))
    for opened in closing(studio):
        for path, model in ((tmp_path / "a.jsonl", "A"), (tmp_path / "b.jsonl", "B")):
            _per_model_jsonl(path, ["x", "y", "z"] if model == "A" else ["u", "v", "w"])
            import_file(opened.store, path, "alpacaeval-outputs", ImportOptions(dataset="runs", model=model))
        page: Any = type("Page", (), {})()
        page.pairwise, page.shown = "pairwise", "shown"
        page.by_id = lambda values: {("figure", key): value for key, value in values.items()}
        shown = DashboardHandlers(opened, page).tick("runs", None, None, None, gr.Request(username="ada"))
        assert shown["pairwise"].visible is False
        assert "No judge has judged 'runs' yet" in shown[("figure", "dashboard-summary")]


# ---------------------------------------------------------------------- finding 8: a trailing comma


def test_a_trailing_comma_is_named_as_one(store: Store, tmp_path: Path) -> None:
    listed = tmp_path / "messy_trailing_comma.json"
    listed.write_text('[\n  {"instruction": "Q", "output": "A"},\n  {"instruction": "R", "output": "B"},\n]\n')
    with pytest.raises(StoreError) as refused:
        import_file(store, listed, "alpacaeval-outputs", ImportOptions(model="m"))
    said = str(refused.value)
    assert said.startswith("messy_trailing_comma.json: not valid JSON (line 4, column 1: Expecting value).")
    assert "A trailing comma before line 4? (the comma on line 3 is followed by ']'" in said
    with pytest.raises(StoreError) as refused:  # the generic table reads a JSON list too
        import_file(store, listed, "jsonl")
    assert "(line 4, column 1: Expecting value). A trailing comma before line 4?" in str(refused.value)
    lines = tmp_path / "rows.jsonl"
    lines.write_text('{"instruction": "Q", "response1": "a", "response2": "b"}\n{"instruction": "R",}\n')
    with pytest.raises(StoreError) as refused:
        import_file(store, lines, "jsonl")
    assert "record 2 (line 2, column 21): not valid JSON" in str(refused.value)
    assert "A trailing comma before the '}' on line 2?" in str(refused.value)
    # a JSON error elsewhere gets no such hint
    cut = tmp_path / "cut.json"
    cut.write_text('[{"instruction": "Q", "output": ')
    with pytest.raises(StoreError) as refused:
        import_file(store, cut, "alpacaeval-outputs", ImportOptions(model="m"))
    assert "trailing comma" not in str(refused.value)
