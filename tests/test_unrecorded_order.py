"""People's position preference reads only labels whose left/right order was recorded (migration 0012).

A label answered through the app was leased first, and the lease drew the order it was shown in; an
imported label (or one a script saved without an order) never was, so ``labels.presented_swapped`` is
NULL for it. Such labels used to count as shown in canonical order, so an imported "1" counted as
"chose the left one". These tests write labels through the real store (a session, an import, a
script's ``save_label``) into a real SQLite file, and read what the report, the text summary, the
dashboard and the REST API show; the migration tests build a 0011 database with Alembic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from test_annotation_workflow import _migrate, _sql
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from analysis.report_text import format_report
from annotation_store import DEMO_DATASET_NAME, Store, StoreError, open_store
from annotation_store.batch_import import ImportBatch, ImportLabel
from annotation_store.db import MIGRATIONS, make_engine, sqlite_url
from orchestration.dashboard import build_dashboard
from orchestration.metrics import metrics_report
from ui.dashboard import summary_markdown

DEMO = DEMO_DATASET_NAME
SESSION = "order test"
N_SESSION = 12  # session labels, each choosing the RIGHT-hand response
N_IMPORTED = 7  # imported labels, each "1" (which the old rule read as "chose the left one")


def _label_in_session(store: Store, who: str, choose: str) -> tuple[int, bool]:
    """Lease the next comparison in the session and answer ``choose`` ("left"/"right") as seen."""
    turn = store.lease("pairwise", who, SESSION)
    assert turn is not None
    left_is_1 = not turn.swapped
    verdict = "1" if (choose == "left") == left_is_1 else "2"
    store.submit("pairwise", who, SESSION, turn.item.id, swapped=turn.swapped, verdict=verdict)
    return turn.item.id, turn.swapped


def _import_labels(store: Store, ids: list[int], annotator: str = "imported-rater") -> None:
    table = store.comparison_table(DEMO).set_index("id")
    rows = [table.loc[c] for c in ids]
    labels = tuple(ImportLabel(str(r["prompt"]), str(r["model1"]), str(r["model2"]), annotator, "1") for r in rows)
    store.import_batch(ImportBatch(DEMO, "order-test.json", "existing", labels=labels))


def _mixed_labels(store: Store) -> list[tuple[int, bool]]:
    """N_SESSION session labels choosing the right response (both orders drawn) and N_IMPORTED
    imported "1" labels on other comparisons, plus one imported tie (not decisive: never counted)."""
    store.save_session(SESSION, DEMO, overlap=1, randomize_order=True)
    shown = [_label_in_session(store, ("ann", "ben", "cat")[i % 3], "right") for i in range(N_SESSION)]
    assert {swapped for _, swapped in shown} == {True, False}  # both orders occur
    used = {c for c, _ in shown}
    free = [int(c) for c in store.comparison_table(DEMO)["id"] if int(c) not in used]
    _import_labels(store, free[:N_IMPORTED])
    tie = store.comparison_table(DEMO).set_index("id").loc[free[N_IMPORTED]]
    one = ImportLabel(str(tie["prompt"]), str(tie["model1"]), str(tie["model2"]), "imported-rater", "tie")
    store.import_batch(ImportBatch(DEMO, "order-test-tie.json", "existing", labels=(one,)))
    return shown


# ---------------------------------------------------------------------- the figure and where it is shown
def test_imported_labels_are_left_out_of_peoples_position_preference_and_counted(store: Store) -> None:
    shown = _mixed_labels(store)
    report = metrics_report(store, DEMO, n_bootstrap=0)
    position = report["people"]["position_bias"]
    # every session label chose the right-hand response: 0.0 over 12, whatever the order drawn; the 7
    # imported "1"s would have counted as "left" under the old rule (7 / 19)
    assert position["n_decisive"] == N_SESSION and position["left_position_rate"] == 0.0
    assert position["n_unknown_order"] == N_IMPORTED
    assert 0 < position["p_value"] < 0.001  # 0 of 12 against 0.5: 2 * 0.5**12
    assert report["counts"]["labels"] == N_SESSION + N_IMPORTED + 1

    # the stored flags: the session's drawn orders, NULL for the imports
    stored = dict(_sql_rows(store, "SELECT comparison_id, presented_swapped FROM labels WHERE session_id IS NOT NULL"))
    assert {c: bool(v) for c, v in stored.items()} == dict(shown)
    nulls = "SELECT count(*) FROM labels l JOIN annotators a ON a.id = l.annotator_id WHERE presented_swapped IS NULL"
    assert _sql_rows(store, nulls) == [(N_IMPORTED + 1,)]

    text_summary = format_report(report)
    assert (
        f"share choosing the left response 0.000 over {N_SESSION} decisive labels with a recorded left/right order"
        in text_summary
    )
    assert f"{N_IMPORTED} decisive labels have no recorded order (imported) and are left out" in text_summary

    board = build_dashboard(store, DEMO, None)
    assert (board.people_bias.n_decisive, board.people_bias.n_unknown_order) == (N_SESSION, N_IMPORTED)
    assert board.people_bias.first_position_rate == position["left_position_rate"]
    line = summary_markdown(board)
    assert f"**0.000** of **{N_SESSION}** decisive labels with a recorded left/right order chose the left" in line
    assert f"{N_IMPORTED} decisive labels have no recorded order (imported) and are left out" in line


def _sql_rows(store: Store, query: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_session_labels_shown_either_way_count_as_before(store: Store) -> None:
    """Only labels with a recorded order: the figure is what it always was (choices of the left side)."""
    store.save_session(SESSION, DEMO, overlap=1, randomize_order=True)
    shown = [_label_in_session(store, "ann", "left" if i % 4 else "right") for i in range(N_SESSION)]
    assert {swapped for _, swapped in shown} == {True, False}
    position = metrics_report(store, DEMO, n_bootstrap=0)["people"]["position_bias"]
    assert (position["n_decisive"], position["n_unknown_order"]) == (N_SESSION, 0)
    assert position["left_position_rate"] == pytest.approx(9 / 12)  # i = 0, 4, 8 chose the right
    assert "no recorded order" not in summary_markdown(build_dashboard(store, DEMO, None))


def test_save_label_without_an_order_stores_null_and_keeps_an_order_it_was_given(store: Store, db_path: Path) -> None:
    unknown = store.save_label(1, "script", "1")
    assert unknown.presented_swapped is None
    store.save_label(2, "script", "2", presented_swapped=True)
    store.save_label(3, "script", "tie", presented_swapped=False)
    store.save_label(2, "script", "1")  # an edit without an order keeps the order it was shown in
    rows = "SELECT comparison_id, verdict, presented_swapped FROM labels ORDER BY comparison_id"
    assert _sql(db_path, rows) == [(1, "1", None), (2, "1", 1), (3, "tie", 0)]
    assert store.presented_swapped(1, "script") is None and store.presented_swapped(2, "script") is True
    with pytest.raises(StoreError, match=r"presented_swapped must be True, False or None .* got 'yes'"):
        store.save_label(4, "script", "1", presented_swapped="yes")  # type: ignore[arg-type]
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(3,)]


def test_a_script_that_leased_first_stores_the_order_its_lease_drew(store: Store, db_path: Path) -> None:
    leased = []
    for _ in range(8):
        got = store.lease_next("scripted", seed=7)
        assert got is not None
        comparison, swapped = got
        store.save_label(comparison.id, "scripted", "1")  # no order given: the lease's
        leased.append((comparison.id, int(swapped)))
    assert {swapped for _, swapped in leased} == {0, 1}
    rows = (
        "SELECT comparison_id, presented_swapped FROM labels "
        "WHERE annotator_id = (SELECT id FROM annotators WHERE name = 'scripted')"
    )
    assert sorted(_sql(db_path, rows)) == sorted(leased)


def test_rest_shows_an_unknown_order_as_null(live_app: Any) -> None:
    """A reviewer's comparison detail: ``presented_swapped`` null for an imported label, as stored for
    a label given in a session."""
    import httpx

    store = live_app.studio.store
    store.save_session(SESSION, DEMO, overlap=2, randomize_order=True)
    comparison, swapped = _label_in_session(store, "alice", "left")
    _import_labels(store, [comparison], annotator="imported-rater")
    token = live_app.studio.access.api_token("rita")
    response = httpx.get(
        f"{live_app.url}api/v1/comparisons/{comparison}", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    labels = {row["annotator"]: row for row in response.json()["labels"]}
    assert labels["imported-rater"]["presented_swapped"] is None and labels["imported-rater"]["verdict"] == "1"
    assert labels["alice"]["presented_swapped"] is swapped


# ---------------------------------------------------------------------- migration 0012
def _head() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def test_migration_0012_backfills_null_only_for_labels_without_a_lease(db_path: Path) -> None:
    """A database at 0011 (Alembic), rows written there as 0011 stored them, then the upgrade."""
    engine = make_engine(sqlite_url(db_path))  # the seeded demo file, migrated to head by the fixture
    try:
        _migrate(engine, "downgrade", "0011")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [("0011",)]
        column = [row for row in _sql(db_path, "PRAGMA table_info(labels)") if row[1] == "presented_swapped"]
        assert column[0][3] == 1  # NOT NULL at 0011
        _sql(
            db_path,
            "INSERT INTO annotators (id, name, role, kind, created_at) "
            "VALUES (1, 'ann', 'annotator', 'crowd', '2026-01-01'), (2, 'imp', 'annotator', 'expert', '2026-01-01')",
        )
        # ann was leased comparisons 1 (swapped) and 2 (not) and labelled both; imp labelled 1 and 3
        # from an import (no lease); ann labelled 4 from a script without a lease
        _sql(
            db_path,
            "INSERT INTO assignments (comparison_id, annotator_id, leased_at, lease_expires_at, presented_swapped, "
            "completed_at) VALUES (1, 1, '2026-01-01', '2026-01-02', 1, '2026-01-01'), "
            "(2, 1, '2026-01-01', '2026-01-02', 0, '2026-01-01')",
        )
        labels = [(1, 1, "2", 1), (2, 1, "1", 0), (1, 2, "1", 0), (3, 2, "2", 0), (4, 1, "tie", 0)]
        for i, (comparison, who, verdict, swapped) in enumerate(labels, start=1):
            _sql(
                db_path,
                "INSERT INTO labels (id, comparison_id, annotator_id, verdict, version, created_at, updated_at, "
                "presented_swapped) VALUES (?, ?, ?, ?, 1, '2026-01-01', '2026-01-01', ?)",
                i,
                comparison,
                who,
                verdict,
                swapped,
            )
            _sql(
                db_path,
                "INSERT INTO label_events (label_id, comparison_id, annotator_id, action, verdict, version, "
                "created_at) VALUES (?, ?, ?, 'created', ?, 1, '2026-01-01')",
                i,
                comparison,
                who,
                verdict,
            )
        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(_head(),)]
        after = "SELECT comparison_id, annotator_id, presented_swapped FROM labels ORDER BY id"
        assert _sql(db_path, after) == [(1, 1, 1), (2, 1, 0), (1, 2, None), (3, 2, None), (4, 1, None)]
        assert _sql(db_path, "SELECT count(*) FROM label_events") == [(5,)]  # not cascaded away by the rebuild
        assert _sql(db_path, "PRAGMA foreign_key_check") == []
        checks = _sql(db_path, "SELECT sql FROM sqlite_master WHERE name = 'labels'")[0][0]
        assert "label_verdict_or_rating" in checks and "label_rating_range" in checks  # the rebuild kept them
        # down again: unknown orders become canonical order (what 0011 stored), the events stay
        _migrate(engine, "downgrade", "0011")
        assert [row[0] for row in _sql(db_path, "SELECT presented_swapped FROM labels ORDER BY id")] == [1, 0, 0, 0, 0]
        assert _sql(db_path, "SELECT count(*) FROM label_events") == [(5,)]
        _migrate(engine, "upgrade", "head")
    finally:
        engine.dispose()
    store = open_store(db_path)
    try:
        position = metrics_report(store, DEMO, n_bootstrap=0)["people"]["position_bias"]
        # ann's two leased labels count (1: "2" shown swapped = left; 2: "1" not swapped = left); imp's
        # "1" and "2" and ann's script label are left out
        assert (position["n_decisive"], position["left_position_rate"], position["n_unknown_order"]) == (2, 1.0, 2)
    finally:
        store.close()


def test_migration_0012_on_postgresql(request: pytest.FixtureRequest) -> None:
    """The same backfill on a real PostgreSQL server, where the column is altered in place (skipped
    with the reason when no PostgreSQL server is installed, as in ``test_store_postgres.py``)."""
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    store.save_session(SESSION, DEMO, overlap=1, randomize_order=True)
    leased, swapped = _label_in_session(store, "ann", "left")
    _import_labels(store, [leased, leased + 1])
    store.close()
    nullable = "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'labels' AND column_name = :c"
    rows = (
        "SELECT l.comparison_id, a.name, l.presented_swapped FROM labels l JOIN annotators a ON a.id = l.annotator_id"
    )
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            events = connection.execute(text("SELECT count(*) FROM label_events")).scalar()
        _migrate(engine, "downgrade", "0011")
        with engine.connect() as connection:
            assert connection.execute(text(nullable), {"c": "presented_swapped"}).scalar() == "NO"
            assert {tuple(r) for r in connection.execute(text(rows))} == {
                (leased, "ann", swapped),
                (leased, "imported-rater", False),
                (leased + 1, "imported-rater", False),
            }
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            assert connection.execute(text(nullable), {"c": "presented_swapped"}).scalar() == "YES"
            assert {tuple(r) for r in connection.execute(text(rows))} == {
                (leased, "ann", swapped),
                (leased, "imported-rater", None),
                (leased + 1, "imported-rater", None),
            }
            assert connection.execute(text("SELECT count(*) FROM label_events")).scalar() == events
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
    finally:
        engine.dispose()
