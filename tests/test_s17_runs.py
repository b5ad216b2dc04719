"""One judge run of a dataset (s16 judge-shopper finding 6; session 17 "runs"): ``judge-studio datasets runs``,
``datasets delete-run`` (a try-out run deleted without its dataset: people's labels and the other runs stay) and
``datasets merge-runs`` (two runs of one judge split by imports before session 16 put back together, by the rule an
import uses to extend a run). Each write is one transaction: a failure part way leaves the database as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_import, home_rows, jsonl_file

from annotation_store import open_store
from cli import main
from orchestration.metrics import metrics_report

RUNS = "SELECT run_id, count(*) FROM judge_verdicts GROUP BY run_id ORDER BY run_id"
JUDGE_RUNS = "SELECT id, model FROM judge_runs ORDER BY id"
LABELS = "SELECT count(*) FROM labels"


def _rows(keys: range, *, flipped: int | None = None, person: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in keys:
        row = {"key": f"k{i}", "instruction": f"Question {i}", "response1": f"a{i}", "response2": f"b{i}",
               "model1": "A", "model2": "B"}  # fmt: skip
        row.update({"label": "1", "annotator": person} if person else {"verdict": "2" if i == flipped else "1"})
        rows.append(row)
    return rows


def _import(home: Path, name: str, rows: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], *args: str) -> str:
    out, error = cli_import(home, jsonl_file(home.parent / name, rows), "--dataset", "votes", *args, capsys=capsys)
    assert error == "", error
    return out


def _datasets(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(["datasets", *argv, "--home", str(home)])
    return capsys.readouterr().out


def _refused(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        _datasets(home, capsys, *argv)
    return str(exit_.value.code)


@pytest.fixture
def home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Dataset 'votes': 60 comparisons with alice's labels, gpt-4's 60 verdicts (run 1), a try-out's 4 (run 2)."""
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "labels.jsonl", _rows(range(60), person="alice"), capsys)
    _import(folder, "gpt4.jsonl", _rows(range(60)), capsys, "--judge", "gpt-4")
    assert "(run 2, 0 unparsed)" in _import(folder, "try.jsonl", _rows(range(4)), capsys, "--judge", "tryout")
    return folder


def test_runs_lists_the_dataset_judge_runs(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _datasets(home, capsys, "runs", "votes").splitlines()
    assert lines[0] == "Judge runs on the dataset 'votes', oldest first:"
    assert lines[1].split() == ["run", "judge", "profile", "verdicts", "ratings", "created", "(UTC)", "from", "files"]
    assert [line.split()[:5] for line in lines[2:4]] == [
        ["1", "gpt-4", "imported", "60", "0"],
        ["2", "tryout", "imported", "4", "0"],
    ]
    assert lines[2].endswith("import  gpt4.jsonl") and "datasets delete-run votes RUN_ID" in lines[-1]
    said = _refused(home, capsys, "runs", "nope")
    assert said == "judge-studio: There is no dataset named 'nope' (datasets: votes)."


def test_delete_run_asks_then_deletes_only_that_run(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "not a terminal; add --yes" in _refused(home, capsys, "delete-run", "votes", "2")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "1")  # the wrong run typed
    assert _refused(home, capsys, "delete-run", "votes", "2") == "judge-studio: not confirmed; nothing was deleted."
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]
    monkeypatch.setattr("builtins.input", lambda prompt: "2" if prompt == "Type the run id to confirm: " else "")
    capsys.readouterr()
    said = _datasets(home, capsys, "delete-run", "votes", "2")
    assert said.splitlines() == [
        "Deleting judge run 2 (tryout, profile imported) from the dataset 'votes' deletes 4 judge verdicts. People's "
        "labels and ratings and the other judge runs stay. This cannot be undone; `judge-studio backup FILE` makes a "
        "copy first.",
        "Deleted judge run 2 from the dataset 'votes': 4 judge verdicts.",
    ]
    assert home_rows(home, RUNS) == [(1, 60)]
    assert home_rows(home, JUDGE_RUNS) == [(1, "gpt-4")]  # the run row went with its last verdict
    assert home_rows(home, LABELS) == [(60,)]  # people's labels stay
    assert home_rows(home, "SELECT count(*) FROM comparisons") == [(60,)]
    store = open_store(home / "judge-studio.sqlite3")
    try:
        assert [judge["run_id"] for judge in metrics_report(store, "votes", n_bootstrap=0)["judges"]] == [1]
    finally:
        store.close()
    said = _refused(home, capsys, "delete-run", "votes", "2", "--yes")
    assert said == (
        "judge-studio: The dataset 'votes' has no judge run 2 (its judge runs: run 1 (gpt-4); see `judge-studio "
        "datasets runs votes`). Nothing was changed."
    )
    assert _refused(home, capsys, "delete-run", "nope", "1", "--yes").startswith(
        "judge-studio: There is no dataset named 'nope' (datasets: votes)."
    )


def test_a_run_on_two_datasets_keeps_the_other_dataset_verdicts(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, error = cli_import(home, home.parent / "gpt4.jsonl", "--dataset", "again", "--judge", "gpt-4", capsys=capsys)
    assert error == "" and "(run 1, 0 unparsed)" in out  # the same file's run: run 1 now judges two datasets
    assert "Run 1 also holds 60 verdicts or ratings on other datasets" in _datasets(home, capsys, "runs", "votes")
    said = _datasets(home, capsys, "delete-run", "votes", "1", "--yes")
    assert "Deleted judge run 1 from the dataset 'votes': 60 judge verdicts; run 1 keeps its verdicts on other " in said
    assert home_rows(home, RUNS) == [(1, 60), (2, 4)]  # run 1's 60 are now the other dataset's
    assert home_rows(home, JUDGE_RUNS) == [(1, "gpt-4"), (2, "tryout")]
    assert [line.split()[:4] for line in _datasets(home, capsys, "runs", "again").splitlines()[2:3]] == [
        ["1", "gpt-4", "imported", "60"]
    ]


def _split_home(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """'votes' with gpt-4's 40 + 20 verdicts in runs 1 and 2: two imports before session 16, which did not extend a
    run (``_same_judge`` said no then), and alice's labels."""
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "labels.jsonl", _rows(range(60), person="alice"), capsys)
    _import(folder, "part1.jsonl", _rows(range(40)), capsys, "--judge", "gpt-4")
    with monkeypatch.context() as before_s16:
        before_s16.setattr("annotation_store.batch_import._same_judge", lambda run, item: False)
        assert "(run 2, 0 unparsed)" in _import(folder, "part2.jsonl", _rows(range(40, 60)), capsys, "--judge", "gpt-4")
    assert home_rows(folder, RUNS) == [(1, 40), (2, 20)]
    return folder


def test_merge_runs_puts_a_split_judge_back_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _split_home(tmp_path, capsys, monkeypatch)
    assert _datasets(home, capsys, "merge-runs", "votes", "1", "2") == "merged run 2 into run 1 (now 60 verdicts)\n"
    assert home_rows(home, RUNS) == [(1, 60)]
    assert home_rows(home, JUDGE_RUNS) == [(1, "gpt-4")]
    assert home_rows(home, LABELS) == [(60,)]
    store = open_store(home / "judge-studio.sqlite3")
    try:
        judges = metrics_report(store, "votes", n_bootstrap=0)["judges"]
        assert [(judge["run_id"], judge["verdicts"]["n"]) for judge in judges] == [(1, 60)]
    finally:
        store.close()


def test_merge_runs_refuses_another_judge_an_overlap_and_a_live_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _split_home(tmp_path, capsys, monkeypatch)
    _import(home, "claude.jsonl", _rows(range(4)), capsys, "--judge", "claude")  # run 3
    said = _refused(home, capsys, "merge-runs", "votes", "1", "3")
    assert said == (
        "judge-studio: Run 3 (claude) and run 1 (gpt-4) are not the same judge: their fingerprints differ in model. "
        "Runs are merged only by the rule an import uses to extend a run. Nothing was merged."
    )
    # gpt-4 again on 12 of run 1's comparisons, one judged differently: kept apart as run 4 (session 16's rule)
    out = _import(home, "rerun.jsonl", _rows(range(28, 40), flipped=30), capsys, "--judge", "gpt-4")
    assert "stored as run 4" in out
    said = _refused(home, capsys, "merge-runs", "votes", "1", "4")
    assert said.startswith(
        "judge-studio: Run 4 and run 1 both judged 12 (comparison, order) pairs on dataset 'votes': merged, one judge "
        "would hold two verdicts there. Nothing was merged;"
    )
    itself = _refused(home, capsys, "merge-runs", "votes", "2", "2")
    assert itself == "judge-studio: Run 2 cannot be merged into itself; name two runs. Nothing was merged."
    assert "has no judge run 9 (its judge runs: run 1 (gpt-4), run 2 (gpt-4), run 3 (claude), run 4 (gpt-4);" in (
        _refused(home, capsys, "merge-runs", "votes", "1", "9")
    )
    with sqlite3.connect(home / "judge-studio.sqlite3") as db:  # run 2 as if made by `judge` (no file): not merged
        db.execute("UPDATE judge_runs SET fingerprint = json_remove(fingerprint, '$.source') WHERE id = 2")
    said = _refused(home, capsys, "merge-runs", "votes", "1", "2")
    assert "run 2 was made by `judge-studio judge`, not imported; only imported runs of one judge are merged" in said
    assert home_rows(home, RUNS) == [(1, 40), (2, 20), (3, 4), (4, 12)]  # nothing moved


def test_a_failure_part_way_leaves_the_database_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _split_home(tmp_path, capsys, monkeypatch)
    database = home / "judge-studio.sqlite3"

    def fail(*_args: object) -> bool:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr("annotation_store.run_admin._drop_if_unused", fail)  # after the verdicts were moved / deleted
    store = open_store(database)
    try:
        with pytest.raises(RuntimeError, match="the disk went away"):
            store.merge_dataset_runs("votes", 1, 2)
        assert home_rows(home, RUNS) == [(1, 40), (2, 20)]
        with pytest.raises(RuntimeError, match="the disk went away"):
            store.delete_dataset_run("votes", 2)
        assert home_rows(home, RUNS) == [(1, 40), (2, 20)]
        assert home_rows(home, JUDGE_RUNS) == [(1, "gpt-4"), (2, "gpt-4")]
        assert home_rows(home, LABELS) == [(60,)]
    finally:
        store.close()


def test_help_names_the_run_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["datasets", "--help"])
    said = capsys.readouterr().out
    assert "{list,delete,runs,delete-run,merge-runs}" in said
    joined = " ".join(said.split())
    assert "list a dataset's judge runs, delete one run or merge two" in joined
    assert "people's labels and other runs stay" in joined


def test_a_judge_name_with_control_characters_prints_none_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An imported judge name may hold control characters (review17b 1): the run listing, the delete notice and
    a refusal print it without them, so a file cannot set the terminal's title or clear its screen."""
    folder = tmp_path / "home"
    folder.mkdir()
    _import(folder, "labels.jsonl", _rows(range(4), person="alice"), capsys)
    _import(folder, "gpt4.jsonl", _rows(range(4)), capsys, "--judge", "evil\x1b]0;pwned\x07\x1b[2J")
    _import(folder, "other.jsonl", _rows(range(4, 8)), capsys, "--judge", "other\x1b[2J")
    listed = _datasets(folder, capsys, "runs", "votes")
    assert "evil]0;pwned[2J" in listed and "\x1b" not in listed and "\x07" not in listed
    refused = _refused(folder, capsys, "merge-runs", "votes", "1", "2")
    assert "not the same judge" in refused and "\x1b" not in refused
