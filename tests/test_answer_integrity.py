"""What people's answers are worth: a skip reveals nothing, an answer is final once something about its item
was shown after it (the judge, the model names, a gold item's known answer), gold checks count the first
answer, items come in an order of each person's own (a gold item does not stand out by its number), and a
new session on a dataset answered elsewhere says why it has nothing. Real SQLite files (and PostgreSQL for
the order), the real HTTP app, no mocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import two_model_dataset
from sqlalchemy import text
from test_store_postgres import any_store, location, pg_server, pg_template, pg_url  # noqa: F401  (fixtures)

from annotation_store import NewJudgeRating, NewVerdict, Store
from errors import Conflict
from orchestration import Settings, Studio, canonical_verdict
from orchestration.metrics import metrics_report
from ui.annotate import feedback_markdown
from ui.grading import outcome_markdown

SECRET = "JUDGE_SECRET_REASON"
DEMO = "judge-studio-demo"


def _judge_everything(studio: Studio, dataset: str) -> None:
    run = studio.store.ensure_judge_run("fp-pair", {"model": "judge-x"})
    for cid in _dataset_ids(studio, dataset):
        studio.store.save_verdict(run, NewVerdict(cid, "1", "ok", reason=f"{SECRET}_{cid}"))
    single = studio.store.ensure_judge_run("fp-single", {"model": "judge-y", "profile": "mtbench-single"})
    for response in studio.store.responses(dataset):
        studio.store.save_judge_rating(single, NewJudgeRating(response.id, 9.0, "ok", reason=f"{SECRET}_r"))


def _dataset_ids(studio: Studio, dataset: str) -> list[int]:
    return sorted(int(i) for i in studio.store.comparison_table(dataset)["id"])


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    for name in ("alice", "bob"):
        s.store.create_annotator(name, password=f"{name}-pass-1")
    return s


# ---------------------------------------------------------------------- skips reveal nothing; reveals are final
def test_a_skip_reveals_nothing_over_rest_and_an_answer_after_a_reveal_is_final(live_app: Any) -> None:
    studio, url = live_app.studio, live_app.url
    two_model_dataset(studio.store, "secrets", 2)
    _judge_everything(studio, "secrets")
    studio.store.save_session("reveal", "secrets", blind=True, reveal_judge=True)
    studio.store.save_session("grades", "secrets", kind="single", blind=True, reveal_judge=True)
    token = studio.access.api_token("alice")
    client = httpx.Client(base_url=url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    item = client.post("/sessions/reveal/next").json()["item"]
    body = {"session": "reveal", "item": item["item"]}  # an annotator names it by its handle (s15 blindids)
    skipped = client.post("/labels", json={**body, "choice": "skip"})
    assert skipped.status_code == 200 and skipped.json()["judge"] is None and skipped.json()["gold"] is None
    assert SECRET not in skipped.text and "model-alpha" not in skipped.text
    answered = client.post("/labels", json={**body, "choice": "left", "expected_version": 1})  # nothing was shown
    assert answered.status_code == 200 and answered.json()["label"]["version"] == 2
    assert answered.json()["judge"]["reason"].startswith(SECRET)  # now the judge is shown ...
    changed = client.post("/labels", json={**body, "choice": "right", "expected_version": 2})
    assert changed.status_code == 409  # ... so the answer is final
    assert changed.json()["detail"] == (
        f"Your label on item {item['item']} can no longer be changed: the judge's verdict and the "
        "model names were shown to you after your answer; nothing was saved."
    )
    again = client.post("/labels", json={**body, "choice": "left"})  # the final answer sent again: no change
    assert again.status_code == 200 and again.json()["label"]["version"] == 2
    response = client.post("/sessions/grades/next").json()["item"]
    rated = {"session": "grades", "item": response["item"]}
    skip = client.post("/ratings", json={**rated, "rating": None, "skipped": True})
    assert skip.status_code == 200 and skip.json()["judge"] is None and SECRET not in skip.text
    assert client.post("/ratings", json={**rated, "rating": 3}).status_code == 200
    refused = client.post("/ratings", json={**rated, "rating": 9})
    assert refused.status_code == 409 and "the judge's rating and the model's name were shown" in refused.text


def test_the_pages_say_only_that_a_skip_was_skipped(studio: Studio) -> None:
    two_model_dataset(studio.store, "secrets", 2)
    _judge_everything(studio, "secrets")
    studio.store.save_session("reveal", "secrets", blind=True, reveal_judge=True)
    studio.store.save_session("grades", "secrets", kind="single", blind=True, reveal_judge=True)
    item = studio.desk.next_item("alice", "reveal")
    text_ = feedback_markdown(studio.desk.submit("alice", "reveal", item.id, "skip", swapped=item.swapped))
    assert text_ == f"Skipped item {item.ref.handle} (version 1): nothing is shown about it."  # alice: annotator
    shown = feedback_markdown(studio.desk.submit("alice", "reveal", item.id, "left", swapped=item.swapped))
    assert "model-alpha" in shown and "The judge said" in shown
    back = studio.desk.open_item("alice", "reveal", item.id)
    assert back.final.startswith(f"Your label on item {item.ref.handle} can no longer be changed")
    graded = studio.grading.next_item("alice", "grades")
    skipped = outcome_markdown(studio.grading.submit("alice", "grades", graded.id, None, skipped=True))
    assert skipped == f"Skipped item {graded.ref.handle} (version 1): nothing is shown about it."


def test_without_the_judge_reveal_a_blind_session_names_no_models_and_edits_stay_open(studio: Studio) -> None:
    """One switch: a session that does not reveal the judge does not name the models after an answer either."""
    two_model_dataset(studio.store, "secrets", 2)
    _judge_everything(studio, "secrets")
    studio.store.save_session("quiet", "secrets", blind=True, reveal_judge=False)
    item = studio.desk.next_item("alice", "quiet")
    first = studio.desk.submit("alice", "quiet", item.id, "left", swapped=item.swapped)
    assert "model-" not in feedback_markdown(first) and first.judge is None
    edited = studio.desk.submit("alice", "quiet", item.id, "right", swapped=item.swapped, expected_version=1)
    assert edited.label.version == 2


# ---------------------------------------------------------------------- gold checks count the first answer
def test_a_failed_gold_check_cannot_be_fixed_and_the_report_counts_the_first_answer(studio: Studio) -> None:
    ids = two_model_dataset(studio.store, "checks", 2)
    gold = ids[0]
    studio.store.set_gold(gold, "1", "model-alpha says hi, as asked")
    studio.store.save_session("checks", "checks", gold_rate=0.5, reveal_judge=False, overlap=1)
    outcomes = {}
    for _ in range(2):  # gold rate 0.5: the check is one of her first 2 items
        item = studio.desk.next_item("alice", "checks")
        wrong = "right" if canonical_verdict("left", item.swapped) == "1" else "left"
        outcomes[item.id] = (item, studio.desk.submit("alice", "checks", item.id, wrong, swapped=item.swapped))
    item, failed = outcomes[gold]
    assert failed.gold_correct is False
    right = "left" if canonical_verdict("left", item.swapped) == "1" else "right"
    with pytest.raises(Conflict, match=r"it is an attention check and its known answer was shown to you"):
        studio.desk.submit("alice", "checks", gold, right, swapped=item.swapped, expected_version=1)
    ordinary, _ = outcomes[ids[1]]  # nothing was shown about the ordinary item: it stays open
    assert studio.desk.submit("alice", "checks", ids[1], "tie", swapped=ordinary.swapped).label.version == 2
    studio.store.save_label(gold, "alice", "1")  # an edit outside the session (as older data may hold)
    row = {a["name"]: a for a in metrics_report(studio.store, "checks", n_bootstrap=10)["annotators"]}["alice"]
    assert row["gold"] == {"n": 1, "right": 0, "accuracy": 0.0}  # version 1, the answer given before the reveal


def test_a_graders_gold_check_counts_the_first_rating(studio: Studio) -> None:
    two_model_dataset(studio.store, "graded", 1)
    gold, other = (r.id for r in studio.store.responses("graded"))
    studio.store.set_gold_rating(gold, 10, 1, 2, "hi is a poor answer here")
    studio.store.save_session("grades", "graded", kind="single", gold_rate=0.5, reveal_judge=False)
    for _ in range(2):
        item = studio.grading.next_item("alice", "grades")
        studio.grading.submit("alice", "grades", item.id, 9)
    with pytest.raises(Conflict, match="attention check"):
        studio.grading.submit("alice", "grades", gold, 1)
    studio.store.save_rating(gold, "alice", 1)  # an edit outside the session
    graders = metrics_report(studio.store, "graded", n_bootstrap=10)["ratings"]["graders"]
    assert [(g["annotator"], g["n_gold"], g["gold_accuracy"]) for g in graders] == [("alice", 1, 0.0)]
    assert other != gold


# ---------------------------------------------------------------------- each person's own order
def _handed(store: Store, who: str, session: str, n: int) -> list[int]:
    handed = []
    for _ in range(n):
        turn = store.lease("pairwise", who, session)
        assert turn is not None
        store.submit("pairwise", who, session, turn.item.id, verdict="1", skipped=False)
        handed.append(turn.item.id)
    return handed


def test_items_come_in_an_order_of_each_persons_own_on_both_engines(any_store: Store) -> None:  # noqa: F811
    any_store.save_session("for-ann", DEMO, overlap=1)
    any_store.save_session("for-ben", DEMO, overlap=1)
    ann, ben = _handed(any_store, "ann", "for-ann", 8), _handed(any_store, "ben", "for-ben", 8)
    assert ann != sorted(ann) and ben != sorted(ben) and ann != ben  # not id order, not the same order
    held = any_store.lease("pairwise", "ann", "for-ann")
    assert held is not None
    with any_store.engine.begin() as connection:  # her tab was left open past the lease
        connection.execute(text("UPDATE assignments SET lease_expires_at = :t"), {"t": "2000-01-01 00:00:00"})
    again = any_store.lease("pairwise", "ann", "for-ann")
    assert again is not None and again.item.id == held.item.id  # her order is stable


# ---------------------------------------------------------------------- a session empty because of another
def test_a_new_session_on_a_dataset_answered_elsewhere_says_so(studio: Studio) -> None:
    two_model_dataset(studio.store, "small", 2)
    studio.store.save_session("first", "small")
    studio.store.save_session("second", "small")
    for _ in range(2):
        item = studio.desk.next_item("alice", "first")
        studio.desk.submit("alice", "first", item.id, "left", swapped=item.swapped)
    assert studio.desk.next_item("alice", "second") is None
    assert studio.desk.done_note("alice", "second") == (
        "You have already answered all 2 comparisons of this dataset (in session 'first'): each person answers "
        "a comparison once, whatever the session."
    )
    assert studio.desk.done_note("bob", "second") == ""
