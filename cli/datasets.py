"""``judge-studio datasets``: list the datasets with what they hold, and delete one (acting as admin on this
machine's database, as ``users`` and ``gold`` do).

``datasets delete NAME`` prints what it will delete first, then asks for the dataset's name at a terminal
(``--yes`` for scripts; without a terminal and without ``--yes`` nothing is deleted). A dataset with an
open session is refused unless ``--force``. The delete itself is one transaction (``Store.delete_dataset``).
"""

from __future__ import annotations

import argparse
import sys

from cli.options import add_settings, open_for_reading, shown_database
from settings import Settings

LIST_COLUMNS = ("name", "comparisons", "responses", "labels", "ratings", "judge runs")


def add_datasets(parser: argparse.ArgumentParser) -> None:
    parser.description = "The stored datasets: list them, or delete one with everything that belongs only to it."
    tasks = parser.add_subparsers(dest="datasets_command", required=True, metavar="{list,delete}")
    listing = tasks.add_parser("list", help="every dataset: comparisons, responses, labels, ratings, judge runs")
    add_settings(listing, "datasets list")
    remove = tasks.add_parser(
        "delete",
        help="delete a dataset and everything that belongs only to it (answers, verdicts, gold marks, sessions); "
        "accounts stay",
    )
    add_settings(remove, "datasets delete")
    remove.add_argument("name", help="the dataset's name (see datasets list)")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for the name (scripts)")
    remove.add_argument("--force", action="store_true", help="delete even while a session on the dataset is open")


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def datasets_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run ``datasets list`` or ``datasets delete``."""
    from orchestration import Access
    from orchestration.dataset_admin import NO_UNDO, DatasetAdmin, contents_text
    from orchestration.datasets import open_data_store

    store = open_for_reading(settings) if args.datasets_command == "list" else open_data_store(settings)
    try:
        access = Access(store).local_admin()
        desk = DatasetAdmin(store, access)
        if args.datasets_command == "list":
            found = desk.overview(None)
            if not found:
                print("No datasets.")
                return
            rows: list[tuple[str, ...]] = [LIST_COLUMNS]
            rows += [
                (c.name, str(c.comparisons), str(c.responses), str(c.labels), str(c.ratings), str(c.judge_runs))
                for c in found
            ]
            print(_table(rows))
            return
        contents = desk.contents(None, args.name)
        print(f"Deleting the dataset {args.name!r} deletes {contents_text(contents)}. Accounts stay. {NO_UNDO}")
        if contents.open_sessions and not args.force:  # the store refuses it too; say so before asking
            desk.delete(None, args.name)
        if not args.yes and not _confirmed(args.name):
            sys.exit("judge-studio: not confirmed; nothing was deleted.")
        deleted = desk.delete(None, args.name, force=args.force)
        print(f"Deleted the dataset {args.name!r}: {contents_text(deleted)}.")
        print(f"Database: {shown_database(settings)}", file=sys.stderr)
    finally:
        store.close()


def _confirmed(name: str) -> bool:
    """The name typed at a terminal; without a terminal nothing is asked and nothing deleted."""
    if not sys.stdin.isatty():
        sys.exit("judge-studio: not deleted: standard input is not a terminal; add --yes to delete without asking.")
    try:
        return input("Type the dataset name to confirm: ").strip() == name
    except EOFError:
        return False
