"""Task s12 "reportscope": whose labels a report counts, and figures that say their n.

A dataset with imported labels (a PandaLM test-set slice: three imported annotators on every item) and a
session's labels (three people, overlap 3, gold checks): the report kept to the session reads only the
session's labels (counts and Krippendorff's alpha equal a pandas recomputation on them alone), the
imported scope only the imported ones, and the default says that imported labels are included.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import pytest

from annotation_store import Store, open_store
from annotation_store.base import StoreNotFound
from interchange.importers import import_pandalm_testset
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from orchestration.report_card import report_card

DATASET = "slice"
SESSION = "team"
N = 12
IMPORTED = ["pandalm-annotator1", "pandalm-annotator2", "pandalm-annotator3"]
TEAM = ["ann", "bob", "cyd"]


def _records() -> list[dict[str, Any]]:
    draw = random.Random(7)
    models = ["llama-7b", "bloom-7b", "opt-7b"]
    rows = []
    for i in range(N):
        a, b = models[i % 3], models[(i + 1) % 3]
        rows.append(
            {
                "idx": i,
                "motivation_app": "Grammarly" if i % 2 else "Wikipedia",
                "cmp_key": f"{a}_{b}",
                "instruction": f"Say something {i}",
                "input": "",
                "response1": f"first answer {i}",
                "response2": f"second answer number {i}",
                # the imported annotators agree on everything: their majority would always win
                **{f"annotator{k}": 1 + (i % 2) for k in (1, 2, 3)},
            }
        )
        rows[-1]["annotator3"] = draw.choice([0, 1, 2]) if i % 4 == 0 else rows[-1]["annotator3"]
    return rows


def _populate(store: Store, folder: Path) -> tuple[list[int], list[int]]:
    """The slice imported with its three annotators' labels, two gold marks, then the team's session."""
    path = folder / "testset.json"
    path.write_text(json.dumps(_records()), encoding="utf-8")
    import_pandalm_testset(store, path, dataset=DATASET)
    ids = sorted(int(i) for i in store.comparison_table(DATASET)["id"])
    gold = ids[:2]
    for c in gold:  # marked gold after the import: the imported labels on them were never gold checks
        store.set_gold(c, "1", "the first answer is right")
    store.save_session(SESSION, DATASET, overlap=3, gold_rate=0.25)
    draw = random.Random(11)
    for who in TEAM:
        while (turn := store.lease("pairwise", who, SESSION)) is not None:
            verdict = draw.choice(["1", "2", "tie"])
            store.submit("pairwise", who, SESSION, turn.item.id, verdict=verdict, skipped=False, swapped=turn.swapped)
    return ids, gold


@pytest.fixture
def scoped(tmp_path: Path) -> Any:
    store: Store = open_store(tmp_path / "judge-studio.sqlite3")  # the database of ``--home tmp_path``
    ids, gold = _populate(store, tmp_path)
    yield store, ids, gold
    store.close()


def _alpha(frame: pd.DataFrame) -> float:
    """Krippendorff's alpha recomputed by hand: annotators x comparisons, nominal."""
    table = frame.pivot(index="annotator", columns="comparison_id", values="verdict")
    codes = table.replace({"1": 1.0, "2": 2.0, "tie": 3.0}).astype(float)
    return float(krippendorff.alpha(reliability_data=codes.to_numpy(), level_of_measurement="nominal"))


def _session_labels(store: Store) -> pd.DataFrame:
    rows = store.guideline_labels(DATASET)  # the labels given in a session, read apart from the report
    return rows[rows["session"] == SESSION][["comparison_id", "annotator", "verdict"]]


def test_the_report_kept_to_a_session_reads_its_labels_alone(scoped: Any) -> None:
    store, _, _ = scoped
    mine = _session_labels(store)
    assert set(mine["annotator"]) == set(TEAM)
    report = metrics_report(store, DATASET, n_bootstrap=0, labels_from=SESSION)
    counts = report["counts"]
    assert counts["labels"] == len(mine)
    assert counts["annotators"] == 3
    assert counts["multi_labelled"] == int((mine.groupby("comparison_id").size() >= 2).sum())
    assert report["inter_annotator"]["krippendorff_alpha"] == pytest.approx(_alpha(mine))
    assert {a["name"] for a in report["annotators"]} == set(TEAM)
    majority = mine.groupby("comparison_id")["verdict"].agg(lambda s: s.value_counts())
    assert report["counts"]["labelled_comparisons"] == len(majority)
    scope = report["labels_from"]
    assert scope["scope"] == "session" and scope["session"] == SESSION
    assert scope["line"] == f"People: labels from session '{SESSION}' ({len(mine)} labels, 3 annotators)"


def test_imported_scope_and_the_default_say_what_they_count(scoped: Any) -> None:
    store, _, _ = scoped
    everything = store.labels(DATASET)
    imported = everything[everything["annotator"].isin(IMPORTED)][["comparison_id", "annotator", "verdict"]]
    only = metrics_report(store, DATASET, n_bootstrap=0, labels_from="imported")
    assert only["counts"]["labels"] == len(imported) == 3 * N
    assert only["inter_annotator"]["krippendorff_alpha"] == pytest.approx(_alpha(imported))
    assert (
        only["labels_from"]["line"]
        == f"People: imported labels only (given in no session; {3 * N} labels, 3 annotators)"
    )

    every = metrics_report(store, DATASET, n_bootstrap=0)
    assert every["counts"]["labels"] == len(everything)
    assert every["counts"]["annotators"] == 6
    assert every["labels_from"]["line"] == (
        f"People: all labels; includes {3 * N} imported labels from 3 annotators: choose a session to see it alone"
    )
    from orchestration.datasets import format_report

    assert every["labels_from"]["line"] in format_report(every).splitlines()


def test_gold_accuracy_lists_only_people_who_took_gold_checks(scoped: Any) -> None:
    store, _, gold = scoped
    report = metrics_report(store, DATASET, n_bootstrap=0)
    graded = {a["name"]: (a["gold"]["n"], a["gold"]["accuracy"]) for a in report["annotators"]}
    for name in IMPORTED:  # they labelled the gold comparisons in their file, long before they were gold
        assert graded[name] == (0, None)
    took = store.guideline_labels(DATASET)
    took = took[took["comparison_id"].isin(gold)]
    for who in TEAM:
        n = int((took["annotator"] == who).sum())
        assert n >= 1 and graded[who][0] == n


def test_an_unknown_session_is_refused_with_the_sessions_named(scoped: Any) -> None:
    store, _, _ = scoped
    with pytest.raises(StoreNotFound, match="has no session 'nope'.*'team'"):
        metrics_report(store, DATASET, n_bootstrap=0, labels_from="nope")


def test_card_and_dashboard_take_the_scope(scoped: Any) -> None:
    store, _, _ = scoped
    card = report_card(store, DATASET, n_bootstrap=0, labels_from=SESSION)
    assert card["labels_from"]["session"] == SESSION
    assert card["counts"]["annotators"] == 3
    board = build_dashboard(store, DATASET, cache=ReportCache(), labels_from=SESSION)
    assert set(board.annotators["annotator"]) == set(TEAM)
    whole = build_dashboard(store, DATASET, cache=ReportCache())
    assert set(whole.annotators["annotator"]) == set(TEAM) | set(IMPORTED)

    from ui.card_document import head_markdown
    from ui.dashboard import summary_markdown
    from ui.dashboard_layout import labels_from_choices

    n = card["labels_from"]["labels"]

    def shown(markdown: str) -> str:
        return markdown.replace("\\", "")  # as the page renders the Markdown escapes

    assert f"_People: labels from session 'team' ({n} labels, 3 annotators)_" in shown(summary_markdown(board))
    said = f"People: all labels; includes {3 * N} imported labels from 3 annotators: choose a session to see it alone"
    assert said in shown(summary_markdown(whole))
    assert f"People: labels from session 'team' ({n} labels, 3 annotators)" in shown(head_markdown(card))
    assert "Krippendorff's α uses all" in head_markdown(card) or "labels each" in head_markdown(card)
    assert labels_from_choices(["team", "all"]) == [
        ("all people", "all"),
        ("session 'team'", "team"),
        ("session 'all'", "session:all"),
        ("imported labels", "imported"),
    ]


def test_fleiss_says_the_comparisons_it_read(scoped: Any) -> None:
    """6 labels on most comparisons, fewer on the gold ones (only the session's checks, no gold twice):
    Fleiss' kappa reads the modal count only, and every report says how many."""
    store, _, _ = scoped
    report = metrics_report(store, DATASET, n_bootstrap=0)
    inter = report["inter_annotator"]
    per = store.labels(DATASET).groupby("comparison_id").size()
    multi = int((per >= 2).sum())
    modal = int(per[per >= 2].value_counts().sort_index(ascending=False).idxmax())
    used = int((per == modal).sum())
    assert (inter["fleiss_comparisons"], inter["fleiss_labels_each"]) == (used, modal)
    expected = f"{used} comparisons with {modal} labels each"
    if multi > used:  # s14: why, and what was left out (tests/test_s14_diskerr_more.py)
        left = (per[per >= 2] != modal).sum()
        expected = f"{used} of {multi} comparisons, those with {modal} labels each: Fleiss' kappa needs the same"
        assert f"{left} with" in inter["fleiss_basis"] and f"Krippendorff's α uses all {multi}" in inter["fleiss_basis"]
        assert inter["fleiss_basis"].startswith(expected)
        expected = inter["fleiss_basis"]
    assert inter["fleiss_basis"] == expected
    from orchestration.datasets import format_report

    assert f"({expected})" in format_report(report)


def test_fleiss_basis_words_by_hand() -> None:
    from analysis.inter_annotator import fleiss_basis, fleiss_basis_words

    rows = [(c, f"p{k}", "1" if (c + k) % 3 else "2") for c in range(10) for k in range(5 if c < 8 else 4)]
    labels = pd.DataFrame(rows, columns=["comparison_id", "annotator", "verdict"])
    basis = fleiss_basis(labels)
    assert (basis.comparisons, basis.labels_each, basis.multi_labelled) == (8, 5, 10)
    assert fleiss_basis_words(8, 5, 10, left_out=basis.left_out) == (
        "8 of 10 comparisons, those with 5 labels each: Fleiss' kappa needs the same number of labels on each; "
        "2 with 4 labels left out; Krippendorff's α uses all 10"
    )
    assert fleiss_basis_words(10, 5, 10) == "10 comparisons with 5 labels each"
    assert np.isfinite(basis.kappa)


def test_the_bias_legend_and_measure_names_stay_out_of_each_others_way() -> None:
    """Presenter finding 5: the legend below the plot covered the first measure's name (checked by a
    screenshot in a browser; here the layout that keeps them apart)."""
    from analysis.bias import Bias, LengthBias
    from ui.plots import BIAS_MEASURES, bias_figure

    judge = Bias("judge", 40, 0.51, 0.9, 30, 0.87, LengthBias(40, 0.72, 0.01))
    people = Bias("people", 0, None, None, 0, None, LengthBias(40, 0.70, 0.02), n_unknown_order=60)
    layout = bias_figure(judge, people).layout
    legend = layout.legend
    assert (legend.orientation, legend.yref, legend.y, legend.yanchor, legend.xanchor) == (
        "h",
        "container",
        1,
        "top",
        "right",
    )
    assert layout.xaxis.tickangle == 0 and list(layout.xaxis.tickvals) == list(BIAS_MEASURES)
    lines = [line for text in layout.xaxis.ticktext for line in text.split("<br>")]
    assert max(len(line) for line in lines) <= 12
    assert " ".join(lines).startswith("picks the first / left response")


def test_the_command_line_takes_labels_from(scoped: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    store, _, _ = scoped
    mine = _session_labels(store)
    main(["metrics", "--dataset", DATASET, "--labels-from", SESSION, "--json", "--home", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["labels"] == len(mine)
    assert report["inter_annotator"]["krippendorff_alpha"] == pytest.approx(_alpha(mine))
    main(["metrics", "--dataset", DATASET, "--labels-from", "imported", "--home", str(tmp_path)])
    assert (
        f"People: imported labels only (given in no session; {3 * N} labels, 3 annotators)" in capsys.readouterr().out
    )
    main(["report", "--dataset", DATASET, "--labels-from", SESSION, "--format", "markdown", "--home", str(tmp_path)])
    assert f"People: labels from session 'team' ({len(mine)} labels, 3 annotators)" in capsys.readouterr().out.replace(
        "\\", ""
    )
    with pytest.raises(SystemExit, match="has no session 'nobody'"):
        main(["metrics", "--dataset", DATASET, "--labels-from", "nobody", "--home", str(tmp_path)])


def test_rest_takes_labels_from(live_app: Any, tmp_path: Path) -> None:
    import httpx

    store = live_app.studio.store
    _populate(store, tmp_path)
    mine = _session_labels(store)
    token = live_app.studio.access.api_token("rita")
    with httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}) as api:
        got = api.get("/metrics", params={"dataset": DATASET, "bootstrap": 0, "labels_from": SESSION}, timeout=120)
        assert got.status_code == 200, got.text
        report = got.json()
        assert report["counts"]["labels"] == len(mine)
        assert report["inter_annotator"]["krippendorff_alpha"] == pytest.approx(_alpha(mine))
        card = api.get(
            "/report-card", params={"dataset": DATASET, "bootstrap": 0, "labels_from": "imported"}, timeout=120
        )
        assert card.status_code == 200, card.text
        assert card.json()["labels_from"]["labels"] == 3 * N
        assert card.json()["counts"]["annotators"] == 3
        missing = api.get("/metrics", params={"dataset": DATASET, "labels_from": "nobody"})
        assert missing.status_code == 404 and "has no session 'nobody'" in missing.text
