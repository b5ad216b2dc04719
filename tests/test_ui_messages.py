"""What the pages say when something is wrong or slow (s7 fresh-eyes findings 2, 5 and 7), called in
process through the real page handlers over a copy of the seeded SQLite database:

- a submit without a choice on Grade and Annotate is a note in the feedback line (the other outputs
  untouched, so no error overlay covers the form), with the message as written (no quote marks);
- a bug in any handler shows a generic message and logs the traceback; user errors keep their words;
- "Run judge" while the judge is busy says what it waits for and clears the old output;
- wording: "1 answer", no "version 0" jargon, empty number boxes, the accounts form, the import
  format from the file name, a non-UTF-8 upload, and a gold id too large for the database.
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import StoreError
from orchestration import DEMO_GRADING_SESSION, DEMO_SESSION, Settings, Studio
from ui.answer_page import progress_html
from ui.errors import BUG_MESSAGE, guard_all, guarded, user_message

PASSWORD = "correct horse battery"
MAPPING = "instruction=question, response1=a, response2=b, model1=model_a, model2=model_b"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name, role in (("alice", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _visible(markdown: str) -> str:
    """The text a reader sees of a Markdown message (rendered, tags dropped, entities decoded)."""
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def _sql(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


# ------------------------------------------------------------------ finding 2: a submit without a choice
@pytest.mark.parametrize(
    ("prefix", "next_api", "submit_api", "session", "words"),
    [
        ("grade", "next_response", "submit_rating", DEMO_GRADING_SESSION, "Choose a rating first"),
        ("annotate", "next_item", "submit_label", DEMO_SESSION, "Choose Left, Right or Tie first"),
    ],
)
def test_a_submit_without_a_choice_is_a_note_that_leaves_the_page_as_it_was(
    demo: gr.Blocks, db_path: Path, prefix: str, next_api: str, submit_api: str, session: str, words: str
) -> None:
    alice = _as("alice")
    updates = handler(demo, next_api)(session, alice)
    item = _state_id(updates)
    submit = handler(demo, submit_api)
    after = by_id(submit("submit", session, item, False, 1.0, 0, "key-1", None, 0, False, "", alice))
    assert list(after) == [f"{prefix}-feedback"], "only the feedback line changes: the form stays usable"
    assert after[f"{prefix}-feedback"].startswith(f"⚠ {words}") and '"' not in after[f"{prefix}-feedback"]
    table = "ratings" if prefix == "grade" else "labels"
    assert _sql(db_path, f"SELECT count(*) FROM {table}") == [(0,)]

    nothing = by_id(submit("submit", session, None, False, 0.0, 0, "key-2", "1", 0, False, "", alice))
    assert list(nothing) == [f"{prefix}-feedback"] and "Start / next" in nothing[f"{prefix}-feedback"]


def _states(updates: dict[Any, Any]) -> list[Any]:
    """The page's per-tab states a ``next`` sets, in the order they were made: shown_id, shown_swapped, ..."""
    return [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))]


def _state_id(updates: dict[Any, Any]) -> int:
    """The id of the item a ``next`` puts on screen."""
    return int(_states(updates)[0])


def test_a_gradio_error_message_shows_without_quote_marks() -> None:
    """``str(gr.Error(m))`` is ``repr(m)``: the toast showed "…session's scale…" in quote marks."""
    message = "Choose a rating first (one of the buttons of the session's scale), then submit."
    assert user_message(gr.Error(message)) == message

    @guarded
    def refuse() -> None:
        raise gr.Error(message)

    with pytest.raises(gr.Error) as raised:
        refuse()
    assert raised.value.message == message


# ------------------------------------------------------------------ the error boundary: bugs vs user errors
def test_a_bug_in_any_handler_shows_a_generic_message_and_logs_the_traceback(
    demo: gr.Blocks, caplog: pytest.LogCaptureFixture
) -> None:
    with gr.Blocks() as small:
        out = gr.Markdown()
        gr.Button().click(lambda: {}["probabilities"], outputs=out, api_name="broken")
        gr.Button().click(_user_mistake, outputs=out, api_name="mistake")
    guard_all(small)
    with caplog.at_level(logging.ERROR, logger="judge_studio.ui"), pytest.raises(gr.Error) as raised:
        handler(small, "broken")()
    assert raised.value.message == BUG_MESSAGE and "probabilities" not in raised.value.message
    assert "KeyError: 'probabilities'" in caplog.text  # the traceback is in the server log
    with pytest.raises(StoreError, match="Dataset 'x' has no comparisons"):  # a user's mistake keeps its words
        handler(small, "mistake")()
    unguarded = [f.fn for f in demo.fns.values() if f.fn is not None and not getattr(f.fn, "__bug_boundary__", False)]
    assert unguarded == [], "every handler of the app has the boundary"


def _user_mistake() -> None:
    raise StoreError("Dataset 'x' has no comparisons.")


# ------------------------------------------------------------------ finding 5: "Run judge" while the judge is busy
@pytest.mark.model
def test_run_judge_while_the_judge_is_busy_says_what_it_waits_for(db_path: Path, quick_judge: Any) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: quick_judge)
    studio.store.create_annotator("rita", role="reviewer", password=PASSWORD)
    from ui import build_ui

    demo = build_ui(studio)
    run = handler(demo, "judge_comparison")
    first = run(1, None, None, None, _as("rita"))
    step = by_id(next(first))
    while not step["judge-raw"]:  # comparison #1 is generating: it holds the model
        step = by_id(next(first))
    assert studio.judge_busy() == "comparison #1 (case study)"
    second = run(2, None, None, None, _as("rita"))
    waiting = by_id(next(second))
    assert waiting["judge-raw"] == "", "the previous stored output is cleared"
    said = _visible(waiting["judge-verdict"])
    assert said == "⏳ Waiting for the judge: it is busy with comparison #1 (case study) …"
    first.close()  # the first run stops; the second gets the judge and streams
    steps = [by_id(s) for s in second]
    assert steps[-1]["judge-raw"] and "Waiting" not in steps[-1]["judge-verdict"]
    assert studio.judge_busy() is None

    # a judge run (the first start's background judging is one) is named with how far it got
    run_in_background = threading.Thread(target=studio.judge_dataset, kwargs={"limit": 2}, daemon=True)
    run_in_background.start()
    seen = set()
    while run_in_background.is_alive():
        seen.add(studio.judge_busy())
        time.sleep(0.01)
    assert "judging the dataset judge-studio-demo (0 of 2 done)" in seen


# ------------------------------------------------------------------ finding 7: wording and forms
def test_progress_says_1_answer_and_2_answers() -> None:
    assert "have 1 answer <progress" in progress_html(0, 0, 126, 1)
    assert "have 2 answers <progress" in progress_html(0, 0, 126, 2)


def test_a_two_tab_conflict_is_said_plainly(demo: gr.Blocks, studio: Studio) -> None:
    # nothing is shown after an answer and no gold check comes (its known answer would be): edits stay open
    studio.store.save_session(DEMO_SESSION, "judge-studio-demo", reveal_judge=False, gold_rate=0)
    alice = _as("alice")
    item, swapped = _states(handler(demo, "next_item")(DEMO_SESSION, alice))[:2]
    submit = handler(demo, "submit_label")
    submit("submit", DEMO_SESSION, item, swapped, 1.0, 0, "tab-1", "left", 0, False, "", alice)
    stale = by_id(submit("submit", DEMO_SESSION, item, swapped, 1.0, 0, "tab-2", "right", 0, False, "", alice))
    note = stale["annotate-feedback"]
    assert "changed elsewhere" in note and "another tab" in note and "Nothing was saved" in note
    # plain words, no field names; the version stored now is said since s15 (expert finding 1: the page shows it)
    assert "expected" not in note and "it is version 1 now" in note


def test_the_number_boxes_start_empty(demo: gr.Blocks) -> None:
    boxes = {b.elem_id: b for b in demo.blocks.values() if isinstance(b, gr.Number)}
    ids = ("review-id", "admin-gold-id", "admin-gold-rating-id", "admin-gold-rating-low", "admin-gold-rating-high")
    for elem_id in ids:
        assert boxes[elem_id].value is None and boxes[elem_id].placeholder, elem_id  # empty, with a hint (not 0)


def test_the_accounts_form_clears_the_name_and_an_error_replaces_the_last_result(demo: gr.Blocks) -> None:
    add = handler(demo, "admin_add_account")
    added = by_id(add("carol", PASSWORD, "annotator", "crowd", _as("ada")))
    assert "Added `carol`" in added["admin-accounts-result"]
    assert added["admin-new-name"] == "" and added["admin-new-password"] == ""
    again = by_id(add("carol", PASSWORD, "annotator", "crowd", _as("ada")))
    assert list(again) == ["admin-accounts-result"] and again["admin-accounts-result"].startswith("⚠ ")
    assert "Added" not in again["admin-accounts-result"]


def _upload(folder: Path, name: str, data: bytes) -> str:
    """A file where Gradio puts an upload: its own folder (named by a hash) in the upload folder."""
    path = folder / "3ca7657c" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_the_import_format_comes_from_the_file_name_and_a_non_utf8_file_is_named_plainly(
    studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    from ui import build_ui

    do_import = handler(build_ui(studio), "admin_import")
    table = b"id,question,a,b,model_a,model_b\nq1,Why?,yes,no,m1,m2\n"
    csv = _upload(uploads, "pairs.csv", table)
    done = by_id(do_import(csv, "auto", "from-csv", "", MAPPING, "", "", "", _as("ada")))
    assert "**Imported.**" in done["admin-import-result"] and "from-csv" in studio.store.dataset_names()

    latin1 = _upload(
        uploads, "nonutf8.csv", "id,question,a,b,model_a,model_b\nq1,Café?,oui,non,m1,m2\n".encode("latin-1")
    )
    # a mistake is written under the form (and shown as a toast), the form stays as it was
    said = by_id(do_import(latin1, "auto", "latin", "", MAPPING, "", "", "", _as("ada")))
    message = said["admin-import-result"].replace("\\", "")
    assert message.startswith("⚠ nonutf8.csv is not UTF-8") and "Save it as UTF-8" in message
    assert str(uploads) not in message and "/tmp" not in message

    json_file = _upload(uploads, "answers.json", b"[]")
    said = by_id(do_import(json_file, "auto", "", "", "", "", "", "", _as("ada")))
    assert "answers.json: choose the Format" in said["admin-import-result"].replace("\\", "")


HUGE = 99999999999999999999999  # what the finding typed; past 64 bits


@pytest.mark.parametrize(
    ("api_name", "args", "result"),
    [
        ("admin_set_gold", (HUGE, "1", "why", None), "admin-gold-result"),
        ("admin_remove_gold", (HUGE, None), "admin-gold-result"),
        ("admin_set_gold_rating", (HUGE, "10", 7, 9, "why", None), "admin-gold-rating-result"),
        ("admin_remove_gold_rating", (HUGE, None), "admin-gold-rating-result"),
    ],
)
def test_a_gold_number_too_large_for_the_database_is_refused_in_words(
    demo: gr.Blocks, db_path: Path, api_name: str, args: tuple[Any, ...], result: str
) -> None:
    count = "SELECT (SELECT count(*) FROM gold_labels), (SELECT count(*) FROM gold_ratings)"
    before = _sql(db_path, count)
    shown = by_id(handler(demo, api_name)(*args, _as("ada")))
    assert list(shown) == [result]
    assert "number is too large" in shown[result] and "SQLite" not in shown[result] and "int" not in shown[result]
    assert _sql(db_path, count) == before
