"""Tester "team" (a study on PostgreSQL), findings 7 and 10: pickers open on the dataset people work on,
not on the demo; importing the same file again says "nothing new" (Admin page and CLI), not "Imported.";
the review queue leaves gold comparisons out; the Admin sessions table says why a session is not done.
Real SQLite files, the real Gradio handlers (no server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler
from test_session_finish import _dataset as _seed

from cli import main as cli_main
from orchestration import AdminDesk, Settings, Studio
from ui.pickers import DatasetPickers

DEMO = "judge-studio-demo"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name, role in (("ada", "admin"), ("rita", "reviewer"), ("alice", "annotator"), ("bob", "annotator")):
        s.store.create_annotator(name, role=role, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- 7. the pickers' default
def test_pickers_open_on_the_dataset_of_the_newest_open_session(studio: Studio) -> None:
    assert studio.default_dataset() == DEMO  # a fresh database: the demo
    _seed(studio, "evalbiasbench")  # a judge checkup imports its suite: the app's own data, not the team's
    assert studio.default_dataset() == DEMO
    with gr.Blocks():
        pickers = DatasetPickers(studio)
        box = pickers.add("some-dataset")
    _seed(studio, "imported-later")
    assert studio.default_dataset() == "imported-later"  # no session of its own yet: the newest import
    _seed(studio, "team-pairs")
    _seed(studio, "alpaca-grade")
    studio.store.save_session("Team pairwise", "team-pairs", overlap=3)
    studio.store.save_session("Team grading", "alpaca-grade", kind="single")  # newer, but grading
    assert studio.default_dataset() == "team-pairs"  # pairwise pages (Review, Case study, Export) first
    opened = pickers.opened(gr.Request(username="rita"), DEMO)[box]  # what a reviewer's page load puts there
    assert opened.value == "team-pairs"
    studio.store.save_session("Team pairwise", "team-pairs", active=False)
    assert studio.default_dataset() == "alpaca-grade"  # the only open session left that is not the demo's


def test_a_page_load_leaves_the_pickers_of_pages_the_person_cannot_open_alone(studio: Studio) -> None:
    """A new value fires a picker's change handlers, which refuse the role: an annotator saw four red
    "This needs the reviewer/admin role" popups on every page load once the default was not the demo."""
    import asyncio

    with gr.Blocks() as demo:
        pickers = DatasetPickers(studio)
        review, admin = pickers.add("review-dataset"), pickers.add("admin-dataset", role="admin")
        tab = gr.Tab("x")
        pickers.wire(demo, [tab])
    _seed(studio, "team-pairs")
    studio.store.save_session("Team pairwise", "team-pairs", overlap=3)
    load = next(f for f in demo.fns.values() if f.fn is not None and f.fn.__name__ == "opened")

    def page_load(name: str) -> list[Any]:  # as Gradio runs it: the request is put in by Gradio
        out = asyncio.run(demo.call_function(load, [DEMO, DEMO], requests=gr.Request(username=name)))
        return [getattr(out["prediction"][box], "value", out["prediction"][box]) for box in (review, admin)]

    skipped = gr.skip()
    assert page_load("alice") == [skipped, skipped]  # annotator: neither page is theirs
    assert page_load("rita")[0] == "team-pairs" and page_load("rita")[1] == skipped
    assert page_load("ada") == ["team-pairs", "team-pairs"]


# ---------------------------------------------------------------------- 10. the same file again
def _outputs(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    records = [
        {"instruction": f"Say hi {i}", "output": f"hi {i}", "generator": "m-a", "dataset": "x"} for i in range(2)
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_importing_the_same_file_again_says_nothing_new_on_the_admin_page_and_cli(
    studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ui import build_ui

    uploads = tmp_path / "uploads"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    upload = _outputs(uploads / "abc" / "model_outputs.json")  # where Gradio puts an upload
    do_import = handler(build_ui(studio), "admin_import")
    ada = gr.Request(username="ada")
    first = by_id(do_import(str(upload), "alpacaeval-outputs", "alpaca-grade", "", "", "", "", "", ada))
    assert first["admin-import-result"].startswith("**Imported.** Imported model\\_outputs\\.json into new dataset")
    again = by_id(do_import(str(upload), "alpacaeval-outputs", "alpaca-grade", "", "", "", "", "", ada))
    assert again["admin-import-result"].startswith("**Nothing new.** model")
    assert "was already imported into dataset 'alpaca\\-grade': nothing new" in again["admin-import-result"]
    assert "Imported" not in again["admin-import-result"]
    monkeypatch.setenv("JUDGE_STUDIO_HOME", str(studio.settings.home))
    cli_main(["import", str(upload), "--format", "alpacaeval-outputs", "--dataset", "alpaca-grade"])
    said = capsys.readouterr().out
    assert said.startswith("model_outputs.json was already imported into dataset 'alpaca-grade': nothing new")


# ---------------------------------------------------------------------- 10. gold stays out of the review queue
def test_the_review_queue_leaves_gold_comparisons_out(studio: Studio) -> None:
    gold, plain = _seed(studio, "team-pairs")
    for comparison in (gold, plain):  # people disagree on both
        studio.store.save_label(comparison, "alice", "1")
        studio.store.save_label(comparison, "bob", "2")
    assert set(studio.review.queue("rita", "team-pairs").rows["comparison_id"]) == {gold, plain}
    studio.store.set_gold(gold, "1", "the first answer is right")
    assert list(studio.review.queue("rita", "team-pairs").rows["comparison_id"]) == [plain]
    rest_rows = studio.review.queue("rita", None, strict=True).entries()  # REST's rows too
    assert [e.comparison_id for e in rest_rows] == [plain]
    assert studio.review.item("rita", gold).gold == ("1", "the first answer is right")  # still opens by number


# ---------------------------------------------------------------------- 5. the lead sees why a session is stuck
def test_the_admin_sessions_table_says_why_a_session_is_not_done(studio: Studio) -> None:
    from ui.admin import sessions_frame

    first, second = _seed(studio, "team-pairs")
    studio.store.save_session("Team pairwise", "team-pairs", overlap=1)
    # nobody yet: not "2 answered by everyone taking part (needs new people)", vacuously true of nobody
    assert studio.desk.standing("ada", "Team pairwise").text() == "0 of 2 done (1 answer each); nobody has started yet"
    item = studio.desk.next_item("alice", "Team pairwise")
    studio.desk.submit("alice", "Team pairwise", item.id, "skip", swapped=item.swapped)
    other = studio.desk.next_item("alice", "Team pairwise")
    studio.desk.submit("alice", "Team pairwise", other.id, "left", swapped=other.swapped)
    studio.desk.next_item("bob", "Team pairwise")  # bob holds alice's skip now
    sessions = [s for s in AdminDesk(studio).sessions("ada") if s.name == "Team pairwise"]
    standings = {s.name: studio.desk.standing("ada", s.name).text() for s in sessions}
    table = sessions_frame(sessions, None, standings).set_index("name")
    assert table.loc["Team pairwise", "progress"] == "1 of 2 done (1 answer each); 1 leased"
    studio.store.update_account("bob", active=False)  # bob leaves: his lease goes back at once
    assert studio.desk.standing("ada", "Team pairwise").text() == (
        "1 of 2 done (1 answer each); 1 left only to people who skipped it"
    )
    with pytest.raises(Exception, match="needs the admin role"):
        studio.desk.standing("alice", "Team pairwise")
    assert {first, second} == {item.id, other.id}
