"""Grading over REST, as a script would do it: ``POST /sessions/{name}/next`` leases a response in a
grading session and ``POST /ratings`` rates it, under the Grade page's rules (the store's, checked in
its write transaction). The real app (uvicorn on a free port), httpx, API tokens, sessions saved the
way the Admin page saves them, and the SQLite file checked afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from annotation_store import NewJudgeRating
from orchestration import AdminDesk, SessionForm

DEMO = "judge-studio-demo"
FIVE = "Five with a rubric"
MODELS = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
JUDGE_REASON = "JUDGE-RATING-MARKER: concise and correct."
RUBRIC = (
    "[Is the answer <b>right</b>?]\n"
    "Score 1: Wrong.\n"
    "Score 2: Mostly wrong.\n"
    "Score 3: Half right.\n"
    "Score 4: Mostly right.\n"
    "Score 5: Right."
)


def _sql(path: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def _ratings(path: Path, session: str = FIVE) -> list[tuple[Any, ...]]:
    """(annotator, response, rating, skipped, version) of every rating given in ``session``."""
    return _sql(
        path,
        "SELECT a.name, r.response_id, r.rating, r.skipped, r.version FROM ratings r "
        "JOIN annotators a ON a.id = r.annotator_id JOIN annotation_sessions s ON s.id = r.session_id "
        "WHERE s.name = ? ORDER BY r.id",
        session,
    )


def _leases(path: Path, name: str) -> list[int]:
    """The responses leased to ``name``, oldest lease first (annotators are told a response's handle, ``item``, not
    its id: s15 blindids)."""
    query = (
        "SELECT r.response_id FROM rating_assignments r JOIN annotators a ON a.id = r.annotator_id WHERE a.name = ? "
        "ORDER BY r.leased_at, r.id"
    )
    return [int(row[0]) for row in _sql(path, query, name)]


def _session(live_app: Any, name: str, **settings: Any) -> None:
    form = {"kind": "single", "scale": 5, "rubric": RUBRIC, "overlap": 1, "guidelines": "Grade by it.", **settings}
    AdminDesk(live_app.studio).save_session("admin", SessionForm(name, DEMO, **form))


@pytest.fixture
def api(live_app):
    """An httpx client per account (``api["alice"]``), a 1-5 session with a rubric (k=1, blind, judge
    revealed after a submit), and a 1-5 judge rating with a marked reason on every response, so that
    a leak would show in any answer."""
    studio = live_app.studio
    _session(live_app, FIVE)
    run_id = studio.store.ensure_judge_run("test-grader", {"model": "test-grader", "profile": "prometheus2-absolute"})
    for response in studio.store.responses(DEMO):
        studio.store.save_judge_rating(run_id, NewJudgeRating(response.id, 3.0, "ok", reason=JUDGE_REASON), scale=5)
    clients = {}
    for name in ("alice", "bob", "rita"):
        headers = {"Authorization": f"Bearer {studio.access.api_token(name)}"}
        clients[name] = httpx.Client(base_url=live_app.url + "api/v1", headers=headers, timeout=60)
    yield clients
    for client in clients.values():
        client.close()


def _lease(client: httpx.Client, session: str = FIVE) -> dict[str, Any]:
    answered = client.post(f"/sessions/{session}/next")
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["kind"] == "single" and body["done"] is False, body
    return body["item"]


def _rate(client: httpx.Client, item: dict[str, Any], key: str | None = None, **fields: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    named = {"response_id": item["response_id"]} if item.get("response_id") is not None else {"item": item["item"]}
    body = {"session": item["session"], **named, **fields}
    return client.post("/ratings", json=body, headers=headers)


def test_a_full_round_lease_rate_lease_on_a_1_to_5_session_with_a_rubric(api, live_app) -> None:
    item = _lease(api["alice"])
    assert item["response_id"] is None and item["item"]  # an annotator is told a handle, not the id
    (leased,) = _leases(live_app.db_path, "alice")
    response = live_app.studio.store.get_response(leased)
    assert (item["scale"], item["rubric"], item["rubric_is_default"]) == (5, RUBRIC, False)
    assert item["instruction"] == response.instruction and item["response"] == response.text
    assert item["input"] == response.input and item["guideline_version"] == 1
    assert item["reference"] == (response.reference if (response.reference or "").strip() else None)
    assert item["model"] is None and item["current_rating"] is None  # a blind session
    assert item["progress"] == {"mine": 0, "done": 0, "total": len(live_app.studio.store.responses(DEMO)), "overlap": 1}

    rated = _rate(api["alice"], item, rating=4, confidence=3, comment="clear", time_on_item_ms=4200)
    assert rated.status_code == 200, rated.text
    result = rated.json()
    assert result["rating"]["rating"] == 4 and result["rating"]["version"] == 1 and result["scale"] == 5
    assert result["judge"] == {
        "judge_model": "test-grader",
        "score": 3.0,
        "scale": 5,
        "status": "ok",
        "reason": JUDGE_REASON,
    }
    assert result["progress"]["mine"] == 1 and result["progress"]["done"] == 1
    assert _ratings(live_app.db_path) == [("alice", leased, 4, 0, 1)]

    following = _lease(api["alice"])
    assert following["item"] != item["item"] and following["progress"]["mine"] == 1
    assert _leases(live_app.db_path, "alice")[-1] != leased


def test_a_rating_outside_the_session_s_scale_is_400_naming_the_scale(api, live_app) -> None:
    item = _lease(api["alice"])
    refused = _rate(api["alice"], item, rating=7)
    assert refused.status_code == 400
    assert "This session rates 1-5: a rating of 7 is outside its scale" in refused.json()["detail"]
    both = _rate(api["alice"], item, rating=3, skipped=True)
    assert both.status_code == 400 and "either a rating or skipped=true" in both.json()["detail"]
    neither = _rate(api["alice"], item)
    assert neither.status_code == 400 and "or skip the response" in neither.json()["detail"]
    assert _ratings(live_app.db_path) == []
    skipped = _rate(api["alice"], item, skipped=True)
    assert skipped.status_code == 200 and skipped.json()["rating"]["skipped"] is True
    assert _ratings(live_app.db_path) == [("alice", _leases(live_app.db_path, "alice")[0], None, 1, 1)]


def test_a_retry_with_the_same_key_stores_nothing(api, live_app) -> None:
    live_app.studio.store.save_session(FIVE, DEMO, reveal_judge=False)  # nothing shown after a rating: edits stay open
    item = _lease(api["bob"])
    first = _rate(api["bob"], item, key="bob-rating-1", rating=5, comment="spot on")
    again = _rate(api["bob"], item, key="bob-rating-1", rating=5, comment="spot on")
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["rating"] == again.json()["rating"] and again.json()["rating"]["version"] == 1
    assert _sql(live_app.db_path, "SELECT count(*) FROM rating_events") == [(1,)]

    edited = _rate(api["bob"], item, key="bob-rating-2", rating=2, expected_version=1)
    assert edited.status_code == 200 and edited.json()["rating"]["version"] == 2
    late = _rate(api["bob"], item, key="bob-rating-1", rating=5)  # the first submit, retried late
    assert late.status_code == 200 and late.json()["rating"]["rating"] == 2
    stale = _rate(api["bob"], item, key="bob-rating-3", rating=1, expected_version=1)
    assert stale.status_code == 409 and "changed elsewhere" in stale.json()["detail"]
    assert _sql(live_app.db_path, "SELECT count(*) FROM rating_events") == [(2,)]
    assert _ratings(live_app.db_path) == [("bob", _leases(live_app.db_path, "bob")[0], 2, 0, 2)]


def test_two_annotators_on_k_1_are_never_both_counted(api, live_app) -> None:
    data = {"name": "pair", "models": [{"name": "m-a"}, {"name": "m-b"}]}
    data["prompts"] = [{"id": "q1", "instruction": "Say hi", "responses": {"m-a": "hi", "m-b": "hello"}}]
    assert live_app.studio.store.seed_dataset(data, pairs_per_prompt=1)  # two responses: bob gets alice's back
    live_app.studio.store.save_session("pair", "pair", kind="single", overlap=1)
    mine, theirs = _lease(api["alice"], "pair"), _lease(api["bob"], "pair")
    (alices,), (bobs,) = _leases(live_app.db_path, "alice"), _leases(live_app.db_path, "bob")
    assert alices != bobs  # a live lease is not handed out twice at k=1
    assert _rate(api["bob"], theirs, rating=3).status_code == 200
    _sql(
        live_app.db_path,
        "UPDATE rating_assignments SET lease_expires_at = '2000-01-01 00:00:00' "
        "WHERE annotator_id = (SELECT id FROM annotators WHERE name = 'alice')",
    )
    again = _lease(api["bob"], "pair")  # alice's lease ran out: her response went back to the pool
    assert _leases(live_app.db_path, "bob")[-1] == alices
    in_progress = _rate(api["alice"], mine, rating=5)
    assert in_progress.status_code == 409 and "is taken" in in_progress.json()["detail"]
    assert _rate(api["bob"], again, rating=2).status_code == 200
    finished = _rate(api["alice"], mine, rating=5)
    assert finished.status_code == 409 and "is taken" in finished.json()["detail"]
    assert JUDGE_REASON not in in_progress.text + finished.text  # a refusal reveals nothing
    assert _ratings(live_app.db_path, "pair") == [("bob", bobs, 3, 0, 1), ("bob", alices, 2, 0, 1)]


def test_a_blind_session_that_hides_the_judge_never_reveals_it(api, live_app) -> None:
    _session(live_app, "Hidden judge", reveal_judge=False, blind=True)
    leased = api["alice"].post("/sessions/Hidden judge/next")
    item = leased.json()["item"]
    rated = _rate(api["alice"], item, rating=4, key="hidden-1")
    retried = _rate(api["alice"], item, rating=4, key="hidden-1")
    assert rated.status_code == retried.status_code == 200
    assert rated.json()["judge"] is None and retried.json()["judge"] is None
    for answer in (leased, rated, retried):
        assert JUDGE_REASON not in answer.text and "test-grader" not in answer.text
        assert not [m for m in MODELS if m in answer.text], "model names stay hidden in a blind session"
    # the same response's retry in the session that reveals the judge is refused, and says nothing (its handle is
    # alice's in "Hidden judge" only: unknown in FIVE)
    elsewhere = _rate(api["alice"], {**item, "session": FIVE}, rating=4, key="hidden-1")
    assert elsewhere.status_code == 404 and JUDGE_REASON not in elsewhere.text

    _session(live_app, "Open names", blind=False)
    shown = _lease(api["bob"], "Open names")
    assert shown["model"] == live_app.studio.store.get_response(_leases(live_app.db_path, "bob")[-1]).model


def test_ids_sessions_and_kinds_are_checked(api, live_app) -> None:
    item = _lease(api["alice"])
    _session(live_app, "Other five")
    wrong_session = _rate(api["alice"], {**item, "session": "Other five"}, rating=3)  # a handle is per session
    assert wrong_session.status_code == 404 and f"no item {item['item']}" in wrong_session.json()["detail"]
    by_id = _rate(api["alice"], {**item, "response_id": 987654321}, rating=3)
    assert by_id.status_code == 403 and "Answer by `item`" in by_id.json()["detail"]  # annotators: s15 blindids
    unknown = _rate(api["rita"], {**item, "response_id": 987654321}, rating=3)
    # answered as a response not leased to you (s11): a 404 here told which ids exist
    assert unknown.status_code == 409 and "#987654321 was not handed to you" in unknown.json()["detail"]
    for huge in (2**63, 10**30):
        too_big = _rate(api["rita"], {**item, "response_id": huge}, rating=3)
        assert too_big.status_code == 400 and "response_id must be a whole number" in too_big.json()["detail"]
    wild = _rate(api["alice"], item, rating=10**30)  # refused before any SQL, never a 500
    assert wild.status_code == 400 and "rating must be a whole number" in wild.json()["detail"]
    not_leased = _rate(api["bob"], item, rating=3)  # alice's handle means nothing to bob
    assert not_leased.status_code == 404 and f"no item {item['item']}" in not_leased.json()["detail"]
    no_session = api["alice"].post("/sessions/nope/next")
    assert no_session.status_code == 404 and "no annotation session 'nope'" in no_session.json()["detail"]
    pairwise = _rate(api["alice"], {**item, "session": "Demo session"}, rating=3)
    assert pairwise.status_code == 400 and "pairwise session" in pairwise.json()["detail"]
    assert _ratings(live_app.db_path) == []

    leased = api["bob"].post("/sessions/Demo session/next").json()  # a pairwise lease, as before (+ message)
    assert set(leased) == {"done", "item", "progress", "message", "kind"} and leased["kind"] == "pairwise"
    assert {"item", "comparison_id", "left", "right", "left_model", "right_model"} <= set(leased["item"])
    assert "swapped" not in leased["item"]  # the order drawn stays with the lease (it would name response 1)


def test_openapi_lists_the_rating_route_and_a_lease_discriminated_by_kind(live_app) -> None:
    schema = httpx.get(live_app.url + "api/v1/openapi.json").json()
    assert "/api/v1/ratings" in schema["paths"]
    submit = schema["paths"]["/api/v1/ratings"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in submit["parameters"]}
    assert {"409", "403", "400", "404"} <= set(submit["responses"])
    rating_in = schema["components"]["schemas"]["RatingIn"]["properties"]
    assert {"session", "item", "response_id", "rating", "skipped", "expected_version", "confidence"} <= set(rating_in)
    lease = schema["paths"]["/api/v1/sessions/{name}/next"]["post"]["responses"]["200"]["content"]
    answer = lease["application/json"]["schema"]
    assert answer["discriminator"]["propertyName"] == "kind"
    assert set(answer["discriminator"]["mapping"]) == {"pairwise", "single"}
    components = schema["components"]["schemas"]
    assert {"done", "item", "progress", "message", "kind"} == set(components["NextOut"]["properties"])
    assert {"scale", "rubric", "response", "reference", "guideline_version"} <= set(
        components["GradingItemOut"]["properties"]
    )
