"""Session 11, task "cli": exports, REST answers, the rate bar and the gold import's counts (s10 retest 8-10).

* The ratings export fills a person's ``created_at`` (the first save); the labels export has ``session`` and
  ``guideline_version``; times in both carry "+00:00" (the store keeps naive UTC).
* A ratings export of a pairwise-only dataset is refused with a hint naming the labels export, as a labels
  export of a grading-only dataset is (CLI, REST).
* ``POST /labels`` and ``POST /ratings`` answer an unknown id as one not leased to you (409, one wording).
* REST ``/metrics`` takes ``uncertain_margin`` as ``/report-card`` does.
* A gold import's counts are the store's, counted in the import's transaction.
* ``rate``'s bar has its total before the judge loads, " ratings/s"; Ctrl-C's line is a line of its own.
* Import hints end "Nothing was imported." and the JSON list names every JSON format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from annotation_store import NewJudgeRating, StoreError
from annotation_store.gold_ratings import GoldImportCounts, GoldRatingMark
from annotation_store.sessions import GoldMark
from interchange.exporters import export_table
from interchange.importers import import_alpacaeval_outputs
from orchestration import Settings, Studio
from orchestration.metrics import metrics_report

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
GRADE = "s11-grade"
GRADING = "s11 grading"
PAIRS = "s11 pairs"


def _studio_at(home: Path) -> Studio:
    return Studio.open(Settings(home=home, judge_demo_on_start=False))


def _studio(db_path: Path) -> Studio:
    return Studio.open(Settings(home=db_path.parent, judge_demo_on_start=False))


def _grading_dataset(studio: Studio, folder: Path) -> list[int]:
    """Three responses of one model (no comparisons: a grading-only dataset) and a 1-10 grading session."""
    outputs = [{"instruction": f"Question {n}?", "output": f"Answer {n}.", "generator": "m"} for n in range(3)]
    source = folder / "outputs.json"
    source.write_text(json.dumps(outputs), encoding="utf-8")
    import_alpacaeval_outputs(studio.store, source, dataset=GRADE)
    studio.store.save_session(GRADING, GRADE, kind="single", overlap=1, gold_rate=0.0, reveal_judge=False)
    return [int(view.id) for view in studio.store.responses(GRADE)]


def _utc(text: str) -> datetime:
    assert text.endswith("+00:00"), text  # ISO 8601 with its UTC offset, as the README says
    return datetime.fromisoformat(text)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


# ------------------------------------------------------------------ 1, 2: exports' times and sessions


def test_ratings_export_says_when_each_rating_was_first_saved_in_utc(db_path: Path, tmp_path: Path) -> None:
    studio = _studio(db_path)
    _grading_dataset(studio, tmp_path)
    studio.store.create_annotator("alice", role="annotator", password="alice-pass-1234")
    first = studio.grading.next_item("alice", GRADING)
    assert first is not None
    studio.grading.submit("alice", GRADING, first.response.id, 3)
    time.sleep(0.05)
    studio.grading.submit("alice", GRADING, first.response.id, 7)  # an edit: updated_at moves, created_at stays

    (row,) = export_table(studio.store, GRADE, "ratings").rows
    created, updated = _utc(row["created_at"]), _utc(row["updated_at"])
    assert (row["rating"], row["version"], row["session"]) == (7, 2, GRADING)
    assert created < updated


def test_labels_export_has_the_session_and_guideline_version_of_each_label(db_path: Path) -> None:
    studio = _studio(db_path)
    store = studio.store
    store.create_annotator("ann", role="annotator", password="ann-pass-12345")
    store.save_session(PAIRS, DEMO, guidelines="Prefer the more helpful response.")
    item = studio.desk.next_item("ann", PAIRS)
    assert item is not None
    studio.desk.submit("ann", PAIRS, item.comparison.id, "left", swapped=item.swapped)
    outside = next(int(i) for i in store.comparison_table(DEMO)["id"] if int(i) != item.comparison.id)
    store.save_label(outside, "ann", "tie")  # outside any session (a script, an import)

    columns = export_table(store, DEMO, "labels").columns
    assert columns.index("session") < columns.index("guideline_version") < columns.index("created_at")
    rows = {r["comparison_id"]: r for r in export_table(store, DEMO, "labels", include_judges=True).rows}
    assert (rows[item.comparison.id]["session"], rows[item.comparison.id]["guideline_version"]) == (PAIRS, 1)
    assert (rows[outside]["session"], rows[outside]["guideline_version"]) == (None, None)
    # a label given in no session counts as imported (s14): no label time, only when it was stored
    assert (rows[outside]["imported"], rows[outside]["created_at"]) == (True, None)
    assert _utc(rows[item.comparison.id]["created_at"]) <= _utc(rows[item.comparison.id]["updated_at"])
    assert _utc(rows[outside]["updated_at"])


# ------------------------------------------------------------------ 3: a ratings export of a pairwise dataset


def test_a_ratings_export_of_a_pairwise_dataset_is_refused_with_a_hint(db_path: Path, tmp_path: Path) -> None:
    studio = _studio(db_path)
    with pytest.raises(StoreError, match="has comparisons but no ratings.*labels export \\(kind labels\\)"):
        export_table(studio.store, DEMO, "ratings")
    with pytest.raises(StoreError, match="has comparisons but no ratings"):
        export_table(studio.store, DEMO, "ratings", include_judges=True)
    _grading_dataset(studio, tmp_path)  # a grading dataset nobody has rated yet: its 0 rows are the truth
    assert export_table(studio.store, GRADE, "ratings").rows == []

    done = _cli(db_path.parent, "export", "--dataset", DEMO, "--kind", "ratings", "-o", str(tmp_path / "r.csv"))
    assert done.returncode == 1 and "Wrote" not in done.stdout + done.stderr
    assert "its pairwise answers are in the labels export (kind labels)" in done.stderr
    assert not (tmp_path / "r.csv").exists()


# ------------------------------------------------------------------ 5, 7: REST


@pytest.fixture
def api(db_path: Path) -> Iterator[tuple[Studio, TestClient, dict[str, str]]]:
    from web.server import create_api_app

    studio = _studio(db_path)
    for name, role in (("ann", "annotator"), ("other", "annotator"), ("rita", "reviewer")):
        studio.store.create_annotator(name, role=role, password=f"{name}-pass-12345")
    tokens = {name: studio.access.api_token(name) for name in ("ann", "rita")}
    with TestClient(create_api_app(studio)) as client:
        yield studio, client, tokens


def test_posting_a_label_answers_alike_for_an_unknown_id_and_one_not_leased(api: Any, tmp_path: Path) -> None:
    studio, client, tokens = api
    studio.store.save_session(PAIRS, DEMO)
    other = studio.desk.next_item("other", PAIRS)  # leased to someone else
    assert other is not None
    # a reviewer's ids (annotators name items by their handles, and an id from them is 403: s15 blindids)
    headers = {"Authorization": f"Bearer {tokens['rita']}"}
    body = {"session": PAIRS, "choice": "left", "swapped": False}
    existing = client.post("/api/v1/labels", json={**body, "comparison_id": other.comparison.id}, headers=headers)
    unknown = client.post("/api/v1/labels", json={**body, "comparison_id": 987654}, headers=headers)
    assert (existing.status_code, unknown.status_code) == (409, 409), unknown.text
    said = [existing.json()["detail"], unknown.json()["detail"]]
    said = [said[0].replace(str(other.comparison.id), "N"), said[1].replace("987654", "N")]
    assert said[0] == said[1] and said[0].startswith("Comparison #N was not handed to you, so nothing was saved;")
    no_session = client.post("/api/v1/labels", json={**body, "session": "nope", "comparison_id": 1}, headers=headers)
    assert no_session.status_code == 404 and "nope" in no_session.json()["detail"]

    responses = _grading_dataset(studio, tmp_path)
    rating = {"session": GRADING, "rating": 5}
    known = client.post("/api/v1/ratings", json={**rating, "response_id": responses[0]}, headers=headers)
    unknown = client.post("/api/v1/ratings", json={**rating, "response_id": 987654}, headers=headers)
    assert (known.status_code, unknown.status_code) == (409, 409), unknown.text
    assert known.json()["detail"].replace(str(responses[0]), "N") == unknown.json()["detail"].replace("987654", "N")
    elsewhere = studio.store.responses(DEMO)[0].id  # exists, in another dataset: answered alike too
    foreign = client.post("/api/v1/ratings", json={**rating, "response_id": elsewhere}, headers=headers)
    assert foreign.status_code == 409, foreign.text
    assert foreign.json()["detail"].replace(str(elsewhere), "N") == unknown.json()["detail"].replace("987654", "N")


def test_metrics_takes_the_uncertain_margin_as_the_report_card_does(api: Any) -> None:
    studio, client, tokens = api
    headers = {"Authorization": f"Bearer {tokens['rita']}"}
    params = {"dataset": DEMO, "bootstrap": 0, "uncertain_margin": 0.3}
    got = client.get("/api/v1/metrics", params=params, headers=headers)
    assert got.status_code == 200, got.text
    expected = metrics_report(studio.store, DEMO, n_bootstrap=0, uncertain_margin=0.3)
    assert got.json() == json.loads(json.dumps(expected, default=str))
    bad = {**params, "uncertain_margin": 1.5}
    refused = [client.get(f"/api/v1/{path}", params=bad, headers=headers) for path in ("metrics", "report-card")]
    assert [r.status_code for r in refused] == [422, 422]
    assert refused[0].json()["detail"] == refused[1].json()["detail"]


# ------------------------------------------------------------------ 6: gold import counts


def test_a_gold_import_is_counted_inside_its_transaction(db_path: Path, tmp_path: Path) -> None:
    studio = _studio(db_path)
    store = studio.store
    gold = {int(i) for i in store.gold_labels(DEMO)["comparison_id"]}  # the demo has gold marks of its own
    ids = [int(i) for i in store.comparison_table(DEMO)["id"] if int(i) not in gold][:3]
    marks = [GoldMark(i, "1", "first is right") for i in ids]
    assert store.set_gold_many(marks) == GoldImportCounts(3, 0, 0)
    assert store.set_gold_many(marks) == GoldImportCounts(0, 0, 3)
    assert store.set_gold_many([*marks[:2], GoldMark(ids[2], "2", "second")]) == GoldImportCounts(0, 1, 2)

    responses = _grading_dataset(studio, tmp_path)
    ratings = [GoldRatingMark(i, 10, 1, 3, "off topic") for i in responses]
    assert store.set_gold_ratings_many(ratings) == GoldImportCounts(3, 0, 0)
    assert store.set_gold_ratings_many([*ratings[:2], GoldRatingMark(responses[2], 5, 1, 2, "x")]) == (0, 1, 2)

    path = tmp_path / "gold.csv"
    path.write_text("comparison_id,verdict,explanation\n" + "".join(f"{i},1,first is right\n" for i in ids[:2]))
    done = _cli(db_path.parent, "gold", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Imported gold.csv: nothing new (2 gold marks already there, unchanged)."


# ------------------------------------------------------------------ 4: rate's bar and Ctrl-C's line


def test_rate_counts_what_is_left_before_the_judge_loads(db_path: Path, tmp_path: Path) -> None:
    from judge_runtime.factory import planned_fingerprint_key

    def rating_total(dataset: str, limit: int | None, profile: str) -> int:
        return studio.plan_rating(dataset, limit, profile=profile).total

    studio = _studio(db_path)
    responses = _grading_dataset(studio, tmp_path)
    assert rating_total(GRADE, None, "mtbench-single") == 3
    assert rating_total(GRADE, 2, "mtbench-single") == 2
    key = planned_fingerprint_key(studio.rating_spec)
    assert key is not None
    run = studio.store.ensure_judge_run(key, {"model": "demo", "profile": "mtbench-single"})
    studio.store.save_judge_rating(run, NewJudgeRating(responses[0], 5.0, "ok"))
    assert rating_total(GRADE, None, "mtbench-single") == 2  # this judge rated one already
    assert rating_total(GRADE, None, "prometheus2-absolute") == 3  # another judge did not
    assert studio._judge is None  # nothing was loaded to count


BAR_THEN_CTRL_C = """
import signal, sys, time
from cli import main
from cli.commands import progress_bar
def run(_settings):
    with progress_bar("rating", "Rating", 6):
        signal.raise_signal(signal.SIGINT)
        time.sleep(30)
import cli.commands
cli.commands.rate = lambda settings, args: run(settings)
main(["rate", "--dataset", "judge-studio-demo"])
"""


def test_the_rate_bar_has_its_total_and_ctrl_c_says_so_on_a_line_of_its_own(tmp_path: Path) -> None:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", BAR_THEN_CTRL_C], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 130, done.stderr
    lines = done.stderr.replace("\r", "\n").splitlines()
    assert lines[-1] == "judge-studio: interrupted."
    assert any(line.startswith("Rating:") and "0/6" in line and "? ratings/s" in line for line in lines), lines


# ------------------------------------------------------------------ 9: import hints


def test_import_hints_end_alike_and_name_every_json_format(tmp_path: Path) -> None:
    (tmp_path / "votes.csv").write_text("question,answer_a,answer_b\nq,a,b\n")
    (tmp_path / "list.json").write_text(json.dumps([{"a": 1}]))
    said = {
        fmt: _cli(tmp_path, "import", str(tmp_path / name), "--format", fmt).stderr.strip()
        for name, fmt in (("votes.csv", "pandalm-testset"), ("votes.csv", "evalbiasbench"), ("list.json", "csv"))
    }
    for text in said.values():
        assert text.endswith(" Nothing was imported."), text
    assert "This looks like CSV (a header line of columns), not JSON" in said["evalbiasbench"]
    assert ", evalbiasbench, hhh-alignment. Nothing was imported." in said["csv"], said["csv"]


# ------------------------------------------------------------------ 8: the server console and the demo judge


def _serve_until(home: Path, *flags: str, wanted: str, timeout: float = 240) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``serve`` in ``home`` and read its console until a line holds ``wanted`` (or it ends)."""
    from conftest import free_port

    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", "serve", "--port", str(free_port()), *flags]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (line := process.stdout.readline()):
        lines.append(line.rstrip("\n"))
        if wanted in line:
            break
    return process, lines


@pytest.mark.model
def test_serve_says_on_its_console_when_the_demo_judge_starts(tmp_path: Path) -> None:
    process, lines = _serve_until(tmp_path, wanted="Demo judge: judging")
    try:
        assert any(
            line.startswith("INFO:") and "Demo judge: judging the dataset judge-studio-demo" in line for line in lines
        ), lines
    finally:
        process.kill()
        process.wait()


def test_serve_without_the_demo_judging_loads_no_weights_at_start(tmp_path: Path) -> None:
    """With --no-judge-demo-on-start the demo judge loads at its first use: 10 s after the server is up,
    torch (imported only to load a judge) is not mapped into the process."""
    database = tmp_path / "judge-studio.sqlite3"
    _studio_at(tmp_path).store.close()
    database.chmod(0o644)  # made readable by others after the fact: said at start, not changed
    process, lines = _serve_until(tmp_path, "--no-judge-demo-on-start", wanted="Judge Studio on")
    try:
        assert any("Judge Studio on" in line for line in lines), lines
        assert any(
            "other users of this machine can read the database (judge-studio.sqlite3 644" in line for line in lines
        )
        assert database.stat().st_mode & 0o777 == 0o644
        assert "Demo judging off (--no-judge-demo-on-start): the demo judge loads at its first use." in lines
        time.sleep(10)
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        assert "libtorch" not in maps and not any("Demo judge" in line for line in lines)
    finally:
        process.kill()
        process.wait()


def test_the_judge_status_says_it_loads_at_first_use_when_nothing_loads_it(db_path: Path) -> None:
    """After ``serve --no-judge-demo-on-start`` nothing loads the judge: the pages said "Judge loading…"."""
    studio = _studio(db_path)
    assert studio.judge_status().endswith("loads at its first use.")
    assert "loading" not in studio.judge_status()


def test_judge_rows_of_the_labels_export_say_when_they_were_judged(db_path: Path) -> None:
    """``export --kind labels --judges``: judge rows had an empty ``created_at`` (s11 retest, polish 7)."""
    from annotation_store import NewVerdict

    store = _studio(db_path).store
    comparison = int(store.comparison_table(DEMO)["id"].iloc[0])
    run = store.ensure_judge_run("fp-times", {"model": "judge-t", "profile": "pandalm"})
    store.save_verdict(run, NewVerdict(comparison, "1", "ok"))
    (row,) = [r for r in export_table(store, DEMO, "labels", include_judges=True).rows if r["rater_kind"] == "judge"]
    assert _utc(row["created_at"]).year >= 2026
