"""s17 adminruns: the Admin page's and REST's doors to a dataset's judge runs (``judge-studio datasets runs|delete-run|
merge-runs``), admins only, with the CLI's messages; and the Admin page's "Export a dataset" filters (labels from,
leave annotators out, min labels, uncertain margin) through the same ``ExportPeople`` as ``judge-studio export``.
The sections' handlers are called directly (no browser); REST through the ASGI test client; real SQLite files."""

from __future__ import annotations

import copy
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio_ids import by_id, handler
from helpers import PASSWORD, api_app, closing, home_rows
from test_s17_runs import RUNS, _import, _rows, _split_home

from errors import StudioError
from orchestration import AdminDesk, Settings, Studio
from ui.admin_sections.exporting import export_section, wire_export
from ui.admin_sections.judge_runs import runs_section, wire_runs
from ui.pickers import DatasetPickers

LABELS = "SELECT count(*) FROM labels"
TRYOUT = (
    "Deleting judge run 2 (tryout, profile imported) from the dataset 'votes' deletes 4 judge verdicts. People's "
    "labels and ratings and the other judge runs stay. This cannot be undone; `judge-studio backup FILE` makes a copy "
    "first."
)


def _accounts(studio: Studio) -> Studio:
    studio.store.create_annotator("ada", role="admin", password=PASSWORD)
    studio.store.create_annotator("rev", role="reviewer", password=PASSWORD)
    studio.store.create_annotator("ann", password=PASSWORD)
    return studio


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """'votes': alice's 60 labels, bob's 10, gpt-4's 60 verdicts (run 1), a try-out's 4 (run 2)."""
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "labels.jsonl", _rows(range(60), person="alice"), capsys)
    _import(folder, "bob.jsonl", _rows(range(10), person="bob"), capsys)
    _import(folder, "gpt4.jsonl", _rows(range(60)), capsys, "--judge", "gpt-4")
    _import(folder, "try.jsonl", _rows(range(4)), capsys, "--judge", "tryout")
    return folder


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(_accounts(Studio.open(Settings(home=home))))


def _page(studio: Studio) -> tuple[gr.Blocks, Any, Any]:
    with gr.Blocks() as demo:
        pickers = DatasetPickers(studio)
        runs, exporting = runs_section(pickers), export_section(pickers)
        wire_runs(runs, studio)
        wire_export(exporting, AdminDesk(studio))
    return demo, runs, exporting


def _as(name: str | None) -> gr.Request:
    return gr.Request(username=name)


def _bearer(studio: Studio, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {studio.access.api_token(name, days=1)}"}


# ---------------------------------------------------------------------- Admin page: judge runs
def test_the_admin_lists_the_runs_and_deletes_one_after_typing_its_id(studio: Studio, home: Path) -> None:
    demo, _runs, _exporting = _page(studio)
    shown = by_id(handler(demo, "admin_runs")("votes", _as("ada")))
    assert shown["admin-runs-said"] == "Judge runs on the dataset 'votes', oldest first\\."
    table = shown["admin-runs-table"]
    assert [r[:6] for r in table.values.tolist()] == [
        [1, "gpt-4", "imported", 60, 0, 0],
        [2, "tryout", "imported", 4, 0, 0],
    ]
    assert list(table["from"]) == ["import", "import"]

    said = by_id(handler(demo, "admin_run_contents")("votes", 2, _as("ada")))["admin-runs-result"]
    assert said.replace("\\", "") == TRYOUT + " Type the run id to confirm."

    delete = handler(demo, "admin_delete_run")
    wrong = by_id(delete("votes", 2, "1", _as("ada")))
    assert wrong == {"admin-runs-result": "⚠ Type the run id \\(2\\) exactly to confirm; nothing was deleted\\."}
    assert by_id(delete("votes", 2, "", _as("ada")))["admin-runs-result"].startswith("⚠ Type the run id")
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]

    done = by_id(delete("votes", 2, " 2 ", _as("ada")))
    assert done["admin-runs-result"] == (
        "**Deleted.** Deleted judge run 2 from the dataset 'votes': 4 judge verdicts\\."
    )
    assert done["admin-runs-typed"] == "" and done["admin-runs-table"]["run"].tolist() == [1]
    assert home_rows(home, RUNS) == [(1, 60)] and home_rows(home, LABELS) == [(70,)]

    gone = by_id(delete("votes", 2, "2", _as("ada")))["admin-runs-result"]
    assert gone.startswith("⚠ ") and "run" in gone and home_rows(home, RUNS) == [(1, 60)]
    unknown = by_id(handler(demo, "admin_runs")("nope", _as("ada")))["admin-runs-said"]
    assert unknown == "⚠ There is no dataset named 'nope' \\(datasets: votes\\)\\."
    nothing = by_id(handler(demo, "admin_runs")(None, _as("ada")))
    assert nothing == {"admin-runs-said": "⚠ Choose a dataset\\."}
    no_id = by_id(delete("votes", None, "", _as("ada")))["admin-runs-result"]
    assert no_id == "⚠ Give the run to delete: an id from the table \\(Show judge runs\\)\\."


def test_the_admin_merges_two_imported_runs_of_one_judge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _split_home(tmp_path, capsys, monkeypatch)  # gpt-4 split in runs 1 (40) and 2 (20)
    _import(folder, "claude.jsonl", _rows(range(4)), capsys, "--judge", "claude")  # run 3
    studio = _accounts(Studio.open(Settings(home=folder)))
    try:
        demo, _runs, _exporting = _page(studio)
        merge = handler(demo, "admin_merge_runs")
        refused = by_id(merge("votes", 1, 3, _as("ada")))
        assert set(refused) == {"admin-runs-result"} and "Nothing was merged" in refused["admin-runs-result"]
        merged = by_id(merge("votes", 1, 2, _as("ada")))
        assert merged["admin-runs-result"] == "merged run 2 into run 1 \\(now 60 verdicts\\)"
        assert merged["admin-runs-table"]["run"].tolist() == [1, 3]
        assert home_rows(folder, RUNS) == [(1, 60), (3, 4)]
    finally:
        studio.store.close()


@pytest.mark.parametrize("who", ["ann", "rev", None])
def test_the_runs_handlers_refuse_anyone_but_an_admin(studio: Studio, home: Path, who: str | None) -> None:
    demo, _runs, _exporting = _page(studio)
    for api_name, args, target in (
        ("admin_runs", ("votes",), "admin-runs-said"),
        ("admin_run_contents", ("votes", 2), "admin-runs-result"),
        ("admin_delete_run", ("votes", 2, "2"), "admin-runs-result"),
        ("admin_merge_runs", ("votes", 1, 2), "admin-runs-result"),
    ):
        refused = by_id(handler(demo, api_name)(*args, _as(who)))
        assert set(refused) == {target}, api_name
        said = refused[target]
        assert said.startswith("⚠ ") and ("needs the admin role" in said or "not logged in" in said), said
        assert "tryout" not in said and "gpt" not in said
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]


# ---------------------------------------------------------------------- REST: judge runs
def test_rest_lists_deletes_and_merges_runs(studio: Studio, home: Path) -> None:
    admin = _bearer(studio, "ada")
    with TestClient(api_app(studio)) as client:
        got = client.get("/api/v1/datasets/votes/runs", headers=admin)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["dataset"] == "votes"
        assert [(r["run_id"], r["judge"], r["verdicts"], r["imported"]) for r in body["runs"]] == [
            (1, "gpt-4", 60, True),
            (2, "tryout", 4, True),
        ]
        assert body["runs"][0]["created_at"].endswith("Z") and body["runs"][0]["elsewhere"] == 0

        deleted = client.delete("/api/v1/datasets/votes/runs/2", headers=admin)
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() | {"created_at": None} == {
            "dataset": "votes",
            "run_id": 2,
            "judge": "tryout",
            "profile": "imported",
            "verdicts": 4,
            "ratings": 0,
            "elsewhere": 0,
            "created_at": None,
            "imported": True,
            "sources": ["try.jsonl"],
            "run_deleted": True,
            "message": "Deleted judge run 2 from the dataset 'votes': 4 judge verdicts.",
        }
        assert home_rows(home, RUNS) == [(1, 60)] and home_rows(home, LABELS) == [(70,)]
        again = client.delete("/api/v1/datasets/votes/runs/2", headers=admin)
        assert again.status_code == 404 and "2" in again.json()["detail"]

        unknown = client.get("/api/v1/datasets/nope/runs", headers=admin)
        assert unknown.status_code == 404
        assert unknown.json()["detail"] == "There is no dataset named 'nope' (datasets: votes)."
        gone = client.delete("/api/v1/datasets/nope/runs/1", headers=admin)
        assert gone.status_code == 404 and "(datasets: votes)" in gone.json()["detail"]

        itself = client.post("/api/v1/datasets/votes/runs/1/merge", headers=admin, json={"from_run": 1})
        assert itself.status_code in (400, 409)
        assert itself.json()["detail"] == "Run 1 cannot be merged into itself; name two runs. Nothing was merged."
        typo = client.post("/api/v1/datasets/votes/runs/1/merge", headers=admin, json={"from": 2})
        assert typo.status_code == 422
        paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert home_rows(home, RUNS) == [(1, 60)]
    assert {"401", "403", "404"} <= set(paths["/api/v1/datasets/{name}/runs"]["get"]["responses"])
    assert {"401", "403", "404"} <= set(paths["/api/v1/datasets/{name}/runs/{run_id}"]["delete"]["responses"])
    assert {"401", "403", "404", "409"} <= set(paths["/api/v1/datasets/{name}/runs/{into}/merge"]["post"]["responses"])


def test_rest_merge_puts_a_split_judge_back_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _split_home(tmp_path, capsys, monkeypatch)
    studio = _accounts(Studio.open(Settings(home=folder)))
    try:
        with TestClient(api_app(studio)) as client:
            merged = client.post(
                "/api/v1/datasets/votes/runs/1/merge", headers=_bearer(studio, "ada"), json={"from_run": 2}
            )
        assert merged.status_code == 200, merged.text
        assert merged.json() == {
            "dataset": "votes",
            "into": 1,
            "from_run": 2,
            "moved_verdicts": 20,
            "moved_ratings": 0,
            "verdicts": 60,
            "ratings": 0,
            "from_deleted": True,
            "message": "merged run 2 into run 1 (now 60 verdicts)",
        }
        assert home_rows(folder, RUNS) == [(1, 60)]
    finally:
        studio.store.close()


@pytest.mark.parametrize("who", ["ann", "rev"])
def test_rest_runs_are_admin_only(studio: Studio, home: Path, who: str) -> None:
    lower = _bearer(studio, who)
    with TestClient(api_app(studio)) as client:
        for method, path, body in (
            ("GET", "/api/v1/datasets/votes/runs", None),
            ("DELETE", "/api/v1/datasets/votes/runs/2", None),
            ("POST", "/api/v1/datasets/votes/runs/1/merge", {"from_run": 2}),
        ):
            refused = client.request(method, path, headers=lower, json=body)
            assert refused.status_code == 403, (method, path, refused.text)
            assert "tryout" not in refused.text
            nobody = client.request(method, path, json=body)
            assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]


def test_the_cli_says_the_same_words(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    main(["datasets", "delete-run", "votes", "2", "--yes", "--home", str(home)])
    out = capsys.readouterr().out.splitlines()
    assert out == [TRYOUT, "Deleted judge run 2 from the dataset 'votes': 4 judge verdicts."]


# ---------------------------------------------------------------------- Admin page: export filters
def _exported(demo: gr.Blocks, kind: str, *filters: Any, who: str = "ada") -> tuple[list[dict[str, str]], str]:
    shown = by_id(handler(demo, "admin_export")("votes", kind, "csv", False, "majority", *filters, _as(who)))
    with open(shown["admin-export-file"], encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle)), shown["admin-export-result"]


def test_the_export_filters_go_through_export_people(studio: Studio) -> None:
    demo, _runs, _exporting = _page(studio)
    rows, said = _exported(demo, "labels", "all", [], 0, None)  # left alone: every label, as before
    assert len(rows) == 70 and said.startswith("Wrote **70** rows to ")
    rows, _said = _exported(demo, "labels", None, None, None, None)  # empty boxes are the defaults too
    assert len(rows) == 70
    rows, said = _exported(demo, "labels", "all", ["alice"], 0, None)
    assert {r["rater"] for r in rows} == {"bob"} and said.startswith("Wrote **10** rows")
    wide, _said = _exported(demo, "wide", "imported", [], 2, None)
    assert len(wide) == 10  # only the comparisons both alice and bob labelled
    with pytest.raises(gr.Error, match="no session 'Nope' to take labels from"):
        _exported(demo, "labels", "Nope", [], 0, None)
    with pytest.raises(gr.Error, match=r"uncertain margin must lie in \[0, 1\)"):
        _exported(demo, "dpo", "all", [], 0, 1.5)


def test_the_export_filter_choices_are_for_admins_only(studio: Studio) -> None:
    studio.store.save_session("Round 1", "votes")
    demo, _runs, _exporting = _page(studio)
    choices = by_id(handler(demo, "admin_export_filters")("votes", _as("ada")))
    assert [v for _l, v in choices["admin-export-labels-from"]["choices"]] == ["all", "imported", "Round 1"]
    assert {"alice", "bob", "ada"} <= {v for _l, v in choices["admin-export-exclude"]["choices"]}
    for who in ("ann", "rev", None):
        lower = by_id(handler(demo, "admin_export_filters")("votes", _as(who)))
        assert lower["admin-export-exclude"]["choices"] == [] and "Round 1" not in str(lower)
        with pytest.raises(gr.Error, match="admin role|not logged in"):
            _exported(demo, "labels", "all", [], 0, None, who=who or "")


# ---------------------------------------------------------------------- the whole page: wiring and role markup
def test_the_admin_page_has_the_sections_and_a_lower_role_gets_none_of_their_words(studio: Studio) -> None:
    from ui import build_ui
    from web.role_markup import strip_config

    demo = build_ui(studio)
    names = {f.api_name for f in demo.fns.values()}
    assert {"admin_runs", "admin_run_contents", "admin_delete_run", "admin_merge_runs", "admin_export"} <= names
    words = (
        "Show judge runs",
        "Type the run id to confirm",
        "Merge into run (keeps the verdicts)",
        "leave these annotators' labels out",
        "only comparisons with at least this many labels",
    )
    config = demo.config
    for word in words:
        assert word in str(config), word
    lowered = copy.deepcopy(config)
    strip_config(lowered, ["tab-admin"])
    assert not [word for word in words if word in str(lowered)]
    with pytest.raises(StudioError):
        studio.datasets.runs("ann", "votes")
