"""Where gold (attention-check) items come, over a real copy of the seeded SQLite database: exactly one
in each block of 1/rate answered items (so a grader's share of gold is the rate), but at a slot and with
a gold item drawn per (session, annotator, block): two people do not meet the same check at the same
place, nobody can count "the 10th one is a test". Drawn from the database's own random secret (the
same on every server of a deployment), or from the seed of a sessionless pool: pinning either makes the
draws reproducible. Gold items still ignore the overlap and never count toward it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotation_store.answers import GOLD_SECRET
from orchestration import Settings, Studio

DEMO = "judge-studio-demo"
PEOPLE = ("alice", "bob", "carol", "dan")


def _open(db_path: Path, salt: str | None) -> Studio:
    """A Studio on ``db_path`` whose gold draws come from ``salt`` (None: the random one it makes)."""
    studio = Studio.open(Settings(home=db_path.parent))
    for who in PEOPLE:
        studio.store.create_annotator(who, password="correct horse battery")
    if salt is not None:
        studio.store.shared_secret(GOLD_SECRET, adopt=salt)
    return studio


def _mark_gold(studio: Studio, count: int) -> set[int]:
    """Mark comparisons as gold until ``count`` are; returns the gold ids."""
    gold = {int(i) for i in studio.store.gold_labels(DEMO)["comparison_id"]}
    for comparison_id in studio.store.comparison_table(DEMO)["id"].astype(int):
        if len(gold) >= count:
            break
        if int(comparison_id) not in gold:
            studio.store.set_gold(int(comparison_id), "1", "Response 1 answers the question.")
            gold.add(int(comparison_id))
    return gold


def _answer_all(studio: Studio, session: str, people: tuple[str, ...], n: int) -> dict[str, list[tuple[int, bool]]]:
    """Each person answers ``n`` items in turn; returns (comparison id, was it gold) per person, in order."""
    handed: dict[str, list[tuple[int, bool]]] = {who: [] for who in people}
    for _ in range(n):
        for who in people:
            item = studio.desk.next_item(who, session)
            assert item is not None
            studio.desk.submit(who, session, item.comparison.id, "tie", swapped=item.swapped)
            handed[who].append((item.comparison.id, item.is_gold))
    return handed


def _positions(handed: list[tuple[int, bool]]) -> list[int]:
    return [i for i, (_id, is_gold) in enumerate(handed) if is_gold]


@pytest.mark.parametrize("rate", [0.5, 0.25, 0.2, 0.1])
def test_the_share_of_gold_over_20_items_is_exactly_the_rate_one_in_each_block(db_path: Path, rate: float) -> None:
    studio = _open(db_path, None)
    _mark_gold(studio, 12)
    studio.store.save_session("checks", DEMO, overlap=4, gold_rate=rate)
    handed = _answer_all(studio, "checks", PEOPLE, 20)
    block = round(1 / rate)
    for who in PEOPLE:
        assert len(_positions(handed[who])) == round(20 * rate)
        assert [p // block for p in _positions(handed[who])] == list(range(round(20 * rate))), who


def test_two_people_meet_gold_at_different_slots_and_items_and_a_pinned_secret_repeats_them(
    db_path: Path, tmp_path: Path
) -> None:
    pristine = tmp_path / "pristine" / db_path.name
    pristine.parent.mkdir()
    shutil.copy(db_path, pristine)
    studio = _open(db_path, "pinned-for-this-test")
    _mark_gold(studio, 12)
    studio.store.save_session("checks", DEMO, overlap=4, gold_rate=0.25)
    handed = _answer_all(studio, "checks", PEOPLE, 20)
    slots = {who: _positions(handed[who]) for who in PEOPLE}
    firsts = {who: next(i for i, is_gold in handed[who] if is_gold) for who in PEOPLE}
    assert len({tuple(s) for s in slots.values()}) > 1  # not "the 4th, 8th, … for everyone"
    assert len(set(firsts.values())) > 1  # not "the lowest-numbered gold first for everyone"
    assert any(slots[who][0] != 3 for who in PEOPLE)

    again = _open(pristine, "pinned-for-this-test")  # the same secret: the same draws, item for item
    _mark_gold(again, 12)
    again.store.save_session("checks", DEMO, overlap=4, gold_rate=0.25)
    assert _answer_all(again, "checks", PEOPLE, 20) == handed


def test_a_sessionless_seed_makes_the_draws_reproducible(db_path: Path, tmp_path: Path) -> None:
    pristine = tmp_path / "pristine" / db_path.name
    pristine.parent.mkdir()
    shutil.copy(db_path, pristine)

    def lease_run(path: Path, seed: int) -> list[tuple[int, bool]]:
        studio = _open(path, None)
        gold = _mark_gold(studio, 12)
        seen = []
        for _ in range(12):
            leased = studio.store.lease_next("alice", DEMO, overlap=4, seed=seed, gold_rate=0.5)
            assert leased is not None
            comparison, _swapped = leased
            studio.store.save_label(comparison.id, "alice", "tie")
            seen.append((comparison.id, comparison.id in gold))
        assert [[g for _i, g in seen[i : i + 2]].count(True) for i in range(0, 12, 2)] == [1] * 6
        return seen

    assert lease_run(db_path, 5) == lease_run(pristine, 5)


def test_gold_items_ignore_the_overlap_and_never_count_toward_it(db_path: Path) -> None:
    studio = _open(db_path, None)
    gold = _mark_gold(studio, 6)
    studio.store.save_session("checks", DEMO, overlap=1, gold_rate=0.5)
    handed = _answer_all(studio, "checks", ("alice", "bob"), 16)  # 8 blocks: more than the 6 gold items
    for who in ("alice", "bob"):
        assert {i for i, is_gold in handed[who] if is_gold} == gold  # each met every gold item once
        assert all(is_gold == (i in gold) for i, is_gold in handed[who])
    ordinary = [{i for i, is_gold in handed[who] if not is_gold} for who in ("alice", "bob")]
    assert not ordinary[0] & ordinary[1]  # k = 1: nobody else got the same ordinary item
    assert sum(len(o) for o in ordinary) == 32 - 12  # gold answers did not cover any ordinary slot
