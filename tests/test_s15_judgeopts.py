"""Session 15 "judgeopts": three gaps session 14 left (docs/NOTES.md, "Known gaps").

1. Two processes judging with one judge: a failed `judge` deletes the run it made only while the run holds no
   verdict but refusals (one ``DELETE ... WHERE NOT EXISTS`` per table, one transaction), and the other process,
   which found the run before it was deleted, stores into the run found again instead of failing on the foreign
   key. Two Studio objects (two ``JudgeActivity``: what two processes are to each other) on one SQLite file and on
   one PostgreSQL database.
2. The ``empty_response`` setting: "leave-out" (today's) or "loses" (an empty response loses without asking the
   judge, both empty is a tie), stored with a reason and a marker the figures count; the CLI `judge` summary,
   the report and the Case study say which rule applied.
3. A stored prompt version with ``{{ placeholder }}`` shows its warning where it is listed and picked: the Admin
   page's versions table and "Load into the form", and the Case study's judge prompt pickers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio_ids import by_id, handler
from sqlalchemy import text
from test_s14_remotefix import FakeServer, _judge, serve  # noqa: F401  (the fake judge server and its fixture)
from test_store_postgres import location, pg_server, pg_template, pg_url  # noqa: F401  (SQLite and PostgreSQL)

from analysis.empty_responses import EMPTY_RESPONSE_RULES, LEAVE_OUT, LOSES, left_out_note, rule_verdict
from annotation_store import DEMO_DATASET_NAME, NewJudgeRating, NewVerdict, Store, open_store
from annotation_store.verdicts import RULE_OUTPUT, JudgeRunGone
from judge_runtime import JudgeInputError, RemoteJudgeError
from judge_runtime.custom import CustomPrompt
from orchestration import Settings, Studio
from orchestration.prompts import WARNED, prompt_version
from orchestration.service import RUN_NOT_KEPT, run_summary_text
from settings.table import BY_NAME

PASSWORD = "a-long-test-password"


def _settings(where: str, tmp_path: Path, **options: Any) -> Settings:
    """Settings over ``where``: a SQLite file (its folder is the data folder) or a PostgreSQL URL."""
    if where.startswith("postgresql"):
        return Settings(home=tmp_path, database_url=where, **options)
    return Settings(home=Path(where).parent, **options)


def _sql(store: Store, query: str) -> list[tuple[Any, ...]]:
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


# ------------------------------------------------------------------------- 1: a run deleted by another process
def test_the_store_drops_only_a_run_of_refusals_and_a_gone_run_says_so(location: str) -> None:  # noqa: F811
    store = open_store(location)
    try:
        first = int(store.comparison_table(DEMO_DATASET_NAME)["id"].iloc[0])
        response = store.responses(DEMO_DATASET_NAME)[0].id

        def run_with(key: str, *verdicts: NewVerdict) -> int:
            run_id = store.ensure_judge_run(key, {"model": "m", "profile": "pandalm"})
            for new in verdicts:
                store.save_verdict(run_id, new)
            return run_id

        refusal = NewVerdict(comparison_id=first, verdict=None, status="error", raw_output="empty")
        errors = run_with("k-errors", refusal)
        judged = run_with("k-judged", refusal, NewVerdict(comparison_id=first, verdict="1", status="ok", swapped=True))
        ruled = run_with("k-rule", NewVerdict(comparison_id=first, verdict="2", status="ok", raw_output=RULE_OUTPUT))
        rated = run_with("k-rated", refusal)
        store.save_judge_rating(rated, NewJudgeRating(response_id=response, score=7.0, status="ok"))

        assert [store.drop_run_of_errors(run) for run in (errors, judged, ruled, rated)] == [True, False, False, False]
        assert store.drop_run_of_errors(errors) is False  # already gone: nothing to delete
        left = {row[0] for row in _sql(store, "SELECT id FROM judge_runs")}
        assert errors not in left and {judged, ruled, rated} <= left
        # a kept run keeps its refusals too: nothing of it was deleted
        assert _sql(store, f"SELECT COUNT(*) FROM judge_verdicts WHERE run_id = {judged}") == [(2,)]
        assert _sql(store, f"SELECT COUNT(*) FROM judge_verdicts WHERE run_id = {errors}") == [(0,)]

        with pytest.raises(JudgeRunGone) as gone:  # was an IntegrityError of the foreign key
            store.save_verdict(errors, NewVerdict(comparison_id=first, verdict="1", status="ok"))
        assert str(gone.value) == (
            f"Judge run {errors} is not there any more (deleted by another process); nothing was stored."
        )
        assert _sql(store, f"SELECT COUNT(*) FROM judge_verdicts WHERE run_id = {errors}") == [(0,)]

        # the rule's verdicts are marked for the figures, and left out of "judged" when asked
        frame = store.judge_verdicts(DEMO_DATASET_NAME)
        assert frame["by_rule"].dtype == bool
        assert frame.loc[frame["run_id"] == ruled, "by_rule"].tolist() == [True]
        assert not frame.loc[frame["run_id"] != ruled, "by_rule"].any()
        assert store.judged_comparison_ids(ruled, errors=False) == {first}
        assert store.judged_comparison_ids(ruled, errors=False, by_rule=False) == set()
    finally:
        store.close()


def _two_studios(where: str, tmp_path: Path, server: FakeServer) -> tuple[Studio, Any, Studio, Any]:
    """Two Studios on one database with one judge (same fingerprint): two processes, as far as runs go."""
    judge_a, judge_b = _judge(server), _judge(server)
    assert judge_a.fingerprint_key == judge_b.fingerprint_key
    a = Studio.open(_settings(where, tmp_path), judge_loader=lambda _spec: judge_a)
    b = Studio.open(_settings(where, tmp_path), judge_loader=lambda _spec: judge_b)
    return a, judge_a, b, judge_b


def test_a_failed_judge_in_another_process_does_not_lose_the_run_a_judge_is_about_to_store_into(
    location: str,  # noqa: F811
    tmp_path: Path,
    serve: Any,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, judge_a, b, judge_b = _two_studios(location, tmp_path, serve("good"))
    a_waits, b_found, failed = threading.Event(), threading.Event(), []
    try:

        def a_fails(*_args: Any, **_kwargs: Any) -> Any:  # A's server fails once B has found A's new run
            a_waits.set()
            assert b_found.wait(30)
            raise RemoteJudgeError("The judge server answered HTTP 500: CUDA out of memory.")

        def a_runs() -> None:
            try:
                a.judge_dataset(DEMO_DATASET_NAME, limit=2)
            except RemoteJudgeError as exc:
                failed.append(str(exc))

        judge_a.judge_many = a_fails
        really = judge_b.judge_many

        def b_judges(*args: Any, **kwargs: Any) -> Any:  # B found the run; A deletes it before B stores
            b_found.set()
            first.join(30)
            return really(*args, **kwargs)

        judge_b.judge_many = b_judges
        first = threading.Thread(target=a_runs)
        first.start()
        assert a_waits.wait(30)
        made = a.store.judge_run_id(judge_a.fingerprint_key)
        summary = b.judge_dataset(DEMO_DATASET_NAME, limit=2)  # was: IntegrityError (FOREIGN KEY) on the first save
        first.join(30)

        assert failed and failed[0].endswith(RUN_NOT_KEPT)  # A's run held nothing: A deleted it, as before
        # B stored into the run made again for its fingerprint (SQLite may give it the deleted run's id again)
        assert f"Judge run {made} was deleted by another process; storing into run {summary.run_id}." in caplog.text
        assert summary.judged == 2 and summary.statuses == {"ok": 2}
        assert b.store.judge_run_id(judge_b.fingerprint_key) == summary.run_id
        stored = _sql(b.store, "SELECT run_id, status FROM judge_verdicts ORDER BY id")
        assert [row for row in stored if row[0] == summary.run_id] == [(summary.run_id, "ok")] * 2
        assert f"(run {summary.run_id})" in run_summary_text(summary, DEMO_DATASET_NAME)
    finally:
        a.store.close()
        b.store.close()


def test_a_run_another_process_stored_a_verdict_into_is_kept(
    location: str,  # noqa: F811
    tmp_path: Path,
    serve: Any,  # noqa: F811
) -> None:
    a, judge_a, b, _judge_b = _two_studios(location, tmp_path, serve("good"))
    a_waits, b_stored, failed = threading.Event(), threading.Event(), []
    try:

        def a_fails(*_args: Any, **_kwargs: Any) -> Any:
            a_waits.set()
            assert b_stored.wait(30)
            raise RemoteJudgeError("The judge server answered HTTP 500: CUDA out of memory.")

        def a_runs() -> None:
            try:
                a.judge_dataset(DEMO_DATASET_NAME, limit=2)
            except RemoteJudgeError as exc:
                failed.append(str(exc))

        judge_a.judge_many = a_fails
        first = threading.Thread(target=a_runs)
        first.start()
        assert a_waits.wait(30)
        made = a.store.judge_run_id(judge_a.fingerprint_key)
        summary = b.judge_dataset(DEMO_DATASET_NAME, limit=1)  # B stores into A's new run meanwhile
        b_stored.set()
        first.join(30)
        assert failed and RUN_NOT_KEPT not in failed[0]  # A kept the run: B's verdict is in it
        assert summary.run_id == made
        assert _sql(b.store, f"SELECT status FROM judge_verdicts WHERE run_id = {made}") == [("ok",)]
    finally:
        a.store.close()
        b.store.close()


# ------------------------------------------------------------------------- 2: the empty_response setting
def test_the_rule_and_its_setting() -> None:
    assert [rule_verdict(r1, r2, LOSES) for r1, r2 in (("a", "b"), ("", "b"), ("a", "  \n"), ("", None))] == [
        None,
        "2",
        "1",
        "tie",
    ]
    assert rule_verdict("", "b", LEAVE_OUT) is None  # the judge refuses it, as before
    with pytest.raises(ValueError, match="empty_response 'lose' is not a rule: use 'leave-out' or 'loses'"):
        rule_verdict("", "b", "lose")
    row = BY_NAME["empty_response"]
    assert row.choices == EMPTY_RESPONSE_RULES and row.value() == LEAVE_OUT and Settings().empty_response == LEAVE_OUT
    assert row.cli_flag == "--empty-response" and row.env_var == "JUDGE_STUDIO_EMPTY_RESPONSE"
    assert set(row.commands) == {"serve", "judge"}


EMPTY_SET = "empties"


def _with_empties(store: Store) -> dict[str, tuple[int, str | None]]:
    """A dataset of four comparisons (one per prompt): prompt key -> (comparison id, the rule's verdict)."""
    answers = {"full": ("Paris.", "Lyon."), "b-empty": ("Paris.", ""), "a-empty": (" ", "Lyon."), "both": ("", "")}
    prompts = [
        {"id": key, "instruction": "Name the capital of France.", "responses": {"ckpt-a": one, "ckpt-b": two}}
        for key, (one, two) in answers.items()
    ]
    data = {"name": EMPTY_SET, "models": [{"name": "ckpt-a"}, {"name": "ckpt-b"}], "prompts": prompts}
    assert store.seed_dataset(data, pairs_per_prompt=1)
    out = {}
    for row in store.comparison_texts(EMPTY_SET).to_dict("records"):
        out[str(row["prompt"])] = (int(row["id"]), rule_verdict(row["response1"], row["response2"], LOSES))
    return out


@pytest.fixture
def empties(db_path: Path) -> dict[str, tuple[int, str | None]]:
    store = open_store(db_path)
    try:
        return _with_empties(store)
    finally:
        store.close()


def _counting(judge: Any) -> list[int]:
    """The number of cases each ``judge_many`` call sent to the judge server."""
    sent: list[int] = []
    really = judge.judge_many

    def judge_many(cases: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(len(cases))
        return really(cases, *args, **kwargs)

    judge.judge_many = judge_many
    return sent


def test_loses_decides_empty_responses_without_the_judge_and_the_figures_count_them(
    db_path: Path,
    empties: dict[str, tuple[int, str | None]],
    serve: Any,  # noqa: F811
) -> None:
    server = serve("good")
    judge = _judge(server)
    sent = _counting(judge)
    studio = Studio.open(Settings(home=db_path.parent, empty_response=LOSES), judge_loader=lambda _spec: judge)
    try:
        summary = studio.judge_dataset(EMPTY_SET)
        assert sent == [1]  # only the comparison with two answers went to the judge
        assert summary.by_rule == 3 and summary.statuses == {"ok": 4} and not summary.refused
        said = run_summary_text(summary, EMPTY_SET)
        assert said.splitlines()[-1] == (
            "3 comparisons with an empty response decided without the judge (empty_response 'loses': the empty "
            "response loses, both empty is a tie), counted as ok."
        )
        stored = {
            int(r[0]): r[1:]
            for r in _sql(studio.store, "SELECT comparison_id, verdict, status, reason, raw_output FROM judge_verdicts")
        }
        for key in ("b-empty", "a-empty", "both"):
            comparison, verdict = empties[key]
            assert stored[comparison][:2] == (verdict, "ok") and stored[comparison][3] == RULE_OUTPUT
            reason = stored[comparison][2]
            assert reason.endswith("decided by the empty_response setting ('loses') without asking the judge.")
        assert stored[empties["a-empty"][0]][2].startswith(
            f"Response {'1' if empties['a-empty'][1] == '2' else '2'} is empty, so it loses"
        )
        assert stored[empties["both"][0]][2].startswith("Both responses are empty: a tie")
        assert stored[empties["full"][0]][3] != RULE_OUTPUT

        report = studio.metrics(EMPTY_SET)
        empty = report["counts"]["empty_responses"]
        assert empty["n"] == 3 and empty["by_rule"] == {str(summary.run_id): 3}
        (judged,) = report["judges"]
        assert judged["verdicts"]["status"] == {"ok": 4}  # the rule's verdicts are in the judge's figures
        assert sum(judged["verdicts"]["distribution"].values()) == 4

        from analysis.report_text import format_report

        line = next(line for line in format_report(report).splitlines() if "empty response" in line)
        assert line.startswith("3 comparisons with an empty response (ckpt-")  # ckpt-a: 2, ckpt-b: 2 in either order
        assert line.endswith(
            "; decided without the judge by the empty_response rule 'loses' (the empty response loses, both empty is "
            f"a tie) in run {summary.run_id}: 3; these count in accuracy and the rankings but not in the judge's "
            "position, length or response-1 bias figures (the judge never saw them)"
        )
        assert studio.judge_dataset(EMPTY_SET).judged == 0  # decided: not decided again under the same rule
    finally:
        studio.store.close()

    # back to leave-out: the rule's verdicts are decided again, i.e. refused and left out, and it says so
    judge2 = _judge(server)  # the same judge (a new server would be another URL, so another judge)
    sent = _counting(judge2)
    again = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge2)
    try:
        summary = again.judge_dataset(EMPTY_SET)
        assert sent == [] and summary.judged == 3 and summary.by_rule == 0
        assert len(summary.refused) == 3 and all(r.empty for r in summary.refused)
        assert f"{left_out_note()}." in run_summary_text(summary, EMPTY_SET).splitlines()
        statuses = _sql(again.store, "SELECT status, raw_output = '" + RULE_OUTPUT + "' FROM judge_verdicts")
        assert sorted(statuses) == [("error", 0), ("error", 0), ("error", 0), ("ok", 0)]
        report = again.metrics(EMPTY_SET)
        assert report["counts"]["empty_responses"]["by_rule"] == {}
    finally:
        again.store.close()


def test_the_judge_command_says_which_rule_applied(
    db_path: Path,
    empties: dict[str, tuple[int, str | None]],
    serve: Any,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cli import main

    server = serve("good")
    args = ["judge", "--home", str(db_path.parent), "--judge-model", server.model, "--verdict-mode", "generate"]
    main([*args, "--dataset", EMPTY_SET])
    out = capsys.readouterr().out
    assert "3 comparisons refused:" in out and f"{left_out_note()}." in out
    assert "--empty-response loses counts the empty response as a loss" in out
    main([*args, "--dataset", EMPTY_SET, "--empty-response", "loses"])
    out = capsys.readouterr().out
    assert "Judged 3 comparisons of 'empties' (3 ok, 0 uncertain, 0 unparsed)" in out
    assert "3 comparisons with an empty response decided without the judge (empty_response 'loses'" in out
    with pytest.raises(SystemExit):
        main([*args, "--dataset", EMPTY_SET, "--empty-response", "lose"])
    assert "invalid choice: 'lose'" in capsys.readouterr().err


def test_the_case_study_says_which_rule_applied(
    db_path: Path,
    empties: dict[str, tuple[int, str | None]],
    serve: Any,  # noqa: F811
) -> None:
    judge = _judge(serve("good"))
    streamed: list[Any] = []
    really = judge.stream

    def stream(case: Any) -> Any:
        streamed.append(case)
        return really(case)

    judge.stream = stream
    comparison, verdict = empties["b-empty"]
    leave = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
    try:
        with pytest.raises(JudgeInputError) as refused:
            list(leave.stream_comparison(comparison))
        assert str(refused.value).startswith("Response ") and str(refused.value).endswith(f"{left_out_note()}.")
    finally:
        leave.store.close()
    streamed.clear()
    loses = Studio.open(Settings(home=db_path.parent, empty_response=LOSES), judge_loader=lambda _spec: judge)
    try:
        loses.store.create_annotator("rita", role="reviewer", password=PASSWORD)
        from ui import build_ui

        demo = build_ui(loses)
        steps = [by_id(step) for step in handler(demo, "judge_comparison")(comparison, None, None, None, _as("rita"))]
        assert streamed == []  # the judge was not asked
        shown = steps[-1]
        assert shown["judge-raw"] == RULE_OUTPUT
        assert "decided by the empty_response setting ('loses') without asking the judge." in shown["judge-reason"]
        stored = loses.store.latest_verdict(comparison)
        assert stored is not None and stored.verdict == verdict and stored.raw_output == RULE_OUTPUT
    finally:
        loses.store.close()


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


# ------------------------------------------------------------------------- 3: a stored version's warning, shown
CAREFUL = "[Question]\n{instruction}\n\n[Answer A]\n{response1}\n\n[Answer B]\n{response2}\n\nVerdict: [[A]] or [[B]]."


def _no_judge(_spec: object) -> object:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def warned(db_path: Path) -> Iterator[tuple[Studio, CustomPrompt]]:
    """A Studio with an admin, a reviewer and an annotator, and a version with ``{{ instruction }}`` stored as a
    release before session 14 could store it (unchecked)."""
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("ada", "admin"), ("rita", "reviewer"), ("ann", "annotator")):
        studio.store.create_annotator(name, role=role, password=PASSWORD)
    old = CustomPrompt("old-jinja", CAREFUL.replace("{instruction}", "{{ instruction }}"))
    studio.store.save_prompt_version(prompt_version(old, None))
    try:
        yield studio, old
    finally:
        studio.store.close()


def test_a_stored_versions_warning_is_shown_where_it_is_listed_and_picked(
    warned: tuple[Studio, CustomPrompt],
) -> None:
    from ui import build_ui
    from ui.case_sections import prompt_choices

    studio, old = warned
    said = (
        f"Prompt 'old-jinja' (version {old.short_id}) writes `{{{{ instruction }}}}`, which the judge reads as "
        "`{ instruction }`; save a corrected version and judge with it."
    )
    assert studio.prompts.prompt_notes("rita", old.profile_name) == [said]
    assert studio.prompts.prompt_notes("rita", f"old-jinja@{old.short_id}") == [said]
    assert studio.prompts.prompt_notes("rita", "mtbench-pair") == []
    assert (f"old-jinja v1 @{old.short_id}{WARNED}", old.profile_name) in prompt_choices(studio, "rita")

    demo = build_ui(studio)
    # the Admin page: the versions table has the warning, and loading the version into the form says it
    loaded = by_id(handler(demo, "admin_prompt_load")(f"old-jinja@{old.short_id}", _as("ada")))
    assert "**Warning:** Prompt 'old\\-jinja'" in loaded["admin-prompt-result"]
    assert "save a corrected version and judge with it" in loaded["admin-prompt-result"]
    table = by_id(_event(demo, "admin-prompt-versions", inputs=())(_as("ada")))["admin-prompt-versions"]
    assert table["warning"].tolist() == [said]

    # the Case study: the note under each judge prompt picker, for reviewers; nothing for a built-in profile
    for picker, note in (("judge-prompt", "judge-prompt-note"), ("custom-prompt", "custom-prompt-note")):
        shows = _event(demo, note, inputs=(picker,))
        shown = shows(old.profile_name, _as("rita"))
        assert shown.startswith("⚠ **Warning:** Prompt 'old\\-jinja'") and "save a corrected version" in shown
        assert shows("mtbench-pair", _as("rita")) == "" and shows("", _as("rita")) == ""
        assert shows(old.profile_name, _as("ann")) == ""  # annotators pick no judge prompt


def _event(demo: gr.Blocks, output: str, *, inputs: tuple[str, ...]) -> Any:
    """The function of the event whose only output is ``output`` and whose inputs are ``inputs`` (elem_ids)."""
    for block_fn in demo.fns.values():
        outs = [getattr(c, "elem_id", None) for c in block_fn.outputs]
        ins = tuple(getattr(c, "elem_id", None) for c in block_fn.inputs)
        if outs == [output] and ins == inputs and block_fn.fn is not None:
            return block_fn.fn
    raise AssertionError(f"no event with inputs {inputs} and the one output {output!r}")
