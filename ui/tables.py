"""``plain_table``: the one way the pages make a table, a ``gr.Dataframe`` whose text cells show bidi
controls as markers.

Why at the component and not a call at each table: a table's value comes from many places (a page
load, every callback that refreshes it, ``gr.update``); Gradio turns each into what the browser gets
in the component's ``postprocess``, so marking the cells there covers all of them, including tables
added later. The rule itself is ``ui.render.visible_cells`` (``visible_bidi`` per text cell): a dataset,
model, session or account name holding U+202E would otherwise show its text reversed in a table
(account names refuse bidi controls since session 9; names from imported files and older databases
may hold them). Cells stay plain text: the Markdown and HTML datatypes are refused.

Not a ``gr.Dataframe`` subclass: Gradio's component metaclass writes a ``.pyi`` stub next to the
module of every component class when it is defined (a write into the source tree at import, which
fails on a read-only install), so the table's own ``postprocess`` is wrapped instead.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from gradio.components.dataframe import DataframeData

from ui.render import visible_bidi, visible_cells

UNSAFE_DATATYPES = ("markdown", "html")


def plain_table(**options: Any) -> gr.Dataframe:
    """A ``gr.Dataframe`` (``options`` as its keywords, without ``value``: tables are filled by events)
    whose every value has its text cells and headers passed through ``visible_cells``."""
    if "value" in options:
        raise TypeError("plain_table takes no initial value: fill it from an event (page load or callback).")
    datatype = options.get("datatype", "str")
    given = [datatype] if isinstance(datatype, str) else list(datatype or [])
    if any(d in UNSAFE_DATATYPES for d in given):
        raise ValueError("A table's cells are untrusted text: datatype markdown or html is not allowed.")
    table = gr.Dataframe(**options)
    shown_by_gradio = table.postprocess

    def postprocess(value: Any) -> DataframeData:
        shown = shown_by_gradio(value)
        headers = [visible_bidi(h) if isinstance(h, str) else h for h in shown.headers]
        return DataframeData(headers=headers, data=visible_cells(shown.data), metadata=shown.metadata)

    table.postprocess = postprocess  # type: ignore[method-assign]
    return table
