"""Session 14, judgeeng findings 1, 5, 6, 11: a Jinja-style ``{{ instruction }}`` is refused, a prompt without
``{instruction}`` or with one-letter markers is saved with a warning, ``prompts add`` names a prompt after its
file, and ``report --format text`` has no Markdown emphasis marks."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from cli import main
from errors import InvalidInput
from judge_runtime.custom import CustomPrompt, VerdictRule, prompt_warnings, validate
from judge_runtime.profiles import PairCase

CAREFUL = "[Question]\n{instruction}\n\n[Answer A]\n{response1}\n\n[Answer B]\n{response2}\n\nVerdict: [[A]] or [[B]]."


@pytest.mark.parametrize("written", ["{{ instruction }}", "{{instruction}}", "{{  instruction}}"])
def test_a_jinja_placeholder_is_refused_with_its_line(written: str) -> None:
    prompt = CustomPrompt("p-jinja", CAREFUL.replace("{instruction}", written))
    with pytest.raises(InvalidInput) as refused:
        validate(prompt)
    said = str(refused.value)
    assert said.startswith(f"Line 2 of the template: `{written}` is a literal brace pair in this format")
    assert "write `{instruction}` to insert the instruction" in said


def test_jinja_in_the_system_prompt_and_other_placeholders_are_refused_too() -> None:
    with pytest.raises(InvalidInput, match=r"Line 1 of the system prompt: `\{\{ rubric \}\}`"):
        validate(CustomPrompt("p", CAREFUL, system="{{ rubric }}"))
    with pytest.raises(InvalidInput, match=r"Line 5 of the template: `\{\{response1\}\}`"):
        validate(CustomPrompt("p", CAREFUL.replace("{response1}", "{{response1}} {response1}")))


def test_braces_around_a_placeholder_and_json_examples_stay_allowed() -> None:
    around = CustomPrompt("p", CAREFUL.replace("{instruction}", "{{{instruction}}}") + ' Answer {{"v": "A"}}.')
    validate(around)
    from judge_runtime.custom import CustomProfile

    shown = CustomProfile(around).build_prompt(PairCase("What is the capital?", "Paris", "Berlin"))
    assert shown.messages is not None and "{What is the capital?}" in shown.messages[0]["content"]


def test_a_template_without_the_instruction_warns() -> None:
    prompt = CustomPrompt("p", "A: {response1}\nB: {response2}\n[[A]] or [[B]]")
    validate(prompt)  # allowed: a reference-free style comparison may mean it
    assert prompt_warnings(prompt) == [
        "The template never shows the judge {instruction}: every verdict of this prompt is made without the "
        "task. Add {instruction} unless that is what you want."
    ]
    assert prompt_warnings(CustomPrompt("p", CAREFUL)) == []


def test_one_letter_markers_warn() -> None:
    rule = VerdictRule("markers", (("A", "1"), ("B", "2")))
    (note,) = prompt_warnings(CustomPrompt("p", CAREFUL, rule=rule))
    assert note.startswith("The verdict rule has a marker of one character ('A', 'B'): a marker of one letter")


def _cli(home: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(home))
    try:
        main(list(args))
    except SystemExit as stop:
        if isinstance(stop.code, str):  # the one "judge-studio: ..." line, printed by Python at exit
            print(stop.code, file=sys.stderr)
            return 1
        return int(stop.code or 0)
    return 0


def test_prompts_add_names_a_prompt_after_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text(CAREFUL, encoding="utf-8")
    careful = tmp_path / "careful.json"  # the README's example: no "name" field
    careful.write_text(json.dumps({"template": CAREFUL + "\nBe careful."}), encoding="utf-8")
    assert _cli(tmp_path, monkeypatch, "prompts", "add", "--file", str(plain), "--test-output", "x [[A]]") == 0
    assert capsys.readouterr().out.startswith("Saved plain version 1: hash ")
    assert _cli(tmp_path, monkeypatch, "prompts", "add", "--file", str(careful)) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("Saved careful version 1: hash ")
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert sorted(db.execute("SELECT name FROM judge_prompts")) == [("careful",), ("plain",)]


def test_prompts_add_refuses_jinja_and_prints_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    jinja = tmp_path / "jinja.txt"
    jinja.write_text(CAREFUL.replace("{instruction}", "{{ instruction }}"), encoding="utf-8")
    assert _cli(tmp_path, monkeypatch, "prompts", "add", "--file", str(jinja)) != 0
    assert "Line 2 of the template: `{{ instruction }}` is a literal brace pair" in capsys.readouterr().err
    bare = tmp_path / "bare.txt"
    bare.write_text("A: {response1}\nB: {response2}", encoding="utf-8")
    assert _cli(tmp_path, monkeypatch, "prompts", "add", "--file", str(bare)) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Saved bare version 1")
    assert "judge-studio: warning: The template never shows the judge {instruction}" in out.err
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert list(db.execute("SELECT name FROM judge_prompts")) == [("bare",)]


# ------------------------------------------------------------------------------------------ report --format text


def _card() -> dict[str, object]:
    import pandas as pd

    from analysis import build_report, judge_report_card, report_dict
    from analysis.report import JudgeRun, ReportInputs, ReportOptions

    ids = list(range(1, 9))
    names = ("ckpt_a_", "**b**")
    texts = pd.DataFrame(
        {
            "id": ids,
            "prompt": [f"p{c}" for c in ids],
            "category": "c",
            "model1": names[0],
            "model2": names[1],
            "response1": "x",
            "response2": "y",
        }
    )
    said = ["1", "2", "1", "1", "2", "1", "tie", "1"]
    labels = pd.DataFrame(
        [(c, "person", v, pd.Timestamp("2026-01-01"), *names) for c, v in zip(ids, said, strict=True)],
        columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"],
    )
    verdicts = pd.DataFrame(
        [
            (7, c, False, v, "ok", float("nan"), float("nan"), float("nan"))
            for c, v in zip(ids, said[::-1], strict=True)
        ],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"],
    )
    run = JudgeRun(7, "judge_x_", "pandalm", "k", {})
    report = report_dict(
        build_report(ReportInputs("my_set_", texts, labels, verdicts, [run]), ReportOptions(n_bootstrap=0))
    )
    return judge_report_card(report)


def test_the_text_card_has_no_markdown_emphasis_but_keeps_names_whole() -> None:
    from ui.card_document import card_markdown, card_text

    card = _card()
    markdown, text = card_markdown(card), card_text(card)
    assert "**Answer: " in markdown and "**" in markdown.replace("\\*", "")
    assert "\nAnswer: " in text or text.startswith("Answer: ") or " Answer: " in text
    assert "**Answer" not in text and "**Can this judge" not in text
    for line in text.splitlines():
        assert not (line.startswith("_") and line.rstrip(".").endswith("_")), line  # a whole line in italics
    assert "judge_x_" in text and "\n**b**  0.312" in text  # a name's own marks stay
    assert "\x02" not in text and "\x03" not in text


# ------------------------------------------------------------------------------------------ parsers


def test_prometheus_relative_takes_no_full_stop_after_the_label_as_upstream() -> None:
    from judge_runtime import get_profile

    profile = get_profile("prometheus2-relative")
    assert profile.parse("Feedback: A is right. [RESULT] A").verdict == "1"
    assert profile.parse("Feedback: B is right. [RESULT] (B)").verdict == "2"
    stopped = profile.parse("Feedback: A is right. [RESULT] A.")
    assert stopped.status == "unparsed" and stopped.verdict is None


def test_mtbench_pair_keeps_what_follows_the_deciding_marker_in_the_reason() -> None:
    from judge_runtime import get_profile

    profile = get_profile("mtbench-pair")
    parsed = profile.parse("[[B]] then [[Tie]]")
    assert parsed.verdict == "2" and parsed.reason == "then [[Tie]]"
    assert profile.parse("B is better. [[B]].").reason == "B is better."


def test_peoples_position_preference_says_why_it_differs_from_the_share_of_response_one() -> None:
    from analysis.report_text import NO_POSITION_LABELS

    assert "not response 1 or 2 of the dataset" in NO_POSITION_LABELS  # the judge block's share is of response 1


# ------------------------------------------------------------------------------------------ empty responses


def test_comparisons_with_an_empty_response_are_counted_and_said() -> None:
    import pandas as pd

    from analysis.report import empty_responses
    from analysis.report_text import empty_responses_text

    texts = pd.DataFrame(
        {
            "model1": ["ckpt-a", "ckpt-a", "ckpt-a", "ckpt-a"],
            "model2": ["ckpt-b", "ckpt-b", "ckpt-b", "ckpt-b"],
            "response1": ["", "", "   ", "Paris."],
            "response2": ["Blue.", "", "Poodle.", "Paris."],
        }
    )
    texts = texts.assign(id=[1, 2, 3, 4])
    refused = pd.DataFrame({"run_id": 5, "comparison_id": [1, 2, 3, 4], "status": ["error"] * 3 + ["ok"]})
    counts = {"empty_responses": empty_responses(texts, refused)}
    assert counts["empty_responses"] == {
        "n": 3,
        "by_model": {"ckpt-a": 3, "ckpt-b": 1},
        "by_rule": {},
        "left_out": {"5": 3},
        "n_left_out": 3,
    }
    assert empty_responses_text(counts) == (
        "3 comparisons left out of the judge's figures: a response was empty (ckpt-a: 3, ckpt-b: 1); the judge "
        "refused them (run 5: 3), so an empty answer is counted as no loss there"
    )
    # s15: a run that judged them (an imported one) left nothing out, so nothing is said
    assert empty_responses_text({"empty_responses": empty_responses(texts)}) == ""
    assert empty_responses_text({"empty_responses": {"n": 0, "by_model": {}}}) == ""


def test_the_report_text_json_and_card_say_how_many_comparisons_an_empty_response_left_out() -> None:
    import pandas as pd

    from analysis import build_report, judge_report_card, report_dict
    from analysis.report import JudgeRun, ReportInputs, ReportOptions
    from analysis.report_text import format_report
    from ui.card_document import card_markdown, card_text

    ids = [1, 2, 3]
    texts = pd.DataFrame(
        {
            "id": ids,
            "prompt": ["p1", "p2", "p3"],
            "category": "c",
            "model1": "ckpt_a",
            "model2": "ckpt-b",
            "response1": ["", "x", "y"],
            "response2": ["z", "x", "w"],
        }
    )
    labels = pd.DataFrame(
        [(c, "person", "1", pd.Timestamp("2026-01-01"), "ckpt_a", "ckpt-b") for c in ids],
        columns=["comparison_id", "annotator", "verdict", "updated_at", "model1", "model2"],
    )
    verdicts = pd.DataFrame(
        [(7, 1, False, None, "error", *[float("nan")] * 3), (7, 2, False, "1", "ok", *[float("nan")] * 3)],
        columns=["run_id", "comparison_id", "swapped", "verdict", "status", "p_1", "p_2", "p_tie"],
    )
    inputs = ReportInputs("edge", texts, labels, verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))
    said = "1 comparison left out of the judge's figures: a response was empty (ckpt_a: 1)"
    assert report["counts"]["empty_responses"] == {
        "n": 1,
        "by_model": {"ckpt_a": 1},
        "by_rule": {},
        "left_out": {"7": 1},
        "n_left_out": 1,
    }
    assert said in format_report(report)
    card = judge_report_card(report)
    assert said in card_text(card)
    assert "1 comparison left out of the judge's figures: a response was empty (ckpt\\_a: 1)" in card_markdown(card)
