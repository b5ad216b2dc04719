"""Session 17 "runs" on a real PostgreSQL server (skipped, with the reason, where none is installed): merging two
runs of one judge (the self-join that counts overlaps, the UPDATE that moves verdicts), deleting one run, and a
failure part way rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import jsonl_file
from test_s17_runs import _rows
from test_store_postgres import pg_server, pg_template, pg_url  # noqa: F401  (PostgreSQL fixtures)

from annotation_store import StoreError, open_store
from orchestration.datasets import ImportOptions, import_file


def test_merge_and_delete_runs_on_postgresql(
    pg_url: str,  # noqa: F811  (the fixture above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = open_store(pg_url)
    try:
        one = import_file(store, jsonl_file(tmp_path / "p1.jsonl", _rows(range(40))), "jsonl",
                          ImportOptions(dataset="votes", judge="gpt-4")).runs[0].run_id  # fmt: skip
        with monkeypatch.context() as before_s16:
            before_s16.setattr("annotation_store.batch_import._same_judge", lambda run, item: False)
            two = import_file(store, jsonl_file(tmp_path / "p2.jsonl", _rows(range(40, 60))), "jsonl",
                              ImportOptions(dataset="votes", judge="gpt-4")).runs[0].run_id  # fmt: skip
        rerun = import_file(store, jsonl_file(tmp_path / "p3.jsonl", _rows(range(30, 40), flipped=31)), "jsonl",
                            ImportOptions(dataset="votes", judge="gpt-4")).runs[0].run_id  # fmt: skip
        assert [(r.run_id, r.verdicts) for r in store.dataset_runs("votes")] == [(one, 40), (two, 20), (rerun, 10)]
        with pytest.raises(StoreError, match=f"Run {rerun} and run {one} both judged 10 \\(comparison, order\\) pairs"):
            store.merge_dataset_runs("votes", one, rerun)

        def fail(*_args: object) -> bool:
            raise RuntimeError("the connection dropped")

        with monkeypatch.context() as broken:
            broken.setattr("annotation_store.run_admin._drop_if_unused", fail)
            with pytest.raises(RuntimeError):
                store.merge_dataset_runs("votes", one, two)
        assert [(r.run_id, r.verdicts) for r in store.dataset_runs("votes")] == [(one, 40), (two, 20), (rerun, 10)]
        merged = store.merge_dataset_runs("votes", one, two)
        assert (merged.verdicts, merged.from_deleted) == (60, True)
        run, gone = store.delete_dataset_run("votes", rerun)
        assert (run.verdicts, gone) == (10, True)
        assert [(r.run_id, r.verdicts) for r in store.dataset_runs("votes")] == [(one, 60)]
    finally:
        store.close()
