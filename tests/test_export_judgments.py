"""``export --kind judgments``: every stored judge verdict with its reasons and reference answer (no other
export carried them: a researcher demoing the judge's explanations had to read them one at a time in the
browser), through the CLI's own export function, in CSV and JSONL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from annotation_store import NewVerdict, Store, open_store
from interchange.exporters import JUDGMENT_COLUMNS, export
from interchange.importers import import_table

TABLE = "id,question,a,b\nq1,Which?,yes,no\nq2,Why?,because,dunno\n"
MAPPING = {"key": "id", "instruction": "question", "response1": "a", "response2": "b"}


def _store(tmp_path: Path) -> Store:
    path = tmp_path / "pairs.csv"
    path.write_text(TABLE, encoding="utf-8")
    store = open_store(tmp_path / "export.sqlite3")
    import_table(store, path, mapping=MAPPING, model1="ckpt-a", model2="ckpt-b")
    run = store.ensure_judge_run("careful-judge", {"model": "careful-judge", "profile": "pandalm"})
    first, second = (int(i) for i in store.comparison_table("pairs")["id"])
    store.save_verdict(run, NewVerdict(first, "1", "ok", reason="Response 1 answers it.", reference="=yes"))
    store.save_verdict(run, NewVerdict(second, None, "unparsed", reason="", raw_output="I cannot decide"))
    return store


def _written(store: Store, fmt: str) -> str:
    stream = io.StringIO()
    export(store, "pairs", "judgments", fmt, stream)
    return stream.getvalue()


def test_each_verdict_with_its_reasons_and_reference(tmp_path: Path) -> None:
    store = _store(tmp_path)
    rows = [json.loads(line) for line in _written(store, "jsonl").splitlines()]
    assert [r["prompt_key"] for r in rows] == ["q1", "q2"] and list(rows[0]) == JUDGMENT_COLUMNS
    assert rows[0]["p_1"] is None and "leaning" in rows[0]  # probability columns, empty: none were stored
    assert (rows[0]["judge"], rows[0]["status"], rows[0]["outcome"]) == ("careful-judge #1", "ok", "1")
    assert (rows[0]["reason"], rows[0]["model1"], rows[0]["model2"]) == ("Response 1 answers it.", "ckpt-a", "ckpt-b")
    assert rows[1]["status"] == "unparsed" and rows[1]["verdict"] is None
    table = list(csv.DictReader(io.StringIO(_written(store, "csv"))))
    assert table[0]["reference"] == "'=yes"  # a spreadsheet must not run it as a formula, as in every export
    store.close()
