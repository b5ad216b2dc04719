"""s14 integrator findings 2 and 4: REST API tokens expire (``token_days``, ``expires_in_days``), say when they
were last used (at most one write a minute), are listed and revoked one at a time (``GET /tokens``,
``DELETE /tokens/{id}``, ``DELETE /tokens/current``, the Admin page, ``users tokens|revoke-token``), each
creation and revocation logged; migration 0019 gives existing tokens 90 days. And a REST label that is final
"because the model names were shown" did show them (``SubmitOut.models``; ``RatingSubmitOut.model``).
Real SQLite files, the real ASGI app, the real migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import two_model_dataset
from fastapi.testclient import TestClient
from helpers import PASSWORD, accounts_studio, api_app, closing, seeded_home
from sqlalchemy import text
from test_annotation_workflow import _migrate, _schema_diff

from annotation_store.accounts import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS, token_digest
from annotation_store.db import make_engine, sqlite_url
from cli import main
from errors import Forbidden, NotFound
from orchestration import Studio
from orchestration.access import TokenExpired
from orchestration.admin import AdminDesk
from settings.table import BY_NAME
from ui.admin_sections.tokens import TOKEN_HEADERS, tokens_frame


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _studio(home: Path, **settings: Any) -> Studio:
    return accounts_studio(home, (("alice", "annotator"), ("bob", "annotator"), ("ada", "admin")), **settings)


@pytest.fixture
def home(seeded_db_template: Path, tmp_path: Path) -> Path:
    return seeded_home(seeded_db_template, tmp_path)


@pytest.fixture
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(_studio(home))


def _client(studio: Studio) -> TestClient:
    return TestClient(api_app(studio))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sql(studio: Studio, query: str, **params: Any) -> list[Any]:
    with studio.store.engine.begin() as connection:
        result = connection.execute(text(query), params)
        return list(result.all()) if result.returns_rows else []


# ---------------------------------------------------------------------- REST: create, list, revoke, expire
def test_a_rest_token_has_an_expiry_is_listed_and_is_revoked_one_at_a_time(studio: Studio) -> None:
    with _client(studio) as client:
        made = client.post(
            "/api/v1/tokens", json={"name": "alice", "password": PASSWORD, "label": "ci bot", "expires_in_days": 7}
        )
        assert made.status_code == 201, made.text
        first = made.json()
        assert (first["name"], first["role"], first["label"]) == ("alice", "annotator", "ci bot")
        expires = datetime.fromisoformat(first["expires_at"]).replace(tzinfo=None)  # "...Z": UTC
        assert abs(expires - (_now() + timedelta(days=7))) < timedelta(minutes=1)
        second = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD}).json()
        assert second["label"] == "REST login"
        listed = client.get("/api/v1/tokens", headers=_bearer(second["token"]))
        assert listed.status_code == 200
        rows = listed.json()["tokens"]
        assert [(r["id"], r["label"]) for r in rows] == [(first["id"], "ci bot"), (second["id"], "REST login")]
        assert first["token"] not in listed.text and second["token"] not in listed.text  # never the secret
        assert rows[1]["last_used_at"] is not None and rows[0]["last_used_at"] is None

        # bob's token number, and a number nobody has, answer alike: nothing tells which numbers exist
        bobs = client.post("/api/v1/tokens", json={"name": "bob", "password": PASSWORD}).json()
        not_mine = client.delete(f"/api/v1/tokens/{bobs['id']}", headers=_bearer(second["token"]))
        unknown = client.delete("/api/v1/tokens/999999", headers=_bearer(second["token"]))
        assert not_mine.status_code == unknown.status_code == 404
        assert not_mine.json()["detail"] == unknown.json()["detail"].replace("999999", str(bobs["id"]))
        assert client.get("/api/v1/sessions", headers=_bearer(bobs["token"])).status_code == 200  # still works

        gone = client.delete(f"/api/v1/tokens/{first['id']}", headers=_bearer(second["token"]))
        assert gone.status_code == 200 and gone.json()["label"] == "ci bot"
        assert client.get("/api/v1/sessions", headers=_bearer(first["token"])).status_code == 401
        assert client.get("/api/v1/sessions", headers=_bearer(second["token"])).status_code == 200  # the other lives

        logout = client.delete("/api/v1/tokens/current", headers=_bearer(second["token"]))
        assert logout.status_code == 200 and logout.json()["id"] == second["id"]
        after = client.get("/api/v1/tokens", headers=_bearer(second["token"]))
        assert after.status_code == 401 and after.headers["www-authenticate"] == "Bearer"
    assert studio.access.my_tokens("alice") == []


@pytest.mark.parametrize("days", [0, MAX_TOKEN_DAYS + 1, -3])
def test_expires_in_days_out_of_bounds_is_a_422_naming_the_field(studio: Studio, days: int) -> None:
    with _client(studio) as client:
        made = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD, "expires_in_days": days})
    assert made.status_code == 422 and "expires_in_days" in made.json()["detail"]
    assert _sql(studio, "SELECT count(*) FROM api_tokens") == [(0,)]


def test_an_expired_token_answers_401_saying_when_it_expired(studio: Studio) -> None:
    token = studio.access.api_token("alice", days=1)
    _sql(studio, "UPDATE api_tokens SET expires_at = '2026-03-01 12:00:00'")
    with _client(studio) as client:
        answer = client.get("/api/v1/sessions", headers=_bearer(token))
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["detail"] == (
        "This API token expired on 2026-03-01 12:00 UTC; create a new one with POST /api/v1/tokens."
    )
    assert studio.access.token_user(token) is None  # the body-size limit's check: not signed in
    assert studio.access.my_tokens("alice") == []  # an expired token is no longer listed


def test_the_default_lifetime_is_the_token_days_setting(home: Path) -> None:
    assert BY_NAME["token_days"].value() == DEFAULT_TOKEN_DAYS == 90
    assert BY_NAME["token_days"].maximum == MAX_TOKEN_DAYS
    studio = _studio(home, token_days=30)
    try:
        with _client(studio) as client:
            made = client.post("/api/v1/tokens", json={"name": "alice", "password": PASSWORD}).json()
        expires = datetime.fromisoformat(made["expires_at"]).replace(tzinfo=None)
        assert abs(expires - (_now() + timedelta(days=30))) < timedelta(minutes=1)
    finally:
        studio.store.close()


def test_last_use_is_written_at_most_once_a_minute(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    token = studio.access.api_token("alice")
    writes: list[int] = []
    touch = studio.store.touch_api_token
    monkeypatch.setattr(studio.store, "touch_api_token", lambda i, now: writes.append(i) or touch(i, now))
    start = _now()
    for seconds in (0, 1, 30, 59):
        assert studio.access.token_caller(token, clock=lambda s=seconds: start + timedelta(seconds=s)) is not None
    assert len(writes) == 1  # 4 requests within a minute: one write
    assert _sql(studio, "SELECT last_used_at FROM api_tokens")[0][0].startswith(f"{start:%Y-%m-%d %H:%M:%S}")
    studio.access.token_caller(token, clock=lambda: start + timedelta(seconds=61))
    assert len(writes) == 2
    assert studio.access.my_tokens("alice")[0].last_used_at == start + timedelta(seconds=61)
    with pytest.raises(TokenExpired, match="expired on"):
        studio.access.token_caller(token, clock=lambda: start + timedelta(days=DEFAULT_TOKEN_DAYS + 1))


def test_creating_and_revoking_a_token_writes_security_lines(studio: Studio, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="judge_studio.security"):
        made, secret = studio.access.new_api_token("alice", label="ci bot")
        studio.access.revoke_my_token("alice", made.id)
        other, _ = studio.access.new_api_token("ada", for_name="bob", label="deploy")
        AdminDesk(studio).revoke_api_token("ada", other.id)
    lines = [r.getMessage() for r in caplog.records if r.name == "judge_studio.security"]
    assert lines[0].startswith(f"API token created: #{made.id} for 'alice' (label 'ci bot', expires ")
    assert lines[0].endswith("UTC) by 'alice'")
    assert lines[1] == f"API token revoked: #{made.id} of 'alice' (label 'ci bot') by 'alice'"
    assert lines[2].startswith(f"API token created: #{other.id} for 'bob' (label 'deploy'") and "by 'ada'" in lines[2]
    assert lines[3] == f"API token revoked: #{other.id} of 'bob' (label 'deploy') by 'ada'"
    assert all(secret not in line for line in lines)


# ---------------------------------------------------------------------- admins: the Admin page's desk and the CLI
def test_admins_see_every_accounts_tokens_and_revoke_one(studio: Studio) -> None:
    desk = AdminDesk(studio)
    studio.access.api_token("alice", label="ci bot")
    kept = studio.access.api_token("alice", label="laptop")
    bobs = studio.access.api_token("bob", label="\u202eevil")
    frame = tokens_frame(desk.api_tokens("ada"))
    assert list(frame.columns) == list(TOKEN_HEADERS)
    assert [tuple(row) for row in frame[["account", "label", "last_used"]].itertuples(index=False)] == [
        ("alice", "ci bot", "-"),
        ("alice", "laptop", "-"),
        ("bob", "\u202eevil", "-"),
    ]
    with pytest.raises(Forbidden):
        desk.api_tokens("alice")
    with pytest.raises(Forbidden):
        desk.revoke_api_token("alice", int(frame["id"][2]))
    gone = desk.revoke_api_token("ada", int(frame["id"][0]))
    assert (gone.account, gone.label) == ("alice", "ci bot")
    assert studio.access.token_user(kept) is not None and studio.access.token_user(bobs) is not None
    with pytest.raises(NotFound, match=f"There is no working API token #{gone.id}"):
        desk.revoke_api_token("ada", gone.id)
    assert [t.label for t in desk.api_tokens("ada")] == ["laptop", "\u202eevil"]


def test_users_tokens_lists_an_account_and_revoke_token_stops_one(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _studio(home).store.close()
    main(["users", "token", "alice", "--label", "ci bot", "--token-days", "10", "--home", str(home)])
    out, err = capsys.readouterr()
    secret = out.strip()
    assert secret.startswith("js_")
    assert "API token #1 for 'alice' (shown once), valid until " in err
    assert "`judge-studio users revoke-token 1` stops it" in err
    assert "security: API token created: #1 for 'alice' (label 'ci bot'" in err  # the security log line
    main(["users", "tokens", "alice", "--home", str(home)])
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["id", "label", "created", "expires", "last_used"]
    assert table[1].startswith("1   ci bot") and table[1].endswith("-") and secret not in "\n".join(table)
    expires = datetime.strptime(" ".join(table[1].split()[6:8]), "%Y-%m-%d %H:%M")
    assert abs(expires - (_now() + timedelta(days=10))) < timedelta(minutes=2)
    main(["users", "revoke-token", "1", "--home", str(home)])
    out, err = capsys.readouterr()
    assert out.strip() == "Revoked API token #1 of 'alice' (label 'ci bot'): it no longer works."
    assert "security: API token revoked: #1 of 'alice' (label 'ci bot') by '(command line)'" in err
    main(["users", "tokens", "alice", "--home", str(home)])
    assert "'alice' has no API token that still works" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="There is no working API token #1"):
        main(["users", "revoke-token", "1", "--home", str(home)])
    with pytest.raises(SystemExit, match="--token-days must be from 1 to 365"):
        main(["users", "token", "alice", "--token-days", "400", "--home", str(home)])


# ---------------------------------------------------------------------- migration 0019
def test_migration_0019_gives_existing_tokens_90_days_and_goes_down_and_up(db_path: Path) -> None:
    engine = make_engine(sqlite_url(db_path))
    try:
        _migrate(engine, "downgrade", "0018")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO annotators (name, role, kind, active, created_at) "
                    "VALUES ('old', 'annotator', 'crowd', 1, '2025-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_tokens (annotator_id, token_hash, label, created_at, revoked) "
                    "SELECT id, :digest, 'from before', '2025-01-01 00:00:00', 0 FROM annotators WHERE name = 'old'"
                ),
                {"digest": token_digest("js_old")},
            )
        _migrate(engine, "upgrade", "head")
        with engine.connect() as connection:
            expires, used = connection.execute(text("SELECT expires_at, last_used_at FROM api_tokens")).one()
        assert used is None
        assert abs(datetime.fromisoformat(expires) - (_now() + timedelta(days=90))) < timedelta(minutes=1)
        assert _schema_diff(engine) == []
    finally:
        engine.dispose()
    from annotation_store import open_store

    store = open_store(db_path)
    try:
        assert store.token_holder("js_old") == ("old", "annotator", "crowd")  # it still works, for 90 days
    finally:
        store.close()


# ---------------------------------------------------------------------- finding 4: what a REST submit reveals
def test_a_rest_label_final_because_the_names_were_shown_did_show_them(studio: Studio) -> None:
    two_model_dataset(studio.store, "pairs", 2)
    studio.store.save_session("reveal", "pairs", blind=True, reveal_judge=True)  # no judge verdicts at all
    studio.store.save_session("hidden", "pairs", blind=True, reveal_judge=False)
    token = studio.access.api_token("alice")
    with _client(studio) as client:
        headers = _bearer(token)
        item = client.post("/api/v1/sessions/reveal/next", headers=headers).json()["item"]
        assert item["left_model"] is None  # blind: the lease names nobody
        body = {"session": "reveal", "item": item["item"]}  # an annotator's handle (s15 blindids)
        skipped = client.post("/api/v1/labels", json={**body, "choice": "skip"}, headers=headers)
        assert skipped.status_code == 200 and skipped.json()["models"] is None  # a skip reveals nothing
        answered = client.post("/api/v1/labels", json={**body, "choice": "left"}, headers=headers)
        assert answered.status_code == 200 and answered.json()["judge"] is None
        models = answered.json()["models"]
        assert {models["left_model"], models["right_model"]} == {"model-alpha", "model-beta"}
        changed = client.post("/api/v1/labels", json={**body, "choice": "right"}, headers=headers)
        assert changed.status_code == 409 and "the model names were shown to you" in changed.json()["detail"]

        other = client.post("/api/v1/sessions/hidden/next", headers=headers).json()["item"]
        hidden = {"session": "hidden", "item": other["item"]}
        blind = client.post("/api/v1/labels", json={**hidden, "choice": "left"}, headers=headers)
        assert blind.status_code == 200 and blind.json()["models"] is None  # nothing shown ...
        again = client.post("/api/v1/labels", json={**hidden, "choice": "right"}, headers=headers)
        assert again.status_code == 200  # ... and nothing locked
        spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "models" in spec["SubmitOut"]["properties"] and "model" in spec["RatingSubmitOut"]["properties"]


def test_a_rest_rating_final_because_the_name_was_shown_did_show_it(studio: Studio) -> None:
    two_model_dataset(studio.store, "pairs", 2)
    studio.store.save_session("grades", "pairs", kind="single", blind=True, reveal_judge=True)
    token = studio.access.api_token("alice")
    with _client(studio) as client:
        headers = _bearer(token)
        item = client.post("/api/v1/sessions/grades/next", headers=headers).json()["item"]
        rated = {"session": "grades", "item": item["item"]}
        answer = client.post("/api/v1/ratings", json={**rated, "rating": 4}, headers=headers)
        assert answer.status_code == 200 and answer.json()["model"] in {"model-alpha", "model-beta"}
        refused = client.post("/api/v1/ratings", json={**rated, "rating": 8}, headers=headers)
        assert refused.status_code == 409 and "the model's name was shown" in refused.json()["detail"]
