"""Grading scales and rubrics (issue 11, item 1 on the people's side): a grading session rates 1-10 or
1-5, with an optional rubric (Prometheus 2 layout) shown on the Grade page and given to rubric-using
judges; submits outside the scale are refused in the store's write transaction; the dashboard only
compares people and judge on the same scale; migration 0010 keeps existing sessions at 1-10."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_grading import _migrate

from analysis.ratings import rating_summary
from annotation_store import NewJudgeRating, StoreError
from annotation_store.db import make_engine, sqlite_url
from orchestration import DEMO_GRADING_SESSION, Settings, Studio
from orchestration.grading import DEFAULT_RUBRIC_TEXT, rating_profile, session_rubric

DEMO = "judge-studio-demo"
RUBRIC = (
    "[Is the answer <b>kind</b> | and correct?]\n"
    "Score 1: Rude and wrong.\n"
    "Score 2: Rude or wrong.\n"
    "Score 3: Neither.\n"
    "Score 4: Kind, mostly right.\n"
    "Score 5: Kind and right <script>alert(1)</script>."
)


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- the session's scale and rubric
def test_sessions_rate_1_10_by_default_and_1_5_with_a_rubric(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("ten", DEMO, kind="single")
    assert studio.store.session_grading("ten") == {"scale": 10, "rubric": ""}
    studio.store.save_session("five", DEMO, kind="single", scale=5, rubric=RUBRIC)
    assert studio.store.session_grading("five") == {"scale": 5, "rubric": RUBRIC}
    assert _sql(db_path, "SELECT name, scale FROM annotation_sessions WHERE name IN ('ten', 'five') ORDER BY id") == [
        ("ten", 10),
        ("five", 5),
    ]
    studio.store.save_session("plain5", DEMO, kind="single", scale=5)  # no rubric: upstream's default
    assert session_rubric(5, "") == DEFAULT_RUBRIC_TEXT and DEFAULT_RUBRIC_TEXT.startswith("[Does the model provide")
    assert session_rubric(10, "") == ""
    item = studio.grading.next_item("alice", "plain5")
    assert item is not None and item.scale == 5 and item.rubric == DEFAULT_RUBRIC_TEXT


def test_the_admin_sessions_table_shows_each_grading_session_scale(studio: Studio) -> None:
    from orchestration.admin import AdminDesk
    from ui.admin import sessions_frame

    studio.store.create_annotator("ada", role="admin", password="ada-pass-1")
    studio.store.save_session("five", DEMO, kind="single", scale=5, rubric=RUBRIC)
    studio.store.save_session("ten", DEMO, kind="single")
    table = sessions_frame(AdminDesk(studio).sessions("ada")).set_index("name")
    assert table.loc["five", "scale"] == "1-5" and table.loc["ten", "scale"] == "1-10"
    assert set(table.loc[table["kind"] == "pairwise", "scale"]) == {"–"}  # pairwise sessions have no scale


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"scale": 7}, r"rating scale must be 10 \(1-10\) or 5 \(1-5\), got 7"),
        ({"scale": True}, "rating scale must be 10"),
        ({"scale": 5, "rubric": "Be kind."}, "criterion in square brackets"),
        ({"scale": 5, "rubric": "[Kind?]\nScore 1: a\nScore 2: b\nScore 4: d\nScore 5: e"}, "line 3 should start"),
        ({"scale": 5, "rubric": "[Kind?]\nScore 1: a\nScore 2: b\nScore 3: c\nScore 4: d"}, "got nothing"),
        ({"scale": 10, "rubric": RUBRIC}, "1-10 session needs one line per score.*line 6"),
        ({"scale": 5, "rubric": RUBRIC + "\nScore 6: too many"}, "exactly 5 score lines"),
        ({"rubric": 42}, "rubric must be text"),
    ],
)
def test_bad_scales_and_rubrics_are_refused_naming_what_is_wrong(
    studio: Studio, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        studio.store.save_session("bad", DEMO, kind="single", **settings)
    assert "bad" not in {s.name for s in studio.store.sessions()}


def test_pairwise_sessions_have_no_scale_and_a_rated_session_keeps_its_scale(studio: Studio) -> None:
    with pytest.raises(StoreError, match="belong to single-answer sessions"):
        studio.store.save_session("pairs", DEMO, scale=5)
    studio.store.save_session("g", DEMO, kind="single", scale=5)
    item = studio.grading.next_item("alice", "g")
    assert item is not None
    studio.grading.submit("alice", "g", item.id, 4)
    with pytest.raises(StoreError, match="already has 1 rating.*1-5 scale; its scale cannot change"):
        studio.store.save_session("g", DEMO, scale=10)
    studio.store.save_session("g", DEMO, rubric=RUBRIC)  # the rubric may be edited
    assert studio.store.session_grading("g") == {"scale": 5, "rubric": RUBRIC}


# ---------------------------------------------------------------------- submits on the scale
def test_a_rating_outside_the_session_scale_is_refused_in_the_transaction(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("five", DEMO, kind="single", scale=5, rubric=RUBRIC)
    item = studio.grading.next_item("alice", "five")
    assert item is not None
    for bad in (6, 10):
        with pytest.raises(StoreError, match=f"This session rates 1-5: a rating of {bad} is outside its scale"):
            studio.grading.submit("alice", "five", item.id, bad)
    assert _sql(db_path, "SELECT count(*) FROM ratings") == [(0,)]
    assert _sql(db_path, "SELECT count(*) FROM rating_events") == [(0,)]
    with pytest.raises(StoreError, match="from 1 to 10"):  # 11 is refused before any SQL, on every path
        studio.grading.submit("alice", "five", item.id, 11)
    outcome = studio.grading.submit("alice", "five", item.id, 5)
    assert outcome.rating.rating == 5 and outcome.scale == 5
    assert _sql(db_path, "SELECT rating FROM ratings") == [(5,)]
    studio.store.save_session("ten", DEMO, kind="single")  # a 1-10 session still takes 10
    other = studio.grading.next_item("bob", "ten")
    assert other is not None and studio.grading.submit("bob", "ten", other.id, 10).rating.rating == 10
    frame = studio.store.ratings(DEMO)
    assert sorted(zip(frame["rating"], frame["scale"], strict=True)) == [(5, 5), (10, 10)]


# ---------------------------------------------------------------------- the Grade page
def test_the_grade_page_offers_the_session_scale_and_shows_the_rubric_escaped(studio: Studio) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from ui.grading import grading_tab

    studio.store.save_session("five", DEMO, kind="single", scale=5, rubric=RUBRIC, reveal_judge=True)
    with gr.Blocks() as demo:
        page = grading_tab(studio, demo)
    alice = gr.Request(username="alice")
    shown = handler(demo, "next_response")("five", alice)
    on_screen = by_id(shown)
    radio = on_screen["grade-rating"]
    assert radio.choices == [(str(n), str(n)) for n in range(1, 6)] and "1-5" in radio.label
    rubric = on_screen["grade-rubric"]
    assert "| 5 | Kind and right &lt;script&gt;alert\\(1\\)&lt;/script&gt;\\. |" in rubric
    assert "<b>" not in rubric and "<script>" not in rubric and "\\|" in rubric  # a | in the criterion is escaped
    response_id, version, key = shown[page.shown_id], shown[page.shown_version], shown[page.shown_key]
    run = studio.store.ensure_judge_run("fp-p2", {"model": "judge-x", "profile": "prometheus2-absolute"})
    studio.store.save_judge_rating(run, NewJudgeRating(response_id, 3.0, "ok"), scale=5)
    submit = handler(demo, "submit_rating")
    refused = by_id(submit("submit", "five", response_id, False, 1.0, version, key, "7", 0, False, "", alice))
    assert "This session rates 1\\-5" in refused["grade-feedback"] and refused["grade-feedback"].startswith("⚠")
    assert studio.store.rating_of(response_id, "alice") is None  # nothing was saved
    after = by_id(submit("submit", "five", response_id, False, 1.0, version, key, "4", 0, False, "", alice))
    assert "Rated **4**/5" in after["grade-feedback"] and "judge rated it **3**/5" in after["grade-feedback"]
    ten = by_id(handler(demo, "next_response")(DEMO_GRADING_SESSION, alice))
    assert len(ten["grade-rating"].choices) == 10 and ten["grade-rubric"] == ""  # 1-10 demo session: no rubric


# ---------------------------------------------------------------------- people vs judge on one scale
def _ratings(scale: int, values: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": range(len(values)),
            "prompt": [f"p{i // 2}" for i in range(len(values))],
            "model": ["a", "b"] * (len(values) // 2),
            "rating": values,
            "skipped": False,
            "scale": scale,
        }
    )


def _judge(scale: int, scores: list[float], run: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": range(len(scores)),
            "run_id": run,
            "judge": "j",
            "score": scores,
            "status": "ok",
            "scale": scale,
        }
    )


def test_a_1_5_judge_is_not_compared_with_1_10_people_and_says_so() -> None:
    from ui.plots import rating_scatter_figure

    summary = rating_summary(_ratings(10, [9, 2, 8, 3]), _judge(5, [5, 1, 4, 2]))
    assert summary is not None and summary.scale == 10 and summary.judge_scale == 5
    assert summary.points["judge"].isna().all() and summary.correlations.empty
    assert "rates 1-5 and people rated 1-10: not compared" in summary.note
    figure = rating_scatter_figure(summary)
    assert "people (1-10) vs judge (1-5): not compared" in figure.layout.title.text.replace("<br>", " ")
    same = rating_summary(_ratings(5, [5, 1, 4, 2]), _judge(5, [5, 1, 4, 2]))
    assert same is not None and same.scale == 5 and same.note == ""
    assert same.points["judge"].tolist() == [5.0, 1.0, 4.0, 2.0]
    assert same.correlations.loc["system", "pearson"] == pytest.approx(1.0)
    plotted = rating_scatter_figure(same)
    assert plotted.layout.title.text == "Ratings: people vs judge (1-5)" and list(plotted.layout.xaxis.range) == [
        0.5,
        5.5,
    ]


def test_people_on_two_scales_are_compared_on_the_judge_scale() -> None:
    both = pd.concat([_ratings(10, [9, 2]), _ratings(5, [5, 1]).assign(response_id=[0, 1])], ignore_index=True)
    summary = rating_summary(both, _judge(5, [4, 2]))
    assert summary is not None and summary.scale == 5 and summary.n_ratings == 2
    assert "2 human ratings on another scale left out (compared: 1-5)" in summary.note
    old = rating_summary(_ratings(10, [9, 2]).drop(columns="scale"), _judge(10, [8, 3]).drop(columns="scale"))
    assert old is not None and old.scale == 10 and old.points["judge"].tolist() == [8.0, 3.0]  # no column: 1-10


def test_judge_ratings_keep_their_scale_and_are_checked_against_it(studio: Studio) -> None:
    run = studio.store.ensure_judge_run("fp-p2", {"model": "judge-x", "profile": "prometheus2-absolute"})
    response = studio.store.responses(DEMO)[0].id
    with pytest.raises(StoreError, match="from 1 to 5, got 7"):
        studio.store.save_judge_rating(run, NewJudgeRating(response, 7.0, "ok"), scale=5)
    with pytest.raises(StoreError, match="scale must be 10 or 5"):
        studio.store.save_judge_rating(run, NewJudgeRating(response, 3.0, "ok"), scale=3)
    studio.store.save_judge_rating(run, NewJudgeRating(response, 3.5, "ok"), scale=5, rating_sd=0.5)
    frame = studio.store.judge_ratings(DEMO)
    assert frame[["score", "scale", "rating_sd"]].values.tolist() == [[3.5, 5, 0.5]]


# ---------------------------------------------------------------------- the session's rubric reaches the judge
def test_the_session_rubric_is_the_one_a_rubric_using_judge_gets() -> None:
    from judge_runtime import SingleCase
    from judge_runtime.loading import prompt_template_hash
    from judge_runtime.profiles import render

    case = SingleCase("Say hello.", "Hello!")
    profile = rating_profile("prometheus2-absolute", 5, RUBRIC)
    prompt = render(profile, case).text or ""
    assert "###Score Rubrics:\n" + RUBRIC + "\n" in prompt  # the session's rubric, byte for byte
    default = rating_profile("prometheus2-absolute", 5, "")  # no rubric of its own: upstream's default
    assert DEFAULT_RUBRIC_TEXT in (render(default, case).text or "")
    assert prompt_template_hash(profile) != prompt_template_hash(default)  # so a run per rubric
    selene = rating_profile("selene-absolute", 5, RUBRIC)
    content = (render(selene, case).messages or ({"content": ""},))[0]["content"]
    assert "[Is the answer <b>kind</b> | and correct?]" in content  # Selene's own layout of the same rubric
    assert "Score 5: Kind and right <script>alert(1)</script>." in content
    assert rating_profile("mtbench-single", 10, "").name == "mtbench-single"
    with pytest.raises(StoreError, match="rates 1-10 but the session rates 1-5: use prometheus2-absolute"):
        rating_profile("mtbench-single", 5, RUBRIC)
    with pytest.raises(StoreError, match="rates 1-5 but the session rates 1-10: use mtbench-single"):
        rating_profile("prometheus2-absolute", 10, "")
    with pytest.raises(StoreError, match="compares two responses"):
        rating_profile("pandalm", 10, "")


def test_rate_dataset_checks_the_session_before_loading_the_judge(studio: Studio) -> None:
    studio.store.save_session("five", DEMO, kind="single", scale=5)
    with pytest.raises(StoreError, match="rates 1-10 but the session rates 1-5"):
        studio.rate_dataset(DEMO, limit=1, session="five")  # mtbench-single on a 1-5 session
    with pytest.raises(StoreError, match="is on 'judge-studio-demo', not on 'other'"):
        studio.rate_dataset("other", limit=1, session="five", profile="prometheus2-absolute")


@pytest.mark.model
def test_the_real_demo_judge_rates_a_1_5_session_against_its_rubric(db_path: Path) -> None:
    from judge_runtime import load_judge
    from judge_runtime.loading import prompt_template_hash

    studio = Studio.open(Settings(home=db_path.parent, max_new_tokens=8), judge_loader=load_judge)
    studio.store.save_session("five", DEMO, kind="single", scale=5, rubric=RUBRIC)
    summary = studio.rate_dataset(DEMO, limit=2, profile="prometheus2-absolute", session="five")
    assert summary.rated == 2 and summary.rubric == RUBRIC and summary.profile == "prometheus2-absolute"
    frame = studio.store.judge_ratings(DEMO)
    assert len(frame) == 2 and set(frame["scale"]) == {5} and set(frame["profile"]) == {"prometheus2-absolute"}
    fingerprint = studio.rater("prometheus2-absolute", "five").fingerprint
    assert fingerprint["prompt_template_hash"] == prompt_template_hash(
        rating_profile("prometheus2-absolute", 5, RUBRIC)
    )
    plain = studio.rate_dataset(DEMO, limit=1, profile="prometheus2-absolute")  # no session: default rubric
    assert plain.run_id != summary.run_id and plain.rubric == DEFAULT_RUBRIC_TEXT


def test_migration_0010_keeps_existing_sessions_at_1_10_and_goes_down(db_path: Path, studio: Studio) -> None:
    studio.store.save_session("g", DEMO, kind="single", scale=5, rubric=RUBRIC)
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0009")
        columns = {row[1] for row in _sql(db_path, "PRAGMA table_info(annotation_sessions)")}
        assert "scale" not in columns and "rubric" not in columns
        assert _sql(db_path, "SELECT count(*) FROM sqlite_master WHERE name = 'rating_draws'") == [(0,)]
        _migrate(engine, "upgrade", "head")
    finally:
        engine.dispose()
    assert _sql(db_path, "SELECT name, scale, rubric FROM annotation_sessions WHERE name = 'g'") == [("g", 10, "")]
    assert _sql(db_path, "SELECT scale FROM judge_ratings") == []
