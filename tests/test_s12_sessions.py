"""A session's unfinished items, one by one (session 12, task "sessions"): the Admin page's sessions section
lists the picked session's items that still lack answers (answers so far of those needed, skips, who holds a
live lease now and since when), read through ``AdminDesk.unfinished``; the REST API gives the same to admins
(``GET /api/v1/sessions/{name}/unfinished``) and 403 to annotators. Real SQLite files and the real app."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_ids import by_id, handler
from test_store_postgres import any_store, location, pg_server, pg_template, pg_url  # noqa: F401 (fixtures)

from orchestration import Settings, Studio


def _dataset(studio: Studio, prompts: int) -> list[int]:
    """``prompts`` comparisons (one per prompt, two responses each); returns the comparison ids."""
    data = {
        "name": "four",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {
                "id": f"q{i}",
                "instruction": f"Say hi {i} " + "x" * 100,
                "responses": {"m-a": f"hi {i}", "m-b": f"yo {i}"},
            }
            for i in range(prompts)
        ],
    }
    assert studio.store.seed_dataset(data, pairs_per_prompt=1)
    return sorted(int(i) for i in studio.store.comparison_table("four")["id"])


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("lead", role="admin", kind="expert", password="lead-pass-1")
    for name in ("alice", "bob", "carol"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


def _answer(studio: Studio, who: str, choice: str) -> int:
    item = studio.desk.next_item(who, "pairs")
    assert item is not None
    studio.desk.submit(who, "pairs", item.id, choice, swapped=item.swapped)
    return int(item.id)


def _sql(path: Path, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


UNFINISHED_SQL = (
    "SELECT c.id FROM comparisons c LEFT JOIN labels l ON l.comparison_id = c.id AND NOT l.skipped "
    "AND l.session_id = (SELECT id FROM annotation_sessions WHERE name = 'pairs') "
    "WHERE c.dataset_id = (SELECT id FROM datasets WHERE name = 'four') GROUP BY c.id HAVING COUNT(l.id) < 2"
)


def test_the_admin_page_lists_exactly_the_unfinished_items(studio: Studio, db_path: Path) -> None:
    """2 comparisons, 2 answers each: alice answers both, bob answers one and skips the other, carol is
    handed the skipped one (the only item still short of answers)."""
    from ui import build_ui

    ids = _dataset(studio, prompts=2)
    studio.store.save_session("pairs", "four", overlap=2, randomize_order=False)
    demo, lead = build_ui(studio), gr.Request(username="lead")
    list_unfinished = handler(demo, "admin_session_unfinished")
    fresh = by_id(list_unfinished("pairs", lead))
    assert [int(r[0]) for r in fresh["admin-session-unfinished"]["value"].values.tolist()] == ids
    assert fresh["admin-session-unfinished-note"] == "2 comparisons of session pairs still need answers (2 each)."
    assert {_answer(studio, "alice", "left") for _ in ids} == set(ids)
    finished = _answer(studio, "bob", "left")
    skipped = _answer(studio, "bob", "skip")
    leased = studio.desk.next_item("carol", "pairs")
    assert leased is not None and leased.id == skipped
    shown = by_id(list_unfinished("pairs", lead))
    table = shown["admin-session-unfinished"]["value"]
    assert list(table.columns) == [
        "item #",
        "prompt",
        "instruction (start)",
        "answers",
        "skips",
        "leased to (since, UTC)",
    ]
    [row] = table.values.tolist()
    assert [int(i) for (i,) in _sql(db_path, UNFINISHED_SQL)] == [skipped] == [int(row[0])]
    assert finished != skipped and row[3:5] == ["1 of 2", 1]  # alice's answer; bob's skip
    assert row[1] == f"q{ids.index(skipped)}"
    assert row[2].startswith("Say hi ") and row[2].endswith("…") and len(row[2]) == 81
    [(since,)] = _sql(
        db_path, "SELECT leased_at FROM assignments WHERE comparison_id = ? AND completed_at IS NULL", skipped
    )
    assert row[5] == f"carol since {since[:16]}"
    assert shown["admin-session-unfinished-note"] == "1 comparison of session pairs still needs answers (2 each)."
    assert shown["admin-session-unfinished"]["visible"] is True


def test_a_grading_session_lists_its_unfinished_responses(studio: Studio) -> None:
    from ui import build_ui

    _dataset(studio, prompts=1)  # two responses
    studio.store.save_session("grades", "four", overlap=1, kind="single")
    first = studio.grading.next_item("alice", "grades")
    studio.grading.submit("alice", "grades", first.id, 7)
    demo, lead = build_ui(studio), gr.Request(username="lead")
    shown = by_id(handler(demo, "admin_session_unfinished")("grades", lead))
    [row] = shown["admin-session-unfinished"]["value"].values.tolist()
    assert row[0] != first.id and row[1] == "q0" and row[3:6] == ["0 of 1", 0, "–"]
    assert shown["admin-session-unfinished-note"] == "1 response of session grades still needs answers (1 each)."


def test_no_session_or_an_unknown_one_is_said_in_the_note(studio: Studio) -> None:
    from ui import build_ui

    demo, lead = build_ui(studio), gr.Request(username="lead")
    list_unfinished = handler(demo, "admin_session_unfinished")
    assert by_id(list_unfinished(None, lead)) == {"admin-session-unfinished-note": "⚠ Choose a session\\."}
    unknown = by_id(list_unfinished("nope", lead))["admin-session-unfinished-note"]
    assert unknown.startswith("⚠ ") and "nope" in unknown


def test_a_finished_session_says_nothing_is_unfinished(studio: Studio) -> None:
    from orchestration import AdminDesk
    from ui.admin_sections.sessions import unfinished_note

    [only] = _dataset(studio, prompts=1)
    studio.store.save_session("pairs", "four", overlap=1)
    assert _answer(studio, "alice", "left") == only
    found = AdminDesk(studio).unfinished("lead", "pairs")
    assert found.total == 0 and found.items == ()
    assert (
        unfinished_note(found) == "Every comparison of session pairs has its answers (1 each): nothing is unfinished."
    )


def test_the_list_is_cut_but_the_count_is_of_all(studio: Studio) -> None:
    from orchestration import AdminDesk
    from ui.admin_sections.sessions import unfinished_note

    ids = _dataset(studio, prompts=4)
    studio.store.save_session("pairs", "four", overlap=1)
    found = AdminDesk(studio).unfinished("lead", "pairs", limit=2)
    assert found.total == 4 and [i.item_id for i in found.items] == ids[:2]
    assert unfinished_note(found).endswith("; the first 2 are listed.")


def test_the_store_lists_the_same_on_both_backends(any_store: Any) -> None:  # noqa: F811 (the fixture)
    data = {
        "name": "two",
        "models": [{"name": "m-a"}, {"name": "m-b"}],
        "prompts": [
            {"id": f"q{i}", "instruction": f"Hi {i}", "responses": {"m-a": "a", "m-b": "b"}} for i in (0, 1, 2)
        ],
    }
    assert any_store.seed_dataset(data, pairs_per_prompt=1)
    for name in ("alice", "bob"):
        any_store.create_annotator(name, password=f"{name}-pass-1")
    any_store.save_session("pairs", "two", overlap=1)
    first = any_store.lease("pairwise", "alice", "pairs")
    any_store.submit("pairwise", "alice", "pairs", first.item.id, swapped=first.swapped, verdict="1")
    skipped = any_store.lease("pairwise", "alice", "pairs")
    any_store.submit("pairwise", "alice", "pairs", skipped.item.id, swapped=skipped.swapped, verdict=None, skipped=True)
    held = any_store.lease("pairwise", "bob", "pairs")
    found = any_store.session_unfinished("pairs")
    every = {int(i) for i in any_store.comparison_table("two")["id"]}
    assert found.total == 2 and [i.item_id for i in found.items] == sorted(every - {first.item.id})
    by_item = {i.item_id: i for i in found.items}
    assert by_item[skipped.item.id].skips == 1
    assert [h.name for h in by_item[held.item.id].leased_to] == ["bob"]
    assert all(i.answers == 0 and i.needed == 1 and i.instruction.startswith("Hi ") for i in found.items)


# ---------------------------------------------------------------------- REST
def _client(live_app: Any, name: str) -> httpx.Client:
    token = live_app.studio.access.api_token(name)
    return httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_rest_admins_read_the_unfinished_items_annotators_get_403(live_app: Any) -> None:
    studio = live_app.studio
    ids = _dataset(studio, prompts=2)
    studio.store.save_session("pairs", "four", overlap=1)
    held = studio.desk.next_item("alice", "pairs")
    assert held is not None
    with _client(live_app, "admin") as admin:
        got = admin.get("/sessions/pairs/unfinished")
        assert got.status_code == 200, got.text
        body = got.json()
        assert (body["session"], body["kind"], body["overlap"], body["total"]) == ("pairs", "pairwise", 1, 2)
        assert [i["item_id"] for i in body["items"]] == ids
        mine = next(i for i in body["items"] if i["item_id"] == held.id)
        assert [h["name"] for h in mine["leased_to"]] == ["alice"] and mine["leased_to"][0]["since"].endswith("Z")
        assert mine["answers"] == 0 and mine["needed"] == 1 and mine["skips"] == 0 and mine["prompt_key"]
        assert admin.get("/sessions/pairs/unfinished", params={"limit": 1}).json()["total"] == 2
        assert admin.get("/sessions/nope/unfinished").status_code == 404
    with _client(live_app, "alice") as alice:
        refused = alice.get("/sessions/pairs/unfinished")
        assert refused.status_code == 403 and "items" not in refused.text
        assert alice.get("/sessions/nope/unfinished").status_code == 403  # learns nothing of other names


# ---------------------------------------------------------------------- rate's bar alone on screen
@pytest.mark.model
def test_rate_draws_no_loading_weights_bar_under_its_own(tmp_path: Path) -> None:
    """transformers' "Loading weights" bar printed under `rate`'s "Rating 0/1" bar while the judge loaded."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "JUDGE_STUDIO_HOME": str(tmp_path), "OMP_NUM_THREADS": "1"}
    args = ["rate", "--limit", "1", "--max-new-tokens", "8", "--no-check"]
    result = subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=600, cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert "Rated 1 response (" in result.stdout and "Rating" in result.stderr
    assert "Loading weights" not in result.stderr


def test_the_library_bars_are_hidden_only_inside_the_cli_bar() -> None:
    """Python callers keep transformers' default; the command line's bar hides them while it is shown."""
    from cli.commands import progress_bar
    from judge_runtime import loading

    assert loading._BARS_HIDDEN == [0]
    with progress_bar("rating", "Rating", 1):
        assert loading._BARS_HIDDEN == [1]
    assert loading._BARS_HIDDEN == [0]
