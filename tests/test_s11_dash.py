"""Session 11, task "dash" (s10 retest items 5, 6, 10): what a reviewer reads on the Dashboard and in the
pickers for a grading-only dataset, the agreement line's uncertain count, one rounding rule for mean
ratings, and plurals.

- A grading-only dataset (responses and ratings, no comparisons) hides the nine empty pairwise panels
  (the page's own refresh handler sends ``visible=False`` for their column), and they come back for a
  dataset with comparisons; the ``rate`` hint names the real dataset and grading session, quoted for a shell.
- Pickers: "(ratings only)" for such a dataset, the import hint only for a truly empty one.
- The agreement line says "(N uncertain left out)" in the CLI text, the report card's data and the
  Dashboard, with N from the report.
- Mean ratings: 2 places in the CLI text and on the Dashboard, from one function.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from analysis import format_report, judge_report_card
from analysis.corrected_ratings import rating_span
from annotation_store import NewVerdict
from cli import main
from interchange.importers import import_alpacaeval_outputs
from orchestration import Settings, Studio, import_file
from orchestration.dashboard import ReportCache, build_dashboard
from orchestration.metrics import metrics_report
from ui.dashboard import dashboard_figures, summary_markdown
from ui.render import code

DEMO = "judge-studio-demo"
GRADING = "alpaca grade's"  # a space and a quote: the hint must quote it for a shell
SESSION = "Alpaca grading"
COIN_FLIP = (0.46, 0.46, 0.08)  # top two 0 apart: uncertain at the default margin


pytestmark = pytest.mark.usefixtures("fresh_dashboard_caches")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    s.store.create_annotator("alice", role="annotator", password="alice-pass-1")
    return s


def grading_only(studio: Studio, shared_data: Path, folder: Path, responses: int = 6) -> list[int]:
    """``responses`` alpaca-7b outputs as a dataset of their own, a 1-5 grading session on it, and alice's
    rating of each (no judge): the retest's "alpaca-grade". Returns the response ids."""
    outputs = json.loads((shared_data / "alpaca_eval" / "alpaca-7b" / "model_outputs.json").read_text("utf-8"))
    source = folder / "alpaca_slice.json"
    source.write_text(json.dumps(outputs[:responses]), encoding="utf-8")
    import_alpacaeval_outputs(studio.store, source, dataset=GRADING)
    studio.store.save_session(SESSION, GRADING, kind="single", overlap=1, scale=5)
    ids = [r.id for r in studio.store.responses(GRADING)]
    for n in range(responses):
        item = studio.grading.next_item("alice", SESSION)
        assert item is not None
        studio.grading.submit("alice", SESSION, item.id, 1 + n % 5)
    return ids


def _shown(studio: Studio, dataset: str, run: int | None = None) -> dict[str | None, Any]:
    from ui import build_ui

    return by_id(handler(build_ui(studio), "dashboard")(dataset, run, gr.Request(username="rita")))


def test_a_grading_only_dashboard_hides_the_pairwise_panels_and_names_itself(
    studio: Studio, shared_data: Path, tmp_path: Path
) -> None:
    grading_only(studio, shared_data, tmp_path)
    shown = _shown(studio, GRADING)
    assert shown["dashboard-pairwise"].visible is False  # no nine empty panels above the ratings
    assert shown["dashboard-summary"].startswith("**0** comparisons · This dataset has no comparisons")
    ratings = shown["dashboard-rating-correlations"]
    assert ratings.startswith("**6** human ratings on **6** responses")
    command = f"judge-studio rate --dataset {shlex.quote(GRADING)} --rating-profile prometheus2-absolute "
    command += f"--session {shlex.quote(SESSION)}"
    assert shlex.split(command)[3] == GRADING and shlex.split(command)[-1] == SESSION  # pastes as it reads
    assert ratings.endswith(
        "_No judge score to correlate with yet: rate this dataset with the judge, for example:_\n\n" + code(command)
    )
    assert "NAME" not in ratings
    # a dataset with comparisons and something to chart (s15: one never judged nor labelled shows a hint
    # instead of empty panels): the panels come back
    first = int(studio.store.comparison_table(DEMO)["id"].iloc[0])
    studio.store.save_label(first, "alice", "1", presented_swapped=False)
    back = _shown(studio, DEMO)
    assert back["dashboard-pairwise"].visible is True


def test_pickers_say_ratings_only_for_responses_and_the_import_hint_only_when_empty(
    studio: Studio, shared_data: Path, tmp_path: Path
) -> None:
    grading_only(studio, shared_data, tmp_path, responses=2)
    import_file(studio.store, shared_data / "mt_bench" / "question.jsonl", "mtbench-questions")
    labels = {name: label for label, name in studio.dataset_choices()}
    assert labels[GRADING] == f"{GRADING} (ratings only)"
    (empty,) = [name for name, n in studio.store.dataset_sizes().items() if n == 0 and name != GRADING]
    assert labels[empty] == f"{empty} (no comparisons yet: import model answers or responses)"  # questions only
    assert labels[DEMO] == DEMO
    from ui.pickers import DatasetPickers

    pickers = DatasetPickers(studio)
    with gr.Blocks():
        box = pickers.add("some-dataset")
    assert dict(box.choices) == {label: name for label, name in studio.dataset_choices()}  # one labelling


def _uncertain_run(studio: Studio) -> int:
    """Six demo comparisons labelled by ann, judged once each; the second at a coin flip (uncertain)."""
    store = studio.store
    ids = store.comparison_table(DEMO)["id"].astype(int).tolist()[:6]
    run = store.ensure_judge_run("constrained-judge", {"model": "constrained-judge", "profile": "pandalm"})
    for n, comparison in enumerate(ids):
        store.save_label(comparison, "ann", "1", presented_swapped=False)
        p = COIN_FLIP if n == 1 else (0.8, 0.1, 0.1)
        store.save_verdict(run, NewVerdict(comparison, "1", "ok", p_1=p[0], p_2=p[1], p_tie=p[2]))
    return run


def test_the_agreement_line_says_how_many_uncertain_verdicts_it_left_out(studio: Studio) -> None:
    run = _uncertain_run(studio)
    report = metrics_report(studio.store, DEMO, n_bootstrap=0)
    (judge,) = [j for j in report["judges"] if j["run_id"] == run]
    assert (judge["against_majority"]["judge_uncertain"], judge["per_vote"]["judge_uncertain"]) == (1, 1)
    text = format_report(report)
    run_lines = text.split(f"Judge run {run}:")[1].splitlines()
    # s15: the headline counts the uncertain verdict as wrong; the decisive-only figure follows, labelled so
    assert run_lines[1].startswith("  vs majority (n=6)")
    assert run_lines[1].endswith("; 1 judged without a decisive verdict count as wrong")
    assert run_lines[2].startswith("  vs majority, decisive verdicts only (n=5)")
    assert run_lines[2].endswith(" (1 uncertain left out)")
    assert run_lines[3].startswith("  per label (n=5)") and run_lines[3].endswith(" (1 uncertain left out)")
    (card,) = [j for j in judge_report_card(report)["judges"] if j["run_id"] == run]
    assert (card["agreement"]["n"], card["agreement"]["uncertain_left_out"]) == (6, 1)
    assert card["agreement"]["decisive"]["n"] == 5 and card["agreement"]["no_verdict"] == 1
    summary = summary_markdown(build_dashboard(studio.store, DEMO, run, cache=ReportCache()))
    assert (
        "per label (each person's label on its own) over **5** labels (1 uncertain left out): accuracy **1.000**"
        in summary
    )
    # nothing uncertain: nothing said
    other = studio.store.ensure_judge_run("sure-judge", {"model": "sure-judge", "profile": "pandalm"})
    for comparison in studio.store.comparison_table(DEMO)["id"].astype(int).tolist()[:6]:
        studio.store.save_verdict(other, NewVerdict(comparison, "1", "ok"))
    plain = format_report(metrics_report(studio.store, DEMO, n_bootstrap=0)).split(f"Judge run {other}:")[1]
    assert "uncertain left out" not in plain.split("Judge run")[0]
    assert "uncertain left out" not in summary_markdown(build_dashboard(studio.store, DEMO, other, cache=ReportCache()))


def test_mean_ratings_have_two_places_in_the_cli_text_and_on_the_dashboard(
    studio: Studio, shared_data: Path, tmp_path: Path
) -> None:
    grading_only(studio, shared_data, tmp_path)
    assert rating_span({"estimate": 3.16666, "low": 2.8681, "high": 3.4649}) == "3.17 [2.87, 3.46]"
    report = metrics_report(studio.store, GRADING, n_bootstrap=0)
    (mean,) = report["ratings"]["corrected_means"]
    span = rating_span(mean["people"])
    assert f"people {span} (n 6)" in format_report(report)
    table = dashboard_figures(build_dashboard(studio.store, GRADING, cache=ReportCache()))["dashboard-rating-means"]
    assert f"| alpaca\\-7b | {span} |" in table


def test_one_of_each_is_said_in_the_singular(
    studio: Studio, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store = studio.store
    first, second = store.comparison_table(DEMO)["id"].astype(int).tolist()[:2]
    store.save_label(first, "ann", "1", presented_swapped=False)
    store.save_label(second, "ann", None, skipped=True)
    run = store.ensure_judge_run("one-judge", {"model": "one-judge", "profile": "pandalm"})
    store.save_verdict(run, NewVerdict(first, "1", "ok"))
    summary = summary_markdown(build_dashboard(store, DEMO, run, cache=ReportCache()))
    assert "**1** human label from **1** annotator on **1** comparison (0 labelled twice or more, 1 skip)" in summary
    assert (
        "**1** judge verdict (run" in summary
        and "per label (each person's label on its own) over **1** label:" in summary
    )
    main(["users", "invite", "--home", str(tmp_path), "--hours", "1", "--base-url", "https://j.example.org/"])
    assert "valid 1 hour until " in capsys.readouterr().err


def test_the_report_card_page_says_the_same_as_the_cli_and_dashboard(
    studio: Studio, shared_data: Path, tmp_path: Path
) -> None:
    """The Report card page (its own Markdown) follows the three rules: the agreement line's uncertain
    count, mean ratings at 2 places, and the pickers' dataset labels."""
    from ui import build_ui
    from ui.card_document import card_markdown

    run = _uncertain_run(studio)
    card = judge_report_card(metrics_report(studio.store, DEMO, n_bootstrap=0))
    (judge,) = [j for j in card["judges"] if j["run_id"] == run]
    assert "on 6 comparisons: accuracy" in card_markdown({**card, "judges": [judge]})
    assert "(1 uncertain left out); per label (each person's label on its own)" in card_markdown(
        {**card, "judges": [judge]}
    )
    from ui.card_document import UNCERTAIN_COUNTED

    assert UNCERTAIN_COUNTED in card_markdown({**card, "judges": [judge]})  # why calibration's accuracy differs
    grading_only(studio, shared_data, tmp_path)
    graded = judge_report_card(metrics_report(studio.store, GRADING, n_bootstrap=0))
    (mean,) = graded["ratings"]["corrected_means"]
    assert f"| alpaca\\-7b | {rating_span(mean['people'])} |" in card_markdown(graded)
    demo = build_ui(studio)
    (fill,) = [f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "fill_datasets"]
    choices = dict(by_id(fill(None, gr.Request(username="rita")))["card-dataset"].choices)
    assert choices[f"{GRADING} (ratings only)"] == GRADING and choices[DEMO] == DEMO


def test_a_run_of_the_dataset_shown_before_gets_the_new_datasets_default(studio: Studio) -> None:
    """A timer tick in flight while the dataset changes sends the previous dataset's run: Gradio refused it
    with a traceback in the server log ("Value: 1 is not in the list of choices: [6]", s11 docs tester);
    now the picker takes it and the Dashboard shows the new dataset's default run."""
    from ui import build_ui

    old = _uncertain_run(studio)
    store = studio.store
    assert store.seed_dataset(_tiny_dataset(), pairs_per_prompt=1)
    (comparison,) = store.comparison_table("tiny-two")["id"].astype(int).tolist()
    new = store.ensure_judge_run("other-judge", {"model": "other-judge", "profile": "pandalm"})
    store.save_verdict(new, NewVerdict(comparison, "2", "ok"))
    board = studio.dashboard("tiny-two", old)
    assert (board.dataset, board.run_id) == ("tiny-two", new)
    picker = [c for c in build_ui(studio).blocks.values() if getattr(c, "elem_id", None) == "dashboard-judge"]
    assert picker[0].allow_custom_value  # the stale value reaches the handler instead of a traceback


def _tiny_dataset() -> dict[str, Any]:
    """One prompt answered by two models: one comparison (``seed_dataset``'s layout)."""
    prompt = {"id": "q1", "instruction": "Hi?", "responses": {"m1": "a", "m2": "b"}}
    return {"name": "tiny-two", "models": [{"name": "m1"}, {"name": "m2"}], "prompts": [prompt]}


def test_a_borderline_difference_is_said_where_the_interval_and_the_sign_test_disagree(studio: Studio) -> None:
    """20 labels, 14 wins for B, 5 for A, 1 tie (the s11 researcher's numbers): the people-only win rate's
    normal interval leaves out 0.5, the exact sign test (p = 0.064) orders nothing. The text says why."""
    store = studio.store
    prompts = [
        {"id": f"p{i}", "instruction": f"Q{i}?", "responses": {"ckpt-A": f"a{i}", "ckpt-B": f"b{i}"}} for i in range(20)
    ]
    assert store.seed_dataset(
        {"name": "ckpts", "models": [{"name": "ckpt-A"}, {"name": "ckpt-B"}], "prompts": prompts}, pairs_per_prompt=1
    )
    table = store.comparison_table("ckpts")
    run = store.ensure_judge_run("j", {"model": "j", "profile": "pandalm"})
    winners = ["ckpt-B"] * 14 + ["ckpt-A"] * 5 + [None]
    for (_, row), winner in zip(table.iterrows(), winners, strict=True):
        verdict = "tie" if winner is None else ("1" if row["model1"] == winner else "2")
        store.save_label(int(row["id"]), "ann", verdict, presented_swapped=False)
        store.save_verdict(run, NewVerdict(int(row["id"]), verdict, "ok"))
    text = format_report(metrics_report(store, "ckpts", n_bootstrap=0, baseline="ckpt-A"))
    assert "People's partial order (p < 0.05, Holm-adjusted over 1 pair test): no significant differences" in text
    assert "  Borderline: ckpt-B vs ckpt-A (14 wins, 5 losses, 1 tie): the people-only win rate's interval " in text
    assert "leaves out 0.5 (a normal approximation, ties counting half), but the exact sign test" in text


def test_panels_say_uncertain_verdicts_are_left_out_when_every_label_sits_on_one(studio: Studio) -> None:
    """Every label on an uncertain verdict: the summary counted them, the panels said "needs human labels on
    comparisons the judge has judged" though the judge had judged them all (s11 retest B2)."""
    store = studio.store
    run = store.ensure_judge_run("unsure-judge", {"model": "unsure-judge", "profile": "pandalm"})
    for comparison in store.comparison_table(DEMO)["id"].astype(int).tolist()[:3]:
        store.save_label(comparison, "ann", "1", presented_swapped=False)
        p = COIN_FLIP
        store.save_verdict(run, NewVerdict(comparison, "1", "ok", p_1=p[0], p_2=p[1], p_tie=p[2]))
    shown = dashboard_figures(build_dashboard(store, DEMO, run, cache=ReportCache()))
    for panel in ("dashboard-over-time", "dashboard-confusion", "dashboard-categories"):
        said = " ".join(a.text for a in shown[panel].layout.annotations).replace("<br>", " ")
        assert "comparisons with a decisive judge verdict (uncertain ones are left out" in said, panel
