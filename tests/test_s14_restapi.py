"""What an integrator's client hears from the REST API (s14 integrator findings 6, 7, 8 and 12): each route
documents only the statuses it can answer (with 503 and Retry-After, 429 and 413 where they apply); a body not
sent as JSON is 415 saying which header to send; every body that is not valid JSON is one 422 naming the
problem; ids and numbers are strict, unknown body fields and query parameters are refused naming them; and
the messages a REST client reads say the REST way. The real app over HTTP (uvicorn), real SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import sql_rows

from orchestration import AdminDesk, SessionForm

SESSION = "Demo session"
DEMO = "judge-studio-demo"
JSON_HINT = "Send the body as JSON with Content-Type: application/json"


@pytest.fixture
def api(live_app):
    """An httpx client per account: ``api["alice"].get("/datasets")``."""
    clients = {}
    for name in ("admin", "rita", "alice"):
        headers = {"Authorization": f"Bearer {live_app.studio.access.api_token(name)}"}
        clients[name] = httpx.Client(base_url=live_app.url + "api/v1", headers=headers, timeout=60)
    yield clients
    for client in clients.values():
        client.close()


def _lease(client: httpx.Client, session: str = SESSION) -> dict[str, Any]:
    leased = client.post(f"/sessions/{session}/next")
    assert leased.status_code == 200, leased.text
    return leased.json()["item"]


def _labels(db_path: Path) -> int:
    return int(sql_rows(db_path, "SELECT count(*) FROM labels")[0][0])


# ---------------------------------------------------------------------- 6: each route's own statuses
def test_openapi_lists_each_route_s_own_statuses_with_retry_after(live_app) -> None:
    paths = httpx.get(live_app.url + "api/v1/openapi.json").json()["paths"]
    datasets = paths["/api/v1/datasets"]["get"]["responses"]
    assert set(datasets) == {"200", "401", "422", "503"}  # no 404 or 409: neither can happen there
    assert "Retry-After" in datasets["503"]["headers"]
    labels = paths["/api/v1/labels"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415", "422", "503"} <= set(labels) and "429" not in labels
    tokens = paths["/api/v1/tokens"]["post"]["responses"]
    assert {"401", "413", "415", "422", "429", "503"} <= set(tokens) and "403" not in tokens
    assert "Retry-After" in tokens["429"]["headers"]
    assert set(paths["/api/v1/comparisons"]["get"]["responses"]) == {"200", "401", "403", "404", "422", "503"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"422", "503"} <= codes, (method, path)
            assert ("413" in codes) == ("requestBody" in operation), (method, path)  # only routes that take one


# ---------------------------------------------------------------------- 7: content type and unreadable bodies
@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ({"Content-Type": "text/plain"}, "'text/plain'"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "'application/x-www-form-urlencoded'"),
        ({}, "no Content-Type"),
    ],
)
def test_a_json_body_sent_without_the_json_content_type_is_415_naming_the_header(
    api, db_path: Path, headers: dict[str, str], said: str
) -> None:
    item = _lease(api["alice"])
    body = f'{{"session": "{SESSION}", "comparison_id": {item["comparison_id"]}, "choice": "left"}}'
    sent = api["alice"].post("/labels", content=body.encode(), headers=headers)
    assert sent.status_code == 415, sent.text
    detail = sent.json()["detail"]
    assert detail.startswith(JSON_HINT) and said in detail and "dictionary" not in detail
    assert _labels(db_path) == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"session": "\xff"}', "(it is not UTF-8 text)"),  # b"\xff\xfe" would be UTF-16's mark
        (b"[" * 100_000 + b"]" * 100_000, "(it is nested too deeply)"),
        (b'{"session": ', "(Expecting value at character 12)"),
    ],
)
def test_every_body_that_is_not_json_is_one_422_naming_the_problem(api, body: bytes, problem: str) -> None:
    sent = api["alice"].post("/labels", content=body, headers={"Content-Type": "application/json"})
    assert sent.status_code == 422, sent.text
    assert sent.json()["detail"] == f"The request does not fit the API: the body is not valid JSON {problem}."


# ---------------------------------------------------------------------- 8: strict types, unknown fields, queries
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comparison_id": True}, "comparison_id"),
        ({"comparison_id": "ID"}, "comparison_id"),
        ({"confidence": "3"}, "confidence"),
    ],
)
def test_ids_and_numbers_are_strict_and_the_message_names_the_field(
    api, db_path: Path, change: dict[str, Any], field: str
) -> None:
    item = _lease(api["alice"])
    body = {"session": SESSION, "comparison_id": item["comparison_id"], "choice": "left", **change}
    if body["comparison_id"] == "ID":
        body["comparison_id"] = str(item["comparison_id"])  # "75": a string, not the number
    sent = api["alice"].post("/labels", json=body)
    assert sent.status_code == 422, sent.text
    assert f"{field} (in the body): Input should be a valid" in sent.json()["detail"]
    assert _labels(db_path) == 0
    flag = api["alice"].post("/labels", json={**body, "comparison_id": item["comparison_id"], "flagged": 1})
    assert flag.status_code == 422 and "flagged (in the body)" in flag.json()["detail"]


def test_unknown_body_fields_are_refused_naming_them(api, live_app, db_path: Path) -> None:
    item = _lease(api["alice"])
    body = {"session": SESSION, "comparison_id": item["comparison_id"], "choice": "left", "unknown_field": 1}
    sent = api["alice"].post("/labels", json=body)
    assert sent.status_code == 422
    assert "unknown_field (in the body): this route takes no such field" in sent.json()["detail"]
    assert _labels(db_path) == 0
    token = httpx.post(live_app.url + "api/v1/tokens", json={"name": "alice", "password": "x", "extra": 1})
    assert token.status_code == 422 and "extra (in the body): this route takes no such field" in token.json()["detail"]


def test_unknown_query_parameters_are_422_naming_them_and_the_ones_the_route_takes(api, db_path: Path) -> None:
    typo = api["rita"].get("/comparisons", params={"dataset": DEMO, "category": "math"})
    assert typo.status_code == 422
    assert (
        typo.json()["detail"] == "The request does not fit the API: unknown query parameter 'category'; "
        "this route takes: dataset, limit, offset."
    )
    sort = api["rita"].get("/comparisons", params={"dataset": DEMO, "sort": "id", "order": "desc"})
    assert sort.json()["detail"].startswith(
        "The request does not fit the API: unknown query parameters 'sort', 'order';"
    )
    none = api["alice"].get("/datasets", params={"page": 2})
    assert (
        none.status_code == 422
        and none.json()["detail"]
        == "The request does not fit the API: unknown query parameter 'page'; this route takes none."
    )
    assert api["rita"].get("/comparisons", params={"dataset": DEMO, "limit": 2}).status_code == 200  # declared ones
    assert api["rita"].get("/export", params={"dataset": DEMO, "format": "csv", "judges": True}).status_code == 200
    leased = api["alice"].post(f"/sessions/{SESSION}/next", params={"dry_run": 1})
    assert leased.status_code == 422 and "takes none" in leased.json()["detail"]
    assert sql_rows(db_path, "SELECT count(*) FROM assignments") == [(0,)]  # refused before anything was leased


# ---------------------------------------------------------------------- 12: one wording, the REST way too
@pytest.mark.parametrize("path", ["/gold", "/gold-responses"])
def test_an_unknown_dataset_on_gold_routes_reads_as_on_every_other_route(api, path: str) -> None:
    missing = api["admin"].get(path, params={"dataset": "nosuch"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"There is no dataset named 'nosuch' (datasets: {DEMO})."
    assert api["rita"].get(path, params={"dataset": "nosuch"}).status_code == 403  # the role is checked first


def test_a_session_of_the_other_kind_names_the_rest_route_too(api, live_app) -> None:
    form = SessionForm("Grade it", DEMO, kind="single", scale=5, overlap=1, guidelines="Grade.")
    AdminDesk(live_app.studio).save_session("admin", form)
    some = {"item": "AAAAAAAAAA"}  # annotators name items by handles (s15 blindids); the kind is checked first
    rated = api["alice"].post("/ratings", json={"session": SESSION, **some, "rating": 3})
    assert rated.status_code == 400
    assert "label it on the Annotate page (over the API, POST /api/v1/labels)" in rated.json()["detail"]
    labelled = api["alice"].post("/labels", json={"session": "Grade it", **some, "choice": "left"})
    assert labelled.status_code == 400
    assert "rate them on the Grade page (over the API, POST /api/v1/ratings)" in labelled.json()["detail"]
