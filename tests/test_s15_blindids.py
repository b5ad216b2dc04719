"""Session 15, task "blindids" (rolesec finding 1): annotators never see an item's database id.

In a blind session the annotator saw the global comparison id ("Comparison #128" on the page, ``comparison_id`` in
REST). Ids are given in import order, so one model pair's comparisons are contiguous: after a few revealed answers an
annotator knew the pair of every later item before answering, and could note gold checks by number. Now annotators
see a handle of their own per item ("Item 7KQ2MXA3FZ", REST ``item``): not sequential, different for two people on
the same item, the same for one person (so ← Previous, edits and drafts keep working). Reviewers and admins keep
"Comparison #N" and the ids.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import api_app, closing, sql_rows

from errors import NotFound
from orchestration import Settings, Studio
from orchestration.item_handles import HANDLE_LENGTH, HandleBook

HANDLE = re.compile(rf"^[A-Z2-7]{{{HANDLE_LENGTH}}}$")
PAIRS = {
    "name": "pairs",
    "models": [{"name": "model-a"}, {"name": "model-b"}],
    "prompts": [
        {"id": f"q{n}", "instruction": f"Say hi {n}", "responses": {"model-a": f"hi {n}", "model-b": f"hello {n}"}}
        for n in range(1, 4)
    ],
}
ONE = {**PAIRS, "name": "one", "prompts": PAIRS["prompts"][:1]}


@pytest.fixture
def studio(db_path: Path) -> Iterator[Studio]:
    studio = Studio.open(Settings(home=db_path.parent))
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer")):
        studio.store.create_annotator(name, role=role, password=f"{name}-pass-12")
    assert studio.store.seed_dataset(ONE, pairs_per_prompt=1) and studio.store.seed_dataset(PAIRS, pairs_per_prompt=1)
    # blind, no reveal (answers stay open to edits), everyone gets the one comparison
    studio.store.save_session("Blind", "one", overlap=3, blind=True, reveal_judge=False, randomize_order=False)
    studio.store.save_session("Many", "pairs", overlap=3, blind=True, reveal_judge=False, randomize_order=False)
    studio.store.save_session("Grades", "one", kind="single", overlap=3, blind=True, reveal_judge=False)
    yield from closing(studio)


@pytest.fixture
def demo(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


@pytest.fixture
def api(studio: Studio) -> Iterator[TestClient]:
    with TestClient(api_app(studio)) as client:
        yield client


def _bearer(studio: Studio, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.access.api_token(name)}"}


def _shown_id(updates: dict[Any, Any]) -> Any:
    """shown_id, the first of the page's per-tab states (server-side: never sent to the browser)."""
    return [v for _, v in sorted((k._id, v) for k, v in updates.items() if isinstance(k, gr.State))][0]


def _header_handle(header: str) -> str:
    found = re.match(r"^## Item \*\*([A-Z2-7]+)\*\*", header)
    assert found is not None, header
    return found.group(1)


def _only_comparison(db_path: Path, dataset: str) -> int:
    rows = sql_rows(
        db_path, "SELECT c.id FROM comparisons c JOIN datasets d ON c.dataset_id = d.id WHERE d.name = ?", dataset
    )
    assert len(rows) == 1
    return int(rows[0][0])


def _labels(db_path: Path, name: str) -> list[tuple[Any, ...]]:
    return sql_rows(
        db_path,
        "SELECT l.comparison_id, l.verdict, l.version, l.skipped FROM labels l "
        "JOIN annotators a ON l.annotator_id = a.id WHERE a.name = ? ORDER BY l.comparison_id",
        name,
    )


# ---------------------------------------------------------------------- the pages
def test_the_annotate_page_names_the_item_by_a_handle_of_each_annotator(demo: gr.Blocks, db_path: Path) -> None:
    target = _only_comparison(db_path, "one")
    next_item = handler(demo, "next_item")
    alice_said, bob_said = (
        next_item("Blind", gr.Request(username="alice")),
        next_item("Blind", gr.Request(username="bob")),
    )
    assert _shown_id(alice_said) == _shown_id(bob_said) == target  # the same comparison for both
    alice, bob = by_id(alice_said), by_id(bob_said)
    mine, theirs = _header_handle(alice["annotate-header"]), _header_handle(bob["annotate-header"])
    assert HANDLE.match(mine) and HANDLE.match(theirs) and mine != theirs
    for shown in (alice, bob):
        page = " ".join(str(value) for value in shown.values())
        assert "Comparison" not in page and f"#{target}" not in page
    # the same person gets the same handle again (Start while it is on screen, and a fresh page)
    assert _header_handle(by_id(next_item("Blind", gr.Request(username="alice")))["annotate-header"]) == mine


def test_feedback_previous_and_an_edit_name_the_handle_and_store_on_the_comparison(
    demo: gr.Blocks, db_path: Path
) -> None:
    target, alice = _only_comparison(db_path, "one"), gr.Request(username="alice")
    first = handler(demo, "next_item")("Blind", alice)
    mine = _header_handle(by_id(first)["annotate-header"])
    submit = handler(demo, "submit_label")
    saved = by_id(submit("submit", "Blind", _shown_id(first), False, 1.0, 0, "k-1", "left", 0, False, "", alice))
    said = saved["annotate-feedback"]
    assert f"Saved **Left is better** on item {mine} (version 1)" in said and f"#{target}" not in said
    back = by_id(handler(demo, "previous_item")("Blind", None, alice))
    assert back["annotate-header"].startswith(f"## Item **{mine}** · editing your earlier answer (version 1)")
    assert back["annotate-choice"]["value"] == "left"
    edited = by_id(submit("submit", "Blind", target, False, 1.0, 1, "k-2", "right", 0, False, "", alice))
    assert f"Saved **Right is better** on item {mine} (version 2)" in edited["annotate-feedback"]
    assert _labels(db_path, "alice") == [(target, "2", 2, 0)]  # left = response 1 (no random order): now "2"


def test_a_reviewer_still_sees_the_comparison_number(demo: gr.Blocks, db_path: Path) -> None:
    target = _only_comparison(db_path, "one")
    shown = by_id(handler(demo, "next_item")("Blind", gr.Request(username="rita")))
    assert shown["annotate-header"].startswith(f"## Comparison **#{target}**")


def test_the_grade_page_names_the_response_by_a_handle(demo: gr.Blocks) -> None:
    alice = gr.Request(username="alice")
    first = handler(demo, "next_response")("Grades", alice)
    shown, response_id = by_id(first), _shown_id(first)
    mine = _header_handle(shown["grade-header"])
    assert "Response" not in shown["grade-header"] and f"#{response_id}" not in shown["grade-header"]
    rated = by_id(
        handler(demo, "submit_rating")("submit", "Grades", response_id, False, 1.0, 0, "r", "7", 0, False, "", alice)
    )
    assert f"Rated **7**/10 item {mine} (version 1)" in rated["grade-feedback"]
    reviewer = by_id(handler(demo, "next_response")("Grades", gr.Request(username="rita")))
    assert reviewer["grade-header"].startswith(f"## Response **#{response_id}**")


def test_picking_another_session_names_the_item_left_by_its_handle(demo: gr.Blocks) -> None:
    alice = gr.Request(username="alice")
    first = handler(demo, "next_item")("Blind", alice)
    mine, shown = _header_handle(by_id(first)["annotate-header"]), _shown_id(first)
    chosen = next(fn for fn in demo.fns.values() if getattr(fn.fn, "__name__", "") == "session_chosen")
    moved = by_id(chosen.fn("Many", shown, alice, "Blind"))
    assert f"Item {mine} of Blind stays yours" in moved["annotate-feedback"]
    assert f"#{shown}" not in moved["annotate-feedback"]


# ---------------------------------------------------------------------- REST
def test_rest_next_and_submit_carry_a_handle_and_no_id_for_annotators(
    api: TestClient, studio: Studio, db_path: Path
) -> None:
    target = _only_comparison(db_path, "one")
    alice, bob = _bearer(studio, "alice"), _bearer(studio, "bob")
    lease = api.post("/api/v1/sessions/Blind/next", headers=alice).json()["item"]
    other = api.post("/api/v1/sessions/Blind/next", headers=bob).json()["item"]
    assert lease["comparison_id"] is None and other["comparison_id"] is None
    assert HANDLE.match(lease["item"]) and HANDLE.match(other["item"]) and lease["item"] != other["item"]
    body = {"session": "Blind", "item": lease["item"], "choice": "right"}
    saved = api.post("/api/v1/labels", headers=alice, json=body)
    assert saved.status_code == 200, saved.text
    label = saved.json()["label"]
    assert label["item"] == lease["item"] and label["comparison_id"] is None and label["version"] == 1
    assert _labels(db_path, "alice") == [(target, "2", 1, 0)]  # on the comparison the handle named
    # the same handle again, lower case as typed: an edit (version 2), and ``next`` gives the label back under it
    edit = {**body, "item": lease["item"].lower(), "choice": "tie", "expected_version": 1}
    assert api.post("/api/v1/labels", headers=alice, json=edit).json()["label"]["version"] == 2
    assert _labels(db_path, "alice") == [(target, "tie", 2, 0)]
    # a stale edit: the 409 names the item by its handle, never by its id
    stale = api.post("/api/v1/labels", headers=alice, json={**body, "expected_version": 1})
    assert stale.status_code == 409 and f"item {lease['item']}" in stale.json()["detail"]
    assert f"#{target}" not in stale.text


def test_an_annotator_cannot_answer_by_id_and_an_unknown_handle_is_a_404(
    api: TestClient, studio: Studio, db_path: Path
) -> None:
    target = _only_comparison(db_path, "one")
    alice = _bearer(studio, "alice")
    handle = api.post("/api/v1/sessions/Blind/next", headers=alice).json()["item"]["item"]
    by_id_ = api.post(
        "/api/v1/labels", headers=alice, json={"session": "Blind", "comparison_id": target, "choice": "left"}
    )
    assert by_id_.status_code == 403 and "`item`" in by_id_.json()["detail"]
    bob_handle = api.post("/api/v1/sessions/Blind/next", headers=_bearer(studio, "bob")).json()["item"]["item"]
    unknown = api.post("/api/v1/labels", headers=alice, json={"session": "Blind", "item": bob_handle, "choice": "left"})
    assert unknown.status_code == 404 and bob_handle in unknown.json()["detail"]
    both = api.post(
        "/api/v1/labels", headers=alice, json={"session": "Blind", "item": handle, "comparison_id": 1, "choice": "left"}
    )
    neither = api.post("/api/v1/labels", headers=alice, json={"session": "Blind", "choice": "left"})
    garbled = api.post("/api/v1/labels", headers=alice, json={"session": "Blind", "item": "#12", "choice": "left"})
    assert both.status_code == neither.status_code == garbled.status_code == 422
    assert _labels(db_path, "alice") == []  # nothing was stored by any of them


def test_a_reviewer_gets_the_id_and_may_answer_by_it(api: TestClient, studio: Studio, db_path: Path) -> None:
    target, rita = _only_comparison(db_path, "one"), _bearer(studio, "rita")
    lease = api.post("/api/v1/sessions/Blind/next", headers=rita).json()["item"]
    assert lease["comparison_id"] == target and HANDLE.match(lease["item"])
    saved = api.post(
        "/api/v1/labels", headers=rita, json={"session": "Blind", "comparison_id": target, "choice": "tie"}
    )
    assert saved.status_code == 200 and saved.json()["label"]["comparison_id"] == target
    assert _labels(db_path, "rita") == [(target, "tie", 1, 0)]


def test_ratings_over_rest_by_handle(api: TestClient, studio: Studio, db_path: Path) -> None:
    alice = _bearer(studio, "alice")
    lease = api.post("/api/v1/sessions/Grades/next", headers=alice).json()
    item = lease["item"]
    assert lease["kind"] == "single" and item["response_id"] is None and HANDLE.match(item["item"])
    saved = api.post("/api/v1/ratings", headers=alice, json={"session": "Grades", "item": item["item"], "rating": 6})
    assert saved.status_code == 200, saved.text
    assert saved.json()["rating"]["item"] == item["item"] and saved.json()["rating"]["response_id"] is None
    stored = sql_rows(
        db_path,
        "SELECT r.rating FROM ratings r JOIN annotators a ON r.annotator_id = a.id WHERE a.name = 'alice'",
    )
    assert stored == [(6,)]
    refused = api.post("/api/v1/ratings", headers=alice, json={"session": "Grades", "response_id": 1, "rating": 6})
    assert refused.status_code == 403


def test_the_done_message_names_skips_by_their_handles(api: TestClient, studio: Studio, db_path: Path) -> None:
    target, alice = _only_comparison(db_path, "one"), _bearer(studio, "alice")
    handle = api.post("/api/v1/sessions/Blind/next", headers=alice).json()["item"]["item"]
    skip = {"session": "Blind", "item": handle, "choice": "skip"}
    assert api.post("/api/v1/labels", headers=alice, json=skip).status_code == 200
    again = api.post("/api/v1/sessions/Blind/next", headers=alice).json()  # a skip comes back once
    assert again["item"]["item"] == handle and again["item"]["current_label"]["item"] == handle
    assert api.post("/api/v1/labels", headers=alice, json={**skip, "expected_version": 1}).status_code == 200
    done = api.post("/api/v1/sessions/Blind/next", headers=alice).json()
    assert done["done"] and f": {handle}." in done["message"] and "POST /labels with its item" in done["message"]
    assert f"#{target}" not in done["message"]


# ---------------------------------------------------------------------- handles themselves
def test_a_handle_of_a_50000_item_session_resolves_well_under_100_ms(studio: Studio, db_path: Path) -> None:
    """A handle is deciphered, not looked up in a table: 50,000 items handed to one person in a session (leases
    written straight into the database) resolve as fast as one, first and last alike."""
    studio.store.save_session("Big", "pairs", overlap=1)
    studio.desk.next_item("alice", "Big")
    session_id, person_id = sql_rows(db_path, "SELECT session_id, annotator_id FROM assignments")[0]
    with sqlite3.connect(db_path) as db:  # no foreign keys here: the items need not exist to be resolved
        db.executemany(
            "INSERT INTO assignments (comparison_id, annotator_id, session_id, leased_at, lease_expires_at) "
            "VALUES (?, ?, ?, '2026-01-01', '2026-01-01')",
            [(10**6 + n, person_id, session_id) for n in range(50_000)],
        )
    book = studio.desk.handles
    for item in (10**6, 10**6 + 49_999, 10**6 + 25_000):
        wanted = book.handle(session_id, person_id, item)
        started = time.perf_counter()
        assert book.resolve("alice", "Big", wanted) == item and book.resolve("alice", "Big", wanted.lower()) == item
        took = (time.perf_counter() - started) / 2
        assert took < 0.05, f"{took * 1000:.0f} ms"
    with pytest.raises(NotFound, match="There is no item AAAAAAAAAA among the items handed to you"):
        book.resolve("alice", "Big", "AAAAAAAAAA")
    with pytest.raises(NotFound, match=book.handle(session_id, person_id, 10**7)):  # not handed to alice
        book.resolve("alice", "Big", book.handle(session_id, person_id, 10**7))


def test_handles_are_neither_sequential_nor_shared() -> None:
    class Secret:
        def shared_secret(self, name: str, *, adopt: str | None = None) -> str:
            return "0" * 64

    book = HandleBook(Secret(), "pairwise", "comparison")  # type: ignore[arg-type]
    handles = [book.handle(7, 3, item) for item in range(1, 2001)]
    assert all(HANDLE.match(h) for h in handles) and len(set(handles)) == len(handles)
    assert handles != sorted(handles) and handles[:10] != sorted(handles[:10])  # in no id order
    assert book.handle(7, 4, 5) != handles[4] and book.handle(8, 3, 5) != handles[4]  # per person, per session
    assert book.handle(7, 3, 5) == handles[4]  # the same for one person
    wide = book.handle(7, 3, 2**50 + 5)
    assert len(wide) == 13 and re.match(r"^[A-Z2-7]{13}$", wide)


def test_drafts_key_an_item_by_its_handle() -> None:
    script = (Path(__file__).parent.parent / "static" / "drafts.js").read_text(encoding="utf-8")
    pattern = re.search(r"const NUMBER = /(.+)/;", script)
    assert pattern is not None
    number = re.compile(pattern.group(1))
    found = number.match("Item 7KQ2MXA3FZ · editing your earlier answer (version 1)")
    assert found is not None and found.group(2) == "7KQ2MXA3FZ"
    reviewer = number.match("Comparison #12 · writing")
    assert reviewer is not None and reviewer.group(1) == "12"
