"""The Grade and Annotate pages say what is true (session 11, task "grade"; s10 retest item 10):

- before Start, the Grade page's rating row follows the chosen session's scale (a 1-5 session read
  "1-10 ... 0 = 10"), and both pages say where the first item will appear and how to get it;
- a skipped item that comes back says it was skipped, not "editing your earlier rating";
- a skip skipped again is the same answer (version 1), on the page as over REST: one rule, in the store;
- a refused edit names only what was shown after the answer (no judge answer on the item: no "judge's
  verdict"); where nothing was shown the answer stays open;
- the Report card's two figures are hidden until the button draws them.

Real SQLite files, the real Gradio handlers and the real HTTP app; no mocks."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from conftest import two_model_dataset
from gradio_ids import by_id, handler

from annotation_store import NewVerdict
from orchestration import DEMO_GRADING_SESSION, DEMO_SESSION, Settings, Studio

PAIRS = "tiny-pairs"


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _component(demo: gr.Blocks, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def _event(demo: gr.Blocks, name: str, output_id: str) -> Any:
    """A private (api-less) event's function, by its Python name and one of its outputs' elem_id."""
    for block_fn in demo.fns.values():
        outputs = [getattr(c, "elem_id", None) for c in block_fn.outputs]
        if getattr(block_fn.fn, "__name__", "") == name and output_id in outputs:
            return block_fn.fn
    raise AssertionError(f"no event {name!r} with output {output_id!r}")


def _state(updates: dict[Any, Any]) -> Any:
    """shown_id, the first of the page's per-tab states."""
    return [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))][0]


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    two_model_dataset(s.store, PAIRS)
    return s


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


ALICE = gr.Request(username="alice")


# ---------------------------------------------------------------------- 1, 5: before Start
def test_before_start_the_rating_row_follows_the_chosen_session_scale(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("five", PAIRS, kind="single", scale=5)
    built = _component(demo, "grade-rating")
    assert built.choices == [] and "1-10" not in built.label and "0 = 10" not in built.label  # no scale yet
    loaded = by_id(_event(demo, "load_sessions", "grade-rating")(ALICE))  # the page load picks "five"
    assert loaded["grade-session"].value == "five"
    five = loaded["grade-rating"]
    assert five.choices == [(str(n), str(n)) for n in range(1, 6)]
    assert five.label == "Your rating, 1-5 (1 = worst, 5 = best; see the rubric; keys 1-5; Enter submits)"
    chosen = _event(demo, "session_chosen", "grade-rating")
    ten = by_id(chosen(DEMO_GRADING_SESSION, None, ALICE))["grade-rating"]
    assert len(ten.choices) == 10 and "1-10" in ten.label and "keys 1-9, 0 = 10" in ten.label
    again = by_id(chosen("five", None, ALICE))["grade-rating"]
    assert len(again.choices) == 5 and "0 = 10" not in again.label
    typed = by_id(chosen("no such session", None, ALICE))["grade-rating"]
    assert typed.choices == [] and "1-" not in typed.label  # no scale named for a name that is no session
    assert list(chosen("five", 12, ALICE).values()) == [gr.skip()]  # an item on screen keeps its own row
    assert list(chosen("five", None, gr.Request(username=None)).values()) == [gr.skip()]  # no popup, nothing
    shown = by_id(handler(demo, "next_response")("five", ALICE))  # Start: the item's session decides, as before
    assert len(shown["grade-rating"].choices) == 5


def test_both_pages_say_where_the_first_item_appears_before_start(demo: gr.Blocks) -> None:
    annotate = _component(demo, "annotate-header").value
    assert annotate == "_Choose the session above and press “Start / next item”: the first comparison appears here._"
    grade = _component(demo, "grade-header").value
    assert grade == "_Choose the session above and press “Start / next response”: the first response appears here._"
    started = by_id(handler(demo, "next_item")(DEMO_SESSION, ALICE))  # Start replaces the hint by the item
    assert started["annotate-header"].startswith("## Item **")  # alice, an annotator: a handle (s15 blindids)


# ---------------------------------------------------------------------- 2, 3: a skip that comes back
def test_a_returning_skip_says_it_was_skipped_and_a_second_skip_keeps_version_1(
    demo: gr.Blocks, studio: Studio, db_path: Path
) -> None:
    studio.store.save_session("grades", PAIRS, kind="single", overlap=1, randomize_order=False)
    next_response, answer = handler(demo, "next_response"), handler(demo, "skip_rating")
    first = next_response("grades", ALICE)
    skipped = _state(first)
    said = by_id(answer("skip", "grades", skipped, False, 1.0, 0, "s-1", None, 0, False, "", ALICE))
    handle = studio.grading.open_item("alice", "grades", skipped).ref.handle  # alice is told a handle, not the id
    assert f"Skipped item {handle} (version 1)" in said["grade-feedback"]
    for n in range(3):  # the three fresh responses, rated
        fresh = _state(next_response("grades", ALICE))
        handler(demo, "submit_rating")("submit", "grades", fresh, False, 1.0, 0, f"r-{n}", "6", 0, False, "", ALICE)
    back = by_id(next_response("grades", ALICE))  # nothing fresh is left: the skip comes back once
    assert back["grade-header"].startswith(f"## Item **{handle}**")
    assert back["grade-header"].endswith(" · you skipped this earlier (version 1)")  # its version: s14 drafts2
    assert "editing" not in back["grade-header"]
    assert "You skipped this response earlier: answer it now, or skip it again." in back["grade-feedback"]
    again = by_id(answer("skip", "grades", skipped, False, 1.0, 1, "s-2", None, 0, False, "", ALICE))
    assert f"Skipped item {handle} (version 1)" in again["grade-feedback"]  # was "(version 2)"
    query = "SELECT r.version, r.skipped FROM ratings r JOIN annotators a ON a.id = r.annotator_id "
    assert _sql(db_path, query + "WHERE a.name = 'alice' AND r.response_id = ?", skipped) == [(1, 1)]
    assert _sql(db_path, "SELECT COUNT(*) FROM rating_events WHERE response_id = ?", skipped) == [(1,)]
    back_to = studio.grading.previous("alice", "grades", None)  # the done screen: "go back to it with ← Previous"
    assert back_to is not None and back_to.id == skipped  # the newest answer, one press away (s11 retest R1)


def test_a_returning_skipped_comparison_says_so_in_its_header(demo: gr.Blocks, studio: Studio) -> None:
    studio.store.save_session("pairs", PAIRS, overlap=1, randomize_order=False)
    next_item, answer = handler(demo, "next_item"), handler(demo, "skip_label")
    skipped = _state(next_item("pairs", ALICE))
    answer("skip", "pairs", skipped, False, 1.0, 0, "k-1", None, 0, False, "", ALICE)
    fresh = _state(next_item("pairs", ALICE))
    handler(demo, "submit_label")("submit", "pairs", fresh, False, 1.0, 0, "k-2", "left", 0, False, "", ALICE)
    back = by_id(next_item("pairs", ALICE))
    handle = studio.desk.open_item("alice", "pairs", skipped).ref.handle  # alice is told a handle, not the id
    assert back["annotate-header"] == f"## Item **{handle}** · you skipped this earlier (version 1)"
    again = by_id(answer("skip", "pairs", skipped, False, 1.0, 1, "k-3", None, 0, False, "", ALICE))
    assert f"Skipped item {handle} (version 1)" in again["annotate-feedback"]


# ---------------------------------------------------------------------- 3, 4: over REST
def test_rest_skips_and_refused_edits_say_only_what_was_shown(live_app: Any) -> None:
    studio, url = live_app.studio, live_app.url
    two_model_dataset(studio.store, PAIRS, 3)
    studio.store.save_session("blind", PAIRS, blind=True, reveal_judge=True, overlap=2)
    studio.store.save_session("open", PAIRS, blind=False, reveal_judge=True, overlap=2)
    studio.store.save_session("rated", PAIRS, kind="single", blind=True, reveal_judge=True)

    def client(name: str) -> httpx.Client:
        token = studio.access.api_token(name)
        return httpx.Client(base_url=url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)

    alice, bob = client("alice"), client("bob")
    item = alice.post("/sessions/blind/next").json()["item"]
    body = {"session": "blind", "item": item["item"]}  # annotators name an item by its handle (s15 blindids)
    for _ in range(2):  # a skip sent twice is one answer
        assert alice.post("/labels", json={**body, "choice": "skip"}).json()["label"]["version"] == 1
    answered = alice.post("/labels", json={**body, "choice": "left"}).json()
    assert answered["judge"] is None and answered["label"]["version"] == 2  # no judge verdict on the item
    refused = alice.post("/labels", json={**body, "choice": "right"})
    assert refused.status_code == 409 and refused.json()["detail"] == (
        f"Your label on item {item['item']} can no longer be changed: the model names were shown "
        "to you after your answer; nothing was saved."
    )
    # an open session with no judge verdict shows nothing after the answer: it stays open to edits
    mine = bob.post("/sessions/open/next").json()["item"]
    opened = {"session": "open", "item": mine["item"]}
    assert bob.post("/labels", json={**opened, "choice": "left"}).json()["judge"] is None
    edited = bob.post("/labels", json={**opened, "choice": "tie"})
    assert edited.status_code == 200 and edited.json()["label"]["version"] == 2
    # once the item has a judge verdict, the judge's verdict is what was shown (the names were not hidden)
    run = studio.store.ensure_judge_run("fp-pair", {"model": "judge-x"})
    query = "SELECT s.comparison_id FROM assignments s JOIN annotators a ON a.id = s.annotator_id WHERE a.name = 'bob'"
    with sqlite3.connect(live_app.db_path) as db:
        (bobs,) = db.execute(query).fetchone()
    studio.store.save_verdict(run, NewVerdict(bobs, "1", "ok"))
    assert bob.post("/labels", json={**opened, "choice": "right"}).json()["judge"] is not None
    late = bob.post("/labels", json={**opened, "choice": "left"})
    assert late.status_code == 409 and "changed: the judge's verdict was shown to you after" in late.text
    response = alice.post("/sessions/rated/next").json()["item"]
    rated = {"session": "rated", "item": response["item"]}
    assert alice.post("/ratings", json={**rated, "rating": 3}).status_code == 200
    again = alice.post("/ratings", json={**rated, "rating": 8})
    assert again.status_code == 409 and "changed: the model's name was shown to you after your answer" in again.text


# ---------------------------------------------------------------------- 6: the Report card's figures
def test_the_report_card_figures_are_hidden_until_the_button_draws_them(demo: gr.Blocks) -> None:
    for elem_id in ("card-reliability", "card-corrected"):
        assert _component(demo, elem_id).visible is False
    shown = by_id(handler(demo, "report_card")("judge-studio-demo", None, None, gr.Request(username="rita")))
    assert "Judge report card" in shown["card-markdown"]
    # no judge has judged the demo here: the card says so, with no frame holding only that message (s18 dashclean;
    # a judged dataset's frames: tests/test_s18_dashclean.py)
    assert "No judge has judged this dataset yet." in shown["card-markdown"]
    for elem_id in ("card-reliability", "card-corrected"):
        assert shown[elem_id].visible is False


def test_a_revealing_grading_session_says_when_the_judge_has_not_rated(studio: Studio) -> None:
    """The demo grading session reveals the judge, but nothing rates the demo on start: the line after a
    rating said nothing about the judge (s11 docs tester, finding 11)."""
    from ui.grading import outcome_markdown

    item = studio.grading.next_item("alice", DEMO_GRADING_SESSION)
    assert item is not None
    said = outcome_markdown(studio.grading.submit("alice", DEMO_GRADING_SESSION, item.id, 7))
    assert said.endswith("The judge has not rated this response yet.")
    closed = "closed grades"
    studio.store.save_session(closed, "judge-studio-demo", kind="single", overlap=1, reveal_judge=False)
    other = studio.grading.next_item("bob", closed)
    assert other is not None
    assert "judge" not in outcome_markdown(studio.grading.submit("bob", closed, other.id, 7))
