"""A grading study on a dataset of its own: responses only (AlpacaEval outputs), rated in a single-answer
session with gold responses, no comparison anywhere. Its report was refused everywhere ("has no
comparisons to report on"), the Dashboard said "No single-answer ratings on this dataset yet" beside
its ratings, and the Report card showed Gradio "Error" panels (tester "team", s10 finding 1).

Now every door shows the ratings part (graders, gold checks, mean ratings, the judge's scores) with the
same figures, and says in one line, instead of every pairwise part, that the dataset has no comparisons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from analysis.report_json import NO_COMPARISONS
from annotation_store import NewJudgeRating
from interchange.importers import import_alpacaeval_outputs
from orchestration import AdminDesk
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.report_card import ReportCardDesk
from ui.dashboard import dashboard_figures, graders_table
from ui.report_card import card_view

ROOT = Path(__file__).resolve().parent.parent
DATASET = "alpaca-grade"
SESSION = "team grading"
RESPONSES = 12


def _grading_study(studio: Any, shared_data: Path, folder: Path) -> int:
    """12 alpaca-7b outputs, one gold response (right: 1-2 on 1-5), alice and bob rate everything in a 1-5
    session (bob skips one and misses the gold check), and a judge run scores every response. Returns the run."""
    outputs = json.loads((shared_data / "alpaca_eval" / "alpaca-7b" / "model_outputs.json").read_text("utf-8"))
    source = folder / "alpaca7b_slice.json"
    source.write_text(json.dumps(outputs[:RESPONSES]), encoding="utf-8")
    store = studio.store
    import_alpacaeval_outputs(store, source, dataset=DATASET)
    assert store.comparison_texts(DATASET).empty and len(store.responses(DATASET)) == RESPONSES
    ids = [r.id for r in store.responses(DATASET)]
    AdminDesk(studio).set_gold_rating("admin", ids[0], 5, 1, 2, "off topic")
    store.save_session(SESSION, DATASET, kind="single", overlap=2, gold_rate=0.2, scale=5, reveal_judge=False)
    for who, skip_at, gold_rating in (("alice", None, 2), ("bob", 3, 5)):
        for n in range(RESPONSES):
            item = studio.grading.next_item(who, SESSION)
            assert item is not None
            rating = gold_rating if item.id == ids[0] else 1 + (item.id + n) % 5
            skipped = n == skip_at and item.id != ids[0]
            studio.grading.submit(who, SESSION, item.id, None if skipped else rating, skipped=skipped)
    run = store.ensure_judge_run("fp-grader", {"model": "grader-x", "profile": "prometheus2-absolute"})
    for response_id in ids:
        store.save_judge_rating(run, NewJudgeRating(response_id, float(1 + response_id % 5), "ok"), scale=5)
    return run


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def _rest(live_app: Any, path: str) -> dict[str, Any]:
    token = live_app.studio.access.api_token("rita")  # a reviewer
    response = httpx.get(
        live_app.url + "api/v1" + path,
        params={"dataset": DATASET},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    parsed: dict[str, Any] = response.json()
    return parsed


def test_every_door_reports_a_grading_only_dataset(live_app, shared_data: Path, tmp_path: Path) -> None:
    run = _grading_study(live_app.studio, shared_data, tmp_path)
    home = live_app.db_path.parent
    done = _cli(home, "metrics", "--dataset", DATASET, "--json")
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    assert cli == _rest(live_app, "/metrics")  # the same report, figure for figure

    # the pairwise parts: one line, and nothing else pretends to be a figure
    assert cli["pairwise_note"] == NO_COMPARISONS
    assert (cli["counts"]["comparisons"], cli["judges"], cli["people"]["ranking_note"]) == (0, [], None)
    # the ratings part: graders with their skips and gold checks, each model's mean, the judge's scores
    ratings = cli["ratings"]
    graders = {g["annotator"]: g for g in ratings["graders"]}
    assert (graders["alice"]["ratings"], graders["alice"]["skipped"], graders["alice"]["gold_accuracy"]) == (12, 0, 1.0)
    assert (graders["bob"]["ratings"], graders["bob"]["skipped"], graders["bob"]["gold_accuracy"]) == (11, 1, 0.0)
    assert (ratings["n_ratings"], ratings["scale"], ratings["judge_run"]) == (23, 5, run)
    (mean,) = ratings["corrected_means"]
    assert (mean["model"], mean["n_people"], mean["n_judge"]) == ("alpaca-7b", RESPONSES, RESPONSES)
    assert mean["people"]["estimate"] is not None and mean["judge"]["estimate"] is not None

    text = _cli(home, "metrics", "--dataset", DATASET)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"Dataset {DATASET}: {NO_COMPARISONS}\n")
    assert "  bob: 11 ratings, 1 skipped, gold checks 0 of 1 right" in text.stdout

    # the report card: REST and the CLI card carry the same ratings section and the one line
    card = _rest(live_app, "/report-card")
    assert (card["pairwise_note"], card["ratings"], card["judges"]) == (NO_COMPARISONS, ratings, [])
    printed = _cli(home, "report", "--dataset", DATASET, "--format", "text")
    assert printed.returncode == 0 and "No judge has judged" not in printed.stderr + printed.stdout, printed.stderr
    assert NO_COMPARISONS in printed.stdout and "Single-answer ratings" in printed.stdout
    assert any(line.split() == ["bob", "11", "1", "1", "0%"] for line in printed.stdout.splitlines())

    # the Report card page: no error, the same sentence and graders
    markdown, _diagram, _rates = card_view(ReportCardDesk(live_app.studio), "rita", DATASET, None, None)
    assert NO_COMPARISONS in markdown and "| bob | 11 | 1 | 1 | 0% |" in markdown

    # the Dashboard: the one line instead of "No human labels yet", and the ratings it once said were missing
    board = build_dashboard(live_app.studio.store, DATASET, cache=ReportCache())
    shown = dashboard_figures(board)
    assert shown["dashboard-summary"] == f"**0** comparisons · {NO_COMPARISONS}"
    assert shown["dashboard-rating-correlations"].startswith("**23** human ratings on **12** responses")
    assert "alpaca\\-7b" in shown["dashboard-rating-means"]
    table = graders_table(board)
    assert table is not None and table.set_index("grader").loc["bob", "gold right"] == "0%"
