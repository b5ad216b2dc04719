"""Single-answer grading sessions (MT-Bench style, 1-10): the store's ratings, leases and judge ratings,
the GradingDesk as annotators live it, the real demo judge rating responses, rating correlations on
the dashboard, and migration 0005."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from test_annotation_workflow import HEAD

from analysis.statistics import rating_correlations
from annotation_store import NewJudgeRating, Store, StoreError
from annotation_store.db import MIGRATIONS, WRITE, make_engine, sqlite_url
from annotation_store.models import Base
from orchestration import DEMO_GRADING_SESSION, DEMO_SESSION, AccessDenied, Settings, Studio

DEMO = "judge-studio-demo"


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _migrate(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(**WRITE).begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _schema_diff(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, Base.metadata))


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name in ("alice", "bob", "carol"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- store
def test_one_rating_per_response_and_annotator_with_versions_and_events(store: Store, db_path: Path) -> None:
    first = store.save_rating(1, "alice", 7, confidence=4, comment="fine", time_on_item_ms=900)
    assert (first.rating, first.version, first.confidence) == (7, 1, 4)
    assert store.save_rating(1, "alice", 7, confidence=4, comment="fine", time_on_item_ms=900).version == 1  # no-op
    second = store.save_rating(1, "alice", 3)
    assert (second.rating, second.version) == (3, 2)
    assert _sql(db_path, "SELECT count(*) FROM ratings") == [(1,)]
    assert list(store.rating_events()["version"]) == [1, 2]
    assert store.rating_of(1, "alice") == second
    frame = store.ratings(DEMO)
    assert list(frame["rating"]) == [3] and frame.loc[0, "model"] and frame.loc[0, "prompt"]


def test_idempotent_retries_and_a_stale_retry_never_overwrites(store: Store) -> None:
    store.save_rating(2, "alice", 5, idempotency_key="k1")
    assert store.save_rating(2, "alice", 5, idempotency_key="k1").version == 1  # the retry: stored once
    store.save_rating(2, "alice", 9, idempotency_key="k2")
    stale = store.save_rating(2, "alice", 5, idempotency_key="k1")  # a late retry of the first submit
    assert (stale.rating, stale.version) == (9, 2)
    with pytest.raises(StoreError, match="already used for another rating"):
        store.save_rating(3, "alice", 5, idempotency_key="k1")


def test_expected_version_refuses_an_edit_of_a_changed_rating(store: Store) -> None:
    store.save_rating(4, "alice", 6, expected_version=0)
    store.save_rating(4, "alice", 8, expected_version=1)
    with pytest.raises(StoreError, match="changed elsewhere"):
        store.save_rating(4, "alice", 2, expected_version=1)
    assert store.rating_of(4, "alice").rating == 8


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((0,), {}, "rating must be a whole number from 1 to 10"),
        ((11,), {}, "rating must be a whole number from 1 to 10"),
        ((7.5,), {}, "rating must be a whole number"),
        ((None,), {}, "Choose a rating from 1 to 10"),
        ((5,), {"skipped": True}, "skipped response has no rating"),
        ((5,), {"confidence": 6}, "confidence must be"),
        ((5,), {"comment": "x" * 10_001}, "comment must be text"),
        ((5,), {"time_on_item_ms": -1}, "time on item"),
        ((5,), {"flagged": "yes"}, "flagged must be True or False"),
    ],
)
def test_bad_ratings_are_refused_naming_the_field_and_nothing_is_written(
    store: Store, db_path: Path, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.save_rating(1, "alice", *args, **kwargs)
    with pytest.raises(StoreError, match="no response with id 99999"):
        store.save_rating(99999, "alice", 5)
    assert _sql(db_path, "SELECT count(*) FROM ratings") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM rating_events") == [(0,)]


def test_database_refuses_a_rating_with_a_skip(store: Store, db_path: Path) -> None:
    store.save_rating(1, "alice", 5)
    with pytest.raises(sqlite3.IntegrityError):
        _sql(db_path, "UPDATE ratings SET skipped = 1")


def test_leases_keep_annotators_apart_respect_overlap_and_a_reload_keeps_the_lease(store: Store) -> None:
    a = store.lease_next_response("alice", DEMO, overlap=1)
    b = store.lease_next_response("bob", DEMO, overlap=1)
    assert a is not None and b is not None and a.id != b.id
    assert store.lease_next_response("alice", DEMO, overlap=1).id == a.id  # a reload
    c = store.lease_next_response("carol", DEMO, overlap=2)  # least covered first: an untouched response
    assert c is not None and c.id not in {a.id, b.id}
    store.save_rating(a.id, "alice", 6)
    assert store.lease_next_response("alice", DEMO, overlap=1).id not in {a.id, b.id}
    progress = store.rating_progress("alice", DEMO, 1)
    assert (progress.mine, progress.done) == (1, 1) and progress.total == len(store.responses(DEMO))
    with pytest.raises(StoreError, match="overlap"):
        store.lease_next_response("alice", DEMO, overlap=0)
    with pytest.raises(StoreError, match="no dataset"):
        store.lease_next_response("alice", "nope")


def test_judge_ratings_keep_a_score_only_when_parsed(store: Store, db_path: Path) -> None:
    run = store.ensure_judge_run("fp-single", {"model": "m", "profile": "mtbench-single"})
    store.save_judge_rating(run, NewJudgeRating(1, 8.5, "ok", reason="good"))
    store.save_judge_rating(run, NewJudgeRating(2, None, "unparsed", raw_output="no marker"))
    with pytest.raises(StoreError, match="exactly when the status is 'ok'"):
        store.save_judge_rating(run, NewJudgeRating(3, None, "ok"))
    with pytest.raises(StoreError, match="exactly when the status is 'ok'"):
        store.save_judge_rating(run, NewJudgeRating(3, 5.0, "unparsed"))
    with pytest.raises(StoreError, match="from 1 to 10"):
        store.save_judge_rating(run, NewJudgeRating(3, 11.0, "ok"))
    store.save_judge_rating(run, NewJudgeRating(1, 9.0, "ok"))  # replaces: one per (run, response)
    frame = store.judge_ratings(DEMO)
    assert list(frame["response_id"]) == [1, 2] and frame.loc[0, "score"] == 9.0 and pd.isna(frame.loc[1, "score"])
    assert store.rated_response_ids(run) == {1, 2}
    assert store.latest_judge_rating(2).status == "unparsed"
    with pytest.raises(sqlite3.IntegrityError):
        _sql(db_path, "UPDATE judge_ratings SET score = NULL WHERE status = 'ok'")


# ---------------------------------------------------------------------- the grading desk
def test_demo_grading_session_is_seeded_once(studio: Studio, db_path: Path) -> None:
    session = studio.store.get_session(DEMO_GRADING_SESSION)
    assert (session.kind, session.overlap, session.blind) == ("single", 2, True)
    Studio.open(Settings(home=db_path.parent), store=studio.store)
    assert [s.name for s in studio.store.sessions()].count(DEMO_GRADING_SESSION) == 1
    assert [s.name for s in studio.grading.sessions("alice")] == [DEMO_GRADING_SESSION]
    assert DEMO_GRADING_SESSION not in [s.name for s in studio.desk.sessions("alice")]


def test_grading_is_blind_and_the_judge_is_revealed_only_after_submit(studio: Studio) -> None:
    item = studio.grading.next_item("alice", DEMO_GRADING_SESSION)
    assert item is not None and item.model is None and item.rating is None
    run = studio.store.ensure_judge_run("fp-single", {"model": "judge-x", "profile": "mtbench-single"})
    studio.store.save_judge_rating(run, NewJudgeRating(item.response.id, 7.0, "ok", reason="solid"))
    assert "judge" not in {f for f in item.__dataclass_fields__}  # nothing of the judge before the submit
    outcome = studio.grading.submit("alice", DEMO_GRADING_SESSION, item.response.id, 4, idempotency_key="x1")
    assert outcome.rating.rating == 4 and outcome.judge is not None and outcome.judge.score == 7.0
    assert outcome.model == item.response.model
    # a session that does not reveal the judge never does
    studio.store.save_session(DEMO_GRADING_SESSION, DEMO, reveal_judge=False, blind=False)
    again = studio.grading.submit("alice", DEMO_GRADING_SESSION, item.response.id, 5)
    assert again.judge is None and again.rating.version == 2
    following = studio.grading.next_item("alice", DEMO_GRADING_SESSION)
    assert following.model == following.response.model  # not blind any more


def test_previous_reopens_an_earlier_rating_for_editing(studio: Studio) -> None:
    studio.store.save_session(DEMO_GRADING_SESSION, "judge-studio-demo", reveal_judge=False)  # edits stay open
    first = studio.grading.next_item("alice", DEMO_GRADING_SESSION)
    studio.grading.submit("alice", DEMO_GRADING_SESSION, first.response.id, 6)
    second = studio.grading.next_item("alice", DEMO_GRADING_SESSION)
    back = studio.grading.previous("alice", DEMO_GRADING_SESSION, second.response.id)
    assert back.response.id == first.response.id and back.rating.rating == 6
    studio.grading.submit("alice", DEMO_GRADING_SESSION, back.response.id, 2, expected_version=1)
    with pytest.raises(StoreError, match="changed elsewhere"):
        studio.grading.submit("alice", DEMO_GRADING_SESSION, back.response.id, 3, expected_version=1)
    skipped = studio.grading.submit("alice", DEMO_GRADING_SESSION, second.response.id, None, skipped=True)
    assert skipped.rating.skipped and skipped.rating.rating is None


def test_grading_refuses_wrong_roles_sessions_and_items(studio: Studio) -> None:
    with pytest.raises(AccessDenied, match="not logged in"):
        studio.grading.next_item(None, DEMO_GRADING_SESSION)
    with pytest.raises(AccessDenied):
        studio.grading.next_item("mallory", DEMO_GRADING_SESSION)
    with pytest.raises(StoreError, match="pairwise session"):
        studio.grading.next_item("alice", DEMO_SESSION)
    with pytest.raises(StoreError, match="Grade page"):
        studio.desk.next_item("alice", DEMO_GRADING_SESSION)
    with pytest.raises(StoreError, match="not handed to you"):
        studio.grading.submit("alice", DEMO_GRADING_SESSION, 3, 5)
    studio.store.update_account("bob", active=False)
    with pytest.raises(AccessDenied):
        studio.grading.next_item("bob", DEMO_GRADING_SESSION)


def test_session_kind_is_checked(studio: Studio) -> None:
    with pytest.raises(StoreError, match="kind 'triple' is not one of pairwise, single"):
        studio.store.save_session("x", DEMO, kind="triple")
    assert "x" not in {s.name for s in studio.store.sessions()}


# ---------------------------------------------------------------------- the real judge
def test_rate_dataset_with_the_real_demo_judge_stores_what_it_wrote(db_path: Path) -> None:
    from judge_runtime import load_judge

    studio = Studio.open(Settings(home=db_path.parent, max_new_tokens=24), judge_loader=load_judge)
    summary = studio.rate_dataset(DEMO, limit=2)
    assert summary.rated == 2 and summary.skipped == 0
    frame = studio.store.judge_ratings(DEMO)
    assert len(frame) == 2 and set(frame["profile"]) == {"mtbench-single"}
    ok = frame["status"] == "ok"
    assert summary.unparsed == int((~ok).sum())
    assert frame.loc[ok, "score"].between(1, 10).all() and frame.loc[~ok, "score"].isna().all()
    again = studio.rate_dataset(DEMO, limit=2)  # the same fingerprint: the rated ones are skipped
    assert again.skipped == 2 and again.run_id == summary.run_id
    assert set(studio.store.judge_ratings(DEMO)["response_id"]) >= set(frame["response_id"])


def test_rate_dataset_refuses_a_pairwise_judge(db_path: Path) -> None:
    class Fake:
        class profile:  # noqa: N801 - stands in for a Profile
            kind, name = "pair", "pandalm"

    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: Fake())
    with pytest.raises(Exception, match="rating needs 'mtbench-single'"):
        studio.rate_dataset(DEMO, limit=1)


# ---------------------------------------------------------------------- correlations
def test_rating_correlations_on_a_hand_made_case() -> None:
    rows = pd.DataFrame(
        {
            "item": ["p1", "p1", "p1", "p2", "p2", "p2"],
            "model": ["a", "b", "c", "a", "b", "c"],
            "human": [9.0, 5.0, 1.0, 8.0, 6.0, 2.0],
            "judge": [8.0, 6.0, 2.0, 2.0, 6.0, 8.0],
        }
    )
    table = rating_correlations(rows)
    assert table.loc["item", "n"] == 2 and table.loc["item", "spearman"] == pytest.approx(0.0)
    assert table.loc["system", "n"] == 3
    assert table.loc["system", "pearson"] == pytest.approx(
        pd.Series([8.5, 5.5, 1.5]).corr(pd.Series([5.0, 6.0, 5.0])), abs=1e-9
    )


# ---------------------------------------------------------------------- migration 0005
def test_migration_0005_down_and_up_keeps_the_data(db_path: Path, store: Store) -> None:
    store.save_label(1, "alice", "1")
    store.save_session("pairs", DEMO, overlap=2)
    store.save_session("grades", DEMO, kind="single")
    store.save_rating(1, "alice", 7)
    store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0004")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [("0004",)]
        assert ("pairs",) in _sql(db_path, "SELECT name FROM annotation_sessions")
        assert ("grades",) not in _sql(db_path, "SELECT name FROM annotation_sessions")
        assert _sql(db_path, "SELECT comparison_id, verdict FROM labels") == [(1, "1")]
        tables = {n for (n,) in _sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not {"ratings", "rating_events", "rating_assignments", "judge_ratings"} & tables
        with pytest.raises(sqlite3.IntegrityError):
            _sql(db_path, "UPDATE annotation_sessions SET kind = 'single'")
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert _sql(db_path, "SELECT name, overlap, kind FROM annotation_sessions WHERE name = 'pairs'") == [
            ("pairs", 2, "pairwise")
        ]
        assert _sql(db_path, "SELECT count(*) FROM labels") == [(1,)]
        assert _sql(db_path, "PRAGMA foreign_key_check") == []
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


def test_settings_replace_keeps_the_rating_profile_apart(db_path: Path) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    spec = studio.rating_spec
    assert spec.profile == "mtbench-single" and spec.verdict_mode == "generate"
    assert replace(spec, profile=studio.judge_spec.profile) == replace(
        studio.judge_spec, verdict_mode="generate", both_orders=False
    )


# ---------------------------------------------------------------------- dashboard and page handlers
def test_dashboard_shows_rating_correlations_only_with_human_ratings(studio: Studio) -> None:
    from ui.dashboard import dashboard_outputs, rating_markdown
    from ui.dashboard_layout import FIGURE_IDS

    board = studio.dashboard(DEMO)
    assert board.ratings is None and "No single-answer ratings" in rating_markdown(board)
    responses = studio.store.responses(DEMO)[:6]
    run = studio.store.ensure_judge_run("fp-single", {"model": "judge-x", "profile": "mtbench-single"})
    for i, r in enumerate(responses):
        studio.store.save_rating(r.id, "alice", 1 + i)
        studio.store.save_rating(r.id, "bob", 2 + i)
        studio.store.save_judge_rating(run, NewJudgeRating(r.id, float(10 - i), "ok"))
    studio.store.save_rating(responses[0].id, "carol", None, skipped=True)  # skips do not count
    board = studio.dashboard(DEMO)
    ratings = board.ratings
    assert ratings is not None and ratings.n_ratings == 12 and ratings.n_responses == 6 and ratings.judge_run == run
    assert ratings.points.loc[0, "human"] == pytest.approx(1.5) and ratings.points.loc[0, "judge"] == 10.0
    assert list(ratings.correlations.index) == ["item", "system"]
    text = rating_markdown(board)
    assert "| level | Pearson" in text and "| item |" in text and "| system |" in text
    outputs = dashboard_outputs(board)
    assert len(outputs) == len(FIGURE_IDS) and outputs[11] == text


def test_grade_page_handlers_check_the_role_and_hide_the_judge_until_submit(studio: Studio) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from ui.grading import grading_tab

    with gr.Blocks() as demo:
        page = grading_tab(studio, demo)

    alice = gr.Request(username="alice")
    shown = handler(demo, "next_response")(DEMO_GRADING_SESSION, alice)
    response_id, version, key = shown[page.shown_id], shown[page.shown_version], shown[page.shown_key]
    on_screen = by_id(shown)
    assert on_screen["grade-response-title"] == "### Response"  # blind: no model name
    run = studio.store.ensure_judge_run("fp-single", {"model": "judge-x", "profile": "mtbench-single"})
    studio.store.save_judge_rating(run, NewJudgeRating(response_id, 6.0, "ok"))
    assert not any("judge" in str(on_screen[i]).lower() for i in ("grade-header", "grade-prompt", "grade-response"))
    submit = handler(demo, "submit_rating")
    updates = submit("submit", DEMO_GRADING_SESSION, response_id, False, 1.0, version, key, "8", 0, False, "", alice)
    after = by_id(updates)
    assert "Rated **8**/10" in after["grade-feedback"] and "judge rated it **6**/10" in after["grade-feedback"]
    assert studio.store.rating_of(response_id, "alice").rating == 8
    assert updates[page.shown_id] not in (None, response_id)  # the next response came with the submit
    # a refusal is a note in the feedback line (the form stays usable), never an error overlay
    anonymous = by_id(handler(demo, "next_response")(DEMO_GRADING_SESSION, gr.Request(username=None)))
    assert anonymous["grade-feedback"].startswith("⚠") and "not logged in" in anonymous["grade-feedback"]
    empty = by_id(submit("submit", DEMO_GRADING_SESSION, response_id, False, 1.0, 1, "k", None, 0, False, "", alice))
    assert empty["grade-feedback"].startswith("⚠") and "Choose a rating" in empty["grade-feedback"]
