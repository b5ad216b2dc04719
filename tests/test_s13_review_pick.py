"""The Review queue's row click without event data (s13 redteam finding 7): ``queue/join`` for the row-select
handler with ``event_data: null`` answered Gradio's "'NoneType' object is not subscriptable", raised while Gradio
built the handler's ``gr.SelectData`` argument (out of reach of the error boundary). The handler's event argument
now reads missing or odd event data as "no row", and the page's own line comes back. Run as Gradio runs a
queued event (``Blocks.call_function`` with the request and the event data)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import pytest
from conftest import two_model_dataset
from gradio_ids import by_id
from tls_harness import make_studio

from ui.layout import build_ui
from ui.review import PICK_A_ROW, QUEUE_HEADERS


@pytest.fixture
def review_demo(db_path: Path) -> Any:
    studio = make_studio(db_path)
    ids = two_model_dataset(studio.store, "pick-pairs", n=2)
    try:
        yield build_ui(studio), ids
    finally:
        studio.store.close()


def _pick(demo: gr.Blocks, frame: pd.DataFrame, event: Any, user: str = "rita") -> dict[str | None, Any]:
    block_fn = next(f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "pick")
    data = gr.EventData(None, event)  # as Gradio builds it from the request body's "event_data" (null: None)
    out = asyncio.run(demo.call_function(block_fn, [frame], requests=gr.Request(username=user), event_data=data))
    return by_id(out["prediction"])


def test_a_row_select_without_event_data_asks_for_a_row(review_demo: Any) -> None:
    demo, ids = review_demo
    frame = pd.DataFrame([[ids[0], *[""] * (len(QUEUE_HEADERS) - 1)]], columns=QUEUE_HEADERS)
    for event in (None, {}, {"index": None}, "junk", {"index": []}, {"index": [9, 0]}):
        shown = _pick(demo, frame, event)
        assert shown["review-open-note"] == PICK_A_ROW, event
        assert "NoneType" not in str(shown)
    opened = _pick(demo, frame, {"index": [0, 0], "value": ids[0]})  # a real click still opens the row
    assert opened["review-open-note"] == "" and opened["review-id"] == ids[0]
