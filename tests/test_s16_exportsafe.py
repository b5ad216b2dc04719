"""Exports a reviewer can trust (s16 analyst findings 1, 2, 3, 5, 8, 9, 10).

1. A failed export (a full disk) leaves the file that was there byte for byte and no partial or temporary file:
   every export is written to a temporary file beside the target and renamed over it only when complete.
2. Replacing a file that was there is said on the success line, and ``export --help`` says ``-o`` overwrites.
3. The judgments export carries the judge's raw output and when each verdict was judged.
4. Parquet has one schema per export kind: the same columns and types whatever the data (no ``null`` columns;
   ``labels`` and ``ratings`` have the same columns with or without ``--judges``).
5. CSV writes booleans as ``true`` / ``false``, as JSONL does.
6. REST ``/export`` writes Parquet too.
7. The demo judge's fingerprint says what happens to its GGUF Q4_1 weights, and its key stays the one stored runs have.
"""

from __future__ import annotations

import csv
import errno
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from annotation_store import Store, open_store
from cli import main
from interchange import exporters
from interchange.importers import import_table
from judge_runtime.loading import DEMO_DISPLAY_NAME, DEMO_GGUF_FILE, ModelSource, fingerprint_key, quantization_note

JUDGED = """id,question,a,b,winner,rater,judge
q1,=1+1 is?,+2,@two,1,ann,1
q1,=1+1 is?,+2,@two,2,bob,1
q2,Say -hi,-hi,hi,tie,ann,oops
q3,Plain,x,y,2,ann,2
"""
BARE = """id,question,a,b,winner,rater
k1,Plain,x,y,1,cy
"""
MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}
MAPPING |= {"label": "winner", "annotator": "rater"}
FULL = "No space left on device"


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A data folder with ``judged`` (people and one judge run) and ``bare`` (one person's label, no judge)."""
    folder = tmp_path / "home"
    folder.mkdir()
    store: Store = open_store(folder / "judge-studio.sqlite3")
    for name, text, extra in (("judged", JUDGED, {"verdict": "judge"}), ("bare", BARE, {})):
        source = tmp_path / f"{name}.csv"
        source.write_text(text, encoding="utf-8")
        judge = "j" if extra else None
        import_table(store, source, mapping=MAPPING | extra, dataset=name, model1="m-1", model2="m-2", judge=judge)
    store.close()
    yield folder


def _export(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run ``judge-studio export ARGS``; returns its standard error (the success line)."""
    main(["export", *args, "--home", str(home)])
    return capsys.readouterr().err


def _failed_export(home: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(["export", *args, "--home", str(home)])
    assert isinstance(stopped.value.code, str)  # sys.exit(message): the one line on stderr, exit status 1
    return stopped.value.code + capsys.readouterr().err


def _fill_the_disk(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """The disk fills halfway through writing: some bytes reach the file, then ENOSPC (as on a 64 KB tmpfs)."""
    if fmt == "parquet":

        def write_table(_table: Any, where: Any, *_args: Any, **_kwargs: Any) -> None:
            Path(where).write_bytes(b"PAR1 partial")
            raise OSError(errno.ENOSPC, FULL)

        monkeypatch.setattr(pq, "write_table", write_table)
        return

    def write_rows(rows: Any, stream: Any, fmt: str, columns: Any = ()) -> int:
        stream.write("dataset,comparison_id\r\njudged,1\r\n")  # a header and a row: pandas would read it
        stream.flush()
        raise OSError(errno.ENOSPC, FULL)

    monkeypatch.setattr(exporters, "write_rows", write_rows)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_full_disk_leaves_the_file_that_was_there_and_no_partial_file(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    keep = folder / f"keep.{fmt}"
    keep.write_bytes(b"old\n")
    _fill_the_disk(monkeypatch, fmt)
    err = _failed_export(home, capsys, "--dataset", "judged", "--kind", "labels", "-o", str(keep))
    assert f"Cannot write {keep}: {FULL}. {keep} was left as it was." in err
    assert keep.read_bytes() == b"old\n"  # the old content, not a truncated export
    assert sorted(p.name for p in folder.iterdir()) == [keep.name]  # no partial or temporary file
    # a new file: nothing at all is left behind
    new = folder / f"new.{fmt}"
    err = _failed_export(home, capsys, "--dataset", "judged", "--kind", "wide", "-o", str(new))
    assert f"Cannot write {new}: {FULL}. No file was written." in err
    assert sorted(p.name for p in folder.iterdir()) == [keep.name]


def test_an_interrupted_export_removes_its_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keep = tmp_path / "keep.csv"
    keep.write_text("old\n", encoding="utf-8")

    def interrupted(*_args: Any, **_kwargs: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(exporters, "write_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):  # (the CLI's main ends the process on Ctrl-C: the writer is called here)
        exporters.write_file([{"a": 1}], keep, "csv")
    assert keep.read_text(encoding="utf-8") == "old\n" and [p.name for p in tmp_path.iterdir() if p.is_file()] == [
        "keep.csv"
    ]


def test_replacing_a_file_is_said_and_the_help_says_it_overwrites(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "labels.csv"
    first = _export(home, capsys, "--dataset", "judged", "-o", str(target))
    assert first.strip() == "Exported 4 rows (labels) of 'judged'."
    target.write_text("precious\n", encoding="utf-8")
    target.chmod(0o640)
    again = _export(home, capsys, "--dataset", "judged", "-o", str(target))
    assert again.strip() == "Exported 4 rows (labels) of 'judged' (replaced the file that was there)."
    assert target.read_text(encoding="utf-8").startswith("dataset,comparison_id")
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file's permissions are kept
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "a file that is there is overwritten, and only once the export is complete" in shown


def test_writing_to_a_device_is_not_renamed_over_it(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "Exported 4 rows" in _export(home, capsys, "--dataset", "judged", "-o", "/dev/null", "--format", "csv")
    assert Path("/dev/null").is_char_device()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_the_judgments_export_has_the_raw_output_and_when_it_was_judged(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    target = tmp_path / f"judgments.{fmt}"
    _export(home, capsys, "--dataset", "judged", "--kind", "judgments", "-o", str(target))
    rows = _read(target, fmt)
    assert [(r["prompt_key"], r["raw_output"], r["verdict"] or None) for r in rows] == [
        ("q1", "1", "1"),
        ("q2", "oops", None),  # unparsed: a reviewer checks the parser on the text as it came
        ("q3", "2", "2"),
    ]
    assert all(datetime.fromisoformat(r["judged_at"]).utcoffset() is not None for r in rows)
    assert list(rows[0]).index("raw_output") < list(rows[0]).index("fingerprint_key")


def _read(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return list(pq.read_table(path).to_pylist())


@pytest.mark.parametrize(("kind", "judges"), [("labels", True), ("judgments", False), ("dpo", False)])
def test_parquet_has_one_schema_per_kind_whatever_the_data(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, judges: bool
) -> None:
    schemas = []
    for dataset in ("judged", "bare"):
        if kind == "judgments" and dataset == "bare":
            continue
        for with_judges in {False, judges}:
            target = tmp_path / f"{dataset}-{kind}-{with_judges}.parquet"
            _export(
                home, capsys, "--dataset", dataset, "--kind", kind, "-o", str(target), *(["--judges"] * with_judges)
            )
            schemas.append(pq.read_schema(target).remove_metadata())
    assert all(schema.equals(schemas[0]) for schema in schemas), [str(s) for s in schemas]
    types = {field.name: field.type for field in schemas[0]}
    assert not [name for name, kind_ in types.items() if pa.types.is_null(kind_)]
    assert types["comparison_id"] == pa.int64()
    if kind == "labels":  # 'bare' has no judge, no session, no confidence: the same types all the same
        assert (types["run_id"], types["swapped"], types["p_1"]) == (pa.int64(), pa.bool_(), pa.float64())
        assert (types["confidence"], types["session"], types["created_at"]) == (pa.int64(), pa.string(), pa.string())
        assert {"outcome", "leaning", "p_1", "p_2", "p_tie"} <= set(types)  # with or without --judges


def test_wide_types_its_run_and_annotator_columns_by_name() -> None:
    assert exporters.column_type("judge:j #1:p_tie") == "float" and exporters.column_type("judge:j #1") == "str"
    assert exporters.column_type("label:=evil") == "str" and exporters.column_type("n_labels") == "int"
    table = exporters.parquet_table([{"comparison_id": 1, "label:a": None, "judge:j #1:p_1": None}])
    assert [str(t) for t in table.schema.types] == ["int64", "string", "double"]


def test_csv_writes_booleans_as_jsonl_does(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "labels.csv"
    _export(home, capsys, "--dataset", "judged", "--judges", "-o", str(target))
    rows = _read(target, "csv")
    assert {r["skipped"] for r in rows} == {"false"} and {r["gold"] for r in rows} == {"false"}
    assert {r["imported"] for r in rows if r["rater_kind"] == "human"} == {"true"}
    assert {r["swapped"] for r in rows if r["rater_kind"] == "judge"} == {"false"}
    assert "True" not in target.read_text(encoding="utf-8") and "False" not in target.read_text(encoding="utf-8")


def test_rest_exports_parquet_with_its_media_type_and_file_name(live_app: Any) -> None:
    token = live_app.studio.access.api_token("rita")
    response = httpx.get(
        live_app.url + "api/v1/export",
        params={"dataset": "judge-studio-demo", "kind": "wide", "format": "parquet"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    assert response.headers["content-disposition"] == 'attachment; filename="judge-studio-demo-wide.parquet"'
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == int(response.headers["x-rows"]) > 0


def test_the_demo_judges_fingerprint_says_its_gguf_weights_are_dequantized() -> None:
    demo = ModelSource(Path("."), DEMO_GGUF_FILE, DEMO_DISPLAY_NAME)
    assert quantization_note("none", demo, "cpu") == "none (GGUF Q4_1 weights dequantized to float32 at load)"
    assert quantization_note("none", demo, "cuda:0") == "none (GGUF Q4_1 weights dequantized to bfloat16 at load)"
    plain = ModelSource(Path("."), None, "folder")
    assert quantization_note("none", plain, "cpu") == "none" and quantization_note("nf4", plain, "cuda") == "nf4"
    # the note does not change the run's key: a judge run stored before it resumes
    stored = {"model": DEMO_DISPLAY_NAME, "quantization": "none", "seed": 0}
    noted = stored | {"quantization": quantization_note("none", demo, "cpu")}
    assert fingerprint_key(noted) == fingerprint_key(stored)
    assert fingerprint_key(stored | {"quantization": "nf4"}) != fingerprint_key(stored)
