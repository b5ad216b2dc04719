"""Deleting a dataset through each door (s12 badinput finding 1): ``judge-studio datasets list|delete``, the REST
``DELETE /api/v1/datasets/{name}`` (admin only), and demo seeding that does not bring a deleted demo back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from annotation_store import DEMO_DATASET_NAME, open_store
from cli import main
from orchestration import seed_demo

DEMO = DEMO_DATASET_NAME


def _count(path: Path, query: str) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(query).fetchone()[0])


def _run(capsys: pytest.CaptureFixture[str], db_path: Path, *argv: str) -> str:
    main(["datasets", *argv, "--home", str(db_path.parent)])
    return capsys.readouterr().out


def test_cli_lists_then_deletes_after_showing_the_counts(capsys, db_path: Path) -> None:
    listed = _run(capsys, db_path, "list")
    assert listed.splitlines()[0].split() == ["name", "comparisons", "responses", "labels", "ratings", "judge", "runs"]
    assert listed.splitlines()[1].split()[:2] == [DEMO, str(_count(db_path, "SELECT count(*) FROM comparisons"))]
    accounts = _count(db_path, "SELECT count(*) FROM annotators")
    said = _run(capsys, db_path, "delete", DEMO, "--yes")
    assert f"Deleting the dataset '{DEMO}' deletes 126 comparisons" in said
    assert f"Deleted the dataset '{DEMO}'" in said
    assert _count(db_path, "SELECT count(*) FROM datasets") == 0
    assert _count(db_path, "SELECT count(*) FROM comparisons") == 0
    assert _count(db_path, "SELECT count(*) FROM annotators") == accounts
    assert _run(capsys, db_path, "list").strip() == "No datasets."


def test_cli_asks_for_the_name_and_refuses_without_a_terminal_or_with_an_open_session(
    capsys, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit, match="not a terminal; add --yes"):
        _run(capsys, db_path, "delete", DEMO)  # pytest's stdin is no terminal
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "judge-studio-dem")
    with pytest.raises(SystemExit, match="not confirmed; nothing was deleted"):
        _run(capsys, db_path, "delete", DEMO)
    assert _count(db_path, "SELECT count(*) FROM datasets") == 1
    store = open_store(db_path)
    store.save_session("open one", DEMO)
    store.close()
    with pytest.raises(SystemExit, match="open sessions \\(open one\\).*--force"):
        _run(capsys, db_path, "delete", DEMO, "--yes")
    assert _count(db_path, "SELECT count(*) FROM datasets") == 1
    monkeypatch.setattr("builtins.input", lambda _prompt: DEMO)
    assert "Deleted the dataset" in _run(capsys, db_path, "delete", DEMO, "--force")
    assert _count(db_path, "SELECT count(*) FROM annotation_sessions") == 0
    with pytest.raises(SystemExit, match="There is no dataset named 'nope'"):
        _run(capsys, db_path, "delete", "nope", "--yes")


def test_rest_delete_is_admin_only_404_for_unknown_and_returns_the_counts(live_app, db_path: Path) -> None:
    def client(name: str) -> httpx.Client:
        token = live_app.studio.access.api_token(name)
        return httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)

    for name in ("alice", "rita"):
        with client(name) as other:
            refused = other.delete(f"/datasets/{DEMO}")
            assert refused.status_code == 403, refused.text
    assert _count(db_path, "SELECT count(*) FROM datasets") == 1
    with client("admin") as admin:
        assert admin.delete("/datasets/nope").status_code == 404
        busy = admin.delete(f"/datasets/{DEMO}")  # the demo sessions are open
        assert busy.status_code == 409 and "open sessions (Demo grading session, Demo session)" in busy.text
        assert _count(db_path, "SELECT count(*) FROM datasets") == 1
        done = admin.delete(f"/datasets/{DEMO}", params={"force": "true"})
        assert done.status_code == 200, done.text
        assert done.json()["dataset"] == DEMO and done.json()["comparisons"] == 126
        assert admin.get("/datasets").json() == {"datasets": []}
        assert admin.delete(f"/datasets/{DEMO}").status_code == 404
    assert _count(db_path, "SELECT count(*) FROM comparisons") == 0


def test_a_deleted_demo_dataset_is_not_seeded_again_unless_the_database_is_empty(db_path: Path) -> None:
    store = open_store(db_path)
    other = {
        "name": "mine",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [{"id": "p1", "instruction": "hi", "responses": {"a": "x", "b": "y"}}],
    }
    store.seed_dataset(other)
    store.delete_dataset(DEMO, force=True)
    seed_demo(store)  # the next start
    assert store.dataset_names() == ["mine"]
    store.delete_dataset("mine")
    seed_demo(store)  # an empty database gets the demo again
    assert store.dataset_names() == [DEMO]
    store.close()
