"""Names from an imported file are one line of plain text: a line break, a tab or a text-direction override
in a model, annotator or key name is refused by record, and nothing is imported (session 12, tester
"badinput" finding 5: a U+202E model name showed "evil" as "live" in a picker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotation_store import Store, StoreError
from orchestration.datasets import ImportOptions, import_file


def _file(tmp_path: Path, **override: str) -> Path:
    record = {"key": "k1", "instruction": "Say hi.", "response1": "hi", "response2": "hello"}
    record |= {"model1": "m-a", "model2": "m-b", "label": "1", "annotator": "ann"} | override
    path = tmp_path / "names.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("model2", "\u202eevil", "the model name"),
        ("model1", "gpt\n4", "the model name"),
        ("annotator", "x\ny", "the annotator name"),
        ("key", "k\t1", "the prompt key"),
    ],
)
def test_a_control_character_in_a_name_refuses_the_file(
    store: Store, tmp_path: Path, field: str, value: str, what: str
) -> None:
    before = store.dataset_sizes()
    with pytest.raises(StoreError) as refused:
        import_file(store, _file(tmp_path, **{field: value}), "jsonl", ImportOptions(dataset="names"))
    message = str(refused.value)
    assert "record 1" in message and what in message and "control character" in message
    assert "Nothing was imported" in message
    assert store.dataset_sizes() == before


def test_right_to_left_text_and_marks_still_import(store: Store, tmp_path: Path) -> None:
    import_file(store, _file(tmp_path, model2="نموذج\u200f"), "jsonl", ImportOptions(dataset="names"))
    assert "names" in store.dataset_sizes()
