"""The settings' command-line flags, from the settings table, and the settings a command line gives."""

from __future__ import annotations

import argparse
from pathlib import Path

from settings import SETTINGS_TABLE, Setting, Settings, rows_for


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


def settings_from(args: argparse.Namespace) -> Settings:
    """Defaults, then ``JUDGE_STUDIO_*`` variables, then the flags given on this command line."""
    command = args.command if args.command != "users" else f"users {args.users_command}"
    given = {row.name: getattr(args, row.name, None) for row in rows_for(command) if row.runtime}
    return Settings.from_env(**given)
