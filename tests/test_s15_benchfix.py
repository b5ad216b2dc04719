"""s15 benchmarker findings 4, 3, 1 and 10, on the real benchmark files in ../shared/data (skipped without it):

- 4: HHH alignment and EvalBiasBench no longer store the preferred response first on every pair, so an
  always-"response 1" judge scores about 0.5 there, not 1.000; the sides are the same on every import.
- 3: MT-Bench references follow FastChat (math, reasoning, coding only), and an import that replaces stored
  references says so, question by question.
- 1: ``--turn 2`` is refused with one line saying why.
- 10: the Admin page and REST's import say which imports are command-line only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotation_store import NewVerdict, Store, StoreError, open_store
from judge_runtime.profiles import get_profile
from orchestration.datasets import ImportOptions, import_file
from orchestration.metrics import metrics_report
from orchestration.service import to_case

ROOT = Path(__file__).resolve().parent.parent
HHH = ("hhh_alignment/hhh_alignment_eval.json", "hhh-alignment", "hhh-response1")
EVALBIASBENCH = ("evalbiasbench/biasbench.json", "evalbiasbench", "evalbiasbench-response1")


@pytest.fixture
def empty(tmp_path: Path):
    store: Store = open_store(tmp_path / "bench.sqlite3")
    yield store
    store.close()


def _always_first_accuracy(store: Store, dataset: str) -> float:
    """A judge run that says "1" on every comparison of ``dataset``, and its accuracy against the gold labels."""
    run = store.ensure_judge_run("always-first-0000000", {"model": "always-first", "profile": "none"})
    for comparison in store.comparison_table(dataset)["id"]:
        store.save_verdict(run, NewVerdict(int(comparison), "1", "ok"))
    (judge,) = metrics_report(store, dataset, n_bootstrap=10)["judges"]
    return float(judge["against_majority"]["accuracy"])


def _sides(store: Store, dataset: str) -> list[tuple[str, str, str]]:
    """(prompt key, response shown first, gold label) of every comparison."""
    texts = store.comparison_texts(dataset).set_index("id")
    labels = store.labels(dataset).set_index("comparison_id")["verdict"]
    return [(str(row.prompt), str(row.response1), str(labels[i])) for i, row in texts.iterrows()]


# ------------------------------------------------------------------------------------ finding 4


@pytest.mark.parametrize(("file", "fmt", "first"), [HHH, EVALBIASBENCH], ids=["hhh", "evalbiasbench"])
def test_an_always_first_judge_scores_about_half_and_a_reimport_keeps_the_sides(
    shared_data: Path, empty: Store, tmp_path: Path, file: str, fmt: str, first: str
) -> None:
    summary = import_file(empty, shared_data / file, fmt)
    labels = empty.labels(fmt)
    share = (labels["verdict"] == "2").mean()
    assert 0.4 < share < 0.6 and set(labels["verdict"]) == {"1", "2"}  # it was all "1" (accuracy 1.000)
    assert 0.4 < _always_first_accuracy(empty, fmt) < 0.6
    assert summary.labels == summary.comparisons
    table = empty.comparison_table(fmt)
    assert set(table["model1"]) == {first}  # the position names still name the positions
    again = open_store(tmp_path / "again.sqlite3")
    try:
        import_file(again, shared_data / file, fmt)
        assert _sides(again, fmt) == _sides(empty, fmt)  # the same sides and labels on a new import
    finally:
        again.close()


def _preferred(store: Store, dataset: str) -> dict[str, str]:
    """prompt key -> the text of the response the gold label names."""
    texts = store.comparison_texts(dataset).set_index("id")
    labels = store.labels(dataset).set_index("comparison_id")["verdict"]
    return {str(row.prompt): str(getattr(row, f"response{labels[i]}")) for i, row in texts.iterrows()}


def test_the_gold_side_holds_the_preferred_response(shared_data: Path, empty: Store) -> None:
    """The label follows the response: HHH's chosen text and EvalBiasBench's better one are where the label says."""
    import_file(empty, shared_data / HHH[0], HHH[1])
    records = json.loads((shared_data / HHH[0]).read_text(encoding="utf-8"))
    preferred = _preferred(empty, HHH[1])
    assert len(preferred) == len(records) == 221
    for key, response in preferred.items():
        chosen = records[int(key)]["chosen_instruction"]
        assert f"###Response to evaluate:\n{response}\n\n###Score Rubrics:" in chosen, key
    import_file(empty, shared_data / EVALBIASBENCH[0], EVALBIASBENCH[1])
    bias = json.loads((shared_data / EVALBIASBENCH[0]).read_text(encoding="utf-8"))
    better = sorted(item[f"response{item['label']}"] for items in bias.values() for item in items)
    assert sorted(_preferred(empty, EVALBIASBENCH[1]).values()) == better


# ------------------------------------------------------------------------------------ finding 3


def _judge_prompts(shared_data: Path) -> dict[str, str]:
    lines = (shared_data / "mt_bench" / "judge_prompts.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["name"]: record["system_prompt"] for record in map(json.loads, lines)}


def _answers(path: Path, model: str, questions: tuple[int, ...]) -> Path:
    rows = [
        {"question_id": q, "model_id": model, "choices": [{"index": 0, "turns": [f"{model} {q}", "t2"]}]}
        for q in questions
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_mtbench_references_only_for_fastchats_categories(shared_data: Path, empty: Store, tmp_path: Path) -> None:
    folder = shared_data / "mt_bench"
    said = import_file(empty, folder / "question.jsonl", "mtbench-questions").describe()
    assert "The references of questions 95, 131, 134, 136, 140, 142, 143, 144 and 145 were not kept" in said
    assert "only to math, reasoning and coding questions" in said
    assert "29 questions of math, reasoning and coding now hold this file's own reference" in said
    prompts = empty.prompt_table("mt-bench")
    with_reference = prompts[prompts["reference"].fillna("") != ""]
    assert set(with_reference["category"]) == {"math", "reasoning", "coding"}

    # the judge's prompt: pair-v2 on the roleplay question 95, pair-math-v1 on the math question 111
    for model in ("alpha", "beta"):
        import_file(empty, _answers(tmp_path / f"{model}.jsonl", model, (95, 111)), "mtbench-answers")
    upstream, profile = _judge_prompts(shared_data), get_profile("mtbench-pair")
    systems = {}
    for row in empty.comparison_table("mt-bench").itertuples():
        messages = profile.build_prompt(to_case(empty.get_comparison(int(row.id)))).messages
        assert messages is not None
        systems[str(row.prompt)] = messages[0]["content"]
    assert systems == {"95": upstream["pair-v2"], "111": upstream["pair-math-v1"]}

    said = import_file(empty, folder / "reference_answer" / "gpt-4.jsonl", "mtbench-reference").describe()
    assert said.startswith(
        "Imported gpt-4.jsonl into dataset 'mt-bench': 28 reference answers replaced, 1 reference answer added."
    )
    assert "prompts updated" not in said
    replaced = [str(q) for q in range(101, 131) if q not in (107, 123)]
    assert (
        f"The reference answers of questions {', '.join(replaced[:-1])} and 130 were replaced by gpt-4.jsonl's." in said
    )
    gpt4 = {
        str(record["question_id"]): record["choices"][0]["turns"][0]
        for record in map(json.loads, (folder / "reference_answer" / "gpt-4.jsonl").read_text().splitlines())
    }
    stored = empty.prompt_table("mt-bench").set_index("key")["reference"]
    assert all(stored[key] == text for key, text in gpt4.items())
    assert import_file(empty, folder / "question.jsonl", "mtbench-questions").nothing_new  # GPT-4's stay


def test_a_reference_outside_the_reference_categories_is_left_out_and_said(
    shared_data: Path, empty: Store, tmp_path: Path
) -> None:
    import_file(empty, shared_data / "mt_bench" / "question.jsonl", "mtbench-questions")
    refs = _answers(tmp_path / "ref.jsonl", "gpt-4", (95,))
    said = import_file(empty, refs, "mtbench-reference").describe()
    assert "ref.jsonl's references of question 95 were left out" in said
    assert empty.prompt_table("mt-bench").set_index("key")["reference"].fillna("")["95"] == ""


# ------------------------------------------------------------------------------------ finding 1


def test_turn_two_is_refused_with_the_reason(shared_data: Path, empty: Store, tmp_path: Path) -> None:
    for fmt, file in (("mtbench-questions", "question.jsonl"), ("mtbench-reference", "reference_answer/gpt-4.jsonl")):
        with pytest.raises(StoreError) as caught:
            import_file(empty, shared_data / "mt_bench" / file, fmt, ImportOptions(turn=2))
        assert str(caught.value).startswith("MT-Bench turn 2 is not supported: ")
        assert "pair-v2-multi-turn" in str(caught.value) and "nothing was imported" in str(caught.value)
    assert "mt-bench-turn2" not in empty.dataset_names() and "mt-bench" not in empty.dataset_names()
    file = str(shared_data / "mt_bench" / "question.jsonl")
    done = subprocess.run(
        [sys.executable, "-m", "app", "import", file, "--format", "mtbench-questions", "--turn", "2"],
        env={**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode != 0 and "MT-Bench turn 2 is not supported" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------------------ finding 10


def test_the_admin_page_and_rest_say_which_imports_are_command_line_only(tmp_path: Path) -> None:
    from fastapi import FastAPI

    from orchestration import Settings, Studio
    from ui import build_ui
    from web.routes.imports import router

    studio = Studio.open(Settings(home=tmp_path), judge_loader=lambda _spec: None)
    try:
        demo = build_ui(studio)
        shown: Any = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "admin-import-cli-only")
        text = str(shown.value)
        for option in (
            "`--baseline MODEL`",
            "`--model NAME`",
            "`--models A,B,...`",
            "--candidate MODEL=FILE",
            "--turn 2",
        ):
            assert option in text, option
        assert text.startswith("Command line only (`judge-studio import FILE --format FORMAT ...`)")
    finally:
        studio.store.close()
    app = FastAPI()
    app.include_router(router)
    body = app.openapi()["components"]["schemas"]
    form = next(schema for name, schema in body.items() if "import_dataset" in name)
    assert "Command line only" in form["properties"]["format"]["description"]
    assert {"references_added", "references_replaced"} <= set(body["ImportOut"]["properties"])
