"""The app as users drive it: in-process server, gradio_client sessions, real SQLite, real judge."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_ids import outputs_by_id, predict

pytestmark = pytest.mark.model


def _client(url: str, name: str, accounts: dict[str, str]) -> Client:
    """One logged-in user (Gradio's login page guards every page and endpoint)."""
    return Client(url, auth=(name, accounts[name]), verbose=False)


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


SESSION = "Demo session"
HEADER, PROMPT, LEFT, RIGHT, FEEDBACK = (
    "annotate-header",
    "annotate-prompt",
    "annotate-response-1",
    "annotate-response-2",
    "annotate-feedback",
)


def _item(client: Client, api_name: str, *args: object) -> dict:
    """An Annotate endpoint's outputs by elem_id."""
    return predict(client, api_name, *args)


def _shown(outputs: dict) -> str:
    """The handle the header names the item by (annotators are told no ids: s15 blindids)."""
    match = re.search(r"Item \*\*([A-Z2-7]+)\*\*", outputs[HEADER])
    assert match, outputs[HEADER]
    return match.group(1)


def _id_of(db_path: Path, name: str, handle: str, session: str = SESSION) -> int:
    """The comparison ``handle`` names for ``name`` in ``session`` (resolved as the REST submit resolves it)."""
    from annotation_store import open_store
    from orchestration.item_handles import HandleBook

    store = open_store(db_path)
    try:
        return HandleBook(store, "pairwise", "comparison").resolve(name, session, handle)
    finally:
        store.close()


def test_annotator_labels_and_the_label_is_in_sqlite(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    alice = _client(running_app, "alice", app_accounts)
    shown = _item(alice, "/next_item", SESSION)
    handle = _shown(shown)
    comparison_id = _id_of(db_path, "alice", handle)
    assert "Instruction" in shown[PROMPT] and shown[LEFT] and shown[RIGHT]
    after = _item(alice, "/submit_label", SESSION, "left", 4, False, "clear winner")
    assert f"Saved **Left is better** on item {handle} (version 1)" in after[FEEDBACK]
    assert _shown(after) != handle  # the next comparison is shown at once
    ((verdict, swapped, confidence, comment),) = _sql(
        db_path,
        "SELECT l.verdict, l.presented_swapped, l.confidence, l.comment FROM labels l "
        "JOIN annotators a ON a.id = l.annotator_id WHERE a.name = 'alice' AND l.comparison_id = ?",
        comparison_id,
    )
    assert verdict == ("2" if swapped else "1")  # "left" mapped back to canonical order
    assert (confidence, comment) == (4, "clear winner")


def test_two_annotators_each_get_their_own_next_item(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    alice, bob = _client(running_app, "alice", app_accounts), _client(running_app, "bob", app_accounts)
    a_first = _id_of(db_path, "alice", _shown(_item(alice, "/next_item", SESSION)))
    b_first = _id_of(db_path, "bob", _shown(_item(bob, "/next_item", SESSION)))
    assert b_first != a_first  # alice's lease counts: least-annotated first
    alice.predict(SESSION, "tie", 0, False, "", api_name="/submit_label")
    bob.predict(SESSION, "right", 0, False, "", api_name="/submit_label")
    rows = _sql(
        db_path,
        "SELECT a.name, l.comparison_id FROM labels l JOIN annotators a ON a.id = l.annotator_id ORDER BY a.name",
    )
    assert rows == [("alice", a_first), ("bob", b_first)]


def test_a_submit_without_an_item_on_screen_is_refused_with_a_message(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    client = _client(running_app, "alice", app_accounts)
    nothing = predict(client, "/submit_label", SESSION, "left", 0, False, "")
    assert "there is no comparison on screen" in nothing["annotate-feedback"]
    client.predict(SESSION, api_name="/next_item")
    unchosen = predict(client, "/submit_label", SESSION, None, 0, False, "")
    assert "Choose Left, Right or Tie first" in unchosen["annotate-feedback"]
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]


def test_an_annotator_cannot_reach_reviewer_or_admin_endpoints(running_app: str, app_accounts: dict[str, str]) -> None:
    alice = _client(running_app, "alice", app_accounts)
    with pytest.raises(Exception, match="needs the reviewer role"):
        alice.predict(2, api_name="/show_comparison")
    with pytest.raises(Exception, match="needs the admin role"):
        alice.predict(api_name="/admin_accounts")


def test_case_study_judges_once_with_the_real_model_and_stores_the_verdict(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    client = _client(running_app, "rita", app_accounts)
    shown = predict(client, "/show_comparison", 2)
    assert "Response 1 · `" in shown["case-response-1-title"] and "Not judged yet" in shown["judge-verdict"]
    job = client.submit(2, api_name="/judge_comparison")
    outputs = [outputs_by_id(client, "/judge_comparison", step) for step in job]
    assert len(outputs) >= 2, "the judge output is streamed in several updates"
    last = outputs[-1]
    raw, verdict, reason, reference = (last[f"judge-{k}"] for k in ("raw", "verdict", "reason", "reference"))
    status = last["judge-status"]
    assert raw.strip()
    # the demo judge's verdicts are mostly coin flips: shown as uncertain, with the probabilities
    assert any(head in verdict for head in ("### Verdict: Response", "### Verdict: Tie", "### Uncertain: leaning"))
    assert "p(1)" in verdict and "Reason" in reason and "Judge's reference answer" in reference
    assert "Judge ready: SmolLM2-135M-Instruct" in status and "verdict constrained (both orders)" in status
    stored = _sql(
        db_path,
        "SELECT v.status, v.verdict, v.raw_output, v.p_1 + v.p_2 + v.p_tie, r.model, r.profile, r.fingerprint "
        "FROM judge_verdicts v JOIN judge_runs r ON r.id = v.run_id WHERE v.comparison_id = 2",
    )
    assert len(stored) == 1
    status_value, verdict_value, raw_output, total_p, model, profile, fingerprint = stored[0]
    assert status_value == "ok" and verdict_value in {"1", "2", "tie"}
    assert raw_output == raw
    assert abs(total_p - 1) < 1e-6
    assert model.startswith("SmolLM2-135M-Instruct") and profile == "pandalm"
    for key in ("weights_digest", "quantization", "prompt_template_hash", "decoding", "seed", "versions"):
        assert key in fingerprint


def test_dashboard_shows_agreement_after_labels_and_verdicts(running_app: str, app_accounts: dict[str, str]) -> None:
    client = _client(running_app, "rita", app_accounts)
    before = predict(client, "/dashboard", "judge-studio-demo", None)
    assert "**0** human labels" in before["dashboard-summary"]
    alice = _client(running_app, "alice", app_accounts)
    _item(alice, "/next_item", SESSION)
    alice.predict(SESSION, "right", 0, False, "", api_name="/submit_label")
    after = predict(client, "/dashboard", "judge-studio-demo", None)
    assert "**1** human label from **1** annotator on" in after["dashboard-summary"]


def test_simultaneous_annotators_get_leased_items_within_the_overlap_and_every_label_lands_once(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    import threading

    from annotation_store import open_store

    store = open_store(db_path)
    names = [f"crowd{i}" for i in range(6)]
    for name in names:
        store.create_annotator(name, password=f"{name}-pass-1")
    store.save_session("pairs", "judge-studio-demo", overlap=2)
    store.close()
    submitted: dict[str, list[str]] = {}
    errors: list[str] = []

    def work(name: str) -> None:
        try:
            client = Client(running_app, auth=(name, f"{name}-pass-1"), verbose=False)
            shown = _item(client, "/next_item", "pairs")
            mine = []
            for i in range(4):
                mine.append(_shown(shown))
                shown = _item(client, "/submit_label", "pairs", ("left", "right", "tie")[i % 3], 0, False, "")
            submitted[name] = mine
        except Exception as exc:  # collected: the assertion below shows it
            errors.append(f"{name}: {exc}")

    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    rows = _sql(
        db_path,
        "SELECT a.name, l.comparison_id, l.version FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        "WHERE a.name LIKE 'crowd%'",
    )
    shown = [(n, _id_of(db_path, n, h, "pairs")) for n, handles in submitted.items() for h in handles]
    assert sorted((n, c) for n, c, _v in rows) == sorted(shown)
    assert {v for _n, _c, v in rows} == {1}  # each label landed once, no second version
    per_item = _sql(db_path, "SELECT comparison_id, count(*) FROM labels GROUP BY comparison_id HAVING count(*) > 2")
    assert per_item == []  # never more annotators on a comparison than the session's overlap
    assert _sql(db_path, "SELECT count(*) FROM label_events") == [(len(rows),)]
