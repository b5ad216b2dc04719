"""The session rules of issue 13, enforced inside the store's write transaction: a submit counts only
when the item is leased to that annotator in that session (or they edit their own answer given
there), the session belongs to the item's dataset, the session's overlap k is never exceeded (an
expired lease whose item was taken is refused), coverage is counted per session, leases have a
minimum length, and an answer in one session never reveals what another session hides. Checked
through the desks the UI and the REST API call, through REST itself, and on the Annotate page's
Markdown (model names with a backtick and ``<img>``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from annotation_store import NewJudgeRating, NewVerdict, StoreError
from errors import Conflict, Forbidden, NotFound
from orchestration import Settings, Studio

DEMO = "judge-studio-demo"
EVIL = "evil`</code><img src=x onerror=alert(1)>"


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _expire(path: Path, who: str) -> None:
    """``who``'s leases run out, as when a tab is left open past the lease."""
    _sql(
        path,
        "UPDATE assignments SET lease_expires_at = '2000-01-01 00:00:00' "
        "WHERE annotator_id = (SELECT id FROM annotators WHERE name = ?)",
        who,
    )


def _labels_on(path: Path, comparison: int, session: str) -> int:
    return _sql(
        path,
        "SELECT count(*) FROM labels l JOIN annotation_sessions s ON s.id = l.session_id "
        "WHERE l.comparison_id = ? AND s.name = ? AND NOT l.skipped",
        comparison,
        session,
    )[0][0]


def _one_item_dataset(studio: Studio, name: str = "tiny", models: tuple[str, str] = ("m-a", "m-b")) -> int:
    data = {
        "name": name,
        "models": [{"name": models[0]}, {"name": models[1]}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {models[0]: "hi", models[1]: "hello"}}],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    return int(studio.store.comparison_table(name)["id"].iloc[0])


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob", "carol"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- k is never exceeded
def test_an_expired_lease_whose_item_was_taken_and_labelled_is_refused(studio: Studio, db_path: Path) -> None:
    _one_item_dataset(studio)  # one item: bob is handed it once alice's lease expired (each has an own order)
    studio.store.save_session("k1", "tiny", overlap=1)
    mine = studio.desk.next_item("alice", "k1")
    _expire(db_path, "alice")
    theirs = studio.desk.next_item("bob", "k1")
    assert theirs is not None and theirs.id == mine.id  # the item went back to the pool
    studio.desk.submit("bob", "k1", theirs.id, "left", swapped=theirs.swapped)
    with pytest.raises(Conflict, match=r"is taken: your lease on it expired") as refused:
        studio.desk.submit("alice", "k1", mine.id, "right", swapped=mine.swapped)
    assert isinstance(refused.value, StoreError)  # the UI's and the CLI's boundaries know it too
    assert _labels_on(db_path, mine.id, "k1") == 1


def test_an_expired_lease_is_refused_while_someone_else_holds_the_item(studio: Studio, db_path: Path) -> None:
    _one_item_dataset(studio)  # one item: bob is handed it once alice's lease expired (each has an own order)
    studio.store.save_session("k1", "tiny", overlap=1)
    mine = studio.desk.next_item("alice", "k1")
    _expire(db_path, "alice")
    theirs = studio.desk.next_item("bob", "k1")
    assert theirs.id == mine.id
    with pytest.raises(Conflict, match="is taken"):  # bob is reading it: his answer must still count
        studio.desk.submit("alice", "k1", mine.id, "right", swapped=mine.swapped)
    studio.desk.submit("bob", "k1", theirs.id, "left", swapped=theirs.swapped)
    assert _labels_on(db_path, mine.id, "k1") == 1


def test_an_expired_lease_on_an_item_nobody_took_still_counts(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("k1", DEMO, overlap=1)
    mine = studio.desk.next_item("alice", "k1")
    _expire(db_path, "alice")
    saved = studio.desk.submit("alice", "k1", mine.id, "tie", swapped=mine.swapped)
    assert saved.label.verdict == "tie" and _labels_on(db_path, mine.id, "k1") == 1


def test_only_the_lease_holder_may_submit_and_may_edit_afterwards(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("k1", DEMO, overlap=1, reveal_judge=False)  # nothing shown: edits stay open
    mine = studio.desk.next_item("alice", "k1")
    with pytest.raises(Conflict, match="was not handed to you"):
        studio.desk.submit("bob", "k1", mine.id, "left", swapped=mine.swapped)
    studio.desk.submit("alice", "k1", mine.id, "left", swapped=mine.swapped)
    _expire(db_path, "alice")
    edited = studio.desk.submit("alice", "k1", mine.id, "right", swapped=mine.swapped)  # her own label
    assert edited.label.version == 2 and _labels_on(db_path, mine.id, "k1") == 1


def test_a_skip_turned_into_an_answer_respects_k(studio: Studio, db_path: Path) -> None:
    _one_item_dataset(studio)  # one item: bob is handed it once alice's lease expired (each has an own order)
    studio.store.save_session("k1", "tiny", overlap=1)
    mine = studio.desk.next_item("alice", "k1")
    studio.desk.submit("alice", "k1", mine.id, "skip", swapped=mine.swapped)  # skips do not count
    theirs = studio.desk.next_item("bob", "k1")
    assert theirs.id == mine.id
    studio.desk.submit("bob", "k1", theirs.id, "left", swapped=theirs.swapped)
    with pytest.raises(Conflict, match="is taken"):
        studio.desk.submit("alice", "k1", mine.id, "left", swapped=mine.swapped)
    assert _labels_on(db_path, mine.id, "k1") == 1


def test_the_lease_has_a_minimum(studio: Studio, db_path: Path) -> None:
    with pytest.raises(StoreError, match="lease must be 30 seconds to 7 days, got 0"):
        studio.store.save_session("zero", DEMO, lease_seconds=0)
    assert "zero" not in {s.name for s in studio.store.sessions()}
    studio.store.save_session("ok", DEMO, lease_seconds=30)
    with pytest.raises(sqlite3.IntegrityError, match="session_lease_minimum"):  # the database says so too
        _sql(db_path, "UPDATE annotation_sessions SET lease_seconds = 0 WHERE name = 'ok'")


# ---------------------------------------------------------------------- sessions and datasets
def test_coverage_is_counted_per_session(studio: Studio, db_path: Path) -> None:
    only = _one_item_dataset(studio)
    studio.store.save_session("first", "tiny", overlap=1)
    studio.store.save_session("second", "tiny", overlap=1)
    a = studio.desk.next_item("alice", "first")
    assert a is not None and a.id == only
    assert studio.desk.next_item("bob", "first") is None  # k = 1 in this session
    b = studio.desk.next_item("bob", "second")  # another session: its own pool
    assert b is not None and b.id == only
    studio.desk.submit("alice", "first", only, "left", swapped=a.swapped)
    studio.desk.submit("bob", "second", only, "right", swapped=b.swapped)
    first, second = studio.desk.progress("alice", "first"), studio.desk.progress("bob", "second")
    assert (first.mine, first.done, second.mine, second.done) == (1, 1, 1, 1)
    assert studio.desk.progress("alice", "second").mine == 0
    assert _labels_on(db_path, only, "first") == _labels_on(db_path, only, "second") == 1


def test_a_submit_under_a_session_of_another_dataset_is_refused(studio: Studio, db_path: Path) -> None:
    _one_item_dataset(studio)
    studio.store.save_session("tiny session", "tiny")
    demo_item = studio.desk.next_item("alice", "Demo session")
    with pytest.raises(NotFound, match="not in this session's dataset"):
        studio.desk.submit("alice", "tiny session", demo_item.id, "left", swapped=demo_item.swapped)
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]


def test_an_answer_in_one_session_never_reveals_what_another_hides(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("blind", DEMO, reveal_judge=False)
    studio.store.save_session("open", DEMO, reveal_judge=True)
    item = studio.desk.next_item("alice", "blind")
    run = studio.store.ensure_judge_run("fp", {"model": "judge-x"})
    studio.store.save_verdict(run, NewVerdict(item.id, "1", "ok", reason="secret"))
    with pytest.raises(Forbidden, match="handed to you in another session"):
        studio.desk.submit("alice", "open", item.id, "left", swapped=item.swapped, idempotency_key="k1")
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]
    hidden = studio.desk.submit("alice", "blind", item.id, "left", swapped=item.swapped, idempotency_key="k2")
    assert hidden.judge is None and hidden.judge_choice is None
    with pytest.raises(Forbidden, match="in another session"):  # a retry of the same submit, elsewhere
        studio.desk.submit("alice", "open", item.id, "left", swapped=item.swapped, idempotency_key="k2")
    with pytest.raises(Forbidden, match="answered this item in another session"):  # an edit (alice: no handle, s16)
        studio.desk.submit("alice", "open", item.id, "right", swapped=item.swapped)
    with pytest.raises(Forbidden):  # nor can she open it there
        studio.desk.open_item("alice", "open", item.id)
    nxt = studio.desk.next_item("alice", "open")
    assert nxt is not None and nxt.id != item.id  # and the open session never hands it to her again


def test_ratings_follow_the_same_rules(studio: Studio, db_path: Path) -> None:
    _one_item_dataset(studio)  # two responses
    studio.store.save_session("grades blind", "tiny", kind="single", overlap=1, reveal_judge=False)
    studio.store.save_session("grades open", "tiny", kind="single", overlap=1)
    item = studio.grading.next_item("alice", "grades blind")
    run = studio.store.ensure_judge_run("fp-single", {"model": "judge-x", "profile": "mtbench-single"})
    studio.store.save_judge_rating(run, NewJudgeRating(item.id, 9.0, "ok"))
    with pytest.raises(Forbidden, match="another session"):
        studio.grading.submit("alice", "grades open", item.id, 5)
    _sql(db_path, "UPDATE rating_assignments SET lease_expires_at = '2000-01-01 00:00:00'")
    # two responses, k = 1, each person's own order: bob and carol, leasing one after the other, hold both
    handed = {who: studio.grading.next_item(who, "grades blind").id for who in ("bob", "carol")}
    assert sorted(handed.values()) == sorted(r.id for r in studio.store.responses("tiny"))
    taker = next(who for who, got in handed.items() if got == item.id)
    studio.grading.submit(taker, "grades blind", item.id, 4)
    with pytest.raises(Conflict, match="is taken"):
        studio.grading.submit("alice", "grades blind", item.id, 5)
    assert _sql(db_path, "SELECT count(*) FROM ratings WHERE response_id = ?", item.id) == [(1,)]


# ---------------------------------------------------------------------- through REST
def test_rest_refuses_with_409_and_403_and_the_refusal_carries_no_verdict(live_app: Any) -> None:
    studio, url = live_app.studio, live_app.url
    _one_item_dataset(studio)  # one item: bob is handed it once alice's lease expired (each has an own order)
    studio.store.save_session("blind", "tiny", reveal_judge=False, overlap=1)
    studio.store.save_session("open", "tiny", reveal_judge=True)
    token = studio.access.api_token("alice")
    client = httpx.Client(base_url=url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    item = client.post("/sessions/blind/next").json()["item"]
    comparison_id = studio.desk.handles.resolve("alice", "blind", item["item"])  # alice is told a handle (s15)
    run = studio.store.ensure_judge_run("fp", {"model": "judge-x"})
    studio.store.save_verdict(run, NewVerdict(comparison_id, "2", "ok", reason="the secret reason"))
    body = {"item": item["item"], "choice": "left"}
    refused = client.post("/labels", json={**body, "session": "open"})  # her handle names nothing there
    assert refused.status_code == 404 and f"no item {item['item']}" in refused.json()["detail"]
    assert "judge" not in refused.text and "secret" not in refused.text
    _expire(live_app.db_path, "alice")
    bob = studio.access.api_token("bob")
    taken = client.post("/sessions/blind/next", headers={"Authorization": f"Bearer {bob}"}).json()["item"]
    assert studio.desk.handles.resolve("bob", "blind", taken["item"]) == comparison_id
    late = client.post("/labels", json={**body, "session": "blind"})
    assert late.status_code == 409 and f"Item {item['item']} is taken" in late.json()["detail"]


# ---------------------------------------------------------------------- untrusted names on the page
def test_model_names_cannot_break_out_on_the_annotate_header_or_in_the_feedback(studio: Studio) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from ui.annotate import annotate_tab

    _one_item_dataset(studio, "evil names", (EVIL, "plain"))
    studio.store.save_session("open names", "evil names", blind=False, randomize_order=False)
    with gr.Blocks() as demo:
        page = annotate_tab(studio, demo)
    alice = gr.Request(username="alice")
    shown = handler(demo, "next_item")("open names", alice)
    title = by_id(shown)["annotate-left-title"]
    assert title == "### Left · `evil\u02cb</code><img src=x onerror=alert(1)>`"  # one code span, shown literally
    assert title.count("`") == 2
    args = (shown[page.shown_id], False, 1.0, 0, shown[page.shown_key], "left", 0, False, "", alice)
    after = by_id(handler(demo, "submit_label")("submit", "open names", *args))
    feedback = after["annotate-feedback"]
    assert "Left was `evil\u02cb</code><img src=x onerror=alert(1)>`, right was `plain`." in feedback
    assert feedback.count("`") == 4


# ---------------------------------------------------------------------- migration 0006
def test_migration_0006_backfills_the_one_session_and_goes_down_and_up_keeping_the_data(db_path: Path) -> None:
    from test_annotation_workflow import HEAD, _migrate, _schema_diff

    from annotation_store import open_store
    from annotation_store.db import make_engine, sqlite_url

    store = open_store(db_path)
    store.save_session("only", DEMO, overlap=2)
    store.save_session("grades", DEMO, kind="single")
    turn = store.lease("pairwise", "alice", "only")
    store.submit("pairwise", "alice", "only", turn.item.id, swapped=turn.swapped, verdict="1", idempotency_key="a1")
    store.save_label(turn.item.id, "bob", "2")  # outside any session
    rated = store.lease("single", "alice", "grades")
    store.submit("single", "alice", "grades", rated.item.id, rating=7)
    store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0005")
        assert "session_id" not in {row[1] for row in _sql(db_path, "PRAGMA table_info(labels)")}
        assert _sql(db_path, "SELECT count(*) FROM labels") == [(2,)]
        assert _sql(db_path, "SELECT count(*) FROM label_events") == [(2,)]  # not cascaded away by the rebuild
        assert _sql(db_path, "SELECT count(*) FROM rating_events") == [(1,)]
        _sql(db_path, "UPDATE annotation_sessions SET lease_seconds = 0 WHERE name = 'only'")  # allowed at 0005
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        sessions = "SELECT s.name FROM {} t JOIN annotation_sessions s ON s.id = t.session_id"
        assert _sql(db_path, sessions.format("labels")) == [("only",), ("only",)]  # the one pairwise session
        assert _sql(db_path, sessions.format("assignments")) == [("only",)]
        assert _sql(db_path, sessions.format("ratings")) == [("grades",)]
        assert _sql(db_path, "SELECT lease_seconds FROM annotation_sessions WHERE name = 'only'") == [(30,)]
        assert _sql(db_path, "PRAGMA foreign_key_check") == []
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
