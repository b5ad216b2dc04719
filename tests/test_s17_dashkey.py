"""Two Dashboard mends from review17b: the board's key covers every run when there are two or more (the "Judges
compared" and "Judge versions" blocks read them all, and an open page only redraws when the key moves: a run
deleted beside the chosen one had stayed in those blocks), and the set-aside caption counts answers, not skips
(as ``sessions activity`` does)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_s17_activity import seed_campaign
from test_s17_runs import _import, _rows

from orchestration import Settings, Studio
from orchestration.dashboard import set_aside_labels


def test_a_run_deleted_beside_the_chosen_one_moves_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "labels.jsonl", _rows(range(20), person="alice"), capsys)
    _import(folder, "gpt4.jsonl", _rows(range(20)), capsys, "--judge", "gpt-4")
    _import(folder, "try.jsonl", _rows(range(20), flipped=3), capsys, "--judge", "tryout")
    _import(folder, "third.jsonl", _rows(range(20), flipped=5), capsys, "--judge", "third")
    studio = Studio.open(Settings(home=folder))
    try:
        before = studio.dashboard("votes", 1)
        assert before.run_rows is not None
        studio.store.delete_dataset_run("votes", 2)
        after = studio.dashboard("votes", 1)
        assert after.key != before.key
        assert [run.run_id for run in after.run_rows.runs] == [1, 3]  # type: ignore[union-attr]
    finally:
        studio.store.close()


def test_the_set_aside_caption_counts_answers_not_skips(tmp_path: Path) -> None:
    studio = Studio.open(Settings(home=tmp_path))
    try:
        ids = seed_campaign(studio.store)
        studio.store.save_label(ids[2], "ann4", None, skipped=True, presented_swapped=False)
        studio.store.save_label(ids[3], "ann4", None, skipped=True, presented_swapped=False)
        counts, rows = studio.store.answer_activity(dataset="tiny")
        assert counts == "labels"
        activity = {row.annotator: row for row in rows}
        assert activity["ann4"].skipped == 2
        assert set_aside_labels(studio.store, "tiny") == (("ann4", activity["ann4"].set_aside),)
    finally:
        studio.store.close()
