"""Untrusted names in pickers (s12 tester "badinput", finding 5): a model name ``"\\u202eevil"`` showed as "live" in
the Case study's Comparison dropdown, while the headings showed the marker. Every choice list built from names
(datasets, comparisons, model pairs, categories, sessions, judge runs) now shows bidi controls as markers
(``ui.render``'s one rule) and line breaks as ``⏎``; the value handed back to the handlers is the name itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id

from annotation_store import NewVerdict, Store
from orchestration import Settings, Studio
from ui.pickers import LINE_BREAK_MARK, choice_label, shown_choices

RLO, RLM = "\u202e", "\u200f"
EVIL = f"{RLO}evil"  # shows as "live" unless the control is made visible
HTML = "<b>bold</b>"
DATASET = f"set{RLO}one\nline two"  # a name from an older database or an import door without the name rule
SESSION = f"study {RLO}tpecca\n<b>x</b>"
PASSWORD = "a-long-test-password"


def _no_marker_missing(label: str) -> None:
    """What the browser gets shows no control acting on the text and no bare line break."""
    assert RLO not in label and "\n" not in label and "\r" not in label, repr(label)


def test_choice_labels_show_markers_and_the_values_round_trip() -> None:
    names = [EVIL, f"a{RLM}b", "gpt\n4", "x\r\ny", HTML, "plain"]
    choices = shown_choices(names)
    assert [value for _label, value in choices] == names, "the values are the names, unchanged"
    labels = [label for label, _value in choices]
    assert labels[0] == "⟨U+202E⟩evil"
    assert labels[1] == f"a{RLM}b", "a direction mark is kept, as on every web page (ui.render: right-to-left text)"
    assert labels[2] == f"gpt{LINE_BREAK_MARK}4" and labels[3] == f"x{LINE_BREAK_MARK}y"
    assert labels[4] == HTML, "a picker shows its labels as text: the tag shows as typed, nothing to escape"
    assert labels[5] == "plain"
    for label in labels:
        _no_marker_missing(label)
    pairs = shown_choices([("#1 · k · a vs " + EVIL, 1), ["b\nc", "b\nc"]])
    assert pairs == [("#1 · k · a vs ⟨U+202E⟩evil", 1), (f"b{LINE_BREAK_MARK}c", "b\nc")]
    assert choice_label(choice_label(EVIL)) == choice_label(EVIL), "the rule can be applied twice"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=None)
    for name, role in (("ann", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


def _spoofing_dataset(store: Store) -> list[int]:
    """Two prompts answered by ``<b>bold</b>`` and ``\\u202eevil``, in category ``cat\\u202egory``."""
    models = (HTML, EVIL)
    prompts = [
        {
            "id": f"k{RLO}{i}",
            "category": f"cat{RLO}gory\nx",
            "instruction": f"Say {i}",
            "responses": {models[0]: f"a{i}", models[1]: f"b{i}"},
        }
        for i in range(2)
    ]
    assert store.seed_dataset(
        {"name": DATASET, "models": [{"name": m} for m in models], "prompts": prompts}, pairs_per_prompt=1
    )
    return sorted(int(i) for i in store.comparison_table(DATASET)["id"])


def _fn(demo: gr.Blocks, qualname: str) -> Any:
    """The Python function of the event whose function is called ``qualname`` (``outer.<locals>.inner``)."""
    found = [f.fn for f in demo.fns.values() if getattr(f.fn, "__qualname__", "").endswith(qualname)]
    assert found, f"no event runs {qualname}"
    return found[0]


def _labels(dropdown: Any) -> dict[Any, str]:
    return {value: label for label, value in dropdown.choices}


def test_case_study_pickers_show_markers_and_pick_the_right_comparison(studio: Studio) -> None:
    from ui import build_ui
    from ui.pickers import DatasetPickers

    ids = _spoofing_dataset(studio.store)
    demo = build_ui(studio)
    refresh = next(f for f in demo.fns.values() if isinstance(getattr(f.fn, "__self__", None), DatasetPickers))
    assert refresh.fn is not None
    pickers = by_id(refresh.fn(gr.Request(username="ada"), *[c.value for c in refresh.inputs]))
    for elem_id in ("case-dataset", "dashboard-dataset", "review-dataset", "admin-export-dataset"):
        shown = _labels(pickers[elem_id])
        assert shown[DATASET] == f"set⟨U+202E⟩one{LINE_BREAK_MARK}line two", elem_id
        for label in shown.values():
            _no_marker_missing(label)

    rita = gr.Request(username="rita")
    opened = by_id(_fn(demo, "wire_browsing.<locals>.for_dataset")(DATASET, rita))
    comparisons = _labels(opened["case-picker"])
    assert sorted(comparisons) == ids, "the values are the comparison ids"
    first = comparisons[ids[0]]
    assert "⟨U+202E⟩evil" in first and HTML in first and "⟨U+202E⟩0" in first, first
    pairs = _labels(opened["case-filter-pair"])
    pair_key, pair_label = next((k, v) for k, v in pairs.items() if k != "(any)")
    assert EVIL in json.loads(pair_key) and "⟨U+202E⟩evil" in pair_label
    categories = _labels(opened["case-filter-category"])
    assert categories[f"cat{RLO}gory\nx"] == f"cat⟨U+202E⟩gory{LINE_BREAK_MARK}x"
    for label in [*comparisons.values(), *pairs.values(), *categories.values()]:
        _no_marker_missing(label)

    # the values the pickers hand back still find the rows: the raw category and pair key filter
    category, pair = f"cat{RLO}gory\nx", pair_key
    filtered = _fn(demo, "wire_browsing.<locals>.filter_comparisons")(
        DATASET, category, pair, False, False, False, None, None, rita
    )
    assert sorted(_labels(by_id(filtered)["case-picker"])) == ids
    shown = by_id(_fn(demo, "wire_browsing.<locals>.show")(ids[0], rita))
    assert "Say 0" in str(shown.values())


def test_session_and_run_pickers_show_markers_and_keep_the_names(studio: Studio) -> None:
    from ui import build_ui

    ids = _spoofing_dataset(studio.store)
    studio.store.save_session(SESSION, DATASET)
    run = studio.store.ensure_judge_run("key-bidi", {"model": f"judge{RLO}xe\n<b>", "profile": "pandalm"})
    studio.store.save_verdict(run, NewVerdict(comparison_id=ids[0], verdict="1", status="ok", raw_output="1"))
    demo = build_ui(studio)

    loaded = by_id(_fn(demo, "_wire_sessions.<locals>.load_sessions")(gr.Request(username="ann"), SESSION))
    sessions = next(v for k, v in loaded.items() if k == "annotate-session" or k == "grade-session")
    assert sessions.value == SESSION, "the session picked keeps its real name"
    assert _labels(sessions)[SESSION] == f"study ⟨U+202E⟩tpecca{LINE_BREAK_MARK}<b>x</b>"

    admin = by_id(_fn(demo, "admin_tab.<locals>.on_page_load")(DATASET, gr.Request(username="ada")))
    assert _labels(admin["admin-session-pick"])[SESSION] == f"study ⟨U+202E⟩tpecca{LINE_BREAK_MARK}<b>x</b>"

    runs = _fn(demo, "DashboardHandlers.runs")(DATASET, None, gr.Request(username="rita"))
    assert "judge⟨U+202E⟩xe⏎<b>" in _labels(runs)[run]
    card_runs = by_id(_fn(demo, "report_card_tab.<locals>.fill_runs")(DATASET, gr.Request(username="rita")))
    assert "judge⟨U+202E⟩xe⏎<b>" in _labels(card_runs["card-run"])[run]
    card_sets = by_id(_fn(demo, "report_card_tab.<locals>.fill_datasets")(None, gr.Request(username="rita")))
    assert _labels(card_sets["card-dataset"])[DATASET] == f"set⟨U+202E⟩one{LINE_BREAK_MARK}line two"


@pytest.mark.browser
def test_the_case_study_dropdown_shows_the_marker_in_chromium(db_path: Path) -> None:
    """The tester's screenshot: ``#1 · k1 · <img ...> vs live``. Now the Comparison dropdown reads ``⟨U+202E⟩evil``
    (in its box and in its open list), and picking a comparison shows it."""
    from conftest import serve_app
    from test_browser_answers import browser_page

    with serve_app(db_path) as app:
        ids = _spoofing_dataset(app.studio.store)
        app.studio.store.save_session("bidi-study", DATASET)  # the newest open session's dataset: every page's default
        with browser_page(app.url, "rita", "rita-pass-1") as page:
            page.get_by_role("tab", name="Case study").click()
            box = page.locator("#case-picker input")
            page.wait_for_function(
                "document.querySelector('#case-picker input')?.value.includes('evil')", timeout=30_000
            )
            shown = box.input_value()
            assert "⟨U+202E⟩evil" in shown and HTML in shown and RLO not in shown, shown
            assert page.locator("#case-dataset input").input_value() == f"set⟨U+202E⟩one{LINE_BREAK_MARK}line two"
            box.click()
            options = page.get_by_role("option")
            options.first.wait_for(timeout=10_000)
            listed = options.all_inner_texts()
            assert len(listed) == len(ids) and all("⟨U+202E⟩evil" in text and RLO not in text for text in listed)
            options.nth(1).click()
            page.wait_for_function(
                f"document.querySelector('#case-picker input')?.value.startsWith('#{ids[1]} ')", timeout=10_000
            )
            page.get_by_text("Say 1").first.wait_for(timeout=10_000)  # the picked comparison (its id) is shown
            assert page.dialogs == []
