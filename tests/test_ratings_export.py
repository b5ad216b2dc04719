"""Exports a lead can check a study from (tester "team", s10 findings 2 and 8).

* ``export --kind ratings``: one row per single-answer rating or skip, with the response, the grader and
  their kind, the scale, the session and the guideline version in force, the gold range (a gold check
  scores ``first_rating``), the comment; ``--judges`` adds the judge's scores. The CLI, REST and the Admin
  page write the same rows; CSV cells that a spreadsheet would run are neutralised.
* ``labels``: ``annotator_kind`` (crowd / skilled / expert) beside ``rater_kind`` (human / judge, which
  readers filter on), the comparison's gold answer, skips as rows, comments and times.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from test_grading_only_report import DATASET, SESSION, _grading_study

from annotation_store import Store
from interchange.exporters import export_table, write_rows
from orchestration import AdminDesk

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
FORMULA = '=HYPERLINK("http://x","click")'


def _cli_rows(home: Path, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "export", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_ratings_export_in_every_door(live_app, shared_data: Path, tmp_path: Path) -> None:
    studio = live_app.studio
    run = _grading_study(studio, shared_data, tmp_path)
    first = studio.store.responses(DATASET)[1].id
    # a changed guideline text is version 2; alice's comment (a formula) is saved under it
    studio.store.save_session(SESSION, DATASET, guidelines="Rate helpfulness only.")
    studio.grading.submit("alice", SESSION, first, 4, comment=FORMULA)

    rows = _cli_rows(live_app.db_path.parent, "--dataset", DATASET, "--kind", "ratings", "--judges")
    people = [r for r in rows if r["rater_kind"] == "human"]
    judged = [r for r in rows if r["rater_kind"] == "judge"]
    assert (len(people), len(judged)) == (24, 12)  # 12 each by alice and bob (one of bob's a skip), 12 judge scores
    assert {(r["rater"], r["annotator_kind"]) for r in people} == {("alice", "crowd"), ("bob", "crowd")}
    assert {r["session"] for r in people} == {SESSION} and {r["scale"] for r in rows} == {5}
    (skip,) = [r for r in people if r["skipped"]]
    assert (skip["rater"], skip["rating"], skip["status"]) == ("bob", None, "skipped")
    gold = [r for r in people if r["gold"]]
    assert sorted((r["rater"], r["first_rating"], r["gold_low"], r["gold_high"]) for r in gold) == [
        ("alice", 2, 1, 2),
        ("bob", 5, 1, 2),
    ]  # the Dashboard's gold accuracy (alice 1.0, bob 0.0), recomputed from the export
    edited = next(r for r in people if r["rater"] == "alice" and r["response_id"] == first)
    assert (edited["rating"], edited["comment"], edited["guideline_version"], edited["version"]) == (4, FORMULA, 2, 2)
    assert {r["guideline_version"] for r in people if r is not edited} == {1}
    assert edited["instruction"] == studio.store.get_response(first).instruction
    assert {(r["rater"], r["run_id"], r["status"]) for r in judged} == {(f"grader-x #{run}", run, "ok")}

    # REST (CSV) and the Admin page write the same rows; the formula is neutralised in CSV
    token = studio.access.api_token("rita")
    response = httpx.get(
        live_app.url + "api/v1/export",
        params={"dataset": DATASET, "kind": "ratings", "format": "csv", "judges": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == len(rows) and list(table[0]) == list(rows[0])
    assert next(r for r in table if r["comment"].endswith('click")'))["comment"] == "'" + FORMULA
    path, n = AdminDesk(studio).export("admin", DATASET, "ratings", "parquet", include_judges=True, directory=tmp_path)
    frame = pd.read_parquet(path)
    assert n == len(frame) == len(rows) and list(frame.columns) == list(rows[0])

    # a grading dataset's labels export says where its answers are
    labels = httpx.get(
        live_app.url + "api/v1/export",
        params={"dataset": DATASET, "kind": "labels"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert labels.status_code == 400 and "ratings export" in labels.json()["detail"], labels.text


def test_labels_export_has_the_persons_kind_gold_and_skips(store: Store) -> None:
    store.create_annotator("ed", role="annotator", kind="expert", password="ed-pass-12345")
    store.create_annotator("cy", role="annotator", kind="crowd", password="cy-pass-12345")
    store.set_gold(1, "2", "response 2 follows the instruction")
    store.save_label(1, "ed", "1")
    store.save_label(1, "ed", "2", comment="-looks fine")  # an edit: a gold check still scores the first answer
    store.save_label(2, "cy", None, skipped=True)
    rows = export_table(store, DEMO, "labels").rows
    by = {(r["rater"], r["comparison_id"]): r for r in rows}
    ed, cy = by[("ed", 1)], by[("cy", 2)]
    assert (ed["rater_kind"], ed["annotator_kind"], ed["verdict"], ed["first_verdict"]) == ("human", "expert", "2", "1")
    assert (ed["gold"], ed["gold_answer"], ed["comment"]) == (True, "2", "-looks fine")
    assert (cy["annotator_kind"], cy["skipped"], cy["status"], cy["verdict"], cy["gold"]) == (
        "crowd",
        True,
        "skipped",
        None,
        False,
    )
    out = io.StringIO()
    write_rows(rows, out, "csv")
    assert (
        next(r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["rater"] == "ed")["comment"] == "'-looks fine"
    )
