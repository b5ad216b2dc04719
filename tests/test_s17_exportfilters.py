"""Export filters a crowd campaign needs (s16 campaign finding 4, analyst finding 7).

1. DPO pairs say how many counted labels lie behind them (``n_labels``) and how far those agree (``agreement``),
   with one schema in CSV and Parquet.
2. ``--min-labels N`` (wide, dpo), ``--exclude-annotator NAME`` (repeatable; said on stderr with the labels left out)
   and ``--labels-from`` (labels, wide, dpo); set-aside accounts stay left out; bad input is refused clearly.
3. ``--uncertain-margin`` on ``export``, and the margin used recorded in the file (``margin`` column).
4. REST ``/export`` takes ``min_labels``, ``exclude_annotator``, ``labels_from`` and ``uncertain_margin``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotation_store import Store, open_store
from cli import main
from interchange.importers import import_table

#: k1: 1, 1, 2 (majority 1, 2 of 3 agree); k2: one label; k3: a tie (no pair); k4: 2, 2, 2.
CAMPAIGN = """id,question,a,b,winner,rater,judge
k1,Q1,x1,y1,1,ann,1
k1,Q1,x1,y1,1,bob,1
k1,Q1,x1,y1,2,cy,1
k2,Q2,x2,y2,2,ann,2
k3,Q3,x3,y3,1,ann,2
k3,Q3,x3,y3,2,bob,2
k4,Q4,x4,y4,2,ann,tie
k4,Q4,x4,y4,2,bob,tie
k4,Q4,x4,y4,2,cy,tie
"""
MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
MAPPING |= {"label": "winner", "annotator": "rater", "verdict": "judge"}
SESSION = "wave"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder with the dataset ``camp``: imported labels of ann, bob, cy and one judge run."""
    monkeypatch.delenv("JUDGE_STUDIO_UNCERTAIN_MARGIN", raising=False)
    folder = tmp_path / "home"
    folder.mkdir()
    source = tmp_path / "camp.csv"
    source.write_text(CAMPAIGN, encoding="utf-8")
    store: Store = open_store(folder / "judge-studio.sqlite3")
    import_table(store, source, mapping=MAPPING, dataset="camp", model1="m-1", model2="m-2", judge="j")
    store.close()
    yield folder


def _export(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[dict[str, Any]], str]:
    """``judge-studio export --dataset camp ARGS`` to standard output: the JSONL rows and standard error."""
    main(["export", "--dataset", "camp", *args, "--home", str(home)])
    out, err = capsys.readouterr()
    return [json.loads(line) for line in out.splitlines() if line.strip()], err


def _refused(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(["export", "--dataset", "camp", *args, "--home", str(home)])
    said = stopped.value.code if isinstance(stopped.value.code, str) else ""
    return said + capsys.readouterr().err


def _by_key(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["prompt_key"]: row for row in rows}


def test_dpo_pairs_carry_their_label_count_and_agreement(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows, err = _export(home, capsys, "--kind", "dpo")
    pairs = _by_key(rows)
    assert sorted(pairs) == ["k1", "k2", "k4"]  # k3's tie is no pair
    assert (pairs["k1"]["n_labels"], pairs["k1"]["agreement"]) == (3, pytest.approx(2 / 3))
    assert (pairs["k2"]["n_labels"], pairs["k2"]["agreement"]) == (1, 1.0)
    assert (pairs["k4"]["n_labels"], pairs["k4"]["agreement"]) == (3, 1.0)
    assert pairs["k1"]["margin"] is None  # a majority pair reads no judge verdict
    assert err.strip() == "Exported 3 rows (dpo) of 'camp'."


def test_dpo_csv_and_parquet_keep_one_schema_with_the_new_columns(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["export", "--dataset", "camp", "--kind", "dpo", "-o", str(tmp_path / "d.parquet"), "--home", str(home)])
    main(["export", "--dataset", "camp", "--kind", "dpo", "-o", str(tmp_path / "d.csv"), "--home", str(home)])
    capsys.readouterr()
    schema = pq.read_table(tmp_path / "d.parquet").schema
    assert schema.field("n_labels").type == pa.int64() and schema.field("agreement").type == pa.float64()
    assert schema.field("margin").type == pa.float64()  # typed, though every majority pair leaves it empty
    with (tmp_path / "d.csv").open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == schema.names and header[-3:] == ["n_labels", "agreement", "margin"]


def test_min_labels_keeps_comparisons_with_enough_counted_labels(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, err = _export(home, capsys, "--kind", "dpo", "--min-labels", "2")
    assert sorted(_by_key(rows)) == ["k1", "k4"]
    assert "Left out 1 of 3 pairs whose comparison has fewer than 2 counted labels (--min-labels 2)." in err
    wide, err = _export(home, capsys, "--kind", "wide", "--min-labels", "3")
    assert sorted(_by_key(wide)) == ["k1", "k4"] and all(row["n_labels"] >= 3 for row in wide)
    assert "Left out 2 of 4 comparisons with fewer than 3 counted labels (--min-labels 3)." in err


def test_an_excluded_annotator_is_in_no_majority_count_or_row(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows, err = _export(home, capsys, "--kind", "dpo", "--exclude-annotator", "cy")
    pairs = _by_key(rows)
    assert (pairs["k1"]["n_labels"], pairs["k1"]["agreement"]) == (2, 1.0)
    assert "Left out 2 labels of 'cy' (--exclude-annotator): in no majority, count or row of this export." in err
    wide, _ = _export(home, capsys, "--kind", "wide", "--exclude-annotator", "cy", "--exclude-annotator", "bob")
    assert all("label:cy" not in row and "label:bob" not in row for row in wide)
    assert _by_key(wide)["k3"]["majority"] == "1"  # ann's label alone: no tie any more
    labels, err = _export(home, capsys, "--kind", "labels", "--exclude-annotator", "cy")
    assert {row["rater"] for row in labels} == {"ann", "bob"} and len(labels) == 7
    assert "Left out 2 labels of 'cy'" in err


def test_set_aside_labels_stay_out_and_excluding_that_person_leaves_none_more(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(home / "judge-studio.sqlite3")
    store.set_labels_aside("cy")
    store.close()
    rows, _ = _export(home, capsys, "--kind", "dpo")
    assert _by_key(rows)["k1"]["n_labels"] == 2 and _by_key(rows)["k4"]["n_labels"] == 2
    _, err = _export(home, capsys, "--kind", "dpo", "--exclude-annotator", "cy")
    assert "Left out 0 labels of 'cy'" in err


def test_bad_filters_are_refused_with_a_clear_message(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _refused(home, capsys, "--kind", "dpo", "--exclude-annotator", "zed")
    assert "There is no annotator named 'zed' with labels on dataset 'camp' (annotators: ann, bob, cy)." in said
    said = _refused(home, capsys, "--kind", "dpo", "--min-labels", "-1")
    assert "argument --min-labels: must be 0 or more, not -1" in said
    said = _refused(home, capsys, "--kind", "judgments", "--min-labels", "2")
    assert "--min-labels applies to --kind wide and dpo, not judgments." in said
    said = _refused(home, capsys, "--kind", "ratings", "--exclude-annotator", "cy")
    assert "--exclude-annotator applies to --kind labels, wide and dpo" in said
    said = _refused(home, capsys, "--kind", "dpo", "--uncertain-margin", "1.5")
    assert "The uncertain margin must lie in [0, 1), not 1.5." in said  # as metrics says it
    said = _refused(home, capsys, "--kind", "dpo", "--labels-from", "nosuch")
    assert "Dataset 'camp' has no session 'nosuch' to take labels from" in said


def test_labels_from_keeps_dpo_to_one_session(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(home / "judge-studio.sqlite3")
    store.save_session(SESSION, "camp", overlap=1)
    while (turn := store.lease("pairwise", "dee", SESSION)) is not None:
        store.submit("pairwise", "dee", SESSION, turn.item.id, verdict="1", skipped=False, swapped=turn.swapped)
    store.close()
    rows, _ = _export(home, capsys, "--kind", "dpo", "--labels-from", SESSION)
    pairs = _by_key(rows)
    assert sorted(pairs) == ["k1", "k2", "k3", "k4"]  # dee alone: every comparison is "1"
    assert all(row["n_labels"] == 1 and row["agreement"] == 1.0 and row["chosen"].startswith("x") for row in rows)
    imported, _ = _export(home, capsys, "--kind", "dpo", "--labels-from", "imported")
    assert _by_key(imported)["k1"]["n_labels"] == 3  # dee's session labels left out
    labels, _ = _export(home, capsys, "--kind", "labels", "--labels-from", SESSION)
    assert {row["rater"] for row in labels} == {"dee"}


def test_the_margin_used_is_in_the_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    judged, _ = _export(home, capsys, "--kind", "judgments", "--uncertain-margin", "0.25")
    assert judged and all(row["margin"] == 0.25 for row in judged)
    labels, _ = _export(home, capsys, "--kind", "labels", "--judges", "--uncertain-margin", "0")
    assert {row["margin"] for row in labels if row["rater_kind"] == "judge"} == {0.0}
    assert {row["margin"] for row in labels if row["rater_kind"] == "human"} == {None}
    wide, _ = _export(home, capsys, "--kind", "wide")
    assert {row["margin"] for row in wide} == {0.1}  # the default, when neither the flag nor the variable is set
    pairs, _ = _export(home, capsys, "--kind", "dpo", "--source", "1", "--uncertain-margin", "0.2")
    assert pairs and {row["margin"] for row in pairs} == {0.2}
    assert _by_key(pairs)["k1"]["agreement"] == pytest.approx(2 / 3)  # people's labels that pick the judge's side


def test_rest_export_takes_the_filters(home: Path) -> None:
    from fastapi.testclient import TestClient

    from orchestration import Studio
    from settings import Settings
    from web.server import create_api_app

    studio = Studio.open(Settings(home=home, judge_demo_on_start=False))
    studio.store.create_annotator("rita", role="reviewer", password="rita-pass-12345")
    headers = {"Authorization": f"Bearer {studio.access.api_token('rita')}"}
    with TestClient(create_api_app(studio)) as client:
        params: dict[str, Any] = {"dataset": "camp", "kind": "dpo", "min_labels": 2, "exclude_annotator": ["cy"]}
        answer = client.get("/api/v1/export", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        rows = [json.loads(line) for line in io.StringIO(answer.text) if line.strip()]
        assert [(row["prompt_key"], row["n_labels"], row["agreement"]) for row in rows] == [
            ("k1", 2, 1.0),
            ("k4", 2, 1.0),
        ]
        unknown = client.get("/api/v1/export", params={**params, "exclude_annotator": ["zed"]}, headers=headers)
        assert unknown.status_code == 404 and "no annotator named 'zed'" in unknown.json()["detail"]
        negative = client.get("/api/v1/export", params={**params, "min_labels": -1}, headers=headers)
        assert negative.status_code in (400, 422)
        margin = client.get(
            "/api/v1/export", params={"dataset": "camp", "kind": "judgments", "uncertain_margin": 0.3}, headers=headers
        )
        assert {json.loads(line)["margin"] for line in margin.text.splitlines()} == {0.3}
    studio.store.close()
