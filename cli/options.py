"""The settings' command-line flags, from the settings table, and the settings a command line gives."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.wording import counted  # noqa: F401 (for cli.users, gold, commands: plain words, no pandas)
from settings import SETTINGS_TABLE, Setting, Settings, rows_for

if TYPE_CHECKING:
    from annotation_store import Store


def _shown(setting: Setting) -> str:
    value = setting.value()
    if isinstance(value, bool):
        return "on" if value else "off"
    return repr(value) if value == "" else str(value)


def add_settings(parser: argparse.ArgumentParser, command: str) -> None:
    """The table's flags that ``command`` takes; each defaults to None ("not given": env, then table default)."""
    for setting in rows_for(command, SETTINGS_TABLE):
        flag = setting.cli_flag
        assert flag is not None
        where = f"; env {setting.env_var}" if setting.env_var else ""
        help_text = f"{setting.help} (default {_shown(setting)}{where})".replace("%", "%%")
        if setting.type is bool:
            parser.add_argument(
                flag, dest=setting.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
            continue
        kind: type = str if setting.type is Path else setting.type
        parser.add_argument(flag, dest=setting.name, type=kind, choices=setting.choices, default=None, help=help_text)
        if setting.name == "judge_profile":
            add_prompt_options(parser)


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    """``--prompt`` / ``--prompt-file`` beside ``--judge-profile``: judge with your own prompt (``cli.prompts``)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--prompt",
        metavar="NAME[@HASH]",
        help="judge with your own saved prompt instead of --judge-profile: NAME (its latest version) or "
        "NAME@HASH (see `judge-studio prompts list`)",
    )
    group.add_argument(
        "--prompt-file",
        metavar="FILE",
        help="judge with the prompt in this file (.json, or a text file holding the template) instead of "
        "--judge-profile",
    )


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults, then ``JUDGE_STUDIO_*`` variables, then the flags given on this command line."""
    command = args.command  # users, prompts and gold have subcommands; gold responses has its own
    while task := getattr(args, f"{command.replace(' ', '_')}_command", None):
        command = f"{command} {task}"
    given = {row.name: getattr(args, row.name, None) for row in rows_for(command) if row.runtime}
    return Settings.from_env(command=command, warn=_warn, **given)


def _warn(message: str) -> None:
    """A setting this command does not use is wrong: say so, and run (``Settings.from_env``)."""
    print(f"judge-studio: warning: {message}", file=sys.stderr)


def shown_database(settings: Settings) -> str:
    """Where the data is, as every message shows it: a URL's password as ``***``
    (``annotation_store.db.shown_url``; s13: "Database: postgresql+psycopg://js:jspass@..." was printed)."""
    from annotation_store.db import shown_url

    return shown_url(settings.database)


def open_for_reading(settings: Settings) -> Store:
    """The store for a command that only reads (``datasets list``, ``export``, ``metrics``, ``report``): on a
    read-only data folder it is opened read-only, with one note on stderr."""
    from orchestration.stores import open_data_store

    store = open_data_store(settings, reading=True)
    if store.read_only_note:
        print(f"judge-studio: note: {store.read_only_note}", file=sys.stderr)
    return store
