"""The judge report card (issue 12): calibration, corrected estimates, the alternative-annotator test and
label aggregation in the one report, and the card read from it through every door.

Small synthetic reports check the card's reading (answers, caveats, thresholds, the aggregation
option); the PandaLM test set with PandaLM-7B's and gpt-3.5's released judgments, imported through
the command line, checks the done-when: ``metrics --json``, REST ``/metrics``, REST
``/report-card``, ``judge-studio report`` (Markdown and HTML) and the page all show the same alt-test
results and corrected win rates for the five models.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import JudgeRun, ReportInputs, ReportOptions, build_report, judge_report_card, report_dict
from analysis.defaults import CARD_MIN_LABELLED, POSITION_MAX_FLIP_RATE

ROOT = Path(__file__).resolve().parent.parent
DATASET = "pandalm-testset-v1"
MODELS = ("alpha-7b", "beta-7b", "gamma-7b")
PANDALM_MODELS = {"bloom-7b", "cerebras-gpt-6.7B", "llama-7b", "opt-7b", "pythia-6.9b"}


# ----------------------------------------------------------------------------- synthetic reports


def _inputs(
    n: int = 60,
    *,
    judge: str = "copy",
    annotators: int = 3,
    kinds: dict[str, str] | None = None,
    probabilities: bool = False,
    swapped: str | None = None,
    seed: int = 0,
) -> ReportInputs:
    """``n`` comparisons among three models, each labelled by ``annotators`` people who mostly agree;
    one judge run that copies the majority ("copy") or answers at random ("random"), optionally with
    probabilities and a swapped-order run ("same" verdicts or "flipped" to the other side)."""
    rng = np.random.default_rng(seed)
    pairs = [(MODELS[i % 3], MODELS[(i + 1) % 3]) for i in range(n)]
    texts = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "prompt": [f"p{i}" for i in range(n)],
            "category": ["math" if i % 2 else "writing" for i in range(n)],
            "model1": [a for a, _ in pairs],
            "model2": [b for _, b in pairs],
            "response1": ["a" * (10 + i % 7) for i in range(n)],
            "response2": ["b" * (12 + i % 5) for i in range(n)],
        }
    )
    truth = rng.choice(["1", "2", "tie"], size=n, p=[0.45, 0.45, 0.1])
    rows = []
    for person in range(annotators):
        noisy = np.where(rng.random(n) < 0.1, rng.choice(["1", "2", "tie"], size=n), truth)
        rows += [(i + 1, f"person{person}", v, pd.Timestamp("2025-01-01")) for i, v in enumerate(noisy)]
    labels = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict", "updated_at"])
    shown = texts[["id", "model1", "model2", "category"]].rename(columns={"id": "comparison_id"})
    labels = labels.merge(shown, on="comparison_id")
    verdict = truth if judge == "copy" else rng.choice(["1", "2", "tie"], size=n)
    frame = pd.DataFrame({"run_id": 1, "comparison_id": range(1, n + 1), "swapped": False, "verdict": verdict})
    frame["status"] = "ok"
    if probabilities:
        top = rng.uniform(0.4, 1.0, size=n)
        frame["probabilities"] = [
            {label: (p if label == v else (1 - p) / 2) for label in ("1", "2", "tie")}
            for v, p in zip(verdict, top, strict=True)
        ]
    if swapped:
        other = verdict if swapped == "same" else np.where(verdict == "1", "2", np.where(verdict == "2", "1", "tie"))
        frame = pd.concat([frame, frame.assign(swapped=True, verdict=other)], ignore_index=True)
    return ReportInputs("synthetic", texts, labels, frame, [JudgeRun(1, "judge-x", "pandalm")], annotator_kinds=kinds)


def _card(inputs: ReportInputs, options: ReportOptions | None = None) -> dict[str, Any]:
    report = report_dict(build_report(inputs, options or ReportOptions(n_bootstrap=0)))
    json.dumps(report, allow_nan=False)  # plain JSON, as metrics --json prints it
    return judge_report_card(report, 1)["judges"][0]


def test_a_judge_that_copies_people_passes_and_one_at_chance_fails() -> None:
    copying = _card(_inputs(judge="copy"))
    assert copying["answer"] == "yes"
    assert copying["conclusion"].startswith("The judge passes the alternative-annotator test")
    assert len(copying["alt_test"][0]["annotators"]) == 3 and copying["alt_test"][0]["group"] == "crowd"
    chance = _card(_inputs(judge="random"))
    assert chance["answer"] == "no" and "fails" in chance["conclusion"]


def test_unmet_requirements_make_the_answer_undecided_and_say_why() -> None:
    card = _card(_inputs(n=40, annotators=2))
    assert card["answer"] == "undecided"
    assert any("at least 3 people" in caveat for caveat in card["caveats"])
    assert any(caveat.startswith("too few labels: 40 comparisons") for caveat in card["caveats"])
    assert CARD_MIN_LABELLED > 40


def test_calibration_and_position_caveats_follow_the_thresholds() -> None:
    plain = _card(_inputs())
    assert plain["calibration"] is None
    assert any(c.startswith("no probabilities") for c in plain["caveats"])
    assert any(c.startswith("position bias not measured") for c in plain["caveats"])

    rich = _card(_inputs(probabilities=True, swapped="same"))
    calibration = rich["calibration"]
    assert calibration["n"] == 60 and calibration["people_labels"] == "majority"
    assert set(calibration["by_category"]) == {"math", "writing"}
    assert sum(b["count"] for b in calibration["bins"]) == 60 and 0 <= calibration["ece"] <= 1
    assert not any(c.startswith(("no probabilities", "position bias")) for c in rich["caveats"])

    flipped = _card(_inputs(swapped="flipped"))
    assert 1 - flipped["position_bias"]["consistency"] > POSITION_MAX_FLIP_RATE
    assert any(c.startswith("position bias: ") and "swap places" in c for c in flipped["caveats"])


def test_mixed_annotator_kinds_are_tested_per_kind_and_together() -> None:
    kinds = {"person0": "expert", "person1": "crowd", "person2": "crowd"}
    card = _card(_inputs(kinds=kinds))
    groups = {t["group"]: t for t in card["alt_test"]}
    assert set(groups) == {"crowd", "expert", "all"}
    assert groups["expert"]["epsilon"] == 0.2 and groups["crowd"]["epsilon"] == 0.1
    assert groups["all"]["epsilon"] == 0.1 and len(groups["all"]["annotators"]) == 3
    assert groups["expert"]["passed"] is None  # one expert cannot be tested alone
    assert card["answer"] == "yes"  # the answer rests on everyone together


def test_aggregation_option_changes_the_people_side_and_names_it() -> None:
    inputs = _inputs(seed=3)
    plain = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0, judge_vs_people=False)))
    default = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))
    for key in ("label_distribution", "annotators", "people", "categories", "model_pairs"):
        assert plain[key] == default[key]  # the new sections change no existing figure
    for old, new in zip(plain["judges"], default["judges"], strict=True):
        added = {"calibration", "calibration_note", "alt_test", "corrected"}
        assert {k: v for k, v in new.items() if k not in added} == {k: v for k, v in old.items() if k not in added}
    assert default["settings"]["people_labels"] == "majority"
    assert set(default["aggregation"]["methods"]) == {"majority", "dawid-skene"}
    assert default["aggregation"]["methods"]["majority"]["label_distribution"] == default["label_distribution"]

    ds = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0, aggregation="dawid-skene")))
    assert ds["settings"]["people_labels"] == "dawid-skene"
    assert ds["label_distribution"] == ds["aggregation"]["methods"]["dawid-skene"]["label_distribution"]
    judge = ds["judges"][0]
    assert judge["corrected"]["people_labels"] == "dawid-skene"
    quality = ds["aggregation"]["methods"]["dawid-skene"]["annotators"]
    assert [a["annotator"] for a in quality] == ["person0", "person1", "person2"]
    assert all(0 < a["accuracy"] <= 1 for a in quality)


# ----------------------------------------------------------------------------- PandaLM, every door


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def _get(live_app: Any, path: str, user: str = "rita", **params: Any) -> Any:
    import httpx

    token = live_app.studio.access.api_token(user)
    return httpx.get(live_app.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=300)


def _check_done_when(report: dict[str, Any]) -> None:
    """Each released judge against the three annotators, and corrected win rates of the five models."""
    assert report["settings"]["people_labels"] == "majority"
    assert report["aggregation"]["methods"]["majority"]["label_distribution"] == {"1": 422, "2": 472, "tie": 105}
    for judge in report["judges"]:
        (test,) = judge["alt_test"]
        assert test["group"] == "crowd" and test["epsilon"] == 0.1  # imported annotators are crowd by default
        assert len(test["annotators"]) == 3 and not test["skipped"] and not test["problems"]
        assert test["passed"] in (True, False) and 0 <= test["winning_rate"] <= 1
        assert 0 < test["advantage_probability"] < 1 and test["conclusion"]
        rates = judge["corrected"]["against_all"]
        assert {r["model"] for r in rates} == PANDALM_MODELS
        for rate in rates:
            for source in ("people", "judge", "corrected"):
                part = rate[source]
                assert part["low"] <= part["estimate"] <= part["high"]
            assert rate["n_unlabelled"] == 0  # every comparison has people's labels ...
            assert rate["power"] == 0.0 and rate["effective_labels"] == rate["n_labelled"]
            assert rate["corrected"]["n"] == rate["n_labelled"]
        assert judge["calibration"] is None and judge["calibration_note"].startswith("not measured")
        strengths = judge["corrected"]["bradley_terry"]["strengths"]
        assert len(strengths) == 4 and all(s["corrected"]["estimate"] is not None for s in strengths)
    pandalm = next(j for j in report["judges"] if j["model"].startswith("PandaLM"))
    for rate in pandalm["corrected"]["against_all"]:  # ... so, with no unparsed verdict, corrected = people only
        assert rate["corrected"] == rate["people"]


def _check_files(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, card: dict[str, Any]) -> None:
    """``judge-studio report`` writes the card as Markdown and as one HTML page with both plots inline."""
    from cli import parse_args, settings_from
    from cli.data import report_command
    from ui.render import inline_text

    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(home))
    for name in ("card.md", "card.html"):
        args = parse_args(["report", "--dataset", DATASET, "--bootstrap", "20", "-o", str(tmp_path / name)])
        report_command(settings_from(args), args)
    markdown = (tmp_path / "card.md").read_text(encoding="utf-8")
    page = (tmp_path / "card.html").read_text(encoding="utf-8")
    for judge in card["judges"]:
        assert inline_text(judge["conclusion"]) in markdown
        assert html.escape(judge["conclusion"], quote=False) in page
        assert f"Answer: {judge['answer']}." in markdown
    assert "# Judge report card: pandalm\\-testset\\-v1" in markdown
    # released outputs carry no probabilities: one line per run instead of its reliability diagram (s17)
    assert page.count('class="plotly-graph-div"') == len(card["judges"])
    assert page.count("No reliability diagram: this run&#x27;s verdicts carry no confidence.") == len(card["judges"])
    assert "<script src=" not in page and 'src="https://' not in page  # plotly.js inline: opens offline
    assert len(page) > 1_000_000


def _check_page(live_app: Any, card: dict[str, Any]) -> None:
    """The Gradio page builds, and its handler shows the same card and both figures."""
    import gradio as gr

    from orchestration.report_card import ReportCardDesk
    from ui.render import inline_text
    from ui.report_card import card_view, report_card_tab

    with gr.Blocks() as demo:
        report_card_tab(live_app.studio, demo)
    assert demo.fns  # events wired
    desk = ReportCardDesk(live_app.studio)
    judge = card["judges"][0]
    markdown, reliability, corrected = card_view(desk, "rita", DATASET, judge["run_id"], "majority")
    assert inline_text(judge["conclusion"]) in markdown
    assert reliability is None  # no probabilities: one line in place of the frame (s17 cardpolish)
    assert "_No reliability diagram: this run's verdicts carry no confidence._" in markdown
    assert [t.name for t in corrected.data] == ["people only", "judge only", "corrected (PPI)"]
    assert len(corrected.data[2].y) == 5
    with pytest.raises(Exception, match="reviewer"):
        desk.card("alice", DATASET)  # an annotator


def test_pandalm_card_is_the_same_through_every_door(
    live_app: Any, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = live_app.db_path.parent
    folder = shared_data / "pandalm"
    for name, fmt in [
        ("testset-v1.json", "pandalm-testset"),
        ("pandalm-7b-testset-v1.json", "pandalm-judgments"),
        ("gpt-3.5-turbo-testset-v1.json", "pandalm-judgments"),
    ]:
        result = _run(home, "import", str(folder / name), "--format", fmt)
        assert result.returncode == 0, result.stderr
    result = _run(home, "metrics", "--dataset", DATASET, "--json", "--bootstrap", "20")
    assert result.returncode == 0, result.stderr
    cli = json.loads(result.stdout)
    rest = _get(live_app, "api/v1/metrics", dataset=DATASET, bootstrap=20)
    assert rest.status_code == 200, rest.text
    assert rest.json() == cli
    _check_done_when(cli)

    response = _get(live_app, "api/v1/report-card", dataset=DATASET, bootstrap=20)
    assert response.status_code == 200, response.text
    card = response.json()
    assert [j["run_id"] for j in card["judges"]] == [j["run_id"] for j in cli["judges"]]
    for judge, figures in zip(card["judges"], cli["judges"], strict=True):
        for key in ("alt_test", "calibration", "corrected", "position_bias"):
            assert judge[key] == figures[key]
        assert judge["answer"] == {True: "yes", False: "no"}[judge["alt_test"][0]["passed"]]
    assert _get(live_app, "api/v1/report-card", user="alice", dataset=DATASET).status_code == 403
    missing = _get(live_app, "api/v1/report-card", dataset=DATASET, run_id=999)
    assert missing.status_code == 404 and "no judge run 999" in missing.json()["detail"]

    _check_files(home, tmp_path, monkeypatch, card)
    _check_page(live_app, card)
