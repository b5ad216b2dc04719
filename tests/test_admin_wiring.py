"""Back-end features wired into the Admin page and the layout: session form defaults from the settings
table, the assignment strategy, rating scale and rubric on the session form, upload confinement of the
import, the report card tab by role, and the judge checkup button. Page handlers are called directly (no server) over a
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


def test_both_kinds_take_a_strategy_and_a_routed_session_keeps_its_kind(studio: Studio) -> None:
    demo = _ui(studio)
    assert _component(demo, "admin-session-strategy").visible is not False  # shown for either kind
    shown = by_id(_fn(demo, "grading_shown")("single"))
    assert shown == {"admin-session-scale": gr.update(visible=True), "admin-session-rubric": gr.update(visible=True)}
    assert by_id(_fn(demo, "grading_shown")("pairwise"))["admin-session-scale"]["visible"] is False

    save = handler(demo, "admin_save_session")
    save(*_session("Ratings", "single", JUDGE_UNCERTAIN_FIRST, 0.5), _as("ada"))
    assert studio.store.session_assignment("Ratings") == {"strategy": JUDGE_UNCERTAIN_FIRST, "audit_rate": 0.5}
    loaded = by_id(handler(demo, "admin_session")("Ratings", _as("ada")))
    assert loaded["admin-session-strategy"] == gr.update(value=JUDGE_UNCERTAIN_FIRST, visible=True)
    assert loaded["admin-session-audit"]["value"] == 0.5 and loaded["admin-session-kind"] == "single"
    # a judge-uncertain-first session logs its draws per kind of item: it cannot change kind, either way
    with pytest.raises(gr.Error, match="its kind cannot change; create a new session"):
        save(*_session("Ratings", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.5), _as("ada"))
    save(*_session("Uncertain", "pairwise", JUDGE_UNCERTAIN_FIRST, 0.2), _as("ada"))
    with pytest.raises(gr.Error, match="its kind cannot change; create a new session"):
        save(*_session("Uncertain", "single", JUDGE_UNCERTAIN_FIRST, 0.2), _as("ada"))
    assert studio.store.get_session("Uncertain").kind == "pairwise"
    assert studio.store.get_session("Ratings").kind == "single"
    # a least-annotated session may still change kind
    save(*_session("Plain", "pairwise", LEAST_ANNOTATED, 0.2), _as("ada"))
    save(*_session("Plain", "single", LEAST_ANNOTATED, 0.2), _as("ada"))
    assert studio.store.get_session("Plain").kind == "single"


# ------------------------------------------------------------------ 2b. rating scale and rubric

RUBRIC = (
    "[Does the response answer the question correctly and completely?]\n"
    "Score 1: Wrong or off-topic.\n"
    "Score 2: Mostly wrong, with a correct detail.\n"
    "Score 3: Partly right; important parts missing or wrong.\n"
    "Score 4: Right, with minor gaps.\n"
    "Score 5: Right and complete."
)


def _through_gradio(demo: gr.Blocks, api_name: str, inputs: list[Any], user: str) -> dict[str | None, Any]:
    """Call an event as Gradio does (its own argument mapping, the request put where the handler's
    signature has it), with the inputs in the order of the event's input components."""
    import asyncio

    block_fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    assert len(inputs) == len(block_fn.inputs)
    out = asyncio.run(demo.call_function(block_fn, list(inputs), requests=_as(user)))
    return by_id(out["prediction"])


def test_a_1_to_5_session_with_a_rubric_is_saved_and_loaded_back_through_the_admin_page(studio: Studio) -> None:
    demo = _ui(studio)
    save_ids = [c.elem_id for c in next(f for f in demo.fns.values() if f.api_name == "admin_save_session").inputs]
    assert save_ids[-3:] == ["admin-session-scale", "admin-session-rubric", "admin-session-fill"]
    assert _component(demo, "admin-session-scale").visible is False  # a new form is pairwise
    fields = [*_session("Graded 1-5", "single", JUDGE_UNCERTAIN_FIRST, 0.25), 5, RUBRIC, "breadth"]
    saved = _through_gradio(demo, "admin_save_session", fields, "ada")
    assert "Saved session `Graded 1-5`" in saved["admin-sessions-result"]
    assert studio.store.session_grading("Graded 1-5") == {"scale": 5, "rubric": RUBRIC}
    assert studio.store.get_session("Graded 1-5").kind == "single"
    assert studio.store.session_assignment("Graded 1-5")["strategy"] == JUDGE_UNCERTAIN_FIRST

    loaded = _through_gradio(demo, "admin_session", ["Graded 1-5"], "ada")
    assert loaded["admin-session-scale"] == gr.update(value=5, visible=True)
    assert loaded["admin-session-rubric"] == gr.update(value=RUBRIC, visible=True)
    assert loaded["admin-session-kind"] == "single"
    # a pairwise session loads with the grading fields hidden
    handler(demo, "admin_save_session")(*_session("Pairs", "pairwise", None, None), _as("ada"))
    pairs = by_id(handler(demo, "admin_session")("Pairs", _as("ada")))
    assert pairs["admin-session-scale"]["visible"] is False and pairs["admin-session-rubric"]["visible"] is False

    # what the admin saved is what graders get: the Grade page offers 1-5 and shows the rubric
    graded = by_id(handler(demo, "next_response")("Graded 1-5", _as("ann")))
    assert [value for _label, value in graded["grade-rating"].choices] == [str(n) for n in range(1, 6)]
    assert "| 5 | Right and complete\\. |" in graded["grade-rubric"]


def test_a_bad_rubric_is_refused_naming_the_wrong_line_and_nothing_is_saved(studio: Studio) -> None:
    demo = _ui(studio)
    save = handler(demo, "admin_save_session")
    save(*_session("Graded", "single", None, None), _as("ada"), 5, RUBRIC)
    wrong = RUBRIC.replace("Score 3:", "Score three:")
    with pytest.raises(gr.Error, match=r"score line 3 should start with 'Score 3: ', got 'Score 4: Right"):
        save(*_session("Graded", "single", None, None), _as("ada"), 5, wrong)
    ten_needed = RUBRIC  # five score lines on a 1-10 session
    with pytest.raises(gr.Error, match=r"1-10 session needs one line per score.*score line 6 .* got nothing"):
        save(*_session("Graded ten", "single", None, None), _as("ada"), 10, ten_needed)
    with pytest.raises(gr.Error, match=r"starts with its criterion in square brackets"):
        save(*_session("Graded", "single", None, None), _as("ada"), 5, "Score 1: no")
    with pytest.raises(gr.Error, match=r"rating scale must be 10 \(1-10\) or 5 \(1-5\), got 7"):
        save(*_session("Graded", "single", None, None), _as("ada"), 7, "")
    assert studio.store.session_grading("Graded") == {"scale": 5, "rubric": RUBRIC}
    assert "Graded ten" not in [s.name for s in studio.store.sessions()]
    # an empty rubric on a 1-5 session: Prometheus 2's default (stored empty, resolved where it is used)
    save(*_session("Graded", "single", None, None), _as("ada"), "5", "")
    assert studio.store.session_grading("Graded") == {"scale": 5, "rubric": ""}
    # a pairwise session ignores the hidden grading fields
    save(*_session("Pairs", "pairwise", None, None), _as("ada"), 5, RUBRIC)
    assert studio.store.session_grading("Pairs") == {"scale": 10, "rubric": ""}


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
        said = by_id(do_import(str(path), "pandalm", "stolen", "", "", "", "", "", _as("ada")))["admin-import-result"]
        assert "was not uploaded to this app; upload it with the file picker" in said.replace("\\", "")
    said = by_id(do_import(str(outside), "pandalm", "stolen", "", "", "", "", "", _as("rita")))["admin-import-result"]
    assert "needs the admin role" in said.replace("\\", "")  # who asks is checked before what they name
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
