"""s18 runsrest: session 17's "left undone" about judge runs, imports and activity.

- A dataset named like ``x/runs/3`` is deleted again by ``DELETE /api/v1/datasets/{name}``: the run route's path is
  the dataset's when there is no dataset ``x`` (fix18b: while ``x`` exists it means ``x``'s run, a 404 when ``x`` has
  no run 3); a path naming both is a 409 until ``?what=run|dataset`` picks one.
- The REST import answer says ``already`` (the verdicts the run held, identical), from ``ImportedRun`` as the CLI.
- A run extended by a later file (an import, or a merge) lists every file (``DatasetRun.sources``): ``datasets runs``,
  the Admin "Judge runs" table and the REST runs list.
- ``sessions activity`` counts a grading session's ratings (per person / day: ratings, skips, set aside, first and
  last), the same function for the CLI, the Admin Activity section and REST.
SQLite files; REST through the ASGI test client; the Admin handlers called directly (no browser)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, api_app, cli_import, home_rows, jsonl_file
from sqlalchemy import select, update
from test_s17_runs import RUNS, _datasets, _import, _rows, _split_home

from annotation_store.models import AnnotationSession, Annotator, Prompt, Rating, Response
from cli import main
from orchestration import Settings, Studio
from orchestration.activity import activity_csv, activity_text, read_activity
from ui.admin_sections.judge_runs import runs_frame
from ui.admin_sections.session_members import activity_section, wire_activity

DATASETS = "SELECT name FROM datasets ORDER BY name"


def _admin(folder: Path) -> tuple[Studio, dict[str, str]]:
    studio = Studio.open(Settings(home=folder))
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    return studio, {"Authorization": f"Bearer {studio.access.api_token('ada', days=1)}"}


def _dataset(home: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    out, error = cli_import(
        home, jsonl_file(home.parent / "more.jsonl", _rows(range(3))), "--dataset", name, capsys=capsys
    )
    assert error == "" and name in out


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """'votes' with gpt-4's 60 verdicts (run 1) and a try-out's 4 (run 2)."""
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "gpt4.jsonl", _rows(range(60)), capsys, "--judge", "gpt-4")
    _import(folder, "try.jsonl", _rows(range(4)), capsys, "--judge", "tryout")
    return folder


# ---------------------------------------------------------------------- 1. DELETE a dataset named like x/runs/3
def test_a_dataset_named_like_a_run_path_is_deleted_by_rest(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("lone/runs/3", "votes/runs/7", "votes/runs/abc"):  # no 'lone'; votes has no run 7; not a run id
        _dataset(home, name, capsys)
    studio, admin = _admin(home)
    try:
        with TestClient(api_app(studio)) as client:
            # 'votes' exists: the path means its run 7, which it has not (fix18b: never the dataset instead)
            typo = client.delete("/api/v1/datasets/votes/runs/7", headers=admin)
            assert typo.status_code == 404 and typo.json()["detail"].startswith(
                "The dataset 'votes' has no judge run 7 (its judge runs: run 1 (gpt-4), run 2 (tryout);"
            )
            assert typo.json()["detail"].endswith(
                "The path also names the dataset 'votes/runs/7': add `?what=dataset` to delete that dataset."
            )
            assert ("votes/runs/7",) in home_rows(home, DATASETS)
            for name, what in (("lone/runs/3", None), ("votes/runs/7", "dataset"), ("votes/runs/abc", None)):
                picked = {"what": what} if what else {}
                deleted = client.delete(f"/api/v1/datasets/{name}", headers=admin, params=picked)
                assert deleted.status_code == 200, (name, deleted.text)
                assert deleted.json()["dataset"] == name and deleted.json()["comparisons"] == 3
    finally:
        studio.store.close()
    assert home_rows(home, DATASETS) == [("votes",)]
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]  # votes' runs untouched


def test_a_path_naming_a_dataset_and_a_run_is_refused_until_what_picks_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dataset(home, "votes/runs/2", capsys)  # and votes has a run 2
    studio, admin = _admin(home)
    try:
        with TestClient(api_app(studio)) as client:
            both = client.delete("/api/v1/datasets/votes/runs/2", headers=admin)
            assert both.status_code == 409
            assert both.json()["detail"] == (
                "'votes/runs/2' names both the dataset 'votes/runs/2' and judge run 2 of the dataset 'votes': add "
                "`?what=dataset` to delete the dataset, or `?what=run` to delete the run. Nothing was deleted."
            )
            assert home_rows(home, DATASETS) == [("votes",), ("votes/runs/2",)] and len(home_rows(home, RUNS)) == 2
            bad = client.delete("/api/v1/datasets/votes/runs/2", headers=admin, params={"what": "both"})
            assert bad.status_code == 422
            run = client.delete("/api/v1/datasets/votes/runs/2", headers=admin, params={"what": "run"})
            assert run.status_code == 200 and run.json()["message"].startswith("Deleted judge run 2 from the dataset")
            assert home_rows(home, RUNS) == [(1, 60)]
            assert home_rows(home, DATASETS) == [("votes",), ("votes/runs/2",)]
            # votes has no run 2 now: the path still means votes' run 2 (404); the dataset only with what=dataset
            again = client.delete("/api/v1/datasets/votes/runs/2", headers=admin)
            assert again.status_code == 404 and "has no judge run 2" in again.json()["detail"]
            gone = client.delete("/api/v1/datasets/votes/runs/2", headers=admin, params={"what": "dataset"})
            assert gone.status_code == 200 and gone.json()["dataset"] == "votes/runs/2"
            assert home_rows(home, DATASETS) == [("votes",)]
            _dataset(home, "votes/runs/1", capsys)
            picked = client.delete("/api/v1/datasets/votes/runs/1", headers=admin, params={"what": "dataset"})
            assert picked.status_code == 200 and picked.json()["dataset"] == "votes/runs/1"
            assert home_rows(home, DATASETS) == [("votes",)] and home_rows(home, RUNS) == [(1, 60)]
            missing = client.delete("/api/v1/datasets/votes/runs/9", headers=admin, params={"what": "dataset"})
            assert missing.status_code == 404 and "There is no dataset named 'votes/runs/9'" in missing.json()["detail"]
            paths = client.get("/api/v1/openapi.json").json()["paths"]
    finally:
        studio.store.close()
    route = paths["/api/v1/datasets/{name}/runs/{run_id}"]["delete"]
    assert "409" in route["responses"] and {"what", "force"} <= {p["name"] for p in route["parameters"]}


# ---------------------------------------------------------------------- 2 and 3. REST import `already`; every file
def test_rest_import_says_already_and_the_run_lists_every_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _import(home, "part1.jsonl", _rows(range(100, 140)), capsys, "--judge", "claude")  # run 3: 40 verdicts
    studio, admin = _admin(home)
    try:
        with TestClient(api_app(studio)) as client:
            body = "".join(json.dumps(r) + "\n" for r in _rows(range(100, 160)))  # the 40 again, identical, + 20
            answer = client.post(
                "/api/v1/datasets/import",
                headers=admin,
                files={"file": ("all.jsonl", body.encode(), "application/jsonl")},
                data={"dataset": "votes", "judge": "claude", "format": "jsonl"},
            )
            assert answer.status_code == 200, answer.text
            run = answer.json()["judge_runs"][0]
            assert (run["run_id"], run["verdicts"], run["already"], run["extended"], run["verdicts_in_run"]) == (
                3,
                20,
                40,
                True,
                60,
            )
            assert "40 already there, identical" in answer.json()["summary"]  # the CLI's words, the same count
            listed = client.get("/api/v1/datasets/votes/runs", headers=admin).json()["runs"]
        assert [(r["run_id"], r["sources"]) for r in listed] == [
            (1, ["gpt4.jsonl"]),
            (2, ["try.jsonl"]),
            (3, ["part1.jsonl", "all.jsonl"]),
        ]
        frame = runs_frame(studio.datasets.runs("ada", "votes"))
        assert list(frame["files"]) == ["gpt4.jsonl", "try.jsonl", "part1.jsonl, all.jsonl"]
    finally:
        studio.store.close()
    lines = _datasets(home, capsys, "runs", "votes").splitlines()
    assert lines[1].split()[-2:] == ["from", "files"]
    assert lines[4].split()[:4] == ["3", "claude", "imported", "60"]
    assert lines[4].endswith("import  part1.jsonl, all.jsonl")


def test_a_cli_import_that_extends_a_run_adds_its_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _import(home, "more.jsonl", _rows(range(60, 70)), capsys, "--judge", "gpt-4")
    assert "10 verdicts of gpt-4 added to run 1 (now 70 verdicts" in said
    lines = _datasets(home, capsys, "runs", "votes").splitlines()
    assert lines[2].endswith("import  gpt4.jsonl, more.jsonl")
    # the same file again is refused and names no file twice
    out, error = cli_import(home, jsonl_file(home.parent / "more.jsonl", _rows(range(60, 70))), "--dataset", "votes",
                            "--judge", "gpt-4", capsys=capsys)  # fmt: skip
    assert "already" in out + error
    assert _datasets(home, capsys, "runs", "votes").splitlines()[2].endswith("import  gpt4.jsonl, more.jsonl")


def test_a_merge_lists_both_runs_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _split_home(tmp_path, capsys, monkeypatch)
    assert _datasets(folder, capsys, "runs", "votes").splitlines()[2].endswith("import  part1.jsonl")
    _datasets(folder, capsys, "merge-runs", "votes", "1", "2")
    lines = _datasets(folder, capsys, "runs", "votes").splitlines()
    assert len(lines) == 4 and lines[2].endswith("import  part1.jsonl, part2.jsonl")
    fingerprint = json.loads(home_rows(folder, "SELECT fingerprint FROM judge_runs WHERE id = 1")[0][0])
    assert fingerprint["source"] == "part1.jsonl" and fingerprint["sources"] == ["part1.jsonl", "part2.jsonl"]


# ---------------------------------------------------------------------- 4. a grading session's activity
DAY1, DAY2 = datetime(2026, 11, 2, 9, 30), datetime(2026, 11, 3, 23, 59)


def _grading(studio: Studio) -> None:
    """'tiny' (2 prompts, 4 responses) and the grading session "Grade A": alice rates two responses on day 1 and
    skips one on day 2; bob rates one on day 2 and is then set aside."""
    store = studio.store
    data = {
        "name": "tiny",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(2)
        ],
    }
    assert store.seed_dataset(data, pairs_per_prompt=1)
    for name in ("alice", "bob"):
        store.create_annotator(name, password=f"{name}-pass-1")
    store.save_session("Grade A", "tiny", kind="single", overlap=2)
    with store._read() as db:
        ids = list(
            db.scalars(
                select(Response.id).join(Prompt, Response.prompt_id == Prompt.id).where(Prompt.key.in_(["q0", "q1"]))
            )
        )
    given = [("alice", ids[0], 7, DAY1), ("alice", ids[1], 3, DAY1), ("alice", ids[2], None, DAY2)]
    given += [("bob", ids[0], 9, DAY2)]
    for name, response, rating, _when in given:
        store.save_rating(response, name, rating, skipped=rating is None)
    with store._write() as db:
        held = db.scalar(select(AnnotationSession.id).where(AnnotationSession.name == "Grade A"))
        for name, response, _rating, when in given:
            person = db.scalar(select(Annotator.id).where(Annotator.name == name))
            db.execute(
                update(Rating)
                .where(Rating.annotator_id == person, Rating.response_id == response)
                .values(session_id=held, created_at=when)
            )
    store.set_labels_aside("bob")


@pytest.fixture
def graded(tmp_path: Path) -> Iterator[Studio]:
    studio = Studio.open(Settings(home=tmp_path))
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    _grading(studio)
    try:
        yield studio
    finally:
        studio.store.close()


def test_activity_counts_a_grading_session_ratings(graded: Studio) -> None:
    found = read_activity(graded.store, session="Grade A", by="person-day")
    assert found.counts == "ratings"
    assert [(r.annotator, r.day, r.labels, r.skipped, r.set_aside, r.first, r.last) for r in found.rows] == [
        ("alice", "2026-11-02", 2, 0, 0, DAY1, DAY1),
        ("alice", "2026-11-03", 0, 1, 0, DAY2, DAY2),
        ("bob", "2026-11-03", 0, 0, 1, DAY2, DAY2),
    ]
    text = activity_text(read_activity(graded.store, session="Grade A"))
    lines = text.splitlines()
    assert lines[0] == "Ratings in session 'Grade A', per person, all days:"
    assert lines[1].split() == ["annotator", "ratings", "skipped", "set", "aside", "first", "rating", "(UTC)", "last",
                                "rating", "(UTC)"]  # fmt: skip
    assert lines[2].split()[:4] == ["alice", "2", "1", "0"]
    assert lines[-1] == "Total: 2 ratings, 1 skipped, 1 set aside"
    assert (
        activity_csv(found).splitlines()[0] == "annotator,day,ratings,skipped,set_aside,first_rating_at,last_rating_at"
    )
    until = read_activity(graded.store, session="Grade A", since=DAY1.date(), until=DAY1.date())
    assert [(r.annotator, r.labels, r.skipped) for r in until.rows] == [("alice", 2, 0)]


def test_cli_rest_and_admin_count_the_same_ratings(graded: Studio, capsys: pytest.CaptureFixture[str]) -> None:
    main(["sessions", "activity", "--home", str(graded.settings.home), "--session", "Grade A", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert document["counts"] == "ratings"
    assert document["rows"][0] == {
        "annotator": "alice",
        "ratings": 2,
        "skipped": 1,
        "set_aside": 0,
        "first_rating_at": "2026-11-02T09:30:00Z",
        "last_rating_at": "2026-11-03T23:59:00Z",
    }
    admin = {"Authorization": f"Bearer {graded.access.api_token('ada', days=1)}"}
    with TestClient(api_app(graded)) as client:
        got = client.get("/api/v1/sessions/Grade A/activity", headers=admin)
        labels = client.get("/api/v1/sessions/Demo session/activity", headers=admin)
    assert got.status_code == 200, got.text
    assert got.json()["counts"] == "ratings" and got.json()["rows"] == document["rows"]
    assert labels.status_code == 200 and labels.json()["counts"] == "labels"
    with gr.Blocks() as demo:
        section = activity_section()
        wire_activity(section, graded)
    shown = by_id(handler(demo, "admin_session_activity")("Grade A", "person", "", "", gr.Request(username="ada")))
    assert shown["admin-activity-said"] == (  # activity_headline: the command line's title and total line
        "Ratings in session 'Grade A', per person, all days\\. Total: 2 ratings, 1 skipped, 1 set aside\\."
    )
    table = shown["admin-activity-table"]
    assert list(table.columns) == ["annotator", "ratings", "skipped", "set aside", "first rating (UTC)",
                                   "last rating (UTC)"]  # fmt: skip
    assert table.iloc[0].tolist()[:4] == ["alice", 2, 1, 0]
