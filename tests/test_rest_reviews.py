"""Review (adjudication) over REST, as a script or a second front-end would do it: list the
disagreement queue, open one comparison, set the final label. The real app (uvicorn on a free port),
httpx, API tokens, and the SQLite file checked afterwards; the same role rules as the Review page.

The case, on a copy of the seeded demo database (labels and verdicts written through the store):

    c1: alice 1 · bob 2      judge 1 (swapped order: 2)   people disagree, no majority (the judge sides with alice)
    c2: alice tie            judge 1                       the judge disagrees
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from annotation_store import NewVerdict

DEMO = "judge-studio-demo"
MODELS = ["atlas-13b-chat", "borealis-7b-dpo", "verbose-7b-sft", "cirrus-3b-base", "drizzle-1b"]
REASON = "JUDGE-REASON-MARKER: the first one answers the question."
MAX_ID = 2**63 - 1


def _adjudications(path: Path) -> list[tuple[Any, ...]]:
    """(comparison, reviewer, verdict, rationale) of every stored adjudication."""
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT j.comparison_id, a.name, j.verdict, j.rationale FROM adjudications j "
            "JOIN annotators a ON a.id = j.reviewer_id ORDER BY j.comparison_id"
        ).fetchall()


@pytest.fixture
def case(live_app) -> dict[str, Any]:
    """The module docstring's case; ``case["api"]["rita"]`` is a client with rita's token."""
    studio = live_app.studio
    store = studio.store
    c1, c2 = (int(i) for i in store.comparison_table(DEMO)["id"].head(2))
    store.save_label(c1, "alice", "1")
    store.save_label(c1, "bob", "2")
    store.save_label(c2, "alice", "tie")
    run = store.ensure_judge_run("test-judge", {"model": "test-judge", "profile": "pandalm"})
    store.save_verdict(run, NewVerdict(c1, "1", "ok", reason=REASON, p_1=0.7, p_2=0.2, p_tie=0.1))
    store.save_verdict(run, NewVerdict(c1, "2", "ok", reason="swapped", swapped=True))
    store.save_verdict(run, NewVerdict(c2, "1", "ok", reason=REASON))
    clients = {
        name: httpx.Client(
            base_url=live_app.url + "api/v1",
            headers={"Authorization": f"Bearer {studio.access.api_token(name)}"},
            timeout=120,
        )
        for name in ("admin", "rita", "alice")
    }
    yield {"api": clients, "c1": c1, "c2": c2, "run": run}
    for client in clients.values():
        client.close()


def _settle(client: httpx.Client, comparison_id: Any, verdict: Any = "2", rationale: Any = "bob is right") -> Any:
    return client.post(
        "/adjudications", json={"comparison_id": comparison_id, "verdict": verdict, "rationale": rationale}
    )


def test_an_annotator_gets_403_on_the_queue_an_item_and_an_adjudication(case, live_app) -> None:
    alice, c1 = case["api"]["alice"], case["c1"]
    for refused in (
        alice.get("/reviews", params={"dataset": DEMO}),
        alice.get("/reviews"),
        alice.get(f"/reviews/{c1}"),
        alice.get("/reviews/999999"),  # not even "no such comparison"
        _settle(alice, c1),
        _settle(alice, 999999, verdict="nonsense"),
    ):
        assert refused.status_code == 403, refused.text
        assert "needs the reviewer role" in refused.json()["detail"]
        assert not [m for m in MODELS if m in refused.text] and REASON not in refused.text
    assert _adjudications(live_app.db_path) == []


def test_a_reviewer_lists_the_queue_reads_an_item_and_settles_it(case, live_app) -> None:
    rita, c1, c2 = case["api"]["rita"], case["c1"], case["c2"]
    listed = rita.get("/reviews", params={"dataset": DEMO})
    assert listed.status_code == 200, listed.text
    queue = listed.json()
    assert (queue["dataset"], queue["kind"], queue["open_only"], queue["total"]) == (DEMO, "any", False, 2)
    first, second = queue["items"]
    comparison = live_app.studio.store.get_comparison(c1)
    assert first == {
        "comparison_id": c1,
        "dataset": DEMO,
        "category": comparison.category,
        "model1": comparison.model1,
        "model2": comparison.model2,
        "labels": {"alice": "1", "bob": "2"},
        "n_labels": 2,
        "judge_verdict": "1",
        "reasons": ["people disagree", "no majority; judge sides with one"],  # not "judge disagrees" (s16)
        "adjudication": None,
    }
    assert (second["comparison_id"], second["labels"], second["reasons"]) == (c2, {"alice": "tie"}, ["judge disagrees"])
    people = rita.get("/reviews", params={"dataset": DEMO, "kind": "people disagree"}).json()
    assert [i["comparison_id"] for i in people["items"]] == [c1]

    item = rita.get(f"/reviews/{c1}").json()
    assert (item["id"], item["response1"], item["response2"]) == (c1, comparison.response1, comparison.response2)
    assert (item["instruction"], item["model1"], item["adjudication"], item["gold"]) == (
        comparison.instruction,
        comparison.model1,
        None,
        None,
    )
    assert [(x["annotator"], x["kind"], x["verdict"], x["skipped"]) for x in item["labels"]] == [
        ("alice", "crowd", "1", False),
        ("bob", "crowd", "2", False),
    ]
    opinions = [(o["judge"], o["swapped"], o["verdict"], o["reason"]) for o in item["judge_opinions"]]
    assert opinions == [("test-judge", False, "1", REASON), ("test-judge", True, "2", "swapped")]
    assert item["judge_opinions"][0]["probabilities"] == pytest.approx({"1": 0.7, "2": 0.2, "tie": 0.1})
    assert item["judge_opinions"][1]["probabilities"] is None

    saved = _settle(rita, c1, "2", "  bob is right: the first misreads the question  ")
    assert saved.status_code == 200, saved.text
    stored = saved.json()
    assert (stored["comparison_id"], stored["reviewer"], stored["verdict"]) == (c1, "rita", "2")
    assert stored["rationale"] == "bob is right: the first misreads the question"
    assert _adjudications(live_app.db_path) == [(c1, "rita", "2", "bob is right: the first misreads the question")]

    assert rita.get(f"/reviews/{c1}").json()["adjudication"] == stored
    still_open = rita.get("/reviews", params={"dataset": DEMO, "open_only": True}).json()
    assert [i["comparison_id"] for i in still_open["items"]] == [c2]
    everything = rita.get("/reviews", params={"dataset": DEMO}).json()
    assert everything["items"][0]["adjudication"] == "2"

    # the one report counts it: the people's label of c1 is now 2 (alice 1 · bob 2 was a tie)
    metrics = rita.get("/metrics", params={"dataset": DEMO, "bootstrap": 20}).json()
    assert metrics["counts"]["adjudicated"] == 1
    assert metrics["adjudications"]["note"] == "1 comparison settled by a reviewer's adjudication"
    assert metrics["label_distribution"] == {"1": 0, "2": 1, "tie": 1}


def test_an_admin_may_change_the_final_label_and_the_queue_pages(case, live_app) -> None:
    c1 = case["c1"]
    assert _settle(case["api"]["rita"], c1).status_code == 200
    changed = _settle(case["api"]["admin"], c1, "tie", "both miss the second part")
    assert changed.status_code == 200 and changed.json()["reviewer"] == "admin"
    assert _adjudications(live_app.db_path) == [(c1, "admin", "tie", "both miss the second part")]
    page = case["api"]["admin"].get("/reviews", params={"limit": 1, "offset": 1}).json()
    assert (page["dataset"], page["total"], page["limit"], page["offset"]) == (None, 2, 1, 1)
    assert [i["comparison_id"] for i in page["items"]] == [case["c2"]]


def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(case, live_app) -> None:
    rita, c1 = case["api"]["rita"], case["c1"]
    for verdict in ("left", "", "Response 1"):
        bad = _settle(rita, c1, verdict=verdict)
        assert bad.status_code == 400, bad.text
        assert "verdict" in bad.json()["detail"] and "1, 2 or tie" in bad.json()["detail"]
    blank = _settle(rita, c1, rationale="   ")
    assert blank.status_code == 400 and "rationale" in blank.json()["detail"]
    assert _settle(rita, c1, verdict=None).status_code == 422  # not a string at all: the schema says so
    unknown_dataset = rita.get("/reviews", params={"dataset": "no-such-dataset"})
    assert unknown_dataset.status_code == 404 and DEMO in unknown_dataset.json()["detail"]
    assert rita.get("/reviews", params={"kind": "everything"}).status_code == 422
    assert _adjudications(live_app.db_path) == []


def test_unknown_ids_are_404_and_ids_beyond_64_bits_are_refused_not_500(case, live_app) -> None:
    rita = case["api"]["rita"]
    assert rita.get("/reviews/999999").status_code == 404
    missing = _settle(rita, 999999)
    assert missing.status_code == 404 and "no comparison with id 999999" in missing.json()["detail"]
    for number in (MAX_ID + 1, 2**64, 0, -1):
        assert rita.get(f"/reviews/{number}").status_code == 422, number
        refused = _settle(rita, number)
        assert refused.status_code == 400, refused.text
        assert "comparison_id must be a whole number" in refused.json()["detail"]
    assert rita.get(f"/reviews/{MAX_ID}").status_code == 404
    assert _adjudications(live_app.db_path) == []


def test_openapi_describes_the_review_routes(live_app) -> None:
    schema = httpx.get(live_app.url + "api/v1/openapi.json").json()
    for path, method in (
        ("/api/v1/reviews", "get"),
        ("/api/v1/reviews/{comparison_id}", "get"),
        ("/api/v1/adjudications", "post"),
    ):
        assert method in schema["paths"][path], path
        assert schema["paths"][path][method]["description"], path
    kinds = {p["name"]: p for p in schema["paths"]["/api/v1/reviews"]["get"]["parameters"]}["kind"]
    assert set(kinds["schema"]["enum"]) == {"any", "people disagree", "judge disagrees"}
    body = schema["components"]["schemas"]["AdjudicationIn"]["properties"]
    assert '"1", "2" or "tie"' in body["verdict"]["description"] and body["rationale"]["description"]
