"""``judge-studio sessions members NAME [--add USER ...] [--remove USER ...]``: who may work in a session (acting as
admin on this machine's database, as ``users`` and ``gold`` do). A session with no members is open to every
annotator; one with members only to them (reviewers and admins see and work in every session). The rule is
``orchestration.annotation.open_to``; the table ``session_members`` (migration 0022). Changes are logged to the
security log, printed on stderr as the ``users`` commands print it (``cli.users.security_log_printed``).

Kept apart from ``cli/sessions.py`` (``sessions activity``): that module only calls ``add_members`` and
``members_command``.
"""

from __future__ import annotations

import argparse
import sys

from cli.options import add_settings
from settings import Settings


def add_members(tasks: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private class
    """The ``members`` subcommand of ``sessions`` (``tasks``: the group's subparsers)."""
    members = tasks.add_parser(
        "members",
        help="list who may work in a session; --add / --remove accounts (a session with none is open to everyone)",
        description="The accounts a session is limited to. A session with no members is open to every annotator; "
        "once it has members, only they (and reviewers and admins) see it, its guidelines and its items.",
    )
    add_settings(members, "sessions members")
    members.add_argument("name", help="the session's name")
    members.add_argument("--add", nargs="+", default=[], metavar="USER", help="account(s) to add as members")
    members.add_argument("--remove", nargs="+", default=[], metavar="USER", help="account(s) to remove")


def members_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run ``sessions members``: list, or change then list."""
    from cli.data import terminal_lines
    from cli.users import security_log_printed
    from orchestration import Access
    from orchestration.annotation import change_session_members, session_members
    from orchestration.session_admin import OPEN_AGAIN, change_said, members_said
    from orchestration.stores import open_data_store

    store = open_data_store(settings)
    try:
        access = Access(store).local_admin()
        if not args.add and not args.remove:
            print(terminal_lines(members_said(args.name, session_members(access, None, args.name))))
            return
        with security_log_printed():
            changed = change_session_members(access, None, args.name, args.add, args.remove)
        for line in change_said(args.name, changed):  # the Admin page's and REST's words
            print(terminal_lines(line), file=sys.stderr if line == OPEN_AGAIN else sys.stdout)  # names from imports
    finally:
        store.close()
