"""s14 "reportfast": ``judge-studio report`` in Markdown, plain text or HTML starts without Gradio, and the CLI
and the report card say "per label" where the Dashboard does.

- The card's document (Markdown, text, HTML, figures) is ``ui.card_document``, which imports no Gradio; the page
  (``ui.report_card``) imports it; ``ui/__init__`` loads the Gradio interface (``ui.layout``) only when
  ``build_ui`` / ``css_paths`` / ``head_html`` is asked for (NOTES "Known gaps", s13: about 6 s of every report).
- "per vote" (the CLI's ``metrics`` text, the report card, the guideline-version lines) is "per label", the
  Dashboard's words for each person's label on its own; the JSON keys (``per_vote``) stay.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analysis import format_report
from analysis.guideline_versions import guideline_text_lines
from annotation_store import NewVerdict, Store
from orchestration.metrics import metrics_report

ROOT = Path(__file__).resolve().parents[1]
DEMO = "judge-studio-demo"
#: Runs ``report`` three times in one process (Markdown, text, HTML), then says which heavy modules it loaded.
REPORT_THRICE = """
import sys
from cli import main
out = sys.argv[1]
for fmt, name in (("md", "markdown"), ("text", "text"), ("html", "html")):  # md: the README's alias
    main(["report", "--dataset", sys.argv[2], "--format", fmt, "--bootstrap", "20", "-o", f"{out}.{name}"])
print("loaded:", sorted(m for m in ("gradio", "ui.layout", "ui.report_card", "plotly") if m in sys.modules))
"""


def _labelled_and_judged(store: Store, n: int = 6) -> int:
    """Two people label ``n`` demo comparisons; a judge run agrees with the first person on all of them."""
    table = store.comparison_table(DEMO).head(n)
    run = store.ensure_judge_run("j", {"model": "judge-x", "profile": "pandalm"})
    for i, comparison_id in enumerate(int(c) for c in table["id"]):
        store.save_label(comparison_id, "ann", "1", presented_swapped=False)
        store.save_label(comparison_id, "bob", "1" if i % 2 else "2", presented_swapped=False)
        store.save_verdict(run, NewVerdict(comparison_id, "1", "ok"))
    return run


def test_report_in_markdown_text_and_html_imports_no_gradio(store: Store, db_path: Path, tmp_path: Path) -> None:
    _labelled_and_judged(store)
    out = tmp_path / "card"
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(db_path.parent)}
    result = subprocess.run(
        [sys.executable, "-c", REPORT_THRICE, str(out), DEMO],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded: ['plotly']" in result.stdout, result.stdout  # no gradio, no page, no ui.layout
    markdown = Path(f"{out}.markdown").read_text(encoding="utf-8")
    text = Path(f"{out}.text").read_text(encoding="utf-8")
    page = Path(f"{out}.html").read_text(encoding="utf-8")
    assert markdown.startswith("# Judge report card: judge\\-studio\\-demo")  # Markdown, names escaped
    assert text.startswith("Judge report card: judge-studio-demo\n=")  # the terminal's headings
    assert page.startswith("<!DOCTYPE html>") and "Win rates three ways" in page and "plotly" in page
    assert "No reliability diagram" in page  # no probabilities: one line, not a frame (s17 cardpolish)
    # the agreement line, in the Dashboard's words: 12 labels, 9 agree with the judge
    for shown in (markdown, text, page):
        assert "per label (each person's label on its own) 0.750" in shown.replace("&#39;", "'")
        assert "per vote" not in shown


def test_the_card_document_and_the_ui_package_import_no_gradio() -> None:
    """``from ui import build_ui`` still works (lazily: the many page tests use it); importing the package or the
    card's modules alone loads neither Gradio nor the interface."""
    code = (
        "import sys; import ui, ui.render, ui.plots; from ui.card_document import card_html, card_markdown, card_text; "
        "print(sorted(m for m in ('gradio', 'ui.layout', 'ui.report_card') if m in sys.modules), ui.__all__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] ['build_ui', 'css_paths', 'head_html']"


def test_metrics_text_says_per_label_where_it_said_per_vote(store: Store) -> None:
    run = _labelled_and_judged(store)
    report = metrics_report(store, DEMO, n_bootstrap=0)
    (judge,) = [j for j in report["judges"] if j["run_id"] == run]
    assert (judge["per_vote"]["n"], judge["per_vote"]["accuracy"]) == (12, 0.75)  # the JSON key stays
    text = format_report(report)
    assert "  per label (n=12): accuracy 0.750, MT-Bench agreement" in text
    over_time = "  per label over time (labels: accuracy [Wilson interval over the effective number of comparisons, "
    assert over_time + "not the labels]): " in text
    assert "per vote" not in text and "per-vote" not in report["settings"]["over_time"]


def test_guideline_version_lines_say_per_label() -> None:
    versions = [
        {"session": "s", "version": v, "labels": 4, "annotators": 2, "people_agreement": 0.5, "people_pairs": 2}
        | {"judges": [{"run_id": 1, "accuracy": 0.75, "n": 4}]}
        for v in (1, 2)
    ]
    (head, *_rest) = guideline_text_lines({"versions": versions})
    assert head == "Agreement per guideline version (people: agreeing label pairs; judge runs: per label):"
