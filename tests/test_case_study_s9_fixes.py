"""Case study and Review pages (s9 tester "judge", findings 2, 3, 10, 13, 14), through the page handlers
called directly (no server) over a real copy of the seeded SQLite database: a 5 MB response is shown
cut with a note, every stored verdict follows the one uncertain rule, bidi controls show as markers,
the Admin "At most" box starts empty, and a refused judge action is a note, not an error."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import NewVerdict
from interchange.importers import import_table
from orchestration import CaseBrowser, CaseFilter, Settings, Studio
from orchestration.review import JudgeOpinion
from ui.render import code, inline_text, plain_text, quote_block, safe_markdown, terminal_text

PASSWORD = "correct horse battery"
BIG = 5_000_000  # bytes: the README says a response may be megabytes
RLO = "\u202eRLO override\u202c end."
HEBREW = "שלום עולם, \u200fזה טקסט."  # right-to-left letters and a right-to-left mark: shown as they are


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("ann", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _import(studio: Studio, tmp_path: Path, rows: list[dict[str, str]], name: str, model2: str = "B") -> int:
    """Imports ``rows`` (q, a, b) as dataset ``name``; the first comparison's id."""
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    import_table(
        studio.store, path, mapping={"instruction": "q", "response1": "a", "response2": "b"}, model1="A", model2=model2
    )
    return min(i for _label, i in CaseBrowser(studio).comparisons("rita", CaseFilter(dataset=name)).choices)


# ------------------------------------------------------------------ finding 2: a 5 MB response
def test_a_5_mb_response_is_shown_cut_with_a_note_on_both_pages(
    studio: Studio, demo: gr.Blocks, tmp_path: Path
) -> None:
    line = "A long line of the response, with <tags> and `code`.\n"
    huge = line * (BIG // len(line))
    cid = _import(studio, tmp_path, [{"q": "Say a lot.", "a": "short", "b": huge}], "big")
    started = time.perf_counter()
    case = by_id(handler(demo, "show_comparison")(cid, _as("rita")))
    review = by_id(handler(demo, "review_item")(cid, _as("rita")))
    took = time.perf_counter() - started
    for shown in (case["case-response-2"], review["review-response-2"]):
        assert len(shown.encode()) < 130_000, "~100 KB (escaped) goes to the browser, not 5 MB"
        assert shown.rstrip().endswith(
            "_Shown: the first 100 KB of 5.0 MB; the judge and the exports use the whole text._"
        )
        assert "A long line of the response" in shown and "&lt;tags&gt;" in shown  # still escaped
    assert case["case-response-1"] == "short"  # a short response is whole, with no note
    assert took < 2.0, f"showing it took {took:.1f} s"
    assert len(studio.store.get_comparison(cid).response2) == len(huge)  # the store keeps the whole text


def test_a_cut_inside_a_code_block_closes_it_before_the_note() -> None:
    text = "Intro\n```python\n" + "x = 1\n" * 40_000 + "```\n"
    shown = quote_block(text)
    body, note = shown.rsplit("\n\n", 1)
    assert body.rstrip().endswith("```") and body.count("```") == 2 and note.startswith("_Shown: the first 100 KB")


# ------------------------------------------------------------------ finding 3: every stored verdict, one rule
def _run(studio: Studio, model: str) -> int:
    return studio.store.ensure_judge_run(f"key-{model}", {"model": model, "profile": "pandalm"})


def _verdict(studio: Studio, run_id: int, cid: int, verdict: str, p: tuple[float, float, float], **extra: Any) -> None:
    studio.store.save_verdict(
        run_id, NewVerdict(cid, verdict, "ok", raw_output="x", p_1=p[0], p_2=p[1], p_tie=p[2], **extra)
    )


def test_the_stored_verdicts_list_says_uncertain_as_the_header_does(studio: Studio, demo: gr.Blocks) -> None:
    latest = _run(studio, "judge-b")
    _verdict(studio, latest, 2, "2", (0.48, 0.49, 0.03))
    _verdict(studio, latest, 2, "1", (0.80, 0.15, 0.05), swapped=True)
    case = by_id(handler(demo, "show_comparison")(2, _as("rita")))
    assert case["judge-verdict"].startswith("### Uncertain: leaning to Response 2")
    orders = case["judge-orders"]
    assert "**original order**: Uncertain: leaning to Response 2 · p(1) 0.48 · p(2) 0.49" in orders
    assert "Response 2 is better" not in orders
    review = by_id(handler(demo, "review_item")(2, _as("rita")))
    assert "**original order**: Uncertain: leaning to Response 2" in review["review-judge"]


@pytest.mark.skipif(
    "probabilities" not in JudgeOpinion.__dataclass_fields__,
    reason="needs orchestration.review.JudgeOpinion.probabilities (asked of orchestration's owner)",
)
def test_each_stored_run_shows_its_own_probabilities(studio: Studio, demo: gr.Blocks) -> None:
    older, latest = _run(studio, "judge-a"), _run(studio, "judge-b")
    _verdict(studio, older, 2, "1", (0.50, 0.50, 0.00))
    _verdict(studio, older, 2, "1", (0.90, 0.05, 0.05), swapped=True)
    _verdict(studio, latest, 2, "2", (0.10, 0.85, 0.05))
    orders = by_id(handler(demo, "show_comparison")(2, _as("rita")))["judge-orders"]
    older_part, latest_part = orders.split(f"run {latest}")
    assert (
        "**original order**: Uncertain: leaning to Response 1 · p(1) 0.500 · p(2) 0.500" in older_part
    )  # 3 decimals: alike at 2
    assert "**swapped order (response 2 shown first)**: Response 1 is better · p(1) 0.900" in older_part
    assert "**original order**: Response 2 is better · p(1) 0.10 · p(2) 0.85" in latest_part


# ------------------------------------------------------------------ finding 10: bidi controls
def test_bidi_controls_show_as_markers_in_every_web_helper() -> None:
    for shown in (safe_markdown(RLO), quote_block(RLO), inline_text(RLO), code(RLO), plain_text(RLO)):
        assert "\u202e" not in shown and "\u202c" not in shown, shown
        assert "U" in shown and "202E" in shown and "202C" in shown, shown
    assert plain_text(RLO) == "⟨U+202E⟩RLO override⟨U+202C⟩ end."
    assert code("\u2066x\u2069") == "`⟨U+2066⟩x⟨U+2069⟩`"
    assert terminal_text(RLO) == "RLO override end."  # a terminal drops them (and the marks)


def test_right_to_left_text_is_unchanged() -> None:
    for helper in (safe_markdown, quote_block, plain_text):
        assert helper(HEBREW) == HEBREW
    assert inline_text(HEBREW) == "שלום עולם, \u200fזה טקסט\\."  # only Markdown's "." is escaped
    assert code(HEBREW) == f"`{HEBREW}`"


def test_a_reversing_model_name_and_response_show_their_markers_on_the_pages(
    studio: Studio, demo: gr.Blocks, tmp_path: Path
) -> None:
    cid = _import(studio, tmp_path, [{"q": "Hi", "a": "a", "b": RLO}], "hostile", model2="gpt4ipa")
    # Imports refuse a direction control in a name since session 12; a database written before keeps its names,
    # and the pages still show the marker for them.
    with studio.store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE candidate_models SET name = ? WHERE name = 'gpt4ipa'", ("gpt\u202e4ipa",))
    case = by_id(handler(demo, "show_comparison")(cid, _as("rita")))
    assert "⟨U+202E⟩RLO override⟨U+202C⟩ end." in case["case-response-2"]
    assert "`gpt⟨U+202E⟩4ipa`" in case["case-response-2-title"]
    studio.store.save_label(cid, "ann", "1")
    studio.store.save_label(cid, "rita", "2")
    queue = by_id(handler(demo, "review_queue")("hostile", "any", True, _as("rita")))["review-queue"]
    assert list(queue["model 2"]) == ["gpt⟨U+202E⟩4ipa"]


# ------------------------------------------------------------------ finding 13: the Admin "At most" box
def test_the_admin_judge_limit_box_starts_empty(demo: gr.Blocks) -> None:
    boxes = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Number)}
    limit = boxes["admin-judge-limit"]
    assert limit.value is None and "js-empty-number" in (limit.elem_classes or [])


# ------------------------------------------------------------------ finding 14: a refusal is a note
def test_refused_judge_actions_are_notes_not_errors(demo: gr.Blocks) -> None:
    no_pick = [by_id(step) for step in handler(demo, "judge_comparison")(None, None, None, None, _as("rita"))]
    assert no_pick == [{"judge-verdict": "⚠ Pick a comparison first\\."}]
    custom = handler(demo, "judge_custom")
    refused = [
        by_id(step) for step in custom("", "", "", "", None, _as("ann"))
    ]  # an annotator: needs the reviewer role
    assert list(refused[0]) == ["custom-verdict"] and "reviewer role" in refused[0]["custom-verdict"]
    admin = [by_id(step) for step in handler(demo, "admin_judge_run")("no-such-data", None, _as("ada"))]
    note = admin[-1]["admin-judge-result"]
    assert note.startswith("⚠ There is no dataset named 'no\\-such\\-data'"), note
