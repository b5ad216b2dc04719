"""Session 17, task "dashboardfold": the Dashboard's known problems (s16 notes, campaign finding 8).

1. The pairs significant on their own but not after Holm's adjustment are folded into one sentence naming them
   (the demo printed ten near-identical lines), with a table under it when there are many; the text summary
   and the report card fold them by the same rule (``analysis.borderline.borderline_lines``).
2. The "Agreement between people" heatmap shows each cell's n, leaves the diagonal blank, and its title and
   note stand above the plot, not over it.
3. A set-aside account's labels are named under the Annotators table instead of vanishing.
4. One read: the judge-versions and judges-compared blocks come from the dashboard's own rows.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from analysis import format_report
from analysis.borderline import FOLD_LIST, borderline_lines
from annotation_store import NewVerdict
from orchestration import Settings, Studio
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from ui.card_document import card_markdown
from ui.dashboard import dashboard_figures, set_aside_markdown, summary_markdown

DATASET = "many-models"
HOLM = "not after Holm's adjustment"

pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    return Studio.open(Settings(home=db_path.parent))


def _pairs(studio: Studio, models: list[str], wins: int = 13, losses: int = 3, annotators: tuple[str, ...] = ("ann",)):
    """Every pair of ``models`` compared on ``wins + losses`` prompts, the first model of the pair winning
    ``wins`` of them (sign test p = 0.021 at 13-3: significant alone; over 3 or more pair tests Holm lifts it above
    0.05, and the people-only interval 0.81 [0.62, 1.00] leaves out 0.5). Each of ``annotators`` labels each."""
    store = studio.store
    n = wins + losses
    prompts = [{"id": f"q{i}", "instruction": f"Q{i}?", "responses": {m: f"{m} {i}" for m in models}} for i in range(n)]
    data = {"name": DATASET, "models": [{"name": m} for m in models], "prompts": prompts}
    assert store.seed_dataset(data, pairs_per_prompt=len(list(combinations(models, 2))))  # every pair, each prompt
    for _, row in store.comparison_table(DATASET).iterrows():
        first, second = sorted([row["model1"], row["model2"]], key=models.index)
        winner = first if int(str(row["prompt"]).removeprefix("q")) < wins else second
        for person in annotators:
            store.save_label(int(row["id"]), person, "1" if row["model1"] == winner else "2", presented_swapped=False)


def _entry(a: str, b: str, own_p: float = 0.021, tests: int = 10, only_holm: bool = True) -> dict[str, Any]:
    return {
        "model": a,
        "opponent": b,
        "wins": 13,
        "losses": 3,
        "ties": 0,
        "estimate": 0.8125,
        "low": 0.62,
        "high": 1.0,
        "sign_test_p": min(own_p * tests, 1.0),
        "adjusted": True,
        "own_p": own_p,
        "tests": tests,
        "only_holm": only_holm,
    }


# ------------------------------------------------------------------------------------------ 1. one line


def test_pairs_significant_only_before_holm_are_one_sentence_naming_them() -> None:
    entries = [_entry("A", "B", 0.03), _entry("C", "D", 0.04)]
    (line,) = borderline_lines(entries)
    assert line.startswith("Borderline: 2 pairs are significant on their own but not after Holm's adjustment over 10")
    assert "A vs B (p = 0.030, adjusted p = 0.300); C vs D (p = 0.040, adjusted p = 0.400)." in line
    assert line.count(HOLM) == 1


def test_many_such_pairs_are_one_sentence_and_one_line_or_table_row_each() -> None:
    entries = [_entry(f"m{i}", f"m{i + 1}") for i in range(FOLD_LIST + 1)]
    head, *rows = borderline_lines(entries)
    assert head.startswith(f"Borderline: {FOLD_LIST + 1} pairs are significant on their own") and head.endswith(":")
    assert len(rows) == FOLD_LIST + 1 and rows[0].startswith("- m0 vs m1: 13-3-0 (wins-losses-ties)")
    head, table = borderline_lines(entries, table=True)
    assert table.splitlines()[0] == "| pair | wins-losses-ties | win rate | p on its own | Holm-adjusted p |"
    assert len(table.splitlines()) == 2 + FOLD_LIST + 1 and "| m5 vs m6 | 13-3-0 |" in table


def test_one_such_pair_and_the_other_kind_keep_their_own_sentence() -> None:
    plain = _entry("X", "Y", 0.065, tests=1, only_holm=False) | {"adjusted": False, "sign_test_p": 0.065}
    (alone,) = borderline_lines([_entry("A", "B")])
    assert "finds the difference significant on its own (p = 0.021), not after Holm's adjustment over 10" in alone
    lines = borderline_lines([_entry("A", "B"), plain, _entry("C", "D")])
    assert len(lines) == 2 and "label more comparisons before calling it" in lines[0]
    assert lines[1].startswith("Borderline: 2 pairs")


def test_the_dashboard_the_text_summary_and_the_card_fold_them_alike(studio: Studio) -> None:
    """Four models, six pairs each 13-3: six pairs significant alone, none after Holm over 6 pair tests. The
    Dashboard said six near-identical sentences; now one, with a table of the six."""
    _pairs(studio, ["ma", "mb", "mc", "md"])
    board = build_dashboard(studio.store, DATASET, None, cache=ReportCache())
    assert len(board.people.borderline) == 6 and all(b.only_holm for b in board.people.borderline)
    summary = summary_markdown(board)
    assert summary.count(HOLM) == 1
    assert "Borderline: 6 pairs are significant on their own but not after Holm's adjustment over 6 pair tests" in (
        summary
    )
    assert "| ma vs mb | 13-3-0 | 0.812 [" in summary and summary.count("| m") == 6
    report = metrics_report(studio.store, DATASET, n_bootstrap=0)
    text = format_report(report)
    assert text.count(HOLM) == 1 and "  - ma vs mb: 13-3-0 (wins-losses-ties)" in text
    card = card_markdown(studio.report_card(DATASET, n_bootstrap=0))
    assert card.count(HOLM) == 1 and "- ma vs mb: 13-3-0" in card


def test_three_pairs_are_named_in_the_sentence(studio: Studio) -> None:
    _pairs(studio, ["ma", "mb", "mc"])
    summary = summary_markdown(build_dashboard(studio.store, DATASET, None, cache=ReportCache()))
    (line,) = [para for para in summary.split("\n\n") if HOLM in para]
    assert line.startswith("Borderline: 3 pairs are significant on their own but not after Holm's adjustment over 3")
    assert "ma vs mb (p = 0.021, adjusted p = 0.064); ma vs mc (p = 0.021" in line


# ------------------------------------------------------------------------------------------ 2. heatmap


def test_the_heatmap_shows_n_per_cell_and_its_title_stays_above_the_plot(studio: Studio) -> None:
    _pairs(studio, ["ma", "mb"], wins=4, losses=2, annotators=("ann", "bob"))
    board = build_dashboard(studio.store, DATASET, None, cache=ReportCache())
    figure = dashboard_figures(board)["dashboard-kappa"]
    heat = figure.data[0]
    assert [list(row) for row in heat.text] == [["", "1.00 (n=6)"], ["1.00 (n=6)", ""]]
    assert "over 6 shared comparisons" in heat.customdata[0][1] and heat.hoverongaps is False
    assert heat.z[0][0] is None or heat.z[0][0] != heat.z[0][0]  # the diagonal blank (NaN), not a 1.00
    title = figure.layout.title
    assert title.yref == "container" and title.yanchor == "top" and title.y == 1  # hangs from the top edge
    lines = title.text.count("<br>") + 1
    assert figure.layout.margin.t >= 36 + 19 * lines + 14  # room for every title line and the note above the plot
    (note,) = figure.layout.annotations
    assert "n: comparisons both labelled" in note.text.replace("<br>", " ") and note.yanchor == "bottom"


# ------------------------------------------------------------------------------------------ 3. set aside


def test_set_aside_accounts_are_named_under_the_annotators_table(studio: Studio) -> None:
    _pairs(studio, ["ma", "mb"], wins=4, losses=2, annotators=("ann", "bob", "anna"))
    board = build_dashboard(studio.store, DATASET, None, cache=ReportCache())
    assert set_aside_markdown(board) == "" and dashboard_figures(board)["dashboard-set-aside"] == ""
    studio.store.set_labels_aside("anna")
    board = studio.dashboard(DATASET)
    assert "anna" not in set(board.annotators["annotator"])
    shown = dashboard_figures(board)["dashboard-set-aside"]
    assert shown.startswith("_Labels set aside (not counted): anna (6 labels).")
    studio.store.set_labels_aside("anna", undo=True)
    board = studio.dashboard(DATASET)
    assert "anna" in set(board.annotators["annotator"]) and dashboard_figures(board)["dashboard-set-aside"] == ""


# ------------------------------------------------------------------------------------------ 4. one read


def _two_runs(studio: Studio) -> list[int]:
    """Two judge runs on every comparison of ``DATASET``: one always says "1", the other always "2"."""
    store = studio.store
    runs = [store.ensure_judge_run(name, {"model": name, "profile": "pandalm"}) for name in ("j-one", "j-two")]
    for comparison_id in store.comparison_table(DATASET)["id"]:
        for run, verdict in zip(runs, ("1", "2"), strict=True):
            store.save_verdict(run, NewVerdict(int(comparison_id), verdict, "ok"))
    return runs


def test_the_versions_and_judges_compared_blocks_come_from_the_dashboards_one_read(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gradio as gr

    from ui.dashboard import DashboardHandlers

    _pairs(studio, ["ma", "mb", "mc"], wins=4, losses=2, annotators=("ann", "bob"))
    runs = _two_runs(studio)
    studio.store.create_annotator("rita", role="reviewer", password="correct horse battery")
    report = metrics_report(studio.store, DATASET, n_bootstrap=0)  # metrics --json, REST /metrics
    expected = (report["judge_versions"]["versions"], report["judges_compared"])
    assert expected[0] and expected[1] is not None
    board = studio.dashboard(DATASET, runs[0])
    assert (board.run_rows.judge_versions(), board.run_rows.judges_compared()) == expected
    # every label here is imported (given in no session): the scope that keeps them gives the same blocks (the
    # blocks follow "Labels from": tests/test_s17_dashscope.py)
    scoped = studio.dashboard(DATASET, runs[0], labels_from="imported")
    assert (scoped.run_rows.judge_versions(), scoped.run_rows.judges_compared()) == expected

    reads: list[str] = []
    verdicts = studio.store.judge_verdicts
    monkeypatch.setattr(studio.store, "judge_verdicts", lambda *a, **k: reads.append("verdicts") or verdicts(*a, **k))

    def asked(*_args: Any) -> None:
        raise AssertionError("the tick asked the Studio again")

    monkeypatch.setattr(studio, "metrics", asked)
    page: Any = type("Page", (), {})()
    page.pairwise, page.shown = "pairwise", "shown"
    page.by_id = lambda values: {("figure", key): value for key, value in values.items()}
    shown = DashboardHandlers(studio, page).tick(DATASET, runs[1], None, None, gr.Request(username="rita"))
    summary = shown[("figure", "dashboard-summary")]
    assert "**Judges compared**" in summary and "**Judge versions**" in summary
    assert reads == ["verdicts"]  # one read of the dataset's verdicts for the figures and both blocks
