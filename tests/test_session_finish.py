"""A session that can finish (tester "team", findings 5 and 6): a skip comes back once when nothing fresh is
left, the done screen and REST name the skips that still need an answer, a deactivated person's leases are
released at once, the lead sees why a session is not done, and a deactivated person logging in hears the wrong
password's answer with its hint to ask an admin (s15: whatever the password). Pairwise and grading sessions
alike; real SQLite files through the desks the pages call, and the real HTTP app."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from test_store_postgres import any_store, location, pg_server, pg_template, pg_url  # noqa: F401 (fixtures)

from orchestration import Settings, Studio
from orchestration.access import WRONG_LOGIN, WrongPassword


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _dataset(studio: Studio, name: str = "two", prompts: int = 2) -> list[int]:
    """``prompts`` comparisons (one per prompt) and 2 * ``prompts`` responses; returns the comparison ids."""
    data = {
        "name": name,
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": f"hi {i}", "m-b": f"hello {i}"}}
            for i in range(prompts)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    return sorted(int(i) for i in studio.store.comparison_table(name)["id"])


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("lead", role="admin", kind="expert", password="lead-pass-1")
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- skips come back once, then are named
def test_a_skip_comes_back_once_at_the_end_then_the_done_note_names_it(studio: Studio) -> None:
    _dataset(studio)
    studio.store.save_session("pairs", "two", overlap=1)
    first = studio.desk.next_item("alice", "pairs")
    studio.desk.submit("alice", "pairs", first.id, "skip", swapped=first.swapped)
    second = studio.desk.next_item("alice", "pairs")
    assert second is not None and second.id != first.id  # fresh items first: the skip waits
    outcome = studio.desk.submit("alice", "pairs", second.id, "left", swapped=second.swapped, then_next=True)
    again = outcome.next  # nothing fresh is left: her skip comes back, with her skip as the current answer
    assert again is not None and again.id == first.id and again.swapped == first.swapped
    assert again.label is not None and again.label.skipped and again.final == ""
    assert studio.desk.next_item("alice", "pairs").id == first.id  # a reload keeps it (the lease holds)
    studio.desk.submit("alice", "pairs", first.id, "skip", swapped=first.swapped)  # skipped again, same answer
    assert studio.desk.next_item("alice", "pairs") is None  # once only: no endless loop of skips
    assert studio.desk.done_note("alice", "pairs") == (
        f"You skipped 1 comparison that still needs an answer: {first.ref.handle}. A skipped comparison comes back "
        "once when nothing new is left; to answer one now, go back to it with “← Previous” (over the API: "
        "POST /labels with its item and your answer)."  # alice, an annotator: by its handle (s15 blindids)
    )
    studio.desk.submit("alice", "pairs", first.id, "right", swapped=first.swapped)  # still open to an answer
    assert studio.desk.done_note("alice", "pairs") == ""
    assert studio.desk.standing("lead", "pairs").text() == "2 of 2 done (1 answer each)"


def test_an_offered_skip_is_answered_as_a_new_version(studio: Studio, db_path: Path) -> None:
    _dataset(studio, prompts=1)
    studio.store.save_session("pairs", "two", overlap=1)
    item = studio.desk.next_item("alice", "pairs")
    studio.desk.submit("alice", "pairs", item.id, "skip", swapped=item.swapped)
    again = studio.desk.next_item("alice", "pairs")
    assert again is not None and again.id == item.id
    saved = studio.desk.submit(
        "alice", "pairs", item.id, "left", swapped=again.swapped, expected_version=again.label.version
    )
    assert saved.label.version == 2 and not saved.label.skipped
    assert studio.desk.next_item("alice", "pairs") is None and studio.desk.done_note("alice", "pairs") == ""
    rows = _sql(db_path, "SELECT count(*) FROM assignments WHERE completed_at IS NULL")
    assert rows == [(0,)]  # the lease it was offered under is done


def test_a_skip_others_finished_is_not_offered_again(studio: Studio) -> None:
    _dataset(studio, prompts=1)
    studio.store.save_session("pairs", "two", overlap=1)
    item = studio.desk.next_item("alice", "pairs")
    studio.desk.submit("alice", "pairs", item.id, "skip", swapped=item.swapped)
    theirs = studio.desk.next_item("bob", "pairs")
    studio.desk.submit("bob", "pairs", theirs.id, "tie", swapped=theirs.swapped)
    assert studio.desk.next_item("alice", "pairs") is None and studio.desk.done_note("alice", "pairs") == ""


def test_grading_skips_come_back_once_and_are_named(studio: Studio) -> None:
    _dataset(studio, prompts=1)  # two responses
    studio.store.save_session("grades", "two", overlap=1, kind="single")
    first = studio.grading.next_item("alice", "grades")
    studio.grading.submit("alice", "grades", first.id, None, skipped=True)
    second = studio.grading.next_item("alice", "grades")
    assert second.id != first.id
    studio.grading.submit("alice", "grades", second.id, 7)
    again = studio.grading.next_item("alice", "grades")
    assert again is not None and again.id == first.id and again.rating is not None and again.rating.skipped
    studio.grading.submit("alice", "grades", first.id, None, skipped=True)
    assert studio.grading.next_item("alice", "grades") is None
    assert studio.grading.done_note("alice", "grades").startswith(
        f"You skipped 1 response that still needs an answer: {first.ref.handle}. A skipped response comes back once"
    )
    assert "POST /ratings with its item" in studio.grading.done_note("alice", "grades")
    left_to_skipper = "1 of 2 done (1 answer each); 1 left only to people who skipped it"
    assert studio.desk.standing("lead", "grades").text() == left_to_skipper


# ---------------------------------------------------------------------- deactivation releases leases
def test_deactivating_releases_the_accounts_leases_at_once(studio: Studio) -> None:
    _dataset(studio, prompts=1)
    studio.store.save_session("pairs", "two", overlap=1)
    studio.store.save_session("grades", "two", overlap=2, kind="single")
    held = studio.desk.next_item("bob", "pairs")
    rated = studio.grading.next_item("bob", "grades")
    assert studio.desk.next_item("alice", "pairs") is None  # bob holds the only comparison
    assert studio.desk.standing("lead", "pairs").text() == "0 of 1 done (1 answer each); 1 leased"
    studio.store.update_account("bob", active=False)
    freed = studio.desk.next_item("alice", "pairs")
    assert freed is not None and freed.id == held.id  # not 15 minutes later
    assert studio.desk.standing("lead", "pairs").text() == "0 of 1 done (1 answer each); 1 leased"  # alice's now
    graded = studio.store.session_standing("grades")
    assert graded.leased == 0 and graded.done == 0 and rated is not None  # bob's response is free again


# ---------------------------------------------------------------------- what the lead sees
def test_the_standing_says_why_a_session_is_not_done(studio: Studio) -> None:
    _dataset(studio, prompts=3)
    studio.store.save_session("pairs", "two", overlap=1)
    a = studio.desk.next_item("alice", "pairs")
    studio.desk.submit("alice", "pairs", a.id, "left", swapped=a.swapped)
    b = studio.desk.next_item("bob", "pairs")
    studio.desk.submit("bob", "pairs", b.id, "skip", swapped=b.swapped)
    assert studio.desk.standing("lead", "pairs").text() == (
        "1 of 3 done (1 answer each); 2 waiting for people who have not seen them"
    )
    studio.desk.next_item("alice", "pairs")  # alice holds the last fresh one
    standing = studio.desk.standing("lead", "pairs")
    assert (standing.done, standing.leased, standing.waiting) == (1, 1, 1)  # bob's skip is fresh for alice


# ---------------------------------------------------------------------- REST and login
def _client(live_app: Any, name: str) -> httpx.Client:
    token = live_app.studio.access.api_token(name)
    return httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_rest_next_offers_the_skip_again_then_names_it(live_app: Any) -> None:
    [only] = _dataset(live_app.studio, prompts=1)
    live_app.studio.store.save_session("pairs", "two", overlap=1)
    with _client(live_app, "alice") as alice:
        leased = alice.post("/sessions/pairs/next").json()["item"]
        assert leased["comparison_id"] is None  # an annotator is told the item's handle only (s15 blindids)
        skip = {"session": "pairs", "item": leased["item"], "choice": "skip"}
        assert alice.post("/labels", json=skip).status_code == 200
        again = alice.post("/sessions/pairs/next").json()
        assert again["done"] is False and again["item"]["current_label"]["choice"] == "skip"
        assert alice.post("/labels", json=skip).status_code == 200  # the same skip again: nothing changes
        done = alice.post("/sessions/pairs/next").json()
        assert done["done"] is True and done["message"].startswith(
            f"You skipped 1 comparison that still needs an answer: {leased['item']}."
        )


def test_a_deactivated_account_hears_the_wrong_passwords_answer_whatever_the_password(live_app: Any) -> None:
    """s15 rolesec 3: the right password of a deactivated account no longer hears "deactivated" (a password oracle);
    both passwords get the one answer, whose hint sends a deactivated person to an admin."""
    access = live_app.studio.access
    live_app.studio.store.update_account("bob", active=False)
    for password in ("bob-pass-1", "wrong-pass-1"):
        with pytest.raises(WrongPassword, match=f"^{re.escape(WRONG_LOGIN)}$"):
            access.sign_in("bob", password)
    api = live_app.url + "api/v1/tokens"
    right = httpx.post(api, json={"name": "bob", "password": "bob-pass-1"}, timeout=60)
    wrong = httpx.post(api, json={"name": "bob", "password": "nope-nope-1"}, timeout=60)
    assert right.status_code == wrong.status_code == 401 and right.json() == wrong.json() == {"detail": WRONG_LOGIN}
    form = {"username": "bob", "password": "bob-pass-1"}
    page = httpx.post(live_app.url + "login", data=form, headers={"Accept": "text/html"}, timeout=60)
    assert "If your account was deactivated, ask an admin." in page.text and "is deactivated" not in page.text


# ---------------------------------------------------------------------- the Annotate page
def test_the_annotate_page_offers_the_skip_again_then_names_it(studio: Studio) -> None:
    from gradio_ids import by_id, handler

    from ui import build_ui

    [only] = _dataset(studio, prompts=1)
    studio.store.save_session("pairs", "two", overlap=1, randomize_order=False)
    demo, alice = build_ui(studio), gr.Request(username="alice")
    next_item, skip = handler(demo, "next_item"), handler(demo, "skip_label")
    by_id(next_item("pairs", alice))
    back = by_id(skip("skip", "pairs", only, False, 1.0, 0, "k-1", None, 0, False, "", alice))
    handle = studio.desk.open_item("alice", "pairs", only).ref.handle  # alice is told a handle (s15 blindids)
    assert back["annotate-header"].startswith(f"## Item **{handle}**")  # the skip comes straight back
    assert "You skipped this comparison earlier: answer it now, or skip it again." in back["annotate-feedback"]
    done = by_id(skip("skip", "pairs", only, False, 1.0, 1, "k-2", None, 0, False, "", alice))
    assert "Thank you" not in done["annotate-header"]  # not "you have answered every comparison"
    assert done["annotate-header"].startswith("_Nothing new is left for you in this session._")
    assert f"You skipped 1 comparison that still needs an answer: {handle}" in done["annotate-header"]


# ---------------------------------------------------------------------- both backends (item locks on PostgreSQL)
def test_the_skip_rule_and_released_leases_on_both_backends(any_store: Any) -> None:  # noqa: F811 (the fixture)
    data = {
        "name": "two",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [{"id": f"q{i}", "instruction": f"Hi {i}", "responses": {"m-a": "a", "m-b": "b"}} for i in (0, 1)],
    }
    assert any_store.seed_dataset(data, pairs_per_prompt=1)
    for name in ("alice", "bob"):
        any_store.create_annotator(name, password=f"{name}-pass-1")
    any_store.save_session("pairs", "two", overlap=1)

    def answer(who: str, turn: Any, verdict: str | None) -> None:
        values = {"verdict": verdict, "skipped": verdict is None, "confidence": None, "comment": ""}
        any_store.submit("pairwise", who, "pairs", turn.item.id, swapped=turn.swapped, flagged=False, **values)

    first = any_store.lease("pairwise", "alice", "pairs")
    answer("alice", first, None)
    second = any_store.lease("pairwise", "alice", "pairs")
    assert second.item.id != first.item.id
    answer("alice", second, "1")
    again = any_store.lease("pairwise", "alice", "pairs")
    assert again.item.id == first.item.id and again.answer.skipped
    answer("alice", again, None)
    assert any_store.lease("pairwise", "alice", "pairs") is None
    assert any_store.open_skips("pairwise", "alice", "pairs") == [first.item.id]
    held = any_store.lease("pairwise", "bob", "pairs")
    assert held.item.id == first.item.id and any_store.session_standing("pairs").leased == 1
    any_store.update_account("bob", active=False)
    left_to_skipper = "1 of 2 done (1 answer each); 1 left only to people who skipped it"
    assert any_store.session_standing("pairs").text() == left_to_skipper
