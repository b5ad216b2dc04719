"""The Dashboard's agreement per guideline version and its ratings on one scale, as a reviewer's page
gets them (the page's own "dashboard" handler, outputs found by elem_id), and the same figures in
the report's JSON. Real SQLite copies of the seeded database; labels go through the annotation desk."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store import NewJudgeRating, NewVerdict
from orchestration import AdminDesk, SessionForm, Settings, Studio
from orchestration.metrics import metrics_report
from ui.dashboard_layout import FIGURE_IDS

DEMO = "judge-studio-demo"
PEOPLE = ("alice", "bob", "carol")
EVIL = "drift <img src=x> |"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in PEOPLE:
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    s.store.create_annotator("ada <b>", role="admin", password="ada-pass-1")
    return s


def _label(studio: Studio, name: str, session: str, verdict: str) -> int:
    item = studio.desk.next_item(name, session)
    assert item is not None
    choice = {"1": "left", "2": "right", "tie": "tie"}[verdict]
    studio.desk.submit(name, session, item.comparison.id, choice, swapped=item.swapped)
    return int(item.comparison.id)


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _dashboard(studio: Studio, run_id: int | None, user: str = "rita") -> dict[str | None, object]:
    from ui import build_ui

    return by_id(handler(build_ui(studio), "dashboard")(DEMO, run_id, gr.Request(username=user)))


def test_the_dashboard_shows_agreement_per_guideline_version_for_the_chosen_run(studio: Studio) -> None:
    desk, store = AdminDesk(studio), studio.store
    form = SessionForm(EVIL, DEMO, overlap=3, randomize_order=False, guidelines="v1 text")
    desk.save_session("ada <b>", form)
    run = store.ensure_judge_run("drift-judge", {"model": "drift-judge", "profile": "pandalm"})
    other = store.ensure_judge_run("other-judge", {"model": "other-judge", "profile": "pandalm"})
    before = [_label(studio, name, EVIL, "1") for name in PEOPLE]  # v1: everyone says 1
    desk.save_session("ada <b>", SessionForm(EVIL, DEMO, overlap=3, randomize_order=False, guidelines="v2 text"))
    after = [_label(studio, name, EVIL, "2") for name in PEOPLE]  # v2: everyone says 2
    for comparison in {*before, *after}:
        store.save_verdict(run, NewVerdict(comparison, "1", "ok"))
        store.save_verdict(other, NewVerdict(comparison, "2", "ok"))

    shown = _dashboard(studio, run)
    assert "dashboard-guideline-versions" in FIGURE_IDS and set(FIGURE_IDS) <= set(shown)
    table = str(shown["dashboard-guideline-versions"])
    rows = {line.split(" | ")[1]: line for line in table.splitlines() if line.startswith("| drift")}
    assert set(rows) == {"v1", "v2"}
    # the cells are the report's figures (checked by hand in test_guideline_versions); the judge said "1"
    # to every comparison, so it agrees with every v1 label and no v2 label: the drift, visible
    report = metrics_report(store, DEMO, n_bootstrap=10)["guideline_versions"]["versions"]
    figures = {f"v{v['version']}": v for v in report if v["session"] == EVIL}
    for version, accuracy in (("v1", "1.000"), ("v2", "0.000")):
        mine = figures[version]
        (judged,) = [j for j in mine["judges"] if j["run_id"] == run]
        people, kappa = (_shown(mine["people_agreement"]), _shown(judged["cohen_kappa"]))
        assert f" | 3 | {people} ({mine['people_pairs']}) |" in rows[version]
        assert rows[version].endswith(f" | {accuracy} · {kappa} (3) |")
    assert "by ada &lt;b&gt;" in rows["v1"]  # who saved it, escaped
    assert rows["v1"].startswith("| drift &lt;img src=x&gt; \\| | v1 |") and "<img" not in table
    # the run chosen at the top decides the judge column: the other run disagrees the other way round
    flipped = [line for line in str(_dashboard(studio, other)["dashboard-guideline-versions"]).splitlines()]
    drift = [line for line in flipped if line.startswith("| drift")]
    assert " | 0.000 · " in drift[0] and " | 1.000 · " in drift[1]  # v1, then v2
    seeded = next(line for line in flipped if line.startswith("| Demo session | v1 |"))
    assert " by " not in seeded and "nan" not in seeded  # not recorded for a version from before versions
    # an annotator gets nothing from it
    assert _dashboard(studio, run, user="alice")["dashboard-guideline-versions"] == ""

    assert [(v["version"], v["labels"], v["created_by"]) for v in figures.values()] == [
        (1, 3, "ada <b>"),
        (2, 3, "ada <b>"),
    ]


def test_ratings_say_their_scale_and_why_a_1_5_judge_is_not_compared_with_1_10_people(studio: Studio) -> None:
    store = studio.store
    responses = store.responses(DEMO)[:4]
    for i, response in enumerate(responses):
        store.save_rating(response.id, "alice", 2 + i)  # no session: 1-10, the default scale
    judge = store.ensure_judge_run("p2", {"model": "p2-judge", "profile": "prometheus2-absolute"})
    for response in responses:
        store.save_judge_rating(judge, NewJudgeRating(response.id, 3.0, "ok"), scale=5)

    text = str(_dashboard(studio, None)["dashboard-rating-correlations"])
    assert "**4** human ratings on **4** responses" in text
    assert f"judge run {judge}, rating 1-5" in text and "compared on 1-10" in text
    assert "rates 1\\-5 and people rated 1\\-10: not compared" in text and "| level |" not in text
    ratings = metrics_report(store, DEMO, n_bootstrap=10)["ratings"]
    assert (ratings["scale"], ratings["judge_scale"], ratings["judge_run"]) == (10, 5, judge)
    assert "not compared" in ratings["note"] and all(row["n"] == 0 for row in ratings["correlations"].values())

    # a 1-10 judge: the correlation table, on 1-10, and no note
    ten = store.ensure_judge_run("mt", {"model": "mt-judge", "profile": "mtbench-single"})
    for i, response in enumerate(responses):
        store.save_judge_rating(ten, NewJudgeRating(response.id, float(9 - i), "ok"))
    compared = str(_dashboard(studio, None)["dashboard-rating-correlations"])
    assert f"judge run {ten}, rating 1-10" in compared and "compared on 1-10" in compared
    assert "| level | Pearson" in compared and "not compared" not in compared
    assert metrics_report(store, DEMO, n_bootstrap=10)["ratings"]["note"] == ""
