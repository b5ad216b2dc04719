"""Review queue, admin actions and case-study filters, through the orchestration layer (and the page
handlers, called directly without a server) over a real copy of the seeded SQLite database."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from gradio_ids import by_id, event_output_ids, handler

from annotation_store import NewVerdict, StoreError
from errors import InvalidInput
from orchestration import (
    AccessDenied,
    AdminDesk,
    CaseBrowser,
    CaseFilter,
    ImportRequest,
    ReviewDesk,
    SessionForm,
    Settings,
    Studio,
)
from orchestration.browse import pair_key
from orchestration.metrics import metrics_report

PASSWORD = "correct horse battery"
DEMO = "judge-studio-demo"


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _no_judge(_spec: Any) -> Any:
    raise AssertionError("the judge must not be loaded")


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent), judge_loader=_no_judge)
    for name, role in (("ann", "annotator"), ("rita", "reviewer"), ("ada", "admin")):
        s.store.create_annotator(name, role=role, password=PASSWORD)
    return s


def _run(studio: Studio, model: str = "test-judge") -> int:
    return studio.store.ensure_judge_run(f"key-{model}", {"model": model, "profile": "pandalm"})


def _verdict(studio: Studio, run_id: int, comparison_id: int, verdict: str | None, **extra: Any) -> None:
    status = extra.pop("status", "ok" if verdict else "unparsed")
    studio.store.save_verdict(
        run_id, NewVerdict(comparison_id=comparison_id, verdict=verdict, status=status, raw_output="x", **extra)
    )


def _counts(db: Path) -> dict[str, int]:
    tables = [
        "datasets",
        "comparisons",
        "labels",
        "adjudications",
        "annotation_sessions",
        "gold_labels",
        "annotators",
        "invites",
        "judge_verdicts",
    ]
    return {t: _sql(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def _write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


MAPPING = "key=id, instruction=question, response1=a, response2=b, model1=model_a, model2=model_b, category=cat"


def _table(n: int = 4) -> list[dict[str, str]]:
    pairs = [("alpha", "beta"), ("beta", "alpha"), ("alpha", "gamma"), ("beta", "gamma")]
    cats = ["math", "math", "writing", "writing"]
    return [
        {
            "id": f"q{i}",
            "question": f"Question {i}?",
            "a": f"answer A{i}",
            "b": f"answer B{i}",
            "model_a": pairs[i % 4][0],
            "model_b": pairs[i % 4][1],
            "cat": cats[i % 4],
        }
        for i in range(n)
    ]


# ---------------------------------------------------------------------- review queue


def test_reviewer_sees_a_disagreement_and_adjudicates_it(studio: Studio, db_path: Path) -> None:
    store = studio.store
    store.save_label(1, "alice", "1", confidence=4, comment="A is correct")
    store.save_label(1, "bob", "2", flagged=True, comment="B <b>cites</b> a source")
    store.save_label(2, "alice", "tie")
    store.save_label(2, "bob", "tie")
    store.save_label(3, "alice", "1")
    store.save_label(3, "bob", "1")
    run = _run(studio)
    _verdict(studio, run, 2, "1", reason="Response 1 is more complete.", p_1=0.7, p_2=0.2, p_tie=0.1)
    _verdict(studio, run, 2, "tie", swapped=True, reason="Both are fine.")
    _verdict(studio, run, 3, "1")
    desk = ReviewDesk(store, studio.access)

    queue = desk.queue("rita", DEMO).rows
    assert sorted(queue["comparison_id"]) == [1, 2]  # 3: everybody agrees with the judge
    assert list(desk.queue("rita", DEMO, kind="people disagree").rows["comparison_id"]) == [1]
    assert list(desk.queue("rita", DEMO, kind="judge disagrees").rows["comparison_id"]) == [2]
    assert desk.queue("rita", "no-such-dataset").rows.empty

    item = desk.item("rita", 1)
    assert item.comparison.id == 1 and item.adjudication is None
    by_name = item.labels.set_index("annotator")
    assert by_name.loc["alice", "verdict"] == "1" and by_name.loc["alice", "confidence"] == 4
    assert by_name.loc["bob", "comment"] == "B <b>cites</b> a source" and bool(by_name.loc["bob", "flagged"])
    both = desk.item("rita", 2)
    assert [(o.swapped, o.verdict) for o in both.opinions] == [(False, "1"), (True, "tie")]
    assert both.opinions[0].reason == "Response 1 is more complete."
    assert both.latest is not None and both.latest.probabilities == pytest.approx({"1": 0.7, "2": 0.2, "tie": 0.1})

    saved = desk.adjudicate("rita", 1, "2", "  B answers the question; A misreads it.  ")
    assert saved.verdict == "2" and saved.reviewer == "rita"
    assert _sql(
        db_path,
        "SELECT j.comparison_id, a.name, j.verdict, j.rationale FROM adjudications j "
        "JOIN annotators a ON a.id = j.reviewer_id",
    ) == [(1, "rita", "2", "B answers the question; A misreads it.")]
    assert list(desk.queue("rita", DEMO, open_only=True).rows["comparison_id"]) == [2]
    assert desk.queue("rita", DEMO).rows.set_index("comparison_id").loc[1, "adjudication"] == "2"
    again = desk.item("rita", 1).adjudication
    assert again is not None and again.rationale == "B answers the question; A misreads it."
    # the final label is the people's label in the reports (alice / bob split 1 / 2: a tie without it)
    report = metrics_report(store, DEMO, n_bootstrap=0)
    assert (report["counts"]["adjudicated"], report["label_distribution"]) == (1, {"1": 1, "2": 1, "tie": 1})
    # an admin may change it; the row is edited, not duplicated
    desk.adjudicate("ada", 1, "tie", "Both miss the second part.")
    assert _sql(db_path, "SELECT verdict, rationale FROM adjudications") == [("tie", "Both miss the second part.")]


def test_an_adjudication_needs_a_rationale_and_a_valid_label(studio: Studio, db_path: Path) -> None:
    desk = ReviewDesk(studio.store, studio.access)
    with pytest.raises(StoreError, match="Write a rationale"):
        desk.adjudicate("rita", 1, "1", "   ")
    with pytest.raises(StoreError, match="1, 2 or tie"):
        desk.adjudicate("rita", 1, "left", "because")
    with pytest.raises(InvalidInput, match="Open a comparison"):
        desk.adjudicate("rita", None, "1", "because")
    with pytest.raises(StoreError, match="no comparison with id 99999"):
        desk.adjudicate("rita", 99999, "1", "because")
    assert _sql(db_path, "SELECT count(*) FROM adjudications") == [(0,)]


# ---------------------------------------------------------------------- refusals


def _every_guarded_action(studio: Studio, tmp_path: Path) -> dict[str, tuple[str, Callable[[str | None], Any]]]:
    review = ReviewDesk(studio.store, studio.access)
    admin = AdminDesk(studio)
    browser = CaseBrowser(studio)
    good = _write_csv(tmp_path / "fine.csv", _table())
    form = SessionForm(name="new session", dataset=DEMO, overlap=2)
    return {
        "review queue": ("reviewer", lambda who: review.queue(who, DEMO)),
        "review item": ("reviewer", lambda who: review.item(who, 1)),
        "adjudicate": ("reviewer", lambda who: review.adjudicate(who, 1, "1", "because")),
        "case options": ("reviewer", lambda who: browser.options(who, DEMO)),
        "case filter": ("reviewer", lambda who: browser.comparisons(who, CaseFilter(dataset=DEMO))),
        "case detail": ("reviewer", lambda who: browser.detail(who, 1)),
        "case judge": ("reviewer", lambda who: list(browser.stream(who, 1))),
        "import": ("admin", lambda who: admin.import_dataset(who, ImportRequest(good, "csv", mapping=MAPPING))),
        "judge run": ("admin", lambda who: admin.judge_dataset(who, DEMO)),
        "export": ("admin", lambda who: admin.export(who, DEMO, "labels", "csv", directory=tmp_path / "out")),
        "accounts": ("admin", lambda who: admin.accounts(who)),
        "add account": ("admin", lambda who: admin.add_account(who, "mallory", PASSWORD, "admin", "expert")),
        "change role": ("admin", lambda who: admin.update_account(who, "ann", role="admin")),
        "deactivate": ("admin", lambda who: admin.update_account(who, "ada", active=False)),
        "invite": ("admin", lambda who: admin.invite(who, "admin")),
        "sessions": ("admin", lambda who: admin.sessions(who)),
        "save session": ("admin", lambda who: admin.save_session(who, form)),
        "set gold": ("admin", lambda who: admin.set_gold(who, 1, "1", "obvious")),
        "gold list": ("admin", lambda who: admin.gold(who, DEMO)),
    }


def test_an_annotator_is_refused_every_review_and_admin_action_and_nothing_is_written(
    studio: Studio, db_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    before = _counts(db_path)
    actions = _every_guarded_action(studio, tmp_path)
    for what, (role, action) in actions.items():
        with pytest.raises(AccessDenied, match=f"This needs the {role} role; 'ann' is annotator") as caught:
            action("ann")
        assert caught.value, what
        with pytest.raises(AccessDenied, match="not logged in"):
            action(None)
        with pytest.raises(AccessDenied, match="does not exist or is deactivated"):
            action("nobody")
    # a reviewer may review but not administer
    for _what, (role, action) in actions.items():
        if role == "admin":
            with pytest.raises(AccessDenied, match="This needs the admin role; 'rita' is reviewer"):
                action("rita")
    assert _counts(db_path) == before
    assert list((tmp_path / "out").iterdir()) == []
    assert _sql(db_path, "SELECT role, active FROM annotators WHERE name IN ('ann', 'ada') ORDER BY name") == [
        ("admin", 1),
        ("annotator", 1),
    ]


def test_a_deactivated_reviewer_is_refused(studio: Studio) -> None:
    admin = AdminDesk(studio)
    admin.update_account("ada", "rita", active=False)
    with pytest.raises(AccessDenied, match="deactivated"):
        ReviewDesk(studio.store, studio.access).queue("rita")


# ---------------------------------------------------------------------- import, judge run, export


def test_admin_imports_a_table_and_a_bad_file_changes_nothing(studio: Studio, db_path: Path, tmp_path: Path) -> None:
    admin = AdminDesk(studio)
    rows = _table()
    rows[0]["winner"] = "a"
    for row in rows[1:]:
        row["winner"] = ""
    good = _write_csv(tmp_path / "votes.csv", rows)
    summary = admin.import_dataset(
        "ada",
        ImportRequest(good, "csv", dataset="votes", mapping=MAPPING + ", label=winner", annotator="expert-1"),
    )
    assert summary.dataset == "votes" and summary.comparisons == 4 and summary.labels == 1
    assert "4 comparisons" in summary.describe()
    assert "votes" in studio.dataset_names()
    assert _sql(
        db_path,
        "SELECT count(*) FROM comparisons c JOIN datasets d ON d.id = c.dataset_id WHERE d.name = 'votes'",
    ) == [(4,)]

    before = _counts(db_path)
    bad_rows = _table()
    for row in bad_rows:
        row["winner"] = "1"
    bad_rows[2]["winner"] = "maybe"
    bad = _write_csv(tmp_path / "bad-votes.csv", bad_rows)
    with pytest.raises(StoreError, match=r"bad-votes\.csv, record 3.*'winner'.*'maybe'"):
        admin.import_dataset("ada", ImportRequest(bad, "csv", dataset="bad", mapping=MAPPING + ", label=winner"))
    assert _counts(db_path) == before
    assert "bad" not in studio.dataset_names()

    with pytest.raises(StoreError, match=r"no column for instruction.*the file.s columns are"):  # listed, with the fix
        admin.import_dataset("ada", ImportRequest(good, "csv"))
    with pytest.raises(StoreError, match="only applies to jsonl and csv"):
        admin.import_dataset("ada", ImportRequest(good, "alpacaeval-outputs", mapping="instruction=q"))
    with pytest.raises(StoreError, match="not FIELD=COLUMN"):
        admin.import_dataset("ada", ImportRequest(good, "csv", mapping="instruction"))
    with pytest.raises(StoreError, match="Choose a file"):
        admin.import_dataset("ada", ImportRequest(None, "csv", mapping=MAPPING))
    with pytest.raises(StoreError, match="Choose a format"):
        admin.import_dataset("ada", ImportRequest(good, "pandalm-pipeline"))
    assert _counts(db_path) == before


def test_export_writes_a_downloadable_file(studio: Studio, tmp_path: Path) -> None:
    studio.store.save_label(1, "alice", "1")
    studio.store.save_label(2, "bob", "tie")
    admin = AdminDesk(studio)
    path, rows = admin.export("ada", DEMO, "labels", "csv")
    assert rows == 2 and path.is_file() and path.suffix == ".csv" and DEMO in path.name
    table = pd.read_csv(path)
    assert len(table) == 2 and set(table["rater"]) == {"alice", "bob"}
    jsonl, n = admin.export("ada", DEMO, "wide", "jsonl", directory=tmp_path)
    assert jsonl.parent == tmp_path and n == len(jsonl.read_text(encoding="utf-8").splitlines()) > 0
    assert json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])
    parquet, _ = admin.export("ada", DEMO, "labels", "parquet", directory=tmp_path)
    assert len(pd.read_parquet(parquet)) == 2
    with pytest.raises(StoreError, match="Choose what to export"):
        admin.export("ada", DEMO, "everything", "csv", directory=tmp_path)
    with pytest.raises(StoreError, match="There is no dataset named 'nope'"):
        admin.export("ada", "nope", "labels", "csv", directory=tmp_path)


def test_a_judge_run_is_refused_before_the_judge_loads(studio: Studio) -> None:
    admin = AdminDesk(studio)
    with pytest.raises(StoreError, match="Choose a dataset"):
        admin.judge_dataset("ada", None)
    with pytest.raises(StoreError, match="whole number"):
        admin.judge_dataset("ada", DEMO, limit=2.5)
    with pytest.raises(StoreError, match="Judge 1 to"):
        admin.judge_dataset("ada", DEMO, limit=-3)


@pytest.mark.model
def test_admin_judge_run_reports_progress_and_stores_verdicts(db_path: Path, quick_judge) -> None:
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: quick_judge)
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    steps: list[tuple[int, int]] = []
    summary = AdminDesk(studio).judge_dataset("ada", DEMO, limit=2.0, on_progress=lambda d, t: steps.append((d, t)))
    assert summary.judged == 2 and steps[0] == (0, 2) and steps[-1] == (2, 2) and len(steps) == 3
    assert _sql(db_path, "SELECT count(*) FROM judge_verdicts WHERE run_id = ?", summary.run_id) == [(2,)]


# ---------------------------------------------------------------------- accounts


def test_admin_manages_accounts_and_invites(studio: Studio, db_path: Path) -> None:
    admin = AdminDesk(studio)
    admin.add_account("ada", "  nora ", PASSWORD, "reviewer", "expert")
    table = admin.accounts("ada").set_index("name")
    assert table.loc["nora", "role"] == "reviewer" and bool(table.loc["nora", "can_log_in"])
    assert studio.access.login("nora", PASSWORD)
    admin.update_account("ada", "nora", role="admin")
    admin.update_account("ada", "nora", active=False)
    assert _sql(db_path, "SELECT role, active FROM annotators WHERE name = 'nora'") == [("admin", 0)]
    assert not studio.access.login("nora", PASSWORD)
    with pytest.raises(StoreError, match="at least 8 characters"):
        admin.add_account("ada", "short", "abc", "annotator", "crowd")
    with pytest.raises(StoreError, match="Choose a role"):
        admin.add_account("ada", "odd", PASSWORD, "owner", "crowd")
    with pytest.raises(StoreError, match="already an account"):
        admin.add_account("ada", "rita", PASSWORD, "annotator", "crowd")
    with pytest.raises(StoreError, match="last active admin"):
        admin.update_account("ada", "ada", active=False)
    token = admin.invite("ada", "reviewer", "expert", hours=24)
    assert studio.store.invite_role(token) == "reviewer"
    assert studio.access.accept_invite(token, "vic", PASSWORD) == ("vic", "reviewer")


def test_invite_link_uses_the_host_the_admin_came_from() -> None:
    from ui.admin import invite_link

    class FakeRequest:
        headers = {"host": "studio.example:7860"}
        url = "http://studio.example:7860/gradio_api/queue/join"

    class Proxied:
        headers = {"host": "10.0.0.5", "x-forwarded-host": "judge.example.org", "x-forwarded-proto": "https"}
        url = "https://10.0.0.5/x"  # the scheme a trusted proxy's X-Forwarded-Proto gave the request (web/proxy.py)

    assert invite_link(FakeRequest(), "T0K") == "http://studio.example:7860/invite/T0K"  # type: ignore[arg-type]
    assert invite_link(Proxied(), "T0K") == "https://judge.example.org/invite/T0K"  # type: ignore[arg-type]
    assert invite_link(None, "T0K") == "/invite/T0K"


# ---------------------------------------------------------------------- sessions and gold


def test_admin_creates_and_edits_sessions_with_validation(studio: Studio, db_path: Path) -> None:
    admin = AdminDesk(studio)
    created = admin.save_session(
        "ada",
        SessionForm(name=" Expert pass ", dataset=DEMO, overlap=3.0, lease_seconds=600.0, gold_rate=0.1, blind=False),
    )
    assert (created.name, created.overlap, created.lease_seconds, created.blind, created.active) == (
        "Expert pass",
        3,
        600,
        False,
        True,
    )
    edited = admin.save_session(
        "ada", SessionForm(name="Expert pass", dataset=DEMO, overlap=5, guidelines="Be strict.", active=False)
    )
    assert edited.overlap == 5 and edited.guidelines == "Be strict." and not edited.active
    assert _sql(db_path, "SELECT overlap, active FROM annotation_sessions WHERE name = 'Expert pass'") == [(5, 0)]
    assert "Expert pass" in [s.name for s in admin.sessions("ada")]

    before = _counts(db_path)
    bad_forms = {
        "whole number": SessionForm(name="x", dataset=DEMO, overlap=1.5),
        "Overlap": SessionForm(name="x", dataset=DEMO, overlap=0),
        "gold rate": SessionForm(name="x", dataset=DEMO, gold_rate=0.9),
        "lease": SessionForm(name="x", dataset=DEMO, lease_seconds=-1),
        "no dataset 'nope'": SessionForm(name="x", dataset="nope"),
        "needs a name": SessionForm(name="  ", dataset=DEMO),
        "Choose the session's dataset": SessionForm(name="x", dataset=""),
    }
    for message, form in bad_forms.items():
        with pytest.raises(StoreError, match=message):
            admin.save_session("ada", form)
    assert _counts(db_path) == before
    assert admin.session("ada", "Expert pass").overlap == 5


def test_admin_marks_a_comparison_gold(studio: Studio, db_path: Path) -> None:
    admin = AdminDesk(studio)
    admin.set_gold("ada", 7.0, "2", "Response 1 is off-topic.")
    gold = admin.gold("ada", DEMO).set_index("comparison_id")
    assert gold.loc[7, "verdict"] == "2" and gold.loc[7, "explanation"] == "Response 1 is off-topic."
    before = _counts(db_path)
    with pytest.raises(StoreError, match="explanation"):
        admin.set_gold("ada", 8, "1", "")
    with pytest.raises(StoreError, match="1, 2 or tie"):
        admin.set_gold("ada", 8, None, "why")
    with pytest.raises(StoreError, match="no comparison with id 99999"):
        admin.set_gold("ada", 99999, "1", "why")
    assert _counts(db_path) == before


# ---------------------------------------------------------------------- case-study filters


def test_case_filters_return_the_right_comparisons(studio: Studio, tmp_path: Path) -> None:
    admin = AdminDesk(studio)
    admin.import_dataset("ada", ImportRequest(_write_csv(tmp_path / "cases.csv", _table(8)), "csv", mapping=MAPPING))
    browser = CaseBrowser(studio)
    ids = [i for _, i in browser.comparisons("rita", CaseFilter(dataset="cases")).choices]
    assert len(ids) == 8
    table = studio.store.comparison_table("cases").set_index("id")

    options = browser.options("rita", "cases")
    assert options.categories == ["math", "writing"]
    assert [label for label, _ in options.model_pairs] == ["alpha vs beta", "alpha vs gamma", "beta vs gamma"]

    def listed(**kw: Any) -> list[int]:
        return [i for _, i in browser.comparisons("rita", CaseFilter(dataset="cases", **kw)).choices]

    math = [i for i in ids if table.loc[i, "category"] == "math"]
    assert listed(category="math") == math and len(math) == 4
    # both presentation orders of alpha/beta are the same pair
    assert listed(model_pair=pair_key("beta", "alpha")) == math
    assert listed(model_pair=pair_key("alpha", "gamma"), category="math") == []

    run, other = _run(studio, "judge-a"), _run(studio, "judge-b")
    a, b, c, d = ids[:4]
    _verdict(studio, run, a, "1", p_1=0.9, p_2=0.05, p_tie=0.05)
    _verdict(studio, run, b, "2", p_1=0.4, p_2=0.45, p_tie=0.15)
    _verdict(studio, run, c, None)  # unparsed
    _verdict(studio, other, d, "tie")  # no probabilities
    _verdict(studio, other, a, None, swapped=True, status="truncated")
    studio.store.save_label(a, "alice", "2")  # against the judge
    studio.store.save_label(b, "alice", "2")  # agrees
    studio.store.save_label(d, "alice", "tie")

    assert listed(judge_disagrees=True) == [a]
    assert listed(unparsed=True) == [a, c]  # a: its swapped-order output was truncated
    assert listed(low_confidence=True, threshold=0.6) == [b]
    assert listed(low_confidence=True, threshold=0.95) == [a, b]
    assert listed(low_confidence=True, threshold=0.95, category="writing") == []
    assert listed(unparsed=True, judge_disagrees=True) == [a]
    with pytest.raises(StoreError, match="threshold"):
        listed(low_confidence=True, threshold=0)
    # the demo dataset is not mixed in
    assert set(listed()) == set(ids)

    detail = browser.detail("rita", a)
    assert [(o.judge, o.swapped, o.status) for o in detail.opinions] == [
        ("judge-a", False, "ok"),
        ("judge-b", True, "truncated"),
    ]
    assert detail.latest is not None and detail.latest.probabilities == pytest.approx(
        {"1": 0.9, "2": 0.05, "tie": 0.05}
    )


# ---------------------------------------------------------------------- page handlers (no server)

EVIL = "x`<img src=x>"


def _blocks(studio: Studio) -> gr.Blocks:
    """The whole UI, as the app builds it (handlers are called directly below, without a server)."""
    from ui import build_ui

    return build_ui(studio)


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _rendered(markdown: str) -> str:
    """The HTML a Markdown renderer makes of a page's Markdown (as the browser's would, before
    Gradio's sanitizer, which would still let ``<img src=x>`` through)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(markdown)


def _shows_as_text(markdown: str, text: str) -> bool:
    import html as html_lib
    import re

    rendered = _rendered(markdown)
    visible = html_lib.unescape(re.sub(r"<[^>]+>", "", rendered))
    return "<img" not in rendered and text.replace("`", "") in visible.replace("`", "").replace("ˋ", "")


def test_page_handlers_check_the_role_and_show_untrusted_text_safely(studio: Studio, db_path: Path) -> None:
    studio.store.save_label(1, "<img src=x onerror=alert(1)>", "1", comment="<script>alert(2)</script>")
    studio.store.save_label(1, "bob", "2")
    demo = _blocks(studio)
    names = {fn.api_name for fn in demo.fns.values()}
    for expected in (
        "show_comparison",
        "judge_comparison",
        "judge_custom",
        "case_filter",
        "review_queue",
        "review_item",
        "adjudicate",
        "admin_import",
        "admin_judge_run",
        "admin_export",
        "admin_add_account",
        "admin_invite",
        "admin_save_session",
        "admin_set_gold",
        "dashboard",
    ):
        assert expected in names

    queue = by_id(handler(demo, "review_queue")(DEMO, "any", True, _as("rita")))
    assert list(queue["review-queue"]["#"]) == [1] and "**1** comparison to review" in queue["review-count"]
    assert "<img src=x onerror=alert(1)>: 1" in queue["review-queue"].loc[0, "labels"]  # a Dataframe cell: plain text
    shown = by_id(handler(demo, "review_item")(1, _as("rita")))
    assert "<script>alert(2)</script>" in list(shown["review-labels"]["comment"])
    assert "Comparison **#1**" in shown["review-header"] and shown["review-id"] == 1

    with pytest.raises(gr.Error, match="needs the reviewer role"):
        handler(demo, "review_queue")(DEMO, "any", True, _as("ann"))
    with pytest.raises(gr.Error, match="needs the reviewer role"):
        handler(demo, "show_comparison")(1, _as("ann"))
    refused_invite = by_id(handler(demo, "admin_invite")("admin", "crowd", 72, _as("rita")))
    assert "needs the admin role" in refused_invite["admin-accounts-result"]
    assert refused_invite["admin-invite-link"] == ""
    refused = by_id(handler(demo, "adjudicate")(1, "1", "because", DEMO, "any", True, None))
    assert list(refused) == ["review-feedback"] and "not logged in" in refused["review-feedback"]
    missing = by_id(handler(demo, "adjudicate")(1, "1", "", DEMO, "any", True, _as("rita")))
    assert "Write a rationale" in missing["review-feedback"]
    assert _sql(db_path, "SELECT count(*) FROM adjudications") == [(0,)]

    saved = by_id(handler(demo, "adjudicate")(1, "2", "B is right.", DEMO, "any", True, _as("rita")))
    assert "Response 2 is better" in saved["review-adjudication"]
    assert "Saved the final label" in saved["review-feedback"] and saved["review-queue"].empty
    assert _sql(db_path, "SELECT verdict, rationale FROM adjudications") == [("2", "B is right.")]

    case = by_id(handler(demo, "show_comparison")(1, _as("rita")))
    assert "Comparison **#1**" in case["case-header"] and "No judge verdict stored" in case["judge-orders"]
    assert "Not judged yet" in case["judge-verdict"] and "Response 1 · `" in case["case-response-1-title"]
    listed = by_id(handler(demo, "case_filter")(DEMO, "(any)", "(any)", False, False, False, 0.6, None, _as("rita")))
    assert "match" in listed["case-filter-count"]

    exported = by_id(
        handler(demo, "admin_export")(DEMO, "labels", "csv", False, "majority", "all", [], 0, None, _as("ada"))
    )
    assert Path(exported["admin-export-file"]).is_file() and "Wrote **2** rows" in exported["admin-export-result"]
    invited = by_id(handler(demo, "admin_invite")("annotator", "crowd", 24, _as("ada")))
    assert "/invite/" in invited["admin-invite-link"]


MY_ENDPOINTS = (
    "show_comparison",
    "judge_comparison",
    "judge_custom",
    "case_filter",
    "review_queue",
    "review_item",
    "adjudicate",
    "admin_import",
    "admin_judge_run",
    "admin_export",
    "admin_accounts",
    "admin_add_account",
    "admin_account_role",
    "admin_set_password",
    "admin_invite",
    "admin_session",
    "admin_save_session",
    "admin_set_gold",
    "admin_checkup",
    "report_card",
    "dashboard",
)


def test_every_output_of_the_pages_endpoints_has_an_elem_id(studio: Studio) -> None:
    demo = _blocks(studio)
    for name in MY_ENDPOINTS:
        ids = event_output_ids(demo, name)
        outputs = [c for c in handler_outputs(demo, name) if not isinstance(c, (gr.State, gr.Timer))]
        assert outputs and all(c.elem_id for c in outputs), f"{name}: {ids}"


def handler_outputs(demo: gr.Blocks, api_name: str) -> list[Any]:
    return next(f.outputs for f in demo.fns.values() if f.api_name == api_name)


def test_judge_your_own_pair_writes_into_its_own_area(studio: Studio) -> None:
    """Issue 14 #6: the pasted pair's verdict must not land in the shown comparison's verdict area."""
    demo = _blocks(studio)
    custom = event_output_ids(demo, "judge_custom")
    shown = event_output_ids(demo, "show_comparison")
    assert custom == ["custom-raw", "custom-verdict", "custom-reason", "custom-reference"]
    assert not set(custom) & set(shown)
    assert {"judge-raw", "judge-verdict"} <= set(event_output_ids(demo, "judge_comparison"))


@pytest.mark.parametrize("typed", [99999, 2**70, -3, 2.5, None])
def test_a_mistyped_comparison_number_on_review_says_so_and_changes_nothing_else(studio: Studio, typed: Any) -> None:
    """Issue 14 #7: a note in the page (no error popup, no error state on the form's components)."""
    demo = _blocks(studio)
    out = by_id(handler(demo, "review_item")(typed, _as("rita")))
    assert list(out) == ["review-open-note"], "only the note changes: the form stays as it was"
    expected = {99999: "no comparison with id 99999", 2**70: "There is no comparison", -3: "There is no comparison"}
    expected |= {2.5: "not a comparison number", None: "Enter a comparison number"}
    assert expected[typed] in out["review-open-note"]
    assert "Comparison **#2**" in by_id(handler(demo, "review_item")(2, _as("rita")))["review-header"]


def test_user_supplied_names_are_shown_as_text(studio: Studio, tmp_path: Path, monkeypatch) -> None:
    """Issue 13 #6: a model, dataset, category, judge, session or account name with a backtick and
    ``<img src=x>`` shows as text wherever a page puts it into Markdown."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # the file below counts as uploaded
    rows = _table(2)
    for row in rows:
        row["model_a"], row["cat"] = f"model {EVIL}", f"cat {EVIL}"
    path = _write_csv(tmp_path / "evil.csv", rows)
    demo = _blocks(studio)
    imported = by_id(handler(demo, "admin_import")(path, "csv", f"data {EVIL}", "", MAPPING, "", "", "", _as("ada")))
    assert _shows_as_text(imported["admin-import-result"], f"data {EVIL}")
    cid = int(studio.store.comparison_table(f"data {EVIL}")["id"].iloc[0])
    run = _run(studio, f"judge {EVIL}")
    _verdict(studio, run, cid, "1", reason=f"because {EVIL}")
    studio.store.create_annotator(f"rev {EVIL}", role="reviewer", password=PASSWORD)
    studio.store.adjudicate(cid, f"rev {EVIL}", "1", f"why {EVIL}")
    review = by_id(handler(demo, "review_item")(cid, _as("rita")))
    case = by_id(handler(demo, "show_comparison")(cid, _as("rita")))
    for markdown, text in (
        (review["review-header"], f"data {EVIL}"),
        (review["review-header"], f"cat {EVIL}"),
        (review["review-response-1-title"], f"model {EVIL}"),
        (review["review-judge"], f"judge {EVIL}"),
        (review["review-adjudication"], f"rev {EVIL}"),
        (case["case-header"], f"data {EVIL}"),
        (case["judge-verdict"], f"judge {EVIL}"),
    ):
        assert _shows_as_text(markdown, text), (markdown, text)
    added = by_id(handler(demo, "admin_add_account")(f"acc {EVIL}", PASSWORD, "annotator", "crowd", _as("ada")))
    assert _shows_as_text(added["admin-accounts-result"], f"acc {EVIL}")
    session = (f"sess {EVIL}", f"data {EVIL}", 1, 900, 0.0, True, True, True, True, "", "pairwise", None, None)
    saved = by_id(handler(demo, "admin_save_session")(*session, _as("ada")))
    assert _shows_as_text(saved["admin-sessions-result"], f"sess {EVIL}")
    with pytest.raises(gr.Error) as refused:
        handler(demo, "admin_export")(
            f"nope {EVIL}", "labels", "csv", False, "majority", "all", [], 0, None, _as("ada")
        )
    assert "<img" not in str(refused.value) and "&lt;img src=x&gt;" in str(refused.value)


def _picker_choices(demo: gr.Blocks) -> dict[str | None, list[Any]]:
    """Run the pickers' page-load refresh as a newly opened page would (with the values the page was
    built with) and return each picker's choices by elem_id."""
    from ui.pickers import DatasetPickers

    refresh = next(f for f in demo.fns.values() if isinstance(getattr(f.fn, "__self__", None), DatasetPickers))
    current = [c.value for c in refresh.inputs]
    assert refresh.fn is not None and refresh.fn.__name__ == "opened"
    admin = gr.Request(username="ada")
    return {k: [value for _label, value in v.choices] for k, v in by_id(refresh.fn(admin, *current)).items()}


def test_a_dataset_imported_after_start_appears_in_every_picker(studio: Studio, tmp_path: Path) -> None:
    """Issue 13 #7: imported with the CLI (the store directly here) after the UI was built."""
    demo = _blocks(studio)
    before = _picker_choices(demo)
    assert set(before) == {
        "case-dataset",
        "dashboard-dataset",
        "review-dataset",
        "admin-judge-dataset",
        "admin-export-dataset",
        "admin-session-dataset",
        "admin-delete-dataset",
        "admin-runs-dataset",
    }
    assert all("later" not in choices for choices in before.values())
    AdminDesk(studio).import_dataset(
        "ada", ImportRequest(_write_csv(tmp_path / "later.csv", _table()), "csv", dataset="later", mapping=MAPPING)
    )
    after = _picker_choices(demo)
    assert all("later" in choices and DEMO in choices for choices in after.values())
    assert after["review-dataset"][0] == "(all datasets)"


@pytest.mark.model
def test_admin_judge_run_streams_a_visible_count(db_path: Path, quick_judge) -> None:
    """Issue 14 #4: loading, then "Judged 0 of 2" before the first batch ends, then the summary."""
    studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: quick_judge)
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    demo = _blocks(studio)
    steps = [by_id(step) for step in handler(demo, "admin_judge_run")(DEMO, 2, _as("ada"))]
    bars = [s["admin-judge-progress"] for s in steps if "admin-judge-progress" in s]
    assert "Loading the judge" in bars[0] and "<progress" in bars[0]
    assert "Judged 0 of 2 comparisons" in bars[1] and 'value="0" max="2"' in bars[1]
    assert "Judged 2 of 2 comparisons" in bars[-1]
    assert "**Done.** Judged 2 comparisons" in steps[-1]["admin-judge-result"]


def test_the_error_boundary_turns_typed_errors_into_messages_and_lets_bugs_through() -> None:
    from errors import Conflict, NotFound
    from judge_runtime import JudgeLoadError
    from ui.errors import guarded, noted

    @guarded
    def plain(exc: Exception) -> str:
        raise exc

    @guarded
    def stream(exc: Exception):  # a generator handler: the error ends the stream as a popup
        yield "first"
        raise exc

    with pytest.raises(gr.Error, match="There is no dataset 'x&lt;img src=x&gt;'"):
        plain(NotFound("There is no dataset 'x<img src=x>'."))
    with pytest.raises(gr.Error, match="The judge could not be loaded: no weights"):
        plain(JudgeLoadError("no weights"))
    steps = stream(Conflict("taken"))
    assert next(steps) == "first"
    with pytest.raises(gr.Error, match="taken"):
        next(steps)
    with pytest.raises(KeyError):  # a bug is not dressed up as a user message
        plain(KeyError("bug"))

    note = gr.Markdown(elem_id="note")

    @noted(note)
    def form(exc: Exception) -> dict:
        raise exc

    with pytest.warns(UserWarning, match="changed elsewhere"):
        assert by_id(form(Conflict("changed elsewhere <b>"))) == {"note": "⚠ changed elsewhere &lt;b&gt;"}


def test_a_judge_run_made_after_start_appears_in_the_dashboards_run_picker(studio: Studio) -> None:
    """Issue 13 #7 for runs: the picker is refilled on page load and when the Dashboard tab is opened."""
    from ui.dashboard import DashboardHandlers

    demo = _blocks(studio)
    runs = next(
        f.fn
        for f in demo.fns.values()
        if isinstance(getattr(f.fn, "__self__", None), DashboardHandlers) and f.fn.__name__ == "runs"
    )
    assert runs(DEMO, None, _as("rita")).choices == []
    run = _run(studio, "late-judge")
    _verdict(studio, run, 1, "1")
    picker = runs(DEMO, None, _as("rita"))
    assert [value for _label, value in picker.choices] == [run] and picker.value == run
    assert runs(DEMO, None, _as("ann")).choices == []  # annotators never see run (model) names


def test_the_dashboard_timer_sends_nothing_when_nothing_changed(studio: Studio) -> None:
    from ui.dashboard import DashboardHandlers

    demo = _blocks(studio)
    tick = next(  # the timer's handler: (dataset, run, labels from, last key, request)
        f.fn
        for f in demo.fns.values()
        if isinstance(getattr(f.fn, "__self__", None), DashboardHandlers) and f.fn.__name__ == "tick"
    )

    def figures(dataset: str, run: int | None, last: Any, request: gr.Request) -> Any:
        return tick(dataset, run, "all", last, request)

    first = figures(DEMO, None, None, _as("rita"))
    assert "**0** human labels" in by_id(first)["dashboard-summary"]
    (state,) = [c for c in first if isinstance(c, gr.State)]
    again = figures(DEMO, None, first[state], _as("rita"))
    # only the state, left as it is (Gradio reads an empty dict as a single value and fails)
    assert list(again) == [state] and isinstance(again[state], dict) and again[state].get("__type__") == "update"
    studio.store.save_label(1, "alice", "1")
    assert "**1** human label from" in by_id(figures(DEMO, None, first[state], _as("rita")))["dashboard-summary"]
    denied = by_id(figures(DEMO, None, None, _as("ann")))
    assert "for reviewers and admins" in denied["dashboard-summary"]


def test_a_dataset_without_comparisons_says_what_to_import_in_the_pickers(studio: Studio, shared_data: Path) -> None:
    """Issue 14 #10: MT-Bench questions (and references) alone make a dataset with no comparisons."""
    from orchestration import import_file

    import_file(studio.store, shared_data / "mt_bench" / "question.jsonl", "mtbench-questions")
    empty = [name for name, n in studio.store.dataset_sizes().items() if n == 0]
    assert empty, "importing questions alone makes a dataset without comparisons"
    demo = _blocks(studio)
    from ui.pickers import DatasetPickers

    refresh = next(f for f in demo.fns.values() if isinstance(getattr(f.fn, "__self__", None), DatasetPickers))
    assert refresh.fn is not None
    updates = by_id(refresh.fn(gr.Request(username="ada"), *[c.value for c in refresh.inputs]))
    labels = dict((value, label) for value, label in ((v, lab) for lab, v in updates["case-dataset"].choices))
    assert "no comparisons yet: import model answers" in labels[empty[0]]
    assert "no comparisons" not in labels[DEMO]
