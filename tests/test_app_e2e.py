"""The app as users drive it: in-process server, gradio_client sessions, real SQLite, real judge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from gradio_client import Client

pytestmark = pytest.mark.model


def _client(url: str, name: str, accounts: dict[str, str]) -> Client:
    """One logged-in user (Gradio's login page guards every page and endpoint)."""
    return Client(url, auth=(name, accounts[name]), verbose=False)


def _sql(path: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, args).fetchall()


def test_annotator_labels_and_the_label_is_in_sqlite(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    alice = _client(running_app, "alice", app_accounts)
    comparison_id, prompt, left, right, feedback = alice.predict("alice", api_name="/next_item")
    assert comparison_id == 1 and "Instruction" in prompt and left and right
    after = alice.predict("alice", comparison_id, api_name="/label_1")
    assert "Saved **Response 1 is better** on #1" in after[4]
    assert after[0] != comparison_id  # the next comparison is shown at once
    assert _sql(
        db_path, "SELECT l.comparison_id, a.name, l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id"
    ) == [(1, "alice", "1")]


def test_two_annotators_each_get_their_own_next_item(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    alice, bob = _client(running_app, "alice", app_accounts), _client(running_app, "bob", app_accounts)
    a_first = alice.predict("alice", api_name="/next_item")[0]
    alice.predict("alice", a_first, api_name="/label_tie")
    b_first = bob.predict("bob", api_name="/next_item")[0]
    assert b_first != a_first  # least-labelled first
    bob.predict("bob", b_first, api_name="/label_2")
    rows = _sql(
        db_path, "SELECT a.name, l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id ORDER BY a.name"
    )
    assert rows == [("alice", "tie"), ("bob", "2")]


def test_label_without_a_name_is_refused_with_a_message(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    client = _client(running_app, "alice", app_accounts)
    with pytest.raises(Exception, match="Enter your annotator name"):
        client.predict("", 1, api_name="/label_1")
    assert _sql(db_path, "SELECT count(*) FROM labels") == [(0,)]


def test_case_study_judges_once_with_the_real_model_and_stores_the_verdict(
    running_app: str, db_path: Path, app_accounts: dict[str, str]
) -> None:
    client = _client(running_app, "rita", app_accounts)
    shown = client.predict(2, api_name="/show_comparison")
    assert "Response 1 · `" in shown[2] and "Not judged yet" in shown[7]
    job = client.submit(2, api_name="/judge_comparison")
    outputs = list(job)
    assert len(outputs) >= 2, "the judge output is streamed in several updates"
    raw, verdict, reason, reference, status = outputs[-1]
    assert raw.strip()
    assert "### Verdict: Response" in verdict or "### Verdict: Tie" in verdict
    assert "p(1)" in verdict and "Reason" in reason and "Reference answer" in reference
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
    before = client.predict("judge-studio-demo", None, api_name="/dashboard")
    assert "**0** human labels" in before[0]
    first = client.predict("carol", api_name="/next_item")[0]
    client.predict("carol", first, api_name="/label_2")
    after = client.predict("judge-studio-demo", None, api_name="/dashboard")
    assert "**1** human labels from **1** annotators" in after[0]
