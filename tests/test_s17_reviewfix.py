"""s17 review fixes (code review "review17" of session 16), no browser.

1. Judges compared: with few discordant comparisons the accuracy difference gets no interval (and says why); above
   that, Newcombe's paired score interval, which does not leave out 0 beside an exact McNemar "not significant".
2. Judges compared: the McNemar p-values are Holm-adjusted over the pairs compared (``p_holm``), "significant" is
   decided on the adjusted value and the sentence says so.
5. A set-aside account is handed no item (one refusal, in the lease) and its leases do not count in the standing.
6. The whole file of a judge again, plus new pairs, extends its run when every overlapping verdict is identical.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import jsonl_file
from sqlalchemy import update

from analysis.judges_compared import (
    judges_compared,
    judges_compared_lines,
    paired_difference_ci,
)
from annotation_store import open_store
from annotation_store.base import StoreForbidden
from annotation_store.errors import StoreError
from annotation_store.models import Annotator, utcnow
from errors import Forbidden
from orchestration import Settings, Studio
from orchestration.admin import AdminDesk
from orchestration.datasets import ImportOptions, import_file


@dataclass(frozen=True)
class _Run:
    run_id: int
    model: str


@dataclass(frozen=True)
class _Judge:
    run: _Run
    counted: pd.DataFrame


def _judge(run_id: int, verdicts: list[str]) -> _Judge:
    n = len(verdicts)
    counted = pd.DataFrame({"comparison_id": range(n), "verdict": verdicts, "status": ["ok"] * n})
    return _Judge(_Run(run_id, f"judge-{run_id}"), counted)


def _people(n: int) -> pd.DataFrame:
    return pd.DataFrame({"comparison_id": range(n), "verdict": ["1"] * n})


# ------------------------------------------------------------------ 1: the interval


def test_the_reviewers_case_gets_no_interval_beside_a_not_significant_exact_test() -> None:
    # n = 40: the reference right on all 40, the other wrong on 5 (5 vs 0 discordant, exact p = 0.0625)
    section = judges_compared([_judge(1, ["1"] * 40), _judge(2, ["1"] * 35 + ["2"] * 5)], _people(40))
    assert section is not None
    (pair,) = section["pairs"]
    assert round(pair["mcnemar_p"], 4) == 0.0625 and pair["significant"] is False
    assert pair["difference_ci"] is None  # before: [+0.025, +0.225], leaving out 0
    text = "\n".join(judges_compared_lines(section))
    assert (
        "difference +0.125 (no interval: only 5 comparisons one run got right and the other wrong, under 10; "
        "go by the exact McNemar test), exact McNemar p = 0.062" in text
    )
    assert "[+0.025, +0.225]" not in text
    assert "The accuracy difference is not significant at 0.05 (exact McNemar p = 0.062;" in pair["sentence"]


def test_four_against_none_on_twelve_gets_no_interval_either() -> None:
    section = judges_compared([_judge(1, ["1"] * 12), _judge(2, ["1"] * 8 + ["2"] * 4)], _people(12))
    assert section is not None
    assert section["pairs"][0]["difference_ci"] is None
    assert "+0.333 (no interval: only 4 comparisons" in "\n".join(judges_compared_lines(section))


def test_with_enough_discordant_comparisons_the_score_interval_agrees_with_the_exact_test() -> None:
    # 12 vs 3 discordant of 60: exact p = 0.035, significant; the interval leaves out 0
    other = ["1"] * 45 + ["2"] * 12 + ["1"] * 3
    ref = ["1"] * 57 + ["2"] * 3
    section = judges_compared([_judge(1, ref), _judge(2, other)], _people(60))
    assert section is not None
    (pair,) = section["pairs"]
    assert (pair["only_reference_right"], pair["only_other_right"]) == (12, 3)
    assert pair["mcnemar_p"] < 0.05 and pair["significant"] is True
    assert 0 < pair["difference_ci"]["low"] < pair["accuracy_difference"] < pair["difference_ci"]["high"]
    assert pair["difference_ci_method"] == "newcombe-10" and "disagree" not in pair["sentence"]
    # 10 vs 3: exact p = 0.09, not significant; the interval holds 0
    other = ["1"] * 46 + ["2"] * 10 + ["1"] * 4
    section = judges_compared([_judge(1, ref), _judge(2, other)], _people(60))
    assert section is not None
    (pair,) = section["pairs"]
    assert (pair["only_reference_right"], pair["only_other_right"]) == (10, 3)
    assert pair["mcnemar_p"] > 0.05
    assert pair["difference_ci"]["low"] < 0 < pair["difference_ci"]["high"]


def test_the_paired_interval_is_newcombes_method_10() -> None:
    # Fagerland, Lydersen & Laake, ch. 8 (R package contingencytables, its test of
    # Newcombe_square_and_add_CI_paired_2x2 on Cavo et al. 2012, [[59, 6], [16, 80]]): -0.0621 (-0.1186 to -0.0046)
    low, high = paired_difference_ci(59, 6, 16, 80)
    assert (round(low, 4), round(high, 4)) == (-0.1186, -0.0046)


# ------------------------------------------------------------------ 2: Holm over the pairs


def test_p_values_are_holm_adjusted_over_the_pairs_and_the_sentence_says_so() -> None:
    n = 60
    ref = ["1"] * n
    # run 2: 8 vs 0 discordant (p = 0.0078); run 3: 6 vs 0 (p = 0.031): both significant alone
    second = ["1"] * (n - 8) + ["2"] * 8
    third = ["1"] * (n - 6) + ["2"] * 6
    section = judges_compared([_judge(1, ref), _judge(2, second), _judge(3, third)], _people(n))
    assert section is not None
    by_other = {pair["other"]["run_id"]: pair for pair in section["pairs"]}
    two, three = by_other[2], by_other[3]
    assert two["mcnemar_p"] == pytest.approx(2 / 2**8) and three["mcnemar_p"] == pytest.approx(2 / 2**6)
    assert two["p_holm"] == pytest.approx(2 * 2 / 2**8) and three["p_holm"] == pytest.approx(2 / 2**6)
    assert two["significant"] is True and three["significant"] is True
    assert two["comparisons"] == three["comparisons"] == 2
    assert (
        "The accuracy difference is significant at 0.05 after Holm's adjustment over the 2 judge pairs tested "
        "(exact McNemar p = 0.008, Holm-adjusted 0.016;" in two["sentence"]
    )
    assert "exact McNemar p = 0.008 (Holm 0.016) (8 vs 0 discordant)" in "\n".join(judges_compared_lines(section))
    assert "Holm-adjusted over the pairs compared" in section["rule"]


def test_a_pair_significant_alone_is_not_after_holm() -> None:
    n = 60
    ref = ["1"] * n
    # run 2: 6 vs 0 (p = 0.031), run 3: 5 vs 0 (p = 0.0625): Holm makes run 2's 0.0625 as well
    second = ["1"] * (n - 6) + ["2"] * 6
    third = ["1"] * (n - 5) + ["2"] * 5
    section = judges_compared([_judge(1, ref), _judge(2, second), _judge(3, third)], _people(n))
    assert section is not None
    two = next(pair for pair in section["pairs"] if pair["other"]["run_id"] == 2)
    assert two["mcnemar_p"] < 0.05 <= two["p_holm"]
    assert two["significant"] is False  # before: "significant" on the own p = 0.031
    assert "is not significant at 0.05 after Holm's adjustment over the 2 judge pairs tested" in two["sentence"]


# ------------------------------------------------------------------ 5: set-aside accounts and leases


def _tiny_studio(home: Path) -> Studio:
    studio = Studio.open(Settings(home=home))
    for name in ("alice", "bob", "ann4"):
        studio.store.create_annotator(name, password=f"{name}-pass-1")
    studio.store.create_annotator("boss", role="admin", password="boss-pass-1")
    prompts = [
        {"id": f"q{i}", "instruction": f"Say hi {i}", "responses": {"m-a": "hi", "m-b": "hello"}} for i in range(4)
    ]
    studio.store.seed_dataset(
        {"name": "tiny", "models": [{"name": "m-a"}, {"name": "m-b"}], "prompts": prompts}, pairs_per_prompt=1
    )
    studio.store.save_session("k1", "tiny", overlap=1)
    return studio


def test_a_set_aside_account_is_handed_no_item_and_hears_why(tmp_path: Path) -> None:
    studio = _tiny_studio(tmp_path)
    try:
        item = studio.desk.next_item("ann4", "k1")
        assert item is not None
        studio.desk.submit("ann4", "k1", item.id, "left", swapped=item.swapped)
        AdminDesk(studio).set_labels_aside("boss", "ann4")
        with pytest.raises(Forbidden) as refused:
            studio.desk.next_item("ann4", "k1")  # before: handed the next item, its answer then dropped
        assert str(refused.value) == (
            "Your labels in this study are set aside by an admin; no more items are handed to you."
        )
        assert studio.store.session_standing("k1").leased == 0
        # the one refusal is in the lease itself, so the store's lease says the same
        with pytest.raises(StoreForbidden, match="set aside by an admin"):
            studio.store.lease("pairwise", "ann4", "k1")
        AdminDesk(studio).set_labels_aside("boss", "ann4", undo=True)
        assert studio.desk.next_item("ann4", "k1") is not None  # counted again: handed items again
    finally:
        studio.store.close()


def test_a_set_aside_accounts_lease_does_not_count_in_the_standing(tmp_path: Path) -> None:
    studio = _tiny_studio(tmp_path)
    try:
        bob = studio.desk.next_item("bob", "k1")
        assert bob is not None
        studio.desk.submit("bob", "k1", bob.id, "left", swapped=bob.swapped)
        assert studio.desk.next_item("ann4", "k1") is not None  # ann4 holds a live lease
        # set aside without releasing the lease (an old lease, or one taken in the instant before)
        with studio.store._write() as session:
            session.execute(update(Annotator).where(Annotator.name == "ann4").values(labels_set_aside_at=utcnow()))
        standing = studio.store.session_standing("k1")
        # the lease holds the item for nobody: it waits for bob (before: "1 leased, 2 waiting")
        assert (standing.done, standing.leased, standing.waiting) == (1, 0, 3)
        assert "leased" not in standing.text() and "3 waiting" in standing.text()
    finally:
        studio.store.close()


# ------------------------------------------------------------------ 6: the whole file again plus new pairs

RUNS = "SELECT run_id, count(*) FROM judge_verdicts GROUP BY run_id ORDER BY run_id"


def _votes(keys: range, *, flipped: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "key": f"k{i}",
            "instruction": f"Question {i}",
            "response1": f"a{i}",
            "response2": f"b{i}",
            "model1": "A",
            "model2": "B",
            "verdict": "2" if i == flipped else "1",
        }
        for i in keys
    ]


def test_the_whole_file_again_with_new_pairs_extends_the_run(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        import_file(store, jsonl_file(tmp_path / "votes.jsonl", _votes(range(4))), "jsonl", ImportOptions(judge="j"))
        again = jsonl_file(tmp_path / "all.jsonl", _votes(range(6)))  # the same 4, identical, and 2 new
        summary = import_file(store, again, "jsonl", ImportOptions(dataset="votes", judge="j"))
        (run,) = summary.runs
        assert (run.run_id, run.verdicts, run.already, run.before) == (1, 2, 4, 4)
        assert "added 2 new verdicts of j to run 1 (4 already there, identical; now 6 verdicts; 0 of the new " in (
            summary.describe()
        )
        assert summary.warnings == ()  # before: run 2 with all 6 and "Not added to run 1 ... 4 of these 6"
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute(RUNS).fetchall() == [(1, 6)]  # before: [(1, 4), (2, 6)]


def test_a_file_that_differs_on_an_overlapping_verdict_is_still_a_run_of_its_own(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        import_file(store, jsonl_file(tmp_path / "votes.jsonl", _votes(range(4))), "jsonl", ImportOptions(judge="j"))
        differs = jsonl_file(tmp_path / "all.jsonl", _votes(range(6), flipped=2))
        summary = import_file(store, differs, "jsonl", ImportOptions(dataset="votes", judge="j"))
        assert summary.runs[0].run_id == 2 and summary.runs[0].already == 0
        assert summary.warnings == (
            "Warning: Not added to run 1 of the same judge, which already has verdicts on 4 of these 6 "
            "(comparison, order) pairs (some different): stored as run 2, which the figures show apart.",
        )
        # the very same file again is still refused
        with pytest.raises(StoreError, match="was already imported; nothing was written"):
            import_file(store, jsonl_file(tmp_path / "v2.jsonl", _votes(range(4))), "jsonl",
                        ImportOptions(dataset="votes", judge="j"))  # fmt: skip
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute(RUNS).fetchall() == [(1, 4), (2, 6)]
