"""Session guideline versions (issue 12 item 6): every saved change of a session's guidelines is a new
version, each label records the version it was submitted under, the Annotate page names the version
being read, the report gives agreement per version, and migration 0009 backfills version 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic import command
from alembic.config import Config

from analysis.guideline_versions import GuidelineInputs, agreement_by_guideline_version, pairwise_agreement
from annotation_store import NewVerdict, StoreError
from annotation_store.db import MIGRATIONS, WRITE, make_engine, sqlite_url
from orchestration import DEMO_SESSION, Settings, Studio
from orchestration.metrics import metrics_report
from ui.answer_page import guidelines_markdown

PEOPLE = ("alice", "bob", "carol")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in PEOPLE:
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


def _rows(db_path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        return db.execute(query).fetchall()


def _label(studio: Studio, name: str, session: str, verdict: str) -> int:
    """``name`` labels their next item of ``session`` (the verdict as shown); returns the comparison id."""
    item = studio.desk.next_item(name, session)
    assert item is not None
    choice = {"1": "left", "2": "right", "tie": "tie"}[verdict]
    studio.desk.submit(name, session, item.comparison.id, choice, swapped=item.swapped)
    return int(item.comparison.id)


def test_an_edit_that_changes_the_text_is_a_new_version_and_labels_record_theirs(studio: Studio, db_path: Path) -> None:
    store = studio.store
    store.save_session("rules", "judge-studio-demo", guidelines="Prefer the correct answer.", edited_by="ada")
    assert store.get_session("rules").guideline_version == 1
    first = _label(studio, "alice", "rules", "1")
    item = studio.desk.next_item("bob", "rules")
    assert item is not None and item.session.guideline_version == 1
    assert guidelines_markdown(item.session).startswith("**Guidelines, version 1**")

    store.save_session("rules", "judge-studio-demo", overlap=2)  # no new text: same version
    store.save_session("rules", "judge-studio-demo", guidelines="Prefer the correct answer.")
    assert store.get_session("rules").guideline_version == 1
    store.save_session("rules", "judge-studio-demo", guidelines="Prefer the correct, shorter answer.", edited_by="ada")
    submitted = studio.desk.submit("bob", "rules", item.comparison.id, "tie", swapped=item.swapped)  # read v1
    assert submitted.notice.startswith("The guidelines changed (version 2)")  # v2 was saved while bob had it

    versions = store.guideline_versions("rules")
    assert [(v.version, v.text, v.created_by) for v in versions] == [
        (1, "Prefer the correct answer.", "ada"),
        (2, "Prefer the correct, shorter answer.", "ada"),
    ]
    again = studio.desk.next_item("carol", "rules")
    assert again is not None and "version 2" in guidelines_markdown(again.session)
    assert "Prefer the correct, shorter answer." in guidelines_markdown(again.session)
    stored = _rows(
        db_path,
        "SELECT a.name, l.comparison_id, l.guideline_version FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        "JOIN annotation_sessions s ON s.id = l.session_id WHERE s.name = 'rules' ORDER BY l.id",
    )
    assert stored == [("alice", first, 1), ("bob", int(item.comparison.id), 1)]  # the version bob was handed it under
    assert [v.version for v in store.guideline_versions() if v.session == DEMO_SESSION] == [1]  # seeded with one
    with pytest.raises(StoreError, match="no annotation session 'nope'"):
        store.guideline_versions("nope")


def test_the_report_gives_agreement_per_guideline_version(studio: Studio) -> None:
    store = studio.store
    store.save_session("drift", "judge-studio-demo", overlap=3, randomize_order=False, guidelines="v1 text")
    run = store.ensure_judge_run("drift-judge", {"model": "drift-judge"})
    # under version 1 everyone says "1"; under version 2 alice and bob say "2", carol "tie"
    before = [_label(studio, name, "drift", "1") for name in PEOPLE]
    store.save_session("drift", "judge-studio-demo", guidelines="v2 text, longer")
    after = [_label(studio, name, "drift", {"carol": "tie"}.get(name, "2")) for name in PEOPLE]
    for comparison in {*before, *after}:
        store.save_verdict(run, NewVerdict(comparison, "1", "ok"))

    report = metrics_report(store, "judge-studio-demo", n_bootstrap=10)
    versions = [v for v in report["guideline_versions"]["versions"] if v["session"] == "drift"]
    assert [(v["version"], v["labels"], v["annotators"], v["chars"]) for v in versions] == [
        (1, 3, 3, len("v1 text")),
        (2, 3, 3, len("v2 text, longer")),
    ]
    one, two = versions
    # independent computation: pairs of labels on the same comparison (each comparison here has all three
    # people's labels, or one each when leases spread them) and the judge's "1" against every label
    labels = store.guideline_labels("judge-studio-demo")
    for section, number in ((one, 1), (two, 2)):
        mine = labels[(labels["session"] == "drift") & (labels["guideline_version"] == number)]
        pairs = sum(len(g) * (len(g) - 1) // 2 for _, g in mine.groupby("comparison_id"))
        agree = sum(n * (n - 1) // 2 for n in mine.groupby(["comparison_id", "verdict"]).size())
        assert section["people_pairs"] == pairs
        assert section["people_agreement"] == (pytest.approx(agree / pairs) if pairs else None)
        (judge,) = [j for j in section["judges"] if j["run_id"] == run]
        assert judge["n"] == 3 and judge["accuracy"] == pytest.approx((mine["verdict"] == "1").mean())
    assert one["judges"][-1]["accuracy"] == 1.0 and two["judges"][-1]["accuracy"] == 0.0  # the drift, visible
    from analysis.report_text import format_report

    text = format_report(report)
    assert "Agreement per guideline version" in text and "drift v1: 3 labels" in text and "drift v2: 3 labels" in text


def test_agreement_per_version_on_plain_rows() -> None:
    """The pure function on hand-made rows: pair counting, a version without labels, an unknown version."""
    versions = pd.DataFrame(
        {"session": ["s", "s", "s"], "version": [1, 2, 3], "created_at": [None] * 3, "created_by": [None] * 3}
    ).assign(chars=[10, 20, 30])
    labels = pd.DataFrame(
        {
            "comparison_id": [1, 1, 1, 2, 2, 3],
            "annotator": ["a", "b", "c", "a", "b", "a"],
            "verdict": ["1", "1", "2", "tie", "tie", "2"],
            "session": ["s"] * 6,
            "guideline_version": [1, 1, 1, 2, 2, None],
        }
    )
    counted = pd.DataFrame({"comparison_id": [1, 2, 3], "verdict": ["1", "tie", "1"], "status": ["ok"] * 3})
    result = agreement_by_guideline_version(GuidelineInputs(versions, labels), [(7, "j", counted)])
    assert [(r.version, r.labels, r.people_pairs) for r in result] == [(1, 3, 3), (2, 2, 1), (3, 0, 0), (None, 1, 0)]
    assert result[0].people_agreement == pytest.approx(1 / 3) and result[1].people_agreement == 1.0
    assert result[0].judges[0]["accuracy"] == pytest.approx(2 / 3) and result[1].judges[0]["accuracy"] == 1.0
    assert result[2].judges[0]["n"] == 0 and result[3].judges[0]["accuracy"] == 0.0
    assert pairwise_agreement(labels.iloc[0:0]) == (None, 0)


def _migrate(db_path: Path, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(sqlite_url(db_path))
    try:
        with engine.execution_options(**WRITE).begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def test_migration_0009_backfills_version_1_and_goes_down_again(studio: Studio, db_path: Path) -> None:
    _label(studio, "alice", DEMO_SESSION, "1")
    studio.store.save_label(1, "bob", "2")  # outside any session: no version
    studio.store.close()
    _migrate(db_path, "downgrade", "0008")
    tables = {name for (name,) in _rows(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "guideline_versions" not in tables
    assert "guideline_version" not in {row[1] for row in _rows(db_path, "PRAGMA table_info(labels)")}
    sessions = _rows(db_path, "SELECT id, guidelines FROM annotation_sessions ORDER BY id")
    _migrate(db_path, "upgrade", "head")
    assert _rows(db_path, "SELECT session_id, version, text FROM guideline_versions ORDER BY session_id") == [
        (session_id, 1, text) for session_id, text in sessions
    ]
    by_name = _rows(
        db_path,
        "SELECT a.name, l.session_id IS NOT NULL, l.guideline_version FROM labels l "
        "JOIN annotators a ON a.id = l.annotator_id ORDER BY l.id",
    )
    assert ("alice", 1, 1) in by_name and ("bob", 0, None) in by_name
