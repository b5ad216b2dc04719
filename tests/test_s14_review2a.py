"""Session 14, review 2 findings 1, 4, 5, 6: a stored version with ``{{ instruction }}`` still loads (with a
warning) while a new one is refused, the refusal also sees Jinja's ``-``, ``|filter`` and any case, the empty-response
line says whose figures leave the comparisons out, and ``metrics`` prints no terminal control codes of a name."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from cli import main
from errors import InvalidInput
from judge_runtime.custom import CustomPrompt, stored_prompt_warnings, validate
from judge_runtime.profiles import get_profile
from orchestration.prompts import prompt_version, save_prompt
from orchestration.service import Studio
from settings import Settings

CAREFUL = "[Question]\n{instruction}\n\n[Answer A]\n{response1}\n\n[Answer B]\n{response2}\n\nVerdict: [[A]] or [[B]]."


def _store_unchecked(studio: Studio, prompt: CustomPrompt) -> str:
    """Save ``prompt`` as a version the way a release before s14 could (no check of ``{{ name }}``)."""
    view = studio.store.save_prompt_version(prompt_version(prompt, None))
    assert view.short_id == prompt.short_id
    return prompt.profile_name


def test_a_stored_version_with_jinja_braces_loads_with_a_warning_and_a_new_one_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = CustomPrompt("old-jinja", CAREFUL.replace("{instruction}", "{{ instruction }}"))
    studio = Studio.open(Settings(home=tmp_path))
    try:
        profile = _store_unchecked(studio, old)
        with pytest.raises(InvalidInput, match=r"Line 2 of the template: `\{\{ instruction \}\}` is a literal"):
            save_prompt(studio.store, CustomPrompt("new-jinja", old.template))
        assert [v.name for v in studio.store.prompt_versions()] == ["old-jinja"]
    finally:
        studio.store.close()
    with caplog.at_level(logging.WARNING):
        serving = Studio.open(Settings(home=tmp_path, judge_profile=profile))  # raised InvalidInput before
    try:
        assert get_profile(profile).name == profile
        said = (
            f"Prompt 'old-jinja' (version {old.short_id}) writes `{{{{ instruction }}}}`, which the judge reads as "
            "`{ instruction }`; save a corrected version and judge with it."
        )
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING].count(said) == 1
    finally:
        serving.store.close()


@pytest.mark.parametrize(
    "written",
    ["{{- instruction -}}", "{{ instruction|trim }}", "{{ Instruction }}", "{{instruction | upper}}", "{{-INPUT}}"],
)
def test_jinja_whitespace_control_filters_and_case_are_refused(written: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate(CustomPrompt("p", CAREFUL.replace("{instruction}", "{instruction} " + written)))
    said = str(refused.value)
    assert said.startswith(f"Line 2 of the template: `{written}` is a literal brace pair in this format")
    name = "input" if "INPUT" in written else "instruction"
    assert f"write `{{{name}}}` to insert the {name}" in said


@pytest.mark.parametrize("written", ["{{ reference }}", "{{- rubric|trim -}}", "{{ Input }}"])
def test_optional_placeholders_written_jinja_style_are_refused_and_warned_when_stored(written: str) -> None:
    prompt = CustomPrompt("p", CAREFUL + "\n" + written)
    with pytest.raises(InvalidInput, match="is a literal brace pair"):
        validate(prompt)
    validate(prompt, stored=True)  # a stored version still loads
    (note,) = stored_prompt_warnings(prompt)
    assert f"writes `{written}`, which the judge reads as `{written[1:-1]}`" in note


def test_triple_braces_and_json_examples_stay_allowed() -> None:
    validate(CustomPrompt("p", CAREFUL.replace("{instruction}", "{{{instruction}}}") + ' Answer {{"v": "A"}}.'))
    validate(CustomPrompt("p", CAREFUL + ' Reply {{"instruction-following": 1, "trim": "x|y"}}'))


def test_metrics_text_prints_no_terminal_codes_of_a_model_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    import orchestration.metrics
    from analysis import build_report, report_dict
    from analysis.report import JudgeRun, ReportInputs, ReportOptions

    red = "m\x1b[31mred"
    ids = [1, 2, 3]
    texts = pd.DataFrame(
        {
            "id": ids,
            "prompt": ["p1", "p2", "p3"],
            "category": "c",
            "model1": red,
            "model2": "plain",
            "response1": ["", "x", "y"],
            "response2": ["z", "x", "w"],
        }
    )
    labels = pd.DataFrame(
        [(c, "person", "1", pd.Timestamp("2026-01-01"), red, "plain") for c in ids],
        columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"],
    )
    verdicts = pd.DataFrame(
        [(7, 1, False, None, "error", *[float("nan")] * 3), (7, 2, False, "1", "ok", *[float("nan")] * 3)],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"],
    )
    inputs = ReportInputs("edge", texts, labels, verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))
    monkeypatch.setattr(orchestration.metrics, "metrics_report", lambda *a, **k: report)
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(tmp_path))
    try:
        main(["metrics", "--dataset", "edge"])
    except SystemExit as stop:
        print(stop.code, file=sys.stderr)
        raise
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "1 comparison left out of the judge's figures: a response was empty (m[31mred: 1)" in out
    assert "\n  " in out  # indented lines keep their indent
