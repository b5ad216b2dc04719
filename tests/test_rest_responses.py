"""Judge ratings over REST, as a reviewer's script reads them: ``GET /responses`` lists a dataset's single
responses with the judge's latest rating and how many people rated each, ``GET /responses/{id}`` shows
one with every judge run's rating and every person's rating. The real app (uvicorn on a free port),
httpx, API tokens; ratings written through the store's own API.

The case, on a copy of the seeded demo database:

    r1: judge run A (mtbench-single, 1-10) 6, then run B (prometheus2-absolute, 1-5) 4 with a spread
        (the latest); alice rated it 7 with a comment, bob skipped it
    r2: judge run A unparsed (no rating); nobody rated it
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from annotation_store import NewJudgeRating

DEMO = "judge-studio-demo"
MAX_ID = 2**63 - 1
REASON_A = "RUN-A: fine <b>but</b> long & 'wordy'"
REASON_B = "RUN-B: <script>alert(1)</script> correct & concise"
COMMENT = "<i>clear</i> & right"


@pytest.fixture
def case(live_app) -> dict[str, Any]:
    """The module docstring's case; ``case["api"]["rita"]`` is a client with rita's token."""
    store = live_app.studio.store
    r1, r2 = (response.id for response in store.responses(DEMO)[:2])
    run_a = store.ensure_judge_run("judge-a", {"model": "judge-a", "profile": "mtbench-single"})
    run_b = store.ensure_judge_run("judge-b", {"model": "judge-b", "profile": "prometheus2-absolute"})
    store.save_judge_rating(run_a, NewJudgeRating(r1, 6.0, "ok", reason=REASON_A), scale=10)
    store.save_judge_rating(run_a, NewJudgeRating(r2, None, "unparsed", reason="no score"), scale=10)
    store.save_judge_rating(run_b, NewJudgeRating(r1, 4.0, "ok", reason=REASON_B), scale=5, rating_sd=0.5)
    store.save_rating(r1, "alice", 7, comment=COMMENT, confidence=4)
    store.save_rating(r1, "bob", None, skipped=True)
    clients = {
        name: httpx.Client(
            base_url=live_app.url + "api/v1",
            headers={"Authorization": f"Bearer {live_app.studio.access.api_token(name)}"},
            timeout=120,
        )
        for name in ("admin", "rita", "alice")
    }
    yield {"api": clients, "r1": r1, "r2": r2, "run_a": run_a, "run_b": run_b}
    for client in clients.values():
        client.close()


def test_an_annotator_gets_403_on_the_list_and_on_any_response(case) -> None:
    alice = case["api"]["alice"]
    for refused in (
        alice.get("/responses", params={"dataset": DEMO}),
        alice.get("/responses", params={"dataset": "no-such-dataset"}),
        alice.get(f"/responses/{case['r1']}"),
        alice.get("/responses/999999"),  # not even "no such response"
    ):
        assert refused.status_code == 403, refused.text
        assert "judge-b" not in refused.text and REASON_B not in refused.text


def test_a_reviewer_lists_responses_with_the_judge_s_latest_rating_and_how_many_people_rated(case, live_app) -> None:
    stored = live_app.studio.store.responses(DEMO)
    listed = case["api"]["rita"].get("/responses", params={"dataset": DEMO, "limit": 500})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["dataset"], page["total"], page["limit"], page["offset"]) == (DEMO, len(stored), 500, 0)
    assert [item["id"] for item in page["items"]] == [r.id for r in stored]
    first, second = page["items"][:2]
    r1 = stored[0]
    assert (first["dataset"], first["prompt_key"], first["category"]) == (DEMO, r1.prompt_key, r1.category)
    assert (first["model"], first["instruction"]) == (r1.model, r1.instruction)
    assert first["judge"] == {
        "run_id": case["run_b"],
        "judge_model": "judge-b",
        "profile": "prometheus2-absolute",
        "rating": 4.0,
        "status": "ok",
        "scale": 5,
        "rating_sd": 0.5,
        "reason": REASON_B,
    }
    assert first["people_ratings"] == 1  # bob's skip is not a rating
    assert second["judge"]["run_id"] == case["run_a"] and second["judge"]["status"] == "unparsed"
    assert second["judge"]["rating"] is None and second["judge"]["rating_sd"] is None
    assert second["people_ratings"] == 0
    assert all(item["judge"] is None and item["people_ratings"] == 0 for item in page["items"][2:])

    window = case["api"]["admin"].get("/responses", params={"dataset": DEMO, "limit": 2, "offset": 1}).json()
    assert [item["id"] for item in window["items"]] == [r.id for r in stored[1:3]]


def test_the_detail_shows_the_texts_every_judge_run_and_every_person_s_rating(case, live_app) -> None:
    r1 = live_app.studio.store.get_response(case["r1"])
    shown = case["api"]["rita"].get(f"/responses/{case['r1']}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["id"], body["dataset"], body["prompt_key"], body["category"]) == (
        r1.id,
        DEMO,
        r1.prompt_key,
        r1.category,
    )
    assert (body["instruction"], body["input"], body["reference"]) == (r1.instruction, r1.input, r1.reference)
    assert (body["model"], body["response"]) == (r1.model, r1.text)
    runs = body["judge_ratings"]
    assert [(j["run_id"], j["judge_model"], j["rating"], j["scale"]) for j in runs] == [
        (case["run_a"], "judge-a", 6.0, 10),
        (case["run_b"], "judge-b", 4.0, 5),
    ]
    assert runs[-1] == body["judge"] and body["judge"]["reason"] == REASON_B and body["judge"]["rating_sd"] == 0.5
    assert runs[0]["reason"] == REASON_A  # an older run's explanation too
    assert body["ratings"] == [
        {
            "annotator": "alice",
            "rating": 7,
            "scale": 10,
            "skipped": False,
            "flagged": False,
            "confidence": 4,
            "comment": COMMENT,
            "version": 1,
        },
        {
            "annotator": "bob",
            "rating": None,
            "scale": 10,
            "skipped": True,
            "flagged": False,
            "confidence": None,
            "comment": "",
            "version": 1,
        },
    ]
    unrated = case["api"]["rita"].get(f"/responses/{case['r2']}").json()
    assert unrated["judge"]["status"] == "unparsed" and unrated["judge"]["reason"] == "no score"
    assert unrated["ratings"] == [] and len(unrated["judge_ratings"]) == 1


def test_model_names_reasons_and_comments_come_back_as_plain_json_strings(case, live_app) -> None:
    shown = case["api"]["rita"].get(f"/responses/{case['r1']}")
    assert shown.headers["content-type"].startswith("application/json")
    body = shown.json()
    assert body["judge"]["reason"] == REASON_B and body["ratings"][0]["comment"] == COMMENT
    assert "&lt;" not in shown.text and "&amp;" not in shown.text  # nothing escaped into HTML
    assert body["model"] == live_app.studio.store.get_response(case["r1"]).model


def test_unknown_ids_and_datasets_are_404_and_bad_numbers_are_422(case) -> None:
    rita = case["api"]["rita"]
    missing = rita.get("/responses/999999")
    assert missing.status_code == 404 and "no response with id 999999" in missing.json()["detail"]
    assert rita.get(f"/responses/{MAX_ID}").status_code == 404
    for number in (MAX_ID + 1, 2**64, 0, -1):
        assert rita.get(f"/responses/{number}").status_code == 422, number
    unknown = rita.get("/responses", params={"dataset": "no-such-dataset"})
    assert unknown.status_code == 404 and "no dataset named 'no-such-dataset'" in unknown.json()["detail"]
    assert rita.get("/responses").status_code == 422  # the dataset is required
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": MAX_ID + 1}):
        assert rita.get("/responses", params={"dataset": DEMO, **params}).status_code == 422, params


def test_openapi_describes_the_responses_routes(live_app) -> None:
    schema = httpx.get(live_app.url + "api/v1/openapi.json").json()
    for path in ("/api/v1/responses", "/api/v1/responses/{response_id}"):
        assert schema["paths"][path]["get"]["description"], path
    judge = schema["components"]["schemas"]["JudgeRunRatingOut"]["properties"]
    assert judge["rating"]["description"] and judge["scale"]["description"] and judge["reason"]["description"]
