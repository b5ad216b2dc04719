"""Session 14 review of the day's changes (a reviewer's seven findings), one test per finding fixed.

1. A REST token's last-use stamp never waits for another writer: it is skipped while the database is busy.
2. A failed judge run is not deleted while another judging call of the process uses the run.
3. Behind a trusted proxy without ``public_url``, an ``X-Forwarded-Host`` other than the Host is dropped.
4. ``immutable=1`` only on a read-only mount; a file another user may be writing is read with ``mode=ro``.
5. An expired API token sending a large body is told its token expired (401), not the anonymous 413.
6. REST import reports the accounts it created with the file's kind (``annotators_kinded``).
7. A streamed chat chunk without ``delta`` (only ``finish_reason``) is an empty piece, not "not OpenAI".
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing, seeded_home
from sqlalchemy import text
from test_s14_remotefix import FakeServer, _judge

from annotation_store import DEMO_DATASET_NAME
from judge_runtime import RemoteJudgeError
from orchestration import Settings, Studio
from orchestration.service import RUN_NOT_KEPT


@pytest.fixture
def studio(seeded_db_template: Path, tmp_path: Path) -> Iterator[Studio]:
    home = seeded_home(seeded_db_template, tmp_path)
    yield from closing(accounts_studio(home, (("alice", "annotator"), ("ada", "admin"))))


def _sql(studio: Studio, query: str) -> list[Any]:
    with studio.store.engine.begin() as connection:
        result = connection.execute(text(query))
        return list(result.all()) if result.returns_rows else []


def _db_file(studio: Studio) -> str:
    return str(studio.store.engine.url.database)


# ---------------------------------------------------------------------- 1: the last-use stamp never waits
def test_a_rest_request_does_not_wait_for_a_writer_to_stamp_its_token(studio: Studio) -> None:
    token = studio.access.api_token("alice")
    held, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:  # an import, a judge batch: another connection writing
        other = sqlite3.connect(_db_file(studio), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    writer = threading.Thread(target=hold_the_write_lock)
    writer.start()
    try:
        assert held.wait(5)
        started = time.monotonic()
        caller = studio.access.token_caller(token)
        took = time.monotonic() - started
    finally:
        release.set()
        writer.join()
    assert caller is not None and caller.user.name == "alice"
    assert took < 1.0  # was 30 s (SQLite's busy timeout) before the request went on
    assert _sql(studio, "SELECT last_used_at FROM api_tokens") == [(None,)]  # skipped: a later request stamps it
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=5)
    assert studio.access.token_caller(token, clock=lambda: later) is not None
    assert studio.access.my_tokens("alice")[0].last_used_at == later
    with studio.store.engine.connect() as connection:  # the pooled connection waits for writers as before
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


# ---------------------------------------------------------------------- 2: a shared run is not deleted
def test_a_failed_judge_run_keeps_a_run_another_call_is_judging_into(db_path: Path) -> None:
    server = FakeServer("500")  # every judgment fails: the run holds no verdict
    try:
        judge = _judge(server)
        studio = Studio.open(Settings(home=db_path.parent), judge_loader=lambda _spec: judge)
        failing = judge.judge_many
        other: list[int] = []

        def judge_many(*args: Any, **kwargs: Any) -> Any:
            # meanwhile another call (the UI's case study, a second dataset) finds the run this call made
            ensure = partial(studio.store.ensure_judge_run, judge.fingerprint_key, judge.fingerprint)
            other.append(studio.activity.claim_run(ensure))
            return failing(*args, **kwargs)

        judge.judge_many = judge_many  # type: ignore[method-assign]
        with pytest.raises(RemoteJudgeError) as failed:
            studio.judge_dataset(DEMO_DATASET_NAME, limit=2)
        assert RUN_NOT_KEPT not in str(failed.value)
        assert studio.store.judge_run_id(judge.fingerprint_key) == other[0]  # still there for the other call
        studio.activity.release_run(other[0])

        judge.judge_many = failing  # type: ignore[method-assign]
        with pytest.raises(RemoteJudgeError) as again:  # a run this call did not make is kept
            studio.judge_dataset(DEMO_DATASET_NAME, limit=2)
        assert RUN_NOT_KEPT not in str(again.value) and studio.store.judge_run_id(judge.fingerprint_key) == other[0]
        studio.store.close()
    finally:
        server.close()


# ---------------------------------------------------------------------- 5: an expired token's large body
def test_an_expired_token_sending_a_large_body_is_told_it_expired(studio: Studio) -> None:
    token = studio.access.api_token("ada", days=1)
    _sql(studio, "UPDATE api_tokens SET expires_at = '2026-03-01 12:00:00'")
    body = b"x" * (200 * 1024)
    with TestClient(api_app(studio)) as client:
        answer = client.post(
            "/api/v1/datasets/import",
            content=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
        )
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["detail"] == (
        "This API token expired on 2026-03-01 12:00 UTC; create a new one with POST /api/v1/tokens."
    )


# ---------------------------------------------------------------------- 3: X-Forwarded-Host without public_url
def test_a_trusted_proxy_without_public_url_passes_on_only_the_requests_own_host() -> None:
    from web.proxy import TrustedProxy

    seen: list[dict[bytes, bytes]] = []

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen.append(dict(scope["headers"]))

    proxy = TrustedProxy(app, trusted="127.0.0.1", public_origin=None)

    def forwarded(host: bytes, claimed: bytes) -> bytes | None:
        scope = {
            "type": "http",
            "client": ("127.0.0.1", 4321),
            "scheme": "http",
            "headers": [(b"host", host), (b"x-forwarded-host", claimed), (b"x-forwarded-proto", b"https")],
        }
        asyncio.run(proxy(scope, None, None))  # type: ignore[arg-type]
        return seen[-1].get(b"x-forwarded-host")

    assert forwarded(b"judge.example.org", b"evil.example.com") is None  # a client's own header, passed on
    assert forwarded(b"judge.example.org", b"judge.example.org") == b"judge.example.org"
    assert seen[-1][b"x-forwarded-proto"] == b"https"


# ---------------------------------------------------------------------- 4: immutable=1 only on a read-only mount
def test_a_database_this_process_cannot_write_is_read_without_immutable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotation_store import storage

    path = tmp_path / "judge-studio.sqlite3"
    path.write_bytes(b"")
    monkeypatch.setattr(storage, "writable", lambda _path: False)  # another user's server owns it
    assert not storage.read_only_mount(path)
    assert storage.read_only_uri(path) == f"file:{path}?mode=ro"  # others may write it: SQLite's locks apply
    monkeypatch.setattr(storage, "read_only_mount", lambda _path: True)
    assert storage.read_only_uri(path) == f"file:{path}?mode=ro&immutable=1"


# ---------------------------------------------------------------------- 6: REST counts accounts made with a kind
def test_rest_import_counts_the_accounts_it_created_with_the_files_kind(studio: Studio, tmp_path: Path) -> None:
    from orchestration.datasets import export_dataset

    wide = tmp_path / "wide.jsonl"
    export_dataset(studio.store, DEMO_DATASET_NAME, "wide", output=wide)
    record = json.loads(wide.read_text().splitlines()[0])
    record.update({"label:newbie": "1", "label:sage": "2", "n_labels": 2})
    record["annotator_kinds"] = json.dumps({"newbie": "crowd", "sage": "expert"})
    bearer = {"Authorization": f"Bearer {studio.access.api_token('ada')}"}
    with TestClient(api_app(studio)) as client:
        answer = client.post(
            "/api/v1/datasets/import",
            headers=bearer,
            files={"file": ("wide.jsonl", json.dumps(record).encode(), "application/jsonl")},
            data={"dataset": "again"},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["annotators"], body["annotators_created"], body["annotators_kinded"]) == (2, 1, 1)
    kinds = _sql(studio, "SELECT name, kind FROM annotators WHERE name IN ('newbie', 'sage') ORDER BY name")
    assert kinds == [("newbie", "crowd"), ("sage", "expert")]


# ---------------------------------------------------------------------- 7: a chat chunk with only finish_reason
def test_a_streamed_chat_chunk_without_delta_is_an_empty_piece() -> None:
    from judge_runtime.remote import _choice

    last = {"choices": [{"index": 0, "finish_reason": "stop"}]}
    assert _choice("http://x/v1", "chat/completions", last, streamed=True) == last["choices"][0]
    with pytest.raises(RemoteJudgeError, match="not an OpenAI chat completions answer"):
        _choice("http://x/v1", "chat/completions", last)  # a whole (not streamed) answer needs its message
    with pytest.raises(RemoteJudgeError, match="not an OpenAI chat completions answer"):
        _choice("http://x/v1", "chat/completions", {"choices": [{"delta": "text"}]}, streamed=True)
