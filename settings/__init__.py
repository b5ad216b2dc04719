"""One place for every default: the CLI, the server and the docs read them from the settings table.

``Settings`` is the runtime configuration; its attributes are the table's runtime rows
(``settings.table``), each overridable by an environment variable ``JUDGE_STUDIO_<NAME>`` or a CLI
flag. The session defaults of the Admin page are in ``settings.sessions`` (kept out of this module so
that importing ``settings`` never imports the store), the README table in ``settings.docs``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from judge_runtime import JudgeSpec, resolved_verdict_mode
from settings.table import BY_NAME, ENV_PREFIX, SETTINGS_TABLE, Setting, rows_for

__all__ = ["ENV_PREFIX", "SETTINGS_TABLE", "Setting", "Settings", "judge_spec", "rows_for"]


def _default(name: str) -> Any:
    return BY_NAME[name].value()


def _default_home() -> Path:
    return Path(BY_NAME["home"].from_env(os.environ)).expanduser()


@dataclass(frozen=True)
class Settings:
    """The runtime settings; each attribute is a runtime row of ``settings.table.SETTINGS_TABLE``
    (a test checks that the two list the same names and types)."""

    home: Path = field(default_factory=_default_home)
    database_url: str = _default("database_url")
    judge_model: str = _default("judge_model")
    judge_profile: str = _default("judge_profile")
    quantization: str = _default("quantization")
    device: str = _default("device")
    decode_loop: str = _default("decode_loop")
    decoding: str = _default("decoding")
    max_new_tokens: int = _default("max_new_tokens")
    seed: int = _default("seed")
    verdict_mode: str = _default("verdict_mode")
    both_orders: bool = _default("both_orders")
    rating_mode: str = _default("rating_mode")
    rating_profile: str = _default("rating_profile")
    batch_size: int = _default("batch_size")
    remote_timeout_s: float = _default("remote_timeout_s")
    empty_response: str = _default("empty_response")
    host: str = _default("host")
    port: int = _default("port")
    api_threads: int = _default("api_threads")
    seed_demo: bool = _default("seed_demo")
    judge_demo_on_start: bool = _default("judge_demo_on_start")
    public_url: str = _default("public_url")
    forwarded_allow_ips: str = _default("forwarded_allow_ips")
    max_upload_mb: int = _default("max_upload_mb")
    max_request_mb: int = _default("max_request_mb")
    session_hours: int = _default("session_hours")
    token_days: int = _default("token_days")
    login_attempts: int = _default("login_attempts")
    uncertain_margin: float = _default("uncertain_margin")

    @property
    def resolved_verdict_mode(self) -> str:
        """``verdict_mode`` with "auto" resolved for the judge model and profile (``judge_runtime``'s one rule)."""
        return resolved_verdict_mode(self.verdict_mode, self.judge_model, self.judge_profile)

    @property
    def database(self) -> str:
        return self.database_url or str(self.home / "judge-studio.sqlite3")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        command: str | None = None,
        warn: Callable[[str], None] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then ``JUDGE_STUDIO_<NAME>`` variables, then ``overrides`` that are not None (flags:
        a number below its row's ``minimum`` is refused, naming the flag).

        ``command``: the command being run. A variable it cannot read (``JUDGE_STUDIO_PORT=abc``) stops
        a command that takes that setting, with a message naming the variable; a command that does not
        take it (``metrics`` has no ``--port``) runs on with the default and ``warn`` gets that message.
        Without ``command`` (the server's workers, library callers) every variable must be readable.
        """
        env = os.environ if environ is None else environ
        values = {f.name: _from_env(BY_NAME[f.name], env, command, warn) for f in fields(cls)}
        values["home"] = Path(values["home"]).expanduser()
        for name, value in overrides.items():
            row = BY_NAME.get(name)
            if row is not None and value is not None and row.minimum is not None:
                row.in_range(value, row.cli_flag or name)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values["home"], str):
            values["home"] = Path(values["home"]).expanduser()
        return cls(**values)


def _from_env(row: Setting, env: Mapping[str, str], command: str | None, warn: Callable[[str], None] | None) -> Any:
    """``row``'s value from ``env``; see ``Settings.from_env`` for a bad variable of a setting ``command``
    does not take."""
    try:
        return row.from_env(env)
    except ValueError as exc:
        if command is None or not row.commands or command in row.commands:
            raise
        if warn is not None:
            flag = f"does not take {row.cli_flag}" if row.cli_flag else f"does not use {row.name}"
            warn(f"{exc} `{command}` {flag}, so it goes on with the default ({row.value()}).")
        return row.value()


def judge_spec(s: Settings) -> JudgeSpec:
    """What to load for these settings (the demo judge gets constrained, both-orders verdicts)."""
    return JudgeSpec(
        model=s.judge_model,
        profile=s.judge_profile,
        quantization=s.quantization,
        device=s.device,
        decode_loop=s.decode_loop,
        decoding=s.decoding,
        max_new_tokens=s.max_new_tokens,
        seed=s.seed,
        verdict_mode=s.resolved_verdict_mode,
        both_orders=s.both_orders,
        rating_mode=s.rating_mode,
        remote_timeout_s=s.remote_timeout_s,
    )
