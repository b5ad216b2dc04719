"""Annotation sessions as annotators live them, through the orchestration layer the UI and the REST
API call: leases, the left/right order mapped back to canonical verdicts, gold checks, the judge
revealed only after a submit, going back to edit, and accounts/roles/invites/tokens in the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from annotation_store import NewVerdict, StoreError
from orchestration import DEMO_SESSION, AccessDenied, Settings, Studio, canonical_verdict
from orchestration.annotation import presented_choice


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob", "carol"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    s.store.create_annotator("rita", role="reviewer", password="rita-pass-1")
    return s


def _rows(db_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute(query).fetchall()


@pytest.mark.parametrize(
    ("choice", "swapped", "verdict"),
    [("left", False, "1"), ("right", False, "2"), ("left", True, "2"), ("right", True, "1"), ("tie", True, "tie")],
)
def test_the_answer_about_what_was_shown_is_stored_in_canonical_order(choice, swapped, verdict) -> None:
    assert canonical_verdict(choice, swapped) == verdict
    assert presented_choice(verdict, swapped) == choice
    assert canonical_verdict("skip", swapped) is None


def test_a_swapped_item_answered_left_stores_verdict_2_and_the_order_shown(studio: Studio, db_path: Path) -> None:
    # find an item alice is shown swapped (the order is random per item, so look until one is)
    for _ in range(30):
        item = studio.desk.next_item("alice", DEMO_SESSION)
        assert item is not None
        if item.swapped:
            break
        studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "tie", swapped=False)
    assert item.swapped and item.left == item.comparison.response2
    studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "left", swapped=True, time_on_item_ms=1234)
    assert _rows(
        db_path,
        "SELECT verdict, presented_swapped, time_on_item_ms FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        f"WHERE a.name = 'alice' AND l.comparison_id = {item.comparison.id}",
    ) == [("2", 1, 1234)]


def test_people_working_at_once_get_the_least_annotated_items_and_a_reload_keeps_the_lease(studio: Studio) -> None:
    studio.store.save_session("pairs", "judge-studio-demo", overlap=2)
    seen = [studio.desk.next_item(name, "pairs") for name in ("alice", "bob", "carol")]
    ids = [i.comparison.id for i in seen if i is not None]
    assert len(set(ids)) == 3  # a live lease counts as coverage: nobody waits on the same item
    assert studio.desk.next_item("alice", "pairs").comparison.id == ids[0]  # a reload gives the same lease
    studio.desk.submit("alice", "pairs", ids[0], "tie", swapped=seen[0].swapped)
    studio.desk.submit("bob", "pairs", ids[1], "tie", swapped=seen[1].swapped)
    # least-annotated first: items nobody has labelled or leased come before alice's item (1 of 2 labels)
    nxt = studio.desk.next_item("bob", "pairs")
    assert nxt.comparison.id not in ids


def test_the_judge_is_revealed_only_after_the_submit_and_only_if_the_session_says_so(studio: Studio) -> None:
    item = studio.desk.next_item("alice", DEMO_SESSION)
    run = studio.store.ensure_judge_run("fp-test", {"model": "test-judge"})
    studio.store.save_verdict(run, NewVerdict(item.comparison.id, "1", "ok", reason="because"))
    outcome = studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "tie", swapped=item.swapped)
    assert outcome.judge is not None and outcome.judge.verdict == "1"
    assert outcome.judge_choice == ("right" if item.swapped else "left")
    studio.store.save_session("no-reveal", "judge-studio-demo", reveal_judge=False)
    other = studio.desk.next_item("bob", "no-reveal")
    studio.store.save_verdict(run, NewVerdict(other.comparison.id, "2", "ok"))
    hidden = studio.desk.submit("bob", "no-reveal", other.comparison.id, "left", swapped=other.swapped)
    assert hidden.judge is None and hidden.judge_choice is None


def test_gold_items_come_at_the_configured_rate_with_feedback(studio: Studio) -> None:
    gold = set(studio.store.gold_labels("judge-studio-demo")["comparison_id"])
    assert len(gold) == 6  # the demo session's attention checks
    served = []
    for _ in range(20):
        item = studio.desk.next_item("carol", DEMO_SESSION)
        outcome = studio.desk.submit("carol", DEMO_SESSION, item.comparison.id, "tie", swapped=item.swapped)
        served.append((item.is_gold, outcome.gold_correct))
    # gold rate 0.1: exactly one gold item in each block of 10, at a slot drawn for carol
    assert [i // 10 for i, (is_gold, _) in enumerate(served) if is_gold] == [0, 1]
    assert all(correct is False for is_gold, correct in served if is_gold)  # a tie is never a demo gold answer
    assert all(correct is None for is_gold, correct in served if not is_gold)


def test_going_back_and_editing_makes_a_new_version_and_a_stale_edit_is_refused(studio: Studio, db_path: Path) -> None:
    # nothing shown (no judge, no gold item): edits stay open
    studio.store.save_session(DEMO_SESSION, "judge-studio-demo", reveal_judge=False, gold_rate=0.0)
    first = studio.desk.next_item("alice", DEMO_SESSION)
    studio.desk.submit("alice", DEMO_SESSION, first.comparison.id, "left", swapped=first.swapped)
    second = studio.desk.next_item("alice", DEMO_SESSION)
    back = studio.desk.previous("alice", DEMO_SESSION, second.comparison.id)
    assert back is not None and back.comparison.id == first.comparison.id
    assert back.label is not None and presented_choice(back.label.verdict, back.swapped) == "left"
    edited = studio.desk.submit(
        "alice", DEMO_SESSION, back.comparison.id, "right", swapped=back.swapped, expected_version=1
    )
    assert edited.label.version == 2
    with pytest.raises(StoreError, match="changed elsewhere"):  # another tab still shows version 1
        studio.desk.submit("alice", DEMO_SESSION, back.comparison.id, "tie", swapped=back.swapped, expected_version=1)
    assert _rows(
        db_path,
        f"SELECT action, version FROM label_events WHERE comparison_id = {first.comparison.id} ORDER BY id",
    ) == [("created", 1), ("changed", 2)]
    # the next item is still the one leased before going back
    assert studio.desk.next_item("alice", DEMO_SESSION).comparison.id == second.comparison.id


def test_a_late_retry_of_an_earlier_submit_does_not_overwrite_a_later_edit(studio: Studio) -> None:
    # nothing shown (no judge, no gold item): edits stay open
    studio.store.save_session(DEMO_SESSION, "judge-studio-demo", reveal_judge=False, gold_rate=0.0)
    item = studio.desk.next_item("alice", DEMO_SESSION)
    studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "left", swapped=item.swapped, idempotency_key="a")
    studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "right", swapped=item.swapped, idempotency_key="b")
    retried = studio.desk.submit(
        "alice", DEMO_SESSION, item.comparison.id, "left", swapped=item.swapped, idempotency_key="a"
    )
    assert presented_choice(retried.label.verdict, item.swapped) == "right" and retried.label.version == 2


def test_an_item_not_handed_out_or_a_wrong_order_is_refused(studio: Studio) -> None:
    with pytest.raises(StoreError, match="was not handed to you"):
        studio.desk.submit("alice", DEMO_SESSION, 5, "left", swapped=False)
    item = studio.desk.next_item("alice", DEMO_SESSION)
    with pytest.raises(StoreError, match="outdated left/right order"):
        studio.desk.submit("alice", DEMO_SESSION, item.comparison.id, "left", swapped=not item.swapped)
    with pytest.raises(StoreError, match="Choose an annotation session"):
        studio.desk.next_item("alice", None)


def test_only_logged_in_active_accounts_may_label(studio: Studio) -> None:
    with pytest.raises(AccessDenied, match="not logged in"):
        studio.desk.next_item(None, DEMO_SESSION)
    with pytest.raises(AccessDenied, match="does not exist"):
        studio.desk.next_item("mallory", DEMO_SESSION)
    studio.store.create_annotator("root", role="admin", password="root-pass-12")
    studio.access.update_account("root", "bob", active=False)
    with pytest.raises(AccessDenied, match="deactivated"):
        studio.desk.next_item("bob", DEMO_SESSION)
    with pytest.raises(AccessDenied, match="needs the admin role"):
        studio.access.accounts("rita")


def test_progress_counts_mine_and_everyone(studio: Studio) -> None:
    studio.store.save_session("solo", "judge-studio-demo", overlap=1)
    for _ in range(3):
        item = studio.desk.next_item("alice", "solo")
        studio.desk.submit("alice", "solo", item.comparison.id, "tie", swapped=item.swapped)
    p = studio.desk.progress("alice", "solo")
    assert (p.mine, p.done, p.total) == (3, 3, 126)


def test_session_settings_are_validated_and_name_the_field(studio: Studio) -> None:
    with pytest.raises(StoreError, match="Overlap"):
        studio.store.save_session("bad", "judge-studio-demo", overlap=0)
    with pytest.raises(StoreError, match="gold rate"):
        studio.store.save_session("bad", "judge-studio-demo", gold_rate=0.9)
    with pytest.raises(StoreError, match="no dataset"):
        studio.store.save_session("bad", "nope")
    assert "bad" not in {s.name for s in studio.store.sessions()}


def test_invites_are_one_time_and_tokens_map_to_their_account(studio: Studio, db_path: Path) -> None:
    studio.store.create_annotator("root", role="admin", password="root-pass-12")
    token = studio.access.invite("root", role="reviewer", kind="expert")
    assert studio.store.invite_role(token) == "reviewer"
    assert studio.access.accept_invite(token, "nina", "nina-pass-1") == ("nina", "reviewer")
    assert studio.access.login("nina", "nina-pass-1")
    with pytest.raises(StoreError, match="unknown, used or expired"):
        studio.access.accept_invite(token, "nina2", "nina-pass-1")
    assert token not in str(_rows(db_path, "SELECT * FROM invites"))  # only a digest is stored
    api = studio.access.api_token("nina")
    assert studio.access.token_user(api).name == "nina"
    assert studio.access.token_user(api + "x") is None
    assert studio.store.revoke_api_tokens("nina") == 1
    assert studio.access.token_user(api) is None
    with pytest.raises(AccessDenied):
        studio.access.api_token("alice", for_name="nina")  # only admins make tokens for others


def test_the_last_admin_cannot_be_demoted_and_the_first_admin_password_file_is_private(
    studio: Studio, tmp_path: Path
) -> None:
    password = studio.access.ensure_admin(tmp_path)
    assert password and studio.access.login("admin", password)
    assert (tmp_path / "initial-admin-password.txt").stat().st_mode & 0o777 == 0o600
    assert studio.access.ensure_admin(tmp_path) is None  # only once
    with pytest.raises(StoreError, match="last active admin"):
        studio.access.update_account("admin", "admin", role="annotator")
