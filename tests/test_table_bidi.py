"""Bidi controls in the pages' tables: every table is made by ``ui.tables.plain_table``, whose cells go through
``ui.render.visible_cells``, so a name holding U+202E (which would show its text reversed) shows the
marker instead, whatever callback filled the table. Names that hold one come from databases older
than the refusal at account creation and from imported files: put in with SQL here."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from gradio_ids import by_id
from tls_harness import make_studio

from ui.render import visible_cells
from ui.tables import plain_table

ROOT = Path(__file__).resolve().parent.parent
RLO = "\u202e"
MARKER = "⟨U+202E⟩"


def _shown(demo: gr.Blocks, api_name: str, inputs: list[Any], elem_id: str) -> Any:
    """The table ``elem_id`` as the browser gets it after the event ``api_name`` (run by the admin)."""
    block_fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    out = asyncio.run(demo.call_function(block_fn, list(inputs), requests=gr.Request(username="admin")))
    prediction = out["prediction"]
    value = by_id(prediction)[elem_id] if isinstance(prediction, dict) else prediction
    (table,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    return table.postprocess(value)  # what Gradio sends to the browser


def test_admin_tables_show_bidi_controls_as_markers(db_path: Path) -> None:
    from ui import build_ui

    studio = make_studio(db_path)
    try:
        with sqlite3.connect(db_path) as connection:
            connection.execute(f"UPDATE annotators SET name = 'bob{RLO}txt.exe' WHERE name = 'bob'")
        demo = build_ui(studio)
        accounts = _shown(demo, "admin_accounts", [], "admin-accounts")
        names = [row[accounts.headers.index("name")] for row in accounts.data]
        assert f"bob{MARKER}txt.exe" in names and not any(RLO in str(cell) for row in accounts.data for cell in row)
    finally:
        studio.store.close()


def test_visible_cells_marks_text_and_leaves_numbers() -> None:
    assert visible_cells([[f"m{RLO}1", 3, None, 0.5]]) == [[f"m{MARKER}1", 3, None, 0.5]]
    table = plain_table(interactive=False)
    shown = table.postprocess(pd.DataFrame({f"model{RLO}": [f"a{RLO}b"], "n": [2]}))
    assert shown.headers == [f"model{MARKER}", "n"] and shown.data == [[f"a{MARKER}b", 2]]


def test_every_table_of_the_pages_is_a_plain_table() -> None:
    """A bare ``gr.Dataframe`` would show raw strings again; ``plain_table`` also refuses HTML cells, and no
    component class of ours leaves a Gradio ``.pyi`` stub in the source tree."""
    bare = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "ui").rglob("*.py"))
        if path.name != "tables.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bgr\.(Dataframe|DataFrame)\(", line)
    ]
    assert bare == []
    assert sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.pyi")) == []
    try:
        plain_table(datatype=["str", "html"])
    except ValueError as exc:
        assert "untrusted text" in str(exc)
    else:
        raise AssertionError("a table with HTML cells was made")
