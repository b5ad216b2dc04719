"""Session 18, "metricscsv" (notebook finding 10): a flat per-judge table of the metrics report.

``judge-studio metrics --format csv`` and REST ``GET /api/v1/metrics?format=csv``: one row per judge run with the
report's headline figures, copied from the same report ``metrics --json`` prints (never recomputed), so a script
compares judges in pandas without digging through the nested JSON.

The dataset: the demo's comparisons, every one judged by two runs: run 1 in one order with probabilities (two verdicts
in seven close: 0.03 and 0.08 apart), run 2 (named "+judge-b": a spreadsheet would run it as a
formula) in both orders; ann and bob's imported labels on the first 20 comparisons, and cyd's labels on 12 more
given in the session "team".

Each report takes seconds on the shared machine, so each command line is run once (``_metrics``, cached) and
the tests read its output.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import accounts_studio, api_app, closing

from analysis.report_table import COLUMN_NAMES, JUDGE_COLUMNS, judge_rows
from annotation_store import NewVerdict, open_store
from cli import main
from orchestration import Studio
from orchestration.metrics import metrics_csv

DEMO = "judge-studio-demo"
SESSION = "team"
FORMULA_JUDGE = "+judge-b"
QUICK = ("--bootstrap", "20")
#: the people figures kept to the session, and a margin under which run 1's 0.45 / 0.42 verdicts are uncertain
#: (0.03 apart) and its 0.5 / 0.42 ones (0.08 apart) are not
SCOPED = ("--labels-from", SESSION, "--uncertain-margin", "0.05")


def _populate(path: Path) -> None:
    """The module docstring's data: the session's labels first, so that only labelled comparisons need judging
    (each report takes seconds on a loaded machine; fewer judged comparisons, fewer)."""
    store = open_store(path)
    try:
        draw = random.Random(3)
        store.save_session(SESSION, DEMO, overlap=1)
        for _ in range(12):
            turn = store.lease("pairwise", "cyd", SESSION)
            assert turn is not None
            store.submit("pairwise", "cyd", SESSION, turn.item.id, verdict=draw.choice("12"), swapped=turn.swapped)
        ids = sorted(int(i) for i in store.comparison_table(DEMO)["id"])
        imported = ids[:20]
        judged = sorted(set(imported) | {int(c) for c in store.labels(DEMO)["comparison_id"]})
        one = store.ensure_judge_run("judge-a", {"model": "judge-a", "profile": "pandalm"})
        two = store.ensure_judge_run("judge-b", {"model": FORMULA_JUDGE, "profile": "default"})
        for i, c in enumerate(judged):
            truth = "1" if i % 3 else "2"
            if c in imported:
                for who in ("ann", "bob"):
                    store.save_label(c, who, truth if draw.random() < 0.8 else "tie", presented_swapped=bool(i % 2))
            p = {0: (0.45, 0.42, 0.13), 3: (0.5, 0.42, 0.08)}.get(i % 7, (0.8, 0.1, 0.1))
            said = truth if draw.random() < 0.7 else "2"
            store.save_verdict(one, NewVerdict(c, said, "ok", p_1=p[0], p_2=p[1], p_tie=p[2]))
            store.save_verdict(two, NewVerdict(c, truth if i % 4 else "1", "ok"))
            store.save_verdict(two, NewVerdict(c, "1" if i % 2 else truth, "ok", swapped=True))
    finally:
        store.close()


@pytest.fixture(scope="module")
def home(seeded_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("metricscsv")
    (folder / "judge-studio.sqlite3").write_bytes(seeded_db_template.read_bytes())
    _populate(folder / "judge-studio.sqlite3")
    return folder


@pytest.fixture(scope="module")
def studio(home: Path) -> Iterator[Studio]:
    yield from closing(accounts_studio(home, (("rita", "reviewer"),)))


@cache
def _metrics(home: Path, *args: str) -> tuple[str, str]:
    """``judge-studio metrics`` run in-process once per command line: (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(["metrics", "--dataset", DEMO, *QUICK, "--home", str(home), *args])
    return out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def scoped_json(home: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(_metrics(home, "--json", *SCOPED)[0])
    return report


@pytest.fixture(scope="module")
def scoped_csv(home: Path) -> str:
    return _metrics(home, "--format", "csv", *SCOPED)[0]


@pytest.fixture(scope="module")
def every_label_csv(home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """``metrics -o judges.csv`` with the defaults (every label, the default margin): (stdout, stderr, the file)."""
    target = tmp_path_factory.mktemp("written") / "judges.csv"
    out, err = _metrics(home, "-o", str(target))
    return out, err, target


def _frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))


def _source(report: dict[str, Any], judge: dict[str, Any], path: str) -> Any:
    """The value at a column's documented JSON path (``judges[].x.y`` in the run's section, else from the top)."""
    node: Any = judge if path.startswith("judges[].") else report
    for key in path.removeprefix("judges[].").split("."):
        node = None if node is None else node.get(key)
    return node


def _same(cell: Any, value: Any) -> bool:
    """A CSV cell read by pandas against the JSON's value: empty for None, exact floats, the formula guard off."""
    if value is None:
        return bool(pd.isna(cell))
    if isinstance(value, str):
        return bool(str(cell).removeprefix("'") == value)
    return bool(cell == value)


# ------------------------------------------------------------------ the CSV's figures are the JSON's


def test_every_csv_figure_is_the_json_figure_at_its_documented_path(scoped_json: Any, scoped_csv: str) -> None:
    report, table = scoped_json, _frame(scoped_csv)
    assert tuple(table.columns) == COLUMN_NAMES
    assert list(table["run_id"]) == [j["run_id"] for j in report["judges"]] == [1, 2]
    checked = 0
    for (_, row), judge in zip(table.iterrows(), report["judges"], strict=True):
        for column in JUDGE_COLUMNS:
            if "," in column.source or "[]." in column.source.removeprefix("judges[]."):
                continue  # labels_from and the judges_compared columns: checked by hand below
            assert _same(row[column.name], _source(report, judge, column.source)), (column.name, judge["run_id"])
            checked += 1
    assert checked > 70
    one, two = table.iloc[0], table.iloc[1]
    head = report["judges"][0]["against_majority_unparsed_as_wrong"]
    assert (one["n_compared"], one["accuracy"], one["accuracy_ci_low"], one["accuracy_ci_high"]) == (
        head["n"],
        head["accuracy"],
        head["accuracy_ci95"]["low"],
        head["accuracy_ci95"]["high"],
    )
    assert one["cohen_kappa"] == report["judges"][0]["against_majority"]["cohen_kappa"]
    assert one["n_uncertain"] == report["judges"][0]["verdicts"]["n_uncertain"] > 0  # 0.03 apart, under 0.05
    assert one["swap_pairs"] == 0 and pd.isna(one["swap_consistency"]) and pd.isna(one["first_position_rate"])
    assert two["swap_consistency"] == report["judges"][1]["position_bias"]["consistency"]
    assert two["n_swapped_order"] == report["judges"][1]["verdicts"]["n_swapped_order"] > 0
    # the run behind the best says by how much (the paired comparison's own figures); the best run's row is empty
    (pair,) = report["judges_compared"]["pairs"]
    by_run = table.set_index("run_id")
    best, other = by_run.loc[pair["reference"]["run_id"]], by_run.loc[pair["other"]["run_id"]]
    assert (other["best_run_id"], other["best_minus_this_accuracy"], other["best_vs_this_p_holm"]) == (
        pair["reference"]["run_id"],
        pair["accuracy_difference"],
        pair["p_holm"],
    )
    assert pd.isna(best["best_run_id"]) and pd.isna(best["best_minus_this_accuracy"])
    # a judge named like a formula is text in a spreadsheet: the exports' apostrophe
    assert f",'{FORMULA_JUDGE}," in scoped_csv and two["model"] == f"'{FORMULA_JUDGE}"
    assert scoped_csv.startswith("dataset,run_id,model,profile,") and scoped_csv.endswith("\r\n")


def test_pandas_reads_each_column_with_its_documented_dtype(scoped_csv: str, every_label_csv: Any) -> None:
    for text in (scoped_csv, every_label_csv[2].read_text(encoding="utf-8")):
        table = _frame(text)
        for column in JUDGE_COLUMNS:
            kind = table[column.name].dtype
            if column.dtype == "str":
                assert pd.api.types.is_string_dtype(kind), column.name
            else:
                assert str(kind) == column.dtype, (column.name, kind)
        assert table.set_index("run_id")["accuracy"].idxmax() in (1, 2)  # a figure to rank judges by, as it is


def test_labels_from_and_uncertain_margin_shape_the_csv_as_they_shape_the_json(
    scoped_json: Any, scoped_csv: str, every_label_csv: Any
) -> None:
    scoped = _frame(scoped_csv)
    assert (
        list(scoped["labels_from"]) == [f"session:{SESSION}"] * 2 and scoped_json["labels_from"]["session"] == SESSION
    )
    assert list(scoped["n_labels"]) == [12, 12] == [scoped_json["counts"]["labels"]] * 2
    assert list(scoped["uncertain_margin"]) == [0.05, 0.05] and list(scoped["n_compared"]) == [12, 12]
    assert scoped["people_krippendorff_alpha"].isna().all()  # one person in the session: no agreement among people
    everyone = _frame(every_label_csv[2].read_text(encoding="utf-8"))
    assert list(everyone["labels_from"]) == ["all", "all"] and list(everyone["uncertain_margin"]) == [0.1, 0.1]
    assert list(everyone["n_labels"]) == [52, 52]  # ann and bob's 40 and cyd's 12
    assert (everyone["n_compared"] > scoped["n_compared"]).all()
    assert everyone["people_krippendorff_alpha"].notna().all()
    assert everyone.at[0, "n_uncertain"] > scoped.at[0, "n_uncertain"]  # 0.08 apart: uncertain under 0.1 only


def test_output_file_takes_its_format_from_the_suffix(every_label_csv: Any, home: Path, capsys: Any) -> None:
    out, err, target = every_label_csv
    assert out == "" and f"Wrote the metrics of {DEMO!r} (csv) to {target}." in err
    assert target.read_bytes().startswith(b"dataset,run_id,model,") and target.read_bytes().count(b"\r\n") == 3
    with pytest.raises(SystemExit):  # one format, said once
        main(["metrics", "--dataset", DEMO, "--json", "--format", "csv", "--home", str(home)])
    assert "not allowed with argument" in capsys.readouterr().err


def test_a_report_without_judge_runs_is_the_header_alone() -> None:
    assert metrics_csv({"dataset": "x", "judges": []}) == ",".join(COLUMN_NAMES) + "\r\n"
    assert judge_rows({"judges": [{"run_id": 3}]}) == [{**dict.fromkeys(COLUMN_NAMES), "run_id": 3}]


# ------------------------------------------------------------------ REST: the same CSV


def test_rest_answers_the_same_csv(studio: Studio, scoped_csv: str) -> None:
    token = {"Authorization": f"Bearer {studio.access.api_token('rita')}"}
    query = {"dataset": DEMO, "bootstrap": 20, "labels_from": SESSION, "uncertain_margin": 0.05}
    with TestClient(api_app(studio)) as client:
        got = client.get("/api/v1/metrics", params={**query, "format": "csv"}, headers=token)
        wrong = client.get("/api/v1/metrics", params={"dataset": DEMO, "format": "xlsx"}, headers=token)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.text == scoped_csv  # the same report, the same columns, the same cells
    assert wrong.status_code in (400, 422) and "json" in wrong.text and "csv" in wrong.text
