"""Session 12, task "integrity": the guideline version a label records is the one in force when its item
was handed out, the annotator is told when the guidelines changed; REST hands annotators no left/right
order; released judgments import into a slice of their benchmark. Real SQLite copies of the seeded
database, labels through the annotation desk, the real PandaLM files from ../shared/data/pandalm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import sql_rows

from annotation_store import Store, StoreError
from interchange.importers import import_pandalm_judgments, import_pandalm_testset
from orchestration import Settings, Studio
from ui.annotate import feedback_markdown

DEMO = "judge-studio-demo"
SESSION = "drifting"


@pytest.fixture
def studio(db_path: Path) -> Studio:
    s = Studio.open(Settings(home=db_path.parent))
    s.store.create_annotator("crowd2", password="crowd2-pass-1")
    s.store.save_session(SESSION, DEMO, overlap=2, reveal_judge=False, guidelines="v1: prefer the helpful one")
    return s


def test_a_label_records_the_guidelines_in_force_when_its_item_was_handed_out(studio: Studio, db_path: Path) -> None:
    store = studio.store
    store.save_session(SESSION, DEMO, overlap=2, reveal_judge=False, guidelines="v2: prefer the honest one")
    item = studio.desk.next_item("crowd2", SESSION)  # handed out under v2
    assert item is not None
    store.save_session(SESSION, DEMO, overlap=2, reveal_judge=False, guidelines="v3: prefer the shorter one")
    outcome = studio.desk.submit("crowd2", SESSION, item.comparison.id, "left", swapped=item.swapped, then_next=True)

    stored = sql_rows(
        db_path,
        "SELECT l.guideline_version FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        "WHERE a.name = 'crowd2' AND l.comparison_id = ?",
        item.comparison.id,
    )
    assert stored == [(2,)]  # what crowd2 could read, not the v3 saved while the item was open
    assert outcome.notice == "The guidelines changed (version 3): open Guidelines to read them before your next answer."
    assert "The guidelines changed (version 3)" in feedback_markdown(outcome)  # what the Annotate page shows

    # the next item was handed out under v3: its label says 3, and no notice comes with it
    assert outcome.next is not None
    following = studio.desk.submit("crowd2", SESSION, outcome.next.comparison.id, "tie", swapped=outcome.next.swapped)
    assert following.notice == "" and "guidelines changed" not in feedback_markdown(following)
    assert sql_rows(
        db_path, "SELECT guideline_version FROM labels WHERE comparison_id = ?", outcome.next.comparison.id
    ) == [(3,)]
    # the per-version report reads the stored versions: v2 now has its label
    versions = store.guideline_labels(DEMO)
    assert sorted(versions.loc[versions["session"] == SESSION, "guideline_version"].tolist()) == [2, 3]


def test_rest_next_hands_annotators_no_order_and_labels_need_none(live_app, db_path: Path) -> None:
    import httpx

    studio = live_app.studio
    studio.store.save_session(SESSION, DEMO, overlap=2, reveal_judge=False, randomize_order=True)
    token = studio.access.api_token("alice")
    with httpx.Client(
        base_url=live_app.url + "api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        seen = []
        for _ in range(16):  # both orders are drawn but 1 time in 2**15 (with six, 1 in 32 failed a CI run)
            leased = api.post(f"/sessions/{SESSION}/next")
            item = leased.json()["item"]
            assert "swapped" not in leased.text and "verdict" not in leased.text
            answer = api.post("/labels", json={"session": SESSION, "item": item["item"], "choice": "left"})
            assert answer.status_code == 200, answer.text
            assert "swapped" not in answer.json()["label"] and "verdict" not in answer.json()["label"]
            assert answer.json()["label"]["choice"] == "left"
            seen.append(item["item"])
        again = api.post(f"/sessions/{SESSION}/next").json()["item"]
        assert "swapped" not in json.dumps(again)
    rows = sql_rows(
        db_path,
        "SELECT l.presented_swapped, l.verdict FROM labels l JOIN annotators a ON a.id = l.annotator_id "
        "WHERE a.name = 'alice' ORDER BY l.id",
    )
    assert len(rows) == 16 and {swapped for swapped, _ in rows} == {0, 1}
    # "left" is stored as response 1 where response 1 was on the left, else as response 2
    assert all(verdict == ("2" if swapped else "1") for swapped, verdict in rows)


@pytest.fixture
def slice60(store: Store, shared_data: Path, tmp_path: Path) -> Path:
    records = json.loads((shared_data / "pandalm" / "testset-v1.json").read_text())
    path = tmp_path / "pandalm-slice60.json"
    path.write_text(json.dumps(records[:60]))
    import_pandalm_testset(store, path, dataset="pandalm-slice60")
    return path


def test_released_judgments_import_into_a_slice_and_say_what_was_left_out(
    store: Store, slice60: Path, shared_data: Path, db_path: Path
) -> None:
    released = shared_data / "pandalm" / "pandalm-7b-testset-v1.json"
    summary = import_pandalm_judgments(store, released, dataset="pandalm-slice60")
    said = summary.describe()
    assert "60 verdicts" in said
    assert (
        "939 records name an idx that dataset 'pandalm-slice60' does not have (first: record 61, idx 60); left out."
        in said
    )
    stored = sql_rows(
        db_path,
        "SELECT count(*) FROM judge_verdicts v JOIN comparisons c ON c.id = v.comparison_id "
        "JOIN datasets d ON d.id = c.dataset_id WHERE d.name = 'pandalm-slice60'",
    )
    assert stored == [(60,)]


def test_a_judgments_file_with_no_item_of_the_dataset_is_refused(
    store: Store, slice60: Path, shared_data: Path, tmp_path: Path, db_path: Path
) -> None:
    records = json.loads((shared_data / "pandalm" / "pandalm-7b-testset-v1.json").read_text())
    other = tmp_path / "others.json"
    other.write_text(json.dumps(records[100:110]))
    before = sql_rows(db_path, "SELECT count(*) FROM judge_verdicts")
    with pytest.raises(StoreError, match=r"record 1 \(idx 100\), field 'idx': dataset 'pandalm-slice60' has no item"):
        import_pandalm_judgments(store, other, dataset="pandalm-slice60")
    assert sql_rows(db_path, "SELECT count(*) FROM judge_verdicts") == before
