"""The one settings table: README, Settings, CLI flags, session defaults and lower layers agree."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path

import pytest

from judge_runtime import JudgeSpec
from settings import SETTINGS_TABLE, Settings
from settings.docs import markdown_table, readme_table
from settings.sessions import SESSION_HELP, SESSION_SETTINGS, session_defaults
from settings.table import BY_NAME, rows_for

ROOT = Path(__file__).resolve().parent.parent
#: Settings attributes that JudgeSpec calls by another name.
SPEC_NAMES = {"judge_model": "model", "judge_profile": "profile"}


def test_the_readme_configuration_table_is_the_generated_one() -> None:
    in_readme = readme_table((ROOT / "README.md").read_text(encoding="utf-8"))
    assert in_readme is not None, "README.md lost its settings-table markers"
    assert in_readme == markdown_table(), "README is out of date: run python -m settings.docs --write README.md"
    for row in (*SETTINGS_TABLE, *SESSION_SETTINGS):  # every setting is documented, by name and variable
        assert f"| `{row.name}` |" in in_readme
        assert row.env_var is None or f"`{row.env_var}`" in in_readme


def test_settings_attributes_are_the_runtime_rows_with_their_types() -> None:
    hints = typing.get_type_hints(Settings)
    runtime = [row for row in SETTINGS_TABLE if row.runtime]
    assert [f.name for f in dataclasses.fields(Settings)] == [row.name for row in runtime]
    for row in runtime:
        assert hints[row.name] is row.type, row.name
    defaults = Settings()
    for row in runtime:
        if row.name != "home":  # home: expanded, and JUDGE_STUDIO_HOME may be set by the test run
            assert getattr(defaults, row.name) == row.value(), row.name


def test_judge_defaults_come_from_judge_spec_and_differences_are_documented() -> None:
    spec_defaults = {f.name: f.default for f in dataclasses.fields(JudgeSpec)}
    for name in (f.name for f in dataclasses.fields(Settings)):
        spec_name = SPEC_NAMES.get(name, name)
        if spec_name not in spec_defaults:
            continue
        row = BY_NAME[name]
        if row.value() == spec_defaults[spec_name]:
            assert row.source == f"judge_runtime.JudgeSpec.{spec_name}", f"{name} repeats JudgeSpec's default"
        else:  # a deliberate difference must say so in the help text (and so in the README)
            assert "JudgeSpec's" in row.help, f"{name}: {row.value()!r} vs JudgeSpec's {spec_defaults[spec_name]!r}"
    # verdict_mode: JudgeSpec's default is "auto" too since fix18c (review 18c finding 2): no difference is left
    assert {name for name in BY_NAME if "JudgeSpec's" in BY_NAME[name].help} == set()


def test_batch_size_and_statistics_have_one_source() -> None:
    from analysis.defaults import ALPHA, N_BOOTSTRAP
    from evaluation import EvaluationPipeline
    from judge_runtime import Judge

    assert Settings().batch_size == inspect.signature(Judge.judge_many).parameters["batch_size"].default
    pipeline = inspect.signature(EvaluationPipeline.__init__).parameters
    assert pipeline["batch_size"].default == Settings().batch_size  # was 4 in Settings, 8 in the pipeline
    assert (BY_NAME["alpha"].value(), BY_NAME["n_bootstrap"].value()) == (ALPHA, N_BOOTSTRAP)
    assert pipeline["alpha"].default == ALPHA and pipeline["n_bootstrap"].default == N_BOOTSTRAP


def test_session_defaults_are_the_stores_and_can_be_changed_by_environment() -> None:
    from annotation_store.sessions import SESSION_DEFAULTS

    assert set(SESSION_HELP) == set(SESSION_DEFAULTS), "every session setting needs its help text"
    assert session_defaults({}) == SESSION_DEFAULTS
    changed = session_defaults({"JUDGE_STUDIO_SESSION_LEASE_SECONDS": "600", "JUDGE_STUDIO_SESSION_BLIND": "no"})
    assert changed == {**SESSION_DEFAULTS, "lease_seconds": 600, "blind": False}
    with pytest.raises(ValueError, match="JUDGE_STUDIO_SESSION_OVERLAP='two' is not a whole number"):
        session_defaults({"JUDGE_STUDIO_SESSION_OVERLAP": "two"})


def test_environment_variables_are_read_with_their_types() -> None:
    env = {
        "JUDGE_STUDIO_PORT": "8081",
        "JUDGE_STUDIO_BOTH_ORDERS": "off",
        "JUDGE_STUDIO_HOME": "~/elsewhere",
        "JUDGE_STUDIO_JUDGE_MODEL": "/models/PandaLM-7B-v1",
    }
    settings = Settings.from_env(env, port=None, host="0.0.0.0")
    assert (settings.port, settings.both_orders, settings.host) == (8081, False, "0.0.0.0")
    assert settings.home == Path("~/elsewhere").expanduser() and settings.judge_model == "/models/PandaLM-7B-v1"
    assert settings.resolved_verdict_mode == "generate"  # auto: constrained only for the demo judge
    with pytest.raises(ValueError, match="JUDGE_STUDIO_SEED_DEMO='maybe' is not a yes/no value"):
        Settings.from_env({"JUDGE_STUDIO_SEED_DEMO": "maybe"})
    assert BY_NAME["alpha"].env_var is None  # per-run statistics: a flag only


def test_every_flag_of_the_table_is_accepted_by_its_commands() -> None:
    from cli import build_parser

    parser = build_parser()
    needs = {"evaluate": ["a.json", "b.json", "--output", "out.json"], "import": ["f.json", "--format", "csv"]}
    needs |= {"metrics": ["--dataset", "d"], "export": ["--dataset", "d"], "users add": ["x"]}
    needs |= {"users set": ["x"], "users token": ["x"], "gold set": ["1", "tie", "--explanation", "x"]}
    needs |= {"gold remove": ["1"], "gold import": ["gold.csv"], "gold responses remove": ["1"]}
    needs |= {"gold responses set": ["1", "--scale", "10", "--right", "1-2", "--explanation", "x"]}
    needs |= {"gold responses import": ["gold.csv"], "users sign-out": ["x"]}
    needs |= {"datasets delete": ["x"]}
    needs |= {"backup": ["copy.sqlite3"], "users revoke-invite": ["1"], "users unlock": ["x"]}
    needs |= {"users tokens": ["x"], "users revoke-token": ["1"], "users set-aside": ["x"]}
    needs |= {"sessions members": ["x"], "sessions create": ["x", "--dataset", "d"]}  # s17
    needs |= {"datasets runs": ["x"], "datasets delete-run": ["x", "1"], "datasets merge-runs": ["x", "1", "2"]}  # s17
    samples = {bool: None, int: "3", float: "0.1", str: "x", Path: "x"}
    commands = sorted({command for row in SETTINGS_TABLE for command in row.commands})
    for command in commands:
        for row in rows_for(command):
            assert row.cli_flag is not None
            value = row.choices[-1] if row.choices else samples[row.type]
            flag = [row.cli_flag] if value is None else [row.cli_flag, value]
            args = parser.parse_args([*command.split(), *needs.get(command, []), *flag])
            expected = True if value is None else (row.type(value) if row.type is not Path else value)
            assert getattr(args, row.name) == expected, (command, row.name)
