"""Session 18, task "dashclean": the Dashboard's and the report card's loose ends (docs/NOTES.md, session 17's
"Left undone").

1. ``Studio.judge_versions`` / ``Studio.judges_compared`` (and ``prompts.judge_versions_of``,
   ``metrics.judges_compared_of``) read every label whatever "Labels from" showed and no page called them: deleted.
   The Dashboard's blocks are ``RunRows``'s (the one composition outside the report), equal to the report's
   sections of the same scope.
2. The set-aside caption under the Annotators table counted the whole dataset whatever "Labels from" showed: it
   now counts the labels of the scope the figures beside it read.
3. Corrected mean ratings of a fully rated grading set said "corrected = people-only" only in the user guide: the
   Dashboard, the text summary and the report card now say it beside the figures. The caveat "judge-only win-rate
   estimate of X lies outside the corrected 95% CI" on a fully labelled set (where the corrected interval is the
   people-only one) reads "outside the people-only interval".
4. The report card page drew a frame holding only a message for no dataset chosen, a grading-only dataset and a
   dataset no judge has judged: the card says the message and no frame is shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, handler
from test_corrected_ratings import _judge_run, _noise, _quality, _responses
from test_s15_stats1 import _labels, _texts, _truth, _verdict, _verdicts
from test_s17_dashscope import DATASET, SESSION, _populate, _report

import orchestration.metrics
import orchestration.prompts
from analysis import JudgeRun, ReportInputs, ReportOptions, build_report, format_report
from analysis.corrected_ratings import FULLY_RATED
from analysis.report_card import judge_report_card
from analysis.report_json import report_dict
from annotation_store import NewJudgeRating, NewVerdict
from interchange.importers import import_alpacaeval_outputs
from orchestration import Settings, Studio
from orchestration.metrics import metrics_report
from orchestration.report_card import ReportCardDesk, report_card
from ui.card_document import card_markdown
from ui.dashboard import dashboard_figures, rating_means_markdown
from ui.report_card import card_view

DEMO = "judge-studio-demo"

pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    return Studio.open(Settings(home=db_path.parent))


# ------------------------------------------------------------------------------------ 1. one composition
def test_the_every_label_reads_are_gone_and_the_dashboards_blocks_follow_the_scope(studio: Studio) -> None:
    for owner, name in (
        (Studio, "judge_versions"),
        (Studio, "judges_compared"),
        (orchestration.prompts, "judge_versions_of"),
        (orchestration.metrics, "judges_compared_of"),
    ):
        assert not hasattr(owner, name), name
    runs = _populate(studio)
    for scope in (None, SESSION, "imported"):
        report = _report(studio, labels_from=scope)  # metrics --json --labels-from, REST /metrics?labels_from=
        rows = studio.dashboard(DATASET, runs[0], labels_from=scope).run_rows
        assert rows.judge_versions() == report["judge_versions"]["versions"], scope
        assert rows.judges_compared() == report["judges_compared"], scope


# ------------------------------------------------------------------------------------ 2. the set-aside caption
def test_the_set_aside_caption_counts_the_labels_of_the_scope_shown(studio: Studio) -> None:
    """``_populate``: imp1 and imp2 label every comparison in no session (imported), sam every one in session
    'team'. With sam and imp1 set aside, each scope names only the labels it would have counted."""
    runs = _populate(studio)
    for name in ("sam", "imp1"):
        studio.store.set_labels_aside(name)

    def caption(scope: str | None) -> str:
        return str(dashboard_figures(studio.dashboard(DATASET, runs[0], labels_from=scope))["dashboard-set-aside"])

    named = "`judge-studio users set-aside NAME --undo` counts them again._"
    assert caption(None) == f"_Labels set aside (not counted): imp1 (12 labels), sam (12 labels). {named}"
    assert caption(SESSION) == f"_Labels set aside (not counted): sam (12 labels). {named}"  # was both, 12 each
    assert caption("imported") == f"_Labels set aside (not counted): imp1 (12 labels). {named}"
    assert caption("all") == caption(None)


def test_a_scope_without_set_aside_labels_has_no_caption(studio: Studio) -> None:
    runs = _populate(studio)
    studio.store.set_labels_aside("sam")  # labelled in the session only
    board = studio.dashboard(DATASET, runs[0], labels_from="imported")
    assert dashboard_figures(board)["dashboard-set-aside"] == ""
    assert board.set_aside == ()


# ------------------------------------------------------------------------------------ 3. fully rated, fully labelled
def _rate(studio: Studio, *, every: bool) -> None:
    """People rate the demo's responses of the first 12 prompts; the judge scores those (``every``) or all."""
    store = studio.store
    run = _judge_run(store)
    for response, model, prompt in _responses(store):
        quality = _quality(model, prompt)
        if prompt < 12:
            store.save_rating(response, "alice", quality)
        if prompt < 12 or not every:
            store.save_judge_rating(run, NewJudgeRating(response, float(quality + 2 + _noise(response)), "ok"))


def test_fully_rated_corrected_means_say_so_beside_the_figures(studio: Studio) -> None:
    _rate(studio, every=True)
    report = metrics_report(studio.store, DEMO, n_bootstrap=0)
    assert report["ratings"]["corrected_fully_rated"] is True  # metrics --json, REST /metrics
    assert all(m["corrected"] == m["people"] for m in report["ratings"]["corrected_means"])
    assert f"  {FULLY_RATED}." in format_report(report).splitlines()  # the text summary, under the means
    card = card_markdown(report_card(studio.store, DEMO, n_bootstrap=0))
    means = card[card.index("Mean rating per model:") :]
    assert f"\n{FULLY_RATED}.\n" in means  # the report card, under its table
    shown = rating_means_markdown(studio.dashboard(DEMO))
    assert f"_{FULLY_RATED}._" in shown  # the Dashboard, under its table
    assert FULLY_RATED.startswith("People rated every response the judge scored, so each corrected mean is the ")


def test_partly_rated_corrected_means_do_not(studio: Studio) -> None:
    _rate(studio, every=False)
    report = metrics_report(studio.store, DEMO, n_bootstrap=0)
    assert report["ratings"]["corrected_fully_rated"] is False
    assert FULLY_RATED not in format_report(report)
    assert FULLY_RATED not in card_markdown(report_card(studio.store, DEMO, n_bootstrap=0))
    assert FULLY_RATED not in rating_means_markdown(studio.dashboard(DEMO))


def _caveat(labelled: pd.DataFrame) -> str:
    """The judge-only caveat of a judge that always lets m-a win (s15 stats1), people's labels ``labelled``."""
    texts = _texts()
    sides = texts[["model1", "model2"]].to_numpy()
    said = ["1" if a == "m-a" else "2" if b == "m-a" else _truth(i) for i, (a, b) in enumerate(sides)]
    verdicts = _verdicts([_verdict(i + 1, v, "ok") for i, v in enumerate(said)])
    inputs = ReportInputs("edge", texts, labelled, verdicts, [JudgeRun(7, "j", "pandalm", "k", {})])
    report = report_dict(build_report(inputs, ReportOptions(n_bootstrap=0)))
    (card,) = judge_report_card(report)["judges"]
    (caveat,) = [c for c in card["caveats"] if c.startswith("judge-only win-rate estimate of ")]
    return caveat


def test_the_judge_only_caveat_names_the_people_only_interval_on_a_fully_labelled_set() -> None:
    caveat = _caveat(_labels())
    assert "lies outside the people-only interval (a point estimate beside" in caveat
    assert "corrected" not in caveat
    labels = _labels()
    some = labels[labels["comparison_id"] % 4 != 0].reset_index(drop=True)  # a quarter unlabelled: PPI corrects
    assert "lies outside the corrected 95% CI (a point estimate beside" in _caveat(some)


# ------------------------------------------------------------------------------------ 4. no message-only frames
def _grading_only(studio: Studio, folder: Path) -> str:
    source = folder / "outputs.json"
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}."} for i in range(3)]
    source.write_text(json.dumps(rows), encoding="utf-8")
    import_alpacaeval_outputs(studio.store, source, dataset="graded", model="m-one")
    assert studio.store.comparison_texts("graded").empty
    return "graded"


def _unjudged(studio: Studio) -> str:
    prompts = [
        {"id": f"q{i}", "instruction": f"Q{i}?", "responses": {m: f"{m} {i}" for m in ("ma", "mb")}} for i in range(3)
    ]
    assert studio.store.seed_dataset(
        {"name": "unjudged", "models": [{"name": "ma"}, {"name": "mb"}], "prompts": prompts}
    )
    return "unjudged"


def test_the_card_says_its_message_without_an_empty_frame(studio: Studio, tmp_path: Path) -> None:
    studio.store.create_annotator("rita", role="reviewer", password="correct horse battery")
    desk = ReportCardDesk(studio)
    graded, unjudged = _grading_only(studio, tmp_path), _unjudged(studio)
    expected = {
        None: "_Choose a dataset and a judge run._",
        graded: "This dataset has no comparisons",
        unjudged: "_No judge has judged this dataset yet._",
    }
    for dataset, said in expected.items():
        markdown, diagram, rates = card_view(desk, "rita", dataset, None, None)
        assert (diagram, rates) == (None, None), dataset  # before: two frames holding only a message each
        assert said in markdown, (dataset, markdown)

    from ui import build_ui

    demo = build_ui(studio)
    show = handler(demo, "report_card")
    rita = gr.Request(username="rita")
    for dataset in expected:
        shown = by_id(show(dataset, None, None, rita))
        assert shown["card-reliability"].visible is False and shown["card-corrected"].visible is False, dataset
        assert expected[dataset] in shown["card-markdown"]
    run = studio.store.ensure_judge_run("fp-j", {"model": "j", "profile": "pandalm"})
    for comparison_id in studio.store.comparison_table(unjudged)["id"]:
        studio.store.save_verdict(run, NewVerdict(int(comparison_id), "1", "ok"))
    shown = by_id(show(unjudged, run, None, rita))  # once judged, its figures are back
    assert shown["card-corrected"].visible is True and shown["card-corrected"].value is not None
