"""Task s13 "scopemend": the "Labels from" scope as the newfeat tester met it (findings 6, 7, 8, 9, 12).

The dataset is ``test_s13_review_scope``'s: a PandaLM slice with its three imported annotators' labels on six
comparisons and the session "team" (ann and bob) on every one; here a second session "Old breadth" that nobody
has answered in yet.

6. An empty scope said "No people's labels on this dataset" (the dataset has 30 labels); the card and the CLI
   left out the scope line.
7. Over all labels, Fleiss' kappa read only the comparisons the imported annotators alone labelled, and said 1.000.
8. The pickers: the card's was cut to "sessio…", the Review one took typed text as a session's name, and the
   Dashboard showed no sign of work while a new scope was read.
9. The Admin sessions table's progress stayed as loaded while "List unfinished items" listed newer leases.
12. ``report``'s text form shows names as they are (no ``pandalm\\-slice20``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, handler
from test_s13_review_scope import DATASET, PASSWORD, _no_judge, _populate

from analysis.inter_annotator import fleiss_basis, inter_annotator
from analysis.report_text import NO_PEOPLE_LABELS, format_report
from annotation_store import Store, open_store
from interchange.importers import import_pandalm_testset
from orchestration import Settings, Studio
from orchestration.metrics import metrics_report
from orchestration.report_card import report_card
from ui.card_document import card_markdown, card_text

EMPTY = "Old breadth"
EMPTY_SAYS = (
    "No labels from session 'Old breadth' yet (the dataset has 30 labels from other sources: choose 'all people' "
    "to see them)."
)
EMPTY_LINE = "People: labels from session 'Old breadth' (0 labels, 0 annotators)"


@pytest.fixture
def studio(db_path: Path, tmp_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    s.store.create_annotator("rita", role="reviewer", password=PASSWORD)
    s.store.create_annotator("lead", role="admin", kind="expert", password=PASSWORD)
    _populate(s.store, tmp_path)
    s.store.save_session(EMPTY, DATASET, overlap=2, gold_rate=0.0)
    return s


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _block(demo: gr.Blocks, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


# ------------------------------------------------------------------------------------------- 6: empty scope


def test_an_empty_session_says_the_dataset_has_labels_elsewhere_in_the_text(studio: Studio) -> None:
    text = format_report(metrics_report(studio.store, DATASET, labels_from=EMPTY))
    assert EMPTY_SAYS in text.splitlines() and NO_PEOPLE_LABELS not in text
    assert EMPTY_LINE in text.splitlines()
    imported = format_report(metrics_report(studio.store, DATASET, labels_from="imported"))
    assert NO_PEOPLE_LABELS not in imported and "No labels" not in imported  # that scope has 18 labels


def test_the_card_of_an_empty_session_says_so_with_its_scope_line(studio: Studio) -> None:
    card = report_card(studio.store, DATASET, labels_from=EMPTY)
    shown = card_text(card)
    assert EMPTY_SAYS in shown and f"\n{EMPTY_LINE}\n" in shown and NO_PEOPLE_LABELS not in shown  # no _italics_
    assert "No labels in the chosen scope: the judge cannot be tested against them (choose 'all people')." in shown
    assert "No people's labels: the judge cannot be tested" not in shown
    markdown = card_markdown(card)
    assert "No labels from session 'Old breadth' yet" in markdown and "People: labels from session" in markdown
    assert card["labels_from"]["dataset_labels"] == 30 and card["labels_from"]["no_labels"] == EMPTY_SAYS


# ------------------------------------------------------------------------------------------- 7: Fleiss' source


def _imported_mostly(store: Store, folder: Path) -> None:
    """Six comparisons with three imported labels each; ann and bob label one comparison each in "team"."""
    records = [
        {
            "idx": i,
            "motivation_app": "Wikipedia",
            "cmp_key": "llama-7b_bloom-7b",
            "instruction": f"Tell me {i}",
            "input": "",
            "response1": f"one {i}",
            "response2": f"two {i}",
            "annotator1": 1,
            "annotator2": 1,
            "annotator3": 1 + i % 2,
        }
        for i in range(6)
    ]
    path = folder / "mostly.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    import_pandalm_testset(store, path, dataset="mostly")
    store.save_session("team", "mostly", overlap=2, gold_rate=0.0)
    for who, verdict in (("ann", "2"), ("bob", "1")):
        turn = store.lease("pairwise", who, "team")
        assert turn is not None
        store.submit("pairwise", who, "team", turn.item.id, verdict=verdict, skipped=False, swapped=turn.swapped)


def test_fleiss_over_all_labels_says_it_read_imported_labels_only(db_path: Path, tmp_path: Path) -> None:
    store: Store = open_store(db_path)
    _imported_mostly(store, tmp_path)
    report = metrics_report(store, "mostly")
    inter = report["inter_annotator"]
    assert inter["fleiss_source"] == "imported" and inter["fleiss_labels_each"] == 3
    assert (
        "all of them imported labels: for the sessions' own people see κ by pair, or choose a session"
        in (inter["fleiss_basis"])
    )
    line = next(x for x in format_report(report).splitlines() if x.startswith("Fleiss"))
    assert "imported labels" in line
    card = card_text(report_card(store, "mostly"))
    assert "People agree with each other: Fleiss' κ" in card and "all of them imported labels" in card
    alone = metrics_report(store, "mostly", labels_from="imported")["inter_annotator"]  # one kind: nothing to say
    assert alone["fleiss_source"] is None and "imported labels" not in (alone["fleiss_basis"] or "")


def test_fleiss_source_is_said_only_when_one_kind_was_read() -> None:
    labels = pd.DataFrame(
        {
            "comparison_id": [1, 1, 2, 2, 3, 3, 3],
            "annotator": ["p1", "p2", "p1", "p2", "p1", "ann", "bob"],
            "verdict": ["1", "1", "2", "2", "1", "2", "1"],
        }
    )
    assert fleiss_basis(labels).comparison_ids == (1, 2)
    imported = frozenset({(1, "p1"), (1, "p2"), (2, "p1"), (2, "p2"), (3, "p1")})
    assert inter_annotator(labels, imported).fleiss_source == "imported"
    assert inter_annotator(labels).fleiss_source is None  # no scope given: the words stay as they were
    assert inter_annotator(labels, frozenset({(9, "x")})).fleiss_source == "sessions"
    assert inter_annotator(labels, frozenset({(1, "p1")})).fleiss_source is None  # both kinds


def test_the_session_scope_reads_its_own_agreement_without_a_source_note(studio: Studio) -> None:
    report = metrics_report(studio.store, DATASET, labels_from="team")
    assert report["inter_annotator"]["fleiss_source"] is None
    mixed = metrics_report(studio.store, DATASET)["inter_annotator"]  # 5 labels each, both kinds on every one
    assert mixed["fleiss_source"] is None and mixed["fleiss_labels_each"] == 5


# ------------------------------------------------------------------------------------------- 8: the pickers


def test_the_card_and_review_pickers_are_wide_and_take_only_their_choices(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    for elem_id in ("card-labels-from", "review-labels-from"):
        picker = _block(demo, elem_id)
        assert picker.min_width >= 240 and picker.allow_custom_value is False, elem_id
        picker.choices = [("all people", "all"), ("session 'team'", "team"), ("imported labels", "imported")]
        assert picker.preprocess("team") == "team"
        with pytest.raises(gr.Error):  # typed text never becomes a scope (it was read as a session's name)
            picker.preprocess("session 'Nope'")
    assert _block(demo, "dashboard-labels-from").min_width >= 240
    assert _row(_block(demo, "card-labels-from")) is not _row(_block(demo, "card-dataset"))  # a row of its own


def _row(block: Any) -> Any:
    while not isinstance(block, gr.Row):
        block = block.parent
    return block


def _dashboard_status(demo: gr.Blocks) -> list[Any]:
    return [f for f in demo.fns.values() if [o.elem_id for o in f.outputs] == ["dashboard-status"]]


def test_the_dashboard_says_it_is_updating_after_a_pick(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    updating, updated = _dashboard_status(demo)
    assert updating.fn("team") == "_Updating the figures for the chosen labels…_"
    assert updated.fn(DATASET, "team", _as("rita")) == "" and updated.fn(DATASET, "all", _as("rita")) == ""
    said = updated.fn(DATASET, "session 'Nope'", _as("rita"))
    assert "is none of the choices: the figures still show the last one" in said
    figures = [f for f in demo.fns.values() if "dashboard-summary" in [o.elem_id for o in f.outputs]]
    first = next(key for key, f in demo.fns.items() if f is updating)
    assert any(f.show_progress == "full" and f.trigger_after == first for f in figures)


# ------------------------------------------------------------------------------------------- 9: Admin progress


def test_listing_unfinished_items_refreshes_the_sessions_table(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    store = studio.store
    store.create_annotator("carol", password=PASSWORD)
    assert store.lease("pairwise", "carol", EMPTY) is not None  # a lease taken after the page was loaded
    shown = by_id(handler(demo, "admin_session_unfinished")(EMPTY, _as("lead")))
    table = shown["admin-sessions"]
    row = table[table["name"] == EMPTY].iloc[0]
    assert "1 leased" in row["progress"]
    assert "still need answers" in shown["admin-session-unfinished-note"]


# ------------------------------------------------------------------------------------------- 12: CLI text


def test_the_text_card_shows_names_plainly_and_drops_control_characters(studio: Studio) -> None:
    card = report_card(studio.store, DATASET)
    card = {**card, "dataset": "pandalm-slice20\x1b[2J", "judges": [{**card["judges"][0], "model": "PandaLM-7B (x)"}]}
    shown = card_text(card)
    assert "Judge report card: pandalm-slice20[2J" in shown and "Run 1: PandaLM-7B (x)" in shown
    assert "\\" not in shown and "\x1b" not in shown
    assert "pandalm\\-slice20" in card_markdown(card)  # the Markdown keeps its escapes (rendered later)
