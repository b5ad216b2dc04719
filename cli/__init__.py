"""Judge Studio's command line: ``judge-studio serve`` (the default), ``judge``, ``rate``, ``evaluate``;
``import``, ``metrics``, ``export`` and ``users`` work on the database alone (no model is loaded).

Options of the default command work without naming it: ``judge-studio --port 8080`` is
``judge-studio serve --port 8080``. Settings flags come from the settings table (``settings.table``).
Start-up is kept light: each command imports what it needs when it runs, so ``--help`` and the
database commands never import torch or Gradio. Ctrl-C stops any command with one line and exit
status 130.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NoReturn

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from cli.options import settings_from  # noqa: E402
from cli.parser import build_parser, command_argv, parse_args  # noqa: E402
from errors import StudioError  # noqa: E402
from judge_runtime import JudgeLoadError  # noqa: E402

if TYPE_CHECKING:
    from settings import Settings

__all__ = ["build_parser", "command_argv", "main", "parse_args", "settings_from"]

INTERRUPTED = 130  # 128 + SIGINT, as shells report it
TERMINATED = 143  # 128 + SIGTERM
BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `cmd | head` when cmd dies of SIGPIPE
#: Errors whose message tells the user what to fix (a bad file, an unknown dataset, a wrong setting):
#: the typed errors, input errors (ValueError: the store's, the judge's, the pipeline's) and a judge
#: that cannot be loaded.
USER_ERRORS = (StudioError, ValueError, JudgeLoadError)
#: What Ctrl-C says after "interrupted." for the command running (``judge``, ``rate``: how many results of this run
#: were stored, and that the same command continues; ``cli.commands.said_on_ctrl_c``).
INTERRUPT_NOTES: list[Callable[[], str]] = []


def _run(argv: Sequence[str]) -> None:
    from cli import prompts

    INTERRUPT_NOTES.clear()  # this command's notes only: an earlier command in this process said its own (s15 reviewB)
    args = parse_args(argv)
    settings = settings_from(args)
    try:
        _run_command(args, prompts.with_prompt(settings, args))
    except Exception as exc:  # a database server down or refusing the login: one line, not 127 (s13)
        if (error := _database_unreachable(settings.database, exc, args.command)) is None:
            raise
        raise error from None


#: What a full disk or a read-only folder left of the data, by command (the rest: "nothing was written").
_NOTHING = {
    "import": "nothing was imported (the import is all or nothing)",
    "judge": "the batch being stored was not saved (earlier batches were)",
    "rate": "the batch being stored was not saved (earlier batches were)",
}


def _database_unreachable(location: str, exc: Exception, command: str = "") -> StudioError | None:
    """``annotation_store.db.unreachable_error``'s one-line error for ``exc``, or the one line for a full disk or a
    read-only data folder (``annotation_store.storage.storage_problem``, s14), or None (for a command that opened
    no database, without importing SQLAlchemy)."""
    if "sqlalchemy" not in sys.modules or isinstance(exc, USER_ERRORS):  # a typed error says its own sentence
        return None  # (backup's "failed: database or disk is full" is about the backup's disk, not the database's)
    from annotation_store.db import unreachable_error
    from annotation_store.storage import storage_problem
    from errors import Unavailable

    nothing = _NOTHING.get(command, "nothing was written")
    if (problem := storage_problem(exc, location, nothing=nothing, again="run it again", on_cli=True)) is not None:
        return Unavailable(problem)
    return unreachable_error(location, exc)


def _run_command(args: argparse.Namespace, settings: Settings) -> None:
    from cli import backup, commands, data, datasets, gold, prompts, sessions, users

    runners = {
        "serve": lambda: commands.serve(settings),
        "serve-api": lambda: commands.serve_api(settings, args),
        "judge": lambda: commands.judge(settings, args),
        "rate": lambda: commands.rate(settings, args),
        "evaluate": lambda: commands.evaluate(settings, args),
        "checkup": lambda: commands.checkup(settings, args),
        "import": lambda: data.import_command(settings, args),
        "metrics": lambda: data.metrics_command(settings, args),
        "report": lambda: data.report_command(settings, args),
        "export": lambda: data.export_command(settings, args),
        "users": lambda: users.users_command(settings, args),
        "gold": lambda: gold.gold_command(settings, args),
        "prompts": lambda: prompts.prompts_command(settings, args),
        "backup": lambda: backup.backup_command(settings, args),
        "datasets": lambda: datasets.datasets_command(settings, args),
        "sessions": lambda: sessions.sessions_command(settings, args),
    }
    runners[args.command]()


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command line; a problem the user can fix ends with one ``judge-studio: ...`` line."""
    previous = _stop_on_ctrl_c()
    try:
        _run(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # here, not at exit: a reader gone (`| head`) is answered below, not by a traceback
    except KeyboardInterrupt:  # raised by code rather than by Ctrl-C (which ends in the handler)
        _interrupted()
    except BrokenPipeError:
        _reader_gone()
    except USER_ERRORS as exc:  # names in a message may come from an imported file: no control characters
        from cli.data import terminal_lines

        sys.exit(f"judge-studio: {terminal_lines(str(exc))}")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _reader_gone() -> NoReturn:
    """``judge-studio gold list | head -5``: the reader closed the pipe. Exit quietly, as ``cat`` does: what
    was still buffered goes to /dev/null (else Python's flush at exit prints "Exception ignored ... BrokenPipe")."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(BROKEN_PIPE)


def _stop_on_ctrl_c() -> dict[int, Any]:
    """Make Ctrl-C (and SIGTERM: ``timeout``, ``systemctl stop``, ``kill``) end the command in its handler; the
    handlers it replaces, by signal (none off the main thread).

    Python's own handler raises KeyboardInterrupt in whatever code runs at that moment, and when that is
    a weak-reference callback or a ``__del__`` (SQLAlchemy runs one as objects are collected) Python
    prints "Exception ignored" and drops it: the judge went on judging (seen once in 25 interrupts). So
    the handler does not raise: it ends the process. Nothing is half-written by that: the store commits
    each batch in one transaction, which SQLite and PostgreSQL roll back when the process dies inside it.
    Servers (uvicorn) put their own handlers in place while they run. SIGTERM gets its own line
    ("judge-studio: stopped (SIGTERM).", exit 143): it used to kill a `judge` run with its log ending at the bar.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda _signum, _frame: _interrupted()),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda _signum, _frame: _interrupted(terminated=True)),
    }


def _interrupted(*, terminated: bool = False) -> NoReturn:
    """Ctrl-C: one line, no traceback from whatever torch or SQLite was doing, and exit 130 at once
    (SIGTERM: its own line, exit 143).

    ``os._exit``, not ``sys.exit``: a normal exit first waits for the weight-loading and decoding
    threads (1-5 s measured), and a second Ctrl-C meanwhile would end in a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # a progress bar's line (or a terminal's "^C") is ended first, so the line stands on its own
    newline = chr(10) if _bar_drawn() or sys.stderr.isatty() else ""
    notes = ""
    with suppress(Exception):  # a note that fails leaves the line as it was
        notes = "".join(f" {note()}" for note in INTERRUPT_NOTES)
        if (db := sys.modules.get("annotation_store.db")) is not None and (upgrading := db.upgrade_interrupted_note()):
            notes += f" {upgrading}"  # Ctrl-C during a database upgrade: the database was left as it was
    with suppress(OSError, ValueError, RuntimeError):  # a broken pipe, or stderr mid-write: exit all the same
        print(
            f"{newline}judge-studio: {'stopped (SIGTERM)' if terminated else 'interrupted'}.{notes}",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
    os._exit(TERMINATED if terminated else INTERRUPTED)


def _bar_drawn() -> bool:
    """Whether a tqdm bar is open (``tqdm._instances``: the bars it redraws; tqdm's own ``tqdm.write`` reads
    it the same way). Its line has no end until it closes, and ``os._exit`` closes none, so without this
    "judge-studio: interrupted." landed after "Rating: 0/6 [...]" on the same line (a log, a pipe)."""
    tqdm = sys.modules.get("tqdm")  # never imported here: a command without a bar did not load it
    return bool(getattr(getattr(tqdm, "tqdm", None), "_instances", None))
