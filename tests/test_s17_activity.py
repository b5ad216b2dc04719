"""s16 campaign, findings 5 and 9: a campaign's manager counts labels per person and per UTC day
(``judge-studio sessions activity``: labels that count, skips, labels set aside, gold checks right, first and last
label), and ``metrics`` prints each annotator's gold accuracy (the Dashboard's rule, ``annotator_table``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from annotation_store.models import AnnotationSession, Annotator, Label
from annotation_store.store import Store
from cli import main
from orchestration import Settings, Studio
from orchestration.activity import activity_csv, activity_json, activity_text, read_activity
from orchestration.datasets import format_report
from orchestration.metrics import metrics_report

DAY1, DAY2 = datetime(2026, 11, 2, 9, 30), datetime(2026, 11, 3, 23, 59)


def seed_campaign(store: Store) -> list[int]:
    """4 comparisons on "tiny", gold #0 (answer 1), sessions "Campaign A" and "Other"; alice: gold right and one
    label on day 1, a skip on day 2; bob: gold wrong and one label on day 2 in A, one in Other; ann4: one label on
    day 1 in A, then set aside."""
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(4)
        ],
    }
    assert store.seed_dataset(data, pairs_per_prompt=1)
    ids = [int(i) for i in store.comparison_table("tiny")["id"]]
    for name in ("alice", "bob", "ann4"):
        store.create_annotator(name, password=f"{name}-pass-1")
    store.save_session("Campaign A", "tiny", overlap=3)
    store.save_session("Other", "tiny", overlap=1)
    store.set_gold(ids[0], "1", "Response 1 says hi")
    given = [
        ("alice", ids[0], "1", "Campaign A", DAY1),
        ("alice", ids[1], "2", "Campaign A", DAY1),
        ("alice", ids[2], None, "Campaign A", DAY2),  # a skip
        ("bob", ids[0], "2", "Campaign A", DAY2),
        ("bob", ids[1], "1", "Campaign A", DAY2),
        ("bob", ids[3], "1", "Other", DAY2),
        ("ann4", ids[1], "tie", "Campaign A", DAY1),
    ]
    for name, comparison, verdict, _session, _when in given:
        store.save_label(comparison, name, verdict, skipped=verdict is None, presented_swapped=False)
    with store._write() as session:  # the session and the day each label was given in (an import has neither)
        for name, comparison, _verdict, session_name, when in given:
            person = session.scalar(select(Annotator.id).where(Annotator.name == name))
            held = session.scalar(select(AnnotationSession.id).where(AnnotationSession.name == session_name))
            session.execute(
                update(Label)
                .where(Label.annotator_id == person, Label.comparison_id == comparison)
                .values(session_id=held, created_at=when)
            )
    store.set_labels_aside("ann4")
    return ids


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=tmp_path))
    seed_campaign(s.store)
    try:
        yield s
    finally:
        s.store.close()


def _by_name(rows: list) -> dict:
    return {row.annotator: row for row in rows}


def test_activity_per_person_counts_labels_skips_set_aside_and_gold(studio: Studio) -> None:
    rows = _by_name(read_activity(studio.store, session="Campaign A").rows)
    assert sorted(rows) == ["alice", "ann4", "bob"]
    alice, bob, ann4 = rows["alice"], rows["bob"], rows["ann4"]
    assert (alice.labels, alice.skipped, alice.set_aside, alice.gold, alice.gold_right) == (2, 1, 0, 1, 1)
    assert (bob.labels, bob.skipped, bob.set_aside, bob.gold, bob.gold_right) == (2, 0, 0, 1, 0)
    assert (ann4.labels, ann4.set_aside) == (0, 1)  # given, but left out of every figure
    assert (alice.first, alice.last) == (DAY1, DAY2)
    everywhere = _by_name(read_activity(studio.store, dataset="tiny").rows)
    assert everywhere["bob"].labels == 3  # the dataset holds bob's label of the session "Other" too


def test_activity_per_day_and_date_range(studio: Studio) -> None:
    days = read_activity(studio.store, session="Campaign A", by="day").rows
    assert [(r.day, r.labels, r.skipped, r.set_aside) for r in days] == [
        ("2026-11-02", 2, 0, 1),
        ("2026-11-03", 2, 1, 0),
    ]
    both = read_activity(studio.store, session="Campaign A", by="person-day", since=date(2026, 11, 3))
    assert [(r.annotator, r.day, r.labels, r.skipped) for r in both.rows] == [
        ("alice", "2026-11-03", 0, 1),
        ("bob", "2026-11-03", 2, 0),
    ]
    until = read_activity(studio.store, session="Campaign A", until=date(2026, 11, 2)).rows
    assert {r.annotator: r.labels for r in until} == {"alice": 2, "ann4": 0}


def test_activity_gold_agrees_with_the_dashboard_rule(studio: Studio) -> None:
    report = metrics_report(studio.store, "tiny", n_bootstrap=0, labels_from="Campaign A")
    dashboard = {p["name"]: (p["gold"]["n"], p["gold"]["accuracy"]) for p in report["annotators"]}
    rows = _by_name(read_activity(studio.store, session="Campaign A").rows)
    for name, (n, accuracy) in dashboard.items():
        assert rows[name].gold == n
        if n:
            assert rows[name].gold_right / n == pytest.approx(accuracy)


def test_activity_text_csv_json(studio: Studio) -> None:
    found = read_activity(studio.store, session="Campaign A")
    text = activity_text(found)
    lines = text.splitlines()
    assert lines[0] == "Labels in session 'Campaign A', per person, all days:"
    headings = ["annotator", "labels", "skipped", "set aside", "gold right (acc)", "first label (UTC)"]
    assert re.split(r"\s{2,}", lines[1]) == [*headings, "last label (UTC)"]
    assert "alice" in lines[2] and "1/1 (1.00)" in lines[2] and "2026-11-02 09:30" in lines[2]
    assert "bob" in lines[4] and "0/1 (0.00)" in lines[4]
    assert lines[-1] == "Total: 4 labels, 1 skipped, 1 set aside, gold checks 1 of 2 right"
    parsed = list(csv.DictReader(io.StringIO(activity_csv(found))))
    assert parsed[0] == {
        "annotator": "alice",
        "labels": "2",
        "skipped": "1",
        "set_aside": "0",
        "gold_checks": "1",
        "gold_right": "1",
        "gold_accuracy": "1.0",
        "first_label_at": "2026-11-02T09:30:00Z",
        "last_label_at": "2026-11-03T23:59:00Z",
    }
    document = json.loads(activity_json(read_activity(studio.store, session="Campaign A", by="person-day")))
    assert document["by"] == "person-day" and document["session"] == "Campaign A"
    assert document["rows"][0]["day"] == "2026-11-02" and document["rows"][0]["gold_accuracy"] == 1.0
    assert [r["gold_accuracy"] for r in document["rows"] if r["annotator"] == "ann4"] == [None]


def test_cli_sessions_activity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Studio.open(Settings(home=tmp_path))
    seed_campaign(s.store)
    s.store.close()
    main(["sessions", "activity", "--home", str(tmp_path), "--session", "Campaign A", "--format", "csv"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("annotator,labels,skipped,set_aside,gold_checks,gold_right")
    assert out[1].startswith("alice,2,1,0,1,1,1.0,")
    main(["sessions", "activity", "--home", str(tmp_path), "--dataset", "tiny", "--by", "day"])
    assert "Labels in dataset 'tiny', per day, all days:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as unknown:
        main(["sessions", "activity", "--home", str(tmp_path), "--session", "Campaign B"])
    said = str(unknown.value)
    assert said.startswith("judge-studio: There is no session named 'Campaign B' (sessions: 'Campaign A', ")
    assert "'Other'" in said
    # a grading session's ratings are counted (s18 runsrest; tests/test_s18_runsrest.py), not said as "No labels"
    main(["sessions", "activity", "--home", str(tmp_path), "--session", "Demo grading session"])
    assert capsys.readouterr().out.startswith("No ratings in session 'Demo grading session' (all days).")
    with pytest.raises(SystemExit) as unknown:
        main(["sessions", "activity", "--home", str(tmp_path), "--dataset", "nope"])
    assert "There is no dataset named 'nope' (datasets: " in str(unknown.value) and "'tiny'" in str(unknown.value)
    with pytest.raises(SystemExit) as bad_day:
        main(["sessions", "activity", "--home", str(tmp_path), "--since", "2026-13-01"])
    assert str(bad_day.value) == "judge-studio: --since takes a day as YYYY-MM-DD (UTC), got '2026-13-01'."
    with pytest.raises(SystemExit) as backwards:
        main(["sessions", "activity", "--home", str(tmp_path), "--since", "2026-11-03", "--until", "2026-11-02"])
    assert "ends (2026-11-02) before it starts (2026-11-03)" in str(backwards.value)


def test_metrics_text_and_json_give_gold_accuracy_per_annotator(studio: Studio) -> None:
    report = metrics_report(studio.store, "tiny", n_bootstrap=0, labels_from="Campaign A")
    gold = {p["name"]: p["gold"] for p in report["annotators"]}
    assert gold["alice"] == {"n": 1, "right": 1, "accuracy": 1.0}
    assert gold["bob"] == {"n": 1, "right": 0, "accuracy": 0.0}
    text = format_report(report)
    assert "alice: 2 labels; others 0.000 (n=2, kappa -1.000); gold 1 of 1 right (1.000)" in text
    assert "bob: 2 labels; others 0.000 (n=2, kappa -1.000); gold 0 of 1 right (0.000)" in text
    assert "Gold checks (labels): 2 annotators, 2 checks, 50% right; lowest: bob 0% (1 check)" in text


def test_activity_on_postgresql(pg_url: str, tmp_path: Path) -> None:  # noqa: F811  (pg_url: the fixture)
    """The same GROUP BY on PostgreSQL: ``date(created_at)`` is a date there (text on SQLite), the gold rule's
    correlated subquery sits inside an aggregate."""
    s = Studio.open(Settings(home=tmp_path, database_url=pg_url))
    try:
        seed_campaign(s.store)
        both = read_activity(s.store, session="Campaign A", by="person-day")
        assert [(r.annotator, r.day, r.labels, r.skipped, r.set_aside, r.gold, r.gold_right) for r in both.rows] == [
            ("alice", "2026-11-02", 2, 0, 0, 1, 1),
            ("alice", "2026-11-03", 0, 1, 0, 0, 0),
            ("ann4", "2026-11-02", 0, 0, 1, 0, 0),
            ("bob", "2026-11-03", 2, 0, 0, 1, 0),
        ]
        late = read_activity(s.store, dataset="tiny", by="day", since=date(2026, 11, 3), until=date(2026, 11, 3))
        assert [(r.day, r.labels) for r in late.rows] == [("2026-11-03", 3)]
    finally:
        s.store.close()
