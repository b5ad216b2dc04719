"""Annotators of kind "skilled" (migration 0017), the alternative-annotator test's middle group (ε 0.15):
the schema accepts them (and migrates down and up on a real SQLite file holding accounts, labels,
adjudications, tokens and invites, and on PostgreSQL where installed), ``judge-studio users`` and the
Admin page create and change them and invite them, and the report tests them as their own group with
their margin, which the command line and REST can set. Real SQLite files, the real CLI as a
subprocess, the Admin page's events as Gradio runs them, the real HTTP app."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_ids import by_id
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from test_annotation_workflow import HEAD, _migrate, _schema_diff
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)
from tls_harness import make_studio

from annotation_store import NewVerdict, Store, open_store
from annotation_store.db import make_engine, sqlite_url
from annotation_store.models import ANNOTATOR_KINDS

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def _counts(path: Path) -> dict[str, int]:
    """Rows per table (the migration must keep every one)."""
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    tables = [r[0] for r in _sql(path, query)]
    return {t: _sql(path, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables if t != "alembic_version"}


def _kind_checks(path: Path) -> list[str]:
    """The kind CHECK clauses of annotators and invites, as SQLite stores them."""
    found = []
    for (sql,) in _sql(path, "SELECT sql FROM sqlite_master WHERE name IN ('annotators', 'invites') ORDER BY name"):
        found += [line.strip().rstrip(",") for line in sql.splitlines() if "kind IN" in line]
    return found


def _people_and_judge(store: Store, people: dict[str, str]) -> int:
    """Labels on every demo comparison from ``people`` (name -> kind) and a judge run's verdicts; the run id."""
    for name, kind in people.items():
        store.create_annotator(name, kind=kind, password=f"{name}-pass-1")
    ids = [int(i) for i in store.comparison_table(DEMO)["id"]]
    verdicts = ("1", "2", "tie")
    for n, comparison in enumerate(ids):
        for k, name in enumerate(people):
            store.save_label(comparison, name, verdicts[(n + (k == n % 4)) % 3])
    run = store.ensure_judge_run("skilled-test-judge", {"model": "skilled-test-judge"})
    for n, comparison in enumerate(ids):
        store.save_verdict(run, NewVerdict(comparison, verdicts[n % 3] if n % 5 else verdicts[(n + 1) % 3], "ok"))
    return run


# ---------------------------------------------------------------------- one list of kinds
def test_every_place_that_chooses_a_kind_offers_skilled() -> None:
    from analysis.defaults import ALT_TEST_EPSILON
    from cli.users import KINDS
    from orchestration.admin import KINDS as DESK_KINDS
    from settings.table import SETTINGS_TABLE

    assert ANNOTATOR_KINDS == KINDS == DESK_KINDS == ("crowd", "skilled", "expert")
    assert set(ALT_TEST_EPSILON) == set(ANNOTATOR_KINDS)
    defaults = {s.name: s.value() for s in SETTINGS_TABLE if s.name.startswith("alt_test_epsilon_")}
    assert defaults == {f"alt_test_epsilon_{k}": v for k, v in (("expert", 0.2), ("skilled", 0.15), ("crowd", 0.1))}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `alt_test_epsilon_skilled` | `0.15` " in readme
    assert "`--alt-test-epsilon-skilled` (metrics, report)" in readme


# ---------------------------------------------------------------------- migration 0017
def _filled(db_path: Path) -> None:
    """Accounts of every kind with labels, an adjudication, an API token and invites (used and unused)."""
    store = open_store(db_path)
    try:
        _people_and_judge(store, {"sam": "skilled", "cora": "crowd", "eve": "expert"})
        store.create_annotator("rev", role="reviewer", kind="expert", password="rev-pass-1")
        store.adjudicate(1, "rev", "1", "the first is right")
        store.create_api_token("sam", label="script")
        used = store.create_invite(kind="skilled", created_by="rev")
        store.accept_invite(used, "ivy", "ivy-pass-1")
        store.create_invite(kind="expert", created_by="rev")
    finally:
        store.close()


def test_migration_0017_down_and_up_on_sqlite_keeps_every_row(db_path: Path) -> None:
    _filled(db_path)
    before = _counts(db_path)
    assert before["labels"] > 0 and before["adjudications"] == before["api_tokens"] == 1 and before["invites"] == 2
    assert _kind_checks(db_path) == [
        "CONSTRAINT annotator_kind_value CHECK (kind IN ('crowd', 'skilled', 'expert'))",
        "CONSTRAINT invite_kind_value CHECK (kind IN ('crowd', 'skilled', 'expert'))",
    ]
    engine = make_engine(sqlite_url(db_path))
    try:
        with pytest.raises(RuntimeError) as refused:  # sam and ivy are skilled: the older schema cannot hold them
            _migrate(engine, "downgrade", "0016")
        message = str(refused.value)
        assert "2 account(s) of kind 'skilled' ('ivy', 'sam')" in message and "users set NAME --kind crowd" in message
        assert message.endswith("Nothing was changed.")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)] and _counts(db_path) == before

        _sql(db_path, "UPDATE annotators SET kind = 'crowd' WHERE kind = 'skilled'")  # the admin's choice
        _migrate(engine, "downgrade", "0016")
        newer = {"session_members"}  # tables of later migrations (0022), empty here: gone at 0016, back at head
        assert _counts(db_path) == {t: n for t, n in before.items() if t not in newer}  # nothing cascaded away
        assert _sql(db_path, "SELECT count(*) FROM invites WHERE created_by IS NULL") == [(0,)]
        assert _sql(db_path, "SELECT kind FROM invites ORDER BY id") == [("crowd",), ("expert",)]  # the used one
        assert _kind_checks(db_path) == [
            "CONSTRAINT annotator_kind_value CHECK (kind IN ('crowd', 'expert'))",
            "CONSTRAINT invite_kind_value CHECK (kind IN ('crowd', 'expert'))",
        ]
        with pytest.raises(sqlite3.IntegrityError, match="annotator_kind_value"):
            _sql(db_path, "UPDATE annotators SET kind = 'skilled' WHERE name = 'sam'")

        _migrate(engine, "upgrade", "head")
        assert _sql(db_path, "SELECT version_num FROM alembic_version") == [(HEAD,)] and _counts(db_path) == before
        assert _sql(db_path, "PRAGMA foreign_key_check") == [] and _sql(db_path, "PRAGMA integrity_check") == [("ok",)]
        assert _schema_diff(engine) == []
        _sql(db_path, "UPDATE annotators SET kind = 'skilled' WHERE name = 'sam'")
        with pytest.raises(sqlite3.IntegrityError, match="annotator_kind_value"):
            _sql(db_path, "UPDATE annotators SET kind = 'guru' WHERE name = 'sam'")
    finally:
        engine.dispose()
    store = open_store(db_path)
    try:
        assert store.token_holder(_fresh_token(store, "sam")) == ("sam", "annotator", "skilled")
    finally:
        store.close()


def _fresh_token(store: Store, name: str) -> str:
    return store.create_api_token(name, label="after the migration")


def test_migration_0017_downgrade_refuses_a_skilled_invite_that_still_works(db_path: Path) -> None:
    store = open_store(db_path)
    store.create_invite(kind="skilled", hours=5)
    store.close()
    engine = make_engine(sqlite_url(db_path))
    try:
        with pytest.raises(RuntimeError, match=r"1 unused invite link\(s\) of kind 'skilled' still work"):
            _migrate(engine, "downgrade", "0016")
        assert _sql(db_path, "SELECT kind FROM invites") == [("skilled",)]
    finally:
        engine.dispose()


def test_migration_0017_down_and_up_on_postgresql(request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue("pg_url"))
    store = open_store(url)
    store.create_annotator("sam", kind="skilled", password="sam-pass-1")
    store.close()
    engine = make_engine(url)
    try:
        with pytest.raises(RuntimeError, match="1 account\\(s\\) of kind 'skilled' \\('sam'\\)"):
            _migrate(engine, "downgrade", "0016")
        with engine.begin() as connection:
            connection.execute(text("UPDATE annotators SET kind = 'expert' WHERE name = 'sam'"))
        _migrate(engine, "downgrade", "0016")
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("UPDATE annotators SET kind = 'skilled' WHERE name = 'sam'"))
        _migrate(engine, "upgrade", "head")
        with engine.begin() as connection:
            connection.execute(text("UPDATE annotators SET kind = 'skilled' WHERE name = 'sam'"))
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- the command line and the Admin page
def _users(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "users", *args],
        cwd=ROOT,
        env={**os.environ, "JUDGE_STUDIO_HOME": str(home)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_add_and_invite_make_skilled_annotators(tmp_path: Path) -> None:
    added = _users(tmp_path, "add", "sara", "--kind", "skilled", "--password-stdin", stdin="sara-pass-1\n")
    assert added.returncode == 0, added.stderr
    assert "Added annotator 'sara' (skilled annotator)" in added.stdout
    listed = _users(tmp_path, "list")
    assert [line.split()[:3] for line in listed.stdout.splitlines() if line.split()[:1] == ["sara"]] == [
        ["sara", "annotator", "skilled"]
    ]
    invited = _users(tmp_path, "invite", "--kind", "skilled", "--base-url", "https://judge.example")
    assert invited.returncode == 0, invited.stderr
    database = tmp_path / "judge-studio.sqlite3"
    assert _sql(database, "SELECT kind FROM invites") == [("skilled",)]


def _admin_event(demo: gr.Blocks, api_name: str, inputs: list[Any]) -> dict[str | None, Any]:
    """An Accounts event's outputs by elem_id, run as Gradio runs it, by the admin."""
    block_fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    out = asyncio.run(demo.call_function(block_fn, list(inputs), requests=gr.Request(username="admin")))
    return by_id(out["prediction"])


def test_the_admin_page_adds_changes_and_invites_skilled_annotators(db_path: Path) -> None:
    from ui import build_ui

    studio = make_studio(db_path)
    try:
        demo = build_ui(studio)
        for elem_id in ("admin-new-kind", "admin-change-kind", "admin-invite-kind"):
            (dropdown,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
            assert [value for _label, value in dropdown.choices] == ["crowd", "skilled", "expert"]
        added = _admin_event(demo, "admin_add_account", ["sara", "sara-pass-1", "annotator", "skilled"])
        assert added["admin-accounts-result"] == "Added `sara` as `annotator` (`skilled` annotator)."
        table = added["admin-accounts"]
        assert table.loc[table["name"] == "sara", "kind"].tolist() == ["skilled"]
        assert _sql(db_path, "SELECT kind FROM annotators WHERE name = 'sara'") == [("skilled",)]

        changed = _admin_event(demo, "admin_set_kind", ["alice", "skilled"])
        assert changed["admin-accounts-result"] == "`alice` is now a `skilled` annotator."
        assert _sql(db_path, "SELECT kind FROM annotators WHERE name = 'alice'") == [("skilled",)]
        wrong = _admin_event(demo, "admin_set_kind", ["alice", "guru"])
        assert "Choose a kind: one of crowd, skilled, expert" in wrong["admin-accounts-result"]

        invited = _admin_event(demo, "admin_invite", ["annotator", "skilled", 24])
        assert "for a new `annotator` (`skilled` annotator) created" in invited["admin-accounts-result"]
        assert _sql(db_path, "SELECT kind FROM invites") == [("skilled",)]
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- the report
def test_the_alt_test_reports_skilled_annotators_as_their_own_group(db_path: Path) -> None:
    from cli.data import _report_options
    from cli.parser import build_parser
    from orchestration.metrics import metrics_report

    store = open_store(db_path)
    try:
        run = _people_and_judge(store, {"sk1": "skilled", "sk2": "skilled", "sk3": "skilled", "cr1": "crowd"})
        report = metrics_report(store, DEMO, n_bootstrap=0)
        (judge,) = [j for j in report["judges"] if j["run_id"] == run]
        groups = {t["group"]: t for t in judge["alt_test"]}
        assert set(groups) == {"skilled", "crowd", "all"}
        assert groups["skilled"]["epsilon"] == 0.15 and groups["crowd"]["epsilon"] == 0.1
        tested = {a["annotator"] for a in groups["skilled"]["annotators"]} | set(groups["skilled"]["skipped"])
        assert tested == {"sk1", "sk2", "sk3"}
        assert report["settings"]["alt_test_epsilon"]["skilled"] == 0.15

        args = build_parser().parse_args(["metrics", "--dataset", DEMO, "--alt-test-epsilon-skilled", "0.12"])
        options = _report_options(args)
        assert dict(options["people"].alt_test_epsilon) == {"expert": 0.2, "skilled": 0.12, "crowd": 0.1}
        narrower = metrics_report(store, DEMO, n_bootstrap=0, people=options["people"])
        (judge,) = [j for j in narrower["judges"] if j["run_id"] == run]
        assert {t["group"]: t["epsilon"] for t in judge["alt_test"]}["skilled"] == 0.12
    finally:
        store.close()


def test_rest_report_card_takes_the_skilled_margin(live_app: Any) -> None:
    store = live_app.studio.store
    _people_and_judge(store, {"sk1": "skilled", "sk2": "skilled", "sk3": "skilled"})
    token = live_app.studio.access.api_token("rita")
    with httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}) as api:
        card = api.get("/report-card", params={"dataset": DEMO, "bootstrap": 0, "epsilon_skilled": 0.12}, timeout=120)
        assert card.status_code == 200, card.text
        (judge,) = card.json()["judges"]
        assert {t["group"]: t["epsilon"] for t in judge["alt_test"]}["skilled"] == 0.12
        wrong = api.get("/report-card", params={"dataset": DEMO, "epsilon_skilled": 1.5})
        assert wrong.status_code == 422 and "epsilon_skilled (query parameter)" in wrong.json()["detail"]
