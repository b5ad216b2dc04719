"""``judge-studio prompts add|list|show`` and the ``--prompt`` / ``--prompt-file`` options of the judging commands.

A saved prompt is named ``NAME`` (its latest version) or ``NAME@HASH`` (one version, by the first hex digits
of its hash). ``--prompt-file`` reads a prompt straight from a file; commands that use the database save it
there as a version too, so its runs can be traced to the text and compared with other versions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from cli.options import add_settings
from settings import Settings
from settings.table import STORE_COMMANDS


def add_prompts(parser: argparse.ArgumentParser) -> None:
    tasks = parser.add_subparsers(dest="prompts_command", required=True, metavar="{add,list,show}")
    add = tasks.add_parser("add", help="save a prompt from a file as a new version of NAME (kept forever)")
    add_settings(add, "prompts add")
    # required, but checked when the command runs, so that the settings' flags parse on their own (tests)
    add.add_argument(
        "--name",
        help="the prompt's name (letters, digits, '.', '_', '-'); default: the file's 'name' field, else the "
        "file's name without its extension",
    )
    add.add_argument(
        "--file",
        help="a .json prompt (template, system, kind, rule, chat, rubric) or a text file holding the template; "
        "required",
    )
    add.add_argument(
        "--test-output",
        metavar="TEXT",
        help="a judge output the verdict rule must read (the prompt is refused when it finds no verdict in it)",
    )
    add_settings(tasks.add_parser("list", help="every saved version: name, version, hash, date"), "prompts list")
    show = tasks.add_parser("show", help="one version in full, as JSON (NAME: the latest; NAME@HASH: that one)")
    add_settings(show, "prompts show")
    show.add_argument("reference", metavar="NAME[@HASH]", nargs="?", help="required")


def prompts_command(settings: Settings, args: argparse.Namespace) -> None:
    from cli.data import reader_left
    from judge_runtime.custom import split_custom_name
    from orchestration.prompts import prompt_from_file, prompt_of, prompt_warnings, save_prompt
    from orchestration.stores import open_data_store

    needed = {"add": ("file",), "show": ("reference",)}.get(args.prompts_command, ())
    missing = [name for name in needed if not getattr(args, name)]
    if missing:
        what = ", ".join(f"--{name}" if name != "reference" else "NAME[@HASH]" for name in missing)
        sys.exit(f"judge-studio: prompts {args.prompts_command} needs {what}.")
    store = open_data_store(settings)
    try:
        if args.prompts_command == "add":
            prompt = prompt_from_file(args.file, name=args.name)
            view = save_prompt(store, prompt, test_output=args.test_output)
            print_warnings(prompt_warnings(prompt))
            what = "Saved" if view.created else "Unchanged: this text is already saved as"
            print(
                f"{what} {view.name} version {view.version}: hash {view.short_id}; "
                f"judge with --prompt {view.name}@{view.short_id}"
            )
        elif args.prompts_command == "list":
            versions = store.prompt_versions()
            if not versions:
                print("No judge prompt is saved yet: `judge-studio prompts add --name NAME --file prompt.json`.")
            for v in versions:
                who = f" by {v.created_by}" if v.created_by else ""
                print(f"{v.name}@{v.short_id}  version {v.version}  {v.kind}  {v.created_at:%Y-%m-%d %H:%M}{who}")
        else:
            view = store.prompt_version(*split_custom_name(args.reference.strip()))
            prompt = prompt_of(view)
            shown: dict[str, Any] = {
                "name": view.name,
                "version": view.version,
                "hash": prompt.hash,
                "profile": prompt.profile_name,
                **prompt.canonical(),
            }
            try:
                print(json.dumps(shown, indent=2, ensure_ascii=False))
            except BrokenPipeError:
                reader_left()
    finally:
        store.close()


def print_warnings(notes: list[str]) -> None:
    """A saved or loaded prompt's warnings (``prompt_warnings``), one line each on stderr."""
    for note in notes:
        print(f"judge-studio: warning: {note}", file=sys.stderr)


def with_prompt(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with ``judge_profile`` set to the custom prompt that ``--prompt``/``--prompt-file`` name
    (checked and registered in this process); unchanged when neither is given."""
    reference, file = getattr(args, "prompt", None), getattr(args, "prompt_file", None)
    if not reference and not file:
        return settings
    if getattr(args, "judge_profile", None):
        sys.exit("judge-studio: give --judge-profile or --prompt/--prompt-file, not both.")
    from judge_runtime.custom import register_custom
    from orchestration.prompts import prompt_from_file, prompt_warnings, save_prompt, use_prompt
    from orchestration.stores import open_data_store

    if file:
        prompt = prompt_from_file(file)
        profile = register_custom(prompt)
        print_warnings(prompt_warnings(prompt))
        if args.command in STORE_COMMANDS:  # kept as a version, so its runs name a stored text
            store = open_data_store(settings)
            try:
                save_prompt(store, prompt)
            finally:
                store.close()
    else:
        store = open_data_store(settings)
        try:
            profile = use_prompt(store, str(reference))
        finally:
            store.close()
    return dataclasses.replace(settings, judge_profile=profile)
