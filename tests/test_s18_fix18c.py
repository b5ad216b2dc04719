"""fix18c: review 18c's findings 1, 2, 3, 4 and 8.

1. A CSV wide export carries ``export_format`` 2; the import takes the formula guard's apostrophe off only in a file
   that has it. A file without it (exported before s18, when a text's own leading ``'`` was not doubled) is read as
   written, as then, and the note says which rule was applied.
2. ``load_judge()`` picks the verdict mode as the command line does: ``JudgeSpec.verdict_mode`` is "auto", resolved
   by the one rule (``judge_runtime.resolved_verdict_mode``) that ``Settings.resolved_verdict_mode`` calls.
3. ``with_outcome`` applied again (another margin) starts from the judge's own verdict.
4. The Gradio choice-error patch checks the value against the component's choices, not Gradio's English words, and
   logs Gradio's message server-side; the page gets the generic message.
8. A remote judge failing on a run this call made, kept only because another call is judging into it, says so
   ("kept: another judging is adding to it"), not "with the verdicts it held before".
No model is loaded; SQLite files; the CLI through ``cli.main``."""

from __future__ import annotations

import csv
import logging
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from helpers import cli_import, home_rows, jsonl_file

from judge_runtime import DEMO_MODEL, JudgeResult, JudgeSpec, ParsedJudgment, resolved_verdict_mode, with_outcome
from judge_runtime.base import resolved_spec

# ---------------------------------------------------------------------- 1. the CSV guard only with the marker
TEXTS = ["'-1 is the answer", "'''python", "'@user hi", "=1+1", "plain"]


def _wide_csv(home: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    from cli import main

    rows = [
        {"id": f"k{i}", "instruction": text, "response1": text, "response2": "b", "model1": "m1", "model2": "m2"}
        for i, text in enumerate(TEXTS)
    ]
    out, error = cli_import(home, jsonl_file(folder / "texts.jsonl", rows), "--dataset", "d0", capsys=capsys)
    assert error == "", out
    main(["export", "--dataset", "d0", "--kind", "wide", "-o", str(folder / "w.csv"), "--home", str(home)])
    capsys.readouterr()
    with (folder / "w.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _instructions(home: Path, dataset: str) -> list[str]:
    query = (
        "SELECT p.instruction FROM prompts p JOIN datasets d ON d.id = p.dataset_id "
        f"WHERE d.name = '{dataset}' ORDER BY p.key"
    )
    return [row[0] for row in home_rows(home, query)]


def _written(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_wide_export_says_its_format_and_its_guards_come_off(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    home.mkdir()
    rows = _wide_csv(home, tmp_path, capsys)
    assert {row["export_format"] for row in rows} == {"2"}
    assert list(rows[0]).index("export_format") == list(rows[0]).index("annotator_kinds") + 1
    out, error = cli_import(home, tmp_path / "w.csv", "--dataset", "d1", capsys=capsys)
    assert error == "", out
    assert _instructions(home, "d1") == TEXTS
    assert "(a spreadsheet formula guard; the file's export_format 2 says so): that one apostrophe was removed" in out
    assert "'export_format'" not in out  # read, so not among "Columns not read"


def test_an_older_wide_csv_without_the_marker_is_read_as_written(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The reviewer's repro: a text's own '-1, '''python, '@user in a file exported before s18 (no export_format,
    a text's own apostrophe not doubled) are no longer cut by one character."""
    home = tmp_path / "home"
    home.mkdir()
    rows = _wide_csv(home, tmp_path, capsys)
    old = []
    for row in rows:  # as s14-s17 wrote it: no marker; a formula guarded, a text's own apostrophe as it is
        row.pop("export_format")
        old.append({k: v[1:] if v.startswith("''") else v for k, v in row.items()})
    for row, text in zip(old, TEXTS, strict=True):
        row["instruction"] = "'" + text if text.startswith("=") else text
    out, error = cli_import(home, _written(tmp_path / "old.csv", old), "--dataset", "old", capsys=capsys)
    assert error == "", out
    assert _instructions(home, "old") == ["'-1 is the answer", "'''python", "'@user hi", "'=1+1", "plain"]
    assert "removed" not in out
    assert "kept as written, since this file has no export_format column" in out


def test_a_jsonl_wide_export_reads_its_format_column(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from cli import main

    home = tmp_path / "home"
    home.mkdir()
    _wide_csv(home, tmp_path, capsys)
    main(["export", "--dataset", "d0", "--kind", "wide", "-o", str(tmp_path / "w.jsonl"), "--home", str(home)])
    capsys.readouterr()
    out, error = cli_import(home, tmp_path / "w.jsonl", "--dataset", "d2", capsys=capsys)
    assert error == "", out
    assert _instructions(home, "d2") == TEXTS and "'export_format'" not in out and "apostrophe" not in out


# ---------------------------------------------------------------------- 2. load_judge() picks the mode as the CLI
def test_the_python_api_resolves_the_verdict_mode_as_the_settings_do() -> None:
    from orchestration import Settings, Studio

    assert JudgeSpec().verdict_mode == "auto"
    assert resolved_spec(JudgeSpec()).verdict_mode == "constrained"  # the demo judge, pandalm: as the CLI
    assert resolved_spec(JudgeSpec()) == resolved_spec(Studio.spec_for(Settings()))
    for model, profile in [(DEMO_MODEL, "pandalm"), (DEMO_MODEL, "mtbench-pair"), ("/models/x", "pandalm")]:
        settings = Settings(judge_model=model, judge_profile=profile)
        assert settings.resolved_verdict_mode == resolved_verdict_mode("auto", model, profile)
        assert resolved_spec(JudgeSpec(model=model, profile=profile)).verdict_mode == settings.resolved_verdict_mode
    assert resolved_verdict_mode("auto", "/models/x", "pandalm") == "generate"
    assert resolved_verdict_mode("auto", DEMO_MODEL, "mtbench-pair") == "generate"
    assert resolved_verdict_mode("generate", DEMO_MODEL, "pandalm") == "generate"  # a mode given is kept


def test_the_planned_fingerprint_of_the_default_spec_is_the_command_lines() -> None:
    from judge_runtime import planned_fingerprint_key
    from orchestration import Settings, Studio

    key = planned_fingerprint_key(JudgeSpec())
    assert key is not None and key == planned_fingerprint_key(Studio.spec_for(Settings()))
    assert key != planned_fingerprint_key(JudgeSpec(verdict_mode="generate"))


# ---------------------------------------------------------------------- 3. with_outcome, again
def _result(probabilities: dict[str, float]) -> JudgeResult:
    return JudgeResult(ParsedJudgment(verdict="1", status="ok"), "1", 10, 1, 0.1, probabilities=probabilities)


def test_with_outcome_applied_again_starts_from_the_judges_verdict() -> None:
    judged = with_outcome(_result({"1": 0.45, "2": 0.40, "tie": 0.15}), 0.1)
    assert (judged.parsed.status, judged.parsed.verdict, judged.leaning) == ("uncertain", None, "1")
    again = with_outcome(judged, 0.01)
    assert (again.parsed.status, again.parsed.verdict, again.leaning, again.uncertain_margin) == ("ok", "1", None, 0.01)
    back = with_outcome(again, 0.1)
    assert (back.parsed.status, back.parsed.verdict, back.leaning, back.uncertain_margin) == (
        "uncertain",
        None,
        "1",
        0.1,
    )
    assert with_outcome(judged, 0.1) == judged  # the same margin twice: the same result


# ---------------------------------------------------------------------- 4. choice errors, by the choices
def test_a_refused_choice_is_found_by_the_choices_and_logged_not_shown(caplog: pytest.LogCaptureFixture) -> None:
    from ui.pickers import CHOICE_REFUSED, quiet_choice_errors, refused_choice

    quiet_choice_errors()
    boxes: list[Any] = [
        gr.Dropdown(choices=["secret-one", "open"], value="open", elem_id="picker-x"),
        gr.Radio(choices=["secret-one", "open"], value="open"),
        gr.CheckboxGroup(choices=["secret-one", "open"], value=["open"]),
    ]
    for box in boxes:
        given = ["open", "made-up"] if isinstance(box, gr.CheckboxGroup) else "made-up"
        assert refused_choice(box, given)
        with caplog.at_level(logging.WARNING, logger="judge_studio.ui"), pytest.raises(gr.Error) as refused:
            box.preprocess(given)
        assert refused.value.message == CHOICE_REFUSED and "secret" not in str(refused.value)
        logged = caplog.records[-1].getMessage()
        assert type(box).__name__ in logged and "made-up" in logged and "secret-one" in logged  # for the admin
        valid = ["open"] if isinstance(box, gr.CheckboxGroup) else "open"
        assert not refused_choice(box, valid) and box.preprocess(valid) == valid
    assert "picker-x" in caplog.records[0].getMessage()
    custom = gr.Dropdown(choices=["open"], allow_custom_value=True)
    assert custom.preprocess("anything") == "anything" and boxes[0].preprocess(None) is None


# ---------------------------------------------------------------------- 8. the kept run's words
def test_a_new_run_kept_for_another_call_says_so(db_path: Path) -> None:
    from test_s14_remotefix import FakeServer, _judge

    from annotation_store import DEMO_DATASET_NAME
    from judge_runtime import RemoteJudgeError
    from orchestration import Settings, Studio
    from orchestration.service import run_kept_text

    server = FakeServer("500")  # every judgment fails: the run holds no verdict
    try:
        judge = _judge(server)
        studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
        failing = judge.judge_many
        other: list[int] = []

        def judge_many(*args: Any, **kwargs: Any) -> Any:
            ensure = partial(studio.store.ensure_judge_run, judge.fingerprint_key, judge.fingerprint)
            other.append(studio.activity.claim_run(ensure))  # another call finds the run this call made
            return failing(*args, **kwargs)

        judge.judge_many = judge_many  # type: ignore[method-assign]
        with pytest.raises(RemoteJudgeError) as failed:
            studio.judge_dataset(DEMO_DATASET_NAME, limit=2)
        said = str(failed.value)
        assert f"judge run {other[0]} is kept: another judging is adding to it." in said, said
        assert "held before" not in said
        studio.activity.release_run(other[0])
        judge.judge_many = failing  # type: ignore[method-assign]
        with pytest.raises(RemoteJudgeError) as again:  # the run is there from before now
            studio.judge_dataset(DEMO_DATASET_NAME, limit=2)
        assert run_kept_text(other[0], DEMO_DATASET_NAME) in str(again.value)
        assert "with the verdicts it held before" in run_kept_text(other[0], DEMO_DATASET_NAME)
        studio.store.close()
    finally:
        server.close()
