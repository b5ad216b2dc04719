"""The REST API over HTTP, as a script would use it: the real app (uvicorn on a free port), httpx,
API tokens, and the SQLite file checked afterwards."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from annotation_store import NewVerdict

MODELS = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
SESSION = "Demo session"
JUDGE_REASON = "JUDGE-REASON-MARKER: the left one rhymes better."


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _leased(path: Path, name: str) -> int:
    """The comparison leased to ``name`` (annotators are told its handle, ``item``, not its id: s15 blindids)."""
    (found,) = _sql(
        path,
        "SELECT s.comparison_id FROM assignments s JOIN annotators a ON a.id = s.annotator_id WHERE a.name = ?",
        name,
    )
    return int(found[0])


@pytest.fixture
def api(live_app):
    """An httpx client per account: ``api["alice"].get("/datasets")``; ``api[None]`` has no token."""
    studio = live_app.studio
    # a stored judge verdict on every demo comparison, so that a leak would show in the answers
    run_id = studio.store.ensure_judge_run("test-judge", {"model": "test-judge", "profile": "pandalm"})
    for comparison_id in range(1, 127):
        studio.store.save_verdict(run_id, NewVerdict(comparison_id, "1", "ok", reason=JUDGE_REASON))
    clients: dict[str | None, httpx.Client] = {}
    for name in ("admin", "rita", "alice", "bob", None):
        headers = {"Authorization": f"Bearer {studio.access.api_token(name)}"} if name else {}
        clients[name] = httpx.Client(base_url=live_app.url + "api/v1", headers=headers, timeout=60)
    yield clients
    for client in clients.values():
        client.close()


def test_no_token_or_a_wrong_token_is_401(api, live_app) -> None:
    missing = api[None].get("/datasets")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    wrong = httpx.get(live_app.url + "api/v1/datasets", headers={"Authorization": "Bearer js_not-a-token"})
    assert wrong.status_code == 401
    assert api["alice"].get("/datasets").json() == {"datasets": ["judge-studio-demo"]}


def test_a_deactivated_account_s_token_stops_working(api, live_app) -> None:
    assert api["bob"].get("/sessions").status_code == 200
    live_app.studio.access.update_account("admin", "bob", active=False)
    assert api["bob"].get("/sessions").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/comparisons?dataset=judge-studio-demo",
        "/comparisons/1",
        "/metrics?dataset=judge-studio-demo",
        "/export?dataset=judge-studio-demo",
    ],
)
def test_an_annotator_may_not_read_models_verdicts_metrics_or_exports(api, path: str) -> None:
    refused = api["alice"].get(path)
    assert refused.status_code == 403
    assert "needs the reviewer role" in refused.json()["detail"]
    assert not [m for m in MODELS if m in refused.text]


def test_annotator_gets_a_blind_item_and_the_judge_only_after_submitting(api, db_path: Path) -> None:
    sessions = api["alice"].get("/sessions").json()
    assert [s["name"] for s in sessions] == [SESSION] and sessions[0]["blind"] is True
    leased = api["alice"].post(f"/sessions/{SESSION}/next")
    assert leased.status_code == 200
    body = leased.json()
    item = body["item"]
    assert body["done"] is False and item["left"] and item["right"] and item["instruction"]
    assert item["left_model"] is None and item["right_model"] is None
    assert item["comparison_id"] is None and item["item"]  # no id: a handle (s15 blindids)
    assert not [m for m in MODELS if m in leased.text], "model names must stay hidden in a blind session"
    assert JUDGE_REASON not in leased.text and "verdict" not in leased.text
    # the order shown is the one stored for (comparison, alice)
    stored = _sql(
        db_path,
        "SELECT s.presented_swapped FROM assignments s JOIN annotators a ON a.id = s.annotator_id "
        "WHERE a.name = 'alice' AND s.comparison_id = ?",
        _leased(db_path, "alice"),
    )
    assert "swapped" not in item  # the order would tell which side is the dataset's response 1
    swapped = bool(stored[0][0])

    answer = api["alice"].post(
        "/labels",
        json={"session": SESSION, "item": item["item"], "choice": "left"},
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["label"]["choice"] == "left"
    assert "verdict" not in result["label"] and "swapped" not in result["label"]
    assert _sql(db_path, "SELECT verdict FROM labels") == [("2" if swapped else "1",)]
    assert result["judge"]["reason"] == JUDGE_REASON and result["judge"]["verdict"] == "1"
    assert result["judge"]["choice"] == ("right" if swapped else "left")


def test_the_same_idempotency_key_twice_stores_one_label(api, live_app, db_path: Path) -> None:
    live_app.studio.store.save_session(SESSION, "judge-studio-demo", reveal_judge=False)  # edits stay open
    item = api["bob"].post(f"/sessions/{SESSION}/next").json()["item"]
    body = {
        "session": SESSION,
        "item": item["item"],
        "choice": "tie",
        "confidence": 4,
        "comment": "both fine",
        "time_on_item_ms": 5200,
    }
    first = api["bob"].post("/labels", json=body, headers={"Idempotency-Key": "bob-submit-1"})
    again = api["bob"].post("/labels", json=body, headers={"Idempotency-Key": "bob-submit-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["label"]["version"] == 1
    query = (
        "SELECT l.comparison_id, l.verdict, l.version, l.confidence, l.comment, l.time_on_item_ms FROM labels l "
        "JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'bob'"
    )
    assert _sql(db_path, query) == [(_leased(db_path, "bob"), "tie", 1, 4, "both fine", 5200)]
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(1,)]

    # a retry of the first submit after a change returns the label as it is now and changes nothing
    changed = api["bob"].post(
        "/labels", json={**body, "choice": "right", "expected_version": 1}, headers={"Idempotency-Key": "bob-2"}
    )
    assert changed.status_code == 200 and changed.json()["label"]["version"] == 2
    late = api["bob"].post("/labels", json=body, headers={"Idempotency-Key": "bob-submit-1"})
    assert late.status_code == 200 and late.json()["label"]["version"] == 2
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(2,)]

    stale = api["bob"].post(
        "/labels", json={**body, "choice": "left", "expected_version": 1}, headers={"Idempotency-Key": "bob-3"}
    )
    assert stale.status_code == 409 and "changed elsewhere" in stale.json()["detail"]
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(2,)]


def test_labels_a_user_can_fix_are_refused_with_a_message(api, db_path: Path) -> None:
    by_id = api["alice"].post("/labels", json={"session": SESSION, "comparison_id": 5, "choice": "left"})
    assert by_id.status_code == 403 and "Answer by `item`" in by_id.json()["detail"]  # annotators: s15 blindids
    not_leased = api["rita"].post(
        "/labels", json={"session": SESSION, "comparison_id": 5, "choice": "left", "swapped": False}
    )
    assert not_leased.status_code == 409 and "was not handed to you" in not_leased.json()["detail"]
    no_session = api["alice"].post("/sessions/nope/next")
    assert no_session.status_code == 404 and "no annotation session 'nope'" in no_session.json()["detail"]
    bad_choice = api["alice"].post(
        "/labels", json={"session": SESSION, "comparison_id": 5, "choice": "maybe", "swapped": False}
    )
    assert bad_choice.status_code == 422
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]


def test_reviewer_reads_comparisons_metrics_and_exports(api, db_path: Path) -> None:
    item = api["alice"].post(f"/sessions/{SESSION}/next").json()["item"]
    label = {"session": SESSION, "item": item["item"], "choice": "right"}
    assert api["alice"].post("/labels", json=label).status_code == 200
    labelled = _leased(db_path, "alice")

    page = api["rita"].get("/comparisons", params={"dataset": "judge-studio-demo", "limit": 10, "offset": 0})
    assert page.status_code == 200
    listing = page.json()
    assert listing["total"] == 126 and len(listing["items"]) == 10
    first = listing["items"][0]
    assert first["model1"] in MODELS and first["judge_verdict"] == "1" and first["judge_status"] == "ok"
    second_page = api["rita"].get("/comparisons", params={"dataset": "judge-studio-demo", "limit": 10, "offset": 120})
    assert [c["id"] for c in second_page.json()["items"]] == list(range(121, 127))

    detail = api["rita"].get(f"/comparisons/{labelled}").json()
    assert detail["response1"] and detail["model2"] in MODELS
    assert detail["judge"]["reason"] == JUDGE_REASON
    (mine,) = detail["labels"]  # a reviewer reads the stored verdict and the order alice saw
    assert mine["annotator"] == "alice" and mine["verdict"] == ("1" if mine["presented_swapped"] else "2")
    assert api["rita"].get("/comparisons/9999").status_code == 404
    missing = api["rita"].get("/comparisons", params={"dataset": "nope"})
    assert missing.status_code == 404 and "no dataset named 'nope'" in missing.json()["detail"]

    metrics = api["rita"].get("/metrics", params={"dataset": "judge-studio-demo", "bootstrap": 10})
    assert metrics.status_code == 200
    report = metrics.json()
    assert report["dataset"] == "judge-studio-demo" and report["counts"]["labels"] == 1
    assert report["counts"]["comparisons"] == 126 and len(report["judges"]) == 1

    exported = api["rita"].get("/export", params={"dataset": "judge-studio-demo", "kind": "labels", "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["rater"], r["comparison_id"]) for r in rows] == [("alice", str(labelled))]
    as_jsonl = api["admin"].get("/export", params={"dataset": "judge-studio-demo", "kind": "wide"})
    assert as_jsonl.status_code == 200
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert len(records) == 126
    assert api["rita"].get("/export", params={"dataset": "judge-studio-demo", "format": "xlsx"}).status_code == 422


def test_openapi_schema_and_docs_describe_the_api(live_app) -> None:
    schema = httpx.get(live_app.url + "api/v1/openapi.json").json()
    for path in (
        "/api/v1/datasets",
        "/api/v1/comparisons",
        "/api/v1/comparisons/{comparison_id}",
        "/api/v1/sessions",
        "/api/v1/sessions/{name}/next",
        "/api/v1/labels",
        "/api/v1/metrics",
        "/api/v1/export",
        "/api/v1/tokens",
    ):
        assert path in schema["paths"], path
    assert not [p for p in schema["paths"] if p.startswith("/invite")]
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    label_in = schema["components"]["schemas"]["LabelIn"]
    assert set(label_in["properties"]["choice"]["enum"]) == {"left", "right", "tie", "skip"}
    params = {p["name"] for p in schema["paths"]["/api/v1/labels"]["post"]["parameters"]}
    assert "Idempotency-Key" in params
    docs = httpx.get(live_app.url + "api/v1/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # nothing from other origins: Swagger UI's files come from the app (works offline, under the CSP)
    assert "cdn." not in docs.text and "https://" not in docs.text.split("<body>")[0]
    assert "cdn." not in docs.headers["content-security-policy"]
    script = httpx.get(live_app.url + "api/v1/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text


def test_each_typed_error_has_one_status_and_messages_are_never_read() -> None:
    """web.errors is the one boundary: the type decides, whatever the message says."""
    from annotation_store import StoreConflict, StoreError, StoreNotFound
    from errors import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn, Unavailable
    from orchestration.access import LoginThrottled
    from web.errors import status_of

    assert status_of(NotFound("it is already there, changed elsewhere")) == 404
    assert status_of(Conflict("There is no such thing")) == 409
    assert status_of(InvalidInput("There is no such thing")) == 400
    assert status_of(StoreError("There is no dataset 'x'")) == 400  # a plain store error is bad input
    assert status_of(StoreNotFound("x")) == 404 and status_of(StoreConflict("x")) == 409
    assert status_of(Forbidden("x")) == 403 and status_of(NotSignedIn("x")) == 401
    assert status_of(Unavailable("x")) == 503 and status_of(LoginThrottled("x", retry_after=60)) == 429
