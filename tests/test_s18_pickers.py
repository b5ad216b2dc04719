"""s18 pickers: pickers that went stale until a reload, one settings table for ``export --uncertain-margin``, and a
CSV formula guard that can be undone.

1. The Admin page's session pickers ("Who may work in a session", "Activity", and the sessions section's own) are
   read again when the Admin tab is opened and after the page's own Save session, import and dataset removal: a
   session made meanwhile (there, or by ``judge-studio sessions create``) needed a reload.
2. The Dashboard's judge-run picker is read again when its tab is opened (it already was: this shows it after the
   Admin page deleted and merged runs).
3. ``export --uncertain-margin`` comes from the settings table (its row, and the README's, list export).
4. The CSV export puts one more ``'`` before a text that starts with ``'`` itself, so taking one leading ``'`` off
   every cell that has one gives the text back (analyst 8).

Handlers are called directly over real SQLite files (no browser)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler
from helpers import PASSWORD, closing
from test_s17_activity import seed_campaign
from test_s17_adminruns import _accounts
from test_s17_adminruns import home as runs_home  # noqa: F401 (a fixture: 'votes' with runs 1 and 2)

from orchestration import AdminDesk, SessionForm, Settings, Studio
from ui.admin_sections.session_members import activity_section, members_section, session_choices

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    s = Studio.open(Settings(home=tmp_path))
    seed_campaign(s.store)  # annotators alice, bob, ann4; sessions "Campaign A" and "Other" on "tiny"
    s.store.create_annotator("ada", role="admin", password=PASSWORD)
    s.store.create_annotator("rev", role="reviewer", password=PASSWORD)
    yield from closing(s)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _choices(update: Any) -> list[Any]:
    return [value for _label, value in update.choices]


def _tab(demo: gr.Blocks, elem_id: str) -> gr.Tab:
    return next(b for b in demo.blocks.values() if isinstance(b, gr.Tab) and b.elem_id == elem_id)


def _on_select(demo: gr.Blocks, tab: gr.Tab, name: str) -> Any:
    """The event ``name`` that opening ``tab`` runs."""
    found = [f for f in demo.fns.values() if (tab._id, "select") in f.targets and getattr(f.fn, "__name__", "") == name]
    assert len(found) == 1, f"opening {tab.elem_id} runs no {name}"
    return found[0]


def _then(demo: gr.Blocks, first: Any, name: str) -> Any:
    """The event ``name`` chained after ``first``."""
    return next(f for f in demo.fns.values() if f.trigger_after == first._id and getattr(f.fn, "__name__", "") == name)


# ---------------------------------------------------------------------- 1. the Admin page's session pickers
def test_opening_the_admin_tab_lists_a_session_the_cli_made_meanwhile(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    load = next(f for f in demo.fns.values() if getattr(f.fn, "__qualname__", "") == "admin_tab.<locals>.on_page_load")
    loaded = by_id(load.fn("tiny", _as("ada")))
    assert "From the CLI" not in _choices(loaded["admin-members-session"])

    # what `judge-studio sessions create "From the CLI" --dataset tiny` does (cli/session_create.py)
    AdminDesk(studio).save_session("ada", SessionForm(name="From the CLI", dataset="tiny"))
    opened = _on_select(demo, _tab(demo, "tab-admin"), "sessions_again")
    table = by_id(opened.fn(_as("ada")))
    assert "From the CLI" in list(table["admin-sessions"]["name"])
    assert "From the CLI" in _choices(table["admin-session-pick"])
    pickers = by_id(_then(demo, opened, "session_pickers_again").fn("Other", None, _as("ada")))
    for picker in ("admin-members-session", "admin-activity-session"):
        assert {"Campaign A", "From the CLI", "Other"} <= set(_choices(pickers[picker])), picker
    assert "value" not in pickers["admin-members-session"].constructor_args  # "Other" stays picked

    # a lower role's tab reads nothing (the tab is hidden from them; every handler checks the role)
    for who in ("rev", "alice", None):
        assert opened.fn(_as(who)) == gr.skip()
        assert _then(demo, opened, "session_pickers_again").fn(None, None, _as(who)) == gr.skip()


def test_saving_a_session_on_the_admin_page_fills_the_members_and_activity_pickers(studio: Studio) -> None:
    from ui import build_ui

    demo = build_ui(studio)
    save = next(f for f in demo.fns.values() if f.api_name == "admin_save_session")
    shown = by_id(
        save.fn("Round 2", "tiny", None, None, None, True, True, True, True, "", "pairwise", None, None, _as("ada"))
    )
    assert "Saved session" in shown["admin-sessions-result"]
    again = _then(demo, save, "sessions_again")
    assert again.trigger_only_on_success  # a refused save reads nothing again
    pickers = by_id(_then(demo, again, "session_pickers_again").fn(None, None, _as("ada")))
    assert "Round 2" in _choices(pickers["admin-members-session"])
    assert "Round 2" in _choices(pickers["admin-activity-session"])

    # the page's import and dataset removal are followed by the same two reads
    for api_name in ("admin_import", "admin_delete_dataset"):
        event = next(f for f in demo.fns.values() if f.api_name == api_name)
        followed = _then(demo, event, "sessions_again")
        assert followed.trigger_only_on_success and _then(demo, followed, "session_pickers_again")


def test_a_picked_session_that_is_gone_is_cleared_and_others_are_kept(studio: Studio) -> None:
    with gr.Blocks():
        members, activity = members_section(), activity_section()
    shown = by_id(session_choices(studio, _as("ada"), members, activity, current=("Removed with its dataset", "Other")))
    cleared = shown["admin-members-session"].constructor_args
    assert "value" in cleared and cleared["value"] is None  # the members line then says "Choose a session."
    assert "value" not in shown["admin-activity-session"].constructor_args  # "Other" stays picked
    listed = _choices(shown["admin-activity-session"])
    assert {"Campaign A", "Other"} <= set(listed) and "Removed with its dataset" not in listed


# ---------------------------------------------------------------------- 2. the Dashboard's run picker
def test_opening_the_dashboard_reads_the_runs_the_admin_page_deleted_or_merged(runs_home: Path) -> None:  # noqa: F811
    from ui import build_ui

    studio = _accounts(Studio.open(Settings(home=runs_home)))
    try:
        demo = build_ui(studio)
        opened = _on_select(demo, _tab(demo, "tab-dashboard"), "runs")
        assert [getattr(o, "elem_id", None) for o in opened.outputs] == ["dashboard-judge"]
        before = opened.fn("votes", 2, _as("rev"))
        assert _choices(before) == [1, 2] and before.value == 2  # the run the reviewer was looking at

        deleted = by_id(handler(demo, "admin_delete_run")("votes", 2, "2", _as("ada")))
        assert deleted["admin-runs-result"].startswith("**Deleted.**")
        after = opened.fn("votes", 2, _as("rev"))  # the reviewer opens the Dashboard tab again
        assert _choices(after) == [1] and after.value == 1  # the deleted run is gone, the picker on one that exists
    finally:
        studio.store.close()


# ---------------------------------------------------------------------- 3. export's --uncertain-margin
def test_export_takes_the_uncertain_margin_flag_from_the_settings_table() -> None:
    from cli import build_parser
    from cli.options import settings_from
    from settings import BY_NAME, rows_for

    row = BY_NAME["uncertain_margin"]
    assert row in rows_for("export") and "export" in row.commands
    parser = build_parser()
    args = parser.parse_args(["export", "--dataset", "d", "--uncertain-margin", "0.25"])
    assert args.uncertain_margin == 0.25 and settings_from(args).uncertain_margin == 0.25
    assert parser.parse_args(["export", "--dataset", "d"]).uncertain_margin is None  # env, then the table's default
    export = next(
        action.choices["export"] for action in parser._actions if isinstance(getattr(action, "choices", None), dict)
    )
    flag = next(action for action in export._actions if "--uncertain-margin" in action.option_strings)
    assert flag.help is not None and flag.help.startswith(row.help.replace("%", "%%"))
    assert "env JUDGE_STUDIO_UNCERTAIN_MARGIN" in flag.help

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`--uncertain-margin` (metrics, evaluate, report, export)" in readme


# ---------------------------------------------------------------------- 4. the CSV formula guard, undone
TEXTS = ["'quoted' first", "''two", "=1+1", "-3", "plain", "'=already guarded?"]


@pytest.mark.parametrize("text", TEXTS)
def test_one_leading_apostrophe_off_a_guarded_cell_is_the_text(text: str) -> None:
    from interchange.exporters import neutralize

    cell = neutralize(text)
    restored = cell[1:] if cell.startswith("'") else cell
    assert restored == text
    if text.startswith("'"):
        assert cell == "'" + text  # a text's own apostrophe gets one more: the guard is always the first one


def test_a_csv_export_of_texts_with_their_own_apostrophe_round_trips(tmp_path: Path) -> None:
    from annotation_store import open_store
    from interchange.exporters import export
    from interchange.importers import import_table

    source = tmp_path / "own.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "a", "b", "winner", "rater"])
        writer.writerow(["q1", "'quoted' first", "''two", "=1+1", "1", "ann"])
        writer.writerow(["q2", "plain", "-3", "'=already guarded?", "2", "ann"])
    store = open_store(tmp_path / "own.sqlite3")
    try:
        mapping = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
        import_table(
            store, source, mapping={**mapping, "label": "winner", "annotator": "rater"}, model1="m1", model2="m2"
        )
        streams = {fmt: io.StringIO() for fmt in ("csv", "jsonl")}
        for fmt, stream in streams.items():
            export(store, "own", "wide", fmt, stream)
    finally:
        store.close()
    exact = [json.loads(line) for line in streams["jsonl"].getvalue().splitlines()]
    cells = list(csv.DictReader(io.StringIO(streams["csv"].getvalue())))
    fields = ("instruction", "response1", "response2")
    assert [cells[0][f] for f in fields] == ["''quoted' first", "'''two", "'=1+1"]
    for row, guarded in zip(exact, cells, strict=True):
        for field in fields:
            cell = guarded[field]
            assert (cell[1:] if cell.startswith("'") else cell) == row[field], field
