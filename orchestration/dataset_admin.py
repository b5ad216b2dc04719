"""Removing a dataset (admin only): what it holds, and deleting it with everything that belongs only to it.

One use case for the command line (``judge-studio datasets list|delete``), the REST API
(``DELETE /api/v1/datasets/{name}``) and the Admin page: each shows ``contents_text`` first and then calls
``DatasetAdmin.delete``, which the store carries out in one transaction (``Store.delete_dataset``).
Accounts are never deleted. A dataset with an open session is refused unless ``force``: people may be
answering it at that moment.
"""

from __future__ import annotations

from analysis.report_text import counted
from annotation_store import Store, StoreError
from annotation_store.dataset_removal import DatasetContents
from orchestration.access import Access

__all__ = ["NO_UNDO", "DatasetAdmin", "DatasetContents", "contents_text"]

#: Said wherever a delete is confirmed (the CLI's prompt, the Admin page, the REST route's description): the point
#: of no return names the one lossless copy (s14 steward: exports do not import back).
NO_UNDO = "This cannot be undone; `judge-studio backup FILE` makes a copy first."


def contents_text(c: DatasetContents) -> str:
    """ "12 comparisons, 40 responses (20 prompts), 5 labels, ..." : what deleting ``c`` removes."""
    parts = [
        counted(c.comparisons, "comparison"),
        f"{counted(c.responses, 'response')} ({counted(c.prompts, 'prompt')})",
        counted(c.labels, "label"),
        counted(c.ratings, "rating"),
        f"{counted(c.judge_verdicts, 'judge verdict')} and {counted(c.judge_ratings, 'judge rating')} "
        f"({counted(c.judge_runs, 'judge run')})",
        counted(c.gold_marks, "gold mark"),
        counted(c.adjudications, "adjudication"),
        counted(c.sessions, "session"),
    ]
    text = ", ".join(parts)
    if c.open_sessions:
        text += f"; open sessions: {', '.join(c.open_sessions)}"
    return text


class DatasetAdmin:
    """Admin-only reads and the delete; every method asks ``Access.require(actor, "admin")`` first."""

    def __init__(self, store: Store, access: Access) -> None:
        self.store = store
        self.access = access

    def overview(self, actor: str | None) -> list[DatasetContents]:
        self.access.require(actor, "admin")
        return self.store.dataset_overview()

    def contents(self, actor: str | None, name: str) -> DatasetContents:
        self.access.require(actor, "admin")
        return self.store.dataset_contents(name)

    def delete(self, actor: str | None, name: str, *, force: bool = False, typed: str | None = None) -> DatasetContents:
        """Delete ``name`` (see the module docstring) and return what was deleted. ``typed``: the name the
        person typed to confirm (the Admin page); refused unless it is exactly the dataset's name."""
        self.access.require(actor, "admin")
        if typed is not None and typed.strip() != name:
            raise StoreError(f"Type the dataset's name ({name!r}) exactly to confirm; nothing was deleted.")
        return self.store.delete_dataset(name, force=force)
