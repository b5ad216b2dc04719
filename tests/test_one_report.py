"""One report, three doors: ``judge-studio metrics --json``, the REST ``GET /api/v1/metrics`` and the
dashboard's data function (``build_dashboard``) show the same figures for the same dataset.

The dataset: PandaLM's human test set (999 comparisons, three annotators) with three judge runs: the
released PandaLM-7B and gpt-3.5 judgments (one presentation order each), and a run judged in both
orders (gpt-3.5's verdicts as shown, PandaLM-7B's as the swapped order), so swap consistency is a
real figure. Done-when of the house-plan issue: accuracy, kappa, per annotator, per category, swap
consistency and the partial order agree between the three. The two-order judge also has a stored
checkup on EvalBiasBench (issue 11 item 3): the "checkup" section and the Dashboard's table agree too.
A reviewer adjudicated two comparisons the annotators split on (one overruling their majority): all
three doors read the adjudicated verdict as the people's label, and none of them lets it into the
agreement between annotators.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from analysis import majority_labels
from analysis.checkup import checkup_json
from analysis.report_json import plain
from annotation_store import NewVerdict, Store
from annotation_store.batch_import import ImportBatch, ImportJudgeRun, ImportVerdict
from interchange.evalbiasbench import import_evalbiasbench
from interchange.importers import import_pandalm_judgments, import_pandalm_testset, run_fingerprint
from orchestration.dashboard import Dashboard, ReportCache, build_dashboard
from ui.dashboard import dashboard_figures

ROOT = Path(__file__).resolve().parent.parent
DATASET = "pandalm-testset-v1"
BOOTSTRAP = 20
TWO_ORDERS = "two-order test judge"
CHECKUP_PAIRS = 12
SUITE = "evalbiasbench"


def _import(store: Store, shared_data: Path) -> None:
    folder = shared_data / "pandalm"
    import_pandalm_testset(store, folder / "testset-v1.json")
    for name in ("pandalm-7b-testset-v1.json", "gpt-3.5-turbo-testset-v1.json"):
        import_pandalm_judgments(store, folder / name)
    verdicts = store.judge_verdicts(DATASET)
    table = store.comparison_table(DATASET).set_index("id")
    first = verdicts[verdicts["judge"].str.startswith("gpt-3.5")]
    second = verdicts[verdicts["judge"].str.startswith("PandaLM")]
    rows = []
    for swapped, frame in ((False, first), (True, second)):
        for row in frame.itertuples():
            item = table.loc[row.comparison_id]
            verdict = row.verdict if row.status == "ok" else None
            rows.append(
                ImportVerdict(
                    str(item["prompt"]), str(item["model1"]), str(item["model2"]), verdict, row.status, swapped
                )
            )
    key, fingerprint = run_fingerprint(TWO_ORDERS, "pandalm", "test_one_report")
    batch = ImportBatch(
        DATASET, "test_one_report", "existing", judge_runs=(ImportJudgeRun(key, fingerprint, tuple(rows)),)
    )
    store.import_batch(batch)
    _checkup(store, shared_data, key, fingerprint)


def _checkup(store: Store, shared_data: Path, key: str, fingerprint: dict[str, Any]) -> None:
    """The two-order judge's checkup: EvalBiasBench pairs judged in both orders by the same run (as
    ``judge-studio checkup`` stores them), so the report has a "checkup" section for that run."""
    import_evalbiasbench(store, shared_data / "evalbiasbench" / "biasbench.json")
    run = store.ensure_judge_run(key, fingerprint)
    gold = store.labels("evalbiasbench").set_index("comparison_id")["verdict"]  # "1" or "2" (s15 benchfix)
    for comparison in store.comparison_table("evalbiasbench")["id"].head(CHECKUP_PAIRS):
        # right in the original order; in the swapped order right on even ids only
        right = str(gold[comparison])
        wrong = "2" if right == "1" else "1"
        store.save_verdict(run, NewVerdict(int(comparison), right, "ok"))
        store.save_verdict(
            run, NewVerdict(int(comparison), right if comparison % 2 == 0 else wrong, "ok", swapped=True)
        )


def _adjudicate(store: Store) -> int:
    """Two comparisons the annotators split on, adjudicated by rita (a reviewer): one to the released
    PandaLM-7B verdict where it differs from the majority (overruled), one to the majority where PandaLM-7B
    agrees with it. Returns how many more comparisons PandaLM-7B now gets right against people: 1."""
    labels = store.labels(DATASET)
    split = labels.groupby("comparison_id")["verdict"].nunique() > 1
    majority = majority_labels(labels).set_index("comparison_id")["verdict"]
    verdicts = store.judge_verdicts(DATASET)
    released = verdicts[(verdicts["judge"] == "PandaLM-7B (released outputs)") & (verdicts["status"] == "ok")]
    pandalm = released.set_index("comparison_id")["verdict"]
    candidates = [int(c) for c in pandalm.index if split.get(c, False)]
    wrong = next(c for c in candidates if pandalm[c] != majority[c])
    right = next(c for c in candidates if pandalm[c] == majority[c])
    store.adjudicate(wrong, "rita", str(pandalm[wrong]), "the released judge is right here")
    store.adjudicate(right, "rita", str(majority[right]), "the majority is right")
    return 1


def _cli(home: Path) -> dict[str, Any]:
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(home)}
    command = [sys.executable, "-m", "app", "metrics", "--dataset", DATASET, "--json", "--bootstrap", str(BOOTSTRAP)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def _rest(live_app: Any) -> dict[str, Any]:
    import httpx

    token = live_app.studio.access.api_token("rita")  # a reviewer
    response = httpx.get(
        live_app.url + "api/v1/metrics",
        params={"dataset": DATASET, "bootstrap": BOOTSTRAP},
        headers={"Authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    parsed: dict[str, Any] = response.json()
    return parsed


def _same(a: Any, b: Any) -> bool:
    """Equal figures: None and NaN both mean "undefined"; floats to 1e-12."""
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    if any(missing):
        return all(missing)
    return bool(a == pytest.approx(b, abs=1e-12))


def _check_dashboard(board: Dashboard, report: dict[str, Any]) -> None:
    (judge,) = [j for j in report["judges"] if j["run_id"] == board.run_id]
    vote = judge["per_vote"]
    # accuracy and kappa, per vote (what the page's summary shows) and against the majority label
    assert (board.agreement.n, board.agreement.judge_unparsed) == (vote["n"], vote["judge_unparsed"])
    assert _same(board.agreement.accuracy, vote["accuracy"]) and _same(board.agreement.cohen_kappa, vote["cohen_kappa"])
    assert board.report is not None
    versus = board.report.judge(board.run_id)
    assert versus is not None
    assert _same(versus.against_majority.accuracy, judge["against_majority"]["accuracy"])
    assert _same(versus.against_majority.cohen_kappa, judge["against_majority"]["cohen_kappa"])
    # per annotator
    people = {p["name"]: p for p in report["annotators"]}
    for row in board.annotators.itertuples():
        person = people[row.annotator]
        (with_run,) = [j for j in person["judges"] if j["run_id"] == board.run_id]
        assert (row.labels, row.n_with_others, row.n_with_judge) == (
            person["labels"],
            person["with_others"]["n"],
            with_run["n"],
        )
        assert _same(row.with_others, person["with_others"]["accuracy"]) and _same(row.with_judge, with_run["accuracy"])
    # per category: labels and the run's per-vote accuracy with its interval
    categories = {c["category"]: c for c in report["categories"]}
    assert set(board.categories["category"]) == set(categories)
    for row in board.categories.itertuples():
        section = categories[row.category]
        (run,) = [j["per_vote"] for j in section["judges"] if j["run_id"] == board.run_id]
        assert (row.comparisons, row.labelled, row.labels, row.n) == (
            section["comparisons"],
            section["labelled_comparisons"],
            section["labels"],
            run["n"],
        )
        assert all(_same(getattr(row, k), run[k]) for k in ("accuracy", "low", "high"))
    # swap consistency and first-position preference (or why they were not measured)
    position, bias = judge["position_bias"], board.judge_bias
    assert bias is not None
    assert (bias.swap_pairs, bias.n_decisive, bias.note) == (
        position["n_pairs"],
        position["n_decisive"],
        position["not_measured"],
    )
    assert _same(bias.swap_consistency, position["consistency"])
    assert _same(bias.first_position_rate, position["first_position_rate"])
    # the run's share of "response 1" (original order) beside people's on the same comparisons
    assert board.judge_response_one is not None
    share = {k: v for k, v in judge["response_1_share"].items() if k != "reading"}
    assert share.keys() == dataclasses.asdict(board.judge_response_one).keys()
    assert all(_same(getattr(board.judge_response_one, k), v) for k, v in share.items())
    # people's left-position preference, and the labels it leaves out for want of a recorded order
    theirs = report["people"]["position_bias"]
    people_bias = board.people_bias
    assert (people_bias.n_decisive, people_bias.n_unknown_order) == (theirs["n_decisive"], theirs["n_unknown_order"])
    assert _same(people_bias.first_position_rate, theirs["left_position_rate"])
    # partial orders: the judge's and the people's
    assert [list(e) for e in board.judge.order.hasse] == judge["partial_order"]["hasse"]
    assert [list(e) for e in board.people.order.hasse] == report["people"]["partial_order"]["hasse"]
    inter = report["inter_annotator"]
    assert _same(board.inter_annotator.fleiss_kappa, inter["fleiss_kappa"])
    assert _same(board.inter_annotator.krippendorff_alpha, inter["krippendorff_alpha"])
    # the judge checkup: the same stored checkups, figure for figure, and the run's table on the page
    assert plain(checkup_json(board.report.checkups)) == report["checkup"]
    mine = [c for c in report["checkup"]["runs"] if board.run_id in c["for_run_ids"]]
    shown = dashboard_figures(board)["dashboard-checkup"]
    for section in mine:
        overall = section["overall"]["judge"]
        orders = f"{overall['accuracy_original']:.0%} | {overall['accuracy_swapped']:.0%}"
        assert f"| overall | {overall['pairs']} | {orders} |" in shown
    assert bool(mine) != shown.startswith("_No judge checkup")
    # the people's labels, adjudications in place of the majority where a reviewer settled a comparison
    assert board.counts["adjudicated"] == report["counts"]["adjudicated"]
    assert board.report.label_distribution == report["label_distribution"]


def test_cli_rest_and_dashboard_show_the_same_figures(live_app, shared_data: Path) -> None:
    store = live_app.studio.store
    _import(store, shared_data)
    for n in (1, 2, 3):  # PandaLM's annotators as skilled annotators: the alt-test's margin 0.15
        store.update_account(f"pandalm-annotator{n}", kind="skilled")
    gained = _adjudicate(store)
    cli, rest = _cli(live_app.db_path.parent), _rest(live_app)
    assert cli == rest  # the same report, figure for figure
    for judge in cli["judges"]:
        assert [(t["group"], t["epsilon"]) for t in judge["alt_test"]] == [("skilled", 0.15)], judge["model"]
    assert (cli["counts"]["adjudicated"], cli["adjudications"]["overruled"], cli["adjudications"]["unlabelled"]) == (
        2,
        1,
        0,
    )

    runs = {j["model"]: j for j in cli["judges"]}
    two = runs[f"{TWO_ORDERS}"]
    (checkup,) = cli["checkup"]["runs"]  # the two-order judge's, on EvalBiasBench
    assert (checkup["run_id"], checkup["for_run_ids"], checkup["suite"]) == (two["run_id"], [two["run_id"]], SUITE)
    overall = checkup["overall"]["judge"]
    assert (overall["pairs"], overall["accuracy_original"], overall["right_swapped"]) == (CHECKUP_PAIRS, 1.0, 6)
    assert overall["pair_accuracy"] == overall["pair_agreement"] == 0.5
    assert two["position_bias"]["n_pairs"] == 974 and 0 < two["position_bias"]["consistency"] < 1
    assert runs["PandaLM-7B (released outputs)"]["position_bias"]["not_measured"].startswith("not measured")
    # one order: the judge's share of "response 1" beside people's on the same comparisons: 819 both decided,
    # 100 vs 84 disagreements in the files, one of the 84 settled PandaLM-7B's way by the reviewer
    share = runs["PandaLM-7B (released outputs)"]["response_1_share"]
    assert (share["n"], share["judge_1_people_2"], share["judge_2_people_1"]) == (819, 100, 83)
    assert (round(share["judge_rate"], 3), round(share["people_rate"], 3), round(share["p_value"], 3)) == (
        0.486,
        0.465,
        0.237,
    )
    # the two-order run's original order (gpt-3.5's verdicts): its own share, beside its swap figures
    assert (two["response_1_share"]["n"], two["response_1_share"]["judge_1_people_2"]) == (849, 86)
    # the test set's labels are imported (no recorded left/right order): none counts as "chose the left one"
    decisive = int((store.labels(DATASET)["verdict"] != "tie").sum())
    assert (cli["people"]["position_bias"]["n_decisive"], cli["people"]["position_bias"]["n_unknown_order"]) == (
        0,
        decisive,
    )
    # the published 0.6677 against the majority, plus the comparison a reviewer settled the released judge's way
    versus = runs["PandaLM-7B (released outputs)"]["against_majority"]
    assert round(versus["accuracy"] * versus["n"]) == round(0.6677 * versus["n"]) + gained
    # agreement between annotators reads their own labels only (the published kappas), never adjudications
    assert sorted(round(p["cohen_kappa"], 2) for p in cli["inter_annotator"]["pairwise_cohen_kappa"]) == [
        0.85,
        0.86,
        0.88,
    ]

    cache = ReportCache()
    for judge in cli["judges"]:
        board = build_dashboard(store, DATASET, judge["run_id"], cache=cache)
        assert board.run_id == judge["run_id"]
        _check_dashboard(board, cli)
