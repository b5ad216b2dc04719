"""The argument parser: the settings' flags come from the settings table, each command adds its own.

Only the arguments of the command being run are built: ``import``'s format list and ``metrics``'
statistical defaults live in heavy packages (pandas, scipy), and ``judge-studio --help`` should not
wait for them. ``build_parser()`` with no argument builds every command (tests, docs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NoReturn

from cli.backup import add_backup
from cli.data import add_export, add_import, add_metrics, add_report
from cli.datasets import add_datasets
from cli.gold import add_gold
from cli.options import add_settings
from cli.prompts import add_prompts
from cli.sessions import add_sessions
from cli.users import add_users

DESCRIPTION = """Judge Studio: judge LLM responses with a local judge model and check the judge against people.

Without a command, judge-studio runs `serve`: `judge-studio --port 8080` is `judge-studio serve --port 8080`.
Settings also come from environment variables JUDGE_STUDIO_<NAME> (see the README's Configuration table);
a flag that is not given changes nothing."""

AddArguments = Callable[[argparse.ArgumentParser], None]


class Parser(argparse.ArgumentParser):
    """argparse, naming a mistyped option first: ``import --fromat csv`` answered only "the following arguments
    are required: --format" (argparse checks required arguments before it reports unknown ones), so the typo
    itself was never named. Now: "unrecognized argument --fromat; did you mean --format?"."""

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]  # argparse's overloads, one behaviour
        if args is not None and not self._subparsers:  # a command's own parser: every argument is its own
            self._name_unknown_options(args)
        return super().parse_known_args(args, namespace)

    def _name_unknown_options(self, args: Sequence[str]) -> None:
        import difflib

        known = [option for option in self._option_string_actions if option.startswith("--")]
        for arg in args:
            if arg == "--":  # what follows is positional
                return
            if not arg.startswith("--") or len(arg) < 3:
                continue
            name = arg.split("=", 1)[0]
            if any(option.startswith(name) for option in known):  # exact, or an abbreviation argparse takes
                continue
            close = difflib.get_close_matches(name, known, n=1)
            if close and name.startswith(close[0]):  # --dataset is no typo of --data: another option, not here
                self.error(f"unrecognized argument {name}: {self.prog} has no such option (see {self.prog} --help)")
            self.error(f"unrecognized argument {name}" + (f"; did you mean {close[0]}?" if close else ""))


class AtLeastOne(argparse.Action):
    """A count flag (``--limit``) refused below 1 as the command line is read, before a database opens or
    a model loads: ``judge --limit -1`` once judged all but the last comparison (Python slicing)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        if values < 1:
            parser.error(f"{option} must be at least 1, got {values}.")
        setattr(namespace, self.dest, values)


def _serve(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "serve")


def _serve_api(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "serve-api")


def _judge(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "judge")
    parser.add_argument("--dataset", default="judge-studio-demo", help="dataset name (default the demo)")
    parser.add_argument("--limit", type=int, action=AtLeastOne, help="judge at most this many new comparisons")


def _rate(parser: argparse.ArgumentParser) -> None:
    add_settings(parser, "rate")
    parser.add_argument("--dataset", default="judge-studio-demo", help="dataset name (default the demo)")
    parser.add_argument("--limit", type=int, action=AtLeastOne, help="rate at most this many new responses")
    parser.add_argument(
        "--session",
        metavar="NAME",
        help="a grading session on the dataset: the judge must rate on its scale (1-10 or 1-5) and grades "
        "against its rubric (rubric-using profiles: prometheus2-absolute, selene-absolute)",
    )
    parser.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="skip the test rating that warns, before the run, when the judge's output does not parse",
    )
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before a run whose test rating failed")


def _evaluate(parser: argparse.ArgumentParser) -> None:
    from evaluation.defaults import (  # not evaluation.pipeline: --help loads no pandas (s17)
        DEFAULT_CANDIDATE_MAX_NEW_TOKENS,
        DEFAULT_CANDIDATE_PROMPT_FORMAT,
        DEFAULT_RULE,
        PARTIAL_ORDER_RULES,
    )
    from judge_runtime.generation import PROMPT_FORMATS

    add_settings(parser, "evaluate")
    parser.add_argument(
        "candidates",
        nargs="+",
        help="candidate JSON files (list of strings, or AlpacaEval layout) or models whose responses are generated "
        "first: smollm2-demo, a model folder, a .gguf file or a cached hub id",
    )
    parser.add_argument(
        "--input", dest="input_data", help="inputs JSON: [{instruction, input?}] (optional for AlpacaEval)"
    )
    parser.add_argument("--output", required=True, help="where to write the results (JSON)")
    parser.add_argument(
        "--rule",
        choices=PARTIAL_ORDER_RULES,
        help=f"partial-order rule (default {DEFAULT_RULE})",
    )
    parser.add_argument(
        "--candidate-max-new-tokens",
        type=int,
        help=f"model candidates: new tokens per response (default {DEFAULT_CANDIDATE_MAX_NEW_TOKENS})",
    )
    parser.add_argument(
        "--candidate-prompt",
        choices=PROMPT_FORMATS,
        help="model candidates: their chat template (auto, when they have one) or PandaLM's Alpaca template "
        f"(default {DEFAULT_CANDIDATE_PROMPT_FORMAT})",
    )


def _checkup(parser: argparse.ArgumentParser) -> None:
    from orchestration.checkup_names import DEFAULT_DATA_DIR, SUITE_NAMES  # no store nor pandas for --help (s17)

    add_settings(parser, "checkup")
    parser.add_argument(
        "--suite",
        action="append",
        choices=list(SUITE_NAMES),
        help="the pairs to check the judge on: evalbiasbench (80 pairs, six bias types; the default) or hhh "
        "(221 human-preference pairs); repeat for both",
    )
    parser.add_argument(
        "--limit",
        type=int,
        action=AtLeastOne,
        help="at most this many pairs per suite, taken in turn from each category",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        help=f"folder holding evalbiasbench/ and hhh_alignment/, read when the dataset is not in the database yet "
        f"(default {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")


#: Each command: its one-line help and the function that adds its arguments. The first is the default.
COMMAND_TABLE: dict[str, tuple[str, AddArguments]] = {
    "serve": ("start the web app (the default command)", _serve),
    "serve-api": ("the REST API alone, in several worker processes (no UI; PostgreSQL to scale)", _serve_api),
    "judge": ("judge a whole dataset, skipping what this judge already judged", _judge),
    "rate": ("single-answer grading: the judge rates every response of a dataset (1-10, or 1-5 with a rubric)", _rate),
    "evaluate": ("PandaLM-style pipeline: judge every pair of candidate files on every input, rank them", _evaluate),
    "checkup": ("judge checkup: the judge's biases on EvalBiasBench (and HHH) pairs, judged in both orders", _checkup),
    "import": ("import a dataset, human labels or judge outputs from a file (all or nothing)", add_import),
    "metrics": ("agreement, rankings and biases of one dataset", add_metrics),
    "report": (
        "the judge report card: can this judge replace people on this dataset? (Markdown, HTML or plain text)",
        add_report,
    ),
    "export": (
        "export labels (long), items (wide), DPO pairs, judge verdicts with reasons (judgments) or ratings as JSONL, "
        "CSV or Parquet",
        add_export,
    ),
    "users": (
        "manage accounts (add, list, set, set-aside, unlock, invite, token, sign-out ...: `users --help`); acts as "
        "admin on this machine's database",
        add_users,
    ),
    "gold": (
        "gold comparisons and responses (attention checks): list, set, remove, import CSV/JSONL; acts as admin",
        add_gold,
    ),
    "prompts": ("your own judge prompts: add a version from a file, list versions, show one", add_prompts),
    "datasets": (
        "list the datasets, or delete one with everything that belongs only to it; list, delete or merge "
        "a dataset's judge runs",
        add_datasets,
    ),
    "sessions": (
        "annotation sessions: members (who may work in one), activity (labels per person and UTC day, gold checks)",
        add_sessions,
    ),
    "backup": ("copy the SQLite database to a file, consistent while servers run (PostgreSQL: pg_dump)", add_backup),
}
COMMANDS = tuple(COMMAND_TABLE)


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser with every command listed; ``commands`` (default all) get their arguments."""
    wanted = set(COMMANDS if commands is None else commands)
    parser = Parser(prog="judge-studio", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version, help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for name, (help_text, add_arguments) in COMMAND_TABLE.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name in wanted:
            add_arguments(command)
    return parser


class _Version(argparse.Action):
    """``judge-studio --version``: "judge-studio 0.18.0 (database schema 0022)": the package's version from its
    metadata and the migration it brings a database to, read when asked (no heavy module is loaded; s18 notebook 8:
    it printed serve's usage and an error)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> NoReturn:
        print(f"judge-studio {installed_version()}{schema_shown()}")  # on standard output, as argparse's own action
        parser.exit()


def schema_shown() -> str:
    """ " (database schema 0022)": the migration this version brings a database to (what a read-only or older
    database is compared with), read from the migration files without Alembic; '' when that cannot be read."""
    from annotation_store.db import head_revision  # SQLAlchemy only: no pandas, no Alembic

    head = head_revision()
    return f" (database schema {head})" if head else ""


def installed_version() -> str:
    """The version of the installed ``judge-studio`` distribution ("unknown" when run from a tree not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("judge-studio")
    except PackageNotFoundError:
        return "unknown"


def command_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` with the default command named when it starts with an option (``--port 8080``) or is empty.

    Options written before a command (``--home DIR users list``, as an admin writes a global option) are
    moved after it (``users list --home DIR``): argparse read them as ``serve``'s and then refused
    "users list" (s12). The command's own parser then says if it does not take one of them."""
    args = list(argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        named = _command_after_options(args)
        if named is not None:
            leading, command, rest = args[:named], args[named], args[named + 1 :]
            end = rest.index("--") if "--" in rest else len(rest)  # after "--" everything is positional
            return [command, *rest[:end], *leading, *rest[end:]]
        return [COMMANDS[0], *args]
    return args


class _Probe(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def _command_after_options(args: Sequence[str]) -> int | None:
    """Where a command name stands after leading options that are ``serve``'s flags with their values
    (``--host judge`` is a host named "judge", not the command), else None."""
    probe = _Probe(add_help=False, allow_abbrev=False)
    add_settings(probe, "serve")
    for at, arg in enumerate(args):
        if at == 0 or arg not in COMMANDS:
            continue
        try:
            _known, extra = probe.parse_known_args(args[:at])
        except ValueError:  # an option missing its value ("--host judge": the host), a bad value
            continue
        if not extra:
            return at
    return None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line, building only the named command's arguments."""
    args = command_argv(argv)
    return build_parser([args[0]] if args[0] in COMMANDS else []).parse_args(args)
