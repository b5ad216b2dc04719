"""Back-end features wired into the Admin page and the layout: session form defaults from the settings
table, the assignment strategy on the session form, upload confinement of the import, the report
card tab by role, and the judge checkup button. Page handlers are called directly (no server) over a
copy of the seeded database, as the page would call them."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler

from annotation_store.assignment import ASSIGNMENT_DEFAULTS, JUDGE_UNCERTAIN_FIRST, LEAST_ANNOTATED
from annotation_store.models import LEASE_MIN_SECONDS
from judge_runtime import JudgeResult, PairCase
from judge_runtime.profiles import ParsedJudgment
from orchestration import SessionForm, Settings, Studio

PASSWORD = "correct horse battery"
DEMO = "judge-studio-demo"
MAPPING = "key=id, instruction=question, response1=a, response2=b, model1=model_a, model2=model_b"


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


def _studio(db_path: Path, loader: Callable[[Any], Any] = _no_judge) -> Studio:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=loader)
    for name, role in (("ann", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        studio.store.create_annotator(name, role=role, password=PASSWORD)
    return studio


@pytest.fixture
def studio(db_path: Path) -> Studio:
    return _studio(db_path)


def _ui(studio: Studio) -> gr.Blocks:
    from ui import build_ui

    return build_ui(studio)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _component(demo: gr.Blocks, elem_id: str) -> Any:
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def _fn(demo: gr.Blocks, name: str) -> Any:
    """A private (api-less) event's function, by its Python name."""
    return next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name)


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _session(name: str, kind: str, strategy: str | None, audit: float | None, lease: float | None = 900) -> tuple:
    """The Admin session form's inputs, in the page's order."""
    return (name, DEMO, 1, lease, 0.0, True, True, True, True, "", kind, strategy, audit)


# ------------------------------------------------------------------ 1. defaults from the settings table


def test_the_session_form_starts_with_the_settings_tables_defaults(db_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("JUDGE_STUDIO_SESSION_LEASE_SECONDS", "600")
    monkeypatch.setenv("JUDGE_STUDIO_SESSION_OVERLAP", "2")
    monkeypatch.setenv("JUDGE_STUDIO_SESSION_BLIND", "no")
    form = SessionForm(name="x", dataset=DEMO)
    assert (form.lease_seconds, form.overlap, form.blind, form.gold_rate) == (600, 2, False, 0.0)
    studio = _studio(db_path)
    demo = _ui(studio)
    lease = _component(demo, "admin-session-lease")
    assert lease.value == 600 and lease.minimum == LEASE_MIN_SECONDS == 30
    assert _component(demo, "admin-session-overlap").value == 2
    assert _component(demo, "admin-session-blind").value is False
    assert _component(demo, "admin-session-strategy").value == ASSIGNMENT_DEFAULTS["strategy"]
    assert _component(demo, "admin-session-audit").value == ASSIGNMENT_DEFAULTS["audit_rate"]
    # an emptied number takes the setting's default, not a number written in the page
    handler(demo, "admin_save_session")(*_session("Defaults", "pairwise", None, None, lease=None), _as("ada"))
    saved = studio.store.get_session("Defaults")
    assert saved.lease_seconds == 600


# ------------------------------------------------------------------ 2. assignment strategy


def test_a_judge_uncertain_first_session_is_saved_and_loaded_back_through_the_admin_page(studio: Studio) -> None:
    demo = _ui(studio)
    save = handler(demo, "admin_save_session")
    saved = by_id(save(*_session("Uncertain", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.3), _as("ada")))
    assert "Saved session `Uncertain`" in saved["admin-sessions-result"]
    assert studio.store.session_assignment("Uncertain") == {"strategy": JUDGE_UNCERTAIN_FIRST, "audit_rate": 0.3}

    loaded = by_id(handler(demo, "admin_session")("Uncertain", _as("ada")))
    assert loaded["admin-session-strategy"]["value"] == JUDGE_UNCERTAIN_FIRST
    assert loaded["admin-session-audit"]["value"] == 0.3 and loaded["admin-session-audit"]["visible"] is True
    assert loaded["admin-session-lease"] == 900 and loaded["admin-session-kind"] == "pairwise"

    with pytest.raises(gr.Error, match="audit share must be from 0.01 to 1"):
        save(*_session("Uncertain", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.0), _as("ada"))
    assert studio.store.session_assignment("Uncertain")["audit_rate"] == 0.3
    with pytest.raises(gr.Error, match="needs the admin role"):
        save(*_session("Sneaky", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.3), _as("rita"))


def test_the_strategy_is_only_for_pairwise_sessions(studio: Studio) -> None:
    demo = _ui(studio)
    shown = by_id(_fn(demo, "assignment_shown")("single"))
    assert shown == {
        "admin-session-strategy": gr.update(visible=False),
        "admin-session-audit": gr.update(visible=False),
    }
    assert by_id(_fn(demo, "assignment_shown")("pairwise"))["admin-session-strategy"]["visible"] is True

    save = handler(demo, "admin_save_session")
    # the hidden dropdown's value is not sent for a single-answer session
    save(*_session("Ratings", "single", JUDGE_UNCERTAIN_FIRST, 0.5), _as("ada"))
    assert studio.store.session_assignment("Ratings")["strategy"] == LEAST_ANNOTATED
    loaded = by_id(handler(demo, "admin_session")("Ratings", _as("ada")))
    assert loaded["admin-session-strategy"]["visible"] is False
    # a judge-uncertain-first session cannot become a single-answer one: the store says why
    save(*_session("Uncertain", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.2), _as("ada"))
    with pytest.raises(gr.Error, match="Only pairwise sessions"):
        save(*_session("Uncertain", "single", None, None), _as("ada"))
    assert studio.store.get_session("Uncertain").kind == "pairwise"


# ------------------------------------------------------------------ 3. upload confinement


def test_the_import_reads_only_files_in_the_upload_folder(
    studio: Studio, db_path: Path, tmp_path: Path, monkeypatch
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(uploads))
    outside = tmp_path / "hostname.json"
    shutil.copy("/etc/hostname" if Path("/etc/hostname").is_file() else __file__, outside)
    (uploads / "link.json").symlink_to(outside)
    demo = _ui(studio)
    do_import = handler(demo, "admin_import")
    before = (_count(db_path, "datasets"), _count(db_path, "comparisons"))
    for path in (outside, uploads / "link.json", uploads / ".." / "hostname.json", "/etc/passwd"):
        with pytest.raises(gr.Error, match="was not uploaded to this app; upload it with the file picker"):
            do_import(str(path), "pandalm", "stolen", "", "", "", "", "", _as("ada"))
    with pytest.raises(gr.Error, match="needs the admin role"):  # who asks is checked before what they name
        do_import(str(outside), "pandalm", "stolen", "", "", "", "", "", _as("rita"))
    assert (_count(db_path, "datasets"), _count(db_path, "comparisons")) == before

    table = uploads / "abc123" / "pairs.csv"  # where Gradio puts an upload
    table.parent.mkdir()
    table.write_text("id,question,a,b,model_a,model_b\nq1,Why?,yes,no,m1,m2\n", encoding="utf-8")
    done = by_id(do_import(str(table), "csv", "uploaded", "", MAPPING, "", "", "", _as("ada")))
    assert "**Imported.**" in done["admin-import-result"] and "uploaded" in studio.store.dataset_names()


# ------------------------------------------------------------------ 4. the report card tab


def test_reviewers_and_admins_see_the_report_card_and_annotators_do_not(studio: Studio) -> None:
    demo = _ui(studio)
    for_role = _fn(demo, "for_role")
    for name, shown in (("ann", False), ("rita", True), ("ada", True), (None, False)):
        assert by_id(for_role(_as(name)))["tab-report-card"].visible is shown, name
    assert by_id(for_role(_as("rita")))["tab-admin"].visible is False

    card = handler(demo, "report_card")
    with pytest.raises(gr.Error, match="needs the reviewer role"):
        card(DEMO, None, None, _as("ann"))
    shown_card = by_id(card(DEMO, None, None, _as("rita")))
    assert "Judge report card" in shown_card["card-markdown"]
    # the tab's page load fills the dataset list for a reviewer and says nothing to anyone else
    card_load = next(
        f.fn for f in demo.fns.values() if getattr(f.fn, "__qualname__", "") == "report_card_tab.<locals>.on_page_load"
    )
    nothing = list(card_load(None, _as("ann")).values())  # a skip: an empty dict would be read as a value
    assert len(nothing) == 1 and nothing[0] == gr.skip()
    assert DEMO in [value for _label, value in by_id(card_load(None, _as("rita")))["card-dataset"].choices]


# ------------------------------------------------------------------ 5. the judge checkup


@dataclass
class LongerJudge:
    """A scripted judge: picks the longer response shown (no model is loaded)."""

    both_orders: bool = False

    @property
    def fingerprint(self) -> dict[str, Any]:
        return {"model": "scripted `<b>`", "profile": "pandalm", "both_orders": self.both_orders}

    @property
    def fingerprint_key(self) -> str:
        return f"scripted-longer-{self.both_orders}"

    @property
    def profile(self) -> Any:
        return type("Profile", (), {"name": "pandalm"})()

    def with_settings(self, *, both_orders: bool | None = None) -> LongerJudge:
        return LongerJudge(bool(both_orders))

    def validate(self, case: PairCase) -> None:
        return None

    def judge_many(
        self, cases: Sequence[PairCase], *, batch_size: int, on_result: Callable[[int, JudgeResult], None], **_: Any
    ) -> list[JudgeResult]:
        results = []
        for index, case in enumerate(cases):
            verdict = "1" if len(case.response1) >= len(case.response2) else "2"
            result = JudgeResult(ParsedJudgment(verdict, "ok"), f"{verdict}\n", 10, 2, 0.01)  # type: ignore[arg-type]
            on_result(index, result)
            results.append(result)
        return results


def test_the_checkup_button_streams_a_count_and_shows_the_table(db_path: Path, shared_data: Path) -> None:
    studio = _studio(db_path, loader=lambda _spec: LongerJudge())
    demo = _ui(studio)
    run = handler(demo, "admin_checkup")
    steps = [by_id(step) for step in run("evalbiasbench", 3, str(shared_data), _as("ada"))]
    progress = [s["admin-checkup-progress"] for s in steps if "admin-checkup-progress" in s]
    assert "Loading the judge" in progress[0]
    assert "Judged 0 of 6" in progress[1] and "Judged 6 of 6 (each pair in both orders)" in progress[-1]
    table = steps[-1]["admin-checkup-result"]
    assert "**Done.**" in table and "**EvalBiasBench**" in table and "judged now 6, already stored 0" in table
    assert "| bias type | pairs | original | swapped |" in table and "| overall | 3 |" in table
    assert "always first" in table and "judge `scripted ˋ<b>ˋ · profile pandalm`" in table
    stored = studio.store.judge_verdicts("evalbiasbench")
    assert len(stored) == 6 and int(stored["swapped"].sum()) == 3

    again = [by_id(step) for step in run("evalbiasbench", 3, str(shared_data), _as("ada"))]
    assert "judged now 0, already stored 6" in again[-1]["admin-checkup-result"]


def test_the_checkup_is_for_admins_and_says_what_is_wrong(studio: Studio, tmp_path: Path) -> None:
    demo = _ui(studio)  # the judge loader fails the test if anything reaches the judge
    run = handler(demo, "admin_checkup")
    with pytest.raises(gr.Error, match="needs the admin role"):
        list(run("evalbiasbench", 1, "", _as("rita")))
    with pytest.raises(gr.Error, match="Choose a checkup suite"):
        list(run("mmlu", 1, "", _as("ada")))
    with pytest.raises(gr.Error, match="whole number"):
        list(run("hhh", 1.5, "", _as("ada")))


@pytest.mark.model
def test_the_checkup_button_with_the_demo_judge(db_path: Path, shared_data: Path, quick_judge) -> None:
    studio = _studio(db_path, loader=lambda _spec: quick_judge)
    steps = [by_id(s) for s in handler(_ui(studio), "admin_checkup")("evalbiasbench", 1, str(shared_data), _as("ada"))]
    assert "Judged 2 of 2" in steps[-2]["admin-checkup-progress"]
    assert "| overall | 1 |" in steps[-1]["admin-checkup-result"]
    assert len(studio.store.judge_verdicts("evalbiasbench")) == 2
