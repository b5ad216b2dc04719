"""``judge-studio datasets``: list the datasets with what they hold, and delete one (acting as admin on this
machine's database, as ``users`` and ``gold`` do).

``datasets delete NAME`` prints what it will delete first, then asks for the dataset's name at a terminal
(``--yes`` for scripts; without a terminal and without ``--yes`` nothing is deleted). A dataset with an
open session is refused unless ``--force``. The delete itself is one transaction (``Store.delete_dataset``).

One judge run (s16 judge-shopper finding 6): ``datasets runs NAME`` lists the dataset's judge runs;
``datasets delete-run NAME RUN_ID`` deletes one run's verdicts (people's labels and the other runs stay), asking for
the run id as ``delete`` asks for the name (``--yes`` for scripts); ``datasets merge-runs NAME INTO_RUN FROM_RUN``
puts two runs of one judge back together (the rule an import uses to extend a run). Each is one transaction.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import TYPE_CHECKING

from analysis.wording import counted
from cli.data import terminal_lines
from cli.options import add_settings, open_for_reading, shown_database
from settings import Settings

if TYPE_CHECKING:
    from orchestration.dataset_admin import DatasetAdmin

LIST_COLUMNS = ("name", "comparisons", "responses", "labels", "ratings", "judge runs")
RUN_COLUMNS = ("run", "judge", "profile", "verdicts", "ratings", "created (UTC)", "from", "files")
#: The commands that only read (the store is opened read-only on a read-only data folder).
_READING = ("list", "runs")


def add_datasets(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "The stored datasets: list them, or delete one with everything that belongs only to it; list a dataset's "
        "judge runs, delete one run or merge two."
    )
    tasks = parser.add_subparsers(
        dest="datasets_command", required=True, metavar="{list,delete,runs,delete-run,merge-runs}"
    )
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
    _add_run_commands(tasks)


def _add_run_commands(tasks: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = tasks.add_parser("runs", help="a dataset's judge runs: id, judge, profile, verdicts, created")
    add_settings(runs, "datasets runs")
    runs.add_argument("name", help="the dataset's name (see datasets list)")
    remove = tasks.add_parser(
        "delete-run",
        help="delete one judge run's verdicts on a dataset (a try-out run); people's labels and other runs stay",
    )
    add_settings(remove, "datasets delete-run")
    remove.add_argument("name", help="the dataset's name (see datasets list)")
    remove.add_argument("run_id", type=int, metavar="RUN_ID", help="the run's id (see datasets runs NAME)")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for the run id (scripts)")
    merge = tasks.add_parser(
        "merge-runs",
        help="move FROM_RUN's verdicts into INTO_RUN and delete FROM_RUN: two imported runs of one judge, "
        "nothing judged twice",
    )
    add_settings(merge, "datasets merge-runs")
    merge.add_argument("name", help="the dataset's name (see datasets list)")
    merge.add_argument("into_run", type=int, metavar="INTO_RUN", help="the run that keeps the verdicts")
    merge.add_argument("from_run", type=int, metavar="FROM_RUN", help="the run merged into INTO_RUN, then deleted")


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def datasets_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run ``datasets list`` or ``datasets delete``."""
    from orchestration import Access
    from orchestration.dataset_admin import NO_UNDO, DatasetAdmin, contents_text
    from orchestration.stores import open_data_store

    store = open_for_reading(settings) if args.datasets_command in _READING else open_data_store(settings)
    try:
        access = Access(store).local_admin()
        desk = DatasetAdmin(store, access)
        if args.datasets_command in _RUN_COMMANDS:
            _RUN_COMMANDS[args.datasets_command](settings, desk, args)
            return
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
        if not args.yes and not _confirmed(args.name, "the dataset name"):
            sys.exit("judge-studio: not confirmed; nothing was deleted.")
        deleted = desk.delete(None, args.name, force=args.force)
        print(f"Deleted the dataset {args.name!r}: {contents_text(deleted)}.")
        print(f"Database: {shown_database(settings)}", file=sys.stderr)
    finally:
        store.close()


def _confirmed(name: str, what: str) -> bool:
    """``what`` (the name, the run id) typed at a terminal; without a terminal nothing is asked and nothing
    deleted."""
    if not sys.stdin.isatty():
        sys.exit("judge-studio: not deleted: standard input is not a terminal; add --yes to delete without asking.")
    try:
        return input(f"Type {what} to confirm: ").strip() == name
    except EOFError:
        return False


def _runs(settings: Settings, desk: DatasetAdmin, args: argparse.Namespace) -> None:
    """``datasets runs NAME``: the dataset's judge runs, oldest first."""
    runs = desk.runs(None, args.name)
    if not runs:
        print(f"The dataset {args.name!r} has no judge runs.")
        return
    rows: list[tuple[str, ...]] = [RUN_COLUMNS]
    rows += [
        (
            str(r.run_id),
            r.model,
            r.profile,
            str(r.verdicts),
            str(r.ratings),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            "import" if r.imported else "judge",
            r.files,
        )
        for r in runs
    ]
    print(f"Judge runs on the dataset {args.name!r}, oldest first:")
    print(terminal_lines(_table(rows)))  # judge names come from imported files
    for r in runs:
        if r.elsewhere:
            print(f"Run {r.run_id} also holds {counted(r.elsewhere, 'verdict or rating', 'verdicts or ratings')} on "
                  "other datasets; delete-run leaves those.")  # fmt: skip
    name = shlex.quote(args.name)
    print(
        f"Delete one: judge-studio datasets delete-run {name} RUN_ID. "
        f"Merge two imported runs of one judge: judge-studio datasets merge-runs {name} INTO_RUN FROM_RUN."
    )


def _delete_run(settings: Settings, desk: DatasetAdmin, args: argparse.Namespace) -> None:
    """``datasets delete-run NAME RUN_ID``: says what goes, asks for the run id (unless --yes), deletes."""
    from orchestration.dataset_admin import run_delete_notice, run_deleted_text

    print(terminal_lines(run_delete_notice(args.name, desk.run(None, args.name, args.run_id))))
    if not args.yes and not _confirmed(str(args.run_id), "the run id"):
        sys.exit("judge-studio: not confirmed; nothing was deleted.")
    deleted, gone = desk.delete_run(None, args.name, args.run_id)
    print(terminal_lines(run_deleted_text(args.name, deleted, gone)))
    print(f"Database: {shown_database(settings)}", file=sys.stderr)


def _merge_runs(settings: Settings, desk: DatasetAdmin, args: argparse.Namespace) -> None:
    """``datasets merge-runs NAME INTO_RUN FROM_RUN``."""
    from orchestration.dataset_admin import merged_text

    merged = desk.merge_runs(None, args.name, args.into_run, args.from_run)
    print(terminal_lines(merged_text(merged)))
    print(f"Database: {shown_database(settings)}", file=sys.stderr)


_RUN_COMMANDS = {"runs": _runs, "delete-run": _delete_run, "merge-runs": _merge_runs}
