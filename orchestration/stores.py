"""Opening the store for a command: the store alone, no judge, no demo seeding, and nothing heavier than the store
itself (no importers, no report, no pandas), so ``users list``, ``datasets list`` and ``sessions activity`` start
fast. ``orchestration.datasets`` re-exports ``open_data_store`` for its older callers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotation_store import open_store

if TYPE_CHECKING:
    from annotation_store import Store
    from settings import Settings


def open_data_store(settings: Settings, *, reading: bool = False) -> Store:
    """The store alone (no judge, no demo seeding); ``reading``: for a command that only reads, which then works
    on a read-only data folder too (``store.read_only_note`` says so)."""
    return open_store(settings.database, reading=reading)
