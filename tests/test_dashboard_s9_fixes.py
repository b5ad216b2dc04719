"""The Dashboard fixes of session 9 (a lead checking the figures on real data), as a reviewer sees them:
the page's own handlers (outputs found by elem_id) over real SQLite copies of the seeded database,
with data imported as the CLI imports it.

- Finding 1: a late answer about the dataset shown before never replaces the "Judge run" picker (or
  the figures) once the tab has switched to another dataset.
- Finding 4: a dataset whose sides are response positions (LLMBar) shows the report's ranking note in
  the ranking figures, in the CLI's words, and no graph of pseudo-models.
- Finding 3: the Biases panel says why nothing is measured when labels and verdicts are decisive.
- Finding 6: a judge's name is escaped once in the graph's title.
- Finding 9 and the node-label polish: every category bar is named; node labels do not overlap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, handler

from analysis import PartialOrder
from analysis.report_text import format_report
from annotation_store import NewVerdict
from interchange.importers import import_llmbar_dataset, import_llmbar_results, import_table
from orchestration import Settings, Studio
from orchestration.dashboard import CATEGORY_COLUMNS
from orchestration.metrics import metrics_report
from ui.plots import CHAR_PX, GRAPH_PX, category_figure, partial_order_figure

DEMO = "judge-studio-demo"
PICKER = "dashboard-judge"
RANKING_IDS = ("dashboard-bradley-terry", "dashboard-judge-graph", "dashboard-human-graph", "dashboard-wins")


pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    return s


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _import(studio: Studio, path: Path, judge: str) -> None:
    """As ``judge-studio import FILE --format jsonl --model1 A --model2 B --map ... --judge JUDGE``."""
    mapping = {"instruction": "q", "response1": "a", "response2": "b", "label:ann1": "l1", "label:ann2": "l2"}
    import_table(studio.store, path, mapping={**mapping, "verdict": "v"}, model1="A", model2="B", judge=judge)


def _judged(studio: Studio, name: str) -> int:
    """A judge run named ``name`` with verdicts on five demo comparisons (the pickers list judged runs)."""
    run = studio.store.ensure_judge_run(name, {"model": name, "profile": "pandalm"})
    for comparison in studio.store.comparison_table(DEMO)["id"].astype(int).tolist()[:5]:
        studio.store.save_verdict(run, NewVerdict(comparison, "1", "ok"))
    return run


def _dashboard_fn(demo: gr.Blocks, name: str) -> Any:
    """The Dashboard handler method ``name`` as the page wires it (no api_name: found by its function)."""
    for block_fn in demo.fns.values():
        fn = block_fn.fn
        if getattr(fn, "__name__", None) == name and type(getattr(fn, "__self__", None)).__name__ == (
            "DashboardHandlers"
        ):
            return fn
    raise AssertionError(f"no Dashboard handler {name!r}")


def _annotation(fig: Any) -> str:
    """The text of a message figure, as read on screen (its line breaks as spaces)."""
    return " ".join(a.text.replace("<br>", " ") for a in fig.layout.annotations)


def test_a_late_runs_answer_about_the_old_dataset_leaves_the_run_picker_alone(studio: Studio, tmp_path: Path) -> None:
    """Finding 1: the tab opened on the demo, then switched to "other" while the first answers were on
    their way; the answers about the demo that arrive afterwards change neither the picker nor the
    figures. Another tab, still on the demo, gets its answers as before."""
    rows = [{"q": f"q{i}", "a": f"a{i}", "b": f"b{i}!", "l1": "1", "l2": "2", "v": "1"} for i in range(6)]
    _import(studio, _jsonl(tmp_path / "other.jsonl", rows), judge="other-judge")
    demo_run = _judged(studio, "demo-judge")
    from ui import build_ui

    demo = build_ui(studio)
    runs, switch = _dashboard_fn(demo, "runs"), _dashboard_fn(demo, "runs_of_new_dataset")
    refresh = handler(demo, "dashboard")
    tab, other_tab = (gr.Request(username="rita", session_hash=h) for h in ("tab-1", "tab-2"))

    first = runs(DEMO, None, tab)  # before the switch: the demo's runs
    assert isinstance(first, gr.Dropdown) and demo_run in [run for _label, run in first.choices]
    switched = switch("other", tab)
    other_runs = [run for _label, run in switched.choices]
    assert switched.value in other_runs and demo_run not in other_runs
    late = runs(DEMO, demo_run, tab)  # the tab.select / demo.load answer about the demo, arriving late
    assert late == gr.skip() and not isinstance(late, gr.Dropdown)  # the picker keeps "other"'s runs
    assert runs("other", switched.value, tab).value == switched.value  # answers about "other" still come
    late_figures = by_id(refresh(DEMO, demo_run, tab))
    assert set(late_figures) == {None}  # only the tab's hidden state (skipped): no figure replaced
    shown = by_id(refresh("other", switched.value, tab))
    assert "**6** comparisons" in str(shown["dashboard-summary"])
    assert demo_run in [run for _label, run in runs(DEMO, None, other_tab).choices]

    # every event that writes the picker waits its turn in one queue, in the order the browser sent them
    writers = [f for f in demo.fns.values() if PICKER in [getattr(c, "elem_id", None) for c in f.outputs]]
    assert len(writers) >= 3
    assert {(f.concurrency_id, f.concurrency_limit) for f in writers} == {("dashboard-run-picker", 1)}


def test_llmbar_shows_the_reports_ranking_note_and_no_pseudo_models(studio: Studio, shared_data: Path) -> None:
    """Finding 4: the sides of LLMBar's comparisons are response positions: the four ranking figures say
    so in the words of ``judge-studio metrics``, and draw nothing (no "llmbar-output_1" node)."""
    folder = shared_data / "llmbar_mt_bench"
    import_llmbar_dataset(studio.store, folder / "dataset.json")
    import_llmbar_results(studio.store, folder / "GPT-4" / "result.json")
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")("llmbar-mt-bench", None, gr.Request(username="rita")))
    report = metrics_report(studio.store, "llmbar-mt-bench", n_bootstrap=10)
    cli = next(line for line in format_report(report).splitlines() if line.startswith("Rankings "))
    assert cli == f"Rankings {report['people']['ranking_note']}" and "response positions, not models" in cli
    for elem_id in RANKING_IDS:
        fig = shown[elem_id]
        assert _annotation(fig) == cli, elem_id
        assert len(fig.data) == 0, elem_id  # no nodes, no points, no table of pseudo-models
        assert "No outcomes yet" not in fig.to_json()


def test_biases_say_why_nothing_is_measured_on_equal_length_responses(studio: Studio, tmp_path: Path) -> None:
    """Finding 3: 40 comparisons, both annotators say 1, the judge 1 or 2, the two responses always of
    the same length, imported labels (no left/right order) and one presentation order: nothing to
    measure, and the panel says why, not "no decisive labels"."""
    rows = [
        {"q": f"q{i}", "a": f"a{i:02d}", "b": f"b{i:02d}", "l1": "1", "l2": "1", "v": "1" if i < 26 else "2"}
        for i in range(40)
    ]
    _import(studio, _jsonl(tmp_path / "twomodels.jsonl", rows), judge="twojudge")
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")("twomodels", None, gr.Request(username="rita")))
    said = _annotation(shown["dashboard-bias"])
    assert "No decisive labels or judge verdicts yet" not in said
    assert "No comparison has responses of different lengths, so length bias cannot be measured." in said
    assert "judged in one presentation order only" in said
    assert "no recorded left/right order" in said


def test_a_judge_name_is_escaped_once_in_the_graph_title(studio: Studio) -> None:
    """Finding 6: plotly shows entities as characters: the title reads "Judge (<i>judge</i>|x)" (one
    escape) and carries no live tag (no "<i>")."""
    run = _judged(studio, "<i>judge</i>|x")
    from ui import build_ui

    shown = by_id(handler(build_ui(studio), "dashboard")(DEMO, run, gr.Request(username="rita")))
    title = shown["dashboard-judge-graph"].layout.title.text
    # on screen: Judge (<i>judge</i>|x) · Holm-adjusted over 5 pair tests (s15: the correction is said)
    assert title == "Judge (&lt;i&gt;judge&lt;/i&gt;|x)<br><sup>Holm-adjusted over 5 pair tests</sup>"
    assert "&amp;" not in title and "<i>" not in title


def test_every_category_bar_is_named() -> None:
    """Finding 9: PandaLM's 50 categories: one tick label per bar (plotly's own ticks named every other)."""
    names = [f"category <{i}> with a long name number {i}" for i in range(50)]
    rows = [[n, 20, 10, 12, 10, 0.5, 0.3, 0.7, 10, False] for n in names]
    fig = category_figure(pd.DataFrame(rows, columns=CATEGORY_COLUMNS))
    axis = fig.layout.xaxis
    assert axis.tickmode == "array" and len(axis.tickvals) == len(axis.ticktext) == 50
    assert list(axis.tickvals) == list(fig.data[0].x)  # a tick on every bar
    assert axis.ticktext[3].startswith("category &lt;3&gt; with") and "<3>" not in "".join(axis.ticktext)
    assert all(len(t.replace("&lt;", "<").replace("&gt;", ">")) <= 40 for t in axis.ticktext)


def test_node_labels_on_one_level_do_not_overlap() -> None:
    """Polish: five long names and no edge: on one level; labels on the same side of their nodes are
    no wider than the space between them (cut with "…"), and the hover has every name whole."""
    models = ["<img src=x onerror=alert(1)>", "[l](javascript:alert(1))", "<b>x</b>", "a|b", "*m*"]
    models += ["a-really-long-model-name-from-an-import-v2"]
    fig = partial_order_figure(PartialOrder(sorted(models), [], []), "People (majority label)")
    (nodes,) = [t for t in fig.data if t.mode == "markers+text"]
    px = GRAPH_PX / 1.1
    placed = sorted(zip(nodes.x, nodes.text, nodes.textposition, strict=True))
    for side in ("top center", "bottom center"):
        row = [(x * px, _shown_width(text)) for x, text, where in placed if where == side]
        for (x0, w0), (x1, w1) in zip(row, row[1:], strict=False):
            assert x0 + w0 / 2 <= x1 - w1 / 2, (side, row)
        assert all(x - w / 2 >= -0.05 * px and x + w / 2 <= 1.05 * px for x, w in row)
    assert any(text.endswith("…") for text in nodes.text)
    assert sorted(nodes.hovertext) == sorted(
        t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in models
    )


def _shown_width(text: str) -> float:
    """A label's width on screen in pixels (entities show as one character)."""
    return len(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) * CHAR_PX
