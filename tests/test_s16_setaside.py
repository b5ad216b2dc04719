"""s16 campaign, finding 1: an admin sets a bad annotator's labels aside (``users set-aside NAME``, the Admin page's
"Set labels aside"); nothing is deleted, ``--undo`` counts them again.

Set aside, the labels leave the session's overlap (the item goes back to the pool and another annotator is handed
it), the figures and majorities (``metrics``), the Review queue and the DPO export; the raw labels export lists them
with ``set_aside`` true; the database still holds them. Only an admin may do it.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from annotation_store import NewVerdict
from errors import Forbidden
from orchestration import Settings, Studio
from orchestration.admin import AdminDesk, set_labels_aside
from orchestration.metrics import metrics_report

ROOT = Path(__file__).resolve().parents[1]


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _dataset(studio: Studio, n: int = 1) -> list[int]:
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(n)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    return [int(i) for i in studio.store.comparison_table("tiny")["id"]]


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob", "ann4"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("boss", role="admin", password="boss-pass-1")
    return s


def test_set_aside_reopens_the_item_for_another_annotator_and_undo_counts_it_again(
    studio: Studio, db_path: Path
) -> None:
    (only,) = _dataset(studio)
    studio.store.save_session("k1", "tiny", overlap=1)
    theirs = studio.desk.next_item("ann4", "k1")
    assert theirs is not None
    studio.desk.submit("ann4", "k1", theirs.id, "left", swapped=theirs.swapped)
    assert studio.store.answer_progress("pairwise", "bob", "k1").done == 1
    assert studio.desk.next_item("bob", "k1") is None  # the overlap is full

    note = AdminDesk(studio).set_labels_aside("boss", "ann4")
    assert note.startswith("ann4's 1 label is set aside (kept in the database, not deleted)")
    progress = studio.store.answer_progress("pairwise", "bob", "k1")
    assert (progress.done, progress.total) == (0, 1)  # the item needs another answer
    assert studio.store.session_unfinished("k1").total == 1
    mine = studio.desk.next_item("bob", "k1")
    assert mine is not None and mine.id == only  # a second annotator is handed it
    studio.desk.submit("bob", "k1", mine.id, "right", swapped=mine.swapped)
    assert studio.store.answer_progress("pairwise", "bob", "k1").done == 1
    # nothing was deleted: both labels are stored, ann4's marked by its account
    assert _sql(db_path, "SELECT count(*) FROM labels WHERE comparison_id = ?", only) == [(2,)]
    assert _sql(db_path, "SELECT labels_set_aside_at IS NOT NULL FROM annotators WHERE name = 'ann4'") == [(1,)]

    AdminDesk(studio).set_labels_aside("boss", "ann4", undo=True)
    assert _sql(db_path, "SELECT labels_set_aside_at FROM annotators WHERE name = 'ann4'") == [(None,)]
    assert sorted(studio.store.labels("tiny")["annotator"]) == ["ann4", "bob"]


def _judged(studio: Studio) -> list[int]:
    ids = _dataset(studio, 3)
    run = studio.store.ensure_judge_run("fp", {"model": "judge"})
    for c in ids:
        studio.store.save_verdict(run, NewVerdict(c, "1", "ok", p_1=0.9))
        studio.store.save_label(c, "alice", "1")
        studio.store.save_label(c, "ann4", "2")  # the random annotator: always against alice
    return ids


def test_metrics_majority_and_review_leave_set_aside_labels_out(studio: Studio, db_path: Path) -> None:
    _judged(studio)
    before = metrics_report(studio.store, "tiny", n_bootstrap=10)
    assert before["counts"]["labels"] == 6 and before["counts"]["annotators"] == 2
    assert before["judges"][0]["against_majority"]["accuracy"] == 0.0  # 1 vs 2: no majority agrees
    assert len(studio.store.disagreements("tiny")) == 3

    AdminDesk(studio).set_labels_aside("boss", "ann4")
    after = metrics_report(studio.store, "tiny", n_bootstrap=10)
    assert after["counts"]["labels"] == 3 and after["counts"]["annotators"] == 1
    assert after["judges"][0]["against_majority"]["accuracy"] == 1.0  # alice's labels alone make the majority
    assert "ann4" not in str(after["annotators"])
    assert studio.store.disagreements("tiny").empty  # the Review queue held them only because of ann4
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(6,)]  # the database still holds them

    AdminDesk(studio).set_labels_aside("boss", "ann4", undo=True)
    again = metrics_report(studio.store, "tiny", n_bootstrap=10)
    assert again["counts"]["labels"] == 6 and again["judges"][0]["against_majority"]["accuracy"] == 0.0


def test_the_raw_labels_export_marks_them_and_the_dpo_export_leaves_them_out(studio: Studio, tmp_path: Path) -> None:
    _judged(studio)
    AdminDesk(studio).set_labels_aside("boss", "ann4")
    path, _rows = AdminDesk(studio).export("boss", "tiny", "labels", "csv", directory=tmp_path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    marks = {(r["rater"], r["set_aside"].lower()) for r in rows}
    assert marks == {("alice", "false"), ("ann4", "true")}
    dpo, n = AdminDesk(studio).export("boss", "tiny", "dpo", "jsonl", directory=tmp_path)
    pairs = [json.loads(line) for line in dpo.read_text(encoding="utf-8").splitlines()]
    first = dict(zip(*[studio.store.comparison_table("tiny")[c] for c in ("id", "model1")], strict=True))
    assert n == 3 and all(p["chosen_model"] == first[p["comparison_id"]] for p in pairs)  # alice's "1": ann4 left out


def test_an_annotator_may_not_set_labels_aside(studio: Studio, db_path: Path) -> None:
    with pytest.raises(Forbidden):
        AdminDesk(studio).set_labels_aside("alice", "ann4")
    with pytest.raises(Forbidden):
        set_labels_aside(studio.access, "ann4", "ann4")
    assert _sql(db_path, "SELECT labels_set_aside_at FROM annotators WHERE name = 'ann4'") == [(None,)]


def test_deactivate_says_the_labels_still_count_and_the_accounts_table_marks_them(studio: Studio) -> None:
    _judged(studio)
    AdminDesk(studio).update_account("boss", "ann4", active=False)
    hint = AdminDesk(studio).still_counting("boss", "ann4")
    assert hint == (
        "ann4's 3 labels still count; set them aside with “Set labels aside” (or `judge-studio users set-aside ann4`)."
    )
    AdminDesk(studio).set_labels_aside("boss", "ann4")
    assert AdminDesk(studio).still_counting("boss", "ann4") == ""
    table = AdminDesk(studio).accounts("boss").set_index("name")
    assert table.loc["ann4", "labels_set_aside"] == "yes" and table.loc["alice", "labels_set_aside"] == "no"
    assert int(str(table.loc["ann4", "labels"])) == 3  # stored labels, set aside or not


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "users", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_cli_set_aside_and_undo(studio: Studio, db_path: Path) -> None:
    _judged(studio)
    studio.store.close()
    home = db_path.parent
    done = _cli(home, "set-aside", "ann4")
    assert done.returncode == 0, done.stderr
    assert "ann4's 3 labels are set aside (kept in the database, not deleted)" in done.stdout
    listed = _cli(home, "list")
    rows = {line.split()[0]: line.split() for line in listed.stdout.splitlines()}
    assert rows["name"][-1] == "labels_set_aside" and rows["ann4"][-1] == "yes" and rows["alice"][-1] == "no"
    undone = _cli(home, "set-aside", "ann4", "--undo")
    assert undone.returncode == 0 and "ann4's 3 labels count again" in undone.stdout
    assert _sql(db_path, "SELECT labels_set_aside_at FROM annotators WHERE name = 'ann4'") == [(None,)]
    missing = _cli(home, "set-aside", "nobody")
    assert missing.returncode != 0 and "There is no account named 'nobody'" in missing.stderr
