"""``POST /sessions/{name}/next`` over REST: a done answer says why a session ended early for you (items of
its dataset answered in another session), and a lease carries ``final`` ('' while an answer may change)."""

from __future__ import annotations

from typing import Any

import httpx


def _client(live_app: Any, name: str) -> httpx.Client:
    token = live_app.studio.access.api_token(name)
    return httpx.Client(base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60)


def test_next_says_why_a_session_is_done_early_and_items_carry_final(live_app: Any) -> None:
    store = live_app.studio.store
    data = {
        "name": "one pair",
        "models": [{"name": "a"}, {"name": "b"}],
        "prompts": [{"id": "q1", "instruction": "Say hi", "responses": {"a": "hi", "b": "hello"}}],
    }
    assert store.seed_dataset(data, pairs_per_prompt=1)
    store.save_session("first", "one pair")
    store.save_session("second", "one pair")
    store.save_session("rates", "one pair", kind="single")
    with _client(live_app, "alice") as alice:
        item = alice.post("/sessions/first/next").json()["item"]
        assert item["final"] == ""  # a new lease: the answer may still change
        label = {"session": "first", "item": item["item"], "choice": "left"}
        assert alice.post("/labels", json=label).status_code == 200
        done = alice.post("/sessions/second/next").json()
        assert done["done"] is True and done["item"] is None and done["kind"] == "pairwise"
        assert done["message"] == (
            "You have already answered the only comparison of this dataset (in session 'first'): each person "
            "answers a comparison once, whatever the session."
        )
        lease = alice.post("/sessions/rates/next").json()
        while not lease["done"]:  # rate both responses of the dataset
            assert lease["kind"] == "single" and lease["item"]["final"] == ""
            rated = {"session": "rates", "item": lease["item"]["item"], "rating": 5}
            assert alice.post("/ratings", json=rated).status_code == 200
            lease = alice.post("/sessions/rates/next").json()
        assert lease["message"] == "You have rated every response this session has for you."  # the page's line
    with _client(live_app, "bob") as bob:
        fresh = bob.post("/sessions/second/next").json()
        assert fresh["done"] is False and fresh["message"] == ""
