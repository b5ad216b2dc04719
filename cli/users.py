"""``judge-studio users``: accounts, invite links and API tokens, acting as admin on this machine's database."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from cli.options import add_settings, counted, shown_database
from settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from datetime import datetime

    from annotation_store import Store
    from annotation_store.accounts import OpenInvite, TokenInfo
    from orchestration import Access

ROLES = ("annotator", "reviewer", "admin")
# annotation_store.models.ANNOTATOR_KINDS (not imported: argparse is built before any SQLAlchemy import;
# tests/test_skilled_kind.py checks the two agree). The alternative-annotator test's groups.
KINDS = ("crowd", "skilled", "expert")


def add_users(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Passwords are never taken as arguments: type them at the prompt or pipe them with --password-stdin."
    )
    tasks = parser.add_subparsers(
        dest="users_command",
        required=True,
        metavar="{add,list,set,set-aside,invite,invites,revoke-invite,token,tokens,revoke-token,sign-out,sign-out-everyone,"
        "unlock}",
    )
    add = tasks.add_parser("add", help="create an account")
    add_settings(add, "users add")
    add.add_argument("name", help="the name the person logs in with")
    add.add_argument("--role", choices=ROLES, default="annotator", help="default annotator")
    add.add_argument(
        "--kind", choices=KINDS, default="crowd", help="crowd, skilled or expert annotator (default crowd)"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_settings(tasks.add_parser("list", help="every account, its role, and its labels and ratings"), "users list")
    change = tasks.add_parser(
        "set",
        help="change an account's role, kind, active flag or password "
        "(a new password or --active no also ends its logins and revokes its API tokens)",
    )
    add_settings(change, "users set")
    change.add_argument("name")
    change.add_argument("--role", choices=ROLES)
    change.add_argument("--kind", choices=KINDS, help="crowd, skilled or expert")
    change.add_argument("--active", choices=["yes", "no"], help="no: the account can no longer log in")
    change.add_argument("--password-stdin", action="store_true", help="read a new password from standard input")
    change.add_argument("--change-password", action="store_true", help="prompt for a new password")
    aside = tasks.add_parser(
        "set-aside",
        help="set an account's labels and ratings aside (kept, not deleted): they leave every figure, majority, "
        "review queue and export and stop filling a session's overlap; --undo counts them again",
    )
    add_settings(aside, "users set-aside")
    aside.add_argument("name", help="the account whose answers to set aside")
    aside.add_argument("--undo", action="store_true", help="count the account's answers again")
    invite = tasks.add_parser("invite", help="print a one-time link that lets someone create their own account")
    add_settings(invite, "users invite")
    invite.add_argument("--role", choices=ROLES, default="annotator", help="default annotator")
    invite.add_argument("--kind", choices=KINDS, default="crowd", help="crowd, skilled or expert (default crowd)")
    invite.add_argument("--hours", type=float, default=72, help="how long the link works (default 72)")
    invite.add_argument(
        "--base-url",
        help="the link's start as people reach the server, e.g. https://judge.example "
        "(default: JUDGE_STUDIO_PUBLIC_URL, else http://HOST:PORT)",
    )
    token = tasks.add_parser("token", help="print a new REST API token for an account (shown once)")
    add_settings(token, "users token")
    token.add_argument("name")
    token.add_argument("--label", default="cli", help="a note stored with the token")
    one = tasks.add_parser(
        "sign-out", help="end one account's browser logins on every app server and revoke its API tokens"
    )
    add_settings(one, "users sign-out")
    one.add_argument("name")
    everyone = tasks.add_parser(
        "sign-out-everyone",
        help="end every browser login on every app server of this database (API tokens keep working)",
    )
    add_settings(everyone, "users sign-out-everyone")
    unlock = tasks.add_parser(
        "unlock",
        help="forget an account's failed logins (NAME), or an address's (--address IP), so it may log in now",
    )
    add_settings(unlock, "users unlock")
    unlock.add_argument("name", nargs="?", help="the locked account")
    unlock.add_argument(
        "--address",
        metavar="IP",
        help="the address locked by its failed logins (every login from it is refused, whichever account it names; "
        "the security log and `users unlock NAME` name it)",
    )
    add_invite_commands(tasks)
    add_token_commands(tasks)


#: Passwords shorter than this are refused (the store refuses them too; said here before the second prompt).
MIN_PASSWORD = 8
NO_TERMINAL = "judge-studio: no terminal to ask for the password: pipe it with --password-stdin."


def _read_password(from_stdin: bool) -> str:
    """The new password: from standard input, or typed twice at a terminal.

    Without a terminal (a pipe, a cron job) the prompt is refused in one line: getpass would fall back to
    reading the pipe with an "echoed" warning, take its first line and then die at end of input with a
    traceback. A short first password is refused before the second prompt, not after both."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        sys.exit(NO_TERMINAL)
    import getpass

    try:
        first = getpass.getpass(f"Password (at least {MIN_PASSWORD} characters): ")
        if len(first) < MIN_PASSWORD:
            sys.exit(f"judge-studio: choose a password of at least {MIN_PASSWORD} characters; nothing was saved.")
        again = getpass.getpass("The same password again: ")
    except EOFError:  # Ctrl-D at the prompt
        sys.exit("\njudge-studio: no password given; nothing was saved.")
    if again != first:
        sys.exit("judge-studio: the two passwords differ; nothing was saved.")
    return first


def users_command(settings: Settings, args: argparse.Namespace) -> None:
    with security_log_printed():
        _users_command(settings, args)


@contextmanager
def security_log_printed() -> Iterator[None]:
    """The security log (``orchestration.access.SECURITY_LOG``) printed on this command's stderr while it runs,
    one line per event in the servers' format (``SECURITY_FORMAT``): what ``users add|set|invite|revoke-invite|
    unlock|sign-out|sign-out-everyone`` change is logged as the Admin page's changes are, the actor being
    ``'(command line)'`` (``LOCAL_ADMIN``) where the page names the admin. Before session 14 the command's
    process had no handler for it, so these lines were dropped. The logger is left as it was afterwards."""
    import logging

    from orchestration.access import SECURITY_DATEFMT, SECURITY_FORMAT, SECURITY_LOG

    class LevelPrefix(logging.Formatter):
        """uvicorn's ``levelprefix`` ("INFO:" padded to 9 characters) without importing uvicorn (a database
        command imports no server: tests/test_cli.py), and without its colours."""

        def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (logging's name)
            record.__dict__["levelprefix"] = f"{record.levelname}:".ljust(9)
            return super().formatMessage(record)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LevelPrefix(SECURITY_FORMAT, SECURITY_DATEFMT))
    level = SECURITY_LOG.level
    SECURITY_LOG.addHandler(handler)
    if not SECURITY_LOG.isEnabledFor(logging.INFO):
        SECURITY_LOG.setLevel(logging.INFO)
    try:
        yield
    finally:
        SECURITY_LOG.removeHandler(handler)
        SECURITY_LOG.setLevel(level)


def _refuse_long_label(label: str) -> None:
    """The label limit ``POST /api/v1/tokens`` answers 422 for, said before any token is made (never cut)."""
    from annotation_store.models import MAX_TOKEN_LABEL
    from errors import InvalidInput

    if len(label) > MAX_TOKEN_LABEL:
        raise InvalidInput(
            f"--label has {len(label)} characters; an API token's label takes at most {MAX_TOKEN_LABEL}. "
            "No token was made."
        )


def _users_command(settings: Settings, args: argparse.Namespace) -> None:
    from annotation_store.accounts import new_account_name
    from orchestration.access import Access, accounts_listed
    from orchestration.stores import open_data_store

    store = open_data_store(settings)
    try:
        admin = Access(store).local_admin()
        task = args.users_command
        if task == "add":
            _refuse_taken_name(admin, new_account_name(args.name))  # said before the password prompt
            password = _read_password(args.password_stdin)
            added = admin.add_account(None, args.name, password, role=args.role, kind=args.kind)
            kind = f" ({args.kind} annotator)" if args.role == "annotator" or args.kind != "crowd" else ""
            print(f"Added {args.role} {added!r}{kind}. Database: {shown_database(settings)}")
        elif task == "list":
            print(_accounts_text(accounts_listed(admin, None)))
        elif task == "set-aside":
            from orchestration.admin import set_aside_text, set_labels_aside

            found, changed = set_labels_aside(admin, None, args.name, undo=args.undo)
            print(set_aside_text(found, changed, args.undo))
        elif task == "set":
            new_password = _read_password(args.password_stdin) if args.password_stdin or args.change_password else None
            active = None if args.active is None else args.active == "yes"
            revoked = admin.update_account(
                None, args.name, role=args.role, kind=args.kind, active=active, password=new_password
            )
            print(f"Updated {args.name!r}" + ("." if revoked is None else "; " + _signed_out(revoked)))
            from orchestration.admin import still_counting

            if active is False and (hint := still_counting(admin, args.name, on_page=False)):
                print(hint, file=sys.stderr)
            _forget_first_password(settings, args.name, new_password)
        elif task == "invite":
            made, secret = admin.new_invite(None, role=args.role, kind=args.kind, hours=args.hours)
            print(f"{base_url(settings, args.base_url)}/invite/{secret}")  # the link alone on stdout, for scripts
            hours = f"{args.hours:g} hour{'' if args.hours == 1 else 's'}"
            print(
                f"Invite #{made.id} ({made.role}, {made.kind}, valid {hours} until {_utc(made.expires_at)}): the link "
                f"above works once; `judge-studio users revoke-invite {made.id}` stops it.",
                file=sys.stderr,
            )
            if not (args.base_url or settings.public_url):  # this command cannot see which port a server runs on
                print(LINK_GUESSED.format(port=settings.port), file=sys.stderr)
        elif task == "token":
            _refuse_long_label(args.label)
            issued, secret = admin.new_api_token(None, for_name=args.name, label=args.label, days=settings.token_days)
            print(secret)
            print(
                f"API token #{issued.id} for {args.name!r} (shown once), valid until {_utc(issued.expires_at)}: send "
                f"it as 'Authorization: Bearer <token>'; `judge-studio users revoke-token {issued.id}` stops it.",
                file=sys.stderr,
            )
        elif task == "sign-out":
            print(f"Signed out {args.name!r}: " + _signed_out(admin.sign_out_account(None, args.name)))
        elif task == "unlock":
            unlock_command(admin, args)
        elif task == "sign-out-everyone":
            _sign_out_everyone(store)
        elif task in INVITE_COMMANDS:
            invite_command(admin, args)
        elif task in TOKEN_COMMANDS:
            token_command(admin, args)
    finally:
        store.close()


def _forget_first_password(settings: Settings, name: str, password: str | None) -> None:
    from orchestration.access import ADMIN_PASSWORD_FILE
    from orchestration.admin import forget_first_password

    if forget_first_password(settings.home, name, password):
        print(f"Removed {settings.home / ADMIN_PASSWORD_FILE}: it held the old password.", file=sys.stderr)


def unlock_command(admin: Access, args: argparse.Namespace) -> None:
    """``users unlock NAME`` and/or ``--address IP``; then the addresses still locked, if any, and how to unlock
    them (an address lock refuses the right password of every account, admins' included: s15 rolesec 4)."""
    from errors import InvalidInput

    if args.name is None and args.address is None:
        raise InvalidInput("Name the account (`users unlock NAME`) or the address (`users unlock --address IP`).")
    if args.name is not None:
        print(f"Unlocked {args.name!r}: {counted(admin.unlock(None, args.name), 'failed login')} forgotten.")
    if args.address is not None:
        address, forgotten = admin.unlock_address(None, args.address)
        print(f"Unlocked the address {address}: {counted(forgotten, 'failed login')} forgotten.")
    locked = admin.locked_addresses(None)
    if len(locked) == 1:
        [(address, until)] = locked.items()
        print(
            f"Every login from {address} is still refused until {until:%H:%M} UTC at the earliest (too many failed "
            f"logins from that address, whichever account they named); "
            f"`judge-studio users unlock --address {address}` unlocks it."
        )
    elif locked:
        shown = [f"{address} until {until:%H:%M} UTC at the earliest" for address, until in locked.items()]
        more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
        print(
            "Every login from these addresses is still refused (too many failed logins from each, whichever account "
            f"they named): {', '.join(shown[:10])}{more}; `judge-studio users unlock --address IP` unlocks one."
        )


INVITE_COMMANDS = ("invites", "revoke-invite")


def add_invite_commands(tasks: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private type
    """``users invites`` (the links that still work) and ``users revoke-invite ID``."""
    listed = tasks.add_parser(
        "invites", help="the invite links that still work: number, role, who made it, when, until when (no tokens)"
    )
    add_settings(listed, "users invites")
    revoke = tasks.add_parser(
        "revoke-invite", help="make an invite link stop working (its number from 'users invites')"
    )
    add_settings(revoke, "users revoke-invite")
    revoke.add_argument("id", type=int, metavar="ID", help="the invite's number, as 'users invites' lists it")


def invite_command(admin: Access, args: argparse.Namespace) -> None:
    if args.users_command == "invites":
        print(invites_text(admin.open_invites(None)))  # `Access`'s, not the Admin desk's: no pandas (s18 leftovers)
        return
    from orchestration.admin import invite_summary, revoke_invite

    gone = revoke_invite(admin, None, args.id)
    print(f"Revoked invite #{gone.id} ({invite_summary(gone)}): it no longer works.")


TOKEN_COMMANDS = ("tokens", "revoke-token")


def add_token_commands(tasks: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private type
    """``users tokens NAME`` (an account's API tokens that still work) and ``users revoke-token ID``."""
    listed = tasks.add_parser(
        "tokens", help="an account's API tokens that still work: number, label, created, expires, last used"
    )
    add_settings(listed, "users tokens")
    listed.add_argument("name")
    revoke = tasks.add_parser("revoke-token", help="make one API token stop working (its number from 'users tokens')")
    add_settings(revoke, "users revoke-token")
    revoke.add_argument("id", type=int, metavar="ID", help="the token's number, as 'users tokens' lists it")


def token_command(admin: Access, args: argparse.Namespace) -> None:
    if args.users_command == "tokens":
        print(tokens_text(admin.account_tokens(None, args.name), args.name))
        return
    gone = admin.revoke_token(None, args.id)
    print(f"Revoked API token #{gone.id} of {gone.account!r} (label {gone.label!r}): it no longer works.")


def tokens_text(tokens: Sequence[TokenInfo], name: str) -> str:
    """An account's working API tokens as a terminal table, or a sentence when there is none."""
    if not tokens:
        return f"{name.strip()!r} has no API token that still works (make one with `judge-studio users token`)."
    header = ("id", "label", "created", "expires", "last_used")
    rows = [
        (
            str(t.id),
            _printable(t.label),
            _utc(t.created_at),
            _utc(t.expires_at),
            _utc(t.last_used_at) if t.last_used_at else "-",
        )
        for t in tokens
    ]
    widths = [max(len(header[c]), *(len(row[c]) for row in rows)) for c in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in [header, *rows]
    )


def _printable(text: str) -> str:
    """A label as one terminal line: control and invisible characters shown as ``?`` (a label is typed by
    whoever made the token, and must not move the cursor or forge a line of the table)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def invites_text(invites: Sequence[OpenInvite]) -> str:
    """The open invites as a terminal table, or a sentence when there is none."""
    if not invites:
        return "No open invite links (make one with `judge-studio users invite`)."
    header = ("id", "role", "kind", "created_by", "created", "expires")
    rows = [
        (str(i.id), i.role, i.kind, i.created_by or "(command line)", _utc(i.created_at), _utc(i.expires_at))
        for i in invites
    ]
    widths = [max(len(header[c]), *(len(row[c]) for row in rows)) for c in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in [header, *rows]
    )


def _refuse_taken_name(admin: Access, cleaned: str) -> None:
    """Refuse a name that is taken, looks like a taken one or mixes scripts before the password is asked for:
    at a terminal the password is typed twice, and learning only then that the name is refused wastes both.
    The same rule (``annotation_store.names.refuse_name``) runs again in the store's write transaction."""
    from annotation_store.names import refuse_name

    refuse_name(
        cleaned, admin.accounts(None)["name"], f"There is already an account named {cleaned!r}; nothing was saved."
    )


def _accounts_text(accounts: Sequence[Mapping[str, Any]]) -> str:
    """The account list (``orchestration.access.accounts_listed``'s rows) as a terminal table (names left-aligned
    under their header), or a sentence when there is none."""
    if not accounts:
        return "No accounts yet: add one with `judge-studio users add NAME` (or start the app: it creates admin)."
    columns = list(accounts[0])
    text = [{c: str(row[c]) for c in columns} for row in accounts]
    widths = {c: max(len(c), *(len(row[c]) for row in text)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(row[c].ljust(widths[c]) for c in columns).rstrip() for row in text]
    return "\n".join(lines)


def _signed_out(tokens: int) -> str:
    return (
        f"its browser logins ended on every app server and {counted(tokens, 'API token')} "
        f"{'was' if tokens == 1 else 'were'} revoked "
        "(make a new one with 'users token' if a script needs it)."
    )


def _sign_out_everyone(store: Store) -> None:
    """A new cookie signing secret in the database: every server reads it within a few seconds and then
    refuses every cookie signed with the old one. API tokens are stored as digests, never signed, so
    they are untouched; so are passwords."""
    from annotation_store.app_secrets import SESSION_SECRET
    from orchestration.access import LOCAL_ADMIN, SECURITY_LOG

    store.rotate_shared_secret(SESSION_SECRET)
    SECURITY_LOG.info("every browser session signed out (users sign-out-everyone) by %r", LOCAL_ADMIN)
    print(
        "Every browser session on every app server of this database is signed out (running servers notice "
        "within 5 seconds); API tokens still work."
    )


LINK_GUESSED = (
    "The link's address is this machine's host and port setting (port {port}: --port or JUDGE_STUDIO_PORT), "
    "not read from a running server: if the server runs on another port or people reach it at another "
    "address, give --base-url or set JUDGE_STUDIO_PUBLIC_URL."
)


def base_url(settings: Settings, given: str | None) -> str:
    """Where people reach the server: ``--base-url``, else the public URL, else this machine's host and port."""
    if given or settings.public_url:
        return (given or settings.public_url).rstrip("/")
    host = settings.host
    if host in ("0.0.0.0", "::", ""):  # listening everywhere: name this machine
        import socket

        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"
