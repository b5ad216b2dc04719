"""``judge-studio sessions create NAME --dataset D [...]``: a new annotation session from the command line, for
campaign scripts (s17 campaign2 finding 3: every other step of a campaign could be scripted, this one only on the
Admin page). It goes through the Admin page's own rule (``AdminDesk.save_session``: every field checked, the same
messages), acting as admin on this machine's database as ``users`` and ``gold`` do. It only creates: changing a
session stays on the Admin page, where the form shows what is stored (a flag left out here would otherwise reset
a field to its default). ``--members`` limits the new session to those accounts (``sessions members``), saved
with the session in one transaction (``Store.create_session``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.options import add_settings
from settings import Settings

FILL_ORDERS = ("breadth", "depth")  # annotation_store.sessions.FILL_ORDERS (not imported for --help)
KINDS = ("pairwise", "single")


def add_create(tasks: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private class
    """The ``create`` subcommand of ``sessions`` (``tasks``: the group's subparsers)."""
    create = tasks.add_parser(
        "create",
        help="create an annotation session (as the Admin page does; change it there)",
        description="Create an annotation session on a dataset, checked by the Admin page's rules. Settings left "
        "out take the settings table's defaults (overlap, blind, reveal_judge, randomize_order, lease_seconds, "
        "gold_rate, guidelines). Change an existing session on the Admin page.",
    )
    add_settings(create, "sessions create")
    create.add_argument("name", help="the new session's name")
    create.add_argument("--dataset", required=True, help="the dataset its items come from")
    create.add_argument("--kind", choices=KINDS, default="pairwise", help="pairwise labels (default) or single grading")
    create.add_argument("--overlap", type=int, help="annotators per comparison")
    create.add_argument(
        "--fill",
        choices=FILL_ORDERS,
        help="breadth: every item once first (default); depth: finish each item's overlap",
    )
    create.add_argument("--gold-rate", type=float, help="share of leases that are gold checks, 0 to 0.5")
    create.add_argument("--lease-seconds", type=int, help="how long an item is held for one annotator")
    create.add_argument("--guidelines-file", metavar="FILE", help="a Markdown file with the annotation guidelines")
    create.add_argument("--blind", action=argparse.BooleanOptionalAction, help="hide model names (default: setting)")
    create.add_argument("--reveal-judge", action=argparse.BooleanOptionalAction, help="show the judge after a submit")
    create.add_argument(
        "--randomize-order", action=argparse.BooleanOptionalAction, help="shuffle which response is shown first"
    )
    create.add_argument("--members", nargs="+", default=[], metavar="USER", help="limit it to these accounts")


def _form(args: argparse.Namespace) -> object:
    from orchestration.admin import SessionForm

    given = {
        "overlap": args.overlap,
        "fill": args.fill,
        "gold_rate": args.gold_rate,
        "lease_seconds": args.lease_seconds,
        "blind": args.blind,
        "reveal_judge": args.reveal_judge,
        "randomize_order": args.randomize_order,
    }
    if args.guidelines_file:
        from errors import InvalidInput

        try:
            given["guidelines"] = Path(args.guidelines_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise InvalidInput(
                f"Cannot read --guidelines-file {args.guidelines_file}: {why}. Nothing was saved."
            ) from exc
    chosen = {key: value for key, value in given.items() if value is not None}
    return SessionForm(name=args.name, dataset=args.dataset, kind=args.kind, **chosen)


def create_command(settings: Settings, args: argparse.Namespace) -> None:
    """Run ``sessions create``: the session and its ``--members`` saved in one store transaction
    (``AdminDesk.create_session``): a name in use or an unknown member saves nothing, and nobody can work in the
    session before its members are in."""
    from cli.data import terminal_lines
    from cli.users import security_log_printed
    from orchestration import AdminDesk, Studio
    from orchestration.stores import open_data_store

    store = open_data_store(settings)
    try:
        studio = Studio(settings, store=store)
        studio.access = studio.access.local_admin()  # the command line acts as admin, as `users` does
        with security_log_printed():
            created = AdminDesk(studio).create_session(None, _form(args), args.members)  # type: ignore[arg-type]
        saved = created.view
        fill = f", {saved.fill} fill" if saved.kind == "pairwise" else ""
        print(
            terminal_lines(
                f"Created session {saved.name!r} on {saved.dataset!r}: {saved.kind}, overlap {saved.overlap}{fill}, "
                f"gold rate {saved.gold_rate:g}, {'blind' if saved.blind else 'model names shown'}."
            )
        )
        if created.members:
            print(terminal_lines(f"Open only to: {', '.join(created.members)}."))  # names may come from imports
    finally:
        store.close()
