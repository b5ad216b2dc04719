"""The README's "Configuration" table, written from the settings table.

``python -m settings.docs`` prints it; ``--write README.md`` replaces the table between the
``settings-table`` markers; ``--check README.md`` exits 1 when they differ (a test does the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from settings.sessions import SESSION_SETTINGS
from settings.table import SETTINGS_TABLE, STORE_COMMANDS, Setting

BEGIN = "<!-- settings-table: begin -->"
END = "<!-- settings-table: end -->"
HEADER = "| setting | default | environment variable | flag (commands) | what it does |\n|---|---|---|---|---|"


def all_rows() -> tuple[Setting, ...]:
    return SETTINGS_TABLE + SESSION_SETTINGS


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _commands(commands: tuple[str, ...]) -> str:
    """Command names as a reader types them: every subcommand of ``users`` (or ``gold``) together reads as
    ``users`` (``gold``)."""
    shown: list[str] = []
    for command in commands:
        group = command.split(" ")[0]
        every = [c for c in STORE_COMMANDS if c.startswith(f"{group} ")]
        name = group if every and all(c in commands for c in every) else command
        if name not in shown:
            shown.append(name)
    return ", ".join(shown)


def _row(setting: Setting) -> str:
    value = setting.value()
    default = "empty" if value == "" else f"`{_shown(value)}`"
    if setting.source:
        default += f" (`{setting.source}`)"
    env = f"`{setting.env_var}`" if setting.env_var else "—"
    flag = setting.cli_flag
    if flag and setting.type is bool:
        flag = f"{flag}, --no-{flag[2:]}"
    flags = f"`{flag}` ({_commands(setting.commands)})" if flag else "— (Admin page)"
    return f"| `{setting.name}` | {_cell(default)} | {env} | {_cell(flags)} | {_cell(setting.help)} |"


def markdown_table() -> str:
    """The table as Markdown, one row per setting in table order."""
    return "\n".join([HEADER, *(_row(setting) for setting in all_rows())])


def readme_table(readme: str) -> str | None:
    """The generated table as it stands in ``readme`` (between the markers), or None without markers."""
    if BEGIN not in readme or END not in readme:
        return None
    return readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def with_table(readme: str) -> str:
    """``readme`` with the table between the markers replaced by the current one."""
    before, rest = readme.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    return f"{before}{BEGIN}\n{markdown_table()}\n{END}{after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m settings.docs", description=__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="README", help="replace the table in this file")
    action.add_argument("--check", metavar="README", help="exit 1 when this file's table is not the current one")
    args = parser.parse_args(argv)
    if args.write:
        path = Path(args.write)
        path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    if args.check:
        current = readme_table(Path(args.check).read_text(encoding="utf-8"))
        if current != markdown_table():
            print(
                f"{args.check}: the configuration table is out of date; run: python -m settings.docs --write README.md"
            )
            return 1
        return 0
    print(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
