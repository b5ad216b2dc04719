"""Corrected (prediction-powered) mean ratings per model for grading sessions: people only, judge only
and PPI++ (``analysis.corrected_ratings``), in the one report's ``ratings`` section, its text summary and
the dashboard's table.

People's and the judge's ratings are written with the store's API on the seeded demo dataset (42 prompts
x 5 models), then read back through the real report builder: a judge that rates everything two points too
high, a grading session where people rated every judged response, a 1-5 judge next to 1-10 people, a
judge-uncertain-first session whose draw probabilities weight the estimate, and the same figures from the
CLI, the REST API and the dashboard.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import ReportOptions, build_report, format_report
from analysis.corrected_ratings import corrected_ratings, corrected_ratings_json
from analysis.report_json import plain, report_dict
from annotation_store import NewJudgeRating, Store
from orchestration import Settings, Studio
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report, read_report_inputs

ROOT = Path(__file__).resolve().parent.parent
DEMO = "judge-studio-demo"
BASE = {"atlas-13b-chat": 5, "borealis-7b-dpo": 5, "verbose-7b-sft": 4, "cirrus-3b-base": 3, "drizzle-1b": 3}
CORRECTED_KEYS = (
    "corrected_means",
    "corrected_method",
    "corrected_confidence",
    "corrected_weighted",
    "corrected_note",
    "corrected_fully_rated",  # s18 dashclean: each corrected mean is the people-only one
)


def _responses(store: Store) -> list[tuple[int, str, int]]:
    """(response id, model, prompt index) of every demo response, prompts in id order."""
    rows = store.responses(DEMO)
    prompts = {key: i for i, key in enumerate(dict.fromkeys(r.prompt_key for r in rows))}
    return [(r.id, r.model, prompts[r.prompt_key]) for r in rows]


def _quality(model: str, prompt: int) -> int:
    """The 'true' rating of a response (1-7): its model's level, up or down by prompt."""
    return BASE[model] + prompt % 5 - 2


def _noise(response_id: int) -> int:
    return zlib.crc32(str(response_id).encode()) % 3 - 1  # -1, 0 or +1, fixed per response, unrelated to the rest


def _judge_run(store: Store, name: str = "judge-x", profile: str = "mtbench-single") -> int:
    return store.ensure_judge_run(f"fp-{name}", {"model": name, "profile": profile})


def _means(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["model"]: m for m in report["ratings"]["corrected_means"]}


def test_a_judge_two_points_too_high_is_corrected_by_the_people_ratings(store: Store) -> None:
    run = _judge_run(store)
    truth: dict[str, list[int]] = {m: [] for m in BASE}
    for response, model, prompt in _responses(store):
        quality = _quality(model, prompt)
        truth[model].append(quality)
        store.save_judge_rating(run, NewJudgeRating(response, float(quality + 2 + _noise(response)), "ok"))
        if prompt % 3 == 0:  # people rate a third of the responses, two raters each
            store.save_rating(response, "alice", quality)
            store.save_rating(response, "bob", quality)

    report = metrics_report(store, DEMO, n_bootstrap=20)
    ratings = report["ratings"]
    assert ratings["scale"] == 10 and ratings["corrected_note"] == "" and ratings["corrected_weighted"] is False
    means = _means(report)
    assert set(means) == set(BASE)
    for model, m in means.items():
        people, judge, corrected = m["people"], m["judge"], m["corrected"]
        assert (m["n_people"], m["n_judge"], m["n_labelled"], m["n_unlabelled"]) == (14, 42, 14, 28)
        assert judge["estimate"] - people["estimate"] == pytest.approx(2, abs=0.3)  # the judge's bias shows
        assert corrected["low"] <= people["estimate"] <= corrected["high"]  # and is taken out
        assert corrected["low"] <= float(np.mean(truth[model])) <= corrected["high"]
        assert not judge["low"] <= float(np.mean(truth[model])) <= judge["high"]
        assert corrected["high"] - corrected["low"] < people["high"] - people["low"]  # the judge helps
        assert 0 < m["lambda"] <= 1 and m["effective_labels"] > m["n_people"] and m["note"] == ""
    text = format_report(report)
    assert "Mean rating per model (1-10, 95% intervals; people / judge / corrected):" in text
    atlas = means["atlas-13b-chat"]
    assert f"atlas-13b-chat: people {atlas['people']['estimate']:.2f} [" in text


def test_with_every_judged_response_rated_by_people_corrected_is_people_only(store: Store) -> None:
    run = _judge_run(store)
    for response, model, prompt in _responses(store):
        if prompt < 12:
            quality = _quality(model, prompt)
            store.save_rating(response, "alice", quality)
            store.save_judge_rating(run, NewJudgeRating(response, float(quality + 2 + _noise(response)), "ok"))
    for model, m in _means(metrics_report(store, DEMO, n_bootstrap=20)).items():
        assert (m["n_people"], m["n_judge"], m["n_unlabelled"]) == (12, 12, 0), model
        assert m["corrected"] == m["people"] and m["lambda"] == 0.0 and m["effective_labels"] == 12


def test_a_1_5_judge_against_1_10_people_gives_no_corrected_means_and_says_why(store: Store) -> None:
    run = _judge_run(store, "judge-five", "prometheus2-absolute")
    for response, model, prompt in _responses(store)[:40]:
        store.save_rating(response, "alice", _quality(model, prompt))
        store.save_judge_rating(run, NewJudgeRating(response, 3.0, "ok"), scale=5)
    report = metrics_report(store, DEMO, n_bootstrap=20)
    ratings = report["ratings"]
    assert (ratings["scale"], ratings["judge_scale"], ratings["corrected_means"]) == (10, 5, [])
    assert "the judge rates 1-5 and people rated 1-10" in ratings["corrected_note"]
    assert "not rescaled" in ratings["corrected_note"]
    assert f"Mean rating per model: {ratings['corrected_note']}" in format_report(report)


def test_too_few_people_ratings_give_none_with_a_reason_not_an_error(store: Store) -> None:
    run = _judge_run(store)
    for response, model, prompt in _responses(store):
        store.save_judge_rating(run, NewJudgeRating(response, 6.0, "ok"))
        if model == "drizzle-1b" and prompt == 0:
            store.save_rating(response, "alice", 2)
        elif model == "atlas-13b-chat" and prompt < 4:
            store.save_rating(response, "alice", 8 - prompt)
    means = _means(metrics_report(store, DEMO, n_bootstrap=20))
    drizzle, atlas, cirrus = means["drizzle-1b"], means["atlas-13b-chat"], means["cirrus-3b-base"]
    assert drizzle["people"]["estimate"] is None and drizzle["corrected"]["estimate"] is None
    assert drizzle["judge"]["estimate"] == 6.0 and drizzle["n_people"] == 1
    assert drizzle["note"].startswith("1 response rated by people on 1-10 (at least 2 needed)")
    assert cirrus["n_people"] == 0 and cirrus["people"]["estimate"] is None and cirrus["judge"]["n"] == 42
    assert atlas["people"]["estimate"] == pytest.approx(6.5) and atlas["corrected"]["estimate"] is not None


def test_draw_probabilities_weight_the_estimate_as_designed() -> None:
    """100 responses: 50 rated 2 by people, drawn with π = 0.8 (the judge was unsure of them), 50 rated 8,
    drawn with π = 0.2; exactly the expected numbers were drawn (40 and 10). The judge says one more
    than people. Unweighted, the rated responses over-represent the 2s (people mean 3.2); weighted 1/π the
    people mean and the corrected mean are the population's, 5, whatever λ is."""
    ids = np.arange(100)
    low = ids < 50
    truth = np.where(low, 2.0, 8.0)
    rated = np.where(low, ids < 40, ids >= 90)
    people = pd.DataFrame({"response_id": ids[rated], "model": "m", "human": truth[rated]})
    judge = pd.DataFrame({"response_id": ids, "model": "m", "judge": truth + 1})
    draws = pd.DataFrame({"response_id": ids, "draw_probability": np.where(low, 0.8, 0.2)})

    (plain_mean,) = corrected_ratings(people, judge, scale=10).means
    (weighted,) = corrected_ratings(people, judge, scale=10, draws=draws).means
    assert plain_mean.people.estimate == pytest.approx(3.2)
    assert plain_mean.corrected.estimate == pytest.approx(3.2 + 3.6 * (plain_mean.power or 0.0))  # λ-dependent bias
    assert weighted.people.estimate == pytest.approx(5.0) and weighted.corrected.estimate == pytest.approx(5.0)
    assert weighted.judge.estimate == plain_mean.judge.estimate == pytest.approx(6.0)  # the judge is unweighted
    unknown = draws.assign(draw_probability=np.nan)  # no design explains the ratings: no weights
    assert corrected_ratings(people, judge, scale=10, draws=unknown) == corrected_ratings(people, judge, scale=10)
    assert corrected_ratings(people, judge, scale=10, draws=draws).weighted is True
    assert corrected_ratings_json(corrected_ratings(people, judge, scale=10, draws=draws))["corrected_weighted"]


def test_a_judge_uncertain_first_session_weights_people_by_their_draw_probability(db_path: Path) -> None:
    studio = Studio.open(Settings(home=db_path.parent))
    studio.store.create_annotator("grader", password="grader-pass-1")
    store = studio.store
    run = _judge_run(store)
    quality = {}
    for response, model, prompt in _responses(store):
        quality[response] = _quality(model, prompt)
        spread = 0.2 + (response % 7) * 0.5  # the judge hesitated over some responses more than others
        store.save_judge_rating(run, NewJudgeRating(response, float(quality[response] + 1), "ok"), rating_sd=spread)
    store.save_session("route", DEMO, kind="single", strategy="judge-uncertain-first", audit_rate=0.3)
    for _ in range(40):
        item = studio.grading.next_item("grader", "route")
        assert item is not None
        studio.grading.submit("grader", "route", item.id, quality[item.id])

    draws = store.rating_draw_probabilities(DEMO)
    inputs = read_report_inputs(store, DEMO, details=True)  # what metrics, REST and the dashboard read
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=20)))
    assert report["ratings"]["corrected_weighted"] is True
    ratings = store.ratings(DEMO)
    pi = draws.set_index("response_id")["draw_probability"]
    assert pi.reindex(ratings["response_id"]).nunique() > 1  # unequal draws: the weights matter
    checked = 0
    for model, m in _means(report).items():
        mine = ratings[ratings["model"] == model]
        if len(mine) < 2:
            assert m["people"]["estimate"] is None and m["note"]
            continue
        checked += 1
        assert m["people"]["estimate"] != pytest.approx(mine["rating"].mean(), abs=1e-6)  # not the plain mean
        w = 1 / pi.reindex(mine["response_id"]).to_numpy()
        expected = float(np.sum(w * mine["rating"].to_numpy(dtype=float)) / np.sum(w))  # Hájek
        assert m["people"]["estimate"] == pytest.approx(expected, abs=1e-9), model
    assert checked >= 3


def _cli(home: Path, bootstrap: int = 20) -> dict[str, Any]:
    """``judge-studio metrics --json`` on the demo dataset of ``home``, as a subprocess."""
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", "metrics", "--dataset", DEMO, "--json", "--bootstrap", str(bootstrap)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def _rest(live_app: Any, bootstrap: int = 20) -> dict[str, Any]:
    """``GET /api/v1/metrics`` on the demo dataset, as a reviewer."""
    import httpx

    token = live_app.studio.access.api_token("rita")  # a reviewer
    response = httpx.get(
        live_app.url + "api/v1/metrics",
        params={"dataset": DEMO, "bootstrap": bootstrap},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    parsed: dict[str, Any] = response.json()
    return parsed


def test_cli_rest_and_dashboard_show_the_same_corrected_means(live_app: Any) -> None:
    from ui.dashboard import dashboard_figures
    from ui.render import inline_text

    store = live_app.studio.store
    run = _judge_run(store, "judge <b>x</b>")
    for response, model, prompt in _responses(store):
        store.save_judge_rating(run, NewJudgeRating(response, float(_quality(model, prompt) + 2), "ok"))
        if prompt % 4 == 0 and model != "drizzle-1b":
            store.save_rating(response, "alice", max(1, _quality(model, prompt) + _noise(response)))
    cli, rest = _cli(live_app.db_path.parent), _rest(live_app)
    assert cli["ratings"] == rest["ratings"]
    board = build_dashboard(store, DEMO, cache=ReportCache())
    assert board.ratings is not None and board.ratings.corrected is not None
    shown = plain(corrected_ratings_json(board.ratings.corrected))
    assert shown == {key: cli["ratings"][key] for key in CORRECTED_KEYS}
    table = dashboard_figures(board)["dashboard-rating-means"]
    for m in cli["ratings"]["corrected_means"]:
        row = next(
            line for line in table.splitlines() if line.startswith(f"| {m['model'].replace('-', chr(92) + '-')} |")
        )
        for source in ("people", "judge", "corrected"):
            interval = m[source]
            cell = "–" if interval["estimate"] is None else f"{interval['estimate']:.2f} [{interval['low']:.2f}, "
            assert cell in row, (m["model"], source, row)
    (drizzle,) = [m for m in cli["ratings"]["corrected_means"] if m["model"] == "drizzle-1b"]
    assert drizzle["note"].startswith("0 responses rated by people")
    assert f"_{inline_text('drizzle-1b')}: {inline_text(drizzle['note'])}_" in table  # why, escaped


def test_ratings_that_are_all_the_same_get_a_real_interval_and_the_card_shows_it() -> None:
    """A model whose every rating is 4 (two graders agreeing, no judge yet): the CLT interval has no width
    and statsmodels' Wilson got a share of 4 (NaN, and the Report card crashed formatting None). Now the
    Wilson interval of the rating's share of 1-5, mapped back: finite, inside the scale, around 4."""
    from ui.card_document import _interval

    people = pd.DataFrame({"response_id": [1, 2, 3], "model": ["m", "m", "n"], "human": [4.0, 4.0, 2.0]})
    judge = pd.DataFrame({"response_id": pd.Series(dtype="int64"), "judge": pd.Series(dtype=float)})
    found = corrected_ratings_json(corrected_ratings(people, judge, scale=5))
    (m,) = [row for row in found["corrected_means"] if row["model"] == "m"]
    assert m["people"]["estimate"] == 4.0 and 1.0 <= m["people"]["low"] < 4.0 < m["people"]["high"] <= 5.0
    assert _interval(m["people"]).startswith("4.000 [")
    json.dumps(found, allow_nan=False)
    assert _interval({"estimate": 4.0, "low": None, "high": None}) == "4.000 (no interval)"
