"""Gold responses in grading sessions: attention checks with a known range of right ratings.

What a grader sees (the gold check after their submit, on the Grade page's message), what the
database holds (marks, ratings kept when a mark goes, nothing written on a refusal), which sessions
hand a gold response out (its scale only; elsewhere it is an ordinary item), and the migration.
"""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_annotation_workflow import HEAD, _migrate, _schema_diff

from annotation_store.db import make_engine, sqlite_url
from orchestration import AccessDenied, AdminDesk, Settings, Studio
from orchestration.grading import GradeOutcome
from ui.grading import outcome_markdown

DEMO = "judge-studio-demo"
WHY = "The answer is off topic: anything above 2 means the response was not read."


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("no judge is loaded in these tests")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("alice", "annotator"), ("bob", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=f"{name}-pass-1234")
    return s


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _visible(markdown: str) -> str:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def _responses(studio: Studio) -> list[int]:
    return [r.id for r in studio.store.responses(DEMO)]


def _grade(studio: Studio, who: str, session: str, rating: int | None) -> tuple[int, GradeOutcome]:
    item = studio.grading.next_item(who, session)
    assert item is not None
    outcome = studio.grading.submit(who, session, item.id, rating, skipped=rating is None)
    return item.id, outcome


# ---------------------------------------------------------------------- what graders get


def test_a_gold_response_comes_at_the_gold_rate_and_the_grader_reads_the_check(studio: Studio) -> None:
    gold = _responses(studio)[0]
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    studio.store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)

    # gold rate 0.5: exactly one of each grader's first 2 items is the gold check, at a drawn slot
    alice = [_grade(studio, "alice", "checks", 7) for _ in range(2)]
    assert [handed == gold for handed, _ in alice].count(True) == 1
    (_, wrong), (_, first) = sorted(alice, key=lambda pair: pair[0] != gold)
    assert first.gold is None and first.gold_correct is None
    assert "Gold check" not in _visible(outcome_markdown(first))
    assert wrong.gold_correct is False
    seen = _visible(outcome_markdown(wrong))
    assert seen.startswith(f"Gold check failed: you rated 7; the known rating is 1-2. {WHY}")

    bob = [_grade(studio, "bob", "checks", 2) for _ in range(2)]
    ((_, right),) = [(handed, outcome) for handed, outcome in bob if handed == gold]
    assert right.gold_correct is True
    assert _visible(outcome_markdown(right)).startswith("Gold check passed: you rated 2; the known rating is 1-2.")


def test_gold_responses_ignore_the_overlap_and_stay_out_of_the_ordinary_pool(studio: Studio) -> None:
    gold = _responses(studio)[0]
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 9, 10, WHY)
    studio.store.save_session("no-checks", DEMO, kind="single", overlap=1, gold_rate=0.0)
    handed = {_grade(studio, who, "no-checks", 5)[0] for who in ("alice", "bob") for _ in range(4)}
    assert gold not in handed and len(handed) == 8  # k = 1: everyone gets different, ordinary responses


def test_a_response_marked_on_another_scale_is_an_ordinary_item(studio: Studio, db_path: Path) -> None:
    studio.store.save_session("five", DEMO, kind="single", overlap=1, gold_rate=0.5, scale=5)
    handed = studio.grading.next_item("alice", "five")
    gold = handed.id  # marked gold on 1-10 while she reads it: on 1-5 it stays an ordinary item
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    outcome = studio.grading.submit("alice", "five", gold, 4)
    assert outcome.gold is None  # no check on 1-5
    assert _sql(db_path, "SELECT rating FROM ratings WHERE response_id = ?", gold) == [(4,)]


def test_a_skipped_gold_response_is_no_check_either_way(studio: Studio) -> None:
    gold = _responses(studio)[0]
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    studio.store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)
    # gold rate 0.5: the check is one of her first 2 items (she skips both)
    ((_, skipped),) = [pair for pair in (_grade(studio, "alice", "checks", None) for _ in range(2)) if pair[0] == gold]
    assert skipped.gold is None and skipped.gold_correct is None  # a skip reveals nothing, the known answer neither
    assert "Gold check" not in _visible(outcome_markdown(skipped))


# ---------------------------------------------------------------------- marking and unmarking


def test_the_admin_marks_edits_lists_and_removes_a_gold_response(studio: Studio, db_path: Path) -> None:
    admin = AdminDesk(studio)
    gold = _responses(studio)[1]
    admin.set_gold_rating("ada", float(gold), "10", 1.0, 3, WHY)  # a form's floats and a radio's text
    admin.set_gold_rating("ada", gold, 5, 4, 5, "Complete and correct.")  # editing the mark
    assert _sql(db_path, "SELECT response_id, scale, low, high, explanation FROM gold_ratings") == [
        (gold, 5, 4, 5, "Complete and correct.")
    ]
    listed = admin.gold_ratings("ada", DEMO)
    assert listed.to_dict("records") == [
        {
            "response_id": gold,
            "dataset": DEMO,
            "model": studio.store.get_response(gold).model,
            "scale": 5,
            "low": 4,
            "high": 5,
            "explanation": "Complete and correct.",
        }
    ]
    studio.store.save_session("five", DEMO, kind="single", overlap=1, gold_rate=0.5, scale=5)
    assert gold in [_grade(studio, "alice", "five", 4)[0] for _ in range(2)]  # gold rate 0.5: 1 in each 2
    assert admin.remove_gold_rating("ada", gold) == 1  # alice's rating stays, as an ordinary one
    assert _sql(db_path, "SELECT count(*) FROM gold_ratings") == [(0,)]
    assert _sql(db_path, "SELECT rating FROM ratings WHERE response_id = ?", gold) == [(4,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((10, 3, 2), r"The lowest right rating \(3\) is above the highest \(2\); nothing was saved."),
        ((5, 1, 6), "The highest right rating must be a whole number from 1 to 5, got 6"),
        ((7, 1, 2), "The gold scale must be one of 10, 5, got 7"),
        ((10, 0, 2), "The lowest right rating must be a whole number from 1 to 10, got 0"),
        ((10, 1.5, 2), "The lowest right rating must be a whole number, got 1.5"),
        ((10, None, 2), "Choose the scale and the lowest and highest right rating; nothing was saved."),
    ],
)
def test_a_bad_range_is_refused_naming_it_and_nothing_is_written(
    studio: Studio, db_path: Path, args: tuple[Any, ...], message: str
) -> None:
    gold = _responses(studio)[0]
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    with pytest.raises(ValueError, match=message):
        AdminDesk(studio).set_gold_rating("ada", gold, *args, "edited")
    assert _sql(db_path, "SELECT scale, low, high, explanation FROM gold_ratings") == [(10, 1, 2, WHY)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: a.set_gold_rating("ada", 99999, 10, 1, 2, WHY), "There is no response with id 99999"),
        (lambda a: a.set_gold_rating("ada", 1, 10, 1, 2, "  "), "Write an explanation"),
        (lambda a: a.remove_gold_rating("ada", 99999), "There is no response with id 99999; nothing was removed."),
        (lambda a: a.remove_gold_rating("ada", 1), "Response #1 is not gold; nothing was removed."),
    ],
)
def test_unknown_or_unmarked_responses_are_refused(studio: Studio, db_path: Path, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call(AdminDesk(studio))
    assert _sql(db_path, "SELECT count(*) FROM gold_ratings") == [(0,)]


@pytest.mark.parametrize("who", ["alice", "rita", None])
def test_only_admins_see_or_change_gold_responses(studio: Studio, db_path: Path, who: str | None) -> None:
    admin = AdminDesk(studio)
    for call in (
        lambda: admin.set_gold_rating(who, 1, 10, 1, 2, WHY),
        lambda: admin.remove_gold_rating(who, 1),
        lambda: admin.gold_ratings(who, DEMO),
    ):
        with pytest.raises(AccessDenied):
            call()
    assert _sql(db_path, "SELECT count(*) FROM gold_ratings") == [(0,)]


# ---------------------------------------------------------------------- migration 0014


def test_migration_0014_down_and_up_keeps_the_ratings(studio: Studio, db_path: Path) -> None:
    gold = _responses(studio)[0]
    AdminDesk(studio).set_gold_rating("ada", gold, 10, 1, 2, WHY)
    studio.store.save_session("checks", DEMO, kind="single", overlap=1, gold_rate=0.5)
    _grade(studio, "alice", "checks", 6)
    _grade(studio, "alice", "checks", 2)
    studio.store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0013")
        tables = {n for (n,) in _sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "gold_ratings" not in tables
        assert _sql(db_path, "SELECT count(*) FROM ratings WHERE skipped = 0") == [(2,)]
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)]
        assert _sql(db_path, "SELECT count(*) FROM gold_ratings") == [(0,)]
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- the Admin page


def test_the_admin_page_marks_and_unmarks_a_gold_response_and_says_what_happens(studio: Studio, db_path: Path) -> None:
    import gradio as gr
    from gradio_ids import by_id, handler

    from ui import build_ui

    page = build_ui(studio)
    mark, unmark = handler(page, "admin_set_gold_rating"), handler(page, "admin_remove_gold_rating")
    admin, gold = gr.Request(username="ada"), _responses(studio)[2]
    shown = by_id(mark(float(gold), "5", 1.0, 2.0, "<b>Off topic</b>", DEMO, admin))
    assert (
        _visible(shown["admin-gold-rating-result"])
        == f"Response #{gold} is gold on the 1-5 scale: ratings 1-2 are right."
    )
    table = shown["admin-gold-ratings"]
    assert table[["response_id", "scale", "low", "high", "explanation"]].values.tolist() == [
        [gold, 5, 1, 2, "<b>Off topic</b>"]  # markup stays text in a Dataframe cell
    ]
    refused = by_id(mark(float(gold), "5", 3.0, 2.0, "x", DEMO, admin))
    assert "The lowest right rating (3) is above the highest (2)" in _visible(refused["admin-gold-rating-result"])
    assert "admin-gold-ratings" not in refused  # the table is left as it was
    studio.store.save_rating(gold, "alice", 1)
    removed = by_id(unmark(float(gold), DEMO, admin))
    assert _visible(removed["admin-gold-rating-result"]) == (
        f"Response #{gold} is no longer gold; its 1 rating stays, as an ordinary rating. It is back in the normal pool."
    )
    assert removed["admin-gold-ratings"].empty
    denied = by_id(mark(float(gold), "10", 1.0, 2.0, "x", DEMO, gr.Request(username="rita")))
    assert "admin" in _visible(denied["admin-gold-rating-result"]).lower()
    assert _sql(db_path, "SELECT count(*) FROM gold_ratings") == [(0,)]
