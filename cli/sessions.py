"""``judge-studio sessions``: the annotation sessions seen from the command line. Sessions are made and changed on
the Admin page (and over REST); ``sessions members`` says who may work in one (``cli/session_members.py``).
``sessions activity``: labels per person and per UTC day
(answers that count, skips, answers set aside, gold checks right, first and last label), as a table, CSV or JSON
for payroll scripts (``orchestration/activity.py``; reads only). Heavy modules are imported when it runs.
"""

from __future__ import annotations

import argparse

from cli.options import add_settings, open_for_reading
from cli.session_create import add_create, create_command
from cli.session_members import add_members, members_command
from settings import Settings

GROUPINGS = ("person", "day", "person-day")  # annotation_store.activity.GROUPINGS (not imported for --help; a test
# checks they are one list)
FORMATS = ("text", "csv", "json")


def add_sessions(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Annotation sessions: create one, say who may work in it, how much each person labelled and when."
    )
    tasks = parser.add_subparsers(dest="sessions_command", required=True, metavar="{list,create,members,activity}")
    listing = tasks.add_parser(
        "list",
        help="every session: dataset, kind, open or closed, open to everyone or members only, items done of total",
        description="Every annotation session, open or closed, oldest first, as the Admin page's sessions table "
        "lists them: its dataset, kind (pairwise, or grading with its scale), open or closed, who may work in it "
        "(everyone, or members only: `sessions members NAME`), and items done of total (each with the session's "
        "overlap of answers; gold checks apart).",
    )
    add_settings(listing, "sessions list")
    add_create(tasks)  # ``sessions create`` (cli/session_create.py)
    add_members(tasks)  # ``sessions members`` (cli/session_members.py)
    activity = tasks.add_parser(
        "activity",
        help="labels per person and/or UTC day: labels, skipped, set aside, gold checks right, first/last label",
        description="Labels per person and/or UTC day in one session, one dataset or every dataset: answers that "
        "count, skips, answers of accounts set aside (`users set-aside`), gold checks taken and answered right, "
        "first and last label time (UTC).",
    )
    add_settings(activity, "sessions activity")
    scope = activity.add_mutually_exclusive_group()
    scope.add_argument("--session", metavar="NAME", help="only the labels given in this session")
    scope.add_argument("--dataset", metavar="NAME", help="only the labels on this dataset (any session, or imported)")
    activity.add_argument(
        "--by",
        choices=GROUPINGS,
        default="person",
        help="one row per person (default), per UTC day, or per person and day",
    )
    activity.add_argument("--since", metavar="YYYY-MM-DD", help="labels given on or after this UTC day")
    activity.add_argument("--until", metavar="YYYY-MM-DD", help="labels given on or before this UTC day")
    activity.add_argument("--format", choices=FORMATS, default="text", help="an aligned table (default), CSV or JSON")


def sessions_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run ``sessions list`` or ``sessions activity`` (``members``: cli/session_members.py; ``create``:
    cli/session_create.py)."""
    if args.sessions_command == "members":
        return members_command(settings, args)
    if args.sessions_command == "create":
        return create_command(settings, args)
    if args.sessions_command == "list":
        return list_command(settings)
    from orchestration.activity import activity_csv, activity_json, activity_text, day_of, read_activity

    since = day_of(args.since, "--since") if args.since else None
    until = day_of(args.until, "--until") if args.until else None
    store = open_for_reading(settings)
    try:
        found = read_activity(store, session=args.session, dataset=args.dataset, by=args.by, since=since, until=until)
    finally:
        store.close()
    if args.format == "text":  # annotator names come from imported files: no control characters on a terminal
        from cli.data import terminal_lines

        print(terminal_lines(activity_text(found).rstrip("\n")))
        return
    writers = {"csv": activity_csv, "json": activity_json}  # the data as stored (JSON escapes control characters)
    print(writers[args.format](found).rstrip("\n"))


def list_command(settings: Settings) -> None:
    """Run ``sessions list``: the sessions as a table (``orchestration.session_admin.sessions_listed``, the Admin
    table's read), reading only; names come from imported files and the Admin form: no control characters."""
    from cli.data import terminal_lines
    from orchestration import Access
    from orchestration.session_admin import SESSION_LIST_HEADERS, sessions_list_rows, sessions_listed

    store = open_for_reading(settings)
    try:
        rows = sessions_list_rows(sessions_listed(Access(store).local_admin(), None))
    finally:
        store.close()
    if not rows:
        print("No sessions yet: make one on the Admin page or with `judge-studio sessions create`.")
        return
    cells = [SESSION_LIST_HEADERS, *(tuple(terminal_lines(cell).replace("\n", " ") for cell in row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(SESSION_LIST_HEADERS))]
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells))
