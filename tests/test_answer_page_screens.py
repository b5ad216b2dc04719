"""The answer page's handlers (no browser): Start while the item is on screen keeps it and says so; the
done screen shows the progress as it is, greys out the answer controls and says when items answered in
another session made it come early; a refused late submit names the page's button; an earlier answer
that is final shows read-only, saying why (s8 annotator findings 1, 7, 10; answer integrity)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from orchestration import Settings, Studio


@pytest.fixture
def studio(db_path: Path) -> Studio:
    studio = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob"):
        studio.store.create_annotator(name, role="annotator", password=f"{name}-pass-1")
    data = {
        "name": "one pair",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"a": "hi", "b": "hello"}}],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    studio.store.save_session("One", "one pair", overlap=1, randomize_order=False)  # reveals the judge
    return studio


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _state(updates: dict[Any, Any]) -> Any:
    """shown_id, the first of the page's per-tab states."""
    return [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))][0]


def _read(markdown: str) -> str:
    """Markdown as a person reads it: the escapes of ``ui.render.inline_text`` dropped."""
    return markdown.replace("\\", "")


def test_start_keeps_the_item_on_screen_and_the_done_screen_is_up_to_date(demo: gr.Blocks) -> None:
    alice = gr.Request(username="alice")
    next_item, submit = handler(demo, "next_item"), handler(demo, "submit_label")
    first = next_item("One", alice)
    shown = _state(first)
    again = by_id(next_item("One", alice, shown))
    assert "annotate-choice" not in again and "Still item" in again["annotate-feedback"]  # the choice stays
    done = by_id(submit("submit", "One", shown, False, 1.0, 0, "k-1", "left", 0, False, "", alice))
    assert "Thank you" in done["annotate-header"] and "You: 1 answered" in done["annotate-progress"]
    assert done["annotate-choice"]["interactive"] is False  # nothing to answer on the done screen
    later = by_id(next_item("One", alice))  # Start on the done screen: fresh counts, not the last item's
    assert "Everyone: 1 of 1 comparisons" in later["annotate-progress"]


def test_a_late_submit_names_the_page_button(demo: gr.Blocks, studio: Studio) -> None:
    alice = gr.Request(username="alice")
    shown = _state(handler(demo, "next_item")("One", alice))
    with studio.store.engine.begin() as connection:  # her tab stays open past the lease
        connection.exec_driver_sql("UPDATE assignments SET lease_expires_at = '2000-01-01 00:00:00'")
    taken = studio.desk.next_item("bob", "One")
    studio.desk.submit("bob", "One", taken.id, "tie", swapped=taken.swapped)
    late = by_id(
        handler(demo, "submit_label")("submit", "One", shown, False, 1.0, 0, "k-1", "left", 0, False, "", alice)
    )
    note = _read(late["annotate-feedback"])
    assert "is taken" in note and "its 1 answer in this session" in note and "answer(s)" not in note
    assert "press “Start / next item”" in note and "POST /sessions/{name}/next" in note  # the page and the API


def test_the_done_screen_says_when_another_session_answered_its_items(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("Two", "one pair", overlap=1)
    item = studio.desk.next_item("alice", "One")
    studio.desk.submit("alice", "One", item.id, "left", swapped=item.swapped)
    done = by_id(handler(demo, "next_item")("Two", gr.Request(username="alice")))
    assert "Thank you" in done["annotate-header"]
    said = "You have already answered the only comparison of this dataset (in session 'One'): each person"
    assert said in _read(done["annotate-header"])
    fresh = by_id(handler(demo, "next_item")("Two", gr.Request(username="bob")))
    assert fresh["annotate-header"].startswith("## Item **")  # bob answered nothing elsewhere: he gets the item


def test_an_earlier_answer_that_is_final_shows_read_only_and_says_why(demo: gr.Blocks) -> None:
    alice = gr.Request(username="alice")
    shown = _state(handler(demo, "next_item")("One", alice))
    submit = handler(demo, "submit_label")
    submit("submit", "One", shown, False, 1.0, 0, "k-1", "left", 0, False, "", alice)  # the judge is revealed
    back = by_id(handler(demo, "previous_item")("One", None, alice))
    assert "your answer (version 1) is final" in back["annotate-header"] and "editing" not in back["annotate-header"]
    # no judge verdict on the item: only the model names were shown (s11: the reason names only what was shown)
    assert "can no longer be changed: the model names were shown" in _read(back["annotate-feedback"])
    assert "Submit moves on" in back["annotate-feedback"]
    assert back["annotate-choice"]["interactive"] is False and back["annotate-choice"]["value"] == "left"
    assert back["annotate-comment"]["interactive"] is False
    again = by_id(submit("submit", "One", shown, False, 1.0, 1, "k-2", "left", 0, False, "", alice))
    assert "version 1" in again["annotate-feedback"] and "Thank you" in again["annotate-header"]  # nothing changed
    changed = by_id(submit("submit", "One", shown, False, 1.0, 1, "k-3", "right", 0, False, "", alice))
    assert list(changed) == ["annotate-feedback"] and "can no longer be changed" in changed["annotate-feedback"]


def test_a_final_rating_shows_read_only_on_the_grade_page(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("Rate", "one pair", kind="single", overlap=1)  # reveals the judge
    alice = gr.Request(username="alice")
    shown = _state(handler(demo, "next_response")("Rate", alice))
    handler(demo, "submit_rating")("submit", "Rate", shown, False, 1.0, 0, "r-1", "7", 0, False, "", alice)
    back = by_id(handler(demo, "previous_rating")("Rate", None, alice))
    assert "your rating (version 1) is final" in back["grade-header"]
    said = "can no longer be changed: the model's name was shown"  # no judge rating on the response
    assert said in _read(back["grade-feedback"])
    assert back["grade-rating"].interactive is False and back["grade-rating"].value == "7"
