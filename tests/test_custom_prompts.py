"""Your own judge prompt (issue 11 item 2) and judge versions in the report (issue 12 item 6).

Template and rule checks say what is wrong; the hash is stable and names a version; every save is a new
version kept in a real SQLite file; the CLI round-trips a prompt; a judge run with a custom prompt (the
real demo judge, marker ``model``) is stored under its own fingerprint; ``metrics --json`` gives agreement
per judge version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import format_report
from annotation_store import open_store
from errors import Conflict, InvalidInput, NotFound
from judge_runtime import CustomPrompt, JudgeResult, PairCase, VerdictRule, get_profile
from judge_runtime.custom import prompt_from_dict, register_custom, validate
from judge_runtime.loading import prompt_template_hash
from orchestration.metrics import metrics_report
from orchestration.prompts import prompt_from_file, prompt_of, resolve_prompt, save_prompt, use_prompt
from orchestration.service import to_new_verdict

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = (
    "Question: {instruction}\n{input}\n\nAnswer A:\n{response1}\n\nAnswer B:\n{response2}\n\n"
    "Which answer is better? End with [[A]], [[B]] or [[C]] for a tie."
)
PROMPT = CustomPrompt("careful", TEMPLATE, system="You are a careful judge.")


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )


# ------------------------------------------------------------------------------------------ the prompt


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{instruction} {response1} {answer} {response2}", "unknown placeholder {answer}"),
        ("{instruction} {response1}", "never shows the judge {response2}"),
        ("{instruction} {response1} {response2", "cannot render: expected '}' before end of string"),
        ('Reply as {"verdict": 1} {response1} {response2}', 'has {"verdict": 1}, which is not a placeholder'),
        ("{response1} } {response2}", "cannot render: Single '}' encountered"),
        ("{} {response1} {response2}", "empty placeholder {}"),
        ("{response1!r} {response2}", "has a format or conversion"),
        ("   ", "The template is empty"),
    ],
)
def test_a_template_that_cannot_render_is_refused_with_what_is_wrong(template: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        validate(CustomPrompt("p", template))


def test_a_rule_that_finds_nothing_in_the_test_output_is_refused() -> None:
    validate(PROMPT, "Answer B explains the idea. [[B]]")  # reads
    with pytest.raises(InvalidInput, match=r"finds no verdict in the test output .*'\[\[A\]\]'.*'B is better\.'"):
        validate(PROMPT, "B is better.")
    regex = CustomPrompt("r", TEMPLATE, rule=VerdictRule("regex", (), r"Verdict: (?P<verdict>A|B|tie)", (("A", "1"),)))
    with pytest.raises(InvalidInput, match="finds no verdict"):
        validate(regex, "Verdict: B")  # matches, but B is not in the rule's values: no verdict, never a guess
    with pytest.raises(InvalidInput, match=r"needs a named group \(\?P<verdict>"):
        validate(CustomPrompt("r", TEMPLATE, rule=VerdictRule("regex", (), r"\[\[(A|B)\]\]")))
    with pytest.raises(InvalidInput, match="does not compile"):
        validate(CustomPrompt("r", TEMPLATE, rule=VerdictRule("regex", (), r"(?P<verdict>[A")))
    with pytest.raises(InvalidInput, match="a pair verdict is 1, 2 or tie"):
        validate(CustomPrompt("m", TEMPLATE, rule=VerdictRule("markers", (("[[A]]", "first"),))))
    with pytest.raises(InvalidInput, match="Prompt name"):
        validate(CustomPrompt("has space", TEMPLATE))


def test_strict_parsing_takes_the_last_marker_and_never_guesses() -> None:
    profile = get_profile(register_custom(PROMPT))
    assert profile.parse("Unlike [[A]] quoted above, the final answer: [[B]]").verdict == "2"
    assert profile.parse("Both fine. [[C]]").verdict == "tie"
    unparsed = profile.parse("A is better")
    assert (unparsed.status, unparsed.verdict) == ("unparsed", None)
    assert profile.parse("A is bet", truncated=True).status == "truncated"
    arena = CustomPrompt(
        "arena", TEMPLATE, rule=VerdictRule("markers", (("[[A>B]]", "1"), ("[[A>>B]]", "1"), ("[[B>A]]", "2")))
    )
    assert get_profile(register_custom(arena)).parse("[[B>A]] at first, but [[A>>B]]").verdict == "1"
    regex = CustomPrompt(
        "regex", TEMPLATE, rule=VerdictRule("regex", (), r"Winner: (?P<verdict>\w+)", (("A", "1"), ("B", "2")))
    )
    parsed = get_profile(register_custom(regex)).parse("Winner: A ... on reflection Winner: nobody")
    assert parsed.status == "unparsed"  # the LAST match is not in the vocabulary: no fall back to "A"


def test_rendering_fills_every_placeholder_and_uses_chat_messages() -> None:
    prompt = CustomPrompt("r", "{instruction}|{input}|{response1}|{response2}|{reference}|{rubric}", rubric="R")
    rendered = get_profile(register_custom(prompt)).build_prompt(PairCase("Q", "one", "two", input="I"))
    assert rendered.messages == ({"role": "user", "content": "Q|I|one|two||R"},)
    plain = CustomPrompt("plain", "{response1} vs {response2}", chat=False)
    assert get_profile(register_custom(plain)).build_prompt(PairCase("Q", "a", "b")).text == "a vs b"
    with pytest.raises(InvalidInput, match="system prompt needs chat mode"):
        validate(CustomPrompt("x", "{response1}{response2}", system="S", chat=False))


def test_the_hash_is_stable_and_changes_with_what_the_judge_sees() -> None:
    # sha256 of the canonical JSON (sorted keys, no spaces, UTF-8): the same on every machine and run
    assert PROMPT.hash == CustomPrompt("careful", TEMPLATE, system="You are a careful judge.").hash
    canonical = {
        "template": TEMPLATE,
        "system": "You are a careful judge.",
        "rule": {
            "kind": "markers",
            "markers": {"[[A]]": "1", "[[B]]": "2", "[[C]]": "tie"},
            "score_range": [1.0, 10.0],
        },
        "kind": "pair",
        "chat": True,
        "rubric": "",
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert PROMPT.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert PROMPT.hash == "4a9dd7b6814a6009427e2db939b50d776f95dda07bab31cbbcf0ad8839436856"  # pinned: never drifts
    assert CustomPrompt("renamed", TEMPLATE, system="You are a careful judge.").hash == PROMPT.hash
    assert PROMPT.short_id == PROMPT.hash[:12] and PROMPT.profile_name == f"custom:careful@{PROMPT.short_id}"
    edits = [
        CustomPrompt("careful", TEMPLATE + " "),
        CustomPrompt("careful", TEMPLATE, system="Be careful."),
        CustomPrompt("careful", TEMPLATE, system=PROMPT.system, rule=VerdictRule("markers", (("[[A]]", "1"),))),
    ]
    assert len({PROMPT.hash, *(e.hash for e in edits)}) == 4
    # the fingerprint's prompt-template hash differs between versions too (the template text is rendered)
    assert prompt_template_hash(get_profile(register_custom(PROMPT))) != prompt_template_hash(
        get_profile(register_custom(edits[0]))
    )


def test_a_json_prompt_file_round_trips(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text(json.dumps(PROMPT.as_dict()), encoding="utf-8")
    assert prompt_from_file(file) == PROMPT
    text = tmp_path / "plain.txt"
    text.write_text(TEMPLATE, encoding="utf-8")
    assert prompt_from_file(text, name="t").template == TEMPLATE
    with pytest.raises(InvalidInput, match="unknown field"):
        prompt_from_dict({"template": TEMPLATE, "verdicts": {}}, name="x")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"broken.json: not valid JSON \(line 1"):
        prompt_from_file(tmp_path / "broken.json")


# ------------------------------------------------------------------------------------------ the store


def test_each_save_is_a_new_version_kept_forever(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = open_store(path)
    first = save_prompt(store, PROMPT, created_by="admin")
    again = save_prompt(store, PROMPT)
    second = save_prompt(store, CustomPrompt("careful", TEMPLATE + "\nThink first."))
    assert (first.version, first.created, again.version, again.created) == (1, True, 1, False)
    assert (second.version, second.hash) == (2, CustomPrompt("careful", TEMPLATE + "\nThink first.").hash)
    with pytest.raises(Conflict, match="already saved as 'careful' version 1"):
        save_prompt(store, CustomPrompt("other", TEMPLATE, system=PROMPT.system))
    assert resolve_prompt(store, "careful").template.endswith("Think first.")  # the latest
    assert resolve_prompt(store, f"careful@{first.short_id}") == PROMPT
    assert prompt_of(store.prompt_version("careful", first.hash[:8])).hash == first.hash
    with pytest.raises(NotFound, match="no saved judge prompt 'nope'. Saved prompts: careful"):
        resolve_prompt(store, "nope")
    with pytest.raises(InvalidInput, match="not a prompt hash"):
        resolve_prompt(store, "careful@xyz")
    assert use_prompt(store, "careful").startswith("custom:careful@")
    store.close()
    with sqlite3.connect(path) as db:  # both versions are rows, the first unchanged
        rows = db.execute("SELECT name, version, hash, created_by, template FROM judge_prompts ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("careful", 1, first.hash, "admin"),
        ("careful", 2, second.hash, None),
    ]
    assert rows[0][4] == TEMPLATE


def test_cli_add_list_show_round_trip_on_a_sqlite_file(tmp_path: Path) -> None:
    file = tmp_path / "careful.json"
    file.write_text(json.dumps({k: v for k, v in PROMPT.as_dict().items() if k != "name"}), encoding="utf-8")
    added = _run(tmp_path, "prompts", "add", "--name", "careful", "--file", str(file), "--test-output", "so [[B]]")
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == (
        f"Saved careful version 1: hash {PROMPT.short_id}; judge with --prompt careful@{PROMPT.short_id}"
    )
    refused = _run(tmp_path, "prompts", "add", "--name", "careful", "--file", str(file), "--test-output", "B wins")
    assert refused.returncode == 1 and "finds no verdict in the test output" in refused.stderr
    assert "Traceback" not in refused.stderr
    listed = _run(tmp_path, "prompts", "list")
    assert listed.stdout.startswith(f"careful@{PROMPT.short_id}  version 1  pair  ")
    shown = json.loads(_run(tmp_path, "prompts", "show", f"careful@{PROMPT.short_id[:6]}").stdout)
    assert shown["hash"] == PROMPT.hash and shown["template"] == TEMPLATE and shown["version"] == 1
    missing = _run(tmp_path, "prompts", "show", "nope")
    assert missing.returncode == 1 and "no saved judge prompt 'nope'" in missing.stderr
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM judge_prompts").fetchone() == (1,)


def test_profile_and_prompt_are_not_both_taken(tmp_path: Path) -> None:
    both = _run(tmp_path, "judge", "--judge-profile", "pandalm", "--prompt", "careful")
    assert both.returncode == 1 and "give --judge-profile or --prompt/--prompt-file, not both" in both.stderr
    unknown = _run(tmp_path, "judge", "--prompt", "careful")
    assert unknown.returncode == 1 and "no saved judge prompt 'careful'" in unknown.stderr


# ------------------------------------------------------------------------------------------ judge runs


@pytest.mark.model
def test_a_judge_run_with_a_custom_prompt_is_stored_under_its_own_fingerprint(tmp_path: Path) -> None:
    file = tmp_path / "p.json"
    file.write_text(json.dumps(PROMPT.as_dict()), encoding="utf-8")
    builtin = _run(tmp_path, "judge", "--limit", "1", "--max-new-tokens", "16")
    assert builtin.returncode == 0, builtin.stderr
    custom = _run(tmp_path, "judge", "--prompt-file", str(file), "--limit", "2", "--max-new-tokens", "24")
    assert custom.returncode == 0, custom.stderr
    assert f"profile custom:careful@{PROMPT.short_id}" in custom.stderr
    by_name = _run(tmp_path, "judge", "--prompt", "careful", "--limit", "3", "--max-new-tokens", "24")
    assert by_name.returncode == 0, by_name.stderr
    assert "skipped 2 already judged with this judge" in by_name.stdout  # the same version: the same run
    with sqlite3.connect(tmp_path / "judge-studio.sqlite3") as db:
        runs = db.execute("SELECT id, profile, fingerprint FROM judge_runs ORDER BY id").fetchall()
        counts = dict(db.execute("SELECT run_id, count(*) FROM judge_verdicts GROUP BY run_id").fetchall())
        saved = db.execute("SELECT name, version, hash FROM judge_prompts").fetchall()
    assert [r[1] for r in runs] == ["pandalm", PROMPT.profile_name]
    fingerprint = json.loads(runs[1][2])
    assert fingerprint["profile"] == PROMPT.profile_name and fingerprint["verdict_mode"] == "generate"
    assert fingerprint["prompt_template_hash"] != json.loads(runs[0][2])["prompt_template_hash"]
    assert counts == {runs[0][0]: 1, runs[1][0]: 5}  # 2, then 3 more
    assert saved == [("careful", 1, PROMPT.hash)]  # --prompt-file kept it as a version


def test_metrics_json_gives_agreement_per_judge_version(db_path: Path) -> None:
    """Two versions of one prompt (as their runs store them) and a built-in profile: grouped by profile and
    prompt-template hash, each version's agreement with people, and the change between versions."""
    store = open_store(db_path)
    v1, v2 = PROMPT, CustomPrompt("careful", TEMPLATE + "\nThink step by step.", system=PROMPT.system)
    ids = [int(i) for i in store.comparison_table("judge-studio-demo")["id"]][:4]
    truth = ["1", "2", "1", "tie"]
    for comparison_id, verdict in zip(ids, truth, strict=True):
        store.save_label(comparison_id, "ann", verdict)
    outputs = {  # what each version's judge wrote; the real profile reads them
        v1: ["[[A]]", "[[A]]", "[[B]]", "no verdict"],
        v2: ["[[A]]", "[[B]]", "[[A]]", "[[C]]"],
    }
    run_ids = {}
    for prompt, texts in outputs.items():
        profile = get_profile(register_custom(prompt))
        fingerprint = {
            "model": "demo",
            "profile": profile.name,
            "prompt_template_hash": prompt_template_hash(profile),
        }
        run_ids[prompt] = store.ensure_judge_run(profile.name, fingerprint)
        for comparison_id, text in zip(ids, texts, strict=True):
            result = JudgeResult(profile.parse(text), text, 0, 0, 0.0)
            store.save_verdict(run_ids[prompt], to_new_verdict(comparison_id, result))
    report = metrics_report(store, "judge-studio-demo")
    store.close()
    section = report["judge_versions"]
    versions = {v["version"]: v for v in section["versions"]}
    first, second = versions[f"custom:careful@{v1.short_id} on demo"], versions[f"custom:careful@{v2.short_id} on demo"]
    assert first["custom"] and first["family"] == "careful" and first["prompt_template_hash"]
    assert first["against_majority"]["n"] == 3 and first["against_majority"]["accuracy"] == pytest.approx(1 / 3)
    assert second["against_majority"]["n"] == 4 and second["against_majority"]["accuracy"] == pytest.approx(1.0)
    # the change reads the headline accuracy (no verdict counts as wrong: 1/4 -> 4/4), as the table shows (s16)
    assert first["headline"] == {"n": 4, "correct": 1, "accuracy": 0.25}
    assert second["accuracy_change_from_previous"] == pytest.approx(0.75)
    assert [r["run_id"] for r in second["runs"]] == [run_ids[v2]]
    judged = {j["run_id"]: j["against_majority"]["accuracy"] for j in report["judges"]}
    assert judged[run_ids[v1]] == pytest.approx(first["against_majority"]["accuracy"])  # one run: its own figures
    text = format_report(report)
    assert f"custom:careful@{v2.short_id} on demo: accuracy 1.000" in text
    assert "+0.750 from the previous version" in text


# ------------------------------------------------------------------------------------------ the pages


def _no_judge(_spec: object) -> object:
    raise AssertionError("the judge must not be loaded")


def test_admin_page_saves_versions_and_refuses_bad_prompts(db_path: Path) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from orchestration import Settings, Studio
    from ui import build_ui
    from ui.case_sections import prompt_choices

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    studio.store.create_annotator("ada", role="admin", password="correct horse battery")
    studio.store.create_annotator("ann", role="annotator", password="correct horse battery")
    demo = build_ui(studio)
    save = handler(demo, "admin_prompt_save")
    rule = json.dumps(PROMPT.rule.as_dict())
    ada, ann = gr.Request(username="ada"), gr.Request(username="ann")
    first = by_id(save("careful", "pair", PROMPT.system, TEMPLATE, rule, "so [[A]]", ada))
    assert first["admin-prompt-result"].startswith("Saved careful version 1 · hash `" + PROMPT.short_id + "`")
    edited = by_id(save("careful", "pair", PROMPT.system, TEMPLATE + " Be brief.", rule, "", ada))
    assert "version 2" in edited["admin-prompt-result"]
    table = edited["admin-prompt-versions"]
    assert list(table["version"]) == [1, 2] and list(table["by"]) == ["ada", "ada"]
    bad = by_id(save("careful", "pair", "", "{instruction} {response1}", rule, "", ada))
    assert r"never shows the judge \{response2\}" in bad["admin-prompt-result"]  # escaped Markdown
    unread = by_id(save("careful", "pair", "", TEMPLATE, rule, "Answer B wins", ada))
    assert "finds no verdict in the test output" in unread["admin-prompt-result"]
    refused = by_id(save("x", "pair", "", TEMPLATE, rule, "", ann))
    assert "needs the admin role" in refused["admin-prompt-result"]
    loaded = by_id(handler(demo, "admin_prompt_load")(f"careful@{PROMPT.short_id}", ada))
    assert loaded["admin-prompt-template"] == TEMPLATE and loaded["admin-prompt-system"] == PROMPT.system
    assert len(studio.store.prompt_versions("careful")) == 2  # refusals wrote nothing
    # the case study's judge prompt picker offers the server's profile, the other built-in pairwise ones
    # (another prompt format on the same model, no restart; no single-answer one), every saved version
    choices = prompt_choices(studio, "ada")
    values = [value for _label, value in choices]
    assert values[0] == "" and {"mtbench-pair", "arena-hard", "judgelm"} <= set(values)
    assert "pandalm" not in values and "mtbench-single" not in values
    custom = values.index(PROMPT.profile_name)
    assert choices[custom - 1 : custom + 1] == [
        ("careful v2 @" + studio.store.prompt_versions("careful")[-1].short_id, values[custom - 1]),
        (f"careful v1 @{PROMPT.short_id}", PROMPT.profile_name),
    ]


def test_the_dashboard_and_run_picker_show_each_judge_version(db_path: Path) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from orchestration import Settings, Studio
    from ui import build_ui

    store = open_store(db_path)
    ids = [int(i) for i in store.comparison_table("judge-studio-demo")["id"]][:2]
    for comparison_id in ids:
        store.save_label(comparison_id, "ann", "1")
    versions = [PROMPT, CustomPrompt("careful", TEMPLATE + " v2")]
    for prompt, text in zip(versions, ["[[A]]", "[[B]]"], strict=True):
        profile = get_profile(register_custom(prompt))
        fingerprint = {"model": "demo", "profile": profile.name, "prompt_template_hash": prompt_template_hash(profile)}
        run_id = store.ensure_judge_run(profile.name, fingerprint)
        for comparison_id in ids:
            store.save_verdict(run_id, to_new_verdict(comparison_id, JudgeResult(profile.parse(text), text, 0, 0, 0.0)))
    store.close()
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    studio.store.create_annotator("rita", role="reviewer", password="correct horse battery")
    refresh = handler(build_ui(studio), "dashboard")
    summary = by_id(refresh("judge-studio-demo", run_id, gr.Request(username="rita")))["dashboard-summary"]
    assert "**Judge versions**" in summary
    assert f"| custom:careful@{versions[0].short_id} on demo | run 1 | 2 | 1.000 |" in summary
    assert (
        f"| custom:careful@{versions[1].short_id} on demo | run 2 | 2 | 0.000 |" in summary and "| -1.000 |" in summary
    )
    labels = [label for label, _ in studio.judge_run_choices("judge-studio-demo")]
    assert any(f"custom:careful@{versions[1].short_id}" in label for label in labels)
